#!/usr/bin/env bash
# CI regression gate on machine-independent performance ratios: runs
# configs/sweep-gate.conf with the given build's zcbench and compares each
# backend's throughput relative to the read-ceiling kernel (ref:read) of the
# same run against results/baselines/gate.csv (see results/README.md).
#   scripts/perf-gate.sh BUILD_DIR            gate (exit 1 on a regression)
#   scripts/perf-gate.sh BUILD_DIR --update   measure and write the baseline
# ZC_GATE_THRESHOLD overrides the threshold (default 0.25 = a ratio 25% lower).
set -euo pipefail
cd "$(dirname "$0")/.."
build=${1:?usage: scripts/perf-gate.sh BUILD_DIR [--update]}
mode=${2:-gate}
zcbench=$build/bench/zcbench
baseline=results/baselines/gate.csv
[[ -x $zcbench ]] || { echo "perf-gate: $zcbench is not built" >&2; exit 2; }
[[ $mode == gate || $mode == --update ]] ||
  { echo "perf-gate: unknown argument '$mode' (allowed: --update)" >&2; exit 2; }
threshold=${ZC_GATE_THRESHOLD:-0.25}
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
"$zcbench" --quiet --config configs/sweep-gate.conf --output "$out/gate.csv"
if [[ $mode == --update ]]; then
  cp "$out/gate.csv" "$baseline"
  echo "perf-gate: wrote $baseline ($(($(wc -l <"$baseline") - 1)) rows)"
  exit 0
fi
[[ -f $baseline ]] ||
  { echo "perf-gate: no baseline $baseline (make one: scripts/perf-gate.sh $build --update)" >&2; exit 2; }
"$zcbench" compare --ratios --threshold "$threshold" "$baseline" "$out/gate.csv"
