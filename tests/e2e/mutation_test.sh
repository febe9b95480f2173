#!/usr/bin/env bash
# The short mutation campaign (fuzz/campaign/mutation_campaign.py --size short, well under two
# minutes): mutated event files, broken configs and malformed HTTP requests against the built
# CLI and `vigil serve` on 127.0.0.1; no crash, no hang, no poisoned store. The full campaign
# and its figures: docs/fuzzing.md.
set -u
VIGIL=$1
SRC=$2
[ -x /usr/bin/python3 ] || { echo "SKIP: /usr/bin/python3 is missing"; exit 77; }
# A sanitized binary (ASan, UBSan) runs several times slower: the tiny campaign keeps the test
# within its time limit there, and the fuzzers of the same build go deeper.
size=short
if ldd "$VIGIL" 2>/dev/null | grep -qE 'lib(a|t|ub)san' || grep -qaE '__(a|t)san_init' "$VIGIL"; then size=tiny; fi
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
/usr/bin/python3 "$SRC/fuzz/campaign/mutation_campaign.py" "$VIGIL" "$SRC" --size "$size" --work "$work"
