#!/usr/bin/env bash
# An interrupted run_all.sh leaves no save image behind and keeps the rows it
# finished: SIGTERM to run_all alone (a CI timeout, kill PID) and SIGINT to its
# whole process group (Ctrl-C in a terminal). A tiny profile keeps it short:
# ZC_ZCBENCH runs the zcbench under test (no build stage), ZC_SWEEP_DIR holds
# the profile's sweep files.
#   test_run_all_interrupt.sh ZCBENCH
set -u
root=$(cd "$(dirname "$0")/../.." && pwd)
zcbench=${1:?usage: $0 ZCBENCH}
if ! "$root/scripts/deps.sh" --check 2>/dev/null; then
  echo "SKIP: run_all's deps stage would install packages (scripts/deps.sh --check fails)"
  exit 77
fi
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
mkdir "$tmp/sweeps"
# The stages before the savevm one: one tiny case each.
cat >"$tmp/sweeps/sweep-full.conf" <<'EOF'
reps = 1
min-time = 0
ref = 0
[sweep tiny]
backend = cpu:best
size = 4K
EOF
cp "$tmp/sweeps/sweep-full.conf" "$tmp/sweeps/sweep-seed-onegig.conf"
# 8 cases of 20 passes, each writing the image anew: seconds if not stopped.
cat >"$tmp/sweeps/sweep-seed-savevm.conf" <<'EOF'
workload = savevm
reps = 20
min-time = 0
zero-ratio = 0,0.5
[sweep savevm]
backend = cpu:best
mem = 8M,16M,24M,32M
EOF

fail=0
check() { # what, condition...
  local what=$1; shift
  if ! "$@"; then echo "FAIL: $what"; fail=1; fi
}

# interrupt NAME SIGNAL TARGET WANT: starts run_all in its own session, waits
# for the image, signals TARGET (pid: run_all; group: its process group), and
# checks what is left.
interrupt() {
  local name=$1 sig=$2 target=$3 want=$4
  local results=$tmp/$name image=$tmp/$name/savevm-image.bin
  # A background job of a script starts with SIGINT ignored, which bash
  # cannot trap: --default-signal gives run_all the terminal's default back.
  ZC_ZCBENCH=$zcbench ZC_SWEEP_DIR=$tmp/sweeps \
    env --default-signal=INT setsid "$root/run_all.sh" --results "$results" \
    >"$tmp/$name.out" 2>&1 &
  local pid=$! i
  for ((i = 0; i < 300; i++)); do
    [[ -e $image ]] && break
    sleep 0.05
  done
  check "$name: the image appeared" test -e "$image"
  if [[ $target == group ]]; then kill "-$sig" -- "-$pid"; else kill "-$sig" "$pid"; fi
  local got=0
  wait "$pid" || got=$?
  check "$name: run_all exits $want (got $got)" test "$got" -eq "$want"
  sleep 0.5 # a zcbench left running would create the image again
  check "$name: no image left behind" test ! -e "$image"
  local csv=$results/sweep-seed-savevm.csv
  check "$name: the sweep's CSV is kept" test -s "$csv"
  check "$name: its last line is complete" test "$(tail -c 1 "$csv" | od -An -c | tr -d ' ')" = '\n'
  local rows
  rows=$(($(wc -l <"$csv") - 1))
  check "$name: stopped early ($rows of 8 rows)" test "$rows" -lt 8
  check "$name: says it was interrupted" grep -q "interrupted in stage 'seed-savevm'" "$tmp/$name.out"
  # One signal reached zcbench: it finished its case (a second would kill it).
  check "$name: zcbench stopped after its case" grep -q "zcbench: interrupted after" "$tmp/$name.out"
  if ((fail)); then cat "$tmp/$name.out"; fi
}

interrupt term TERM pid 143
interrupt ctrl-c INT group 130
exit $fail
