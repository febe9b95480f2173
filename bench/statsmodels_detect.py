"""The seasonal anomaly scoring a user would otherwise write in Python, on vigil's benchmark series.

Per series: NaN gaps filled by linear interpolation, STL decomposition with a daily period
(288 five-minute buckets), then a robust z-score of the residuals ((r - median) / (1.4826 MAD));
a point is flagged when |z| > 3.29 (two-sided p < 0.001). Two STL settings are timed:
  stl       statsmodels' defaults (every loess fitted at every point), what `STL(x, period=288)`
            gives;
  stl_jump  loess fitted every ceil(window / 10) points and interpolated between (R's stl
            defaults), about 30x faster, the strongest plain STL baseline.
Unlike vigil's streaming detectors, STL sees the whole week at once (not causal).

STL over all 10,000 series would take most of an hour, so only the first N series are scored
(default 150, about a minute on one core); vigil's benchmark scores the same prefix. One thread:
points per second are per core, from process CPU time (wall time is reported too).

Usage: statsmodels_detect.py SERIES.npy [--series N]. Prints one JSON line.
"""
import argparse
import json
import math
import os
import sys
import time

# One core, as vigil's benchmark: no BLAS or OpenMP threads.
for var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(var, "1")

import numpy as np  # noqa: E402
import statsmodels  # noqa: E402
from statsmodels.tsa.seasonal import STL  # noqa: E402

PERIOD = 288
Z_FLAG = 3.29


def fill_gaps(x):
    bad = np.isnan(x)
    if not bad.any():
        return x
    idx = np.arange(len(x))
    out = x.copy()
    out[bad] = np.interp(idx[bad], idx[~bad], x[~bad])
    return out


def robust_z(r):
    med = np.median(r)
    mad = 1.4826 * np.median(np.abs(r - med))
    return (r - med) / (mad if mad > 0 else 1e-12)


def score(data, **stl_options):
    """Scores every row; returns (cpu seconds, wall seconds, flagged share of observed points)."""
    flagged = observed = 0
    cpu, wall = time.process_time(), time.perf_counter()
    for row in data:
        x = np.asarray(row, dtype=np.float64)
        present = ~np.isnan(x)
        res = STL(fill_gaps(x), period=PERIOD, **stl_options).fit()
        z = robust_z(res.resid)
        flagged += int(np.count_nonzero((np.abs(z) > Z_FLAG) & present))
        observed += int(np.count_nonzero(present))
    return time.process_time() - cpu, time.perf_counter() - wall, flagged / max(observed, 1)


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("series_file")
    ap.add_argument("--series", type=int, default=int(os.environ.get("VIGIL_BENCH_DETECT_PREFIX", 150)))
    args = ap.parse_args()

    all_series = np.load(args.series_file, mmap_mode="r")
    total, buckets = all_series.shape
    n = min(args.series, total)
    data = np.array(all_series[:n])  # in memory before timing
    points = n * buckets

    trend = STL(np.zeros(2 * PERIOD + 1), period=PERIOD).config["trend"]
    low_pass = STL(np.zeros(2 * PERIOD + 1), period=PERIOD).config["low_pass"]
    variants = [
        ("stl", {}),
        ("stl_jump", {"seasonal_jump": 1, "trend_jump": math.ceil(trend / 10),
                      "low_pass_jump": math.ceil(low_pass / 10)}),
    ]
    results = []
    for name, options in variants:
        cpu, wall, share = score(data, **options)
        results.append({"name": name, "options": options, "cpu_seconds": round(cpu, 3),
                        "wall_seconds": round(wall, 3), "points_per_s": points / cpu,
                        "points_per_s_wall": points / wall, "flagged_share": share})
        print(f"{name}: {n} series in {cpu:.1f} s CPU ({wall:.1f} s wall), "
              f"{points / cpu:,.0f} points/s; all {total} series would take "
              f"{cpu * total / n / 60:.0f} min", file=sys.stderr)
    print(json.dumps({"tool": "statsmodels STL + robust residual z-score",
                      "statsmodels": statsmodels.__version__, "numpy": np.__version__,
                      "period": PERIOD, "series": n, "series_in_file": total, "buckets": buckets,
                      "points": points, "variants": results}))


if __name__ == "__main__":
    main()
