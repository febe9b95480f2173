#!/usr/bin/env bash
# The dashboard in a real browser: Playwright (playwright-core from npm) drives headless Chromium
# over a small demo store served by `vigil serve`, then opens the store's HTML report from disk
# (tests/browser/dashboard.mjs has the checks).
# Screenshots land in BUILD_DIR/browser-test/. Exits 77 (skipped) when Node.js, npm's packages or
# Chromium are not available.
# Usage: browser_test.sh VIGIL SOURCE_DIR
set -u
VIGIL=$1
SRC=$2
BUILD=$(cd "$(dirname "$VIGIL")" && pwd)
source "$SRC/tests/e2e/lib.sh"
source "$SRC/tests/e2e/serve_lib.sh"
# In CI a missing piece is a failure, not a skip: the browser test must run there.
skip() {
  if [ "${CI:-}" = true ]; then echo "FAIL: $*" >&2; exit 1; fi
  echo "SKIP: $*"; exit 77
}

CHROMIUM=${CHROMIUM:-/usr/bin/chromium}
[ -x "$CHROMIUM" ] || skip "no Chromium at $CHROMIUM (apt-get install chromium)"
command -v node >/dev/null || skip "no Node.js (apt-get install nodejs npm)"
if [ ! -d "$SRC/tests/browser/node_modules/playwright-core" ]; then
  (cd "$SRC/tests/browser" && npm ci --no-audit --no-fund --loglevel=error >/dev/null 2>&1) ||
    skip "npm ci in tests/browser failed (no npm registry?)"
fi

work=$(mktemp -d)
trap 'stop_server KILL; rm -rf "$work"' EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }
demo_store "$work" || fail "demo store"
"$VIGIL" run --config "$work/vigil.yaml" --quiet >/dev/null 2>&1 || fail "run"
"$VIGIL" report --config "$work/vigil.yaml" --out "$work/report.html" --quiet || fail "report"
start_server "$work/vigil.yaml" "$work/serve.log" || fail "serve: $(cat "$work/serve.log")"

shots="$BUILD/browser-test"
rm -rf "$shots"
CHROMIUM=$CHROMIUM node "$SRC/tests/browser/dashboard.mjs" "$BASE" "$shots" "$work/report.html"
check "the dashboard passes its browser checks" [ $? = 0 ]
stop_server TERM
check "the server stops cleanly" [ $? = 0 ]
check "a screenshot of an incident page was saved" [ -s "$shots/incident.png" ]
check "a screenshot of the explorer was saved" [ -s "$shots/explore.png" ]
check "a screenshot of the report was saved" [ -s "$shots/report.png" ]
echo "screenshots: $shots"
finish
