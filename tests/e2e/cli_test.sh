#!/usr/bin/env bash
# End-to-end tests of the CLI: ingest then query on the speech example, bad input and exit codes.
# Usage: cli_test.sh VIGIL SOURCE_DIR
set -u
VIGIL=$1
SRC=$2
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
source "$(dirname "$0")/lib.sh"
run() {  # run EXPECTED_CODE OUT ARGS...: runs vigil, keeps stdout+stderr in OUT
  local want=$1 out=$2
  shift 2
  "$VIGIL" "$@" >"$out" 2>&1
  local got=$?
  if [ "$got" != "$want" ]; then
    echo "exit code $got, expected $want: vigil $*" >&2
    sed 's/^/  | /' "$out" >&2
    return 1
  fi
}

cp "$SRC/examples/speech/vigil.yaml" "$work/vigil.yaml"
events="$SRC/examples/speech/events.jsonl"

# config check
check "config check ok" run 0 "$work/out" config check "$work/vigil.yaml"
check "config check names metrics" contains "$work/out" "e2e_p95"
printf 'input:\n  dimensions: [a]\ncube:\n  granularty: 5m\n' >"$work/typo.yaml"
check "config typo exits 2" run 2 "$work/out" config check "$work/typo.yaml"
check "config typo names file, line and key" contains "$work/out" "typo.yaml:4: key 'cube.granularty'"
check "config typo suggests" contains "$work/out" "did you mean 'granularity'"
check "missing config exits 2" run 2 "$work/out" config check "$work/nope.yaml"

# ingest + query
check "ingest ok" run 0 "$work/out" ingest --config "$work/vigil.yaml" "$events"
check "ingest summary" contains "$work/out" "ingested 2,995 events from 1 file (0 bad lines)"
check "store created next to the config" test -f "$work/vigil.db"
check "query summary" run 0 "$work/out" query --config "$work/vigil.yaml"
check "summary lists dimensions" contains "$work/out" "asr_model"
check "query csv" run 0 "$work/csv" query --config "$work/vigil.yaml" --metric volume --granularity 1d --csv
check "csv header" test "$(head -1 "$work/csv")" = "time,value"
check "csv rows" test "$(tail -n +2 "$work/csv" | wc -l)" = 2
check "csv total" test "$(tail -n +2 "$work/csv" | awk -F, '{s+=$2} END {print s}')" = 2995
check "query slice" run 0 "$work/out" query --config "$work/vigil.yaml" --metric e2e_p95 \
  --slice platform=watchOS --from 2026-03-03T00:00:00Z --to 2026-03-04T00:00:00Z --granularity 6h
check "slice rows" test "$(grep -c '^2026-03-03T' "$work/out")" = 4
# The example's injected incident (truth.json: watchOS asr_final, 2026-03-03 10:00-16:00) shows.
"$VIGIL" query --config "$work/vigil.yaml" --metric asr_final_p95 --slice platform=watchOS \
  --from 2026-03-03 --to 2026-03-04 --granularity 6h --csv >"$work/inc.csv" 2>/dev/null
before=$(sed -n 2p "$work/inc.csv" | cut -d, -f2)
during=$(sed -n 4p "$work/inc.csv" | cut -d, -f2)
check "injected step visible in its slice" awk -v a="$before" -v b="$during" 'BEGIN { exit !(b > 1.5 * a) }'
check "unknown metric exits 2" run 2 "$work/out" query --config "$work/vigil.yaml" --metric e2e_p59
check "unknown metric suggests" contains "$work/out" "did you mean"
check "unknown value exits 2" run 2 "$work/out" query --config "$work/vigil.yaml" --metric volume --slice platform=watchO
check "bad time exits 2" run 2 "$work/out" query --config "$work/vigil.yaml" --metric volume --from yesterday
check "bad granularity exits 2" run 2 "$work/out" query --config "$work/vigil.yaml" --metric volume --granularity 7m

# Incremental: the second half after the first equals the whole.
head -n 1500 "$events" >"$work/a.jsonl"
tail -n +1501 "$events" >"$work/b.jsonl"
sed 's#path: vigil.db#path: inc.db#' "$work/vigil.yaml" >"$work/inc.yaml"
check "ingest a" run 0 "$work/out" ingest --config "$work/inc.yaml" "$work/a.jsonl"
check "ingest b" run 0 "$work/out" ingest --config "$work/inc.yaml" "$work/b.jsonl"
check "incremental csv" run 0 "$work/csv2" query --config "$work/inc.yaml" --metric e2e_p95 --csv
"$VIGIL" query --config "$work/vigil.yaml" --metric e2e_p95 --csv >"$work/csv1" 2>/dev/null
check "incremental equals whole" cmp -s "$work/csv1" "$work/csv2"

# The ingest ledger: the same content again (under any name) is skipped, --force counts it again,
# a stream is always read.
check "again is skipped" run 0 "$work/out" ingest --config "$work/inc.yaml" "$work/b.jsonl"
check "skip says why" contains "$work/out" "b.jsonl: skipped: its content was ingested on"
check "nothing new" contains "$work/out" "nothing new to ingest; it holds 2,995 events"
cp "$work/a.jsonl" "$work/a-copy.jsonl"
check "a copy is skipped" run 0 "$work/out" ingest --config "$work/inc.yaml" "$work/a-copy.jsonl"
check "incremental still equals whole" run 0 "$work/csv3" query --config "$work/inc.yaml" --metric e2e_p95 --csv
check "nothing counted twice" cmp -s "$work/csv1" "$work/csv3"
check "force counts again" run 0 "$work/out" ingest --config "$work/inc.yaml" "$work/a.jsonl" --force
check "forced summary" contains "$work/out" "ingested 1,500 events from 1 file"
check "a stream is read" run 0 "$work/out" ingest --config "$work/inc.yaml" /dev/stdin < <(cat "$work/b.jsonl")
check "stream summary" contains "$work/out" "ingested 1,495 events from 1 file"

# Bad input: reported as file:line: reason, good lines kept, exit 0.
sed 's#path: vigil.db#path: bad.db#' "$work/vigil.yaml" >"$work/bad.yaml"
{
  head -n 3 "$events"
  echo '{"ts":"2026-03-02T00:00:00Z","platform":'
  echo '{"ts":"not a time","platform":"iOS"}'
  printf '\x00\x01\x02\xff garbage\n'
  echo '{"ts":"2026-03-02T00:00:00Z","latency_ms":{"e2e":"slow"}}'
  sed -n 4,5p "$events"
} >"$work/bad.jsonl"
check "bad lines exit 0" run 0 "$work/out" ingest --config "$work/bad.yaml" "$work/bad.jsonl"
check "bad json line" contains "$work/out" "bad.jsonl:4: invalid JSON"
check "bad timestamp line" contains "$work/out" "bad.jsonl:5: field 'ts': bad timestamp"
check "garbage line" contains "$work/out" "bad.jsonl:6: invalid JSON"
check "wrong type line" contains "$work/out" "bad.jsonl:7: field 'latency_ms.e2e': expected a number"
check "good lines counted" contains "$work/out" "ingested 5 events from 1 file (4 bad lines)"
check "missing file exits 2" run 2 "$work/out" ingest --config "$work/bad.yaml" "$work/missing.jsonl"
check "missing file named" contains "$work/out" "missing.jsonl: no such file"
: >"$work/empty.jsonl"
check "empty input exits 1" run 1 "$work/out" ingest --config "$work/bad.yaml" "$work/empty.jsonl"
check "empty input explained" contains "$work/out" "the input is empty"
check "store kept after failures" run 0 "$work/out" query --config "$work/bad.yaml" --metric volume --granularity 1d --csv
check "store still has 5 events" test "$(tail -n +2 "$work/out" | awk -F, '{s+=$2} END {print s}')" = 5
check "no subcommand exits 2" run 2 "$work/out"

finish
