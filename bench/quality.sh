#!/usr/bin/env bash
# Detection quality over random worlds nobody tuned on:
#   bench/quality.sh [choose|report|both] [OUT_DIR]
# Seeds 1-20 are the choosing half (every setting is judged there), seeds 101-120 the reported
# half (docs/detection.md). Each world: `vigil simulate --world random --seed N` (full size,
# 14 days), `vigil run` with examples/speech/vigil.yaml unchanged, `vigil backtest`; then
# bench/quality_report.py prints the targets' figures with their spread across worlds.
# WORLDS="1 2 3" overrides the seeds; DAYS and EVENTS_PER_DAY shrink the worlds for a quick look
# (figures at a reduced size are not the benchmark's); VIGIL=path uses that binary instead of
# building one; CONFIG=path judges with that config instead of the example's. Events files are deleted after each world; a world with a bt.json is not rerun.
set -euo pipefail
repo="$(cd "$(dirname "$0")/.." && pwd)"
half="${1:-both}"
out="${2:-$repo/out/quality}"
build="${BUILD_DIR:-$repo/build}"
vigil="${VIGIL:-$build/vigil}"
case "$half" in
  choose) seeds="$(seq 1 20)" ;;
  report) seeds="$(seq 101 120)" ;;
  both) seeds="$(seq 1 20) $(seq 101 120)" ;;
  *) echo "quality.sh: expected choose, report or both, not '$half'" >&2; exit 2 ;;
esac
seeds="${WORLDS:-$seeds}"
size=()
[[ -n "${DAYS:-}" ]] && size+=(--days "$DAYS")
[[ -n "${EVENTS_PER_DAY:-}" ]] && size+=(--events-per-day "$EVENTS_PER_DAY")
[[ -n "${VIGIL:-}" ]] || cmake --build "$build" -j2 --target vigil >/dev/null
mkdir -p "$out"
for seed in $seeds; do
  dir="$out/world-$seed"
  if [[ -f "$dir/bt.json" ]]; then continue; fi  # resumable
  rm -rf "$dir" && mkdir -p "$dir"
  cp "${CONFIG:-$repo/examples/speech/vigil.yaml}" "$dir/vigil.yaml"
  started=$SECONDS
  "$vigil" simulate --world random --seed "$seed" "${size[@]}" --out "$dir/sim" 2>"$dir/simulate.err"
  (cd "$dir" && "$vigil" run --config vigil.yaml sim/events.jsonl --quiet --json incidents.json \
    >run.out 2>run.err)
  (cd "$dir" && "$vigil" backtest --config vigil.yaml --truth sim/truth.json --json bt.json.tmp \
    >backtest.out 2>&1 && mv bt.json.tmp bt.json)
  rm -f "$dir/sim/events.jsonl" "$dir/vigil.db"
  echo "world $seed: $((SECONDS - started)) s, $(grep -o 'precision.*' "$dir/backtest.out" | head -1)" >&2
done
exec /usr/bin/python3 "$repo/bench/quality_report.py" "$out" $seeds
