#!/usr/bin/env bash
# Runs the regression gate (scripts/perf-gate.sh) again and again to measure
# it (results/README.md, "How the threshold and the rounds were chosen (measured here)"): one
# markdown table row per run.
#   scripts/gate-trials.sh BUILD_DIR [--runs N] [--plant PATCH]
# --plant PATCH gates the libzc of a copy of the working tree with PATCH
# applied (e.g. tests/gate/plant-u64-slower.patch), built like BUILD_DIR,
# instead of BUILD_DIR's (ZC_GATE_NEW_LIB). The base is resolved in this
# checkout as usual.
set -euo pipefail
cd "$(dirname "$0")/.."
usage="usage: scripts/gate-trials.sh BUILD_DIR [--runs N] [--plant PATCH]"
[[ $# -ge 1 ]] || { echo "$usage" >&2; exit 2; }
build=$(cd "$1" 2>/dev/null && pwd) || { echo "gate-trials: no build directory '$1'" >&2; exit 2; }
shift
runs=10 plant=
while (($#)); do
  case $1 in
    --runs) [[ ${2:-} =~ ^[1-9][0-9]*$ ]] || { echo "gate-trials: bad value '${2:-}' for --runs (allowed: an integer >= 1)" >&2; exit 2; }
            runs=$2; shift ;;
    --plant) [[ -f ${2:-} ]] || { echo "gate-trials: no patch file '${2:-}'" >&2; exit 2; }
             plant=$(cd "$(dirname "$2")" && pwd)/$(basename "$2"); shift ;;
    *) echo "gate-trials: unknown argument '$1' ($usage)" >&2; exit 2 ;;
  esac
  shift
done
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

if [[ -n $plant ]]; then
  # The working tree as it is (uncommitted changes included), patched.
  mkdir "$tmp/src"
  git ls-files -z --cached --others --exclude-standard | tar --null -T - -cf - | tar -x -C "$tmp/src"
  patch -s -d "$tmp/src" -p1 <"$plant"
  cache_value() { sed -n "s/^$1:[A-Z]*=//p" "$build/CMakeCache.txt"; }
  { cmake -S "$tmp/src" -B "$tmp/src/build" -DCMAKE_BUILD_TYPE="$(cache_value CMAKE_BUILD_TYPE)" \
      -DCMAKE_C_COMPILER="$(cache_value CMAKE_C_COMPILER)" -DCMAKE_CXX_COMPILER="$(cache_value CMAKE_CXX_COMPILER)" \
      -DBUILD_TESTING=OFF &&
    cmake --build "$tmp/src/build" -j 2 --target zc; } >"$tmp/plant-build.log" 2>&1 ||
    { tail -20 "$tmp/plant-build.log"; echo "gate-trials: the planted tree does not build" >&2; exit 2; }
  export ZC_GATE_NEW_LIB=$tmp/src/build/libzc.a
fi

# A timed case's "ratio [lo, hi]" (its line: case base_ns new_ns ratio [lo, hi] verdict).
timed() { awk -v c="$2" '$1 == c && $5 ~ /^\[/ {print $4, $5, $6; exit}' "$1"; }
echo "| run | exit | timed fails | count fails | cpu:u64 4K | cpu:u64 64K | cpu:u64 1M | other case nearest to failing | cpu:u64 insns | s | load |"
echo "|---|---|---|---|---|---|---|---|---|---|---|"
for i in $(seq 1 "$runs"); do
  t0=$SECONDS
  rc=0
  scripts/perf-gate.sh "$build" >"$tmp/run.log" 2>&1 || rc=$?
  ((rc <= 1)) || { cat "$tmp/run.log"; echo "gate-trials: the gate failed to run (exit $rc)" >&2; exit 2; }
  timed_fails=$(awk '$5 ~ /^\[/ && $7 == "REGRESSION"' "$tmp/run.log" | wc -l)
  count_fails=$(awk '$5 ~ /%$/ && $6 == "REGRESSION"' "$tmp/run.log" | wc -l)
  other=$(awk '$5 ~ /^\[/ && $1 !~ /^cpu:u64\// {lo = substr($5, 2) + 0; print lo, $1, $4, $5, $6}' \
            "$tmp/run.log" | sort -g | tail -1 | cut -d' ' -f2-)
  insns=$(awk '$1 == "cpu:u64" && $5 ~ /%$/ {print $5; exit}' "$tmp/run.log")
  printf '| %d | %d | %d | %d | %s | %s | %s | %s | %s | %d | %s |\n' "$i" "$rc" "$timed_fails" "$count_fails" \
    "$(timed "$tmp/run.log" cpu:u64/4096)" "$(timed "$tmp/run.log" cpu:u64/65536)" \
    "$(timed "$tmp/run.log" cpu:u64/1048576)" "${other:--}" "${insns:--}" $((SECONDS - t0)) \
    "$(cut -d' ' -f1 /proc/loadavg)"
done
