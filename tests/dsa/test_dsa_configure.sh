#!/usr/bin/env bash
# --configure-dsa (scripts/dsa-configure.sh) against a stand-in accel-config
# that behaves as 3.5.3 does: load-config skips an enabled device unless -f
# is given (review D5: the old command applied nothing and said "ok"). The
# layout is applied over the enabled device, checked, the change said, the
# previous layout saved and not restored; every-device covers the devices
# the host has (review D11).
set -u
root=$(cd "$(dirname "$0")/../.." && pwd)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail=0
check() { # description, command...
  local what=$1; shift
  "$@" || { echo "FAIL: $what"; fail=1; }
}

mkdir -p "$tmp/bin"
cat >"$tmp/bin/accel-config" <<'STUB'
#!/usr/bin/env bash
echo "$*" >>"$STUB_LOG"
case $1 in
  save-config) cp "$STUB_STATE" "$3" ;;
  list) cat "$STUB_STATE" ;;
  load-config)
    forced=0 cfg=
    shift
    while (($#)); do
      case $1 in -f) forced=1 ;; -c) cfg=$2; shift ;; esac
      shift
    done
    if ((forced == 0 || ${STUB_IGNORE_FORCE:-0})); then
      echo "dsa0 is active. Skipping..."  # what 3.5.3 prints, exit status 0
      exit 0
    fi
    python3 - "$cfg" "$STUB_STATE" <<'PY'
import json, sys
devs = json.load(open(sys.argv[1]))
for d in devs:
    d["state"] = "enabled"
    for g in d["groups"]:
        for w in g.get("grouped_workqueues", []):
            w["state"] = "enabled"
json.dump(devs, open(sys.argv[2], "w"))
PY
    ;;
esac
STUB
chmod +x "$tmp/bin/accel-config"
export PATH="$tmp/bin:$PATH" STUB_LOG=$tmp/calls STUB_STATE=$tmp/state
reset_state() {
  cat >"$STUB_STATE" <<'JSON'
[{"dev": "dsa0", "state": "enabled", "groups": [{"dev": "group0.0", "grouped_workqueues":
  [{"dev": "wq0.0", "mode": "dedicated", "size": 64, "type": "kernel", "state": "enabled"}]}]}]
JSON
  : >"$STUB_LOG"
}

reset_state
out=$("$root/scripts/dsa-configure.sh" "$root/configs/dsa-1dev-1dwq-4eng.conf" "$tmp/logs" 2>&1)
check "configure exits 0: $out" test $? -eq 0
check "load-config is forced over the enabled device" grep -q -- "^load-config -f -e -c $root/configs/dsa-1dev-1dwq-4eng.conf$" "$STUB_LOG"
check "the previous layout is saved first" test "$(head -1 "$STUB_LOG")" = "save-config -s $tmp/logs/dsa-config-before.json"
check "the saved layout is the old one" grep -q '"type": "kernel"' "$tmp/logs/dsa-config-before.json"
check "the change is said: $out" grep -q "dsa0: changed: was enabled \[wq0.0 kernel dedicated size 64 enabled\], now enabled \[wq0.0 user dedicated size 128 enabled\]" <<<"$out"
check "nothing restored, and how to: $out" grep -q "nothing is restored automatically: to go back, run 'sudo accel-config load-config -f -e -c $tmp/logs/dsa-config-before.json'" <<<"$out"

# A load-config that skips the device is caught, not reported as done.
reset_state
out=$(STUB_IGNORE_FORCE=1 "$root/scripts/dsa-configure.sh" "$root/configs/dsa-1dev-1dwq-4eng.conf" "$tmp/logs2" 2>&1)
check "a skipped device fails the step" test $? -ne 0
check "naming the WQ that did not come up: $out" grep -q "not enabled as configured: wq0.0 (now: wq0.0 kernel dedicated size 64 enabled)" <<<"$out"

# every-device: the devices this host has, whatever their numbers.
mkdir -p "$tmp/sysfs/dsa0" "$tmp/sysfs/dsa2" "$tmp/sysfs/iax1"
reset_state
out=$(ZC_DSA_SYSFS=$tmp/sysfs "$root/scripts/dsa-configure.sh" every-device "$tmp/logs3" 2>&1)
check "every-device exits 0: $out" test $? -eq 0
check "generated for dsa0 and dsa2: $out" grep -q "devices present: dsa0 dsa2 $" <<<"$out"
check "and loaded" grep -q -- "^load-config -f -e -c $tmp/logs3/dsa-every-device.conf$" "$STUB_LOG"
check "no ats_disable" bash -c "! grep -q ats_disable '$tmp/logs3/dsa-every-device.conf'"
check "both WQs came up: $out" grep -q "every WQ of the config is enabled: wq0.0, wq2.0" <<<"$out"

# run_all.sh goes through the script (and accepts every-device).
check "run_all.sh uses dsa-configure.sh" grep -q 'scripts/dsa-configure.sh "$dsa_config" "$logs"' "$root/run_all.sh"
exit $fail
