"""vigil's isolation forest against scikit-learn's on the ADBench sample, in one run.

    /usr/bin/python3 bench/adbench.py --data DIR --bench build/bench/adbench_bench [--seeds 5]

For each DIR/*.npz (X, y): X is written to a temporary CSV at full precision, adbench_bench fits
and scores vigil's forest for seeds 0..seeds-1, and scikit-learn's IsolationForest (n_jobs=1,
its defaults: 100 trees, max_samples=min(256, n), max_features=1.0) is fitted and scores the same
X for the same seeds, in this process. The protocol of the sample's README: fit on all of X
without labels, score every row, ROC AUC and average precision against y, mean over seeds.
Times are fit + score wall-clock seconds summed over the seeds, loading excluded on both sides;
run it on one core (bench/adbench.sh pins it with taskset).
"""

import argparse
import json
import pathlib
import subprocess
import sys
import tempfile
import time

import numpy as np
from sklearn.ensemble import IsolationForest
from sklearn.metrics import average_precision_score, roc_auc_score


def run_vigil(bench, X, seeds, tmp):
    csv = tmp / "x.csv"
    out = tmp / "scores.csv"
    np.savetxt(csv, X, delimiter=",", fmt="%.17g")
    done = subprocess.run([bench, "--csv", str(csv), "--out", str(out), "--seeds", str(seeds),
                           "--threads", "1"], check=True, capture_output=True, text=True)
    timing = json.loads(done.stdout)
    scores = np.loadtxt(out, delimiter=",", ndmin=2)
    assert scores.shape == (X.shape[0], seeds), scores.shape
    return scores, sum(timing["fit_seconds"]) + sum(timing["score_seconds"])


def run_sklearn(X, seeds):
    scores, seconds = [], 0.0
    for seed in range(seeds):
        start = time.perf_counter()
        model = IsolationForest(n_estimators=100, max_samples="auto", random_state=seed,
                                n_jobs=1).fit(X)
        s = -model.score_samples(X)  # score_samples is the opposite of the paper's score
        seconds += time.perf_counter() - start
        scores.append(s)
    return np.column_stack(scores), seconds


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", required=True, type=pathlib.Path)
    parser.add_argument("--bench", required=True)
    parser.add_argument("--seeds", type=int, default=5)
    args = parser.parse_args()
    files = sorted(args.data.glob("*.npz"), key=lambda p: int(p.name.split("_")[0]))
    if not files:
        sys.exit(f"adbench.py: no .npz files in {args.data}")
    header = (f"{'dataset':<16} {'rows':>6} {'dims':>4}  {'AUC vigil':>9} {'AUC sklearn':>11} "
              f"{'diff':>7}  {'AP vigil':>8} {'AP sklearn':>10}  {'s vigil':>8} {'s sklearn':>9} "
              f"{'speed-up':>8}")
    print(header)
    misses, ratios = [], []
    with tempfile.TemporaryDirectory() as tmp:
        for f in files:
            data = np.load(f)
            X = np.ascontiguousarray(data["X"], dtype=np.float64)
            y = data["y"].astype(int)
            v_scores, v_seconds = run_vigil(args.bench, X, args.seeds, pathlib.Path(tmp))
            s_scores, s_seconds = run_sklearn(X, args.seeds)
            auc = [np.mean([roc_auc_score(y, s[:, k]) for k in range(args.seeds)])
                   for s in (v_scores, s_scores)]
            ap = [np.mean([average_precision_score(y, s[:, k]) for k in range(args.seeds)])
                  for s in (v_scores, s_scores)]
            ratio = s_seconds / v_seconds
            ratios.append(ratio)
            diff = auc[0] - auc[1]
            if diff < -0.01:
                misses.append(f.stem)
            print(f"{f.stem:<16} {X.shape[0]:>6} {X.shape[1]:>4}  {auc[0]:>9.4f} {auc[1]:>11.4f} "
                  f"{diff:>+7.4f}  {ap[0]:>8.4f} {ap[1]:>10.4f}  {v_seconds:>8.3f} "
                  f"{s_seconds:>9.3f} {ratio:>7.1f}x", flush=True)
    print(f"AUC more than 0.01 below scikit-learn's: {', '.join(misses) if misses else 'none'}; "
          f"speed-up (fit + score, one core) from {min(ratios):.1f}x to {max(ratios):.1f}x, "
          f"geometric mean {np.exp(np.mean(np.log(ratios))):.1f}x")


if __name__ == "__main__":
    main()
