#!/usr/bin/env bash
# zcbench: the main job. Installs dependencies, builds, detects the hardware,
# runs the sweeps of a profile and writes CSVs, metadata, plots and a report.
#
#   ./run_all.sh [--quick] [--results DIR] [--configure-dsa] [--dsa-config FILE]
#                [--dsa-targets LIST]
#   ./run_all.sh --test        the test suite (README's test command, CI)
# ZC_BUILD_DIR chooses the build directory (default build/).
# Test hooks (tests/report/test_run_all_interrupt.sh): ZC_ZCBENCH=PATH runs
# that zcbench instead of building one (no build stage); ZC_SWEEP_DIR=DIR
# reads the profile's sweep files from DIR instead of configs/.
set -euo pipefail
set -o noclobber # nothing run_all writes with > replaces an existing file
caller=$PWD # relative --results and --dsa-config paths are the caller's
cd "$(dirname "$0")"
root=$PWD

if [[ ${1:-} == --test ]]; then
  shift
  exec scripts/test.sh "$@"
fi

usage() {
  cat <<USAGE
usage: ./run_all.sh [--quick] [--results DIR] [--configure-dsa] [--dsa-config FILE]
                    [--dsa-targets LIST]
       ./run_all.sh --test
  --quick           short profile (configs/sweep-quick.conf, under 3 minutes on 2 cores)
  --results DIR     where results go (default results/<date>-<host>)
  --configure-dsa   load a DSA layout with accel-config first (root, idxd loaded), even over
                    enabled devices (they are disabled and reconfigured; the previous layout
                    is saved in the logs, not restored)
  --dsa-config FILE the layout to load (default configs/dsa-1dev-1dwq-4eng.conf), or
                    every-device: one dedicated WQ on every DSA device the host has
  --dsa-targets LIST what the sweeps' wq=auto DSA specs become (default hw,projected;
                    allowed: hw, projected, model)
  --test            build and run the test suite instead
USAGE
}

profile=full
results=
configure_dsa=0
dsa_config=configs/dsa-1dev-1dwq-4eng.conf
targets=()
while (($#)); do
  case $1 in
    --quick) profile=quick ;;
    --results) [[ $# -ge 2 ]] || { echo "run_all: --results needs a directory" >&2; exit 2; }
               results=$2; shift ;;
    --configure-dsa) configure_dsa=1 ;;
    --dsa-config) [[ $# -ge 2 ]] || { echo "run_all: --dsa-config needs a file" >&2; exit 2; }
                  dsa_config=$2
                  [[ $dsa_config == /* || $dsa_config == every-device ]] || dsa_config=$caller/$dsa_config
                  shift ;;
    --dsa-targets) [[ $# -ge 2 ]] || { echo "run_all: --dsa-targets needs a list (hw,projected,model)" >&2; exit 2; }
                   [[ $2 =~ ^(hw|projected|model)(,(hw|projected|model))*$ ]] ||
                     { echo "run_all: bad value '$2' for --dsa-targets (allowed: hw, projected, model, comma separated)" >&2; exit 2; }
                   targets=(--dsa-targets "$2"); shift ;;
    -h|--help) usage; exit 0 ;;
    --test) echo "run_all: --test runs the test suite alone (allowed: ./run_all.sh --test, without the options of the main job)" >&2
            exit 2 ;;
    *) echo "run_all: unknown option '$1' (allowed: --quick, --results DIR, --configure-dsa, --dsa-config FILE, --dsa-targets LIST, --test, --help)" >&2
       exit 2 ;;
  esac
  shift
done

if [[ -z $results ]]; then
  results=$root/results/$(date -u +%Y%m%d-%H%M%S)-$(hostname -s)
elif [[ $results != /* ]]; then
  results=$caller/$results
fi
# A results directory that holds a run (its CSVs, logs or save image) is
# never written into again, so no file of an earlier run is overwritten.
image_name=savevm-image.bin
held=$({ compgen -G "$results/sweep-*.csv" || compgen -G "$results/logs/*.log" ||
         compgen -G "$results/$image_name" || true; } | head -n 1)
if [[ -n $held ]]; then
  echo "run_all: $results already holds a run (${held#"$results"/}); choose another --results DIR or remove it" >&2
  exit 2
fi
mkdir -p "$results/logs"
results=$(cd "$results" && pwd)
logs=$results/logs
start=$SECONDS

# savevm writes non-zero pages to an image file as QEMU does; zcbench creates
# it (never over an existing file) and it is removed on every exit of run_all.
image=$results/$image_name
trap 'rm -f "$image"' EXIT
# bash runs a trap only once the foreground command has ended, but at once
# during `wait`: the sweeps run in the background (stage_live), and a
# SIGINT/SIGTERM to run_all reaches the running one as SIGTERM (zcbench
# finishes the case at hand, keeps its rows and removes its image); a second
# signal stops it at once. Then run_all exits, through the EXIT trap.
running=
interrupted=0
on_signal() {
  interrupted=$1
  if [[ -z $running ]]; then exit "$interrupted"; fi
  kill -TERM "$running" 2>/dev/null || true
}
trap 'on_signal 130' INT
trap 'on_signal 143' TERM

# stage NAME CMD...: runs CMD with its output in logs/NAME.log; a failure
# names the stage and its log.
stage() {
  local name=$1; shift
  printf '[%4ds] %-10s ' $((SECONDS - start)) "$name"
  if "$@" >"$logs/$name.log" 2>&1; then
    echo "ok"
  else
    local rc=$?
    echo "FAILED (exit $rc)"
    tail -n 20 "$logs/$name.log" | sed 's/^/    /'
    echo "run_all: stage '$name' failed; full log: $logs/$name.log" >&2
    exit 1
  fi
}

# Like stage, but the command's stderr (zcbench's progress) also shows live,
# and a failure is recorded, not fatal: every row written so far is kept and
# the report is still made from it; run_all fails at the end naming the stage.
failed=()
stage_live() {
  local name=$1; shift
  local log=$logs/$name.log rc=0 ended=
  printf '[%4ds] %s\n' $((SECONDS - start)) "$name"
  "$@" >>"$log" 2> >(tee -i -a "$log" >&2) &
  running=$!
  # wait returns early, leaving `ended` unset, when run_all traps a signal:
  # then it waits again, until the sweep has ended (127: nothing to wait for).
  until [[ -n ${ended:-} ]] || ((rc == 127)); do
    rc=0
    wait -n -p ended "$running" || rc=$?
  done
  running=
  if ((interrupted)); then
    echo "run_all: interrupted in stage '$name'; the rows it finished are kept (log: $log)" >&2
    exit "$interrupted"
  fi
  if ((rc == 0)); then
    printf '[%4ds] %-10s ok\n' $((SECONDS - start)) "$name"
  else
    echo "run_all: stage '$name' failed; full log: $log" >&2
    failed+=("$name")
  fi
}

build_dir=${ZC_BUILD_DIR:-$root/build}
build() {
  cmake -S "$root" -B "$build_dir" -DCMAKE_BUILD_TYPE=Release -DBUILD_TESTING=OFF &&
    cmake --build "$build_dir" --target zcbench -j "$(nproc)"
}
zcbench=${ZC_ZCBENCH:-$build_dir/bench/zcbench}
sweeps=${ZC_SWEEP_DIR:-configs}

detect() {
  echo "CPU: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//')"
  echo "CPU flags of interest: $(grep -m1 '^flags' /proc/cpuinfo | tr ' ' '\n' |
    grep -xE 'sse2|avx2|avx512f|avx512bw|movdir64b|enqcmd|waitpkg' | tr '\n' ' ')"
  local wqs=""
  if command -v accel-config >/dev/null && [[ -d /sys/bus/dsa/devices ]]; then
    wqs=$(accel-config list 2>/dev/null | grep -o '"dev":"wq[0-9.]*"' | cut -d'"' -f4 | tr '\n' ' ')
  fi
  if [[ -n ${ZC_DSA_KERNEL:-} && ${ZC_DSA_KERNEL} != linux ]]; then
    echo "DSA: the KERNEL MODEL ZC_DSA_KERNEL=$ZC_DSA_KERNEL (a test hook): its WQs and rows are modeled (dsa-kmodel)"
  elif [[ -n $wqs ]]; then
    echo "DSA: enabled work queues: $wqs (wq=auto specs run on them, and on their projection)"
  elif [[ -d /sys/bus/dsa/devices ]]; then
    echo "DSA: idxd loaded, no enabled work queue (./run_all.sh --configure-dsa): DSA rows are projected or modeled"
  else
    echo "DSA: none (idxd not loaded): DSA rows are projected or modeled (emu), labeled so"
  fi
  if [[ -n $wqs ]]; then accel-config list; fi
  "$zcbench" --list-backends
}

# Why DSA cannot be configured here (nothing printed when it can).
dsa_unconfigurable() {
  if [[ $dsa_config != every-device && ! -f $dsa_config ]]; then
    echo "no such config: $dsa_config (see configs/dsa-*.conf, or every-device)"
  elif [[ $(id -u) -ne 0 ]]; then echo "--configure-dsa needs root"
  elif [[ ! -d /sys/bus/dsa ]]; then
    echo "idxd is not loaded: modprobe idxd (needs a Xeon with DSA, VT-d and intel_iommu=on,sm_on)"
  elif ! command -v accel-config >/dev/null; then echo "accel-config is not installed (scripts/deps.sh)"
  fi
}

configure_dsa() {
  scripts/dsa-configure.sh "$dsa_config" "$logs" && accel-config list
}

# sweep FILE [zcbench options...]: one sweep file into RESULTS/NAME.csv
# (+ .samples.csv, .gbench.json and the run's metadata). stage_live runs it
# as a background job and signals that job's pid, hence the exec; zcbench
# ignores the terminal's SIGINT, which run_all passes on as SIGTERM (once).
sweep() {
  local f=$sweeps/$1; shift
  local name
  name=$(basename "$f" .conf)
  echo "== zcbench --config $f $*"
  trap '' INT
  exec "${limit[@]}" "$zcbench" --config "$f" --output "$results/$name.csv" \
    --gbench-json "$results/$name.gbench.json" "${targets[@]}" "$@"
}

echo "zcbench run_all: profile $profile, results in $results"
stage deps scripts/deps.sh
if [[ -z ${ZC_ZCBENCH:-} ]]; then stage build build; fi
if ((configure_dsa)); then
  why=$(dsa_unconfigurable)
  if [[ -n $why ]]; then
    echo "run_all: --configure-dsa skipped: $why; DSA rows will be projected or modeled"
  else
    stage dsa-config configure_dsa
    sed -n '/: changed:\|: unchanged:\|nothing is restored/p' "$logs/dsa-config.log" | sed 's/^/    /'
  fi
fi
stage detect detect
sed -n '1,3p' "$logs/detect.log" | sed 's/^/    /'
limit=()
if [[ $profile == quick ]]; then
  # A quick sweep that hangs (a backend bug) is stopped rather than waited for:
  # SIGINT first (zcbench keeps the finished rows), SIGKILL 10 s later.
  limit=(timeout -s INT -k 10 120)
  stage_live sweep-quick sweep sweep-quick.conf
  stage_live seed-onegig sweep sweep-seed-onegig.conf --size 64M --reps 3
  stage_live seed-savevm sweep sweep-seed-savevm.conf --mem 64M,256M --sink "file:$image"
else
  stage_live sweep-full sweep sweep-full.conf
  stage_live seed-onegig sweep sweep-seed-onegig.conf
  stage_live seed-savevm sweep sweep-seed-savevm.conf --sink "file:$image"
fi
rm -f "$image"
# The savevm gap in work: QEMU's and the model's instructions per page
# (callgrind, all-zero guest); where QEMU cannot start, said and skipped.
qemu_insns() {
  python3 scripts/qemu_insns.py --zcbench "$zcbench" --mem 64M --json "$results/qemu-insns.json" ||
    { local rc=$?; ((rc == 77)) && echo "run_all: qemu-insns skipped: QEMU cannot start here" >&2; ((rc == 77)); }
}
stage_live qemu-insns qemu_insns
stage report python3 plots/report.py "$results" --profile "$profile"
echo
tail -n 5 "$logs/report.log"
if ((${#failed[@]})); then
  echo "run_all: done in $((SECONDS - start)) s, but stage(s) ${failed[*]} failed (logs in $logs): the report holds the rows that finished" >&2
  exit 1
fi
echo "run_all: done in $((SECONDS - start)) s"
