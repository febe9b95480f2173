#!/usr/bin/env bash
# Load and abuse test of `vigil serve`, on loopback only and bounded in time (about 35 s): wrk on
# the read endpoints while 64 slow clients hold connections (slowloris) and heads of 320 KB flood
# in (tests/e2e/slow_clients.py). /healthz must answer within 1 s throughout, the reads must keep
# being answered, the slow and oversized heads must be cut off (408, 431), and the server must
# neither crash nor keep the memory or connections the attack took. Then more slow clients than
# server.max_connections: they must give way to new connections rather than keep them out.
# Usage: abuse_test.sh VIGIL SOURCE_DIR. Skipped (77) without wrk, except under CI=true.
set -u
VIGIL=$1
SRC=$2
source "$SRC/tests/e2e/lib.sh"
source "$SRC/tests/e2e/serve_lib.sh"
if ! command -v wrk >/dev/null 2>&1; then
  if [ "${CI:-}" = true ]; then echo "FAIL: wrk is missing (scripts/install-deps.sh installs it)" >&2; exit 1; fi
  echo "SKIP: wrk is missing (apt-get install wrk)"
  exit 77
fi
work=$(mktemp -d)
clients_pid=
trap 'stop_server KILL; [ -n "$clients_pid" ] && kill "$clients_pid" 2>/dev/null; rm -rf "$work"' EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }

export VIGIL_TEST_TOKEN=t0ken-$RANDOM
demo_store "$work" $'server:\n  token: env:VIGIL_TEST_TOKEN\n  header_timeout: 2s' || fail "demo store"
"$VIGIL" detect --config "$work/vigil.yaml" --quiet 2>/dev/null || fail "detect"
start_server "$work/vigil.yaml" "$work/serve.log" || fail "serve: $(cat "$work/serve.log")"
port=${BASE##*:}
rss_kb() { awk '/^VmRSS/ {print $2}' "/proc/$SERVER_PID/status"; }
curl_get() { /usr/bin/python3 -c 'import sys, urllib.request; print(urllib.request.urlopen(sys.argv[1], timeout=5).read().decode())' "$1"; }  # GET, body on stdout
curl_get "$BASE/api/series?metric=e2e_p95&slice=platform=iOS" >/dev/null || fail "series"
rss_before=$(rss_kb)

# The attack, and wrk on four read endpoints at once (4 connections each), for 15 s.
timeout 60 /usr/bin/python3 "$SRC/tests/e2e/slow_clients.py" --port "$port" --slow 64 --flood 2 --seconds 15 \
  >"$work/clients.json" 2>"$work/clients.err" &
clients_pid=$!
sleep 2
paths=(/api/incidents /metrics "/api/series?metric=e2e_p95&slice=platform=iOS" /api/metrics)
wrk_pids=()
for i in "${!paths[@]}"; do
  timeout 40 wrk -t1 -c4 -d10s --timeout 5s "$BASE${paths[$i]}" >"$work/wrk$i.txt" 2>&1 &
  wrk_pids+=($!)
done
for p in "${wrk_pids[@]}"; do wait "$p"; done
wait "$clients_pid"
check "the slow clients and the flood ran to the end" [ $? = 0 ]
clients_pid=

/usr/bin/python3 - "$work/clients.json" <<'PY' || failures=$((failures + 1))
import json, sys
s = json.load(open(sys.argv[1]))
print("healthz under attack:", s["probe"], "; slow clients answered", s["slow_answers"], "; flood answered",
      s["flood_answers"])
ok = True
def check(name, cond):
    global ok
    if not cond:
        print("FAIL:", name, s)
        ok = False
check("/healthz answered every time", s["probe_failures"] == 0 and s["probe"]["count"] > 100)
check("/healthz answered within 1 s throughout", s["probe"]["max_ms"] < 1000)
check("slow heads are cut off at server.header_timeout (408)", s["slow_answers"].get("408", 0) >= 64)
check("oversized heads are refused (431), nothing else", set(s["flood_answers"]) == {"431"})
sys.exit(0 if ok else 1)
PY

for i in "${!paths[@]}"; do
  f="$work/wrk$i.txt"
  requests=$(awk '/requests in/ {print $1}' "$f")
  echo "wrk ${paths[$i]}: $(grep -E 'Requests/sec' "$f" | tr -s ' ') ($requests requests)"
  check "wrk ${paths[$i]} was answered" [ "${requests:-0}" -gt 100 ]
  check "wrk ${paths[$i]}: every answer a 200, no socket errors" \
    bash -c "! grep -qE 'Non-2xx|Socket errors' '$f'"
done

check "the server is still running" kill -0 "$SERVER_PID"
healthz_ok() { curl_get "$BASE/healthz" >/dev/null; }
check "/healthz answers after the attack" healthz_ok
sleep 1
open_now=$(curl_get "$BASE/metrics" | awk '/^vigil_http_open_connections / {print $2}')
check "the attackers' connections are closed ($open_now open)" [ "${open_now:-99}" -le 2 ]
rss_after=$(rss_kb)
echo "server RSS: $((rss_before / 1024)) MB before, $((rss_after / 1024)) MB after"
# Sanitizers keep freed memory (quarantine, shadow): the check means something only without them.
# (clang links its sanitizer runtime statically, so look for its entry point in the binary.)
sanitized() { ldd "$VIGIL" 2>/dev/null | grep -qE 'lib(a|t)san' || grep -qaE '__(a|t)san_init' "$VIGIL"; }
if ! sanitized; then
  check "the attack left no large memory behind" [ $((rss_after - rss_before)) -lt 200000 ]
fi
stop_server TERM
check "SIGTERM stops the server with exit code 0" [ $? = 0 ]
check "nothing crashed" bash -c "! grep -qiE 'internal error|terminate|Segmentation|Aborted' '$work/serve.log'"

# More slow clients than server.max_connections: each new connection takes the place of the one
# waiting longest, so /healthz is still answered, at once. (With more attackers than places,
# reconnecting at once, every connection lives milliseconds, and a probe not yet read can be the
# one waiting longest: a few of them may be turned away, never most.)
printf '  max_connections: 32\n' >>"$work/vigil.yaml"
start_server "$work/vigil.yaml" "$work/serve2.log" || fail "serve: $(cat "$work/serve2.log")"
timeout 30 /usr/bin/python3 "$SRC/tests/e2e/slow_clients.py" --port "${BASE##*:}" --slow 64 --flood 1 --seconds 6 \
  >"$work/clients2.json" || fail "slow clients"
/usr/bin/python3 - "$work/clients2.json" <<'PY' || failures=$((failures + 1))
import json, sys
s = json.load(open(sys.argv[1]))
print("healthz with 64 slow clients and max_connections 32:", s["probe"])
ok = s["probe_failures"] <= 0.05 * s["probe"]["count"] and s["probe"]["count"] > 50 and s["probe"]["max_ms"] < 1000
print("/healthz answered within 1 s, 95 % of the time or more" if ok else f"FAIL: /healthz past the connection limit {s}")
sys.exit(0 if ok else 1)
PY
curl_get "$BASE/metrics" >"$work/metrics2.txt"
check "slow clients gave way to new connections" grep -qE '^vigil_http_evicted_connections_total [1-9]' "$work/metrics2.txt"
# A connection is refused (503) only when every place is busy answering: rare, and none at all
# when the server is not slowed down by a sanitizer.
refused=$(awk '/^vigil_http_refused_connections_total / {print $2}' "$work/metrics2.txt")
opened=$(awk '/^vigil_http_connections_total / {print $2}' "$work/metrics2.txt")
echo "connections: ${opened:-?} opened, ${refused:-?} refused for want of a place"
if sanitized; then
  check "few connections were refused for want of a place" [ "${refused:-1}" -le $(( ${opened:-0} / 20 )) ]
else
  check "no connection was refused for want of a place" [ "${refused:-1}" = 0 ]
fi
stop_server TERM
check "SIGTERM stops the server with exit code 0" [ $? = 0 ]
finish
