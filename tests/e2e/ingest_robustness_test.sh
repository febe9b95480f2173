#!/usr/bin/env bash
# End-to-end tests of ingest on damaged and unusual inputs: a bad line anywhere costs that line
# only; pipes lose nothing; a FIFO without a writer, /dev/zero and decompression bombs end with
# a message naming them; odd values and times never make the store unreadable.
# Usage: ingest_robustness_test.sh VIGIL SOURCE_DIR
set -u
VIGIL=$1
SRC=$2
work=$(mktemp -d)
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null; done
  rm -rf "$work"
}
trap cleanup EXIT
source "$(dirname "$0")/lib.sh"
run() {  # run EXPECTED_CODE OUT ARGS...: runs vigil (60 s at most), keeps stdout+stderr in OUT
  local want=$1 out=$2
  shift 2
  timeout 60 "$VIGIL" "$@" >"$out" 2>&1
  local got=$?
  if [ "$got" != "$want" ]; then
    echo "exit code $got, expected $want: vigil $*" >&2
    sed 's/^/  | /' "$out" >&2
    return 1
  fi
}
config() {  # config NAME: a copy of the speech example storing into NAME.db
  sed "s#path: vigil.db#path: $1.db#" "$SRC/examples/speech/vigil.yaml" >"$work/$1.yaml"
  echo "$work/$1.yaml"
}
events="$SRC/examples/speech/events.jsonl"
total=$(grep -c . "$events")
shown=$(echo "$total" | sed ':a;s/\B[0-9]\{3\}\>/,&/;ta')  # as the summary prints it: 2,995

# A FIFO nobody writes to: an error naming it after the documented wait (10 s), not a hang.
# Started first, checked last, so that its wait overlaps the other checks.
mkfifo "$work/nobody.fifo"
( timeout 60 "$VIGIL" ingest --config "$(config fifo_none)" "$work/nobody.fifo" >"$work/fifo_none.out" 2>&1
  echo $? >"$work/fifo_none.code" ) &
pids+=($!)

# 3. A NUL byte inside a dimension value: stored and read back exactly, the store stays usable.
nul=$(config nul)
{
  head -n 3 "$events"
  echo '{"ts":"2026-03-02T00:00:01Z","platform":"iOS\u0000x"}'
  echo '{"ts":"2026-03-02T00:00:02Z","platform":"iOS\u0000y","locale":"\u0000"}'
} >"$work/nul.jsonl"
check "nul: first ingest" run 0 "$work/out" ingest --config "$nul" "$work/nul.jsonl"
check "nul: query after it" run 0 "$work/out" query --config "$nul"
check "nul: three platforms and two with a NUL" contains "$work/out" "platform                5 values"
check "nul: second ingest" run 0 "$work/out" ingest --config "$nul" "$work/nul.jsonl" --force
check "nul: query after the second" run 0 "$work/out" query --config "$nul" --metric volume --granularity 1d --csv
check "nul: every event counted" test "$(tail -n +2 "$work/out" | awk -F, '{s+=$2} END {print s}')" = 10

# 4. Format: a byte order mark, a damaged first line, a control byte in a CSV.
fmt=$(config fmt)
{ printf '\xef\xbb\xbf'; head -n 20 "$events"; } >"$work/bom.jsonl"
check "bom: exit 0" run 0 "$work/out" ingest --config "$fmt" "$work/bom.jsonl"
check "bom: every line kept" contains "$work/out" "ingested 20 events from 1 file (0 bad lines)"
{ echo 'garbage"ts":"2026-03-02T00:00:00Z"}'; head -n 20 "$events"; } >"$work/damaged.jsonl"
check "damaged first line: exit 0" run 0 "$work/out" ingest --config "$fmt" "$work/damaged.jsonl"
check "damaged first line: the others kept" contains "$work/out" "ingested 20 events from 1 file (1 bad line)"
check "damaged first line: reported" contains "$work/out" "damaged.jsonl:1: invalid JSON"
check "damaged first line: format explained" contains "$work/out" "damaged.jsonl: read as JSON Lines: 20 of the first 21"
{
  echo 'ts,platform,locale,latency_ms.e2e'
  printf '2026-03-02T00:00:00Z,iOS,en-US,800\n'
  printf '2026-03-02T00:00:01Z,i\001OS,en-US,900\n'
  printf '2026-03-02T00:00:02Z,watchOS,de-DE,1000\n'
} >"$work/control.csv"
check "csv control byte: exit 0" run 0 "$work/out" ingest --config "$fmt" "$work/control.csv"
check "csv control byte: rows kept" contains "$work/out" "ingested 2 events from 1 file (1 bad line)"
check "csv control byte: reported" contains "$work/out" "control.csv:3: binary data, not CSV text"

# 5. Pipes: read once from the first byte.
pipe=$(config pipe)
check "process substitution" run 0 "$work/out" ingest --config "$pipe" <(cat "$events")
check "process substitution: every event" contains "$work/out" "ingested $shown events"
cat "$events" | timeout 60 "$VIGIL" ingest --config "$pipe" /dev/stdin >"$work/out" 2>&1
check "stdin pipe: every event" contains "$work/out" "ingested $shown events"
gzip -c "$events" | timeout 60 "$VIGIL" ingest --config "$pipe" /dev/stdin >"$work/out" 2>&1
check "gzip on stdin: every event" contains "$work/out" "ingested $shown events"
timeout 60 "$VIGIL" ingest --config "$pipe" /dev/stdin <"$events" >"$work/out" 2>&1
check "stdin redirected from a file: every event" contains "$work/out" "ingested $shown events"
mkfifo "$work/late.fifo"
( sleep 1; head -n 100 "$events" >"$work/late.fifo" ) &
pids+=($!)
check "a FIFO whose writer comes late" run 0 "$work/out" ingest --config "$pipe" "$work/late.fifo"
check "a FIFO whose writer comes late: every event" contains "$work/out" "ingested 100 events"
check "pipes: store holds it all" run 0 "$work/out" query --config "$pipe" --metric volume --granularity 1d --csv
check "pipes: four copies and 100" test "$(tail -n +2 "$work/out" | awk -F, '{s+=$2} END {print s}')" = $((4 * total + 100))

# 5. Endless and exploding inputs end with a message naming them, in bounded memory.
big=$(config big)
check "/dev/zero ends" run 1 "$work/out" ingest --config "$big" /dev/zero
check "/dev/zero named" contains "$work/out" "/dev/zero: stopped reading at line 1"
head -c $((64 << 20)) /dev/zero | gzip -1 >"$work/zeros.gz"
{ head -n 50 "$events" | gzip; for _ in $(seq 16); do cat "$work/zeros.gz"; done; } >"$work/bomb.jsonl.gz"
check "bomb: small on disk" test "$(stat -c %s "$work/bomb.jsonl.gz")" -lt $((8 << 20))
if /usr/bin/time -f %M true 2>/dev/null; then
  /usr/bin/time -o "$work/rss" -f %M timeout 60 "$VIGIL" ingest --config "$big" "$work/bomb.jsonl.gz" >"$work/out" 2>&1
  check "bomb: memory stays bounded (< 512 MB for 1 GiB inside)" test "$(tail -n 1 "$work/rss")" -lt 524288
else
  run 0 "$work/out" ingest --config "$big" "$work/bomb.jsonl.gz"
fi
check "bomb: the good events kept" contains "$work/out" "ingested 50 events from 1 file (1 bad line)"
check "bomb: named" contains "$work/out" "bomb.jsonl.gz: stopped reading at line 51"

# Times outside 1970-01-01 .. 2200-01-01: bad lines naming the field; the store stays usable.
range=$(config range)
{
  head -n 2 "$events"
  for t in -9223372036854775808 9223372036854775807 8.9e15 -8.9e15 '"0000-01-01T00:00:00Z"' \
    '"9999-12-31T23:59:59Z"'; do
    echo "{\"ts\":$t,\"platform\":\"iOS\"}"
  done
  sed -n 3p "$events"
} >"$work/range.jsonl"
check "range: exit 0" run 0 "$work/out" ingest --config "$range" "$work/range.jsonl"
check "range: good lines kept" contains "$work/out" "ingested 3 events from 1 file (6 bad lines)"
for line in 3 4 5 6 7 8; do
  check "range: line $line reported" contains "$work/out" "range.jsonl:$line: field 'ts': "
done
check "range: query after it" run 0 "$work/out" query --config "$range" --metric volume --granularity 1d --csv
check "range: only 2026 in the store" test "$(tail -n +2 "$work/out" | grep -vc '^2026-')" = 0
check "range: ingest again" run 0 "$work/out" ingest --config "$range" "$work/range.jsonl"

wait "${pids[0]}"
check "FIFO without a writer: exit 1" test "$(cat "$work/fifo_none.code")" = 1
check "FIFO without a writer: named" contains "$work/fifo_none.out" "nobody.fifo: no process opened this pipe for writing within 10 s"

finish
