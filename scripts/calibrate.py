#!/usr/bin/env python3
"""The projection's calibration: every published DSA measurement in
configs/dsa-calibration.csv beside what the projection (emu clock=virtual,
timing=spr) gives for the same configuration, and the error.

  scripts/calibrate.py [--zc-project PATH] [--csv FILE] [--check] [--emu KEYS]
  scripts/calibrate.py --fit KEY,KEY,...   fit profile keys (and harness_ns)

The rows are run by zc-project (bench/project.c), which stands in for the
program that measured them. The LightDSA throughput rows were measured by a
submitting thread whose own software cost per descriptor is not the
device's: it is one parameter of the calibration (--harness-ns), not of the
profile. Rows that are not the device's timing (CPU baselines, the letter's
savevm cycles) are listed as context. --check exits 1 when a device row is
off by more than 15%, or one of the rows known to be off (KNOWN_OUTSIDE,
each with its reason) by more than 40%.
"""
import argparse
import csv
import math
import os
import re
import statistics
import subprocess
import sys

TOLERANCE = 0.15
MIB = 1 << 20
ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
# The calibration's own parameter: LightDSA's submitting thread, per
# descriptor it prepares. Set from every point of the run that measured the
# 4-engine rows where that thread binds (DSA_speed_{seq,rand}.data: four
# operations, 64 B-4 KiB, 56 points; the file holds 16 of them): 43 within
# 15% at 34 ns (worst 33%), 35 at the 31.7 ns a fit to the file's 8 thread-
# bound rows gives (worst 44%). docs/PERFORMANCE.md.
HARNESS_NS = 34
OPS = {"compval": "compval", "compare": "compare", "memcpy": "memmove", "memfill": "memfill"}
# The letter's 1 GB COMPARE on one engine in 89 ms: its mode is not stated
# and fits neither end (dsa-facts.md); shown beside the two ends.
LETTER = [("op=compare size=4096 mode=sync engines=1 count=64", "synchronous, one descriptor at a time",
           lambda us: us * (1 << 18) / 1e3),
          ("op=compare size=4096 mode=qd qd=32 engines=1", "pipelined, 32 plain descriptors in flight",
           lambda gbps: (1 << 30) / gbps / 1e6)]
ZC_PROJECT = [None]
# Metrics the fit does not chase (the reason is printed beside them).
OUT_OF_SCOPE = {"avg_batches_completed_out_of_order"}
# Rows the model is known to miss by more than 15%, and why (docs/
# PERFORMANCE.md): --check holds them within 40% (no worse than now) and
# every other row within 15%. (op, bytes, engines, batch, notes contain).
CACHED = ("the follower batches move 3.6-4.0 times the first descriptor's bytes before it completes "
          "(memmove 3.1, compval 3.4, compare 7.7 in the same run): engines sharing the device equally "
          "give at most 3 (the model 2.4: its 1 KiB members pay their control time), so the first "
          "descriptor ran slower than the followers, which reuse one 39 MiB LLC-resident set with cache "
          "control; the data does not show why")
THREAD = ("LightDSA's submitting thread bounds it at 27-52 ns per descriptor, and not monotonically "
          "(memcpy 44.6, 42.4, 39.7, 28.2, 40.4 ns at 64 B-1 KiB): no cost that is constant or grows "
          "with the size fits 64 B and 512 B both within 15% (that needs a ratio <= 1.35; published 1.36-1.58)")
KNOWN_OUTSIDE = [
    (("memfill", 1048576, 4, "", "first desc"), CACHED),
    (("memfill", 8388608, 4, "", "first desc"), CACHED),
    (("memfill", 64, 4, "32", "seq"), THREAD),
    (("memcpy", 512, 4, "32", "seq"), THREAD),
    (("memcpy", 512, 4, "32", "rand"), THREAD),
    (("memfill", 512, 4, "32", "rand"), THREAD),
    (("memcpy", 1048576, 4, "32", "rand"), "the harness took page faults in that run only "
     "(batch_fail_cnt 130184; 0 in its seq run and its memfill, compare and compval runs), resolved on "
     "the CPU; random placement alone costs nothing: memfill at random 1 MiB and memcpy at random "
     "512 KiB run at 30.4 and 29.8 GB/s"),
]
KNOWN_LIMIT = 0.40
# The held-out rows (configs/dsa-validation.csv, never fitted): per group,
# the median and the worst |error| measured (docs/PERFORMANCE.md "Held-out
# validation"), rounded up to the next half percent. --held-out --check
# fails when a group gets worse: a regression guard, not a target.
HELD_OUT_LIMITS = {
    ("held out", "fit-informed"): (0.045, 0.335),
    ("held out", "strictly held out"): (0.030, 0.690),
    ("operation", "compare"): (0.020, 0.170),
    ("operation", "compval"): (0.020, 0.425),
    ("operation", "memfill"): (0.055, 0.690),
    ("operation", "memmove"): (0.050, 0.575),
    ("size", "4-16 KiB"): (0.035, 0.515),
    ("size", "64 B-1 KiB"): (0.075, 0.690),
    ("size", "64 KiB-1 MiB"): (0.020, 0.180),
    ("alignment", "128 B"): (0.025, 0.170),
    ("alignment", "16 B"): (0.025, 0.165),
    ("alignment", "32 B"): (0.095, 0.690),
    ("alignment", "64 B"): (0.025, 0.335),
    ("alignment", "8 B"): (0.025, 0.190),
    ("engines", "1"): (0.035, 0.690),
    ("engines", "4"): (0.020, 0.335),
    ("mode", "batches of 32, 1 engine(s)"): (0.020, 0.525),
    ("mode", "batches of 32, 4 engine(s)"): (0.020, 0.335),
    ("mode", "sync, one at a time"): (0.025, 0.690),
    ("mode", "~32 plain in flight"): (0.020, 0.525),
    ("mode", "~32 plain in flight (sg32 run)"): (0.120, 0.575),
    ("write, alignment", "reads only, 16 B"): (0.020, 0.165),
    ("write, alignment", "reads only, 32 B"): (0.020, 0.425),
    ("write, alignment", "reads only, 64 B"): (0.020, 0.335),
    ("write, alignment", "reads only, 8 B"): (0.020, 0.190),
    ("write, alignment", "writes, 16 B"): (0.045, 0.145),
    ("write, alignment", "writes, 32 B"): (0.330, 0.690),
    ("write, alignment", "writes, 64 B"): (0.045, 0.170),
    ("write, alignment", "writes, 8 B"): (0.045, 0.140),
}


def known_outside(row):
    for (op, size, engines, batch, note), why in KNOWN_OUTSIDE:
        if (row["op"] == op and row["xfer_bytes"] == str(size) and row["engines"] == str(engines)
                and row["batch"] == batch and note in row["notes"]):
            return why
    return None
INTEGER_KEYS = {"lat_ns"}


def fail(msg):
    print(f"calibrate: {msg}", file=sys.stderr)
    sys.exit(2)


def alignment(notes):
    """The buffers' alignment a row's notes name ("align16"; "unaligned":
    LightDSA's 8-byte placement); 64 (line aligned) when they name none."""
    m = re.search(r"\balign(\d+)\b", notes)
    return int(m.group(1)) if m else 8 if "unaligned" in notes else 64


# The columns the rows are read by (configs/dsa-calibration.csv's header),
# those holding a number, and those empty or holding an integer.
COLUMNS = ("source_id", "where", "op", "xfer_bytes", "batch", "queue_depth", "engines", "sync", "metric",
           "value", "unit", "notes")
NUMBERS = ("value",)
INTEGERS = ("xfer_bytes", "queue_depth", "engines")


def read_rows(path):
    """The rows of a measurements CSV ('#' lines are comments); exit 2 with
    one line naming the file, row and value of anything the rows are not
    read by."""
    try:
        with open(path, newline="") as f:
            reader = csv.DictReader(line for line in f if not line.startswith("#"))
            rows = list(reader)
    except (OSError, UnicodeDecodeError, csv.Error) as e:
        fail(f"cannot read {path}: {getattr(e, 'strerror', None) or e}")
    missing = [c for c in COLUMNS if c not in (reader.fieldnames or [])]
    if missing:
        fail(f"{path}: no column {', '.join(missing)} (allowed: the columns of configs/dsa-calibration.csv)")
    if not rows:
        fail(f"{path}: no rows (allowed: published measurements, as configs/dsa-calibration.csv)")
    for n, row in enumerate(rows, 1):
        if None in row or None in row.values():
            fields = sum(v is not None for k, v in row.items() if k is not None) + len(row.get(None, []))
            fail(f"{path} row {n}: {fields} fields, the header has {len(reader.fieldnames)}")
        for col in NUMBERS + INTEGERS:
            v = row[col]
            try:
                ok = math.isfinite(float(v)) if col in NUMBERS else (not v or int(v) >= 0)
            except ValueError:
                ok = False
            if not ok:
                fail(f"{path} row {n}: {col} {v!r} (allowed: {'a number' if col in NUMBERS else 'empty or an integer >= 0'})")
    return rows


def scenario(row, harness_ns):
    """(scenario line, published value in the unit zc-project prints, unit)
    for a row the projection answers; (None, reason) otherwise."""
    src, op, metric = row["source_id"], row["op"], row["metric"]
    engines = int(row["engines"] or 0)
    notes = row["notes"]
    align = alignment(notes)
    value = float(row["value"])
    if src != "LIGHTDSA-AE" or engines == 0 or op not in OPS:
        return None, "context, not the device's timing"
    if "LightDSA opts" in notes:
        # LightDSA's own optimizations split and realign the descriptors of
        # unaligned buffers: not one configuration of plain descriptors.
        return None, "LightDSA's descriptor splitting, not a device configuration"
    size = int(row["xfer_bytes"])
    base = f"op={OPS[op]} size={size} engines={engines} align={align}"
    if metric == "latency" and row["sync"] == "sync":
        return f"{base} mode=sync", value, "us"
    if metric == "avg_batches_completed_out_of_order":
        return f"{base} mode=ooo batch=32", value, "batches"
    if metric == "throughput":
        gbps = value * MIB / 1e9 if row["unit"] == "MB/s" else value
        qd = row["queue_depth"]
        inflight = 20 if "chapter3_4_ALIGN" in row["where"] else 80
        mode = "mode=qd qd=32" if qd and int(qd) > 1 else f"mode=batch batch=32 inflight={inflight}"
        return f"{base} {mode} harness_ns={harness_ns}", gbps, "GB/s"
    return None, "a device limit (the model's defaults follow it)"


def project(zc_project, lines, emu):
    text = "".join(f"{l} emu={emu}\n" if emu else f"{l}\n" for l in lines)
    r = subprocess.run([zc_project], input=text, capture_output=True, text=True)
    if r.returncode:  # the first complaint: a bad --emu repeats on every scenario
        fail(f"{zc_project} failed (exit {r.returncode}): {(r.stderr.strip().splitlines() or [''])[0]}")
    out = [float(v) for v in r.stdout.split()]
    if len(out) != len(lines):
        fail(f"{zc_project} answered {len(out)} of {len(lines)} scenarios")
    return out


def evaluate(zc_project, rows, emu, harness_ns):
    """[(row, line, published, projected, unit)] for the device rows."""
    picked = []
    for row in rows:
        line, published, *unit = scenario(row, harness_ns)
        if line:
            picked.append((row, line, published, unit[0]))
    values = project(zc_project, [p[1] for p in picked], emu)
    return [(row, line, pub, val, unit) for (row, line, pub, unit), val in zip(picked, values)]


def error(pub, val):
    return val / pub - 1 if pub else math.inf


def describe(row):
    parts = [row["op"].split(" ")[0], f"{row['xfer_bytes']}B" if row["xfer_bytes"] else ""]
    if row["batch"] and row["batch"] != "1":
        parts.append(f"batch {row['batch']}")
    if row["queue_depth"] and row["queue_depth"] != "1":
        parts.append(f"qd {row['queue_depth']}")
    parts.append(f"{row['engines']} eng" if row["engines"] else "")
    parts.append(row["sync"])
    note = row["notes"].split(";")[0]
    return " ".join(p for p in parts if p) + (f" ({note})" if note else "")


def print_markdown(results, held_out=False):
    """The device rows as a markdown table (docs/PERFORMANCE.md); held-out
    rows name their file and alignment."""
    print("| source | configuration | metric | published | projected | error |")
    print("|---|---|---|---|---|---|")
    for row, _, pub, val, unit in results:
        if held_out:
            row = dict(row, source_id=row["where"].split("/")[-1].replace(".data", ""),
                       notes=f"align{alignment(row['notes'])}"
                       + ("; fit-informed" if "fit-informed" in row["notes"] else ""))
        err = error(pub, val)
        mark = "" if abs(err) <= TOLERANCE else " (known)" if known_outside(row) else " (outside 15%)"
        print(f"| {row['source_id']} | {describe(row)} | {row['metric']} ({unit}) | {pub:.4g} | "
              f"{val:.4g} | {err:+.1%}{mark} |")


def print_table(results, context, held_out=False):
    """Prints every row; True when each is within its limit. Held-out rows
    have no known reasons, and the letter's point is the calibration's."""
    print(f"{'source':<12} {'configuration':<52} {'metric':<34} {'published':>11} {'projected':>11} {'error':>7}")
    worst, ok = 0, True
    for row, _, pub, val, unit in results:
        err = error(pub, val)
        worst = max(worst, abs(err))
        why = known_outside(row)
        limit = KNOWN_LIMIT if why else TOLERANCE
        ok &= abs(err) <= limit
        flag = ("" if abs(err) <= TOLERANCE else "  <-- outside 15%" if held_out
                else f"  <-- outside 15%: {why or 'NEW'}")
        metric = f"{row['metric']} ({unit})"
        print(f"{row['source_id']:<12} {describe(row):<52.52} {metric:<34.34} {pub:>11.4g} {val:>11.4g} "
              f"{err:>+7.1%}{flag}")
    for row, why in context:
        print(f"{row['source_id']:<12} {describe(row):<52.52} {row['metric']:<34.34} "
              f"{float(row['value']):>11.4g} {'-':>11} {'':>7}  ({why})")
    for line, what, ms in [] if held_out else LETTER:
        value = ms(project(ZC_PROJECT[0], [line], "")[0])
        print(f"{'QEMU-RFC23':<12} {what:<52.52} {'1 GiB @4K COMPARE, 1 engine (ms)':<34} {89:>11} "
              f"{value:>11.4g}          (mode not stated)")
    inside = sum(abs(error(p, v)) <= TOLERANCE for _, _, p, v, _ in results)
    if held_out:
        print(f"\n{inside} of {len(results)} held-out rows within +-{TOLERANCE:.0%}; worst {worst:.1%}")
        return ok
    print(f"\n{inside} of {len(results)} device rows within +-{TOLERANCE:.0%}; worst {worst:.1%}; "
          f"{len(KNOWN_OUTSIDE)} known outside (held within {KNOWN_LIMIT:.0%}); "
          f"{len(context)} rows of context")
    return ok


def size_range(size):
    return "64 B-1 KiB" if size <= 1024 else "4-16 KiB" if size <= 16384 else "64 KiB-1 MiB"


def mode_of(row):
    if row["sync"] == "sync":
        return "sync, one at a time"
    if row["queue_depth"] and int(row["queue_depth"]) > 1:
        return "~32 plain in flight" + (" (sg32 run)" if "sg32 run" in row["notes"] else "")
    return f"batches of {row['batch']}, {row['engines']} engine(s)"


# The dimensions the held-out errors are summarized by.
DIMENSIONS = [
    ("held out", lambda r: "fit-informed" if "fit-informed" in r["notes"] else "strictly held out"),
    ("operation", lambda r: OPS[r["op"]]),
    ("size", lambda r: size_range(int(r["xfer_bytes"]))),
    ("alignment", lambda r: f"{alignment(r['notes'])} B"),
    ("engines", lambda r: r["engines"]),
    ("mode", mode_of),
    ("write, alignment", lambda r: ("writes" if r["op"] in ("memcpy", "memfill") else "reads only")
     + f", {min(alignment(r['notes']), 64)} B"),
]


def group_errors(results):
    """{(dimension, group): [error, ...]} over the device rows (the out-of-
    order test, not a device rate, apart)."""
    groups = {}
    for row, _, pub, val, _ in results:
        if row["metric"] in OUT_OF_SCOPE:
            continue
        for dim, key in DIMENSIONS:
            groups.setdefault((dim, key(row)), []).append(error(pub, val))
    return groups


def group_stats(errs):
    """(median |error|, the error of largest magnitude)."""
    return statistics.median(abs(e) for e in errs), max(errs, key=abs)


def print_groups(groups):
    """Per group: rows, within 15%, bias (mean error), median and worst |error|."""
    print(f"{'dimension':<18} {'group':<34} {'rows':>5} {'in 15%':>7} {'bias':>7} {'median':>7} {'worst':>7}")
    order = [dim for dim, _ in DIMENSIONS]
    for (dim, name), errs in sorted(groups.items(), key=lambda g: (order.index(g[0][0]), g[0][1])):
        median, worst = group_stats(errs)
        inside = sum(abs(e) <= TOLERANCE for e in errs)
        print(f"{dim:<18} {name:<34} {len(errs):>5} {inside:>7} {sum(errs) / len(errs):>+7.1%} "
              f"{median:>7.1%} {worst:>+7.1%}")


def held_out_ok(groups):
    """Whether every group's median and worst |error| stay within what was
    measured (HELD_OUT_LIMITS); names each group that does not."""
    ok = True
    for key, errs in groups.items():
        median, worst = group_stats(errs)
        if key not in HELD_OUT_LIMITS:
            print(f"held-out group {key} has no recorded limit: measure it and add it to HELD_OUT_LIMITS",
                  file=sys.stderr)
            ok = False
            continue
        max_median, max_worst = HELD_OUT_LIMITS[key]
        if median > max_median or abs(worst) > max_worst:
            print(f"held-out group {key}: median {median:.1%}, worst {worst:+.1%} "
                  f"(limits {max_median:.1%}, {max_worst:.1%})", file=sys.stderr)
            ok = False
    return ok


def emu_key(k, v):
    return f"{k}={round(v)}" if k in INTEGER_KEYS else f"{k}={v:.6g}"


def cost(zc_project, rows, keys, x, base_emu):
    params = dict(zip(keys, (math.exp(v) for v in x)))
    harness = params.pop("harness_ns", HARNESS_NS)
    emu = ",".join([base_emu] * bool(base_emu) + [emu_key(k, v) for k, v in params.items()])
    results = evaluate(zc_project, rows, emu, harness)
    errs = [math.log(val / pub) for row, _, pub, val, _ in results
            if val > 0 and pub > 0 and row["metric"] not in OUT_OF_SCOPE]
    # Mean square with a pull on the worst row: every row must land.
    return sum(e * e for e in errs) / len(errs) + 0.5 * max(e * e for e in errs)


def nelder_mead(f, x0, step=0.3, iters=150):
    n = len(x0)
    pts = [list(x0)] + [[x0[j] + (step if j == i else 0) for j in range(n)] for i in range(n)]
    vals = [f(p) for p in pts]
    for it in range(iters):
        order = sorted(range(n + 1), key=lambda i: vals[i])
        pts, vals = [pts[i] for i in order], [vals[i] for i in order]
        print(f"  fit {it:3d}: cost {vals[0]:.5f}", file=sys.stderr)
        centroid = [sum(p[j] for p in pts[:-1]) / n for j in range(n)]
        def toward(t):
            return [centroid[j] + t * (pts[-1][j] - centroid[j]) for j in range(n)]
        xr = toward(-1)
        fr = f(xr)
        if fr < vals[0]:
            xe = toward(-2)
            fe = f(xe)
            pts[-1], vals[-1] = (xe, fe) if fe < fr else (xr, fr)
        elif fr < vals[-2]:
            pts[-1], vals[-1] = xr, fr
        else:
            xc = toward(0.5)
            fc = f(xc)
            if fc < vals[-1]:
                pts[-1], vals[-1] = xc, fc
            else:
                pts = [pts[0]] + [[pts[0][j] + 0.5 * (p[j] - pts[0][j]) for j in range(n)] for p in pts[1:]]
                vals = [vals[0]] + [f(p) for p in pts[1:]]
    best = min(range(n + 1), key=lambda i: vals[i])
    return pts[best], vals[best]


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--zc-project", default=os.path.join(ROOT, "build", "bench", "zc-project"))
    ap.add_argument("--csv", default=os.path.join(ROOT, "configs", "dsa-calibration.csv"))
    ap.add_argument("--check", action="store_true",
                    help="exit 1 when a device row is off by more than 15%% (known ones: 40%%)")
    ap.add_argument("--emu", default="", help="emu keys for every scenario (what-if: desc_ns=40,...)")
    ap.add_argument("--harness-ns", type=float, default=HARNESS_NS)
    ap.add_argument("--groups", action="store_true", help="print the error summary per group of rows")
    ap.add_argument("--held-out", action="store_true",
                    help="rows never fitted (configs/dsa-validation.csv): the table and the group summary; "
                         "with --check, exit 1 when a group's error passes what was measured")
    ap.add_argument("--markdown", action="store_true", help="print the device rows as a markdown table")
    ap.add_argument("--fit", default="", help="comma-separated profile keys (and harness_ns) to fit")
    args = ap.parse_args()
    ZC_PROJECT[0] = args.zc_project
    if not os.path.isfile(args.zc_project) or not os.access(args.zc_project, os.X_OK):
        fail(f"{args.zc_project} is not built (cmake --build build --target zc-project)")
    if not math.isfinite(args.harness_ns) or not 0 <= args.harness_ns <= 1e9:
        fail(f"--harness-ns {args.harness_ns:g}: allowed a number of ns 0..1e9")
    rows = read_rows(args.csv)
    if args.fit:
        keys = args.fit.split(",")
        prof = subprocess.run([args.zc_project, "--profile"], capture_output=True, text=True).stdout
        start = dict((k, float(v)) for k, v in (l.split("=") for l in prof.split()))
        for kv in filter(None, args.emu.split(",")):
            k, _, v = kv.partition("=")
            try:
                start[k] = float(v)
            except ValueError:
                fail(f"--emu {args.emu}: '{kv}' is not key=number (with --fit: the profile's numeric keys)")
        start["harness_ns"] = args.harness_ns
        unknown = [k for k in keys if k not in start]
        if unknown:
            fail(f"--fit: unknown key(s) {','.join(unknown)} (allowed: {','.join(start)})")
        x0 = [math.log(start.get(k, 50.0)) for k in keys]
        x, c = nelder_mead(lambda x: cost(args.zc_project, rows, keys, x, args.emu), x0)
        fitted = {k: math.exp(v) for k, v in zip(keys, x)}
        print("fitted (cost %.5f): %s" % (c, ", ".join(f"{k}={v:.4g}" for k, v in fitted.items())))
        args.harness_ns = fitted.pop("harness_ns", args.harness_ns)
        args.emu = ",".join([args.emu] * bool(args.emu) + [emu_key(k, v) for k, v in fitted.items()])
    results = evaluate(args.zc_project, rows, args.emu, args.harness_ns)
    if args.markdown:
        print_markdown(results, args.held_out)
        return
    if args.groups:
        print_groups(group_errors(results))
        return
    if args.held_out:
        print_table(results, [], held_out=True)
        print()
        groups = group_errors(results)
        print_groups(groups)
        if args.check and not held_out_ok(groups):
            sys.exit(1)
        return
    context = [(r, scenario(r, args.harness_ns)[1]) for r in rows if not scenario(r, args.harness_ns)[0]]
    ok = print_table(results, context)
    if args.check and not ok:
        sys.exit(1)


if __name__ == "__main__":
    main()
