#!/usr/bin/env bash
# zcbench main job. ./run_all.sh --test runs the test suite instead.
set -euo pipefail
cd "$(dirname "$0")"
if [[ ${1:-} == --test ]]; then
  shift
  exec scripts/test.sh "$@"
fi
scripts/deps.sh
cmake -S . -B build -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build build -j "$(nproc)" >/dev/null
exec build/bench/zc-microbench "$@"
