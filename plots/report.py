#!/usr/bin/env python3
"""Plots and the report for one zcbench results directory.

usage: plots/report.py RESULTS_DIR [--seed plots/seed-reference.csv] [--host HOST]

Reads every results CSV in RESULTS_DIR (docs/csv-schema.md) and the
metadata sidecars, writes RESULTS_DIR/plots/*.{png,svg} with the gnuplot
templates beside this script, and RESULTS_DIR/report.md + report.html
(self-contained: the SVGs are inlined). Rows from a DSA model (any device
dsa-*) are labeled in every table, legend and caption: "projected" (the
model on simulated time, device dsa-projected), "modeled" (the model on
host time), "kernel model"; hardware rows say "DSA hw" and their WQ. Each
table or plot holding such rows says in one line what its labels mean.
A report is of one machine: runs of several (their sidecars' host and CPU)
in one directory are refused naming them, unless --host picks one; then
the report is RESULTS_DIR/report-HOST.md + report-HOST.html with its plots
in RESULTS_DIR/plots-HOST/, so each machine's report stands beside the
others'. Prints the report path and a three-line summary.
"""
import argparse
import csv
import glob
import html
import json
import os
import re
import statistics
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
GB = 1e9
# A DSA mode beats the CPU where it is at least this much faster: the two
# medians of a closer pair swap between runs (repetitions spread a few %).
CROSSOVER_MARGIN = 0.05


def fail(msg):
    print(f"report: {msg}", file=sys.stderr)
    sys.exit(2)


def fnum(row, col, default=None):
    try:
        v = row.get(col, "")
        return float(v) if v not in ("", "-") else default
    except ValueError:
        return default


def human_bytes(n):
    n = int(n)
    for unit, shift in (("G", 30), ("M", 20), ("K", 10)):
        if n >= (1 << shift) and n % (1 << shift) == 0:
            return f"{n >> shift}{unit}"
    return str(n)


# Columns the report reads from every row (docs/csv-schema.md, all versions).
REQUIRED = ("schema_version", "run_id", "workload", "op", "backend", "device", "buf_bytes", "gran_bytes",
            "batch", "queue_depth", "threads", "zero_ratio", "cache", "reps", "latency_ns",
            "throughput_gbps", "tsc_hz", "sweep")
# The int and float columns of docs/csv-schema.md: empty or "-" where not
# measured, otherwise a finite number.
NUMERIC = set("""schema_version buf_bytes gran_bytes batch queue_depth n_wq threads zero_ratio reps
    latency_ns latency_ns_p99 throughput_gbps cpu_ns_per_page submit_cycles_per_page wait_cycles_per_page
    pages pages_zero verified mem_bytes save_cycles zerocheck_cycles zerocheck_share tsc_hz cpu packet_pages
    sender_cpu_ns sender_cpu_ns_max descriptors_per_page batches_per_pass retries_per_pass cpu_pages_per_pass
    faults_per_pass passes_per_sample clock_ns wall_ns qemu_channels qemu_pages_zero qemu_pages_normal
    qemu_bytes qemu_total_ms qemu_mbps qemu_cpu_user_ns qemu_cpu_sys_ns qemu_save_thread_cpu_ns
    qemu_multifd_cpu_ns qemu_multifd_cpu_ns_max qemu_io_cpu_ns""".split())
# Divisors and the case's size: a row giving zero there has no meaning.
POSITIVE = ("buf_bytes", "gran_bytes", "latency_ns", "tsc_hz")
# A row without these measured nothing the report can place; it is listed as missing.
MEASURED = ("buf_bytes", "gran_bytes", "zero_ratio", "latency_ns", "throughput_gbps")
PARTIAL_NOTE = re.compile(r"\d+ of \d+ repetitions, then: .*")


def case_name(row):
    return f"{row['sweep'] or 'cli'}: {row['workload']} {row['op']} {row['backend']} {row['buf_bytes'] or '?'} B"


def checked_row(where, row):
    """Fails on a value no run writes; returns (case, what is missing) for
    a partial row (an empty measurement, repetitions cut short), or None."""
    if row.get("schema_version") not in ("1", "2", "3", "4"):
        fail(f"{where}: schema_version {row.get('schema_version')!r} (this report reads 1 to 4)")
    for col, v in row.items():
        if col not in NUMERIC or v in ("", "-"):
            continue
        try:
            x = float(v)
        except ValueError:
            x = float("nan")
        if x != x or x in (float("inf"), float("-inf")):
            fail(f"{where}: {col} {v!r} is not a finite number")
        if col in POSITIVE and x <= 0:
            fail(f"{where}: {col} {v!r} must be greater than 0")
    empty = [c for c in MEASURED if row[c] in ("", "-")]
    if empty:
        return case_name(row), f"no {', '.join(empty)} (left out)"
    partial = PARTIAL_NOTE.search(row.get("note", ""))
    return (case_name(row), partial.group(0)) if partial else None


def load_rows(results_dir):
    """The rows of every results CSV, and one line for each case that is
    missing or partial (torn last line, empty measurement, reps cut short)."""
    rows, missing = [], []
    files = [p for p in sorted(glob.glob(os.path.join(results_dir, "*.csv")))
             if not p.endswith(".samples.csv")]
    for path in files:
        try:
            # utf-8-sig: a CSV saved by a spreadsheet starts with a byte-order
            # mark, which hid its schema_version and the file was skipped.
            with open(path, newline="", encoding="utf-8-sig") as f:
                reader = csv.DictReader(f)
                if not reader.fieldnames or reader.fieldnames[0] != "schema_version":
                    continue
                absent = [c for c in REQUIRED if c not in reader.fieldnames]
                if absent:
                    fail(f"{path}: no column {', '.join(absent)} (docs/csv-schema.md)")
                for row in reader:
                    where = f"{path} line {reader.line_num}"
                    if None in row:
                        fail(f"{where}: {len(reader.fieldnames) + len(row[None])} fields, the header has "
                             f"{len(reader.fieldnames)}")
                    if None in row.values():
                        missing.append((f"{os.path.basename(path)} line {reader.line_num}",
                                        f"a torn row ({sum(v is not None for v in row.values())} of "
                                        f"{len(reader.fieldnames)} fields, left out)"))
                        continue
                    lack = checked_row(where, row)
                    if lack:
                        missing.append(lack)
                        if lack[1].endswith("(left out)"):
                            continue
                    row["_file"] = os.path.basename(path)
                    rows.append(row)
        except (OSError, UnicodeDecodeError, csv.Error) as e:
            fail(f"{path}: {e}")
    if not rows:
        fail(f"no zcbench results CSV with a complete row in {results_dir}")
    return rows, missing


def load_metas(results_dir):
    """Every metadata sidecar, by the run id it names (or its file's name)."""
    metas = {}
    for path in sorted(glob.glob(os.path.join(results_dir, "*.meta.json"))):
        try:
            with open(path) as f:
                meta = json.load(f)
        except (OSError, UnicodeDecodeError, json.JSONDecodeError) as e:
            fail(f"{path}: {e}")
        if not isinstance(meta, dict):
            fail(f"{path}: a JSON {type(meta).__name__}, not an object (docs/csv-schema.md)")
        try:
            float(meta.get("tsc_hz", 0) or 0)
        except (TypeError, ValueError):
            fail(f"{path}: tsc_hz {meta['tsc_hz']!r} is not a number")
        metas.setdefault(str(meta.get("run_id") or os.path.basename(path)[:-len(".meta.json")]), meta)
    return metas


RUN_ID_HOST = re.compile(r"^\d{8}T\d{6}Z-(.+)-\d+$")  # YYYYmmddTHHMMSSZ-HOST-PID


def machine_of(row, metas):
    """(host, CPU model) of a row: its run's sidecar, else the host its run id names."""
    meta = metas.get(row.get("run_id", ""), {})
    named = RUN_ID_HOST.match(row.get("run_id", ""))
    return (meta.get("host") or (named.group(1) if named else "unknown host"),
            meta.get("cpu_model") or "unknown CPU")


def one_machine(results_dir, rows, metas, wanted):
    """The rows of one machine, and its sidecar: a directory holding runs of
    several is refused unless --host picks one (merged, their numbers would
    pass for one machine's)."""
    # A run without its sidecar (CPU unknown) is of the one CPU its host had otherwise.
    cpus = {}
    for h, cpu in (machine_of(r, metas) for r in rows):
        cpus.setdefault(h, set()).add(cpu)

    def machine(r):
        h, cpu = machine_of(r, metas)
        known = cpus[h] - {"unknown CPU"}
        return (h, next(iter(known))) if cpu == "unknown CPU" and len(known) == 1 else (h, cpu)

    files = {}
    for r in rows:
        files.setdefault(machine(r), set()).add(r["_file"])
    hosts = list(dict.fromkeys(h for h, _ in files))
    picked = [m for m in files if wanted is None or m[0] == wanted]
    if not picked:
        fail(f"--host {wanted}: no results of that machine in {results_dir} (allowed: {', '.join(hosts)})")
    if len(picked) > 1:
        names = " and ".join(f"{h} ({cpu}; {', '.join(sorted(files[(h, cpu)]))})" for h, cpu in picked)
        allowed = (" or ".join(f"--host {h}" for h, _ in picked) if len(hosts) == len(files)
                   else "one machine's runs per directory")
        fail(f"{results_dir} holds results of {len(picked)} machines: {names}; a report is of one machine "
             f"(allowed: {allowed})")
    kept = [r for r in rows if machine(r) == picked[0]]
    left = sorted({r["_file"] for r in rows} - {r["_file"] for r in kept})
    if left:
        print(f"report: --host {wanted}: left out the runs of other machines: {', '.join(left)}", file=sys.stderr)
    run_ids = sorted({r.get("run_id", "") for r in kept})
    host, cpu = picked[0]
    # Without its sidecar the machine is still the one its rows name, not this one.
    return kept, {"host": host, "cpu_model": cpu, **next((metas[i] for i in run_ids if i in metas), {})}


def is_modeled(row):
    """Every DSA device label but plain "dsa" (hardware) is a model."""
    return row.get("device", "").startswith("dsa-")


def top_level_value(spec, key):
    """(start, end) of key's value in a backend spec, braces respected; None when absent."""
    at = spec.find(":") + 1
    depth, item = 0, at
    for i in range(at, len(spec) + 1):
        c = spec[i] if i < len(spec) else ","
        depth += (c == "{") - (c == "}")
        if c == "," and depth == 0:
            if spec.startswith(key + "=", item):
                return item + len(key) + 1, i
            item = i + 1
    return None


def is_qemu(row):
    """A row of the host's own QEMU (--backend qemu), not of a model."""
    return row.get("device") == "qemu"


def label(row):
    """A backend's legend label. The targets of one wq=auto spec (docs/
    csv-schema.md: target) share it, written wq=auto, and differ by what
    they are: (DSA hw wqD.Q), (projected), (modeled)."""
    name = row["backend"]
    target = row.get("target", "-")
    span = top_level_value(name, "wq") if target in ("hw", "projected", "model") else None
    if span:
        name = name[:span[0]] + "auto" + name[span[1]:]
    device = row.get("device", "")
    if target == "projected" or device == "dsa-projected":
        return f"{name} (projected)"
    if device == "dsa-kmodel":
        return f"{name} (kernel model)"
    if is_modeled(row):
        return f"{name} (modeled)"
    if device == "dsa":
        return f"{name} (DSA hw {row.get('wq', '')})".replace(" )", ")")
    if is_qemu(row):
        return f"{name} (QEMU {row.get('qemu_version', '?')})"
    return name


KIND_LETTER, KIND_CPU, KIND_MODELED, KIND_DSA_HW = 0, 1, 2, 3


def kind_of(row):
    device = row.get("device", "")
    return KIND_DSA_HW if device == "dsa" else KIND_MODELED if is_modeled(row) else KIND_CPU


def gnuplot_string(v):
    """A gnuplot double-quoted string literal (newlines as \\n)."""
    v = v.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")
    return f'"{v}"'


def byte_tics(xs):
    """A gnuplot tic list labelling byte sizes as 4K, 1M, 1G."""
    return "(" + ", ".join(f'"{human_bytes(x)}" {x:.0f}' for x in sorted(set(xs))) + ")"


SUFFIXES = (" (modeled)", " (projected)", " (kernel model)", " (DSA hw")


def shorten(labels):
    """Drops the comma-separated options every DSA spec among the labels
    shares (wait=pause, timeout_ms=..., ...) and returns (short labels, the
    shared options)."""
    def split(label):
        suffix = next((label[label.rfind(x):] for x in SUFFIXES if x in label), "")
        return label[:len(label) - len(suffix)].split(","), suffix
    parts = [split(lab) for lab in labels]
    dsa = [p for p in parts if len(p[0]) > 1 and not p[0][0].startswith(("cpu", "ref:", "letter"))]
    if len(dsa) < 2:
        return list(labels), ""
    common = [t for t in dsa[0][0][1:] if all(t in p[0][1:] for p in dsa)]
    short = [",".join([p[0][0]] + [t for t in p[0][1:] if p not in dsa or t not in common]) + p[1]
             for p in parts]
    return short, ",".join(common)


class Plotter:
    def __init__(self, out_dir, host):
        self.out_dir = out_dir
        self.host = host
        self.made = []  # (name, caption, the labels it shows)
        os.makedirs(out_dir, exist_ok=True)

    def _gnuplot(self, template, params):
        args = []
        for k, v in params.items():
            args += ["-e", f"{k}={gnuplot_string(v) if isinstance(v, str) else v}"]
        cmd = ["gnuplot"] + args + [os.path.join(HERE, template)]
        try:
            r = subprocess.run(cmd, capture_output=True, text=True)
        except FileNotFoundError:
            fail("gnuplot not found in PATH: the plots need it (apt-get install gnuplot)")
        if r.returncode != 0:
            fail(f"gnuplot failed for {params.get('out')}: {r.stderr.strip()}")

    def _title(self, title, common=""):
        return f"{title}\n{self.host}" + (f"\nevery DSA spec also has: {common}" if common else "")

    def lines(self, name, title, xlabel, ylabel, series, caption, logx=1, logy=0, xbytes=1):
        """series: list of (label, modeled, [(x, y), ...]); skipped when empty."""
        series = [s for s in series if s[2]]
        if not series:
            return
        full = [lab for lab, _, _ in series]
        short, common = shorten(full)
        series = [(lab, m, pts) for lab, (_, m, pts) in zip(short, series)]
        data = os.path.join(self.out_dir, name + ".dat")
        with open(data, "w") as f:
            for i, (lab, _, points) in enumerate(series):
                if i:
                    f.write("\n\n")
                f.write('"%s" "-"\n' % lab.replace('"', "'"))
                for x, y in sorted(points):
                    f.write(f"{x:.10g} {y:.10g}\n")
        params = {"data": data, "out": os.path.join(self.out_dir, name),
                  "title": self._title(title, common), "xlabel": xlabel, "ylabel": ylabel,
                  "logx": logx, "logy": logy, "n": len(series),
                  "modeled": " ".join("1" if m else "0" for _, m, _ in series)}
        if xbytes:
            params["xtics"] = byte_tics(x for _, _, pts in series for x, _ in pts)
        self._gnuplot("lines.gp", params)
        self.made.append((name, caption, " ".join(full)))

    @staticmethod
    def _wrap(text, width):
        """Breaks a bar label into lines at commas, colons and spaces ("|" for bars.gp)."""
        lines, line = [], ""
        for piece in re.findall(r"[^,: ]+[,: ]?", text):
            if line and len(line) + len(piece) > width:
                lines.append(line.rstrip())
                line = ""
            line += piece
        return "|".join(lines + [line.rstrip()])

    def bars(self, name, title, ylabel, segments, table, caption):
        """table: rows of (label, value per segment..., kind); stacked when
        several segments; one segment spanning decades goes on a log scale."""
        if not table:
            return
        data = os.path.join(self.out_dir, name + ".dat")
        # Labels wrapped to the width of a bar slot (about 8 px a character).
        short, common = shorten([row[0] for row in table])
        labels = [self._wrap(lab, max(8, 850 // len(table) // 8)) for lab in short]
        with open(data, "w") as f:
            for lab, row in zip(labels, table):
                f.write("\t".join([lab] + [f"{v:.10g}" for v in row[1:-1]] + [str(row[-1])]) + "\n")
        kinds = sorted({row[-1] for row in table})
        values = [v for row in table for v in row[1:-1] if v > 0]
        logy = int(len(segments) == 1 and values and max(values) > 30 * min(values))
        if logy:
            ylabel += ", log scale"
        self._gnuplot("bars.gp", {
            "data": data, "out": os.path.join(self.out_dir, name),
            "title": self._title(title, common), "ylabel": ylabel, "ncols": len(segments),
            "label_lines": max(lab.count("|") + 1 for lab in labels),
            "segments": " ".join(f"'{s}'" for s in segments),
            "kinds": " ".join(str(k) for k in kinds), "logy": logy})
        self.made.append((name, caption, " ".join(row[0] for row in table)))


def series_by(rows, x_col, y_fn, key_fn=label):
    groups = {}
    modeled = {}
    for r in rows:
        y = y_fn(r)
        x = fnum(r, x_col)
        if y is None or x is None:
            continue
        k = key_fn(r)
        if any(px == x for px, _ in groups.get(k, [])):
            continue  # a point two sweeps measured (the reference rows): the first stands
        groups.setdefault(k, []).append((x, y))
        modeled[k] = is_modeled(r)
    return [(k, modeled[k], v) for k, v in sorted(groups.items())]


def latency_us(r):
    v = fnum(r, "latency_ns")
    return v / 1e3 if v else None


def cpu_cycles_per_gb(r, tsc_hz):
    ns = fnum(r, "cpu_ns_per_page")
    gran = fnum(r, "gran_bytes")
    if ns is None or not gran:
        return None
    return ns * (GB / gran) * tsc_hz / 1e9


def letter_savevm(seed):
    """The letter's first table: {memory: (save cycles, zero-check cycles)}."""
    table = {}
    for s in seed:
        if s["table"] == "savevm":
            table.setdefault(s["row"], {})[s["metric"]] = float(s["value"])
    return {mem: (m["save_snapshot_cycles"], m["buffer_is_zero_cycles"]) for mem, m in table.items()}


SEED_ZERO_RATIO = 0.5  # the seed sweep's guest: half zero, the rest data


def sweep_order(rows):
    """Each sweep's place in the run: a backend measured in two sweeps gets
    a row in each, and tables keep them apart in the order they ran."""
    order = {}
    for r in rows:
        order.setdefault(r["sweep"], len(order))
    return order


def savevm_tables(rows, seed, host):
    """Rows for the savevm bars (Mcycles per GiB, stacked; the seed sweep's
    half-zero guests) and the report table (every savevm row, QEMU's too)."""
    bars, table = [], []
    for mem, (tot, zc_c) in letter_savevm(seed).items():
        gib = float(mem.rstrip("GB"))
        bars.append([f"letter {mem}", zc_c / gib / 1e6, (tot - zc_c) / gib / 1e6, KIND_LETTER])
        table.append(("letter (Xeon 8457C)", "-", mem, "CPU buffer_is_zero", "-", tot, zc_c, zc_c / tot,
                      tot / gib / 1e6))
    savevm = [r for r in rows if r["workload"] == "savevm"]
    run_order = sweep_order(savevm)
    for r in sorted(savevm, key=lambda r: (run_order[r["sweep"]], fnum(r, "mem_bytes", 0),
                                           fnum(r, "zero_ratio", 0), r["backend"])):
        mem = fnum(r, "mem_bytes", 0)
        tot, zc_c = fnum(r, "save_cycles", 0), fnum(r, "zerocheck_cycles")
        if not mem or not tot:
            continue
        gib = mem / (1 << 30)
        if zc_c is None:  # QEMU: its check is not timed apart (see the comparison below)
            table.append((host, r["sweep"], human_bytes(mem), label(r), r["zero_ratio"], tot, None, None,
                          tot / gib / 1e6))
            continue
        if fnum(r, "zero_ratio") == SEED_ZERO_RATIO:
            bars.append([f"{human_bytes(mem)} {label(r)}", zc_c / gib / 1e6, (tot - zc_c) / gib / 1e6,
                         kind_of(r)])
        table.append((host, r["sweep"], human_bytes(mem), label(r), r["zero_ratio"], tot, zc_c, zc_c / tot,
                      tot / gib / 1e6))
    return bars, table


def onegig_tables(rows, seed):
    """Bars (ms per GiB) and report rows for the letter's 1 GB table (a
    1 GiB buffer, zcbench's --size 1G); runs measured on a smaller buffer are
    scaled linearly to 1 GiB and say so."""
    letter = {s["row"]: float(s["value"]) for s in seed if s["table"] == "1GB"}
    names = {"cpu-one-thread": "CPU, one thread", "dsa-one-engine": "DSA, one engine (COMPARE)"}
    bars = [[f"letter: {names.get(k, k)}", v, KIND_LETTER] for k, v in letter.items()]
    table = [("letter", names.get(k, k), "1G", f"{v:g}", f"{v:g}") for k, v in letter.items()]
    onegig = [r for r in rows if r["workload"] == "onegig" and r["op"] != "read"]
    for r in sorted(onegig, key=lambda r: (r["op"], kind_of(r), r["backend"])):
        buf = fnum(r, "buf_bytes", 0)
        lat = fnum(r, "latency_ns", 0) / 1e6
        per_gb = lat * (1 << 30) / buf if buf else lat
        bars.append([f"{r['op']} {label(r)}", per_gb, kind_of(r)])
        table.append((r["op"], label(r), human_bytes(buf), f"{lat:.2f}", f"{per_gb:.1f}"))
    return bars, table


def beats(r, cpu):
    """DSA's median at least CROSSOVER_MARGIN below the CPU's: closer is a
    tie, which two runs of the same case can order either way."""
    return fnum(r, "latency_ns") < (1 - CROSSOVER_MARGIN) * fnum(cpu, "latency_ns")


def sustained_win(common, cpu_best):
    """The smallest of the sizes (ascending) from which the DSA row beats the
    CPU at that size and at every larger one; None when the largest does not."""
    win = None
    for r in reversed(common):
        if not beats(r, cpu_best[int(fnum(r, "buf_bytes"))]):
            break
        win = r
    return win


def crossover_and_savings(sizes, tsc_hz):
    """Per DSA mode and cache state (hot: the buffer in the caches; cold:
    from memory, as savevm reads a guest): the smallest size from which it
    beats the fastest one-thread CPU variant (the letter's "CPU, one thread")
    at every larger size (sustained_win), and
    calling-thread CPU cycles per GB against that CPU variant at the
    largest common size, with and without the thread's waits."""
    crossovers, saved = [], []
    for cache in ("hot", "cold"):
        base = [r for r in sizes if r["cache"] == cache and fnum(r, "zero_ratio") == 1.0]
        cpu_best = {}
        for r in base:
            if r["backend"].startswith("cpu:"):
                size = int(fnum(r, "buf_bytes"))
                if size not in cpu_best or fnum(r, "latency_ns") < fnum(cpu_best[size], "latency_ns"):
                    cpu_best[size] = r
        # DSA timing comes from hardware or the projection; the model on host
        # time (dsa-emu) and the kernel model show code paths, not DSA's speed.
        for b in sorted({r["backend"] for r in base if r["device"] in ("dsa", "dsa-projected")}):
            rs = sorted([r for r in base if r["backend"] == b], key=lambda r: fnum(r, "buf_bytes"))
            common = [r for r in rs if int(fnum(r, "buf_bytes")) in cpu_best]
            win = sustained_win(common, cpu_best)
            crossovers.append((label(rs[0]), cache,
                               human_bytes(win["buf_bytes"]) if win else "none in range",
                               f"{human_bytes(rs[0]['buf_bytes'])}..{human_bytes(rs[-1]['buf_bytes'])}"))
            if not common:
                continue
            r = common[-1]
            cpu = cpu_best[int(fnum(r, "buf_bytes"))]
            cpu_c, c = cpu_cycles_per_gb(cpu, tsc_hz), cpu_cycles_per_gb(r, tsc_hz)
            if cpu_c is None or c is None:
                continue
            # Waits are counted on the TSC and thread time on its clock: a
            # descheduled wait can count more than the thread ran.
            waits = min(fnum(r, "wait_cycles_per_page", 0) * GB / fnum(r, "gran_bytes", 4096), c)
            saved.append((label(r), cache, human_bytes(r["buf_bytes"]), cpu["backend"], cpu_c / 1e6,
                          c / 1e6, (cpu_c - c) / 1e6, (c - waits) / 1e6, (cpu_c - c + waits) / 1e6))
    return crossovers, saved


def other_sweeps_table(rows):
    """Sweeps without a plot of their own (wait policy, threads, position of
    the non-zero byte): throughput and CPU per page (the calling thread's, cpu-mt's workers' with it)."""
    shown = {"sizes", "sizes-dsa", "cli", "zero-ratio", "batch", "qd", "scaling", "onegig",
             "savevm", "migrate", "qemu-savevm", "qemu-migrate", "qemu-multifd", ""}
    return [(r["sweep"], label(r), human_bytes(fnum(r, "buf_bytes", 0)), r["cache"], r["zero_ratio"],
             r.get("nonzero_at", ""), r.get("wait", ""), r["threads"], f"{fnum(r, 'throughput_gbps', 0):.2f}",
             f"{fnum(r, 'cpu_ns_per_page', 0):.1f}")
            for r in rows if r.get("sweep", "") not in shown and r["op"] != "read"]


EMU_GROUP = re.compile(r"\{emu:([^{}]*)\}|emu:([^{}+]*)")


def emu_groups(spec):
    """The key=value pairs of each emu WQ of a backend spec's wq."""
    return [dict(kv.split("=", 1) for kv in (a or b).split(",") if "=" in kv)
            for a, b in EMU_GROUP.findall(spec)]


def scaling_table(rows):
    """The projection's WQ x engine layouts: throughput per device."""
    out = []
    for r in rows:
        groups = emu_groups(r["backend"])
        if not groups or r.get("device") != "dsa-projected":
            continue
        devices = {g.get("dev") or f"own{i}" for i, g in enumerate(groups)}
        engines = sum(int(g.get("engines", 4)) for g in groups) // len(groups)
        gbps = fnum(r, "throughput_gbps", 0)
        waits = wait_share(r)
        out.append((label(r), str(len(groups)), str(len(devices)), str(engines), r["batch"],
                    r["queue_depth"], f"{gbps:.1f}", f"{gbps / len(devices):.1f}",
                    fmt(waits, ".0%"), bound_by(waits)))
    return out


def wait_share(r):
    """The share of the submitting thread's time spent waiting for records;
    None where the row does not say."""
    thread_cycles = fnum(r, "cpu_ns_per_page", 0) * fnum(r, "tsc_hz", 0) / 1e9
    waits = fnum(r, "wait_cycles_per_page")
    return min(1.0, waits / thread_cycles) if thread_cycles > 0 and waits is not None else None


def bound_by(waits):
    """A thread that waits for most of its time has the device to wait on;
    one that hardly waits finds its records done: it is the bound."""
    if waits is None:
        return "-"
    return "device" if waits >= 0.5 else "submitting thread" if waits < 0.25 else "both"


def hardware_beside_projection(rows):
    """Each hardware row beside the projection of the same spec and case:
    every run on DSA hardware checks the model."""
    def key(r):
        return (r.get("sweep"), r["workload"], r["op"], label(r).rsplit(" (", 1)[0], r["buf_bytes"],
                r["gran_bytes"], r["zero_ratio"], r["cache"], r.get("mem_bytes", ""))
    projected = {key(r): r for r in rows if r.get("target") == "projected"}
    out = []
    for r in rows:
        p = projected.get(key(r)) if r.get("target") == "hw" else None
        if p:
            hw, pr = fnum(r, "latency_ns", 0), fnum(p, "latency_ns", 0)
            out.append((label(r), human_bytes(fnum(r, "buf_bytes", 0)), r["cache"],
                        f"{hw / 1e3:.2f}", f"{pr / 1e3:.2f}", f"{pr / hw - 1:+.1%}" if hw else "-"))
    return out


def migrate_table(rows):
    out = []
    migrate = [r for r in rows if r["workload"] == "migrate" and not is_qemu(r)]
    run_order = sweep_order(migrate)
    for r in sorted(migrate, key=lambda r: (run_order[r["sweep"]], fnum(r, "mem_bytes", 0), r["backend"],
                                            fnum(r, "zero_ratio", 0))):
        pages = fnum(r, "pages", 0) or 1
        cpu_ns, tsc_hz = fnum(r, "sender_cpu_ns", 0), fnum(r, "tsc_hz", 0)
        # A polling sender's waits are CPU time; a sleeping one's (wait=poller) are
        # not, and the completion thread's CPU is in the sum instead.
        own = "-"
        if r.get("wait") != "poller":
            # As in the savings table: waits on the TSC, thread time on its clock.
            waits_ns = min(fnum(r, "wait_cycles_per_page", 0) * pages / tsc_hz * 1e9, cpu_ns) if tsc_hz else 0
            own = f"{(cpu_ns - waits_ns) / pages:.1f}"
        out.append((r["sweep"], label(r), human_bytes(fnum(r, "mem_bytes", 0)), r["threads"], r["zero_ratio"],
                    r.get("packet_pages", ""), f"{cpu_ns / 1e6:.2f}",
                    f"{fnum(r, 'sender_cpu_ns_max', 0) / 1e6:.2f}",
                    f"{cpu_ns / pages:.1f}", own))
    return out


QEMU_SAVEVM_NOTE = (
    "zcbench's savevm model (bench/driver/savevm.c) is QEMU's RAM save loop reduced to what the "
    "zero check competes with: walk the dirty bitmap (every page marked, each found and its bit "
    "cleared), check each page (one call a page, as buffer_is_zero), and append an 8-byte header plus the page (by reference) or a one-byte zero "
    "record to a 32 KiB buffer written with writev into a plain file, as QEMU's QEMUFile does. It "
    "leaves out what QEMU's savevm does around that loop: the rest of the per-page bookkeeping "
    "of migration/ram.c, KVM dirty logging (started, synced and stopped in the kernel), "
    "device state, and above all the qcow2 image: every write of the stream becomes a qcow2 write "
    "(cluster allocation, L2 and refcount updates) handed to the block layer's worker threads while "
    "the save thread waits, and the snapshot ends with flushes to the disk. On an all-zero guest "
    "both are CPU-bound (a few MB are written): profiled on the project's host, the check costs "
    "about the same in both, and QEMU's per-page bookkeeping around it (byte-wise header writes "
    "through out-of-line calls, ram.c's per-page calls, KVM dirty logging) about as much again: "
    "counted by callgrind on the project's host (scripts/qemu_insns.py; this host's counts in the "
    "next table when the main job made them), QEMU 7.2 ran about 1140 instructions a page outside "
    "the check where the model ran about 450. So the model takes about "
    "two thirds of QEMU's time at 1 GiB (docs/PERFORMANCE.md); on smaller guests less, as QEMU's "
    "savevm also has a fixed cost (the monitor command, the snapshot's metadata and flushes). "
    "\"QEMU state save\" is QEMU's own time from its trace events savevm_state_setup to "
    "savevm_state_cleanup: its RAM save loop and the few device sections, without that fixed "
    "cost; it is the part of QEMU's savevm the model stands for. With data pages QEMU's time is mostly the image "
    "writes the model does not pay, so the model is faster still, and its zero-check share (seed "
    "table 1) is an upper bound of the check's share of QEMU's own savevm. QEMU ran stopped (-S) "
    "with no devices (-machine none) on "
    "a guest RAM file holding exactly the model's pages, preallocated (mapped, as a running "
    "guest's memory is); its page counts were checked against the fill on every pass. The model "
    "rows beside it (\"shm\") read their pages from the same kind of memory, a file on /dev/shm "
    "mapped shared: on anonymous memory (\"anon\") the model gets transparent huge pages where "
    "QEMU's file may not.")

def qemu_insns_table(results_dir, host):
    """The callgrind counts run_all.sh wrote (scripts/qemu_insns.py --json):
    (note, rows), or None without them or when they are another machine's."""
    path = os.path.join(results_dir, "qemu-insns.json")
    try:
        with open(path) as f:
            d = json.load(f)
        sides = [[float(d[side][k]) for k in ("check", "rest", "total")] for side in ("qemu", "model")]
        pages, version, accel, mem = int(d["pages"]), str(d["qemu_version"]), d["accel"], d["mem"]
    except FileNotFoundError:
        return None
    except (OSError, ValueError, KeyError, TypeError) as e:
        fail(f"{path}: not the counts of scripts/qemu_insns.py --json ({type(e).__name__}: {e})")
    if d.get("host") not in (None, host):
        return None
    note = (f"Instructions counted by callgrind (scripts/qemu_insns.py) on an all-zero guest of {mem} "
            f"({pages} pages): {version}, {accel}, its state save (qemu_savevm_state_setup to the end of "
            "qemu_savevm_state_complete_precopy), beside the model's savevm pass (cpu:best). Unlike a time "
            "this does not move with the host's load: it is the work each loop does per page. The check "
            "is memory-bound and costs about the same time in both; the rest is where QEMU's loop does "
            "more (QEMUFile's out-of-line byte puts, ram.c's per-page calls: docs/PERFORMANCE.md).")
    rows = [(name, f"{q:.0f}", f"{m:.0f}", f"{m / q:.2f}" if q else "-")
            for name, q, m in zip(("zero check", "rest of the loop", "total"), *sides)]
    return note, rows


QEMU_MIGRATE_NOTE = (
    "zcbench's migrate model hands the guest's pages to --senders threads that each check and "
    "send packets of pages: the zero check runs in the senders, as multifd zero-page detection "
    "does since QEMU 9.0. QEMU 7.2 checks every page in its one migration thread, plain or "
    "multifd; its multifd threads only write. The model's senders take the pages in a scattered "
    "order (a running guest's dirty pages), QEMU's first pass walks them in address order: on "
    "mostly-zero guests that makes the model the slower one. QEMU migrated a stopped VM (bandwidth limit lifted) "
    "into a unix socket whose reader in zcbench keeps nothing; the model's rows here copy each "
    "sent page into a bounded ring (--sink mem) or send nothing (null), reading the guest from "
    "QEMU's kind of memory where they say shm (as in the savevm table).")


def backing(r):
    """Where a row's pages lived (schema 4); rows before it ran on anonymous memory."""
    return r.get("backing") or "anon"


def model_label(m):
    return f"{m['backend']}, {backing(m)}"


def qemu_pairs(rows, workload):
    """Each QEMU row with the one-thread CPU model's row of the same guest
    (memory and zero ratio), on the same memory as QEMU's (backing shm) and
    from the same sweep where there is one; the model is None when none was
    measured."""
    models = [r for r in rows if r["workload"] == workload and r.get("device") == "cpu"]
    pairs = []
    for q in sorted((r for r in rows if r["workload"] == workload and is_qemu(r)),
                    key=lambda r: (fnum(r, "mem_bytes", 0), r.get("qemu_channels", ""), fnum(r, "zero_ratio", 0))):
        guest = [m for m in models if fnum(m, "mem_bytes") == fnum(q, "mem_bytes")
                 and fnum(m, "zero_ratio") == fnum(q, "zero_ratio")]
        guest.sort(key=lambda m: (backing(m) != backing(q), m.get("sweep") != q.get("sweep")))
        pairs.append(((guest or [None])[0], q))
    return pairs


def per_gib(ns, r):
    """ns spent on a guest of mem_bytes, as ns per GiB."""
    mem = fnum(r, "mem_bytes", 0)
    return ns * (1 << 30) / mem if ns is not None and mem else None


def fmt(v, spec, none="-"):
    return none if v is None else format(v, spec)


def span(values, spec, none="-"):
    """'lo..hi' of values, one figure when both print the same."""
    if not values:
        return none
    lo, hi = format(min(values), spec), format(max(values), spec)
    return lo if lo == hi else f"{lo}..{hi}"


def ratio(a, b):
    return a / b if a is not None and b else None


def qemu_savevm_table(rows, tsc_hz):
    """Model beside QEMU per guest: wall time, CPU cycles per GiB (QEMU: the
    process, its save thread and its image-writing workers) and QEMU's pages."""
    def mcyc(ns, r):
        v = per_gib(ns, r)
        return v * tsc_hz / 1e9 / 1e6 if v is not None else None
    out = []
    for m, q in qemu_pairs(rows, "savevm"):
        pages = fnum(q, "pages", 0)
        q_cpu = mcyc(fnum(q, "cpu_ns_per_page", 0) * pages, q)
        m_cpu = mcyc(fnum(m, "cpu_ns_per_page", 0) * fnum(m, "pages", 0), m) if m else None
        m_ms = fnum(m, "latency_ns") / 1e6 if m else None
        q_ms = fnum(q, "latency_ns", 0) / 1e6
        state_ms = fnum(q, "qemu_total_ms")
        out.append((human_bytes(fnum(q, "mem_bytes", 0)), q["zero_ratio"],
                    f"{q.get('qemu_pages_zero', '?')} / {q.get('qemu_pages_normal', '?')}",
                    model_label(m) if m else "not measured", fmt(m_ms, ".1f"), f"{q_ms:.1f}",
                    fmt(ratio(m_ms, q_ms), ".2f"), fmt(state_ms, ".1f"), fmt(ratio(m_ms, state_ms), ".2f"),
                    fmt(m_cpu, ".0f"), fmt(q_cpu, ".0f"),
                    fmt(mcyc(fnum(q, "qemu_save_thread_cpu_ns"), q), ".0f"),
                    fmt(mcyc(fnum(q, "qemu_io_cpu_ns"), q), ".0f"), fmt(ratio(m_cpu, q_cpu), ".2f"),
                    f"{q.get('qemu_accel', '?')}"))
    return out


def qemu_migrate_table(rows):
    """Model beside QEMU per guest and QEMU mode (plain or multifd): wall
    time, QEMU's own total time and throughput, CPU time of both."""
    out = []
    for m, q in qemu_pairs(rows, "migrate"):
        channels = int(fnum(q, "qemu_channels", 0) or 0)
        m_ms = fnum(m, "latency_ns") / 1e6 if m else None
        q_ms = fnum(q, "latency_ns", 0) / 1e6
        m_cpu = fnum(m, "sender_cpu_ns") / 1e6 if m else None
        q_cpu = fnum(q, "cpu_ns_per_page", 0) * fnum(q, "pages", 0) / 1e6
        out.append((human_bytes(fnum(q, "mem_bytes", 0)), q["zero_ratio"],
                    f"multifd, {channels} channels" if channels else "plain",
                    f"{model_label(m)}, {m['threads']} sender{'s' if m['threads'] != '1' else ''}" if m
                    else "not measured",
                    fmt(m_ms, ".1f"), f"{q_ms:.1f}", fmt(ratio(m_ms, q_ms), ".2f"),
                    fmt(fnum(q, "qemu_total_ms"), ".0f"), fmt(fnum(q, "qemu_mbps"), ".0f"),
                    fmt(m_cpu, ".1f"), f"{q_cpu:.1f}",
                    fmt(ms(fnum(q, "qemu_save_thread_cpu_ns")), ".1f"),
                    fmt(ms(fnum(q, "qemu_multifd_cpu_ns")), ".1f"), fmt(ratio(m_cpu, q_cpu), ".2f"),
                    f"{q.get('qemu_pages_zero', '?')} / {q.get('qemu_pages_normal', '?')}"))
    return out


def ms(ns):
    return ns / 1e6 if ns is not None else None


def qemu_series(rows):
    """Time per GiB against the zero ratio: each QEMU mode and its model."""
    def key(r):
        mode = r["workload"]
        if is_qemu(r):
            ch = int(fnum(r, "qemu_channels", 0) or 0)
            who = f"QEMU {r.get('qemu_version', '?')} ({r.get('qemu_accel', '?')})" + (f", multifd {ch}" if ch else "")
        else:
            n = r["threads"]
            who = f"model {r['backend']}" + (f", {n} sender{'' if n == '1' else 's'}" if mode == "migrate" else "")
        return f"{mode} {human_bytes(fnum(r, 'mem_bytes', 0))}: {who}"
    paired = [r for w in ("savevm", "migrate") for pair in qemu_pairs(rows, w) for r in pair if r]
    return series_by(paired, "zero_ratio", lambda r: ms(per_gib(fnum(r, "latency_ns"), r)), key)


def qemu_summary(sv, mig):
    """One line: the all-zero savevm ratio (the model's CPU-bound check against
    QEMU) and the range elsewhere."""
    if not sv and not mig:
        return "  QEMU: not measured (--backend qemu in a savevm or migrate sweep)"
    def ratios(table, zero_col, ratio_col, want_zero):
        return [float(t[ratio_col]) for t in table if t[ratio_col] != "-" and (float(t[zero_col]) == 1) == want_zero]
    parts = []
    # (table, its model/QEMU time column, its model/QEMU state save column)
    for name, table, col, state_col in (("savevm", sv, 6, 8), ("migration", mig, 6, None)):
        full, rest = ratios(table, 1, col, True), ratios(table, 1, col, False)
        if not (full or rest):
            continue
        state = ratios(table, 1, state_col, True) if state_col else []
        parts.append(f"{name} model/QEMU time {span(full, '.2f')} all-zero, "
                     f"{span(rest, '.2f')} with data pages"
                     + (f" ({span(state, '.2f')} all-zero against QEMU's own state save)" if state else ""))
    return "  QEMU: " + "; ".join(parts) + " (target for the all-zero savevm: 0.67..1.5)"


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("results_dir")
    ap.add_argument("--seed", default=os.path.join(HERE, "seed-reference.csv"))
    ap.add_argument("--profile", default="", help="profile name shown in the report (quick, full)")
    ap.add_argument("--host", help="report the runs of this machine, in report-HOST.md, report-HOST.html and "
                                   "plots-HOST/ (a results directory holding runs of several is refused without it)")
    a = ap.parse_args()
    if not os.path.isdir(a.results_dir):
        fail(f"results directory '{a.results_dir}' does not exist")
    rows, missing = load_rows(a.results_dir)
    rows, meta = one_machine(a.results_dir, rows, load_metas(a.results_dir), a.host)
    try:
        with open(a.seed, newline="") as f:
            seed = list(csv.DictReader(f))
    except OSError as e:
        fail(f"seed reference: {e}")
    host, cpu_model = meta["host"], meta["cpu_model"]
    tsc_hz = fnum(rows[0], "tsc_hz", 0) or float(meta.get("tsc_hz", 0) or 1e9)
    # With --host the report's files carry the host's name (report-HOST.md,
    # plots-HOST/; a character a file name should not hold becomes '_'): the
    # reports of the machines of one directory stand side by side.
    suffix = "-" + re.sub(r"[^A-Za-z0-9._-]", "_", a.host) if a.host else ""
    p = Plotter(os.path.join(a.results_dir, "plots" + suffix), f"{host} ({cpu_model})")

    zc = [r for r in rows if r["workload"] == "zerocheck" and r["op"] in ("compval", "read")]
    # The size sweeps: sections named sizes* in the sweep files, or the command line.
    sizes = [r for r in zc if r.get("sweep", "").startswith("sizes") or r.get("sweep") in ("cli", "")] or zc
    base = [r for r in sizes if r["cache"] == "hot" and fnum(r, "zero_ratio") == 1.0]
    cold = [r for r in sizes if r["cache"] == "cold" and fnum(r, "zero_ratio") == 1.0]

    p.lines("latency_vs_size", "Latency to check a buffer (4 KiB pages, all zero, hot cache)",
            "buffer size (bytes)", "median latency (µs, log scale)",
            series_by(base, "buf_bytes", latency_us),
            "Median time to check the whole buffer, per backend (log-log).", logy=1)
    p.lines("throughput_vs_size", "Zero-check throughput (4 KiB pages, all zero, hot cache)",
            "buffer size (bytes)", "throughput (GB/s, 10^9 B/s, log scale)",
            series_by(base, "buf_bytes", lambda r: fnum(r, "throughput_gbps")),
            "Buffer bytes checked per second; ref:read is the read-bandwidth ceiling kernel.", logy=1)
    p.lines("throughput_vs_size_cold", "Zero-check throughput (cold cache: buffer flushed before each pass)",
            "buffer size (bytes)", "throughput (GB/s, 10^9 B/s, log scale)",
            series_by(cold, "buf_bytes", lambda r: fnum(r, "throughput_gbps")),
            "As above with the buffer evicted from the caches before every pass.", logy=1)
    p.lines("cpu_cost_per_gb", "CPU cost of checking 1 GB (calling thread)",
            "buffer size (bytes)", "CPU cycles per GB checked (TSC cycles, log scale)",
            series_by([r for r in base if r["op"] != "read"], "buf_bytes",
                      lambda r: cpu_cycles_per_gb(r, tsc_hz)),
            "The calling thread's CPU time per page, as TSC cycles per GB: what an offload frees.",
            logy=1)

    def sweep_rows(name):
        return [r for r in rows if r.get("sweep") == name and r["op"] != "read"]

    def kind(r):
        suffix = (" (projected)" if r.get("target") == "projected" else
                  " (modeled)" if is_modeled(r) else " (DSA hw)" if r.get("device") == "dsa" else "")
        return r["backend"].split(":", 1)[0] + suffix

    p.lines("batch_sweep", "Batch size (descriptors per BATCH)", "pages per BATCH descriptor (count)",
            "throughput (GB/s, 10^9 B/s)",
            series_by(sweep_rows("batch"), "batch", lambda r: fnum(r, "throughput_gbps"), kind),
            "dsa-batch/dsa-multi throughput against the batch size.", xbytes=0)
    p.lines("qd_sweep", "Queue depth", "batches in flight (count)", "throughput (GB/s, 10^9 B/s)",
            series_by(sweep_rows("qd"), "queue_depth", lambda r: fnum(r, "throughput_gbps"),
                      lambda r: label(r).replace(f"qd={r['queue_depth']},", "")),
            "dsa-multi throughput against the number of batches in flight.", xbytes=0)
    p.lines("submit_cost_vs_batch", "Submitting thread cost per page", "pages per BATCH descriptor (count)",
            "submit cycles per page (TSC cycles, log scale)",
            series_by(sweep_rows("batch"), "batch", lambda r: fnum(r, "submit_cycles_per_page"), kind),
            "TSC cycles the submitting thread spends preparing, submitting and reading "
            "completions per page (not waiting).", xbytes=0, logy=1)
    p.bars("wq_engine_scaling", "Work queues and engines", "throughput (GB/s, 10^9 B/s)",
           ["throughput"],
           [[label(r), fnum(r, "throughput_gbps", 0), kind_of(r)] for r in sweep_rows("scaling")],
           "Throughput with more work queues and engines per queue.")
    p.lines("zero_ratio", "Effect of the zero-page ratio", "fraction of zero pages (0..1)",
            "throughput (GB/s, 10^9 B/s, log scale)",
            series_by(sweep_rows("zero-ratio"), "zero_ratio", lambda r: fnum(r, "throughput_gbps")),
            "A non-zero page ends the CPU's check of that page early; throughput per backend "
            "against the share of zero pages.", logx=0, logy=1, xbytes=0)

    sv_bars, sv_table = savevm_tables(rows, seed, host)
    p.bars("savevm_split", "savevm: cycles per GiB of guest memory, zero check vs the rest",
           "CPU cycles per GiB of guest memory (millions)",
           ["zero check", "rest of the save loop"], sv_bars,
           "Cycles per GiB of guest memory spent in the zero check (bottom) and in the rest of "
           "the save loop (top), the letter's three VMs beside this host's runs.")
    og_bars, og_table = onegig_tables(rows, seed)
    p.bars("onegig", "1 GB at 4 KiB granularity: latency", "latency per GiB (ms)",
           ["latency"], og_bars,
           "Time to check 1 GiB in 4 KiB pages: the letter's 80 ms (CPU, one thread) and 89 ms "
           "(DSA, one engine, COMPARE) beside this host's (scaled to 1 GiB when measured smaller).")

    q_savevm, q_migrate = qemu_savevm_table(rows, tsc_hz), qemu_migrate_table(rows)
    p.lines("qemu_vs_model", "The models beside the host's QEMU: time per GiB of guest memory",
            "fraction of zero pages (0..1)", "wall time per GiB of guest memory (ms)",
            qemu_series(rows),
            "Wall time per GiB of a whole savevm or migration against the share of zero pages: the "
            "host's own QEMU and zcbench's model of the same guest.", logx=0, xbytes=0)

    crossovers, saved = crossover_and_savings(sizes, tsc_hz)
    write_reports(os.path.join(a.results_dir, "report" + suffix), meta, host, cpu_model, a.profile, p, sv_table,
                  og_table, missing, crossovers, saved, migrate_table(rows), other_sweeps_table(rows), rows,
                  scaling_table(sweep_rows("scaling")), hardware_beside_projection(rows),
                  q_savevm, q_migrate, qemu_insns_table(a.results_dir, host))


# What each label of a model's rows means: the report's legend, given once
# at its top (docs/PERFORMANCE.md says more) ...
LABEL_NOTES = [
    ("(projected)", "(projected): the DSA model on simulated time, timing fitted to published "
                    "Sapphire Rapids measurements (docs/PERFORMANCE.md): a projection, not a "
                    "measurement. Where the submitting thread binds (plain descriptors in flight, "
                    "batch=1), its own work is timed on this host and moves with this host's speed: "
                    "up to 15% between runs."),
    ("(modeled)", "(modeled): the DSA model on this host's time: its own software speed, "
                  "never DSA's."),
    ("(kernel model)", "(kernel model): the hardware path over a modeled kernel and device "
                       "(a test hook), not hardware."),
]
# ... and one short line under each table or plot that holds such rows.
TABLE_NOTES = [
    ("(projected)", "(projected): simulated time, not a measurement (legend at the top)."),
    ("(modeled)", "(modeled): the model's own speed on this host, never DSA's."),
    ("(kernel model)", "(kernel model): a modeled kernel and device, not hardware."),
]
THREAD_BOUND_NOTE = "Projected batch=1 rows: up to 15% between runs (their submitting thread binds)."


def dsa_summary(meta):
    d = meta.get("dsa")
    if not isinstance(d, dict):
        return "not recorded"
    wqs = d.get("wqs") or []
    kernel = d.get("kernel", "linux")
    model = "" if kernel == "linux" else f"kernel model {kernel} (modeled, not hardware): "
    if not wqs:
        return f"{model}none ({d.get('error') or 'no device found'}): DSA rows are modeled"
    used = "; ".join(f"{u.get('wq')} via {u.get('submit_path')}" for u in d.get("wqs_used") or []
                     if u.get("device") != "dsa-emu")
    return model + "; ".join(f"{w.get('device')}/{w.get('wq')} {w.get('mode')} size {w.get('size')} "
                             f"engines {w.get('engines')} node {w.get('numa_node')}" for w in wqs) + (
        f" (used: {used})" if used else "")


def environment(meta, host, cpu_model, profile, rows):
    flags = meta.get("cpu_flags") or {}
    hw = meta.get("hwloc")
    return [("host", host), ("CPU", cpu_model),
            ("CPU flags", " ".join(k for k, v in flags.items() if v) or "?"),
            ("CPU best variant", meta.get("cpu_best_variant", "?")),
            ("TSC", f"{float(meta.get('tsc_hz', 0) or 0) / 1e9:.3f} GHz"),
            ("topology (hwloc)", json.dumps(hw) if hw else "?"),
            ("kernel", meta.get("kernel", "?")),
            ("DSA", dsa_summary(meta)),
            ("zcbench", f"{meta.get('zcbench_version', '?')} (git {meta.get('git_hash', '?')})"),
            ("profile", profile or "?"), ("run", meta.get("run_id", "?")),
            ("date (UTC)", meta.get("date_utc", "?")), ("result rows", str(len(rows))),
            ("result files", ", ".join(sorted({r["_file"] for r in rows})))]


def scope_note(rows):
    """What this host measured where the letter's sizes were out of reach."""
    def sizes(workload, col):
        return [human_bytes(v) for v in sorted({int(fnum(r, col, 0)) for r in rows
                                                if r["workload"] == workload and r["op"] != "read"})]
    notes = []
    mems = sizes("savevm", "mem_bytes")
    if mems:
        sinks = sorted({r.get("sink", "?") for r in rows if r["workload"] == "savevm" and not is_qemu(r)})
        notes.append(f"savevm ran here on {', '.join(mems)} of guest memory (the letter: 64, 128 and "
                     "256 GB VMs): compare the share and the cycles per GiB, not the totals. "
                     f"Pages went to the sink {', '.join(sinks)} (file: an image file, as QEMU "
                     "writes; null: nothing written, the zero check alone).")
    og = sizes("onegig", "buf_bytes")
    if og and og != ["1G"]:
        notes.append(f"The 1 GB table was measured here at {', '.join(og)} and scaled linearly to "
                     "1 GiB (column ms per GiB).")
    return " ".join(notes)


def md_table(header, rows):
    out = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    out += ["| " + " | ".join(str(c).replace("|", "\\|") for c in r) + " |" for r in rows]
    return "\n".join(out)


NUMBER = re.compile(r"^[-+]?[\d,.]+%?$")


def html_table(header, rows):
    """Numbers right-aligned, text left; no header row when it is blank."""
    def td(c):
        cls = " class='n'" if NUMBER.match(str(c)) else ""
        return f"<td{cls}>{html.escape(str(c))}</td>"
    th = "".join(f"<th>{html.escape(str(c))}</th>" for c in header)
    head = f"<tr>{th}</tr>" if any(header) else ""
    trs = "".join("<tr>" + "".join(td(c) for c in r) + "</tr>" for r in rows)
    return f"<table>{head}{trs}</table>"


def write_reports(report_path, meta, host, cpu_model, profile, p, sv_table, og_table, missing, crossovers,
                  saved, migrate, others, rows, scaling, beside, q_savevm, q_migrate, insns):
    def note_for(cells):
        """One short line per kind of model row the table or plot holds."""
        text = " ".join(str(c) for c in cells)
        notes = [n for mark, n in TABLE_NOTES if mark in text]
        if "(projected)" in text and "batch=1," in text:
            notes.append(THREAD_BOUND_NOTE)
        return " ".join(notes)

    # (heading, text, header, table) sections, rendered to Markdown and HTML.
    sections = [
        ("Environment", "", ["", ""], environment(meta, host, cpu_model, profile, rows)),
        ("Seed table 1: savevm cycle split",
         "The letter traced save_snapshot on 64, 128 and 256 GB VMs: buffer_is_zero took about 27% "
         "of its cycles. Here zcbench runs its model of QEMU's save loop (zero-check each page, write "
         "non-zero pages with a header to the sink). Each sweep is a run of its own (the seed sweep "
         "on half-zero guests; qemu-savevm, the model beside the host's QEMU from all data to all zero), "
         "so a backend measured in two sweeps has a row in each. " + scope_note(rows),
         ["source", "sweep", "memory", "backend", "zero ratio", "save cycles", "zero-check cycles",
          "zero-check share", "Mcycles per GiB"],
         [(src, sw, m, b, zr, f"{t:,.0f}", fmt(z, ",.0f"), fmt(sh, ".1%"), f"{pg:.1f}")
          for src, sw, m, b, zr, t, z, sh, pg in sv_table]),
        ("Seed table 2: 1 GB at 4 KiB granularity",
         "The letter measured COMPARE of two 1 GB buffers on one DSA engine against one CPU thread "
         "(op compare here: COMPARE on DSA, memcmp on the CPU); a zero check reads one buffer (op "
         "compval).",
         ["op", "backend", "measured at", "latency (ms)", "ms per GiB"], og_table),
        ("Crossover: smallest buffer where DSA beats the CPU",
         "Per DSA mode (hardware or projected), the smallest buffer size (4 KiB pages, all zero) "
         f"from which its median latency is at least {CROSSOVER_MARGIN:.0%} below the fastest "
         "one-thread CPU variant's at that size and every larger one measured, in the same cache "
         "state (cold: the buffer evicted before every pass, as savevm reads guest memory). Closer "
         "than that is a tie, which two runs can order either way.",
         ["DSA mode", "cache", "smallest size beating the CPU (one thread)", "measured range"],
         crossovers or [("no DSA backend measured", "-", "-", "-")]),
        ("CPU cycles saved per GB",
         "Calling-thread CPU time per page as TSC cycles per GB checked, at the largest size both "
         "were measured, against the fastest one-thread CPU variant. The thread polls while it "
         "waits for the device, so its time is all CPU time; the last two columns leave its waits "
         "out: what an offload frees when the waits are put to other use.",
         ["backend", "cache", "at", "CPU variant", "CPU Mcycles/GB", "backend Mcycles/GB",
          "saved Mcycles/GB", "backend without waits", "saved without waits"],
         [(b, ca, at, cb, f"{c:.1f}", f"{d:.1f}", f"{sv:.1f}", f"{nw:.1f}", f"{svw:.1f}")
          for b, ca, at, cb, c, d, sv, nw, svw in saved]
         or [("no DSA backend measured", "-", "-", "-", "-", "-", "-", "-", "-")]),
    ]
    if q_savevm:
        sections.append(("savevm: the model beside the host's QEMU", QEMU_SAVEVM_NOTE,
                         ["memory", "zero ratio", "QEMU pages zero / normal", "model", "model ms",
                          "QEMU ms", "model / QEMU time", "QEMU state save ms", "model / QEMU state save",
                          "model CPU Mcycles/GiB",
                          "QEMU CPU Mcycles/GiB", "of it QEMU's save thread", "of it QEMU's image writes",
                          "model / QEMU CPU", "accel"], q_savevm))
    if insns:
        sections.append(("savevm: instructions per page, QEMU beside the model", insns[0],
                         ["per 4 KiB page", "QEMU", "model", "model / QEMU"], insns[1]))
    if q_migrate:
        sections.append(("Migration: the model beside the host's QEMU", QEMU_MIGRATE_NOTE,
                         ["memory", "zero ratio", "QEMU", "model", "model ms", "QEMU ms",
                          "model / QEMU time", "QEMU total-time ms", "QEMU Mbps", "model CPU ms",
                          "QEMU CPU ms", "QEMU migration thread ms", "QEMU multifd threads ms",
                          "model / QEMU CPU", "QEMU pages zero / normal"], q_migrate))
    if missing:
        sections.insert(1, ("Missing or partial results",
                            "Cases a run did not finish (repetitions cut short: their numbers stand on "
                            "fewer samples) or whose rows lack a measurement or were torn (left out of "
                            "every table and plot).", ["case", "what is missing"], missing))
    if beside:
        sections.insert(1, ("DSA hardware beside its projection",
                            "Each hardware row (target hw) beside the projection of the same spec on "
                            "the same case (target projected): the projection's error on this host.",
                            ["backend", "size", "cache", "hardware us", "projected us",
                             "projection error"], beside))
    if scaling:
        sections.append(("Work queues and engines (projected)",
                         "dsa-multi over WQs of its own layouts: one device of 1, 2 or 4 engines, "
                         "two WQs on one device (they share its engines and bandwidth), two devices, "
                         "plain descriptors in flight. A device streams at most its device_gbps "
                         "(docs/PERFORMANCE.md), shared by its engines. Bound by: the device where "
                         "the submitting thread waits for at least half its time, the thread where "
                         "it waits for under a quarter (its records are done when it looks).",
                         ["backend", "WQs", "devices", "engines per WQ", "batch", "in flight",
                          "GB/s", "GB/s per device", "thread waits", "bound by"], scaling))
    if migrate:
        sections.append(("Live migration model (multifd senders)",
                         "CPU time of the sender threads per pass over guest memory, per sweep (each a "
                         "run of its own). A DSA sender polls for its own records unless wait=poller, so its "
                         "waits are CPU time; \"without waits\" leaves them out. With wait=poller the "
                         "senders sleep and one completion thread polls for all of them, as QEMU's multifd "
                         "DSA series does; its CPU is in the senders' sum (busiest sender: senders only).",
                         ["sweep", "backend", "memory", "threads", "zero ratio", "packet pages",
                          "sender CPU ms (all)", "busiest sender ms", "CPU ns per page",
                          "CPU ns per page without waits"], migrate))
    if others:
        sections.append(("Other sweeps", "Wait policies, CPU threads and where the non-zero byte sits. CPU ns "
                                          "per page is the calling thread's, cpu-mt's workers' with it (they "
                                          "check while it sleeps).",
                         ["sweep", "backend", "size", "cache", "zero ratio", "non-zero at", "wait",
                          "threads", "GB/s", "CPU ns per page"], others))

    legend = " ".join(n for _, n in LABEL_NOTES)
    md = [f"# zcbench report: {host}", "", f"_{legend}_", ""]
    parts = [f"<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'><title>zcbench report: "
             f"{html.escape(host)}</title><style>body{{font-family:sans-serif;max-width:1100px;"
             f"margin:auto}}table{{border-collapse:collapse;margin:1em 0}}td,th{{border:1px solid #999;"
             f"padding:2px 8px;text-align:left}}td.n{{text-align:right}}figure{{margin:1em 0}}svg{{max-width:100%;height:auto}}"
             f".note{{color:#a40}}</style></head><body><h1>zcbench report: {html.escape(host)}</h1>",
             f"<p class='note'>{html.escape(legend)}</p>"]
    for heading, text, header, table in sections:
        note = note_for(c for r in table for c in r)
        md += [f"## {heading}", ""] + ([text, ""] if text else []) + [md_table(header, table), ""]
        md += [f"_{note}_", ""] if note else []
        parts += [f"<h2>{html.escape(heading)}</h2>"] + ([f"<p>{html.escape(text)}</p>"] if text else [])
        parts += [html_table(header, table)] + ([f"<p class='note'>{html.escape(note)}</p>"] if note else [])
    md += ["## Plots", ""]
    parts.append("<h2>Plots</h2>")
    for name, caption, labels in p.made:
        caption = f"{caption} {note_for([labels])}".rstrip()
        md += [f"![{name}]({os.path.basename(p.out_dir)}/{name}.svg)", "", f"*{caption}*", ""]
        with open(os.path.join(p.out_dir, name + ".svg")) as f:
            svg = f.read()
        parts.append(f"<figure id='{name}'>{svg[svg.find('<svg'):]}<figcaption>{html.escape(caption)}"
                     f"</figcaption></figure>")
    parts.append("</body></html>")
    with open(report_path + ".md", "w") as f:
        f.write("\n".join(md) + "\n")
    report = report_path + ".html"
    with open(report, "w") as f:
        f.write("\n".join(parts) + "\n")
    print_summary(report, host, sv_table, og_table, crossovers, qemu_summary(q_savevm, q_migrate))
    if missing:
        print(f"  missing: {len(missing)} cases partial or left out (report: Missing or partial results)")


def share_range(shares):
    return span(shares, ".0%", none="not measured")


def print_summary(report, host, sv_table, og_table, crossovers, qemu_line):
    """The report's path and four lines: savevm share, the 1 GB latency,
    the first crossover, the models against the host's QEMU."""
    seed_guest = [(b, sh) for src, _, _, b, zr, _, _, sh, _ in sv_table
                  if src == host and sh is not None and float(zr) == SEED_ZERO_RATIO]
    cpu = [sh for b, sh in seed_guest if "(" not in b]
    dsa = [sh for b, sh in seed_guest if "(" in b]
    og_cpu = [(float(per), sz) for op, b, sz, lat, per in og_table
              if op == "compval" and "(" not in b]
    print(f"report: {report}")
    print(f"  savevm: the zero check takes {share_range(cpu)} of save-loop cycles on the CPU here (half-zero guests), "
          f"{share_range(dsa)} with DSA (letter: 25.8%..27.6% on the CPU)" if cpu or dsa
          else "  savevm: not measured (letter: the zero check takes 25.8%..27.6% of save_snapshot)")
    if og_cpu:
        per, size = min(og_cpu)
        scaled = "" if size == "1G" else f", measured at {size} and scaled"
        print(f"  1 GB at 4 KiB: best CPU zero check {per:.1f} ms per GiB here{scaled} "
              f"(letter: CPU 80 ms, DSA one engine 89 ms)")
    else:
        print("  1 GB at 4 KiB: not measured (letter: CPU 80 ms, DSA one engine 89 ms)")
    first = next((c for c in crossovers if c[2] != "none in range"), None)
    print(f"  crossover: {first[0]} beats one CPU thread from {first[2]} ({first[1]} cache)" if first
          else f"  crossover: no DSA mode beat one CPU thread in the measured range ({len(crossovers)} modes)")
    print(qemu_line)


if __name__ == "__main__":
    try:
        main()
    except OSError as e:  # a results directory not writable, a full disk
        fail(f"{e.filename}: {e.strerror}" if e.filename else str(e))
