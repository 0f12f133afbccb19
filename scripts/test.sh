#!/usr/bin/env bash
# The test suite (README: ./run_all.sh --test). Stages:
#   release   -Werror Release build, every test but the fuzzers
#   asan      ASan+UBSan build, every test not labeled nosan
#   tsan      TSan build, the tests labeled threads
#   valgrind  memcheck (leaks) over the tests labeled valgrind
#   fuzz      libFuzzer targets (label fuzz), when clang is available
#   perfgate  the regression gate: this build against its base commit built
#             here, timed A/B and instruction counts (scripts/perf-gate.sh)
# ZC_TEST_STAGES="release asan" limits the stages; ZC_TEST_JOBS sets parallelism.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
jobs=${ZC_TEST_JOBS:-$(nproc)}
stages=${ZC_TEST_STAGES:-"release asan tsan valgrind fuzz perfgate"}
if (($#)); then # an extra word was ignored and every stage ran
  echo "test: unexpected argument '$1' (allowed: none; ZC_TEST_STAGES=\"release asan\" chooses the stages)" >&2
  exit 2
fi

scripts/deps.sh

stage() { printf '\n== test stage: %s ==\n' "$1"; }
# ctest -T memcheck exits 16 when any test fails under valgrind (an assertion,
# a timeout, valgrind's --error-exitcode), and 0 when tests pass with defects
# it counted: 16 does not mean a leak. Names the failed tests and the logs.
memcheck_failed() { # ctest's status
  local tmp=build-ci/Testing/Temporary
  echo "test: valgrind stage: ctest status $1: test(s) failed under memcheck:" \
       "$(tr '\n' ' ' <"$tmp/LastTestsFailed.log" 2>/dev/null)(their output and valgrind's:" \
       "$tmp/LastDynamicAnalysis_*.log, $tmp/MemoryChecker.<test number>.log)" >&2
  exit "$1"
}
configure_and_build() { # dir, cmake args...
  local dir=$1; shift
  cmake -S "$root" -B "$dir" -DZC_WERROR=ON "$@" >"$dir.configure.log" 2>&1 ||
    { cat "$dir.configure.log"; echo "test: configure of $dir failed (log: $dir.configure.log)" >&2; exit 1; }
  cmake --build "$dir" -j "$jobs" >"$dir.build.log" 2>&1 ||
    { tail -50 "$dir.build.log"; echo "test: build of $dir failed (log: $dir.build.log)" >&2; exit 1; }
}

for s in $stages; do
  case $s in
    release)
      stage release
      configure_and_build build-ci -DCMAKE_BUILD_TYPE=Release
      ctest --test-dir build-ci -LE fuzz -j "$jobs" --output-on-failure ;;
    asan)
      stage "asan (ASan+UBSan)"
      configure_and_build build-asan -DCMAKE_BUILD_TYPE=RelWithDebInfo -DZC_SANITIZE=address,undefined
      ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1 \
        ctest --test-dir build-asan -LE 'nosan|fuzz' -j "$jobs" --output-on-failure ;;
    tsan)
      stage "tsan (threaded parts)"
      configure_and_build build-tsan -DCMAKE_BUILD_TYPE=RelWithDebInfo -DZC_SANITIZE=thread
      TSAN_OPTIONS=halt_on_error=1:second_deadlock_stack=1 \
        ctest --test-dir build-tsan -L threads -j "$jobs" --output-on-failure ;;
    valgrind)
      stage "valgrind (leaks)"
      configure_and_build build-ci -DCMAKE_BUILD_TYPE=Release
      rm -f build-ci/Testing/Temporary/LastTestsFailed.log # ctest leaves an old one after a pass
      ZC_TEST_TIMEOUT_MS=120000 ctest --test-dir build-ci -L valgrind -T memcheck --output-on-failure \
        --overwrite MemoryCheckCommandOptions="--leak-check=full --errors-for-leak-kinds=definite --error-exitcode=1" ||
        memcheck_failed $? ;;
    fuzz)
      stage "fuzz (libFuzzer)"
      if command -v clang >/dev/null; then
        CC=clang CXX=clang++ configure_and_build build-fuzz -DCMAKE_BUILD_TYPE=RelWithDebInfo -DZC_FUZZ=ON
        ctest --test-dir build-fuzz -L fuzz --output-on-failure
      else
        echo "test: fuzz stage skipped: clang not installed (apt-get install clang libclang-rt-14-dev)"
      fi ;;
    perfgate)
      stage "perf gate (against the base commit, on this machine)"
      configure_and_build build-ci -DCMAKE_BUILD_TYPE=Release
      scripts/perf-gate.sh build-ci ;;
    *) echo "test: unknown stage '$s' (allowed: release asan tsan valgrind fuzz perfgate)" >&2; exit 2 ;;
  esac
done
echo "test: all stages passed ($stages)"
