"""vigil's isolation forest against scikit-learn's on the ADBench sample, in one run.

    /usr/bin/python3 bench/adbench.py --data DIR --bench build/bench/adbench_bench [--seeds 5]
                                      [--autoencoder] [--shuffle-rows]

For each DIR/*.npz (X, y): X is written to a temporary CSV at full precision, adbench_bench fits
and scores vigil's forest for seeds 0..seeds-1, and scikit-learn's IsolationForest (n_jobs=1,
its defaults: 100 trees, max_samples=min(256, n), max_features=1.0) is fitted and scores the same
X for the same seeds, in this process. The protocol of the sample's README: fit on all of X
without labels, score every row, ROC AUC and average precision against y, mean over seeds.
Times are fit + score wall-clock seconds summed over the seeds, loading excluded on both sides;
run it on one core (bench/adbench.sh pins it with taskset).

--autoencoder also runs vigil's Autoencoder (its default options, the same seeds) and prints a
second table: per dataset its mean ROC AUC and AP next to vigil's forest's, and what each catches
that the other does not. "Caught" means ranked in the model's top k rows, k the number of true
outliers (ties broken by row order); "only AE" is the share of the true outliers the autoencoder
catches and the forest with the same seed does not, "only forest" the reverse, both averaged
over seeds. "AUC |z|^2" is a yardstick with nothing learned: the sum of the squared robustly
standardized features (the autoencoder's own standardization), the score of an autoencoder that
reconstructed every row as the median.

--shuffle-rows puts the rows of every dataset (X and y together) in one fixed random order
before any model sees them. The metrics do not depend on the order (the forests' random draws
do), but the autoencoder holds out the *last* rows for early stopping, and some of these files store their
outliers last: as given, its held-out slice (and not its training) gets most of their outliers.
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


def run_vigil(bench, X, seeds, tmp, model="iforest"):
    """Scores (rows x seeds) of vigil's model, fit + score seconds, and the JSON the bench gave."""
    csv = tmp / "x.csv"
    out = tmp / "scores.csv"
    if not csv.exists():  # the same X for both models
        np.savetxt(csv, X, delimiter=",", fmt="%.17g")
    done = subprocess.run([bench, "--csv", str(csv), "--out", str(out), "--seeds", str(seeds),
                           "--threads", "1", "--model", model],
                          check=True, capture_output=True, text=True)
    timing = json.loads(done.stdout)
    scores = np.loadtxt(out, delimiter=",", ndmin=2)
    assert scores.shape == (X.shape[0], seeds), scores.shape
    return scores, sum(timing["fit_seconds"]) + sum(timing["score_seconds"]), timing


def top_k(scores, k):
    """Boolean mask of the k highest scores (ties broken by row order)."""
    mask = np.zeros(scores.shape[0], dtype=bool)
    mask[np.argsort(-scores, kind="stable")[:k]] = True
    return mask


def caught_only(y, a_scores, b_scores):
    """Share of the outliers in a's top k and not b's, and the reverse, mean over seeds."""
    outliers = y == 1
    k = int(outliers.sum())
    only_a, only_b = [], []
    for seed in range(a_scores.shape[1]):
        a, b = top_k(a_scores[:, seed], k), top_k(b_scores[:, seed], k)
        only_a.append(np.sum(outliers & a & ~b) / k)
        only_b.append(np.sum(outliers & b & ~a) / k)
    return np.mean(only_a), np.mean(only_b)


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


def robust_distance(X):
    """Sum over features of ((x - median) / robust scale)^2, the scale as in src/learn."""
    center = np.median(X, axis=0)
    mad = 1.4826 * np.median(np.abs(X - center), axis=0)
    mean_abs = 1.2533 * np.mean(np.abs(X - center), axis=0)
    scale = np.where(mad > 0, mad, np.where(mean_abs > 0, mean_abs, 1.0))
    return np.sum(((X - center) / scale) ** 2, axis=1)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", required=True, type=pathlib.Path)
    parser.add_argument("--bench", required=True)
    parser.add_argument("--seeds", type=int, default=5)
    parser.add_argument("--autoencoder", action="store_true",
                        help="also run vigil's autoencoder and compare it with vigil's forest")
    parser.add_argument("--shuffle-rows", action="store_true",
                        help="one fixed random row order per dataset instead of the files' order")
    args = parser.parse_args()
    files = sorted(args.data.glob("*.npz"), key=lambda p: int(p.name.split("_")[0]))
    if not files:
        sys.exit(f"adbench.py: no .npz files in {args.data}")
    header = (f"{'dataset':<16} {'rows':>6} {'dims':>4}  {'AUC vigil':>9} {'AUC sklearn':>11} "
              f"{'diff':>7}  {'AP vigil':>8} {'AP sklearn':>10}  {'s vigil':>8} {'s sklearn':>9} "
              f"{'speed-up':>8}")
    print(header)
    misses, ratios, ae_rows = [], [], []
    for f in files:
        data = np.load(f)
        X = np.ascontiguousarray(data["X"], dtype=np.float64)
        y = data["y"].astype(int)
        if args.shuffle_rows:
            order = np.random.default_rng(0).permutation(X.shape[0])
            X, y = np.ascontiguousarray(X[order]), y[order]
        with tempfile.TemporaryDirectory() as tmp:
            v_scores, v_seconds, _ = run_vigil(args.bench, X, args.seeds, pathlib.Path(tmp))
            if args.autoencoder:
                a_scores, a_seconds, a_info = run_vigil(args.bench, X, args.seeds,
                                                        pathlib.Path(tmp), "autoencoder")
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
        if args.autoencoder:
            a_auc = np.mean([roc_auc_score(y, a_scores[:, k]) for k in range(args.seeds)])
            a_ap = np.mean([average_precision_score(y, a_scores[:, k])
                            for k in range(args.seeds)])
            only_ae, only_forest = caught_only(y, a_scores, v_scores)
            z_auc = roc_auc_score(y, robust_distance(X))
            ae_rows.append(f"{f.stem:<16} {auc[0]:>10.4f} {a_auc:>6.4f} {a_auc - auc[0]:>+7.4f}  "
                           f"{ap[0]:>9.4f} {a_ap:>6.4f}  {only_ae:>7.3f} {only_forest:>11.3f}  "
                           f"{a_seconds:>8.2f} {np.mean(a_info['epochs_run']):>6.1f}  "
                           f"{z_auc:>9.4f}")
    print(f"AUC more than 0.01 below scikit-learn's: {', '.join(misses) if misses else 'none'}; "
          f"speed-up (fit + score, one core) from {min(ratios):.1f}x to {max(ratios):.1f}x, "
          f"geometric mean {np.exp(np.mean(np.log(ratios))):.1f}x")
    if args.autoencoder:
        print("\nvigil's autoencoder (default options) next to vigil's forest, the same seeds; "
              "caught: in the top k rows, k = outliers; only AE / only forest: share of the "
              "outliers")
        print(f"{'dataset':<16} {'AUC forest':>10} {'AUC AE':>6} {'diff':>7}  {'AP forest':>9} "
              f"{'AP AE':>6}  {'only AE':>7} {'only forest':>11}  {'s AE':>8} {'epochs':>6}  "
              f"{'AUC |z|^2':>9}")
        print("\n".join(ae_rows))

if __name__ == "__main__":
    main()
