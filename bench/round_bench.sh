#!/usr/bin/env bash
# One round of the service's detection for one closed bucket: `vigil serve` follows a directory
# on a copy of the speech example, takes a simulated fortnight (the first round judges it all),
# then five-minute parts of the next hour, one at a time; each part closes a bucket, and the
# round that judges it is timed (vigil_judge_round_seconds: detection carried from the last round,
# explanation, incident update and notification).
# Usage: bench/round_bench.sh VIGIL [DAYS] [TURNS_PER_DAY]
set -euo pipefail
VIGIL=$(realpath "$1")
DAYS=${2:-14}
PER_DAY=${3:-150000}
SRC=$(cd "$(dirname "$0")/.." && pwd)
work=$(mktemp -d)
pid=
trap '[ -n "$pid" ] && kill "$pid" 2>/dev/null; wait 2>/dev/null || true; rm -rf "$work"' EXIT

sed 's/sinks: \[stdout, log\]/sinks: [log]/' "$SRC/examples/speech/vigil.yaml" >"$work/vigil.yaml"
cat >>"$work/vigil.yaml" <<'YML'

server:
  follow: [incoming]
  lateness: 5m
YML
mkdir "$work/incoming"
"$VIGIL" simulate --scenario demo --days $((DAYS + 1)) --events-per-day "$PER_DAY" --seed 7 \
  --start 2026-03-02T00:00:00Z --out "$work/sim" >/dev/null 2>&1
end=$(date -u -d "2026-03-02 + $DAYS days" +%Y-%m-%dT%H:%M:%S)
# The history, then twelve five-minute parts of the next hour.
awk -v end="$end" -v dir="$work" '{
  ts = substr($0, 8, 19)
  if (ts < end) { print > (dir "/history.jsonl"); next }
  split(substr(ts, 12, 8), hms, ":")
  part = int(hms[2] / 5)
  if (hms[1] != substr(end, 12, 2)) exit
  print > (dir "/part-" sprintf("%02d", part) ".jsonl")
}' "$work/sim/events.jsonl"

"$VIGIL" serve --config "$work/vigil.yaml" --listen 127.0.0.1:0 >"$work/serve.out" 2>"$work/serve.err" &
pid=$!
base=
for _ in $(seq 100); do
  base=$(grep -o 'http://127.0.0.1:[0-9]*' "$work/serve.out" | head -1 || true)
  [ -n "$base" ] && break
  sleep 0.1
done
metric() { curl -s "$base/metrics" | awk -v m="$1" '$1 == m { print $2 }'; }
judged_before() { metric vigil_judged_before_seconds | awk '{ printf "%d", $1 }'; }
wait_judged() {  # until every bucket before $1 (epoch seconds) is judged
  while [ "$(judged_before)" -lt "$1" ]; do sleep 0.05; done
}
end_s=$(date -u -d "$end" +%s)

total=$(wc -l <"$work/history.jsonl")
t0=$(date +%s.%N)
mv "$work/history.jsonl" "$work/incoming/"
wait_judged $((end_s - 600))
printf 'history: %d turns over %d days ingested and judged in %.1f s (%s rounds, the last %s s)\n' \
  "$total" "$DAYS" "$(echo "$(date +%s.%N) - $t0" | bc -l)" "$(metric vigil_judge_rounds_total)" \
  "$(metric vigil_judge_round_seconds)"
printf '%5s %8s %10s %10s\n' part turns round_s lag_s
k=0
for part in "$work"/part-*.jsonl; do
  printf -v label '%s' "$(basename "$part" .jsonl | cut -d- -f2)"
  lines=$(wc -l <"$part")
  mv "$part" "$work/incoming/"
  wait_judged $((end_s + (k - 1) * 300))
  printf '%5s %8d %10s %10s\n' "$label" "$lines" "$(metric vigil_judge_round_seconds)" \
    "$(curl -s "$base/metrics" | awk '/notification_lag_seconds\{round="last"\}/ { print $2 }')"
  k=$((k + 1))
done
grep 'judged buckets' "$work/serve.err" | tail -1
