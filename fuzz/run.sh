#!/usr/bin/env bash
# Runs the libFuzzer targets of a VIGIL_FUZZ build, each for SECONDS, on a persistent corpus.
#   fuzz/run.sh BUILD_DIR [SECONDS] [TARGET...]     (targets: jsonl_parser csv_parser ...)
# Corpora grow in BUILD_DIR/corpus/<target>/ (seeds are written afresh from examples/ on
# every run); findings go to BUILD_DIR/findings/. Every session appends
# `target seconds executions corpus_files` to BUILD_DIR/fuzz-sessions.tsv. Exit 1 on a finding.
set -u
here=$(cd "$(dirname "$0")" && pwd)
source_dir=$(dirname "$here")
build=${1:?usage: fuzz/run.sh BUILD_DIR [SECONDS] [TARGET...]}
seconds=${2:-60}
shift $(( $# >= 2 ? 2 : 1 ))
targets=("$@")
if [ ${#targets[@]} -eq 0 ]; then
  targets=(jsonl_parser csv_parser ingest_buffer config expression sketch model cube http)
fi

mkdir -p "$build/findings" "$build/corpus"
# Seeds of this run (runs may go on side by side, one or two targets each).
seeds="$build/fuzz-seeds.$$"
trap 'rm -rf "$seeds"' EXIT
"$build/fuzz/vigil_fuzz_seeds" "$source_dir" "$seeds" || exit 1

# Sanitizer reports abort with a stack; leaks are findings too.
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}

dict_for() {
  case "$1" in
    jsonl_parser|ingest_buffer) echo "$here/dict/jsonl_parser.dict" ;;
    csv_parser|expression|http) echo "$here/dict/$1.dict" ;;
    config) echo "$seeds/config.dict" ;;
    *) echo "" ;;
  esac
}

status=0
for t in "${targets[@]}"; do
  binary="$build/fuzz/${t}_fuzz"
  [ -x "$binary" ] || { echo "no fuzz target $binary" >&2; status=1; continue; }
  corpus="$build/corpus/$t"
  mkdir -p "$corpus"
  dict=$(dict_for "$t")
  log="$build/findings/$t.log"
  args=(-max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 -max_len=65536 -print_final_stats=1
        -artifact_prefix="$build/findings/$t-")
  [ -n "$dict" ] && args+=(-dict="$dict")
  started=$SECONDS
  nice -n 19 "$binary" "${args[@]}" "$corpus" "$seeds/$t" >"$log" 2>&1
  rc=$?
  ran=$((SECONDS - started))
  execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
  files=$(find "$corpus" -type f | wc -l)
  printf '%s\t%s\t%s\t%s\n' "$t" "$ran" "${execs:-0}" "$files" >>"$build/fuzz-sessions.tsv"
  if [ $rc -ne 0 ]; then
    echo "FINDING $t (exit $rc): $(grep -m1 -E 'ERROR|runtime error|property failed' "$log")"
    echo "  input: $(sed -n 's/.*Test unit written to //p' "$log" | tail -1); log: $log"
    status=1
  else
    echo "ok $t: ${ran}s, ${execs:-?} executions, corpus $files files"
  fi
done
exit $status
