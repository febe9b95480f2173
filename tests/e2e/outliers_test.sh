#!/usr/bin/env bash
# End-to-end tests of `vigil outliers`: both models find a planted outlier and name the feature
# that carries it, the output is the same for a seed on any thread count, and bad input gives a
# one-line error naming the file, line and field with a non-zero exit code.
# Usage: outliers_test.sh VIGIL SOURCE_DIR
set -u
VIGIL=$1
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
source "$(dirname "$0")/lib.sh"
run() {  # run EXPECTED_CODE OUT ARGS...: runs vigil, keeps stdout in OUT and stderr in OUT.err
  local want=$1 out=$2
  shift 2
  "$VIGIL" "$@" >"$out" 2>"$out.err"
  local got=$?
  if [ "$got" != "$want" ]; then
    echo "exit code $got, expected $want: vigil $*" >&2
    sed 's/^/  | /' "$out" "$out.err" >&2
    return 1
  fi
}
top_row() { tail -n +2 "$1" | sort -t, -k2,2 -g -r | head -n 1; }
one_line() { test "$(wc -l <"$1")" = 1; }

# 400 rows of three correlated latencies (uniform, so no inlier has long tails) and a request id;
# line 42 has an asr latency far off while its other columns look ordinary.
awk 'BEGIN {
  srand(7); print "request_id,asr_ms,nlu_ms,tts_ms";
  for (i = 2; i <= 401; i++) {
    base = 150 + 100 * rand();
    asr = base + 10 * rand(); nlu = 0.5 * base + 5 * rand(); tts = 0.8 * base + 8 * rand();
    if (i == 42) asr = 900;
    printf "req-%d,%.3f,%.3f,%.3f\n", i, asr, nlu, tts;
  }
}' >"$work/turns.csv"
cols=asr_ms,nlu_ms,tts_ms

check "iforest ok" run 0 "$work/out" outliers --csv "$work/turns.csv" --columns "$cols" --out "$work/if.csv"
check "header" test "$(head -n 1 "$work/if.csv")" = "line,score,feature_1,attribution_1,feature_2,attribution_2,feature_3,attribution_3"
check "one line per row" test "$(tail -n +2 "$work/if.csv" | wc -l)" = 400
check "summary on stderr" grep -q "scored 400 rows x 3 columns" "$work/out.err"
check "iforest: the planted row scores highest" test "$(top_row "$work/if.csv" | cut -d, -f1)" = 42
check "iforest: asr_ms carries it" test "$(top_row "$work/if.csv" | cut -d, -f3)" = asr_ms
check "scores in (0, 1]" awk -F, 'NR > 1 && !($2 > 0 && $2 <= 1) { bad = 1 } END { exit bad }' "$work/if.csv"

check "same seed, 1 thread" run 0 "$work/out" outliers --csv "$work/turns.csv" --columns "$cols" --seed 3 --threads 1 --out "$work/a.csv"
check "same seed, 2 threads" run 0 "$work/out" outliers --csv "$work/turns.csv" --columns "$cols" --seed 3 --threads 2 --out "$work/b.csv"
check "same output on any thread count" cmp -s "$work/a.csv" "$work/b.csv"
check "another seed" run 0 "$work/out" outliers --csv "$work/turns.csv" --columns "$cols" --seed 4 --out "$work/c.csv"
check "another seed, other scores" bash -c "! cmp -s '$work/a.csv' '$work/c.csv'"

check "autoencoder ok" run 0 "$work/out" outliers --csv "$work/turns.csv" --columns "$cols" --model autoencoder --out "$work/ae.csv"
check "autoencoder: the planted row scores highest" test "$(top_row "$work/ae.csv" | cut -d, -f1)" = 42
check "autoencoder: asr_ms carries it" test "$(top_row "$work/ae.csv" | cut -d, -f3)" = asr_ms

check "two columns" run 0 "$work/out" outliers --csv "$work/turns.csv" --columns nlu_ms,tts_ms --out "$work/two.csv"
check "two columns, two attributions" test "$(head -n 1 "$work/two.csv")" = "line,score,feature_1,attribution_1,feature_2,attribution_2"

# Bad input: one line on stderr naming the file, the line and the field.
check "missing file exits 2" run 2 "$work/out" outliers --csv "$work/nope.csv" --out "$work/x.csv"
check "missing file named" grep -qF "vigil: $work/nope.csv: no such file" "$work/out.err"
check "non-numeric column exits 1" run 1 "$work/out" outliers --csv "$work/turns.csv" --out "$work/x.csv"
check "non-numeric column named" grep -qF "turns.csv:2: field 'request_id': 'req-2' is not a finite number" "$work/out.err"
check "one line" one_line "$work/out.err"
sed '5s/,[0-9.]*,/,slow,/' "$work/turns.csv" >"$work/bad.csv"
check "non-numeric cell exits 1" run 1 "$work/out" outliers --csv "$work/bad.csv" --columns "$cols" --out "$work/x.csv"
check "non-numeric cell named" grep -qF "bad.csv:5: field 'asr_ms': 'slow' is not a finite number" "$work/out.err"
check "one line" one_line "$work/out.err"
sed "2s/,[0-9.]*\$/,$(head -c 100000 /dev/zero | tr '\0' 9)x/" "$work/turns.csv" >"$work/long.csv"
check "a huge cell exits 1" run 1 "$work/out" outliers --csv "$work/long.csv" --columns "$cols" --out "$work/x.csv"
check "a huge cell is shown shortened" grep -qE "long.csv:2: field .*'9{40}\.\.\.' is not a finite" "$work/out.err"
check "a huge cell: a short message" test "$(wc -c <"$work/out.err")" -lt 300
sed '7s/,[0-9.]*$/,/' "$work/turns.csv" >"$work/empty.csv"
check "empty cell exits 1" run 1 "$work/out" outliers --csv "$work/empty.csv" --columns "$cols" --out "$work/x.csv"
check "empty cell named" grep -qF "empty.csv:7: field 'tts_ms': empty" "$work/out.err"
sed '9s/,[0-9.]*$//' "$work/turns.csv" >"$work/short.csv"
check "short row exits 1" run 1 "$work/out" outliers --csv "$work/short.csv" --columns "$cols" --out "$work/x.csv"
check "short row named" grep -qF "short.csv:9: 3 fields, the header has 4" "$work/out.err"
check "unknown column exits 2" run 2 "$work/out" outliers --csv "$work/turns.csv" --columns asr_ms,nlu_m --out "$work/x.csv"
check "unknown column named" grep -qF "turns.csv:1: no column 'nlu_m' in the header; did you mean 'nlu_ms'?" "$work/out.err"
check "one line" one_line "$work/out.err"
check "unknown model exits 2" run 2 "$work/out" outliers --csv "$work/turns.csv" --columns "$cols" --model forest --out "$work/x.csv"
check "no output written on errors" test ! -e "$work/x.csv"
finish
