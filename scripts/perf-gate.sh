#!/usr/bin/env bash
# The regression gate (results/README.md, "The regression gate"): the
# library of BUILD_DIR against a base commit built here, on this machine,
# in this run, with two signals:
#   timed   bench/gate/gate_run.c loads both libraries into one process and
#           measures them in interleaved rounds; `zcbench compare --paired`
#           fails a case when the 95% interval of new/base lies above
#           1 + ZC_GATE_THRESHOLD (0.10)
#   counts  instructions per page under callgrind, against
#           results/baselines/gate-insns.csv for this toolchain, else against
#           the base counted here; a rise above ZC_GATE_INSN_THRESHOLD (0.02)
#           fails
#
#   scripts/perf-gate.sh BUILD_DIR                   gate (exit 1 on a regression)
#   scripts/perf-gate.sh BUILD_DIR --base-build DIR  against DIR's libzc instead of a commit
#   scripts/perf-gate.sh BUILD_DIR --self            against itself: the gate's own noise
#   scripts/perf-gate.sh BUILD_DIR --update-counts   gate, then rewrite this toolchain's
#                                                    committed counts
# The base: ZC_GATE_BASE when set; else the merge base of HEAD and main (or
# origin/main) when that is not HEAD itself; else (HEAD on main, as in CI)
# the commit named in results/baselines/gate-base. It is built (only libzc)
# with BUILD_DIR's compiler and build type, cached in BUILD_DIR/gate/.
# ZC_GATE_NEW_LIB=FILE gates that libzc.a (say, of a tree with a planted
# regression) instead of BUILD_DIR's, which still provides the instrument.
# Also: ZC_GATE_ROUNDS (200), ZC_GATE_JOBS (2), ZC_CPU_BEST (cpu/variants.c).
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
usage="usage: scripts/perf-gate.sh BUILD_DIR [--base-build DIR | --self | --update-counts]"
[[ $# -ge 1 ]] || { echo "$usage" >&2; exit 2; }
build=$(cd "$1" 2>/dev/null && pwd) || { echo "perf-gate: no build directory '$1'" >&2; exit 2; }
mode=${2:-gate}
base_build=
case $mode in
  gate | --update-counts) ;;
  --self) base_build=$build ;;
  --base-build)
    base_build=$(cd "${3:-}" 2>/dev/null && pwd) && [[ -f $base_build/libzc.a ]] ||
      { echo "perf-gate: --base-build needs a build directory holding libzc.a, not '${3:-}'" >&2; exit 2; } ;;
  *) echo "perf-gate: unknown argument '$mode' ($usage)" >&2; exit 2 ;;
esac
rounds=${ZC_GATE_ROUNDS:-200}
threshold=${ZC_GATE_THRESHOLD:-0.10}
insn_threshold=${ZC_GATE_INSN_THRESHOLD:-0.02}
jobs=${ZC_GATE_JOBS:-2}
counts_file=results/baselines/gate-insns.csv
runner=$build/bench/zc-gate-run
zcbench=$build/bench/zcbench
new_lib=${ZC_GATE_NEW_LIB:-$build/libzc.a}
for f in "$new_lib" "$runner" "$zcbench" "$build/CMakeCache.txt"; do
  [[ -e $f ]] || { echo "perf-gate: $f is missing: build $build first (cmake --build $build)" >&2; exit 2; }
done
command -v valgrind >/dev/null ||
  { echo "perf-gate: valgrind is not installed (apt-get install valgrind): it counts the instructions" >&2; exit 2; }
cache_value() { sed -n "s/^$1:[A-Z]*=//p" "$build/CMakeCache.txt"; }
cc=$(cache_value CMAKE_C_COMPILER)
cxx=$(cache_value CMAKE_CXX_COMPILER)
build_type=$(cache_value CMAKE_BUILD_TYPE)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
start=$SECONDS
phase() { printf 'perf-gate: [%3ds] %s\n' $((SECONDS - start)) "$*"; }

# A libzc.a as a shared object the runner can load beside another (-Bsymbolic
# binds the library's calls to itself), linked with what zc.pc of its build
# (or of BUILD_DIR) names.
shared_lib() { # libzc.a out.so
  local pc_dir
  pc_dir=$(dirname "$1")
  [[ -f $pc_dir/zc.pc ]] || pc_dir=$build
  local libs
  libs=$(PKG_CONFIG_PATH=$pc_dir pkg-config --static --libs-only-l zc | sed 's/-lzc\b//')
  # shellcheck disable=SC2086 # a word list
  "$cc" -shared -Wl,-Bsymbolic -o "$2" -Wl,--whole-archive "$1" -Wl,--no-whole-archive $libs
}

# Prints "COMMIT REASON..." for the base, or nothing outside git.
resolve_base() {
  git rev-parse --is-inside-work-tree >/dev/null 2>&1 || return 0
  local head named ref mb
  head=$(git rev-parse HEAD)
  if [[ -n ${ZC_GATE_BASE:-} ]]; then
    mb=$(git rev-parse --verify -q "$ZC_GATE_BASE^{commit}") ||
      { echo "perf-gate: ZC_GATE_BASE=$ZC_GATE_BASE is not a commit here" >&2; return 2; }
    echo "$mb ZC_GATE_BASE=$ZC_GATE_BASE"
    return 0
  fi
  for ref in main origin/main; do
    git rev-parse --verify -q "$ref^{commit}" >/dev/null || continue
    mb=$(git merge-base HEAD "$ref") || continue
    if [[ $mb != "$head" ]]; then
      echo "$mb the merge base of HEAD and $ref: what this branch changed"
      return 0
    fi
    break
  done
  [[ -f results/baselines/gate-base ]] ||
    { echo "perf-gate: results/baselines/gate-base is missing: it names the base on main" >&2; return 2; }
  named=$(awk '!/^#/ && NF {print $1; exit}' results/baselines/gate-base)
  mb=$(git rev-parse --verify -q "$named^{commit}") || {
    echo "perf-gate: the base $named named in results/baselines/gate-base is not in this clone" \
         "(shallow? fetch it, or set ZC_GATE_BASE)" >&2
    return 2
  }
  echo "$mb results/baselines/gate-base: HEAD is on main, so the last accepted performance baseline"
}

# BUILD_DIR/gate/base-COMMIT: libzc of the commit, built once per compiler and build type.
build_base() { # commit -> prints the directory holding libzc.a and libzc-gate.so
  local dir=$build/gate/base-$1 stamp="$cc $build_type"
  if [[ -f $dir/done && $(cat "$dir/done") == "$stamp" ]]; then
    phase "base: built before, in $dir" >&2
    echo "$dir/build"
    return 0
  fi
  phase "base: building libzc of ${1:0:12} in $dir" >&2
  rm -rf "$build"/gate/base-*
  mkdir -p "$dir/src"
  git archive "$1" | tar -x -C "$dir/src"
  if ! { cmake -S "$dir/src" -B "$dir/build" -DCMAKE_BUILD_TYPE="$build_type" -DCMAKE_C_COMPILER="$cc" \
           -DCMAKE_CXX_COMPILER="$cxx" -DBUILD_TESTING=OFF &&
         cmake --build "$dir/build" -j "$jobs" --target zc &&
         shared_lib "$dir/build/libzc.a" "$dir/build/libzc-gate.so"; } >"$dir/build.log" 2>&1; then
    tail -20 "$dir/build.log" >&2
    echo "perf-gate: the base $1 does not build (log: $dir/build.log)" >&2
    return 2
  fi
  echo "$stamp" >"$dir/done"
  echo "$dir/build"
}

# Instruction counts of a library as the counts CSV (toolchain,case,pages,instructions).
count() { # lib.so out.csv
  local dir=$tmp/cg-$(basename "$2" .csv) best toolchain
  mkdir "$dir"
  valgrind --tool=callgrind --collect-atstart=no --callgrind-out-file="$dir/out" \
    "$runner" count "$1" >"$dir/stdout" 2>"$dir/valgrind.log" ||
    { tail -20 "$dir/valgrind.log" >&2; echo "perf-gate: counting $1 failed" >&2; return 2; }
  best=$(awk '$1 == "best" {print $2}' "$dir/stdout")
  toolchain="$("$runner" toolchain); $(valgrind --version); best $best"
  { echo "toolchain,case,pages,instructions"
    awk -v tc="$toolchain" '
      /^desc: Trigger: Client Request: / { sub(/^desc: Trigger: Client Request: /, ""); split($0, c, "|") }
      /^totals: / { printf "\"%s\",\"%s\",%s,%s\n", tc, c[1], c[2], $2 }' "$dir"/out.*
  } >"$2"
  echo "$toolchain" >"$dir/toolchain"
  sed -n 's/^desc: Trigger: Client Request: \(.*\)|[0-9]*$/\1/p' "$dir"/out.* >"$dir/cases"
}

new_so=$tmp/new/libzc-gate.so
mkdir -p "$tmp/new" "$tmp/base"
shared_lib "$new_lib" "$new_so"
[[ $new_lib == "$build/libzc.a" ]] || phase "new: $new_lib (ZC_GATE_NEW_LIB)"
base_so=
if [[ -n $base_build ]]; then
  # Always another file: dlopen hands back the same library for the same file.
  base_so=$tmp/base/libzc-gate.so
  shared_lib "$base_build/libzc.a" "$base_so"
  phase "base: $base_build/libzc.a ($mode)"
else
  base_line=$(resolve_base) || exit 2
  if [[ -z $base_line ]]; then
    phase "base: none (not a git checkout): the timed gate is skipped, counts are compared with $counts_file only"
  else
    base=${base_line%% *}
    phase "base: $(git log -1 --format='%h %s' "$base" | cut -c1-70)"
    phase "      why: ${base_line#* }"
    base_dir=$(build_base "$base") || exit 2
    base_so=$base_dir/libzc-gate.so
    phase "base: ready ($build_type, $cc)"
  fi
fi

status=0
if [[ -n $base_so ]]; then
  phase "timed: $rounds interleaved rounds of base and new"
  "$runner" time --rounds "$rounds" "$base_so" "$new_so" >"$tmp/pairs.csv" || exit 2
  rc=0
  "$zcbench" compare --paired --threshold "$threshold" "$tmp/pairs.csv" || rc=$?
  ((rc <= 1)) || exit 2
  ((rc == 0)) || status=1
fi

phase "counts: instructions per page under callgrind"
count "$new_so" "$tmp/counts-new.csv" || exit 2
while read -r spec; do
  grep -qxF "$spec" "$tmp/cg-counts-new/cases" ||
    phase "$spec runs here but not under $(valgrind --version) (its CPU model lacks the ISA): not counted"
done < <("$runner" cases "$new_so")
base_counts=()
if [[ -n $base_so ]]; then
  count "$base_so" "$tmp/counts-base.csv" || exit 2
  base_counts=("$tmp/counts-base.csv")
fi
rc=0
"$zcbench" compare --counts --threshold "$insn_threshold" "$counts_file" "$tmp/counts-new.csv" \
  "${base_counts[@]}" || rc=$?
((rc <= 1)) || exit 2
((rc == 0)) || status=1

if [[ $mode == --update-counts ]]; then
  toolchain=$(cat "$tmp"/cg-counts-new/toolchain)
  { head -1 "$counts_file"
    tail -n +2 "$counts_file" | grep -vF "\"$toolchain\"" || true
    tail -n +2 "$tmp/counts-new.csv"; } >"$tmp/updated.csv"
  cp "$tmp/updated.csv" "$counts_file"
  phase "wrote the counts of '$toolchain' to $counts_file"
fi
if ((status)); then
  phase "FAILED: a regression (named above)"
else
  phase "passed"
fi
exit $status
