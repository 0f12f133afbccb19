#!/usr/bin/env python3
"""accel-config layouts for zcbench (used by scripts/dsa-configure.sh).

  dsa_config.py generate [--sysfs DIR] [--mode dedicated|shared]
      An accel-config JSON config for every DSA device that exists (read from
      DIR, default /sys/bus/dsa/devices): per device one user WQ with all of
      the device's WQ entries and engines in group 0, max batch 1024 and max
      transfer 2 MiB (each capped by the device), block on fault off: the
      layout of configs/dsa-1dev-1dwq-4eng.conf, on whatever devices the host
      has (many SKUs lack dsa2/dsa4/dsa6 without On-Demand activation).
  dsa_config.py changes BEFORE AFTER
      One line per device of either JSON (accel-config save-config or list):
      its state and WQs before and after.
  dsa_config.py devices CONFIG
      The device names a config names, one per line.
  dsa_config.py verify CONFIG AFTER
      Exit 1 naming every WQ of CONFIG that AFTER does not show enabled with
      the configured type, mode and size.

Configs carry only keys every supported accel-config (3.5, 4.x) and kernel
accepts: no ats_disable (hidden or -EOPNOTSUPP on devices without WQ ATS
support: load-config aborts on it)."""
import json
import os
import re
import sys

MAX_BATCH = 1024
MAX_TRANSFER = 2 << 20


def read_attr(sysfs, dev, attr, default):
    try:
        with open(os.path.join(sysfs, dev, attr)) as f:
            return int(f.read().strip(), 0)
    except (OSError, ValueError):
        return default


def generate(sysfs, mode):
    devices = sorted((d for d in os.listdir(sysfs) if re.fullmatch(r"dsa\d+", d)),
                     key=lambda d: int(d[3:]))
    if not devices:
        sys.exit(f"dsa_config: no DSA device in {sysfs} (is idxd loaded? modprobe idxd)")
    out = []
    for dev in devices:
        n = dev[3:]
        size = read_attr(sysfs, dev, "max_work_queues_size", 128)
        engines = read_attr(sysfs, dev, "max_engines", 4)
        wq = {"dev": f"wq{n}.0", "mode": mode, "size": size, "group_id": 0, "priority": 10,
              "block_on_fault": 0,
              "max_batch_size": min(MAX_BATCH, read_attr(sysfs, dev, "max_batch_size", MAX_BATCH)),
              "max_transfer_size": min(MAX_TRANSFER,
                                       read_attr(sysfs, dev, "max_transfer_size", MAX_TRANSFER)),
              "type": "user", "name": "zcbench", "driver_name": "user"}
        if mode == "shared":
            wq["threshold"] = size
        out.append({"dev": dev, "groups": [{
            "dev": f"group{n}.0", "grouped_workqueues": [wq],
            "grouped_engines": [{"dev": f"engine{n}.{e}", "group_id": 0} for e in range(engines)]}]})
    json.dump(out, sys.stdout, indent=2)
    sys.stdout.write("\n")


def walk(node, found):
    """Every object carrying "dev", wherever accel-config nests it."""
    if isinstance(node, dict):
        if "dev" in node:
            found.append(node)
        for v in node.values():
            walk(v, found)
    elif isinstance(node, list):
        for v in node:
            walk(v, found)


def layout(path):
    """{device: (state, [wq descriptions])} of an accel-config JSON file."""
    try:
        with open(path) as f:
            text = f.read()
        data = json.loads(text) if text.strip() else []
    except (OSError, ValueError) as e:
        sys.exit(f"dsa_config: {path}: {e}")
    objs = []
    walk(data, objs)
    devices = {}
    for o in objs:
        name = str(o["dev"])
        if re.fullmatch(r"dsa\d+", name):
            devices.setdefault(name, [o.get("state", "?"), []])[0] = o.get("state", "?")
        m = re.fullmatch(r"wq(\d+)\.\d+", name)
        if m:
            wqs = devices.setdefault(f"dsa{m.group(1)}", ["?", []])[1]
            wqs.append(f"{name} {o.get('type', '?')} {o.get('mode', '?')} size {o.get('size', '?')}"
                       f" {o.get('state', '')}".rstrip())
    return devices


def changes(before, after):
    b, a = layout(before), layout(after)
    for dev in sorted(set(b) | set(a), key=lambda d: int(d[3:])):
        was = b.get(dev, ["absent", []])
        now = a.get(dev, ["absent", []])
        verb = "unchanged" if was == now else "changed"
        print(f"{dev}: {verb}: was {was[0]} [{', '.join(was[1]) or 'no WQ'}], "
              f"now {now[0]} [{', '.join(now[1]) or 'no WQ'}]")


def devices(config):
    for dev in sorted(layout(config), key=lambda d: int(d[3:])):
        print(dev)


def verify(config, after):
    now = {w.split()[0]: w for _, wqs in layout(after).values() for w in wqs}
    wanted = {w.split()[0]: w for _, wqs in layout(config).values() for w in wqs}
    wrong = [f"{name} (now: {now.get(name, 'absent')})" for name, want in sorted(wanted.items())
             if now.get(name, "") != want + " enabled"]
    if wrong:
        sys.exit(f"dsa_config: after load-config, not enabled as configured: {'; '.join(wrong)} "
                 "(see the accel-config messages above and dmesg)")
    print(f"dsa_config: every WQ of the config is enabled: {', '.join(sorted(wanted))}")


def main(argv):
    if len(argv) >= 1 and argv[0] == "generate":
        sysfs, mode = "/sys/bus/dsa/devices", "dedicated"
        args = argv[1:]
        while args:
            if args[0] == "--sysfs" and len(args) > 1:
                sysfs = args[1]
            elif args[0] == "--mode" and len(args) > 1 and args[1] in ("dedicated", "shared"):
                mode = args[1]
            else:
                sys.exit(f"dsa_config: bad argument '{args[0]}' (allowed: --sysfs DIR, "
                         "--mode dedicated|shared)")
            args = args[2:]
        generate(sysfs, mode)
    elif len(argv) == 3 and argv[0] == "changes":
        changes(argv[1], argv[2])
    elif len(argv) == 2 and argv[0] == "devices":
        devices(argv[1])
    elif len(argv) == 3 and argv[0] == "verify":
        verify(argv[1], argv[2])
    else:
        sys.exit(__doc__)


if __name__ == "__main__":
    main(sys.argv[1:])
