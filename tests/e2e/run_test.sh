#!/usr/bin/env bash
# End-to-end main job: `vigil run` ingests, detects, explains, stores incidents with their
# lifecycle, routes them to owners and notifies sinks once; then the people's commands:
# incidents, ack, feedback, silence, and the backtest's precision with feedback.
# Usage: run_test.sh VIGIL SOURCE_DIR
set -u
VIGIL=$1
SRC=$2
source "$SRC/tests/e2e/lib.sh"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }

sed '/^# Incidents:/,$d' "$SRC/examples/speech/vigil.yaml" >"$work/vigil.yaml"  # its own alert section
cat >>"$work/vigil.yaml" <<'YML'
alert:
  sinks:
    - {name: log, type: jsonl, path: alerts.jsonl}
  route:
    owner: sre
    sinks: [stdout, log]
    routes:
      - match: {stage: asr_final}
        owner: asr
YML

"$VIGIL" run --config "$work/vigil.yaml" >"$work/none.out" 2>&1
check "run on an empty store without events fails with exit 1" test $? = 1
check "and says to ingest first" contains "$work/none.out" "run \`vigil ingest\` first"

"$VIGIL" simulate --scenario demo --days 3 --events-per-day 150000 --seed 5 --out "$work/sim" 2>/dev/null ||
  fail "simulate"
"$VIGIL" run --config "$work/vigil.yaml" "$work/sim/events.jsonl" --quiet --json "$work/incidents.json" \
  --report "$work/report.html" >"$work/run1.out" 2>"$work/run1.err" || fail "run: $(cat "$work/run1.err")"
check "run writes the report" grep -q "</html>" "$work/report.html"
check "run prints one line per notification" contains "$work/run1.out" "owner=asr: Since 2026-03-04T14:"
check "run reports the lifecycle" contains "$work/run1.err" "lifecycle: "
lines=$(wc -l <"$work/alerts.jsonl")
check "the JSON Lines sink got the notifications" test "$lines" -gt 0

"$VIGIL" run --config "$work/vigil.yaml" --quiet --json "$work/incidents2.json" >"$work/run2.out" 2>"$work/run2.err" ||
  fail "rerun"
check "a re-run sends nothing" contains "$work/run2.err" "notifications: 0 sent"
check "a re-run stores no new incident" contains "$work/run2.err" "0 opened"
check "the sink got nothing more" test "$(wc -l <"$work/alerts.jsonl")" = "$lines"
check "a re-run gives the same incidents" cmp -s "$work/incidents.json" "$work/incidents2.json"

id=$(/usr/bin/python3 -c 'import json,sys; print([i for i in json.load(open(sys.argv[1]))["incidents"] if i["owner"] == "asr"][0]["id"])' "$work/incidents.json")
check "the asr_final regression is owned by asr" test -n "$id"
/usr/bin/python3 - "$work/incidents.json" <<'PY'
import json, sys
incs = json.load(open(sys.argv[1]))["incidents"]
ok = all(i["status"] in ("open", "resolved") and i["summary"].startswith("Since ") and
         i["severity"] in ("minor", "major", "critical") and
         0 < len(i["examples"]) <= 5 and all(e.startswith("req-") for e in i["examples"]) and
         all("<*>" in t["template"] or t["count"] >= 0 for t in i["error_templates"])
         for i in incs)
sys.exit(0 if ok and incs else 1)
PY
check "incidents carry status, severity, a summary, example request ids and error templates" test $? = 0

"$VIGIL" ack --config "$work/vigil.yaml" "$id" >"$work/ack.out" 2>&1
check "ack" test $? = 0
"$VIGIL" incidents --config "$work/vigil.yaml" --owner asr >"$work/list.out" 2>/dev/null
check "incidents --owner lists it" contains "$work/list.out" "$id"
"$VIGIL" feedback --config "$work/vigil.yaml" "$id" true_positive --note "asr-42 rollout" >/dev/null 2>&1
check "feedback is recorded" test $? = 0
"$VIGIL" feedback --config "$work/vigil.yaml" "$id" maybe >/dev/null 2>&1
check "an unknown verdict is bad usage (exit 2)" test $? = 2
"$VIGIL" feedback --config "$work/vigil.yaml" inc-000000000000 false_positive >"$work/fb.out" 2>&1
check "feedback on an unknown incident names it" contains "$work/fb.out" "no incident 'inc-000000000000'"
"$VIGIL" silence --config "$work/vigil.yaml" --match platform=watchOS --for 1h --comment "known" >/dev/null 2>&1
check "silence" test $? = 0
"$VIGIL" silence --config "$work/vigil.yaml" --list >"$work/silences.out" 2>&1
check "silence --list shows it" contains "$work/silences.out" "platform=watchOS"
"$VIGIL" silence --config "$work/vigil.yaml" --match nonsense >/dev/null 2>&1
check "a matcher without = is bad usage" test $? = 2

"$VIGIL" backtest --config "$work/vigil.yaml" --truth "$work/sim/truth.json" >"$work/bt.out" 2>&1 ||
  fail "backtest: $(cat "$work/bt.out")"
check "backtest reports precision per monitor with feedback" contains "$work/bt.out" "feedback 1 (1 true"
finish
