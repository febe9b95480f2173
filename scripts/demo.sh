#!/usr/bin/env bash
# The main job of `make demo`: simulate a fortnight of speech telemetry with injected regressions,
# then `vigil run` (ingest, detect, explain, incidents with owners, notifications), and compare
# the incidents with the ground truth. Usage: scripts/demo.sh VIGIL OUT_DIR
set -euo pipefail
VIGIL=$1
OUT=$2
SRC=$(cd "$(dirname "$0")/.." && pwd)
DAYS=${DEMO_DAYS:-14}
PER_DAY=${DEMO_EVENTS_PER_DAY:-150000}

mkdir -p "$OUT"
rm -f "$OUT"/vigil.db "$OUT"/vigil.db-wal "$OUT"/vigil.db-shm "$OUT"/alerts.jsonl
cp "$SRC/examples/speech/vigil.yaml" "$OUT/vigil.yaml"  # its store lands next to it

echo "== simulate: $DAYS days x $PER_DAY events/day, scenario 'demo'"
"$VIGIL" simulate --scenario demo --days "$DAYS" --events-per-day "$PER_DAY" --seed 7 --out "$OUT/sim"

echo
echo "== run: ingest, detect, explain, incidents routed to their owners (one line per notification), report"
"$VIGIL" run --config "$OUT/vigil.yaml" "$OUT/sim/events.jsonl" --json "$OUT/incidents.json" \
  --report "$OUT/report.html"

echo
echo "== open incidents"
"$VIGIL" incidents --config "$OUT/vigil.yaml" --status open


echo
echo "== the cube"
"$VIGIL" query --config "$OUT/vigil.yaml"

echo
echo "== e2e_p95, all traffic, daily"
"$VIGIL" query --config "$OUT/vigil.yaml" --metric e2e_p95 --granularity 1d

echo
echo "== backtest against the simulator's ground truth"
"$VIGIL" backtest --config "$OUT/vigil.yaml" --truth "$OUT/sim/truth.json" "$OUT/sim/events.jsonl"

echo
echo "== injected incidents (ground truth)"
/usr/bin/env python3 - "$OUT/sim/truth.json" <<'PY' 2>/dev/null || cat "$OUT/sim/truth.json"
import json, sys
t = json.load(open(sys.argv[1]))
for i in t["incidents"]:
    s = ",".join(f"{k}={v}" for k, v in i["slice"].items()) or "all"
    print(f"  {i['id']:<4} {i['kind']:<22} {i['start']}  {s}  ({', '.join(i['metrics'])})")
for d in t.get("decoys", []):
    print(f"  decoy {d['kind']:<18} {d['start']}")
PY

echo
echo "outputs:"
echo "  events   $OUT/sim/events.jsonl"
echo "  truth    $OUT/sim/truth.json"
echo "  store    $OUT/vigil.db"
echo "  incidents $OUT/incidents.json (DESIGN §5 format, with status and owner)"
echo "  alerts   $OUT/alerts.jsonl (the notifications, one JSON object per line)"
echo "  report   $OUT/report.html (open it in a browser; the dashboard: $VIGIL serve --config $OUT/vigil.yaml)"
echo "  config   $OUT/vigil.yaml  (try: $VIGIL query --config $OUT/vigil.yaml --metric e2e_p95 --slice platform=watchOS --granularity 1h)"
