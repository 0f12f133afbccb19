#!/usr/bin/env bash
# Installs what zcbench needs from Debian 12 packages, or, when not root,
# prints the exact apt-get line and fails.
#   scripts/deps.sh            build + run + test dependencies
#   scripts/deps.sh --check    only report; exit 1 if something is missing
set -euo pipefail

packages=(
  build-essential cmake pkg-config          # toolchain
  libbenchmark-dev libhwloc-dev             # Google Benchmark, placement
  libudev-dev                               # -ludev from hwloc in pkg-config --static --libs zc
  libaccel-config-dev accel-config          # DSA discovery (library, CLI)
  libcmocka-dev libisal-dev                 # unit tests, the ISA-L peer
  gnuplot-nox python3                       # plots, report generation
  libjson-c-dev                             # QMP messages (bench/qemu/)
  qemu-system-x86 qemu-utils                # the host's QEMU beside the savevm/migrate models
  clang libclang-rt-14-dev valgrind         # libFuzzer and sanitizer runtimes, leak checks
)
# linux/idxd.h comes with linux-libc-dev (pulled in by build-essential).

missing=()
for p in "${packages[@]}"; do
  [[ $p == \#* ]] && continue
  status=$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null || true)
  [[ $status == "install ok installed" ]] || missing+=("$p")
done

if ((${#missing[@]} == 0)); then
  exit 0
fi
line="apt-get install -y --no-install-recommends ${missing[*]}"
if [[ ${1:-} == --check ]]; then
  echo "deps: missing: ${missing[*]} (install with: $line)" >&2
  exit 1
fi
if [[ $(id -u) -ne 0 ]]; then
  echo "deps: missing packages: ${missing[*]}" >&2
  echo "deps: run as root:  apt-get update && $line" >&2
  exit 1
fi
echo "deps: installing ${missing[*]}" >&2
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
# shellcheck disable=SC2086
apt-get install -y -qq --no-install-recommends ${missing[*]} >/dev/null
