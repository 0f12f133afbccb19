#!/usr/bin/env bash
# run_all.sh refuses bad input before doing anything (exit 2, one line naming
# the value), and never appends a second run to a results directory.
set -u
root=$(cd "$(dirname "$0")/../.." && pwd)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail=0
expect() { # status, stderr pattern, args...
  local want=$1 pattern=$2; shift 2
  local got=0
  "$root/run_all.sh" "$@" >"$tmp/out" 2>"$tmp/err" || got=$?
  if [[ $got -ne $want ]] || ! grep -q -- "$pattern" "$tmp/err" "$tmp/out"; then
    echo "FAIL: run_all.sh $*: exit $got (want $want), output:"; cat "$tmp/out" "$tmp/err"
    fail=1
  fi
}
expect 2 "unknown option '--bogus'" --bogus
expect 2 "allowed: --quick" --quick --frobnicate
expect 2 "--results needs a directory" --results
expect 2 "--dsa-config needs a file" --dsa-config
expect 2 "bad value 'hw,gpu' for --dsa-targets" --dsa-targets hw,gpu
expect 2 "--dsa-targets needs a list" --dsa-targets
expect 0 "usage: ./run_all.sh" --help
# --test takes nothing after it (ZC_TEST_STAGES chooses the stages): an extra
# word was ignored and the suite ran; --test after an option was "unknown",
# though the message allowed it. ZC_TEST_STAGES=none: nothing runs if refused late.
ZC_TEST_STAGES=none expect 2 "test: unexpected argument '--bogus'" --test --bogus
expect 2 "--test runs the test suite alone" --quick --test
mkdir -p "$tmp/run"
touch "$tmp/run/sweep-quick.csv"
expect 2 "already holds a run" --quick --results "$tmp/run"
# Logs of an earlier run, or a file where the save image would go, are a run
# too: nothing of them is overwritten (nor removed by run_all's exit trap).
mkdir -p "$tmp/logs-only/logs" "$tmp/image-only"
echo "earlier" >"$tmp/logs-only/logs/deps.log"
expect 2 "already holds a run (logs/deps.log)" --quick --results "$tmp/logs-only"
echo "precious" >"$tmp/image-only/savevm-image.bin"
expect 2 "already holds a run (savevm-image.bin)" --quick --results "$tmp/image-only"
[[ $(cat "$tmp/logs-only/logs/deps.log") == earlier && $(cat "$tmp/image-only/savevm-image.bin") == precious ]] ||
  { echo "FAIL: a refused results directory was changed"; fail=1; }
# Relative --results is the caller's path, not the repository's.
(cd "$tmp" && "$root/run_all.sh" --quick --results run >/dev/null 2>"$tmp/err2")
grep -q "$tmp/run already holds a run" "$tmp/err2" || { echo "FAIL: relative --results"; cat "$tmp/err2"; fail=1; }
exit $fail
