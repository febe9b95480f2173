#!/usr/bin/env bash
# End-to-end test of the service over a followed directory (server.follow): a writer appends four
# days of telemetry in parts, rotates its file half-way, and the server is killed with SIGKILL
# mid-stream and restarted. The served cube must equal a batch ingest of the same events (no turn
# lost, none counted twice), each bucket is judged as it closes, and every incident is notified
# once when it opens and once when it resolves, across the restart.
# Usage: follow_test.sh VIGIL SOURCE_DIR
set -u
VIGIL=$1
SRC=$2
work=$(mktemp -d); [ -n "${KEEP:-}" ] && echo "work: $work"
trap 'stop_server KILL; [ -n "${KEEP:-}" ] || rm -rf "$work"' EXIT
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/serve_lib.sh"

cp "$SRC/examples/speech/vigil.yaml" "$work/vigil.yaml"
sed 's#path: vigil.db#path: batch.db#' "$work/vigil.yaml" >"$work/batch.yaml"
cat >>"$work/vigil.yaml" <<'YML'

server:
  token: secret
  follow: [incoming]
  lateness: 5m
YML
"$VIGIL" simulate --scenario demo --days 4 --events-per-day 50000 --seed 5 --out "$work/sim" >/dev/null 2>&1
events=$(wc -l <"$work/sim/events.jsonl")
mkdir "$work/incoming" "$work/parts"
split -n l/24 -d -a 2 "$work/sim/events.jsonl" "$work/parts/part."

healthz_events() {
  /usr/bin/python3 -c 'import json,sys,urllib.request; print(json.load(urllib.request.urlopen(sys.argv[1] + "/healthz", timeout=5))["events"])' "$BASE" 2>/dev/null
}
wait_for() {  # wait_for SECONDS COMMAND...: until COMMAND succeeds
  local tries=$(($1 * 10))
  shift
  for _ in $(seq "$tries"); do
    "$@" && return 0
    sleep 0.1
  done
  return 1
}
has_events() { [ "$(healthz_events)" = "$1" ]; }
judged_before() {
  curl -s "$BASE/metrics" | awk '$1 == "vigil_judged_before_seconds" { print $2 }'
}
closes() {  # closes PART: the start of the first bucket its last event leaves open (Unix seconds)
  tail -n 1 "$work/parts/part.$1" | /usr/bin/python3 -c '
import datetime, json, sys
t = datetime.datetime.fromisoformat(json.loads(sys.stdin.read())["ts"].replace("Z", "+00:00"))
s = int(t.timestamp()) // 300 * 300 - 300  # its bucket, less 5 minutes of lateness
print(s // 300 * 300)'
}
judged_past() { [ "$(judged_before)" -ge "$1" ] 2>/dev/null; }
append() {  # append FIRST LAST [wait]: parts FIRST..LAST to the followed file, as a writer would;
  # with `wait`, each part is judged before the next is written (a live stream's pace)
  for i in $(seq -f '%02g' "$1" "$2"); do
    cat "$work/parts/part.$i" >>"$work/incoming/events.jsonl"
    if [ "${3:-}" = wait ]; then
      wait_for 60 judged_past "$(closes "$i")" || echo "part $i was not judged in time" >&2
    fi
  done
}

check "the server starts" start_server "$work/vigil.yaml" "$work/serve.log"
append 0 7
mv "$work/incoming/events.jsonl" "$work/incoming/events.jsonl.1"  # rotation
append 8 19 wait
held=$(cat "$work/parts/part."{00..19} | wc -l)
check "appended lines land, across a rotation" has_events "$held"
check "closed buckets are judged as they arrive" grep -q "judged buckets to" "$work/serve.log"
stop_server KILL
# Lines appended while nobody follows; the restart reads on from the stored offsets, and judges
# everything again without notifying anything twice.
append 20 21
check "the server starts again after SIGKILL" start_server "$work/vigil.yaml" "$work/serve2.log"
append 22 23 wait
check "every event lands once: no line lost or read twice across the restart" \
  wait_for 60 has_events "$events"
check "the stream is judged to its last closed bucket" \
  grep -q "judged buckets to 2026-03-05T23:50:00Z" "$work/serve2.log"
curl -s "$BASE/metrics" >"$work/metrics.txt"
check "no event was late" contains "$work/metrics.txt" "vigil_late_events_total 0"
check "/metrics counts the rounds" grep -Eq '^vigil_judge_rounds_total [1-9]' "$work/metrics.txt"
check "/metrics reports the notification lag" contains "$work/metrics.txt" 'vigil_notification_lag_seconds{round="max"}'
stop_server TERM
check "SIGTERM stops it" [ $? = 0 ]

"$VIGIL" ingest --config "$work/batch.yaml" --quiet "$work/sim/events.jsonl"
for metric in e2e_p95 volume failure_rate; do
  "$VIGIL" query --config "$work/vigil.yaml" --metric $metric --slice platform=watchOS --csv >"$work/served.csv" 2>/dev/null
  "$VIGIL" query --config "$work/batch.yaml" --metric $metric --slice platform=watchOS --csv >"$work/batch.csv" 2>/dev/null
  check "the followed store equals a batch ingest ($metric)" cmp -s "$work/served.csv" "$work/batch.csv"
done

# alerts.jsonl (the example's jsonl sink): one line per notification.
/usr/bin/python3 - "$work/alerts.jsonl" >"$work/notifications.txt" <<'PY'
import collections, json, sys
kinds = collections.Counter()
for line in open(sys.argv[1]):
    n = json.loads(line)
    kinds[(n["incident"]["id"], n["kind"])] += 1
for (incident, kind), count in sorted(kinds.items()):
    print(incident, kind, count)
PY
check "incidents were notified" [ -s "$work/notifications.txt" ]
check "no incident is notified twice for the same change, across the restart" \
  awk '$3 != 1 { exit 1 }' "$work/notifications.txt"
check "the asr-42 regression fires once and resolves once" \
  grep -q "inc-3b27c452f2ad firing 1" "$work/notifications.txt"
check "... and resolves once" grep -q "inc-3b27c452f2ad resolved 1" "$work/notifications.txt"
check "a resolved incident was firing first" \
  awk '$2 == "resolved" { r[$1] = 1 } $2 == "firing" { f[$1] = 1 } END { for (i in r) if (!(i in f)) exit 1 }' \
  "$work/notifications.txt"
finish
