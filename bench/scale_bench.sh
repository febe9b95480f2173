#!/usr/bin/env bash
# Detection at scale: the speech example plus one monitor that watches every value and every
# observed pair of the given dimensions (`each`, `depth: 2`), over a simulated week; prints the
# series judged, the time and the peak memory of `vigil detect` (every round of the batch at once).
# Usage: bench/scale_bench.sh VIGIL [DIMENSIONS] [DAYS] [TURNS_PER_DAY]
#   e.g. bench/scale_bench.sh build/vigil platform,os_version,device_model,locale 7 150000
set -euo pipefail
VIGIL=$(realpath "$1")
DIMS=${2:-platform,os_version,device_model,locale,app_build,asr_model,tts_voice,network,region}
DAYS=${3:-7}
PER_DAY=${4:-150000}
SRC=$(cd "$(dirname "$0")/.." && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
sed 's/sinks: \[stdout, log\]/sinks: [log]/' "$SRC/examples/speech/vigil.yaml" >"$work/vigil.yaml"
# Appended to the monitors list, which ends the example's monitors section.
each=$(echo "$DIMS" | sed 's/,/, /g')
awk -v each="$each" '{ print } /^monitors:/ { print "  - {metric: failure_rate, each: [" each "], depth: 2, direction: up, min_volume: 50}" }' \
  "$work/vigil.yaml" >"$work/scale.yaml"
"$VIGIL" simulate --scenario demo --days "$DAYS" --events-per-day "$PER_DAY" --seed 7 \
  --out "$work/sim" >/dev/null 2>&1
"$VIGIL" ingest --config "$work/scale.yaml" "$work/sim/events.jsonl" >/dev/null 2>&1
/usr/bin/time -f "%e %M" -o "$work/time" "$VIGIL" detect --config "$work/scale.yaml" >"$work/out" 2>&1
read -r seconds kb <"$work/time"
series=$(grep -o 'in [0-9,]* monitored series' "$work/out" | tr -dc '0-9')
printf 'dimensions %s, depth 2, %s days x %s turns: %s series judged in %s s, peak %d MB\n' \
  "$DIMS" "$DAYS" "$PER_DAY" "$series" "$seconds" $((kb / 1024))
