#!/usr/bin/env bash
# End-to-end tests of `vigil rca`: the root-cause set on the last line in benchmark notation,
# --json, a rate, and errors with their exit codes.
# Usage: rca_test.sh VIGIL SOURCE_DIR
set -u
VIGIL=$1
SRC=$2
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
source "$(dirname "$0")/lib.sh"
last_line_is() { test "$(tail -n 1 "$1")" = "$2"; }
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

# A 6x5x4x3 table in the benchmarks' format (real,predict,a,b,c,d): deterministic noise of a
# few percent, a fall on c=c3 and on a=a2&b=b4.
awk 'BEGIN {
  srand(42); print "real,predict,a,b,c,d";
  for (a = 1; a <= 6; a++) for (b = 1; b <= 5; b++) for (c = 1; c <= 4; c++) for (d = 1; d <= 3; d++) {
    p = 50 + 100 * rand(); noise = 1 + 0.04 * (rand() + rand() + rand() - 1.5);
    r = (rand() < 0.5) ? p * noise : p; if (r == p) p = p * noise;
    if (c == 3) r = r * 0.5;
    if (a == 2 && b == 4) r = r * 0.3;
    printf "%.4f,%.4f,a%d,b%d,c%d,d%d\n", r, p, a, b, c, d } }' >"$work/cells.csv"

check "rca ok" run 0 "$work/out" rca --cells "$work/cells.csv" --dims a,b,c,d --actual real --expected predict
check "rca last line is the set" last_line_is "$work/out" "c=c3;a=a2&b=b4"
check "defaults are real/predict" run 0 "$work/out2" rca --cells "$work/cells.csv" --dims a,b,c,d
check "same answer with defaults" cmp -s "$work/out" "$work/out2"
check "rca --json" run 0 "$work/json" rca --cells "$work/cells.csv" --dims a,b,c,d --json
check "json has fractions" contains "$work/json" '"explained_fraction"'
check "json names the slice" contains "$work/json" '"c": "c3"'
check "json output ends with the set" last_line_is "$work/json" "c=c3;a=a2&b=b4"
check "json parses" python3 -c "import json,sys; t=open(sys.argv[1]).read(); d=json.loads(t[:t.rindex('}')+1]); f=[r['explained_fraction'] for r in d['root_causes']]; assert all(0<=x<=1 for x in f) and f==sorted(f, reverse=True)" "$work/json"
check "max elements" run 0 "$work/out" rca --cells "$work/cells.csv" --dims a,b,c,d --max-elements 1
check "max elements keeps the largest" last_line_is "$work/out" "c=c3"

# Dimension columns in another order and extra columns are fine.
awk -F, 'NR == 1 {print "d,c,b,a,predict,real,extra"; next} {print $6","$5","$4","$3","$2","$1",x"}' \
  "$work/cells.csv" >"$work/reordered.csv"
check "reordered columns" run 0 "$work/out" rca --cells "$work/reordered.csv" --dims a,b,c,d
check "reordered same set" last_line_is "$work/out" "c=c3;a=a2&b=b4"

# No deviation: an empty last line.
awk -F, 'NR == 1 {print; next} {print $2","$2","$3","$4","$5","$6}' "$work/cells.csv" >"$work/flat.csv"
check "no deviation ok" run 0 "$work/out" rca --cells "$work/flat.csv" --dims a,b,c,d
check "no deviation empty line" test "$(tail -n 1 "$work/out")" = "" -a "$(wc -l <"$work/out")" = 1

# A rate: failures over turns; b=b2's failure rate doubles while traffic shifts elsewhere.
awk 'BEGIN {
  srand(7); print "fail,fail_exp,turns,turns_exp,a,b";
  for (a = 1; a <= 8; a++) for (b = 1; b <= 6; b++) {
    t = 1000 + 4000 * rand(); p = 0.02 + 0.03 * rand(); ta = t * (0.5 + 1.5 * rand());
    q = p * (1 + 0.03 * (rand() - 0.5)); if (b == 2) q = q * 2;
    printf "%.3f,%.3f,%.1f,%.1f,a%d,b%d\n", q * ta, p * t, ta, t, a, b } }' >"$work/rate.csv"
check "rate ok" run 0 "$work/out" rca --cells "$work/rate.csv" --dims a,b --actual fail --expected fail_exp \
  --actual-den turns --expected-den turns_exp
check "rate set" last_line_is "$work/out" "b=b2"
check "one denominator is usage" run 2 "$work/out" rca --cells "$work/rate.csv" --dims a,b --actual fail \
  --expected fail_exp --actual-den turns

# Batch: a folder in the Squeeze benchmark's layout, two settings, scored per element.
mkdir -p "$work/bench/s1" "$work/bench/s2"
cp "$work/cells.csv" "$work/bench/s1/100.csv"
cp "$work/cells.csv" "$work/bench/s2/200.csv"
printf 'x,set,timestamp\r\n1,a=a2&b=b4;c=c3,100\r\n' >"$work/bench/s1/injection_info.csv"
printf 'set,timestamp\nb=b4&a=a2;c=c3;d=d1,200\n' >"$work/bench/s2/injection_info.csv"
check "batch ok" run 0 "$work/out" rca --batch "$work/bench" --dims a,b,c,d
check "batch: a setting found exactly" grep -Eq '^s1 +1 +2 +0 +0 +1.000 +1.000 +1.000' "$work/out"
check "batch: a missed element counts" grep -Eq '^s2 +1 +2 +0 +1 +1.000 +0.667 +0.800' "$work/out"
check "batch: overall" grep -Eq '^all +2 +4 +0 +1 ' "$work/out"
check "one setting folder" run 0 "$work/out" rca --batch "$work/bench/s1" --dims a,b,c,d
check "one setting scored" grep -Eq '^s1 +1 +2 +0 +0' "$work/out"
printf 'set,time\n' >"$work/bench/s2/injection_info.csv"
check "batch: bad case list exits 1" run 1 "$work/out" rca --batch "$work/bench" --dims a,b,c,d
check "batch: bad case list named" contains "$work/out.err" "injection_info.csv:1: expected the columns 'set' and 'timestamp'"
check "batch: nothing to score exits 2" run 2 "$work/out" rca --batch "$work/bench/s1/100.csv" --dims a

# Errors.
check "missing file exits 2" run 2 "$work/out" rca --cells "$work/nope.csv" --dims a,b
check "missing file named" contains "$work/out.err" "nope.csv: cannot open"
check "missing column exits 2" run 2 "$work/out" rca --cells "$work/cells.csv" --dims a,b,x
check "missing column named" contains "$work/out.err" "no column 'x' (columns: real,predict,a,b,c,d)"
check "missing flag exits 2" run 2 "$work/out" rca --cells "$work/cells.csv"
sed '5s/^[^,]*,/oops,/' "$work/cells.csv" >"$work/bad.csv"
check "bad number exits 1" run 1 "$work/out" rca --cells "$work/bad.csv" --dims a,b,c,d
check "bad number names line and column" contains "$work/out.err" "bad.csv:5: column 'real': 'oops' is not a number"
printf '' >"$work/empty.csv"
check "empty file exits 1" run 1 "$work/out" rca --cells "$work/empty.csv" --dims a
check "rca in help" run 0 "$work/out" --help
check "help lists rca" contains "$work/out" "rca"

finish
