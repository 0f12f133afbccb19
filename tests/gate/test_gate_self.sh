#!/usr/bin/env bash
# The gate passes the build against itself with cpu:best forced to what a
# machine without AVX-512 (avx2) and one without AVX (u64) would use, and
# refuses bad arguments. Counts compared with the base (with u64 always: no
# committed counts are of a best forced to u64) are the same library
# counted again: they must be equal. usage: test_gate_self.sh SRC_DIR BUILD_DIR
set -euo pipefail
src=$1 build=$2
command -v valgrind >/dev/null || { echo "skip: valgrind not installed"; exit 77; }
export ZC_GATE_ROUNDS=60
fail=0
for best in avx2 u64; do
  if ! why=$(ZC_CPU_BEST=$best "$build/bench/zcbench" --list-backends 2>&1 >/dev/null); then
    echo "skip best=$best: $why"
    continue
  fi
  log=$(mktemp)
  rc=0
  ZC_CPU_BEST=$best "$src/scripts/perf-gate.sh" "$build" --self >"$log" 2>&1 || rc=$?
  # Identical code, counted twice: identical counts, to the instruction.
  unequal=$(awk '$2 == "base" && $5 ~ /%$/ && $5 != "+0.00%"' "$log")
  against_base=$(awk '$2 == "base" && $5 ~ /%$/' "$log")
  if ((rc != 0)) || ! grep -q "best $best'" "$log" || ! grep -q "0 regressions" "$log" ||
     [[ -n $unequal || ($best == u64 && -z $against_base) ]]; then
    echo "FAIL: best=$best: the gate against itself exited $rc:"; cat "$log"; fail=1
  else
    echo "ok: best=$best passes against itself"
  fi
  rm -f "$log"
done
rc=0
"$src/scripts/perf-gate.sh" "$build" --bogus >/dev/null 2>&1 || rc=$?
((rc == 2)) || { echo "FAIL: --bogus exited $rc, not 2"; fail=1; }
rc=0
ZC_CPU_BEST=avx9 "$src/scripts/perf-gate.sh" "$build" --self >/dev/null 2>&1 || rc=$?
((rc == 2)) || { echo "FAIL: ZC_CPU_BEST=avx9 exited $rc, not 2"; fail=1; }
exit $fail
