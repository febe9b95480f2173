#!/usr/bin/env bash
# The multivariate detector end to end: a simulated fleet where asr_final latency, asr errors and
# rephrases all rise a little at once, everywhere, each by less than what the example config asks
# of its metric alone. `vigil run` with the example's detectors (seasonal, cusum, multivariate)
# opens an incident on all traffic that the multivariate detector found, whose attributions name
# metrics the regression moved, in the document, the summary and the report; without
# `multivariate` in the list nothing is found on all traffic.
# Usage: multivariate_test.sh VIGIL SOURCE_DIR
set -u
VIGIL=$1
SRC=$2
source "$SRC/tests/e2e/lib.sh"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

cat >"$work/joint.yaml" <<'EOF'
name: joint-e2e
days: 8
events_per_day: 100000
incidents:
  - {id: t1, kind: joint, slice: {}, stage: asr_final, size: 0.08, error: 0.004, rephrase: 0.008,
     onset: 7d3h, duration: 12h}
EOF
"$VIGIL" simulate --scenario "$work/joint.yaml" --seed 3 --out "$work/sim" 2>"$work/sim.err"
check "simulate the joint regression" test $? = 0
check "the truth lists the moved metrics" grep -q '"moved"' "$work/sim/truth.json"

cp "$SRC/examples/speech/vigil.yaml" "$work/with.yaml"
check "the example config lists the multivariate detector" \
  grep -q "detectors: \[seasonal, cusum, multivariate\]" "$work/with.yaml"
sed -e '/detectors: \[seasonal, cusum, multivariate\]/d' -e 's#path: vigil.db#path: without.db#' \
  "$work/with.yaml" >"$work/without.yaml"
(cd "$work" && "$VIGIL" run --config with.yaml sim/events.jsonl --quiet --json with.json \
  --report with.html >with.out 2>with.err)
check "run with the multivariate detector" test $? = 0
(cd "$work" && "$VIGIL" run --config without.yaml sim/events.jsonl --quiet --json without.json \
  >without.out 2>without.err)
check "run without it" test $? = 0

/usr/bin/python3 - "$work" <<'PY'
import json, sys
work = sys.argv[1]
truth = json.load(open(f"{work}/sim/truth.json"))["incidents"][0]
moved = set(truth["moved"])
start, end = truth["start"], truth["end"]
def on_all(path):
    return [i for i in json.load(open(path))["incidents"] if i["slice"] == {}]
assert not on_all(f"{work}/without.json"), "found on all traffic without the multivariate detector"
found = [i for i in on_all(f"{work}/with.json")
         if i["detector"] == "multivariate" and start <= i["start"] < end]
assert found, "the multivariate detector did not find the joint regression"
at = found[0]["attributions"]
top = [f["metric"] for f in at["features"][:3]]
assert set(top) <= moved, f"top attributions {top} are not all moved metrics {sorted(moved)}"
assert found[0]["metric"] == top[0], "the incident is not reported under its top attribution"
values = sum(f["value"] for f in at["features"])
assert abs(values - (at["score"] - at["base"])) < 1e-3 * len(at["features"]), "values do not add up"
assert "made the slice look abnormal" in found[0]["summary"], found[0]["summary"]
PY
check "only the multivariate detector finds it, named by the metrics it moved" test $? = 0
check "the report draws the attributions" grep -q "Why the slice looked abnormal" "$work/with.html"
finish
