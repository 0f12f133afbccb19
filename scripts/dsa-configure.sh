#!/usr/bin/env bash
# Loads an accel-config layout even over devices that are already enabled
# (what run_all.sh --configure-dsa runs), checks that its WQs came up, and
# says what changed. Nothing is restored afterwards: the previous layout is
# saved and the command that restores it is printed.
#   scripts/dsa-configure.sh CONFIG|every-device LOGDIR
# every-device: a config generated for the DSA devices this host has
# (scripts/dsa_config.py generate). ZC_DSA_SYSFS overrides
# /sys/bus/dsa/devices (tests).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
[[ $# -eq 2 ]] || { echo "usage: $0 CONFIG|every-device LOGDIR" >&2; exit 2; }
config=$1
logs=$2
sysfs=${ZC_DSA_SYSFS:-/sys/bus/dsa/devices}
mkdir -p "$logs"
if [[ $config == every-device ]]; then
  config=$logs/dsa-every-device.conf
  python3 "$here/dsa_config.py" generate --sysfs "$sysfs" >"$config"
  echo "generated $config for the devices present: $(python3 "$here/dsa_config.py" devices "$config" | tr '\n' ' ')"
fi
before=$logs/dsa-config-before.json
after=$logs/dsa-config-after.json
accel-config save-config -s "$before"
# -f: a device that is already enabled is disabled, then configured and
# enabled (without it load-config skips the device and reports success).
echo "accel-config load-config -f -e -c $config"
accel-config load-config -f -e -c "$config"
accel-config save-config -s "$after"
python3 "$here/dsa_config.py" changes "$before" "$after"
python3 "$here/dsa_config.py" verify "$config" "$after"
echo "the previous layout is saved in $before; nothing is restored automatically:" \
  "to go back, run 'sudo accel-config load-config -f -e -c $before'"
