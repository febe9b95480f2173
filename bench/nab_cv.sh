#!/usr/bin/env bash
# Leave-one-category-out cross-validation of the "nab" detector on the NAB corpus:
#   bench/nab_cv.sh [NAB_DIR] [extra nab_cv arguments...]
# NAB_DIR holds data/ and labels/ (default: ../shared/benchmarks/nab next to the repository).
# Builds bench/nab_cv in build/ (or $BUILD_DIR) and prints, for each profile, the in-sample score,
# each held-out category's score and the pooled cross-validated score. The grid below is every
# tuning choice that is made per fold: the report level, the predictor-choice clip and the
# re-arm wait (the first value of each is the shipped default, kept among ties).
set -euo pipefail
repo="$(cd "$(dirname "$0")/.." && pwd)"
nab="${1:-$repo/../shared/benchmarks/nab}"
shift || true
build="${BUILD_DIR:-$repo/build}"
if [[ ! -f "$nab/labels/combined_windows.json" ]]; then
  echo "nab_cv.sh: $nab/labels/combined_windows.json not found (pass the NAB folder)" >&2
  exit 2
fi
cmake -S "$repo" -B "$build" -DVIGIL_BENCHMARKS=ON >/dev/null
cmake --build "$build" -j2 --target nab_cv >/dev/null
exec "$build/bench/nab_cv" --data "$nab/data" --labels "$nab/labels/combined_windows.json" \
  --grid fire=0.9975,0.997,0.998 --grid select_clip=4,3 --grid rearm_days=0.25,0 "$@"
