#!/usr/bin/env bash
# The multivariate detector's cost in a service's round, on the speech example: a simulated
# fortnight of the demo scenario, then bench/joint_round_bench.cc (rounds with and without it,
# and its step alone for one new bucket of every monitored slice).
# Usage: bench/joint_round.sh [BUILD_DIR] [DAYS] [TURNS_PER_DAY]   (-DVIGIL_BENCHMARKS=ON)
set -euo pipefail
repo="$(cd "$(dirname "$0")/.." && pwd)"
build="${1:-$repo/build}"
days="${2:-14}"
per_day="${3:-150000}"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
"$build/vigil" simulate --scenario demo --days "$days" --events-per-day "$per_day" --seed 7 \
  --out "$work/sim" >/dev/null 2>&1
"$build/bench/joint_round_bench" "$repo/examples/speech/vigil.yaml" "$work/sim/events.jsonl" 12
