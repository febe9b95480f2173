# Shared helpers of the end-to-end shell tests: `source "$(dirname "$0")/lib.sh"`.
# check NAME CONDITION... counts a passed or failed check; finish prints the closing line
# `N passed, M failed` and exits non-zero on any failure.
failures=0
passed=0

check() {  # check NAME CONDITION...
  local name=$1
  shift
  if "$@"; then
    passed=$((passed + 1))
  else
    echo "FAIL: $name" >&2
    failures=$((failures + 1))
  fi
}
contains() { grep -qF -- "$2" "$1"; }

finish() {
  echo "$passed passed, $failures failed"
  [ "$failures" = 0 ]
}
