#!/usr/bin/env python3
"""The QEMU multifd DSA series' end-to-end numbers (configs/dsa-validation-qemu.csv,
held out) beside zcbench's migrate workload at a guest this host can hold:
8 senders, packets of 128 pages, all pages zero, CPU check against a projected
DSA (one device, one shared WQ per sender, BATCHes of 128). Per-page and
per-GiB quantities only; what each comparison means is in docs/PERFORMANCE.md
"End-to-end: the later QEMU DSA series".

  scripts/qemu_e2e.py [--zcbench PATH] [--mem 1G] [--reps 3] [--output FILE]
"""
import argparse
import csv
import os
import subprocess
import sys
import tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
GIB = 1 << 30
DSA = "dsa-batch:wq={emu:clock=virtual,mode=shared,dev=dsa0},batch=128"

# The published metrics main() reads of each side (the senders' runtimes besides).
NEEDED = {"cpu": ("total_ram",), "dsa": ("total_ram", "total_time", "thread_runtime dsa_completion")}


def bad_input(msg):
    """Bad options or a bad published CSV exit 2, as zcbench's do; a failed run exits 1."""
    print(f"qemu_e2e: {msg}", file=sys.stderr)
    sys.exit(2)


def published(path):
    with open(path, newline="") as f:
        rows = list(csv.DictReader(line for line in f if not line.startswith("#")))
    pub = {}
    for r in rows:
        scen = "S1" if r["op"].startswith("multifd migration 50%") else "S2"
        side = "dsa" if r["devices"] == "1" else "cpu"
        metric, value = r["metric"], float(r["value"])
        key = (scen, side)
        d = pub.setdefault(key, {"senders_ms": 0.0})
        if metric.startswith("thread_runtime multifdsend_"):
            d["senders_ms"] += value
        else:
            d[metric] = value
    # What main() reads of each side, checked before the run: a CSV without it
    # failed after the projected run, in a traceback.
    for key in (("S2", "cpu"), ("S2", "dsa"), ("S1", "cpu"), ("S1", "dsa")):
        d = pub.get(key, {})
        lack = [m for m in NEEDED[key[1]] if not d.get(m)] + \
            ["thread_runtime multifdsend_N"] * (not d.get("senders_ms"))
        if lack:
            raise ValueError(f"no {', '.join(lack)} row of {' '.join(key)} (allowed: the rows of "
                             f"configs/dsa-validation-qemu.csv)")
        d["pages"] = d["total_ram"] / 4  # KiB -> 4 KiB pages
    return pub


def projected(zcbench, mem, reps, out):
    cmd = [zcbench, "--workload", "migrate", "--mem", mem, "--senders", "8", "--packet", "128",
           "--zero-ratio", "1", "--backend", "cpu:best", "--backend", DSA, "--backend", DSA + ",wait=poller", "--ref", "0",
           "--reps", str(reps), "--min-time", "0", "--quiet", "--output", out]
    print("$ " + " ".join(c if "{" not in c else f"'{c}'" for c in cmd), file=sys.stderr)
    try:
        rc = subprocess.run(cmd).returncode
    except OSError as e:
        sys.exit(f"qemu_e2e: cannot run {zcbench}: {e.strerror} (build it: cmake --build build)")
    if rc == 2:
        bad_input("zcbench refused its options (its message is above)")
    if rc:
        sys.exit(f"qemu_e2e: zcbench exited with status {rc} (its message is above)")
    with open(out, newline="") as f:
        rows = {("cpu" if r["device"] != "dsa-projected" else "poller" if r["wait"] == "poller" else "dsa"): r
                for r in csv.DictReader(f)}
    if set(rows) != {"cpu", "dsa", "poller"}:
        sys.exit(f"qemu_e2e: {out} lacks the cpu, the polling or the wait=poller dsa-projected row")
    return rows


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--zcbench", default=os.path.join(ROOT, "build", "bench", "zcbench"))
    ap.add_argument("--csv", default=os.path.join(ROOT, "configs", "dsa-validation-qemu.csv"))
    ap.add_argument("--mem", default="1G", help="guest size of the projected run (default 1G)")
    ap.add_argument("--reps", type=int, default=3)
    ap.add_argument("--output", help="keep zcbench's CSV here")
    args = ap.parse_args()
    if not 1 <= args.reps <= 1000:
        bad_input(f"--reps {args.reps}: allowed 1..1000")
    try:
        pub = published(args.csv)
    except KeyError as e:
        bad_input(f"cannot read {args.csv}: no column {e}")
    except (OSError, ValueError, TypeError, csv.Error) as e:  # TypeError: a short row
        bad_input(f"cannot read {args.csv}: {e}")
    if args.output:
        out = args.output
    else:
        fd, out = tempfile.mkstemp(suffix=".csv")
        os.close(fd)
    row = projected(args.zcbench, args.mem, args.reps, out)
    c, d, sleeping = row["cpu"], row["dsa"], row["poller"]
    pages = float(d["pages"])
    gib = float(d["mem_bytes"]) / GIB
    cpu_pp = float(c["cpu_ns_per_page"])
    dsa_poll_pp = float(d["cpu_ns_per_page"])  # zcbench: each sender polls its own batch
    wait_pp = float(d["wait_cycles_per_page"]) / float(d["tsc_hz"]) * 1e9
    dsa_own_pp = dsa_poll_pp - wait_pp           # what a sender that sleeps would spend
    busy_pp = float(d["latency_ns"]) / pages     # simulated pass: one poller's time
    table = []
    for scen in ("S2", "S1"):
        pc, pd = pub[(scen, "cpu")], pub[(scen, "dsa")]
        n, gib_pub = pc["pages"], pc["total_ram"] / (1 << 20)
        p_cpu = pc["senders_ms"] * 1e6 / n
        p_own = pd["senders_ms"] * 1e6 / n
        p_busy = pd["thread_runtime dsa_completion"] * 1e6 / n
        # S1's senders also send half the pages over TCP, which zcbench's null sink does not:
        # only the device's time is comparable there.
        kind = "yes" if scen == "S2" else "no (TCP sends)"
        table += [
            (scen, "device busy (dsa_completion runtime; projected pass)", "ms/GiB",
             pd["thread_runtime dsa_completion"] / gib_pub, float(d["latency_ns"]) / gib / 1e6, "yes"),
            (scen, "DSA total time (projected: the check alone)", "ms/GiB",
             pd["total_time"] / gib_pub, float(d["latency_ns"]) / gib / 1e6, "bound only"),
            (scen, "DSA sender CPU per page, waiting excluded", "ns", p_own, dsa_own_pp, kind),
            (scen, "CPU sender CPU per page", "ns", p_cpu, cpu_pp, "no (other CPU)"),
            (scen, "DSA/CPU sender CPU, senders only", "ratio", p_own / p_cpu, dsa_own_pp / cpu_pp, kind),
            (scen, "DSA/CPU sender CPU, senders + one poller", "ratio", (p_own + p_busy) / p_cpu,
             (dsa_own_pp + busy_pp) / cpu_pp, kind),
            (scen, "DSA/CPU, zcbench as is (each sender polls) vs published + poller", "ratio",
             (p_own + p_busy) / p_cpu, dsa_poll_pp / cpu_pp, "no (structure)"),
            (scen, "DSA/CPU, wait=poller (measured: senders sleep, one completion thread)", "ratio",
             (p_own + p_busy) / p_cpu, float(sleeping["cpu_ns_per_page"]) / cpu_pp, kind),
        ]
    print(f"projected: --mem {args.mem} ({pages:.0f} pages), zcbench rows in {out}")
    print("| scenario | quantity | unit | published | projected | projected/published | comparable |")
    print("|---|---|---|---|---|---|---|")
    for scen, what, unit, p, q, kind in table:
        print(f"| {scen} | {what} | {unit} | {p:.4g} | {q:.4g} | {q / p:.2f} | {kind} |")


if __name__ == "__main__":
    main()
