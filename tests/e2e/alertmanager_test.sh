#!/usr/bin/env bash
# Integration with a real Prometheus Alertmanager (Debian's prometheus-alertmanager): `vigil run`
# sends its incidents to Alertmanager's API v2, they arrive with vigil's labels, and a resolve
# reaches it. Starts its own Alertmanager on 127.0.0.1 and stops it at the end.
# Usage: alertmanager_test.sh VIGIL SOURCE_DIR
set -u
VIGIL=$1
SRC=$2
source "$SRC/tests/e2e/lib.sh"
work=$(mktemp -d)
am_pid=""
cleanup() {
  [ -n "$am_pid" ] && kill "$am_pid" 2>/dev/null && wait "$am_pid" 2>/dev/null
  rm -rf "$work"
}
trap cleanup EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }

AM=$(command -v prometheus-alertmanager || true)
if [ -z "$AM" ]; then
  bash "$SRC/scripts/install-deps.sh" >&2 || fail "installing prometheus-alertmanager"
  AM=$(command -v prometheus-alertmanager) || fail "prometheus-alertmanager not installed"
fi
port=$(/usr/bin/python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
cat >"$work/am.yml" <<'YML'
route:
  receiver: 'null'
receivers:
  - name: 'null'
YML
"$AM" --config.file="$work/am.yml" --storage.path="$work/am-data" \
  --web.listen-address="127.0.0.1:$port" --cluster.listen-address= >"$work/am.log" 2>&1 &
am_pid=$!
for _ in $(seq 1 100); do
  curl -sf "http://127.0.0.1:$port/-/ready" >/dev/null 2>&1 && break
  sleep 0.1
done
curl -sf "http://127.0.0.1:$port/-/ready" >/dev/null || fail "alertmanager did not start: $(cat "$work/am.log")"

"$VIGIL" simulate --scenario demo --days 4 --events-per-day 150000 --seed 5 --out "$work/sim" 2>/dev/null ||
  fail "simulate"
write_config() {  # write_config RESOLVE_AFTER
  sed '/^# Incidents:/,$d' "$SRC/examples/speech/vigil.yaml" >"$work/vigil.yaml"  # its own alert section
  cat >>"$work/vigil.yaml" <<YML
alert:
  resolve_after: $1
  sinks:
    - {name: am, type: alertmanager, url: "http://127.0.0.1:$port", retries: 2, backoff: 100ms}
  route:
    owner: sre
    sinks: [stdout, am]
    routes:
      - match: {stage: asr_final}
        owner: asr
YML
}

# While every incident counts as ongoing (resolve_after 2d), each fires once.
write_config 2d
"$VIGIL" run --config "$work/vigil.yaml" "$work/sim/events.jsonl" --quiet --json "$work/firing.json" \
  >"$work/run1.out" 2>&1 || fail "run: $(cat "$work/run1.out")"
curl -sf "http://127.0.0.1:$port/api/v2/alerts" >"$work/alerts1.json" || fail "GET alerts"
"$VIGIL" run --config "$work/vigil.yaml" --quiet >"$work/run2.out" 2>&1 || fail "rerun"
check "a re-run sends nothing twice" contains "$work/run2.out" "notifications: 0 sent"

# With a 30-minute hysteresis the incidents that recovered hours ago resolve.
write_config 30m
"$VIGIL" run --config "$work/vigil.yaml" --quiet --json "$work/resolved.json" >"$work/run3.out" 2>&1 ||
  fail "run resolve: $(cat "$work/run3.out")"
curl -sf "http://127.0.0.1:$port/api/v2/alerts" >"$work/alerts3.json" || fail "GET alerts after resolve"

/usr/bin/python3 - "$work/firing.json" "$work/alerts1.json" "$work/resolved.json" "$work/alerts3.json" <<'PY'
import json, sys
from datetime import datetime, timezone
incidents = json.load(open(sys.argv[1]))["incidents"]
alerts = json.load(open(sys.argv[2]))
resolved_doc = {i["id"]: i for i in json.load(open(sys.argv[3]))["incidents"]}
after = {a["labels"].get("incident"): a for a in json.load(open(sys.argv[4]))}
by_id = {a["labels"].get("incident"): a for a in alerts}
paging = [i for i in incidents if i["paging"]]
now = datetime.now(timezone.utc)
def ended(a):
    return datetime.fromisoformat(a["endsAt"].replace("Z", "+00:00")) <= now
resolved_ids = [i for i, d in resolved_doc.items() if d["status"] == "resolved" and i in by_id]
checks = {
    "every paging incident arrived": len(paging) > 0 and all(i["id"] in by_id for i in paging),
    "they are active": all(by_id[i["id"]]["status"]["state"] == "active" for i in paging),
    "labels carry alertname, metric, severity, owner and the slice":
        all(by_id[i["id"]]["labels"].get("alertname") == "VigilRegression" and
            by_id[i["id"]]["labels"].get("metric") == i["metric"] and
            by_id[i["id"]]["labels"].get("severity") == i["severity"] and
            by_id[i["id"]]["labels"].get("owner") == i["owner"] and
            all(by_id[i["id"]]["labels"].get(k) == v for k, v in i["slice"].items())
            for i in paging),
    "the asr_final regression is routed to asr":
        any(by_id[i["id"]]["labels"].get("stage") == "asr_final" and by_id[i["id"]]["labels"]["owner"] == "asr"
            for i in paging),
    "the summary is an annotation": all(by_id[i["id"]]["annotations"].get("summary") for i in paging),
    "mix shifts did not page": all(i["id"] not in by_id for i in incidents if not i["paging"]),
    "some incidents resolved": len(resolved_ids) > 0,
    "the resolve reached Alertmanager":
        all(i not in after or ended(after[i]) for i in resolved_ids),
}
bad = [k for k, ok in checks.items() if not ok]
for k in bad:
    print("FAIL:", k)
print(f"{len(paging)} paging incidents sent, {len(resolved_ids)} resolved; {len(checks) - len(bad)} of {len(checks)} checks pass")
sys.exit(1 if bad else 0)
PY
check "Alertmanager received, labelled and resolved the incidents" test $? = 0
finish
