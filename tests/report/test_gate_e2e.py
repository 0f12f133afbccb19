#!/usr/bin/env python3
"""The gate on files the real zcbench wrote: one short run compared with
itself passes (CSV, --ratios and Google Benchmark JSON), and the same run
with one backend planted 2x slower fails naming that case, in plain and
--ratios mode. No timing is asserted: both sides come from one run.
usage: test_gate_e2e.py ZCBENCH (exit 77, skipped, when it is not built)."""
import csv
import os
import subprocess
import sys
import tempfile

failures = []


def check(cond, what):
    if not cond:
        failures.append(what)


def plant_slowdown(src, dst, backend, factor):
    """Copies a results CSV and its samples, making `backend` factor x slower."""
    slowed = set()
    with open(src, newline="") as f:
        reader = csv.DictReader(f)
        rows, fields = list(reader), reader.fieldnames
    for r in rows:
        if r["backend"] == backend:
            r["latency_ns"] = "%.6g" % (float(r["latency_ns"]) * factor)
            r["throughput_gbps"] = "%.6g" % (float(r["throughput_gbps"]) / factor)
            slowed.add("/".join(r[k] for k in ("workload", "op", "backend", "buf_bytes", "gran_bytes",
                                               "zero_ratio", "cache")))
    with open(dst, "w", newline="") as f:
        w = csv.DictWriter(f, fields, lineterminator="\n")
        w.writeheader()
        w.writerows(rows)
    with open(src.replace(".csv", ".samples.csv"), newline="") as f:
        reader = csv.DictReader(f)
        samples, fields = list(reader), reader.fieldnames
    for s in samples:
        if s["case"] in slowed:
            s["latency_ns"] = "%.6g" % (float(s["latency_ns"]) * factor)
    with open(dst.replace(".csv", ".samples.csv"), "w", newline="") as f:
        w = csv.DictWriter(f, fields, lineterminator="\n")
        w.writeheader()
        w.writerows(samples)
    return slowed


def compare(zcbench, *args):
    r = subprocess.run([zcbench, "compare", *args], capture_output=True, text=True)
    return r.returncode, r.stdout + r.stderr


def main():
    zcbench = sys.argv[1] if len(sys.argv) > 1 else ""
    if not os.access(zcbench, os.X_OK):
        print(f"skip: zcbench not built ({zcbench or 'no path given'})")
        return 77
    with tempfile.TemporaryDirectory() as tmp:
        run = os.path.join(tmp, "run.csv")
        cmd = [zcbench, "--quiet", "--workload", "zerocheck", "--backend", "cpu:u64", "--backend",
               "cpu:best", "--size", "4K,64K", "--reps", "9", "--min-time", "0", "--output", run,
               "--gbench-json", os.path.join(tmp, "run.json")]
        r = subprocess.run(cmd, capture_output=True, text=True)
        if r.returncode != 0:
            print(f"FAIL: {' '.join(cmd)}: exit {r.returncode}: {r.stderr}")
            return 1
        for args in ([run, run], ["--ratios", run, run]):
            rc, out = compare(zcbench, *args)
            check(rc == 0 and "0 regressions" in out, f"identical {args[0]}: exit {rc}\n{out}")
        rc, out = compare(zcbench, os.path.join(tmp, "run.json"), os.path.join(tmp, "run.json"))
        check(rc == 0, f"identical gbench JSON: exit {rc}\n{out}")
        slow = os.path.join(tmp, "slow.csv")
        slowed = plant_slowdown(run, slow, "cpu:u64", 2.0)
        check(len(slowed) == 2, f"planted {slowed}")
        for args in ([run, slow], ["--ratios", run, slow]):
            rc, out = compare(zcbench, *args)
            check(rc == 1, f"planted 2x slowdown {args[0]}: exit {rc}\n{out}")
            for key in slowed:
                check(any(key in line and "REGRESSION" in line for line in out.splitlines()),
                      f"{args[0]}: {key} not named\n{out}")
            check(sum("REGRESSION" in line for line in out.splitlines()) == len(slowed),
                  f"{args[0]}: only the planted cases regress\n{out}")
    for f in failures:
        print("FAIL:", f)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
