#!/usr/bin/env bash
# End-to-end test of `vigil report`: the HTML report of a small demo store, first with the
# incidents `vigil detect` stored, then with the lifecycle `vigil run` keeps; one file that needs
# no network, every incident in it, and the usual exit codes.
# Usage: report_test.sh VIGIL SOURCE_DIR
set -u
VIGIL=$1
SRC=$2
source "$SRC/tests/e2e/lib.sh"
source "$SRC/tests/e2e/serve_lib.sh"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }

demo_store "$work" || fail "demo store"
"$VIGIL" detect --config "$work/vigil.yaml" --quiet --json "$work/incidents.json" 2>/dev/null || fail "detect"

"$VIGIL" report --config "$work/vigil.yaml" --out "$work/report.html" 2>"$work/report.err"
check "report exits 0" [ $? = 0 ]
check "report says what it wrote" contains "$work/report.err" "report: "
html="$work/report.html"
check "the report is one HTML document" grep -q '^<!doctype html>' "$html"
check "no external resources (links, sources, URLs)" \
  bash -c "! grep -Eq '<link|<img| src=|https?://|@import' '$html'"
check "styles and the plot script are inline" bash -c "grep -q '<style>' '$html' && grep -q 'vigilPlots' '$html'"
for id in $(grep -o '"id": "inc-[0-9a-f]*"' "$work/incidents.json" | cut -d'"' -f4); do
  check "incident $id is in the report" grep -q "id=\"$id\"" "$html"
done
check "the period's summary" contains "$html" "Monitored series"
check "plots with an expected band and a time zone" \
  bash -c "grep -q 'class=\"band\"' '$html' && grep -q 'time (UTC)' '$html'"
check "root-cause bars" contains "$html" 'class="bar bar-rc"'
check "metrics with sparklines" [ "$(grep -o '<svg class="spark"' "$html" | wc -l)" = 15 ]

# With the lifecycle of `vigil run`: owners and statuses from routing.
"$VIGIL" run --config "$work/vigil.yaml" --quiet >/dev/null 2>&1 || fail "run"
"$VIGIL" report --config "$work/vigil.yaml" --out "$work/report2.html" --title "Speech quality, week 10" --quiet
check "report after run exits 0" [ $? = 0 ]
check "the title is used" contains "$work/report2.html" "Speech quality, week 10"
check "owners from routing" grep -q 'owner <b>' "$work/report2.html"

# Exit codes: bad usage 2, an empty store 1, an unwritable path 1.
"$VIGIL" report --config "$work/vigil.yaml" 2>/dev/null
check "a missing --out is bad usage (2)" [ $? = 2 ]
cp "$SRC/examples/speech/vigil.yaml" "$work/empty.yaml"
sed -i 's|path: vigil.db|path: empty.db|' "$work/empty.yaml"
"$VIGIL" report --config "$work/empty.yaml" --out "$work/empty.html" 2>"$work/empty.err"
check "an empty store is a runtime failure (1)" [ $? = 1 ]
check "it says to ingest first" contains "$work/empty.err" "vigil ingest"
"$VIGIL" report --config "$work/vigil.yaml" --out "$work/no/such/dir/r.html" 2>/dev/null
check "an unwritable output is a runtime failure (1)" [ $? = 1 ]
finish
