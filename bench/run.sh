#!/usr/bin/env bash
# Runs every benchmark and prints vigil's figures beside the tools a user would otherwise use,
# measured on the same data in the same run. Usage: bench/run.sh BUILD_DIR (make bench does it).
set -euo pipefail
BUILD=${1:-build-bench}
SRC=$(cd "$(dirname "$0")/.." && pwd)
OUT=$SRC/out/bench
mkdir -p "$OUT"
export VIGIL_SOURCE_DIR=$SRC

# ≥ 1 M events of the DESIGN §2.1 schema, from the simulator (a week at 150k events/day).
EVENTS=$OUT/events.jsonl
if [ ! -s "$EVENTS" ]; then
  "$BUILD/vigil" simulate --scenario demo --days 7 --events-per-day 150000 --seed 1 --out "$OUT/sim" >/dev/null
  mv "$OUT/sim/events.jsonl" "$EVENTS"
fi
export VIGIL_BENCH_EVENTS=$EVENTS

# Detection: 10,000 series x 2,016 five-minute buckets (a week), fixed seed, from detect_bench.
SERIES=$OUT/series.npy
if [ ! -s "$SERIES" ] && [ -x "$BUILD/bench/detect_bench" ]; then
  "$BUILD/bench/detect_bench" --write_series="$SERIES" --series=10000
fi
export VIGIL_BENCH_SERIES=$SERIES
# The statsmodels baseline scores only this prefix (about a minute); detect_bench scores it too.
export VIGIL_BENCH_DETECT_PREFIX=${VIGIL_BENCH_DETECT_PREFIX:-150}
echo "input: $EVENTS ($(wc -l <"$EVENTS") events, $(du -m "$EVENTS" | cut -f1) MB)"
echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs)"

for b in "$BUILD"/bench/*_bench; do
  name=$(basename "$b")
  echo
  echo "== $name"
  "$b" --benchmark_format=console --benchmark_out="$OUT/$name.json" --benchmark_out_format=json
done

echo
echo "== pandas, same file"
/usr/bin/python3 "$SRC/bench/pandas_ingest.py" "$EVENTS" | tee "$OUT/pandas_ingest.json"

echo
echo "== ratios"
/usr/bin/python3 - "$OUT" <<'PY' || echo "(ingest ratios unavailable: a bench JSON above is missing)"
import json, sys, os
out = sys.argv[1]
ing = json.load(open(os.path.join(out, "ingest_bench.json")))["benchmarks"]
by = {b["name"]: b for b in ing}
one = by["BM_VigilIngest/1/iterations:3/real_time"]
two = by["BM_VigilIngest/2/iterations:3/real_time"]
parse = by["BM_SimdjsonParseOnly/iterations:3/real_time"]
pandas = json.load(open(os.path.join(out, "pandas_ingest.json")))
v1 = one["events_per_s"]
print(f"vigil ingest, 1 thread : {v1/1e6:6.2f} M events/s  {one['bytes_per_second']/1e6:7.0f} MB/s")
print(f"vigil ingest, 2 threads: {two['events_per_s']/1e6:6.2f} M events/s  {two['bytes_per_second']/1e6:7.0f} MB/s "
      f"({two['events_per_s_per_core']/1e6:.2f} M/s per core)")
print(f"simdjson parse only    : {parse['events_per_s']/1e6:6.2f} M events/s  {parse['bytes_per_second']/1e6:7.0f} MB/s")
print(f"pandas                 : {pandas['events_per_s']/1e6:6.3f} M events/s")
print(f"vigil / parse-only     : {v1/parse['events_per_s']*100:5.1f} %   (target >= 50 %)")
print(f"vigil / pandas         : {v1/pandas['events_per_s']:5.1f} x   (target >= 30 x)")
PY

if [ -s "$SERIES" ]; then
  echo
  echo "== statsmodels STL + residual z-score, first $VIGIL_BENCH_DETECT_PREFIX of the same series"
  /usr/bin/python3 "$SRC/bench/statsmodels_detect.py" "$SERIES" --series "$VIGIL_BENCH_DETECT_PREFIX" \
    | tee "$OUT/statsmodels_detect.json" || rm -f "$OUT/statsmodels_detect.json"
fi

echo
echo "== detection ratios (points/s per core, CPU time, same series)"
/usr/bin/python3 - "$OUT" <<'PY' || echo "(detection ratios unavailable)"
import json, os, sys
out = sys.argv[1]
def load(name):
    try:
        with open(os.path.join(out, name)) as f:
            return json.load(f)
    except (OSError, ValueError):
        print(f"missing or unreadable: {name}")
        return None
vigil, sm = load("detect_bench.json"), load("statsmodels_detect.json")
if vigil is None:
    sys.exit(0)
runs = {b["name"]: b for b in vigil["benchmarks"] if "points_per_s" in b}
for name, b in runs.items():
    label = f"{name.split('/')[1]}, {int(b['series'])} series"
    print(f"vigil {label:<26}: {b['points_per_s']/1e6:6.3f} M points/s"
          f"  (flagged {b['flagged_share']*100:.2f} % of judged points)")
if sm is None:
    sys.exit(0)
n = sm["series"]
for v in sm["variants"]:
    label = f"{v['name']}, {n} series"
    print(f"statsmodels {label:<20}: {v['points_per_s']/1e6:6.3f} M points/s"
          f"  (flagged {v['flagged_share']*100:.2f} %; {v['cpu_seconds']:.1f} s CPU)")
print(f"(statsmodels scored the first {n} of {sm['series_in_file']} series; the ratios use vigil "
      f"on the same {n})")
for det in ("ensemble", "seasonal"):
    b = next((b for k, b in runs.items() if k.startswith(f"BM_Detect/{det}/series:{n}")), None)
    if b is None:
        print(f"no vigil run on the same {n} series (VIGIL_BENCH_DETECT_PREFIX differs?)")
        continue
    for v in sm["variants"]:
        target = "   (target >= 100 x)" if v["name"] == "stl" else ""
        print(f"vigil {det:<8} / {v['name']:<8}: {b['points_per_s']/v['points_per_s']:7.1f} x{target}")
PY

# Python: cube build in one process against vigil.dask on a LocalCluster of 1 and 2 workers, and
# the merge cost alone, on >= 2 M events (a week at 300k events/day).
if [ -d "$BUILD/python/vigil" ]; then
  EVENTS2M=$OUT/events-2m.jsonl
  if [ ! -s "$EVENTS2M" ]; then
    "$BUILD/vigil" simulate --scenario demo --days 7 --events-per-day 300000 --seed 1 --out "$OUT/sim-2m" >/dev/null
    mv "$OUT/sim-2m/events.jsonl" "$EVENTS2M"
  fi
  echo
  echo "== Python: cube build, one process vs vigil.dask (LocalCluster), same file"
  PYTHONPATH=$BUILD/python /usr/bin/python3 "$SRC/bench/python_dask_bench.py" "$EVENTS2M" \
    --json "$OUT/python_dask_bench.json" || echo "(python_dask_bench failed)"
fi
