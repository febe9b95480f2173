#!/usr/bin/env bash
# End-to-end test of `producer | vigil serve --stdin`: events arriving on standard input are
# queryable while the producer still writes, a bad or over-long line costs that line only, and
# the served store ends equal to a batch ingest of the same events.
# Usage: stream_test.sh VIGIL SOURCE_DIR
set -u
VIGIL=$1
SRC=$2
work=$(mktemp -d)
trap 'exec 3>&- 2>/dev/null; stop_server KILL; rm -rf "$work"' EXIT
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/serve_lib.sh"

cp "$SRC/examples/speech/vigil.yaml" "$work/vigil.yaml"
sed 's#path: vigil.db#path: batch.db#' "$work/vigil.yaml" >"$work/batch.yaml"
"$VIGIL" simulate --scenario demo --days 1 --events-per-day 3000 --seed 3 --out "$work/sim" >/dev/null 2>&1
events=$(wc -l <"$work/sim/events.jsonl")
head -n 1000 "$work/sim/events.jsonl" >"$work/first.jsonl"
tail -n +1001 "$work/sim/events.jsonl" >"$work/rest.jsonl"

healthz_events() {
  /usr/bin/python3 -c 'import json,sys,urllib.request; print(json.load(urllib.request.urlopen(sys.argv[1] + "/healthz", timeout=5))["events"])' "$BASE" 2>/dev/null
}
wait_for_events() {  # wait_for_events N: until /healthz counts N events (10 s at most)
  for _ in $(seq 100); do
    [ "$(healthz_events)" = "$1" ] && return 0
    sleep 0.1
  done
  return 1
}

mkfifo "$work/in.fifo"
: >"$work/serve.log"
"$VIGIL" serve --config "$work/vigil.yaml" --listen 127.0.0.1:0 --stdin <"$work/in.fifo" >"$work/serve.log" 2>&1 &
SERVER_PID=$!
exec 3>"$work/in.fifo"
BASE=
for _ in $(seq 100); do
  BASE=$(grep -o 'http://127.0.0.1:[0-9]*' "$work/serve.log" | head -1)
  [ -n "$BASE" ] && break
  sleep 0.1
done
check "the server starts with its store empty" [ "$(healthz_events)" = 0 ]
cat "$work/first.jsonl" >&3
check "events are queryable while the producer still writes" wait_for_events 1000
echo '{"ts": "not a time"}' >&3
head -c 3000000 /dev/zero | tr '\0' 'x' >&3  # a 3 MB line: over limits.max_line_bytes
echo >&3
cat "$work/rest.jsonl" >&3
exec 3>&-
check "every good event lands; the bad line costs that line only" wait_for_events "$events"
for _ in $(seq 50); do grep -q "stdin ended: " "$work/serve.log" && break; sleep 0.1; done
check "stdin's end is reported with its counts" contains "$work/serve.log" "bad lines)"
check "the bad line is named with its line in the stream" contains "$work/serve.log" "stdin:1001: field 'ts'"
check "an over-long line is dropped as it arrives, named" contains "$work/serve.log" "stdin:1002: line of more than 1048576 bytes"
check "both bad lines are counted" contains "$work/serve.log" "(2 bad lines)"
check "the server keeps serving after stdin ends" [ "$(healthz_events)" = "$events" ]
stop_server TERM
check "SIGTERM stops it" [ $? = 0 ]

"$VIGIL" ingest --config "$work/batch.yaml" --quiet "$work/sim/events.jsonl"
"$VIGIL" query --config "$work/vigil.yaml" --metric e2e_p95 --csv >"$work/served.csv" 2>/dev/null
"$VIGIL" query --config "$work/batch.yaml" --metric e2e_p95 --csv >"$work/batch.csv" 2>/dev/null
check "the streamed store equals a batch ingest" cmp -s "$work/served.csv" "$work/batch.csv"
finish
