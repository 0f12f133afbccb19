#!/usr/bin/env bash
# CI regression gate on machine-independent performance ratios: runs
# configs/sweep-gate.conf with the given build's zcbench and compares each
# backend's throughput relative to the read-ceiling kernel (ref:read) of the
# same run against results/baselines/gate.csv.
#   scripts/perf-gate.sh BUILD_DIR
# ZC_GATE_THRESHOLD overrides the threshold (see results/README.md).
set -euo pipefail
cd "$(dirname "$0")/.."
build=${1:?usage: scripts/perf-gate.sh BUILD_DIR}
zcbench=$build/bench/zcbench
[[ -x $zcbench ]] || { echo "perf-gate: $zcbench is not built" >&2; exit 2; }
threshold=${ZC_GATE_THRESHOLD:-0.25}
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
"$zcbench" --quiet --config configs/sweep-gate.conf --output "$out/gate.csv"
"$zcbench" compare --ratios --threshold "$threshold" results/baselines/gate.csv "$out/gate.csv"
