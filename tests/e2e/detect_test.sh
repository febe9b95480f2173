#!/usr/bin/env bash
# End-to-end detection: simulate six days of the demo scenario (its first three regressions),
# ingest, detect, and check the backtest against the simulator's truth.
# Usage: detect_test.sh VIGIL SOURCE_DIR
set -u
VIGIL=$1
SRC=$2
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cp "$SRC/examples/speech/vigil.yaml" "$work/vigil.yaml"
fail() { echo "FAIL: $*" >&2; exit 1; }

"$VIGIL" simulate --scenario demo --days 6 --events-per-day 100000 --seed 5 --out "$work/sim" 2>/dev/null ||
  fail "simulate"
"$VIGIL" ingest --config "$work/vigil.yaml" --quiet "$work/sim/events.jsonl" || fail "ingest"
"$VIGIL" detect --config "$work/vigil.yaml" --json "$work/incidents.json" >"$work/detect.out" 2>&1 ||
  fail "detect: $(cat "$work/detect.out")"
"$VIGIL" backtest --config "$work/vigil.yaml" --truth "$work/sim/truth.json" --json "$work/bt.json" \
  >"$work/backtest.out" 2>&1 || fail "backtest: $(cat "$work/backtest.out")"
cat "$work/backtest.out"

/usr/bin/python3 - "$work/incidents.json" "$work/bt.json" <<'PY'
import json, sys
incidents = json.load(open(sys.argv[1]))["incidents"]
bt = json.load(open(sys.argv[2]))
checks = {
    "incidents written in the DESIGN §5 format":
        len(incidents) > 0 and all(i["id"].startswith("inc-") and "root_causes" in i and
                                   "anomalies" in i for i in incidents),
    "every injected regression of the period found": bt["recall"] == 1.0,
    "the latency step lands on its exact slice (platform=watchOS,asr_model=asr-42)":
        any(t["id"] == "t1" and t["found"] and t["exact_slice"] for t in bt["truth"]),
    "the failure spike is found within two 5-minute buckets":
        any(t["id"] == "t3" and t["found"] and t["delay_minutes"] <= 10 for t in bt["truth"]),
    "at most one false incident per day": bt["false_incidents_per_day"] <= 1.0,
    "no incident from a decoy": bt["decoy_incidents"] == 0,
}
failed = [name for name, ok in checks.items() if not ok]
for name in failed:
    print("FAIL:", name)
print(f"{len(checks) - len(failed)} passed, {len(failed)} failed")
sys.exit(1 if failed else 0)
PY
