#!/usr/bin/env bash
# Installs the Debian packages that vigil's build, tests and benchmarks need, when missing.
# Idempotent and non-interactive; prints nothing when everything is already present.
set -euo pipefail

packages=(
  g++ cmake make pkg-config
  libgtest-dev libgmock-dev libbenchmark-dev
  libsimdjson-dev libyaml-cpp-dev nlohmann-json3-dev libcli11-dev libfmt-dev
  libsqlite3-dev zlib1g-dev libzstd-dev libxxhash-dev
  libcpp-httplib-dev
  clang libclang-rt-14-dev zstd  # make fuzz (libFuzzer, sanitizers); zstd for the mutation campaign
  clang-format clang-tidy        # make format-check, make tidy
  python3-dev pybind11-dev python3-numpy python3-pandas python3-statsmodels
  python3-dask python3-distributed python3-pytest
  python3-sklearn                # bench/adbench.sh: scikit-learn's IsolationForest, the reference
  prometheus-alertmanager chromium tzdata wrk
)
# The browser test drives Chromium from Node.js (playwright-core from npm); a Node.js installed
# another way (with its own npm) is fine.
command -v npm >/dev/null 2>&1 || packages+=(nodejs npm)

missing=()
for p in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done
[ ${#missing[@]} -eq 0 ] && exit 0

echo "installing: ${missing[*]}" >&2
SUDO=""
[ "$(id -u)" -ne 0 ] && SUDO="sudo"
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq >/dev/null
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
