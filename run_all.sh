#!/usr/bin/env bash
# zcbench: the main job. Installs dependencies, builds, detects the hardware,
# runs the sweeps of a profile and writes CSVs, metadata, plots and a report.
#
#   ./run_all.sh [--quick] [--results DIR] [--configure-dsa] [--dsa-config FILE]
#   ./run_all.sh --test        the test suite (README's test command, CI)
set -euo pipefail
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
                  dsa_config=$2; shift ;;
    -h|--help) usage; exit 0 ;;
    *) echo "run_all: unknown option '$1' (allowed: --quick, --results DIR, --configure-dsa, --dsa-config FILE, --test, --help)" >&2
       exit 2 ;;
  esac
  shift
done

results=${results:-results/$(date -u +%Y%m%d-%H%M%S)-$(hostname -s)}
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

# Like stage, but the command's stderr (zcbench's progress) also shows live.
stage_live() {
  local name=$1; shift
  printf '[%4ds] %s\n' $((SECONDS - start)) "$name"
  if ! "$@" 2> >(tee -a "$logs/$name.log" >&2) >>"$logs/$name.log"; then
    echo "run_all: stage '$name' failed; full log: $logs/$name.log" >&2
    exit 1
  fi
  printf '[%4ds] %-10s ok\n' $((SECONDS - start)) "$name"
}

# Stage bodies run inside `if`, where set -e is off: every step is chained.
build() {
  cmake -S "$root" -B "$root/build" -DCMAKE_BUILD_TYPE=Release -DBUILD_TESTING=OFF &&
    cmake --build "$root/build" --target zcbench -j "$(nproc)"
}
zcbench=$root/build/bench/zcbench

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

configure_dsa() {
  [[ $(id -u) -eq 0 ]] || { echo "--configure-dsa needs root"; return 1; }
  [[ -d /sys/bus/dsa ]] || { echo "idxd is not loaded: modprobe idxd (and enable the IOMMU with SVA: intel_iommu=on,sm_on)"; return 1; }
  [[ -f $dsa_config ]] || { echo "no such config: $dsa_config (see configs/dsa-*.conf)"; return 1; }
  accel-config load-config -c "$dsa_config" -e && accel-config list
}

run_sweeps() {
  local files=("$@")
  for f in "${files[@]}"; do
    local name
    name=$(basename "$f" .conf)
    echo "== $f"
    "$zcbench" --config "$f" --output "$results/$name.csv" \
      --gbench-json "$results/$name.gbench.json" || return 1
  done
}

echo "zcbench run_all: profile $profile, results in $results"
stage deps scripts/deps.sh
stage build build
stage detect detect
sed -n '1,3p' "$logs/detect.log" | sed 's/^/    /'
if ((configure_dsa)); then stage dsa-config configure_dsa; fi
if [[ $profile == quick ]]; then
  sweeps=(configs/sweep-quick.conf)
else
  sweeps=(configs/sweep-full.conf configs/sweep-seed-savevm.conf configs/sweep-seed-onegig.conf)
fi
stage_live sweeps run_sweeps "${sweeps[@]}"
stage report python3 plots/report.py "$results" --profile "$profile"
echo
tail -n 4 "$logs/report.log"
echo "run_all: done in $((SECONDS - start)) s"
