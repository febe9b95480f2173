#!/usr/bin/env bash
# End-to-end test of what an acknowledged ingest means: `kill -9` of the server under a stream of
# keyed POST /api/ingest bodies loses no acknowledged event, and the client's retries of every
# body it is unsure of (same Idempotency-Key) count none twice.
# Usage: durability_test.sh VIGIL SOURCE_DIR
set -u
VIGIL=$1
SRC=$2
work=$(mktemp -d)
trap 'stop_server KILL; rm -rf "$work"' EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/serve_lib.sh"

cp "$SRC/examples/speech/vigil.yaml" "$work/vigil.yaml"
"$VIGIL" simulate --scenario demo --days 1 --events-per-day 6000 --seed 4 --out "$work/sim" >/dev/null 2>&1
export VIGIL_TEST_TOKEN=durable
printf 'server: {token: "env:VIGIL_TEST_TOKEN"}\n' >>"$work/vigil.yaml"

start_server "$work/vigil.yaml" "$work/serve1.log" || fail "serve: $(cat "$work/serve1.log")"
# The client posts 100-event bodies one after another and records each acknowledged key; the
# server is killed with SIGKILL while it writes.
/usr/bin/python3 - "$BASE" "$work/sim/events.jsonl" "$work/acked" <<'PY' &
import sys, urllib.request
base, events_path, acked_path = sys.argv[1:4]
lines = open(events_path, "rb").read().splitlines(keepends=True)
with open(acked_path, "w") as acked:
    for i in range(0, len(lines) - 99, 100):
        req = urllib.request.Request(base + "/api/ingest", data=b"".join(lines[i:i + 100]), method="POST",
                                     headers={"Authorization": "Bearer durable", "Idempotency-Key": f"body-{i}"})
        try:
            with urllib.request.urlopen(req, timeout=10) as r:
                if r.status == 200:
                    acked.write(f"{i}\n")
                    acked.flush()
        except Exception:
            break
PY
client=$!
for _ in $(seq 100); do [ "$(cat "$work/acked" 2>/dev/null | wc -l)" -ge 10 ] && break; sleep 0.05; done
kill -KILL "$SERVER_PID"
wait "$SERVER_PID" 2>/dev/null
SERVER_PID=
wait "$client"
acked=$(wc -l <"$work/acked")
check "the client had bodies acknowledged before the kill" [ "$acked" -ge 10 ]

start_server "$work/vigil.yaml" "$work/serve2.log" || fail "restart: $(cat "$work/serve2.log")"
/usr/bin/python3 - "$BASE" "$work/sim/events.jsonl" "$acked" <<'PY'
import json, sys, urllib.request
base, events_path, acked = sys.argv[1], sys.argv[2], int(sys.argv[3])
def held():
    return json.load(urllib.request.urlopen(base + "/healthz", timeout=10))["events"]
after_restart = held()
# Every acknowledged body is there; at most the one in flight at the kill is there unacknowledged.
ok = acked * 100 <= after_restart <= (acked + 1) * 100
print(("" if ok else "FAIL: ") + f"after kill -9: {after_restart} events held, {acked} bodies acknowledged")
# The client retries everything it is unsure of, with the same keys: nothing counts twice.
lines = open(events_path, "rb").read().splitlines(keepends=True)
bodies = list(range(0, len(lines) - 99, 100))
for i in bodies[acked:]:
    req = urllib.request.Request(base + "/api/ingest", data=b"".join(lines[i:i + 100]), method="POST",
                                 headers={"Authorization": "Bearer durable", "Idempotency-Key": f"body-{i}"})
    urllib.request.urlopen(req, timeout=10).read()
final = held()
exact = final == len(bodies) * 100
print(("" if exact else "FAIL: ") + f"after the retries: {final} events held, {len(bodies) * 100} sent once")
sys.exit(0 if ok and exact else 1)
PY
check "no acknowledged event lost, no retried body counted twice" [ $? = 0 ]
stop_server TERM
finish
