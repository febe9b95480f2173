#!/usr/bin/env bash
# Random worlds end to end: `vigil simulate --world random` draws a world from the seed, keeps it
# as world.yaml (which replays the same events), records each incident's detectability; two
# small worlds then go through `vigil run` and `vigil backtest` with the example config
# unchanged (the quality benchmark, bench/quality.sh, does the same over 40 full-size worlds).
# Usage: random_world_test.sh VIGIL SOURCE_DIR
set -u
VIGIL=$1
SRC=$2
source "$SRC/tests/e2e/lib.sh"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

"$VIGIL" simulate --world random --seed 7 --days 4 --events-per-day 4000 --out "$work/w7" 2>"$work/w7.err"
check "simulate --world random succeeds" test $? = 0
check "the world is kept as world.yaml" grep -q "^name: random-7" "$work/w7/world.yaml"
"$VIGIL" simulate --scenario "$work/w7/world.yaml" --seed 7 --days 4 --events-per-day 4000 \
  --out "$work/replay" 2>/dev/null
check "world.yaml replays the same events" cmp -s "$work/w7/events.jsonl" "$work/replay/events.jsonl"
check "and the same truth" cmp -s "$work/w7/truth.json" "$work/replay/truth.json"
"$VIGIL" simulate --world random --seed 8 --days 4 --events-per-day 4000 --out "$work/w8" 2>/dev/null
check "another seed draws another world" bash -c "! cmp -s '$work/w7/world.yaml' '$work/w8/world.yaml'"
"$VIGIL" simulate --world flat --out "$work/bad" >"$work/bad.out" 2>&1
check "an unknown world is a usage error" test $? = 2
"$VIGIL" simulate --world random --scenario demo --out "$work/bad" >"$work/bad2.out" 2>&1
check "--world and --scenario exclude each other" test $? = 2

for seed in 101 102; do
  dir="$work/run$seed"
  mkdir -p "$dir"
  cp "$SRC/examples/speech/vigil.yaml" "$dir/vigil.yaml"
  "$VIGIL" simulate --world random --seed $seed --days 5 --events-per-day 30000 --out "$dir/sim" 2>/dev/null
  check "world $seed: simulate" test $? = 0
  (cd "$dir" && "$VIGIL" run --config vigil.yaml sim/events.jsonl --quiet --json incidents.json \
    --report report.html >run.out 2>run.err)
  check "world $seed: run succeeds" test $? = 0
  (cd "$dir" && "$VIGIL" backtest --config vigil.yaml --truth sim/truth.json --json bt.json \
    >bt.out 2>&1)
  check "world $seed: backtest succeeds" test $? = 0
  /usr/bin/python3 - "$dir/sim/truth.json" "$dir/bt.json" <<'PY'
import json, sys
truth = json.load(open(sys.argv[1]))
bt = json.load(open(sys.argv[2]))
ok = all(isinstance(i["detectability"], (int, float)) and i["detectability"] >= 0
         for i in truth["incidents"]) and 0 <= bt["recall"] <= 1
sys.exit(0 if ok else 1)
PY
  check "world $seed: every incident has a detectability and the backtest scores recall" test $? = 0
done
finish
