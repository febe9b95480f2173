#!/usr/bin/env bash
# End-to-end tests of the supported time range: times and durations outside it are refused at
# every entry (events, flags, configs, truth files), and no refused input poisons the store.
# Usage: time_range_test.sh VIGIL SOURCE_DIR
set -u
VIGIL=$1
SRC=$2
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
source "$(dirname "$0")/lib.sh"
run() {  # run EXPECTED_CODE OUT ARGS...: runs vigil (60 s at most), keeps stdout+stderr in OUT
  local want=$1 out=$2
  shift 2
  timeout 60 "$VIGIL" "$@" >"$out" 2>&1
  local got=$?
  if [ "$got" != "$want" ]; then
    echo "exit code $got, expected $want: vigil $*" >&2
    sed 's/^/  | /' "$out" | head -20 >&2
    return 1
  fi
}

cp "$SRC/examples/speech/vigil.yaml" "$work/vigil.yaml"
events="$SRC/examples/speech/events.jsonl"
check "ingest the example" run 0 "$work/out" ingest --config "$work/vigil.yaml" "$events"

# Each of these timestamps was once accepted and broke every later command.
line=$(head -1 "$events")
bad_ts=(-9223372036854775808 9223372036854775807 -8.9e15 8.9e15 '"0000-01-01T00:00:00Z"' '"9999-12-31T23:59:59Z"')
n=0
for ts in "${bad_ts[@]}"; do
  n=$((n + 1))
  # the first line's ts replaced; one good line after it
  echo "$line" | sed -E "s/\"ts\": *(\"[^\"]*\"|[-0-9.e]+)/\"ts\": $ts/" >"$work/bad$n.jsonl"
  sed -n 2p "$events" >>"$work/bad$n.jsonl"
  check "bad ts $ts: the good line is kept" run 0 "$work/out" ingest --config "$work/vigil.yaml" "$work/bad$n.jsonl"
  check "bad ts $ts: named with its line" contains "$work/out" "bad$n.jsonl:1:"
  check "bad ts $ts: the range is named" contains "$work/out" "supported range"
done
check "query still works" run 0 "$work/out" query --config "$work/vigil.yaml"
check "series still works" run 0 "$work/out" query --config "$work/vigil.yaml" --metric volume --granularity 1h --csv
check "detect still works" run 0 "$work/out" detect --config "$work/vigil.yaml" --json "$work/inc.json"

# Events at both ends of the supported range are kept, and the store stays usable: a series
# without a start covers the latest limits.max_series_points buckets, not 230 years of them.
echo "$line" | sed -E 's/"ts": *("[^"]*"|[-0-9.e]+)/"ts": "1970-01-01T00:00:01Z"/' >"$work/edges.jsonl"
echo "$line" | sed -E 's/"ts": *("[^"]*"|[-0-9.e]+)/"ts": "2199-12-31T23:59:59Z"/' >>"$work/edges.jsonl"
check "edge times are accepted" run 0 "$work/out" ingest --config "$work/vigil.yaml" "$work/edges.jsonl"
check "summary after edge times" run 0 "$work/out" query --config "$work/vigil.yaml"
check "default series after edge times" run 0 "$work/out" query --config "$work/vigil.yaml" --metric volume --csv
check "an explicit 230-year series at 5m is refused" run 2 "$work/out" query --config "$work/vigil.yaml" --metric volume --from 1970-01-02 --to 2199-01-01
check "the refusal names the limit" contains "$work/out" "limits.max_series_points"
check "detect after edge times" run 0 "$work/out" detect --config "$work/vigil.yaml" --json "$work/inc.json"
check "report after edge times" run 0 "$work/out" report --config "$work/vigil.yaml" --out "$work/report.html"

# Durations: checked before they are multiplied.
check "huge --granularity is refused" run 2 "$work/out" query --config "$work/vigil.yaml" --metric volume --granularity 2305843009213693652s
check "the duration names the bound" contains "$work/out" "longer than"
printf 'input:\n  dimensions: [a]\ncube:\n  granularity: 18014398509481984w\n' >"$work/huge.yaml"
check "huge cube.granularity fails config check" run 2 "$work/out" config check "$work/huge.yaml"
check "it names the line and key" contains "$work/out" "huge.yaml:4: key 'cube.granularity'"
sed 's/^detect:/detect:\n  timezone: Mars\/Olympus/' "$work/vigil.yaml" >"$work/tz.yaml"
grep -q '^detect:' "$work/vigil.yaml" || printf 'detect:\n  timezone: Mars/Olympus\n' >>"$work/tz.yaml"
check "unknown detect.timezone fails config check" run 2 "$work/out" config check "$work/tz.yaml"
check "the zone is named" contains "$work/out" "Mars/Olympus"

# A malformed truth file is a clear error, not "internal error".
printf '{"start": "2026-03-02", "end": "2026-03-03", "incidents": [], "decoys": "x"}' >"$work/truth.json"
check "malformed truth exits 1" run 1 "$work/out" backtest --config "$work/vigil.yaml" --truth "$work/truth.json" "$events"
check "malformed truth names the field" contains "$work/out" "field 'decoys' must be a list"
check "no internal error" bash -c "! grep -q 'internal error' '$work/out'"
finish
