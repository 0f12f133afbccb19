#!/usr/bin/env python3
"""configs/dsa-*.conf, and the every-device config scripts/dsa_config.py
generates, are valid accel-config JSON that load-config accepts: user WQs
with driver_name "user", no threshold on dedicated WQs, a threshold <= size
on shared ones, WQ sizes within a device's 128 entries, engines and WQs in
the group they name, and only keys every supported accel-config (3.5, 4.x)
and kernel accepts (review D11: ats_disable aborts load-config on devices
without WQ ATS support; a config naming devices the host lacks fails, so
none hard-codes devices beyond dsa0: the generator covers the others)."""
import glob
import json
import os
import subprocess
import sys
import tempfile

root = sys.argv[1]
WQ_KEYS = {"dev", "mode", "size", "group_id", "priority", "block_on_fault", "max_batch_size",
           "max_transfer_size", "type", "name", "driver_name", "threshold"}
errors = []


def check(name, devices):
    for dev in devices:
        total = 0
        for group in dev.get("groups", []):
            gid = int(group["dev"].split(".")[1])
            for wq in group.get("grouped_workqueues", []):
                where = f"{name}: {wq.get('dev')}"
                total += wq["size"]
                extra = set(wq) - WQ_KEYS
                if extra:
                    errors.append(f"{where}: keys not every accel-config/kernel accepts: {sorted(extra)}")
                if wq.get("type") != "user" or wq.get("driver_name") != "user":
                    errors.append(f"{where}: type and driver_name must be 'user'")
                if wq["group_id"] != gid:
                    errors.append(f"{where}: group_id {wq['group_id']} but in group {gid}")
                if wq["mode"] == "dedicated" and "threshold" in wq:
                    errors.append(f"{where}: dedicated WQs take no threshold")
                if wq["mode"] == "shared" and not 0 < wq.get("threshold", 0) <= wq["size"]:
                    errors.append(f"{where}: shared WQs need 0 < threshold <= size")
                if wq.get("block_on_fault") != 0:
                    errors.append(f"{where}: block_on_fault must stay 0 (zcbench refuses bof=1 "
                                  "where the WQ does not enable it; measured separately)")
                if not wq["dev"].startswith("wq" + dev["dev"][3:] + "."):
                    errors.append(f"{where}: not a WQ of {dev['dev']}")
            for eng in group.get("grouped_engines", []):
                if eng["group_id"] != gid:
                    errors.append(f"{name}: {eng['dev']} group_id {eng['group_id']} but in group {gid}")
        if total > 128:
            errors.append(f"{name}: {dev['dev']} WQ sizes add up to {total} > 128 entries")


files = sorted(glob.glob(os.path.join(root, "configs", "dsa-*.conf")))
shapes = {"dsa-1dev-1dwq-4eng.conf": ("dedicated", 4), "dsa-1dev-1swq.conf": ("shared", 4)}
missing = set(shapes) - {os.path.basename(f) for f in files}
errors += [f"missing config {m}" for m in sorted(missing)]
for path in files:
    name = os.path.basename(path)
    try:
        devices = json.load(open(path))
    except ValueError as e:
        errors.append(f"{name}: not JSON: {e}")
        continue
    check(name, devices)
    if any(d["dev"] != "dsa0" for d in devices):
        errors.append(f"{name}: names devices beyond dsa0 (use --dsa-config every-device)")
    if name in shapes:
        mode, engines = shapes[name]
        wqs = [w for d in devices for g in d["groups"] for w in g.get("grouped_workqueues", [])]
        if len(wqs) != 1 or wqs[0]["mode"] != mode:
            errors.append(f"{name}: expected one {mode} WQ")
        if sum(len(g.get("grouped_engines", [])) for d in devices for g in d["groups"]) != engines:
            errors.append(f"{name}: expected {engines} engines")

# The generator on a host with two DSA devices (dsa0, dsa2) and an IAX.
with tempfile.TemporaryDirectory() as sysfs:
    for dev, attrs in {"dsa0": {"max_engines": 4, "max_work_queues_size": 128},
                       "dsa2": {"max_engines": 4, "max_work_queues_size": 128,
                                "max_transfer_size": 1 << 31, "max_batch_size": 1024},
                       "iax1": {}}.items():
        os.makedirs(os.path.join(sysfs, dev))
        for attr, value in attrs.items():
            with open(os.path.join(sysfs, dev, attr), "w") as f:
                f.write(f"{value}\n")
    for mode in ("dedicated", "shared"):
        out = subprocess.run([sys.executable, os.path.join(root, "scripts", "dsa_config.py"),
                              "generate", "--sysfs", sysfs, "--mode", mode],
                             capture_output=True, text=True)
        if out.returncode != 0:
            errors.append(f"generator ({mode}) failed: {out.stderr.strip()}")
            continue
        generated = json.loads(out.stdout)
        check(f"every-device ({mode})", generated)
        names = [d["dev"] for d in generated]
        if names != ["dsa0", "dsa2"]:
            errors.append(f"every-device ({mode}): devices {names}, expected those present: dsa0, dsa2")
        wq = generated[1]["groups"][0]["grouped_workqueues"][0]
        if wq["max_transfer_size"] != 2 << 20 or wq["max_batch_size"] != 1024 or wq["size"] != 128:
            errors.append(f"every-device ({mode}): {wq} is not the real configuration's layout")
for e in errors:
    print("check_configs:", e)
print(f"check_configs: {len(files)} config(s) and the generator, {len(errors)} problem(s)")
sys.exit(1 if errors else 0)
