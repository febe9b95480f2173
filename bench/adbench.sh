#!/usr/bin/env bash
# vigil's isolation forest against scikit-learn's on the ADBench sample (docs/BENCHMARKS.md):
#   bench/adbench.sh [ADBENCH_DIR] [--seeds N] [--autoencoder]
# ADBENCH_DIR holds the .npz files (default: ../shared/benchmarks/adbench-sample next to the
# repository); they are read in place, never copied. Builds bench/adbench_bench in build/ (or
# $BUILD_DIR) and prints per dataset the mean ROC AUC (and average precision) over 5 seeds of
# both, their difference, and the fit + score seconds and speed-up, both pinned to one core.
# --autoencoder adds vigil's autoencoder next to vigil's forest (bench/adbench.py says how).
set -euo pipefail
repo="$(cd "$(dirname "$0")/.." && pwd)"
# The folder is the first argument unless that is already an option.
data=""
if [[ $# -gt 0 && $1 != --* ]]; then
  data="$1"
  shift
fi
data="${data:-$repo/../shared/benchmarks/adbench-sample}"
build="${BUILD_DIR:-$repo/build}"
if ! compgen -G "$data/*.npz" >/dev/null; then
  echo "adbench.sh: no .npz files in $data (pass the ADBench sample folder)" >&2
  exit 2
fi
cmake -S "$repo" -B "$build" -DVIGIL_BENCHMARKS=ON >/dev/null
cmake --build "$build" -j"${JOBS:-1}" --target adbench_bench >/dev/null
# One core for both sides, and no hidden BLAS or OpenMP threads on the Python side.
export OMP_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1 MKL_NUM_THREADS=1
exec taskset -c "${CPU:-0}" /usr/bin/python3 "$repo/bench/adbench.py" --data "$data" \
  --bench "$build/bench/adbench_bench" "$@"
