#!/usr/bin/env bash
# The planted regressions of results/README.md still apply to this tree, and
# the instruction gate catches the +5% of tests/gate/plant-u64-insns.patch:
# a copy of the sources with it applied, its libzc gated against BUILD_DIR's.
# usage: test_gate_plant.sh SRC_DIR BUILD_DIR
set -euo pipefail
src=$1 build=$2
here=$(cd "$(dirname "$0")" && pwd)
command -v valgrind >/dev/null || { echo "skip: valgrind not installed"; exit 77; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
mkdir "$tmp/src"
(cd "$src" && tar -cf - CMakeLists.txt zc.pc.in cpu dsa include bench) | tar -x -C "$tmp/src"
for p in "$here"/plant-*.patch; do
  patch -s --dry-run -d "$tmp/src" -p1 <"$p" || { echo "FAIL: $(basename "$p") no longer applies"; exit 1; }
done
patch -s -d "$tmp/src" -p1 <"$here/plant-u64-insns.patch"
cache_value() { sed -n "s/^$1:[A-Z]*=//p" "$build/CMakeCache.txt"; }
# The plant adds about 5% to cpu:u64 as the optimizer compiles it; an
# unoptimized build's loop is twenty times longer and dilutes it below the gate.
case $(cache_value CMAKE_BUILD_TYPE) in
  Release | RelWithDebInfo) ;;
  *) echo "skip: the planted +5% is sized for an optimized build (this one: $(cache_value CMAKE_BUILD_TYPE))"; exit 77 ;;
esac
{ cmake -S "$tmp/src" -B "$tmp/build" -DCMAKE_BUILD_TYPE="$(cache_value CMAKE_BUILD_TYPE)" \
    -DCMAKE_C_COMPILER="$(cache_value CMAKE_C_COMPILER)" -DCMAKE_CXX_COMPILER="$(cache_value CMAKE_CXX_COMPILER)" \
    -DBUILD_TESTING=OFF && cmake --build "$tmp/build" -j 2 --target zc; } >"$tmp/build.log" 2>&1 ||
  { tail -20 "$tmp/build.log"; echo "FAIL: the planted tree does not build"; exit 1; }
rc=0
ZC_GATE_ROUNDS=30 ZC_GATE_NEW_LIB=$tmp/build/libzc.a "$src/scripts/perf-gate.sh" "$build" --base-build "$build" \
  >"$tmp/gate.log" 2>&1 || rc=$?
regressed=$(awk '$5 ~ /%$/ && $6 == "REGRESSION" {print $1}' "$tmp/gate.log")
if ((rc != 1)) || [[ $regressed != cpu:u64 ]]; then
  cat "$tmp/gate.log"
  echo "FAIL: +5% instructions in cpu:u64: gate exit $rc, counted regressions '$regressed' (expected 1, cpu:u64)"
  exit 1
fi
grep "^cpu:u64 .*%" "$tmp/gate.log"
echo "ok: the planted +5% instructions of cpu:u64 fail the instruction gate, and only that case"
