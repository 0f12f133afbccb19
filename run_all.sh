#!/usr/bin/env bash
# zcbench: the main job. Installs dependencies, builds, detects the hardware,
# runs the sweeps of a profile and writes CSVs, metadata, plots and a report.
#
#   ./run_all.sh [--quick] [--results DIR] [--configure-dsa] [--dsa-config FILE]
#   ./run_all.sh --test        the test suite (README's test command, CI)
# ZC_BUILD_DIR chooses the build directory (default build/).
set -euo pipefail
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
       ./run_all.sh --test
  --quick           short profile (configs/sweep-quick.conf, under 3 minutes on 2 cores)
  --results DIR     where results go (default results/<date>-<host>)
  --configure-dsa   load a DSA device config with accel-config first (root, idxd loaded)
  --dsa-config FILE the config to load (default configs/dsa-1dev-1dwq-4eng.conf)
  --test            build and run the test suite instead
USAGE
}

profile=full
results=
configure_dsa=0
dsa_config=configs/dsa-1dev-1dwq-4eng.conf
while (($#)); do
  case $1 in
    --quick) profile=quick ;;
    --results) [[ $# -ge 2 ]] || { echo "run_all: --results needs a directory" >&2; exit 2; }
               results=$2; shift ;;
    --configure-dsa) configure_dsa=1 ;;
    --dsa-config) [[ $# -ge 2 ]] || { echo "run_all: --dsa-config needs a file" >&2; exit 2; }
                  dsa_config=$2; [[ $dsa_config == /* ]] || dsa_config=$caller/$dsa_config; shift ;;
    -h|--help) usage; exit 0 ;;
    *) echo "run_all: unknown option '$1' (allowed: --quick, --results DIR, --configure-dsa, --dsa-config FILE, --test, --help)" >&2
       exit 2 ;;
  esac
  shift
done

if [[ -z $results ]]; then
  results=$root/results/$(date -u +%Y%m%d-%H%M%S)-$(hostname -s)
elif [[ $results != /* ]]; then
  results=$caller/$results
fi
if compgen -G "$results/sweep-*.csv" >/dev/null; then
  echo "run_all: $results already holds a run (sweep-*.csv); choose another --results DIR or remove it" >&2
  exit 2
fi
mkdir -p "$results/logs"
results=$(cd "$results" && pwd)
logs=$results/logs
start=$SECONDS

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
  printf '[%4ds] %s\n' $((SECONDS - start)) "$name"
  if { "$@" 2>&1 >>"$logs/$name.log" | tee -a "$logs/$name.log" >&2; }; then
    printf '[%4ds] %-10s ok\n' $((SECONDS - start)) "$name"
  else
    echo "run_all: stage '$name' failed; full log: $logs/$name.log" >&2
    failed+=("$name")
  fi
}

build_dir=${ZC_BUILD_DIR:-$root/build}
build() {
  cmake -S "$root" -B "$build_dir" -DCMAKE_BUILD_TYPE=Release -DBUILD_TESTING=OFF &&
    cmake --build "$build_dir" --target zcbench -j "$(nproc)"
}
zcbench=$build_dir/bench/zcbench

detect() {
  echo "CPU: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//')"
  echo "CPU flags of interest: $(grep -m1 '^flags' /proc/cpuinfo | tr ' ' '\n' |
    grep -xE 'sse2|avx2|avx512f|avx512bw|movdir64b|enqcmd|waitpkg' | tr '\n' ' ')"
  local wqs=""
  if command -v accel-config >/dev/null && [[ -d /sys/bus/dsa/devices ]]; then
    wqs=$(accel-config list 2>/dev/null | grep -o '"dev":"wq[0-9.]*"' | cut -d'"' -f4 | tr '\n' ' ')
  fi
  if [[ -n $wqs ]]; then
    echo "DSA: enabled work queues: $wqs"
  elif [[ -d /sys/bus/dsa/devices ]]; then
    echo "DSA: idxd loaded, no enabled work queue (./run_all.sh --configure-dsa): DSA rows are modeled (emu)"
  else
    echo "DSA: none (idxd not loaded): DSA backends run on the emu device model, rows labeled modeled"
  fi
  if [[ -n $wqs ]]; then accel-config list; fi
  "$zcbench" --list-backends
}

# Why DSA cannot be configured here (nothing printed when it can).
dsa_unconfigurable() {
  if [[ ! -f $dsa_config ]]; then echo "no such config: $dsa_config (see configs/dsa-*.conf)"
  elif [[ $(id -u) -ne 0 ]]; then echo "--configure-dsa needs root"
  elif [[ ! -d /sys/bus/dsa ]]; then
    echo "idxd is not loaded: modprobe idxd (needs a Xeon with DSA, VT-d and intel_iommu=on,sm_on)"
  elif ! command -v accel-config >/dev/null; then echo "accel-config is not installed (scripts/deps.sh)"
  fi
}

configure_dsa() {
  accel-config load-config -c "$dsa_config" -e && accel-config list
}

# sweep FILE [zcbench options...]: one sweep file into RESULTS/NAME.csv
# (+ .samples.csv, .gbench.json and the run's metadata).
sweep() {
  local f=$1; shift
  local name
  name=$(basename "$f" .conf)
  echo "== zcbench --config $f $*"
  "${limit[@]}" "$zcbench" --config "$f" --output "$results/$name.csv" \
    --gbench-json "$results/$name.gbench.json" "$@"
}

echo "zcbench run_all: profile $profile, results in $results"
stage deps scripts/deps.sh
stage build build
if ((configure_dsa)); then
  why=$(dsa_unconfigurable)
  if [[ -n $why ]]; then
    echo "run_all: --configure-dsa skipped: $why; DSA rows will come from the emu model (modeled)"
  else
    stage dsa-config configure_dsa
  fi
fi
stage detect detect
sed -n '1,3p' "$logs/detect.log" | sed 's/^/    /'
# savevm writes non-zero pages to an image file as QEMU does (removed after).
limit=()
image=$results/savevm-image.bin
if [[ $profile == quick ]]; then
  # A quick sweep that hangs (a backend bug) is stopped rather than waited for:
  # SIGINT first (zcbench keeps the finished rows), SIGKILL 10 s later.
  limit=(timeout -s INT -k 10 120)
  stage_live sweep-quick sweep configs/sweep-quick.conf
  stage_live seed-onegig sweep configs/sweep-seed-onegig.conf --size 64M --reps 3
  stage_live seed-savevm sweep configs/sweep-seed-savevm.conf --mem 64M,256M --sink "file:$image"
else
  stage_live sweep-full sweep configs/sweep-full.conf
  stage_live seed-onegig sweep configs/sweep-seed-onegig.conf
  stage_live seed-savevm sweep configs/sweep-seed-savevm.conf --sink "file:$image"
fi
rm -f "$image"
stage report python3 plots/report.py "$results" --profile "$profile"
echo
tail -n 5 "$logs/report.log"
if ((${#failed[@]})); then
  echo "run_all: done in $((SECONDS - start)) s, but stage(s) ${failed[*]} failed (logs in $logs): the report holds the rows that finished" >&2
  exit 1
fi
echo "run_all: done in $((SECONDS - start)) s"
