#!/usr/bin/env bash
# Load figures of `vigil serve` (docs/BENCHMARKS.md, "Server"), on loopback only: wrk at 16
# connections on the read endpoints, on a stream of distinct series queries (bench/series_mix.lua),
# then on /healthz and /api/incidents while 64 slow clients and a flood of oversized heads attack
# the server (tests/e2e/slow_clients.py).
# Usage: bench/serve_load.sh VIGIL CONFIG [SECONDS_PER_RUN]; CONFIG's store holds the data.
set -euo pipefail
VIGIL=$1
CONFIG=$2
RUN_SECONDS=${3:-15}
SRC=$(cd "$(dirname "$0")/.." && pwd)
log=$(mktemp)
"$VIGIL" serve --config "$CONFIG" --listen 127.0.0.1:0 >"$log" 2>&1 &
pid=$!
trap 'kill "$pid" 2>/dev/null; wait "$pid" 2>/dev/null; rm -f "$log" "$log.attack"' EXIT
BASE=
for _ in $(seq 1200); do
  BASE=$(grep -o 'http://127.0.0.1:[0-9]*' "$log" | head -1) && [ -n "$BASE" ] && break
  kill -0 "$pid" || { cat "$log"; exit 1; }
  sleep 0.1
done
port=${BASE##*:}
rss() { echo "$(($(awk '/^VmRSS/ {print $2}' "/proc/$pid/status") / 1024)) MB"; }
echo "server: $("$VIGIL" --version 2>/dev/null || echo vigil), RSS $(rss) after loading; load average $(cut -d' ' -f1-3 /proc/loadavg)"
printf '%-44s %10s %10s %10s %s\n' "wrk -t2 -c16 -d${RUN_SECONDS}s" "req/s" "p50" "p99" "errors"
run() {
  local name=$1
  shift
  wrk -t2 -c16 -d"${RUN_SECONDS}s" --timeout 10s --latency "$@" 2>&1 | awk -v name="$name" '
    /Requests\/sec/ {rps = $2}
    /^ +50%/ {p50 = $2}
    /^ +99%/ {p99 = $2}
    /Socket errors/ {errors = errors $0}
    /Non-2xx/ {errors = errors " " $0}
    END {gsub(/ +/, " ", errors); printf "%-44s %10s %10s %10s %s\n", name, rps, p50, p99, errors}'
}
run "/api/incidents" "$BASE/api/incidents"
run "/metrics" "$BASE/metrics"
run "/api/series, one query" "$BASE/api/series?metric=e2e_p95&slice=platform=watchOS"
run "/api/series, distinct queries (1st run)" -s "$SRC/bench/series_mix.lua" "$BASE"
run "/api/series, distinct queries (2nd run)" -s "$SRC/bench/series_mix.lua" "$BASE"
/usr/bin/python3 "$SRC/tests/e2e/slow_clients.py" --port "$port" --slow 64 --flood 2 \
  --seconds $((2 * RUN_SECONDS + 6)) >"$log.attack" &
attack=$!
sleep 3
run "/healthz, 64 slow clients + header flood" "$BASE/healthz"
run "/api/incidents, 64 slow clients + flood" "$BASE/api/incidents"
wait "$attack"
echo "attack: $(cat "$log.attack")"
echo "server RSS at the end: $(rss)"
