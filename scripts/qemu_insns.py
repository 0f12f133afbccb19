#!/usr/bin/env python3
"""Instructions per page of the host's QEMU savevm beside zcbench's savevm model,
counted by callgrind on the same all-zero guest: the zero check, the rest of the
save loop, and the functions that spend the rest. Where the model's time differs
from QEMU's state save (docs/PERFORMANCE.md, "The host's QEMU beside the
models"), this says by how much work, not by how much time.

QEMU is counted from qemu_savevm_state_setup to the end of
qemu_savevm_state_complete_precopy (its state save: the RAM loop and the few
device sections), one savevm into a new qcow2; the model over its savevm pass.

  scripts/qemu_insns.py [--zcbench PATH] [--qemu PATH] [--mem 64M] [--top 12] [--json FILE]

--json also writes the per-page counts as JSON (run_all.sh puts them beside
its results, and plots/report.py shows them beside the savevm comparison).

Exits 77 (the test suite's skip) when QEMU cannot start here.
"""
import argparse
import json
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
PAGE = 4096
QEMU_CANNOT_START = 77
QEMU_WINDOW = ["qemu_savevm_state_setup", "qemu_savevm_state_iterate", "qemu_savevm_state_complete_precopy"]
QEMU_CHECK = "buffer_is_zero"
MODEL_WINDOW = "savevm_pass"
MODEL_CHECK = "zc_backend_check"


def bad_input(msg):
    """Bad options exit 2, as zcbench's do; a failed count exits 1."""
    print(f"qemu_insns: {msg}", file=sys.stderr)
    sys.exit(2)


def size_bytes(text):
    m = re.fullmatch(r"(\d+)([KMG]?)", text)
    if not m:
        bad_input(f"bad --mem '{text}' (allowed: a size in bytes, K, M or G, e.g. 64M)")
    n = int(m.group(1)) << {"": 0, "K": 10, "M": 20, "G": 30}[m.group(2)]
    if n < PAGE or n % PAGE:
        bad_input(f"bad --mem '{text}' (allowed: a whole number of 4 KiB pages)")
    return n


def need(tool, package):
    if not shutil.which(tool):
        sys.exit(f"qemu_insns: {tool} not found (Debian package {package})")


class Qmp:
    def __init__(self, path, proc, log, timeout_s=120):
        deadline = time.monotonic() + timeout_s
        while True:
            if proc.poll() is not None:
                with open(log) as f:
                    said = [line for line in f.read().splitlines() if not line.startswith("==")][-3:]
                print(f"qemu_insns: QEMU exited with status {proc.returncode} at startup: {' / '.join(said) or 'it printed nothing'}",
                      file=sys.stderr)
                sys.exit(QEMU_CANNOT_START)
            try:
                self.sock = socket.socket(socket.AF_UNIX)
                self.sock.connect(path)
                break
            except OSError:
                self.sock.close()
                if time.monotonic() > deadline:
                    sys.exit(f"qemu_insns: QEMU did not open its QMP socket {path} in {timeout_s} s")
                time.sleep(0.2)
        self.f = self.sock.makefile("rw")
        self.reply()
        self.call("qmp_capabilities")

    def reply(self):
        while True:
            line = self.f.readline()
            if not line:
                sys.exit("qemu_insns: QEMU closed its QMP socket")
            msg = json.loads(line)
            if "event" not in msg:
                return msg

    def call(self, cmd, **args):
        self.f.write(json.dumps({"execute": cmd, "arguments": args} if args else {"execute": cmd}) + "\n")
        self.f.flush()
        msg = self.reply()
        if "error" in msg:
            sys.exit(f"qemu_insns: QMP {cmd} failed: {msg['error'].get('desc')}")
        return msg.get("return")

    def hmp(self, line):
        out = self.call("human-monitor-command", **{"command-line": line})
        if out:
            sys.exit(f"qemu_insns: '{line}' failed: {out.strip()}")


def callgrind(out, toggles, cmd):
    return ["valgrind", "--tool=callgrind", "--collect-atstart=no", f"--callgrind-out-file={out}"] + \
        [f"--toggle-collect={t}" for t in toggles] + cmd


def count_qemu(qemu, mem, tmp):
    ram, image, qmp, out = (os.path.join(tmp, n) for n in ("ram", "img.qcow2", "qmp.sock", "qemu.cg"))
    with open(ram, "wb") as f:
        f.truncate(mem)  # all zero, as the model's guest
    subprocess.run(["qemu-img", "create", "-q", "-f", "qcow2", image, "1G"], check=True)
    accel = ["-accel", "kvm"] if os.access("/dev/kvm", os.R_OK | os.W_OK) else ["-accel", "tcg"]
    cmd = [qemu, "-nodefaults", "-no-user-config", "-display", "none", "-S", "-machine", "none,memory-backend=zcmem",
           "-m", f"{mem >> 10}k", "-object", f"memory-backend-file,id=zcmem,share=on,prealloc=on,mem-path={ram},size={mem}",
           "-qmp", f"unix:{qmp},server=on,wait=off", "-blockdev", f"driver=file,node-name=zcfile,filename={image}",
           "-blockdev", "driver=qcow2,file=zcfile,node-name=zcdisk"] + accel
    log = open(os.path.join(tmp, "qemu.log"), "w")
    proc = subprocess.Popen(callgrind(out, QEMU_WINDOW, cmd), stdout=log, stderr=subprocess.STDOUT)
    try:
        q = Qmp(qmp, proc, log.name)
        q.hmp("savevm zc")
        q.call("quit")
        proc.wait(timeout=120)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        log.close()
    return out, accel[1]


def count_model(zcbench, mem, tmp):
    out = os.path.join(tmp, "model.cg")
    cmd = [zcbench, "--workload", "savevm", "--backend", "cpu:best", "--mem", str(mem), "--zero-ratio", "1",
           "--reps", "1", "--min-time", "0", "--sink", f"file:{os.path.join(tmp, 'image.bin')}",
           "--output", os.path.join(tmp, "model.csv"), "--quiet"]
    with open(os.path.join(tmp, "model.log"), "w") as log:
        if subprocess.run(callgrind(out, [MODEL_WINDOW], cmd), stdout=log, stderr=subprocess.STDOUT).returncode:
            sys.exit(f"qemu_insns: zcbench under callgrind failed (log: {log.name})")
    return out


def costs(out, inclusive):
    """Instructions per function name in a callgrind file, self or inclusive."""
    text = subprocess.run(["callgrind_annotate", f"--inclusive={'yes' if inclusive else 'no'}", "--threshold=100", out],
                          capture_output=True, text=True, check=True).stdout
    total, per = 0, {}
    for line in text.splitlines():
        m = re.match(r"\s*([\d,]+) \(\s*[\d.]+%\)\s+(.*)$", line)
        if not m:
            continue
        n, what = int(m.group(1).replace(",", "")), m.group(2)
        if what == "PROGRAM TOTALS":
            total = n
        else:
            name = what.split(" [")[0].split(":")[-1]
            per[name] = per.get(name, 0) + n
    return total, per


def calls(out, name):
    """How many times the collected window called `name` (callgrind names a
    function once, as "(id) name", and by "(id)" alone after that)."""
    n, pending, ids = 0, False, set()
    with open(out) as f:
        for line in f:
            m = re.match(r"(c?fn)=(\(\d+\))(?: (.*))?$", line.rstrip())
            if m and m.group(3) == name:
                ids.add(m.group(2))
            if m and m.group(1) == "cfn":
                pending = m.group(2) in ids
            elif pending and line.startswith("calls="):
                n += int(line.split("=")[1].split()[0])
                pending = False
    return n


def summary(label, out, check, pages):
    total, own = costs(out, False)
    _, inclusive = costs(out, True)
    checks = calls(out, check)
    if checks != pages:
        sys.exit(f"qemu_insns: {label} called {check} {checks} times for {pages} pages (expected one call a page)")
    in_check = inclusive.get(check, 0)
    return {"label": label, "total": total / pages, "check": in_check / pages, "rest": (total - in_check) / pages,
            "own": own}


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--zcbench", default=os.path.join(ROOT, "build", "bench", "zcbench"))
    ap.add_argument("--qemu", default="qemu-system-x86_64")
    ap.add_argument("--mem", default="64M")
    ap.add_argument("--top", type=int, default=12)
    ap.add_argument("--json", help="also write the counts per page to this file")
    a = ap.parse_args()
    if a.top < 1:  # -1 printed all but one function under "the -1 functions", after the counting
        bad_input(f"bad --top {a.top} (allowed: an integer of at least 1)")
    mem = size_bytes(a.mem)
    pages = mem // PAGE
    need("valgrind", "valgrind")
    need("callgrind_annotate", "valgrind")
    need(a.qemu, "qemu-system-x86")
    need("qemu-img", "qemu-utils")
    if not os.access(a.zcbench, os.X_OK):
        sys.exit(f"qemu_insns: {a.zcbench} not found (build it: cmake --build build)")
    with tempfile.TemporaryDirectory(prefix="zc-insns-", dir="/dev/shm" if os.path.isdir("/dev/shm") else None) as tmp:
        qout, accel = count_qemu(a.qemu, mem, tmp)
        mout = count_model(a.zcbench, mem, tmp)
        q = summary("QEMU state save", qout, QEMU_CHECK, pages)
        m = summary("zcbench savevm model", mout, MODEL_CHECK, pages)
    version = subprocess.run([a.qemu, "--version"], capture_output=True, text=True).stdout.splitlines()[0]
    print(f"instructions per 4 KiB page, all-zero guest of {a.mem} ({pages} pages), callgrind; {version}, {accel}")
    print(f"{'':24}{'QEMU':>10}{'model':>10}{'model/QEMU':>12}")
    for key, name in (("check", "zero check"), ("rest", "rest of the loop"), ("total", "total")):
        print(f"{name:24}{q[key]:10.0f}{m[key]:10.0f}{m[key] / q[key]:12.2f}")
    for side in (q, m):
        print(f"\n{side['label']}: the {a.top} functions with the most instructions of their own, per page")
        for name, n in sorted(side["own"].items(), key=lambda kv: -kv[1])[:a.top]:
            print(f"  {n / pages:8.0f}  {name}")
    if a.json:
        counts = {side: {k: round(d[k], 1) for k in ("check", "rest", "total")}
                  for side, d in (("qemu", q), ("model", m))}
        try:
            with open(a.json, "w") as f:
                json.dump({"host": socket.gethostname(), "qemu_version": version, "accel": accel, "mem": a.mem,
                           "pages": pages, **counts}, f, indent=1)
        except OSError as e:
            sys.exit(f"qemu_insns: cannot write --json {a.json}: {e.strerror}")


if __name__ == "__main__":
    main()
