#!/usr/bin/env bash
# CI regression gate on machine-independent performance ratios: runs
# configs/sweep-gate.conf with the given build's zcbench and compares each
# backend's throughput relative to the read-ceiling kernel (ref:read) of the
# same run against results/baselines/gate.csv and its .samples.csv (see
# results/README.md).
#   scripts/perf-gate.sh BUILD_DIR            gate (exit 1 on a regression)
#   scripts/perf-gate.sh BUILD_DIR --update   measure and write the baseline
# Ratios use each case's fastest repetition (--stat min: the one least
# disturbed by other load), and a regression must show in two runs in a row,
# so a burst of load on a shared machine does not fail CI while a real
# slowdown fails both. ZC_GATE_THRESHOLD overrides the threshold (default
# 0.50: base ratio / new ratio > 1.5; why in results/README.md).
set -euo pipefail
cd "$(dirname "$0")/.."
build=${1:?usage: scripts/perf-gate.sh BUILD_DIR [--update]}
mode=${2:-gate}
zcbench=$build/bench/zcbench
baseline=results/baselines/gate.csv
[[ -x $zcbench ]] || { echo "perf-gate: $zcbench is not built" >&2; exit 2; }
[[ $mode == gate || $mode == --update ]] ||
  { echo "perf-gate: unknown argument '$mode' (allowed: --update)" >&2; exit 2; }
threshold=${ZC_GATE_THRESHOLD:-0.50}
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
measure() { "$zcbench" --quiet --config configs/sweep-gate.conf --output "$1"; }
if [[ $mode == --update ]]; then
  measure "$out/gate.csv"
  cp "$out/gate.csv" "$baseline"
  cp "$out/gate.samples.csv" "${baseline%.csv}.samples.csv"
  echo "perf-gate: wrote $baseline ($(($(wc -l <"$baseline") - 1)) rows)"
  exit 0
fi
[[ -f $baseline ]] ||
  { echo "perf-gate: no baseline $baseline (make one: scripts/perf-gate.sh $build --update)" >&2; exit 2; }
for attempt in 1 2; do
  measure "$out/gate$attempt.csv"
  rc=0
  "$zcbench" compare --ratios --stat min --threshold "$threshold" "$baseline" "$out/gate$attempt.csv" || rc=$?
  ((rc == 1)) || exit $rc
  ((attempt == 2)) || echo "perf-gate: regression in run $attempt; measuring again to rule out load"
done
echo "perf-gate: the regression held in two runs" >&2
exit 1
