#!/usr/bin/env bash
# The service under a replay: simulated days are written one at a time into a directory that
# `vigil serve` follows (server.follow), as fast as it takes them (an accelerated clock), with a
# retention. After each day: the service's resident memory, the store's size, the ingest rate of
# that day, the rounds of detection and the largest notification lag so far (from /metrics).
# Usage: bench/service_replay.sh VIGIL [DAYS] [TURNS_PER_DAY] [RETENTION] [TIERS]
#   e.g. bench/service_replay.sh build/vigil 30 1000000 7d
#        bench/service_replay.sh build/vigil 8 300000 1d 1h:3d   (cube.tiers: hourly for 3 days)
set -euo pipefail
VIGIL=$(realpath "$1")
DAYS=${2:-10}
PER_DAY=${3:-100000}
RETENTION=${4:-3d}
TIERS=${5:-}
SRC=$(cd "$(dirname "$0")/.." && pwd)
work=$(mktemp -d)
pid=
trap 'kill "$pid" 2>/dev/null || true; wait 2>/dev/null || true; rm -rf "$work"' EXIT

sed 's/^  granularity: 5m$/  granularity: 5m\n  retention: '"$RETENTION"'/' "$SRC/examples/speech/vigil.yaml" |
  sed 's/sinks: \[stdout, log\]/sinks: [log]/' >"$work/vigil.yaml"
grep -q "retention: $RETENTION" "$work/vigil.yaml" || { echo "cannot set cube.retention" >&2; exit 1; }
if [ -n "$TIERS" ]; then
  tiers=$(echo "$TIERS" | tr ',' '\n' | awk -F: '{ printf "%s{granularity: %s, retention: %s}", (NR > 1 ? ", " : ""), $1, $2 }')
  sed -i "s/^  retention: $RETENTION\$/  retention: $RETENTION\n  tiers: [$tiers]/" "$work/vigil.yaml"
  grep -q "tiers: \[" "$work/vigil.yaml" || { echo "cannot set cube.tiers" >&2; exit 1; }
fi
cat >>"$work/vigil.yaml" <<'YML'

server:
  follow: [incoming]
  lateness: 5m
YML
mkdir "$work/incoming"
"$VIGIL" serve --config "$work/vigil.yaml" --listen 127.0.0.1:0 >"$work/serve.out" 2>"$work/serve.err" &
pid=$!
for _ in $(seq 100); do
  base=$(grep -o 'http://127.0.0.1:[0-9]*' "$work/serve.out" | head -1 || true)
  [ -n "$base" ] && break
  sleep 0.1
done
metric() { curl -s "$base/metrics" | awk -v m="$1" '$1 == m { print $2 }'; }
ingested() { metric vigil_ingested_events_total; }

echo "replay: $DAYS days x $PER_DAY turns/day, cube.retention $RETENTION${TIERS:+, tiers $TIERS}, lateness 5m"
printf '%4s %10s %10s %12s %9s %9s %8s %10s\n' day turns "turns/s" "held" "rss_MB" "store_MB" rounds "max_lag_s"
total=0
for day in $(seq 0 $((DAYS - 1))); do
  start=$(date -u -d "2026-03-02 + $day days" +%Y-%m-%dT00:00:00Z)
  "$VIGIL" simulate --scenario demo --days 1 --events-per-day "$PER_DAY" --seed $((day + 1)) \
    --start "$start" --out "$work/sim" >/dev/null 2>&1
  lines=$(wc -l <"$work/sim/events.jsonl")
  total=$((total + lines))
  t0=$(date +%s.%N)
  mv "$work/sim/events.jsonl" "$work/incoming/day-$(printf %03d "$day").jsonl"
  while [ "$(ingested)" != "$total" ]; do sleep 0.05; done
  t1=$(date +%s.%N)
  rss=$(awk '/VmRSS/ { printf "%.0f", $2 / 1024 }' "/proc/$pid/status")
  store=$(du -cm "$work"/vigil.db* | tail -1 | cut -f1)
  printf '%4d %10d %10.0f %12s %9s %9s %8s %10s\n' "$((day + 1))" "$lines" \
    "$(echo "$lines / ($t1 - $t0)" | bc -l)" "$(metric vigil_cube_events)" "$rss" "$store" \
    "$(metric vigil_judge_rounds_total)" "$(curl -s "$base/metrics" | awk '/notification_lag_seconds\{round="max"\}/ { print $2 }')"
  rm -f "$work/incoming/day-$(printf %03d "$day").jsonl"  # as a log shipper would, once read
done
sleep 3
echo "last round: $(metric vigil_judge_round_seconds) s; notifications: $(cat "$work/alerts.jsonl" 2>/dev/null | wc -l)"
echo "rounds: $(grep -c 'judged buckets' "$work/serve.err"); failures: $(metric vigil_judge_failures_total); expired events: $(metric vigil_expired_events_total)"
