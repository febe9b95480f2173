# Helpers of the end-to-end tests that run `vigil serve`: `source "$(dirname "$0")/serve_lib.sh"`
# after setting VIGIL.
# demo_store DIR [EXTRA_YAML]: a small store of the demo scenario (four days, its first
# regressions) with incidents from `vigil run`, config at DIR/vigil.yaml.
demo_store() {
  local dir=$1
  mkdir -p "$dir"
  cp "$SRC/examples/speech/vigil.yaml" "$dir/vigil.yaml"
  [ -n "${2:-}" ] && printf '%s\n' "$2" >>"$dir/vigil.yaml"
  "$VIGIL" simulate --scenario demo --days 4 --events-per-day 50000 --seed 5 --out "$dir/sim" >/dev/null 2>&1 &&
    "$VIGIL" ingest --config "$dir/vigil.yaml" --quiet "$dir/sim/events.jsonl"
}

# start_server CONFIG LOG: `vigil serve` on a free port of 127.0.0.1; sets SERVER_PID and BASE.
start_server() {
  : >"$2"  # a log left from an earlier server must not give its port
  "$VIGIL" serve --config "$1" --listen 127.0.0.1:0 >"$2" 2>&1 &
  SERVER_PID=$!
  BASE=
  for _ in $(seq 300); do
    BASE=$(grep -o 'http://127.0.0.1:[0-9]*' "$2" | head -1)
    [ -n "$BASE" ] && return 0
    if ! kill -0 "$SERVER_PID" 2>/dev/null; then
      cat "$2" >&2
      SERVER_PID=
      return 1
    fi
    sleep 0.1
  done
  return 1
}

# stop_server [SIGNAL]: signals the server and returns its exit status.
stop_server() {
  [ -n "${SERVER_PID:-}" ] || return 0
  kill -"${1:-TERM}" "$SERVER_PID" 2>/dev/null
  wait "$SERVER_PID"
  local rc=$?
  SERVER_PID=
  return $rc
}
