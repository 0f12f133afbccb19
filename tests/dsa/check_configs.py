#!/usr/bin/env python3
"""configs/dsa-*.conf: valid accel-config JSON that load-config accepts:
user WQs with driver_name "user", no threshold on dedicated WQs, a
threshold <= size on shared ones, WQ sizes within a device's 128 entries,
engines and WQs in the group they name."""
import glob
import json
import os
import sys

root = sys.argv[1]
files = sorted(glob.glob(os.path.join(root, "configs", "dsa-*.conf")))
want = {"dsa-1dev-1dwq-4eng.conf", "dsa-1dev-1swq.conf", "dsa-4dev-1dwq.conf"}
missing = want - {os.path.basename(f) for f in files}
errors = [f"missing config {m}" for m in sorted(missing)]
for path in files:
    name = os.path.basename(path)
    try:
        devices = json.load(open(path))
    except ValueError as e:
        errors.append(f"{name}: not JSON: {e}")
        continue
    for dev in devices:
        total = 0
        for group in dev.get("groups", []):
            gid = int(group["dev"].split(".")[1])
            for wq in group.get("grouped_workqueues", []):
                where = f"{name}: {wq.get('dev')}"
                total += wq["size"]
                if wq.get("type") != "user" or wq.get("driver_name") != "user":
                    errors.append(f"{where}: type and driver_name must be 'user'")
                if wq["group_id"] != gid:
                    errors.append(f"{where}: group_id {wq['group_id']} but in group {gid}")
                if wq["mode"] == "dedicated" and "threshold" in wq:
                    errors.append(f"{where}: dedicated WQs take no threshold")
                if wq["mode"] == "shared" and not 0 < wq.get("threshold", 0) <= wq["size"]:
                    errors.append(f"{where}: shared WQs need 0 < threshold <= size")
                if not wq["dev"].startswith("wq" + dev["dev"][3:] + "."):
                    errors.append(f"{where}: not a WQ of {dev['dev']}")
            for eng in group.get("grouped_engines", []):
                if eng["group_id"] != gid:
                    errors.append(f"{name}: {eng['dev']} group_id {eng['group_id']} but in group {gid}")
        if total > 128:
            errors.append(f"{name}: {dev['dev']} WQ sizes add up to {total} > 128 entries")
shapes = {"dsa-1dev-1dwq-4eng.conf": (1, "dedicated", 4), "dsa-1dev-1swq.conf": (1, "shared", None),
          "dsa-4dev-1dwq.conf": (4, "dedicated", None)}
for path in files:
    name = os.path.basename(path)
    if name not in shapes:
        continue
    ndev, mode, engines = shapes[name]
    devices = json.load(open(path))
    wqs = [w for d in devices for g in d["groups"] for w in g.get("grouped_workqueues", [])]
    if len(devices) != ndev or len(wqs) != ndev or any(w["mode"] != mode for w in wqs):
        errors.append(f"{name}: expected {ndev} device(s) with one {mode} WQ each")
    if engines and sum(len(g.get("grouped_engines", [])) for d in devices for g in d["groups"]) != engines:
        errors.append(f"{name}: expected {engines} engines")
for e in errors:
    print("check_configs:", e)
print(f"check_configs: {len(files)} config(s), {len(errors)} problem(s)")
sys.exit(1 if errors else 0)
