#!/usr/bin/env bash
# End-to-end test of `vigil serve` over real HTTP: a small demo store, the API (metrics, series,
# incidents and their filters, feedback, ingest with its token, bad lines, size limit and any
# content type),
# Prometheus counters, the dashboard's files, incidents known only from `vigil detect`, and a
# clean stop on SIGTERM and SIGINT.
# Usage: server_test.sh VIGIL SOURCE_DIR
set -u
VIGIL=$1
SRC=$2
source "$SRC/tests/e2e/lib.sh"
source "$SRC/tests/e2e/serve_lib.sh"
work=$(mktemp -d)
trap 'stop_server KILL; rm -rf "$work"' EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }

# The token comes from the environment (server.token: env:NAME), as a deployment would do it.
export VIGIL_TEST_TOKEN=t0ken-$RANDOM
demo_store "$work" $'server:\n  token: env:VIGIL_TEST_TOKEN\n  max_body_bytes: 100000' || fail "demo store"
"$VIGIL" detect --config "$work/vigil.yaml" --quiet 2>/dev/null || fail "detect"

# 1. Incidents found by `vigil detect` only: listed, but feedback needs a lifecycle.
start_server "$work/vigil.yaml" "$work/serve1.log" || fail "serve: $(cat "$work/serve1.log")"
/usr/bin/python3 - "$BASE" "$VIGIL_TEST_TOKEN" "$SERVER_PID" <<'PY' || failures=$((failures + 1))
import http.client, json, os, signal, sys, time, urllib.parse, urllib.request
base, token, pid = sys.argv[1], sys.argv[2], int(sys.argv[3])
def call(method, path, body=None):
    req = urllib.request.Request(base + path, data=body, method=method,
                                 headers={"Authorization": "Bearer " + token, "Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(req, timeout=30) as r:
            return r.status, json.loads(r.read())
    except urllib.error.HTTPError as e:
        return e.code, json.loads(e.read())
status, listed = call("GET", "/api/incidents")
ok = status == 200 and listed["count"] > 0 and all(i["status"] in ("open", "resolved") for i in listed["incidents"])
first = listed["incidents"][0]["id"] if ok else "x"
status, err = call("POST", f"/api/incidents/{first}/feedback", b'{"verdict": "true_positive"}')
ok = ok and status == 409 and "vigil run" in err["error"]["message"]
print("detect-only incidents: listed, feedback answered 409" if ok else "FAIL: detect-only incidents")
# SIGTERM while a browser-like client holds an idle keep-alive connection: the stop stays prompt.
url = urllib.parse.urlparse(base)
conn = http.client.HTTPConnection(url.hostname, url.port)
conn.request("GET", "/healthz")
conn.getresponse().read()
start = time.time()
os.kill(pid, signal.SIGTERM)
while time.time() - start < 10:
    try:
        if "State:\tZ" in open(f"/proc/{pid}/status").read():
            break
    except FileNotFoundError:
        break
    time.sleep(0.05)
seconds = time.time() - start
quick = seconds < 3
print(f"stopped {seconds:.1f} s after SIGTERM with an idle connection open" if quick else f"FAIL: stop took {seconds:.1f} s")
sys.exit(0 if ok and quick else 1)
PY
stop_server TERM
check "SIGTERM stops the server with exit code 0" [ $? = 0 ]
check "the server says it stopped" contains "$work/serve1.log" "stopped (SIGTERM)"

# 2. Incidents with a lifecycle, then the whole API.
"$VIGIL" run --config "$work/vigil.yaml" --quiet >/dev/null 2>&1 || fail "run"
start_server "$work/vigil.yaml" "$work/serve2.log" || fail "serve: $(cat "$work/serve2.log")"
head -n 100 "$work/sim/events.jsonl" >"$work/good.jsonl"
# One writer: while the server owns the store, `vigil ingest` is refused and says how.
"$VIGIL" ingest --config "$work/vigil.yaml" "$work/good.jsonl" >"$work/second.log" 2>&1
check "a second writer is refused" [ $? != 0 ]
check "the refusal names the server" contains "$work/second.log" "the store has a writer already (vigil serve"
check "and says how to send events" contains "$work/second.log" "POST /api/ingest"
"$VIGIL" query --config "$work/vigil.yaml" >/dev/null 2>&1
check "a reader is welcome" [ $? = 0 ]
/usr/bin/python3 - "$BASE" "$VIGIL_TEST_TOKEN" "$work/good.jsonl" <<'PY' || failures=$((failures + 1))
import json, re, sys, threading, urllib.parse, urllib.request
base, token, good_path = sys.argv[1:4]
results = []
def check(name, ok, detail=""):
    results.append(ok)
    if not ok:
        print("FAIL:", name, detail)

def call(method, path, body=None, auth=None, raw=False, key=None):
    headers = {"Content-Type": "application/json"}
    if auth is not None:
        headers["Authorization"] = auth
    if key is not None:
        headers["Idempotency-Key"] = key
    req = urllib.request.Request(base + path, data=body, method=method, headers=headers)
    try:
        with urllib.request.urlopen(req, timeout=30) as r:
            data = r.read()
            return r.status, dict(r.headers), data if raw else json.loads(data)
    except urllib.error.HTTPError as e:
        data = e.read()
        try:
            return e.code, dict(e.headers), json.loads(data)
        except ValueError:
            return e.code, dict(e.headers), {"raw": data.decode(errors="replace")}

bearer = "Bearer " + token
def is_error(body, status):
    return isinstance(body, dict) and "error" in body and body["error"].get("status") == status \
        and isinstance(body["error"].get("message"), str)

status, _, health = call("GET", "/healthz")
check("healthz", status == 200 and health["status"] == "ok" and health["events"] > 150000, health)
events = health["events"]

status, _, meta = call("GET", "/api/metrics")
names = [m["name"] for m in meta["metrics"]]
check("metrics: the speech config's metrics and dimensions",
      status == 200 and "e2e_p95" in names and len(names) == 15 and
      any(d["name"] == "platform" and "watchOS" in d["values"] for d in meta["dimensions"]), names)

# Series of the first incident's metric and slice (the slice's '=' unescaped, as people type
# it): the band and the incident's stored anomaly come along.
status, _, listed = call("GET", "/api/incidents")
first = listed["incidents"][-1]
slice_text = ",".join(f"{k}={v}" for k, v in first["slice"].items())
status, _, s = call("GET", f"/api/series?metric={first['metric']}&slice={slice_text}")
check("series with the expected band", status == 200 and
      any(p["expected"] is not None and p["lower"] < p["upper"] for p in s["points"]), status)
check("series with the anomalies stored on it", status == 200 and
      any(a["incident"] == first["id"] for a in s["anomalies"]), s.get("anomalies"))
q = urllib.parse.urlencode({"metric": "e2e_p95", "slice": "platform=watchOS", "from": "2026-03-03T00:00:00Z",
                            "to": "2026-03-03T06:00:00Z", "granularity": "1h"})
status, _, s = call("GET", "/api/series?" + q)
check("series over a range and granularity", status == 200 and len(s["points"]) == 6 and
      s["points"][0]["time"] == "2026-03-03T00:00:00Z", s)
for path, code in [("/api/series?metric=nope", 404), ("/api/series?metric=e2e_p95&slice=platform=Android", 404),
                   ("/api/series?metric=e2e_p95&slice=oops", 400), ("/api/series?metric=e2e_p95&from=soon", 400),
                   ("/api/series", 400), ("/api/nothing", 404)]:
    status, _, body = call("GET", path)
    check(f"{path} answers {code} with a JSON error", status == code and is_error(body, code), (status, body))

# Incidents and their filters.
status, _, listed = call("GET", "/api/incidents")
check("incidents listed with status and owner", status == 200 and listed["count"] > 0 and
      all(i["status"] in ("open", "acknowledged", "resolved") and "owner" in i for i in listed["incidents"]))
inc = listed["incidents"][0]
for key in ("status", "severity", "owner"):
    value = inc[key] or ""
    status, _, f = call("GET", "/api/incidents?" + urllib.parse.urlencode({key: value}))
    check(f"filter by {key}", status == 200 and f["count"] >= 1 and all((i[key] or "") == value for i in f["incidents"]), f)
status, _, f = call("GET", "/api/incidents?severity=catastrophic")
check("an unknown severity is a 400", status == 400 and is_error(f, 400))
status, _, doc = call("GET", "/api/incidents/" + inc["id"])
check("one incident: the DESIGN §5 document with status", status == 200 and doc["id"] == inc["id"] and
      "root_causes" in doc and "stages" in doc and doc["status"] == inc["status"] and doc["feedback"] == [])
status, _, body = call("GET", "/api/incidents/inc-000000000000")
check("an unknown incident is a 404", status == 404 and is_error(body, 404))

# Feedback: token, verdict, stored.
fb = json.dumps({"verdict": "true_positive", "note": "confirmed by the ASR team"}).encode()
path = f"/api/incidents/{inc['id']}/feedback"
status, headers, body = call("POST", path, fb)
check("feedback without a token is a 401 with a challenge", status == 401 and is_error(body, 401) and
      "Bearer" in headers.get("WWW-Authenticate", ""), (status, body))
status, _, body = call("POST", path, fb, auth="Bearer wrong")
check("feedback with a wrong token is a 401", status == 401 and is_error(body, 401))
status, _, body = call("POST", path, b'{"verdict": "perhaps"}', auth=bearer)
check("an unknown verdict is a 400", status == 400 and is_error(body, 400) and "verdict" in body["error"]["message"])
status, _, body = call("POST", path, b'{"verdict": ', auth=bearer)
check("a malformed feedback body is a 400", status == 400 and is_error(body, 400))
status, _, body = call("POST", path, fb, auth=bearer)
check("feedback stored", status == 201 and body["verdict"] == "true_positive", body)
status, _, doc = call("GET", "/api/incidents/" + inc["id"])
check("feedback shows on the incident", doc["feedback"][-1]["note"] == "confirmed by the ASR team", doc["feedback"])

# Ingest: token, bad line named, nothing half-applied, size limit, then a good body.
good = open(good_path, "rb").read()
status, _, body = call("POST", "/api/ingest", good)
check("ingest without a token is a 401", status == 401 and is_error(body, 401))
status, _, body = call("POST", "/api/ingest", good, auth="Bearer nope")
check("ingest with a wrong token is a 401", status == 401 and is_error(body, 401))
lines = good.split(b"\n")
bad = b"\n".join(lines[:4] + [b'{"ts": "yesterday", "platform": "iOS"}'] + lines[4:10]) + b"\n"
status, _, body = call("POST", "/api/ingest", bad, auth=bearer)
check("a bad line is a 400 naming line 5", status == 400 and is_error(body, 400) and body["error"].get("line") == 5
      and "line 5" in body["error"]["message"], body)
status, _, health = call("GET", "/healthz")
check("nothing of a refused body was ingested", health["events"] == events, health)
status, _, body = call("POST", "/api/ingest", b"{}\n" * 40000, auth=bearer)
check("a body over server.max_body_bytes is a 413 with a JSON error", status == 413 and is_error(body, 413), (status, body))
status, _, body = call("POST", "/api/ingest", b"", auth=bearer)
check("an empty body is a 400", status == 400 and is_error(body, 400))
status, _, body = call("POST", "/api/ingest", good, auth=bearer)
check("a good body is ingested", status == 200 and body["events"] == 100 and body["cube_events"] == events + 100, body)
status, _, body = call("GET", "/api/ingest")
check("GET on the ingest endpoint is a 405", status == 405 and is_error(body, 405))
# A retry with the same Idempotency-Key is answered, not counted again.
status, _, body = call("POST", "/api/ingest", good, auth=bearer, key="e2e-retry-1")
check("a keyed body is ingested", status == 200 and body["cube_events"] == events + 200, body)
status, _, body = call("POST", "/api/ingest", good, auth=bearer, key="e2e-retry-1")
check("its retry is not counted", status == 200 and body.get("repeated") is True and
      body["cube_events"] == events + 200, body)
events += 100

# Concurrent readers while a writer ingests.
errors = []
def reader():
    for _ in range(5):
        for p in ("/api/series?metric=failure_rate&slice=platform=iOS", "/api/incidents", "/healthz"):
            s, _, _ = call("GET", p)
            if s != 200:
                errors.append((p, s))
def writer():
    for _ in range(3):
        s, _, _ = call("POST", "/api/ingest", good, auth=bearer)
        if s != 200:
            errors.append(("ingest", s))
threads = [threading.Thread(target=reader) for _ in range(6)] + [threading.Thread(target=writer)]
[t.start() for t in threads]
[t.join() for t in threads]
status, _, health = call("GET", "/healthz")
check("concurrent reads and ingests all succeed", not errors and health["events"] == events + 4 * 100, errors)

# Prometheus exposition of vigil's own counters.
status, headers, text = call("GET", "/metrics", raw=True)
text = text.decode()
check("/metrics is the Prometheus text format", status == 200 and headers.get("Content-Type", "").startswith("text/plain"))
check("request counters by route pattern", re.search(r'vigil_http_requests_total\{route="/api/incidents/\{id\}",method="GET",code="200"\} \d+', text) is not None)
check("ingested events counted", f"vigil_ingested_events_total {5 * 100}\n" in text, text)
check("bad lines counted", "vigil_ingest_bad_lines_total 1\n" in text)
check("incidents by status", re.search(r'vigil_incidents\{status="resolved"\} \d+', text) is not None)
check("feedback counted", "vigil_feedback_total 1\n" in text)

# The dashboard's files and fragments.
status, headers, page = call("GET", "/", raw=True)
check("the dashboard page", status == 200 and b"/assets/app.js" in page and
      "default-src 'self'" in headers.get("Content-Security-Policy", ""))
for asset in ("app.js", "app.css", "report.css", "plot.js"):
    status, _, _ = call("GET", "/assets/" + asset, raw=True)
    check("asset " + asset, status == 200)
status, _, frag = call("GET", "/ui/incidents/" + inc["id"], raw=True)
check("incident fragment with plot and root causes", status == 200 and b"<svg" in frag and b'class="rc"' in frag)

# The documented `curl --data-binary @events.jsonl` sends a form content type; a body over 8 KB
# must still be read as JSON Lines (the HTTP library's own form limit must not apply).
big = b"\n".join(good.split(b"\n")[:60]) + b"\n"
req = urllib.request.Request(base + "/api/ingest", data=big, method="POST",
                             headers={"Authorization": bearer, "Content-Type": "application/x-www-form-urlencoded"})
with urllib.request.urlopen(req, timeout=30) as r:
    body = json.loads(r.read())
check("a form-typed JSON Lines body over 8 KB is ingested", len(big) > 8192 and body["events"] == 60, (len(big), body))
# A body over the limit is refused from its declared length, before it is read: no token, 401.
req = urllib.request.Request(base + "/api/ingest", data=b"{}\n" * 40000, method="POST")
try:
    urllib.request.urlopen(req, timeout=30)
    status = 200
except urllib.error.HTTPError as e:
    status = e.code
check("a large body without a token is a 401 (the token is checked first)", status == 401, status)

print(f"{sum(results)} passed, {len(results) - sum(results)} failed")
sys.exit(0 if all(results) else 1)
PY
stop_server INT
check "SIGINT stops the server with exit code 0" [ $? = 0 ]
check "the server says it stopped" contains "$work/serve2.log" "stopped (SIGINT)"

# A token named in the environment must be there.
unset VIGIL_TEST_TOKEN
"$VIGIL" serve --config "$work/vigil.yaml" --listen 127.0.0.1:0 >"$work/serve3.log" 2>&1
check "an unset token variable is a config error (exit 2)" [ $? = 2 ]
check "the error names the key" contains "$work/serve3.log" "server.token"
finish
