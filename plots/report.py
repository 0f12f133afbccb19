#!/usr/bin/env python3
"""Plots and the report for one zcbench results directory.

usage: plots/report.py RESULTS_DIR [--seed plots/seed-reference.csv]

Reads every results CSV in RESULTS_DIR (docs/csv-schema.md) and the
metadata sidecars, writes RESULTS_DIR/plots/*.{png,svg} with the gnuplot
templates beside this script, and RESULTS_DIR/report.md + report.html
(self-contained: the SVGs are inlined). Rows from the DSA device model
(device dsa-emu) are labeled "modeled" in every table, legend and caption.
Prints the report path and a three-line summary.
"""
import argparse
import csv
import glob
import html
import json
import os
import statistics
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
GB = 1e9


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


def load_rows(results_dir):
    rows = []
    files = [p for p in sorted(glob.glob(os.path.join(results_dir, "*.csv")))
             if not p.endswith(".samples.csv")]
    for path in files:
        with open(path, newline="") as f:
            reader = csv.DictReader(f)
            if not reader.fieldnames or reader.fieldnames[0] != "schema_version":
                continue
            for row in reader:
                if row.get("schema_version") != "1":
                    fail(f"{path}: schema_version {row.get('schema_version')!r} (this report reads 1)")
                row["_file"] = os.path.basename(path)
                rows.append(row)
    if not rows:
        fail(f"no zcbench results CSV in {results_dir}")
    return rows


def load_meta(results_dir):
    for path in sorted(glob.glob(os.path.join(results_dir, "*.meta.json"))):
        try:
            with open(path) as f:
                return json.load(f)
        except (OSError, json.JSONDecodeError) as e:
            fail(f"{path}: {e}")
    return {}


def is_modeled(row):
    return row.get("device") == "dsa-emu"


def label(row):
    """A backend's legend label; modeled DSA says so."""
    name = row["backend"]
    if row.get("device") == "dsa-emu":
        return f"{name} (modeled)"
    if row.get("device") == "dsa":
        return f"{name} (DSA hw)"
    return name


class Plotter:
    def __init__(self, out_dir, host):
        self.out_dir = out_dir
        self.host = host
        self.made = []  # (name, caption)
        os.makedirs(out_dir, exist_ok=True)

    def _gnuplot(self, template, params):
        args = []
        for k, v in params.items():
            if isinstance(v, str):
                v = v.replace("\\", "\\\\").replace('"', '\\"')
                args += ["-e", f'{k}="{v}"']
            else:
                args += ["-e", f"{k}={v}"]
        cmd = ["gnuplot"] + args + [os.path.join(HERE, template)]
        r = subprocess.run(cmd, capture_output=True, text=True)
        if r.returncode != 0:
            fail(f"gnuplot failed for {params.get('out')}: {r.stderr.strip()}")

    def lines(self, name, title, xlabel, ylabel, series, caption, logx=1, logy=0, xbytes=1):
        """series: list of (label, modeled, [(x, y), ...]); skipped when empty."""
        series = [s for s in series if s[2]]
        if not series:
            return
        data = os.path.join(self.out_dir, name + ".dat")
        with open(data, "w") as f:
            for i, (lab, _, points) in enumerate(series):
                if i:
                    f.write("\n\n")
                f.write('"%s" "-"\n' % lab.replace('"', "'"))
                for x, y in sorted(points):
                    f.write(f"{x:.10g} {y:.10g}\n")
        self._gnuplot("lines.gp", {
            "data": data, "out": os.path.join(self.out_dir, name),
            "title": f"{title} — {self.host}", "xlabel": xlabel, "ylabel": ylabel,
            "logx": logx, "logy": logy, "xbytes": xbytes, "n": len(series),
            "modeled": " ".join("1" if m else "0" for _, m, _ in series)})
        self.made.append((name, caption))

    def bars(self, name, title, ylabel, header, table, caption, stacked=0, logy=0):
        if not table:
            return
        data = os.path.join(self.out_dir, name + ".dat")
        with open(data, "w") as f:
            f.write("\t".join(header) + "\n")
            for row in table:
                f.write("\t".join([row[0]] + [f"{v:.10g}" for v in row[1:]]) + "\n")
        self._gnuplot("bars.gp", {
            "data": data, "out": os.path.join(self.out_dir, name),
            "title": f"{title} — {self.host}", "ylabel": ylabel,
            "ncols": len(header) - 1, "stacked": stacked, "logy": logy})
        self.made.append((name, caption))


def series_by(rows, x_col, y_fn, key_fn=label):
    groups = {}
    modeled = {}
    for r in rows:
        y = y_fn(r)
        x = fnum(r, x_col)
        if y is None or x is None:
            continue
        k = key_fn(r)
        groups.setdefault(k, []).append((x, y))
        modeled[k] = is_modeled(r)
    return [(k, modeled[k], v) for k, v in sorted(groups.items())]


def latency_ms(r):
    v = fnum(r, "latency_ns")
    return v / 1e6 if v else None


def cpu_cycles_per_gb(r, tsc_hz):
    ns = fnum(r, "cpu_ns_per_page")
    gran = fnum(r, "gran_bytes")
    if ns is None or not gran:
        return None
    return ns * (GB / gran) * tsc_hz / 1e9


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("results_dir")
    ap.add_argument("--seed", default=os.path.join(HERE, "seed-reference.csv"))
    a = ap.parse_args()
    if not os.path.isdir(a.results_dir):
        fail(f"results directory '{a.results_dir}' does not exist")
    rows = load_rows(a.results_dir)
    meta = load_meta(a.results_dir)
    with open(a.seed, newline="") as f:
        seed = list(csv.DictReader(f))
    host = meta.get("host") or os.uname().nodename
    cpu_model = meta.get("cpu_model", "unknown CPU")
    tsc_hz = fnum(rows[0], "tsc_hz", 0) or float(meta.get("tsc_hz", 0) or 1e9)
    p = Plotter(os.path.join(a.results_dir, "plots"), f"{host} ({cpu_model})")
    modeled_note = ("Rows labeled (modeled) come from zcbench's DSA device model (emu): "
                    "a projection from the model's timing parameters, not a hardware measurement.")

    zc = [r for r in rows if r["workload"] == "zerocheck" and r["op"] in ("compval", "read")]
    base = [r for r in zc if r.get("sweep") in ("sizes", "cli", None, "")] or zc
    base = [r for r in base if r["cache"] == "hot" and fnum(r, "zero_ratio") == 1.0]

    p.lines("latency_vs_size", "Latency to check a buffer (4 KiB pages, all zero, hot)",
            "buffer size", "latency (ms, log)", series_by(base, "buf_bytes", latency_ms),
            "Median time to check the whole buffer, per backend.", logy=1)
    p.lines("throughput_vs_size", "Zero-check throughput",
            "buffer size", "throughput (GB/s)",
            series_by(base, "buf_bytes", lambda r: fnum(r, "throughput_gbps")),
            "Buffer bytes per second; ref:read is the read-bandwidth ceiling kernel.")
    p.lines("cpu_cost_per_gb", "CPU cost of checking 1 GB (calling thread)",
            "buffer size", "CPU cycles per GB checked (log)",
            series_by([r for r in base if r["op"] != "read"], "buf_bytes",
                      lambda r: cpu_cycles_per_gb(r, tsc_hz)),
            "The calling thread's CPU time per page, as TSC cycles per GB: what an offload frees.",
            logy=1)

    def sweep_rows(name):
        return [r for r in rows if r.get("sweep") == name and r["op"] != "read"]

    def kind(r):
        return r["backend"].split(":", 1)[0] + (" (modeled)" if is_modeled(r) else "")

    p.lines("batch_sweep", "Batch size", "pages per BATCH descriptor", "throughput (GB/s)",
            series_by(sweep_rows("batch"), "batch", lambda r: fnum(r, "throughput_gbps"), kind),
            "dsa-batch/dsa-multi throughput against the batch size.", xbytes=0)
    p.lines("qd_sweep", "Queue depth", "batches in flight", "throughput (GB/s)",
            series_by(sweep_rows("qd"), "queue_depth", lambda r: fnum(r, "throughput_gbps"), kind),
            "dsa-multi throughput against the number of batches in flight.", xbytes=0)
    p.lines("submit_cost_vs_batch", "Submitting thread cost", "pages per BATCH descriptor",
            "submit cycles per page (log)",
            series_by(sweep_rows("batch"), "batch", lambda r: fnum(r, "submit_cycles_per_page"), kind),
            "TSC cycles the submitting thread spends preparing, submitting and reading "
            "completions per page (not waiting).", xbytes=0, logy=1)
    scaling = sweep_rows("scaling")
    p.bars("wq_engine_scaling", "Work queues and engines", "throughput (GB/s)",
           ["configuration", "throughput GB/s"],
           [[label(r), fnum(r, "throughput_gbps", 0)] for r in scaling],
           "Throughput with more work queues / engines (device model: modeled).")
    p.lines("zero_ratio", "Effect of the zero-page ratio", "fraction of zero pages",
            "throughput (GB/s)",
            series_by(sweep_rows("zero-ratio"), "zero_ratio", lambda r: fnum(r, "throughput_gbps")),
            "Non-zero pages end a CPU check early; DSA reads every page until a difference.",
            logx=0, xbytes=0)

    # Seed table 1: savevm cycle split.
    savevm = [r for r in rows if r["workload"] == "savevm"]
    letter_sv = {}
    for s in seed:
        if s["table"] == "savevm":
            letter_sv.setdefault(s["row"], {})[s["metric"]] = float(s["value"])
    sv_table, sv_rows = [], []
    for mem, m in letter_sv.items():
        gbs = float(mem.rstrip("GB"))
        zc_c, tot = m["buffer_is_zero_cycles"], m["save_snapshot_cycles"]
        sv_table.append([f"letter {mem}", zc_c / gbs / 1e6, (tot - zc_c) / gbs / 1e6])
        sv_rows.append(("letter (Xeon 8457C)", mem, "CPU buffer_is_zero", tot, zc_c, zc_c / tot, False))
    for r in sorted(savevm, key=lambda r: (r["backend"], fnum(r, "mem_bytes", 0))):
        mem = fnum(r, "mem_bytes", 0)
        tot, zc_c = fnum(r, "save_cycles", 0), fnum(r, "zerocheck_cycles", 0)
        if not mem or not tot:
            continue
        gbs = mem / (1 << 30)
        sv_table.append([f"{human_bytes(mem)} {label(r)}", zc_c / gbs / 1e6, (tot - zc_c) / gbs / 1e6])
        sv_rows.append((host, human_bytes(mem), label(r), tot, zc_c, zc_c / tot, is_modeled(r)))
    p.bars("savevm_split", "savevm cycle split per GB of guest memory", "million cycles per GiB",
           ["memory / backend", "zero check", "rest of the save loop"], sv_table,
           "Cycles per GiB of guest memory in the zero check and in the rest of the save loop, "
           "this host beside the letter's figures.", stacked=1)

    # Seed table 2: 1 GB at 4 KiB.
    onegig = [r for r in rows if r["workload"] == "onegig" and r["op"] != "read"]
    letter_1g = {s["row"]: float(s["value"]) for s in seed if s["table"] == "1GB"}
    og_table = [[f"letter: {k}", v] for k, v in letter_1g.items()]
    og_rows = []
    for r in sorted(onegig, key=lambda r: (r["op"], r["backend"])):
        buf = fnum(r, "buf_bytes", 0)
        lat = fnum(r, "latency_ns", 0) / 1e6
        scale = GB / buf if buf else 1
        og_table.append([f"{r['op']} {label(r)}", lat * scale])
        og_rows.append((r["op"], label(r), human_bytes(buf), lat, lat * scale, is_modeled(r)))
    p.bars("onegig", "1 GB at 4 KiB granularity", "latency (ms per GB)",
           ["case", "latency ms/GB"], og_table,
           "Time to check 1 GB in 4 KiB pages; the letter's 80 ms (CPU) and 89 ms (DSA, one "
           "engine, COMPARE) beside this host's numbers (scaled to 1 GB when measured smaller).")

    # Crossovers and cycles saved, against the fastest single-thread CPU
    # backend at each size (the letter's "CPU, one thread").
    cpu_best = {}
    for r in base:
        if r["backend"].startswith("cpu:"):
            size = int(fnum(r, "buf_bytes"))
            if size not in cpu_best or fnum(r, "latency_ns") < fnum(cpu_best[size], "latency_ns"):
                cpu_best[size] = r
    crossovers = []
    dsa_kinds = sorted({r["backend"] for r in base if r["device"] in ("dsa", "dsa-emu")})
    for b in dsa_kinds:
        rs = sorted([r for r in base if r["backend"] == b], key=lambda r: fnum(r, "buf_bytes"))
        win = next((r for r in rs if int(fnum(r, "buf_bytes")) in cpu_best and
                    fnum(r, "latency_ns") < fnum(cpu_best[int(fnum(r, "buf_bytes"))], "latency_ns")),
                   None)
        modeled = any(is_modeled(r) for r in rs)
        crossovers.append((b + (" (modeled)" if modeled else ""),
                           human_bytes(win["buf_bytes"]) if win else "none in the measured range",
                           f"{human_bytes(rs[0]['buf_bytes'])}..{human_bytes(rs[-1]['buf_bytes'])}"))
    saved = []
    big = max(cpu_best) if cpu_best else None
    if big:
        cpu_c = cpu_cycles_per_gb(cpu_best[big], tsc_hz)
        for b in dsa_kinds:
            r = next((r for r in base if r["backend"] == b and int(fnum(r, "buf_bytes")) == big), None)
            if r and cpu_c:
                c = cpu_cycles_per_gb(r, tsc_hz)
                saved.append((label(r), human_bytes(big), cpu_c / 1e6, c / 1e6, (cpu_c - c) / 1e6))

    write_reports(a.results_dir, meta, host, cpu_model, p, modeled_note, sv_rows, og_rows,
                  crossovers, saved, rows)


def md_table(header, rows):
    out = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    out += ["| " + " | ".join(str(c) for c in r) + " |" for r in rows]
    return "\n".join(out)


def write_reports(results_dir, meta, host, cpu_model, p, modeled_note, sv_rows, og_rows,
                  crossovers, saved, rows):
    env = [("host", host), ("CPU", cpu_model),
           ("kernel", meta.get("kernel", "?")),
           ("CPU best variant", meta.get("cpu_best_variant", "?")),
           ("TSC", f"{float(meta.get('tsc_hz', 0) or 0) / 1e9:.3f} GHz"),
           ("DSA", json.dumps(meta.get("dsa", "not recorded"))),
           ("zcbench", f"{meta.get('zcbench_version', '?')} ({meta.get('git_hash', '?')})"),
           ("run", meta.get("run_id", "?")), ("rows", str(len(rows)))]
    sv_tab = [(w, m, b, f"{t:,.0f}", f"{z:,.0f}", f"{s:.1%}") for w, m, b, t, z, s, _ in sv_rows]
    og_tab = [(o, b, sz, f"{lat:.2f}", f"{per:.1f}") for o, b, sz, lat, per, _ in og_rows]
    og_tab = [("letter", "CPU, one thread", "1G", "80", "80"),
              ("letter", "DSA, one engine (COMPARE)", "1G", "89", "89")] + og_tab
    cx_tab = crossovers or [("no DSA backend measured", "-", "-")]
    sv_tab_md = md_table(["host", "memory", "backend", "save cycles", "zero-check cycles", "share"], sv_tab)
    og_tab_md = md_table(["op", "backend", "measured at", "latency ms", "ms per GB"], og_tab)
    cx_md = md_table(["DSA mode", "smallest size beating the CPU (one thread)", "measured range"], cx_tab)
    saved_md = md_table(["backend", "at", "CPU one thread Mcycles/GB", "backend Mcycles/GB",
                         "saved Mcycles/GB"],
                        [(b, at, f"{c:.1f}", f"{d:.1f}", f"{s:.1f}") for b, at, c, d, s in saved]) \
        if saved else "No DSA backend measured at the largest size."

    md = [f"# zcbench report — {host}", "", f"_{modeled_note}_", "", "## Environment", "",
          md_table(["", ""], env), "",
          "## Seed table 1: savevm cycle split", "",
          "The letter traced `save_snapshot` on 64–256 GB VMs (zero check ≈ 27% of cycles). "
          "This host runs zcbench's model of the save loop on the memory sizes it can hold.", "",
          sv_tab_md, "",
          "## Seed table 2: 1 GB at 4 KiB granularity", "",
          "The letter measured COMPARE of two 1 GB buffers (op `compare`); a zero check reads one "
          "buffer (op `compval`).", "", og_tab_md, "",
          "## Crossover: smallest buffer where DSA beats the CPU", "", cx_md, "",
          "## CPU cycles saved per GB", "",
          "Calling-thread CPU cycles per GB checked, against the fastest one-thread CPU variant.", "", saved_md, "",
          "## Plots", ""]
    for name, caption in p.made:
        md += [f"![{name}](plots/{name}.svg)", "", f"*{caption}* {modeled_note}", ""]
    with open(os.path.join(results_dir, "report.md"), "w") as f:
        f.write("\n".join(md) + "\n")

    def h_table(header, body):
        th = "".join(f"<th>{html.escape(str(c))}</th>" for c in header)
        trs = "".join("<tr>" + "".join(f"<td>{html.escape(str(c))}</td>" for c in r) + "</tr>"
                      for r in body)
        return f"<table><tr>{th}</tr>{trs}</table>"

    parts = [f"<!DOCTYPE html><html><head><meta charset='utf-8'><title>zcbench report — "
             f"{html.escape(host)}</title><style>body{{font-family:sans-serif;max-width:1100px;"
             f"margin:auto}}table{{border-collapse:collapse;margin:1em 0}}td,th{{border:1px solid #999;"
             f"padding:2px 8px;text-align:right}}figure{{margin:1em 0}}.note{{color:#a40}}</style>"
             f"</head><body><h1>zcbench report — {html.escape(host)}</h1>",
             f"<p class='note'>{html.escape(modeled_note)}</p><h2>Environment</h2>",
             h_table(["", ""], env),
             "<h2>Seed table 1: savevm cycle split</h2>",
             h_table(["host", "memory", "backend", "save cycles", "zero-check cycles", "share"], sv_tab),
             "<h2>Seed table 2: 1 GB at 4 KiB granularity</h2>",
             h_table(["op", "backend", "measured at", "latency ms", "ms per GB"], og_tab),
             "<h2>Crossover: smallest buffer where DSA beats the CPU</h2>",
             h_table(["DSA mode", "smallest size beating the CPU (one thread)", "measured range"], cx_tab),
             "<h2>CPU cycles saved per GB</h2>",
             h_table(["backend", "at", "CPU one thread Mcycles/GB", "backend Mcycles/GB", "saved Mcycles/GB"],
                     [(b, at, f"{c:.1f}", f"{d:.1f}", f"{s:.1f}") for b, at, c, d, s in saved]),
             "<h2>Plots</h2>"]
    for name, caption in p.made:
        with open(os.path.join(p.out_dir, name + ".svg")) as f:
            svg = f.read()
        svg = svg[svg.find("<svg"):]
        parts.append(f"<figure>{svg}<figcaption>{html.escape(caption)} "
                     f"{html.escape(modeled_note)}</figcaption></figure>")
    parts.append("</body></html>")
    report = os.path.join(results_dir, "report.html")
    with open(report, "w") as f:
        f.write("\n".join(parts))

    share = [row[5] for row in sv_rows if row[0] == host]
    og_cpu = [per for o, b, sz, lat, per, m in og_rows if not m and o == "compval"]
    print(f"report: {report}")
    print(f"  savevm: zero check is {min(share):.0%}..{max(share):.0%} of save-loop cycles here "
          f"(letter: 25.8%..27.6%)" if share else "  savevm: not measured")
    print(f"  1 GB at 4 KiB: best CPU {min(og_cpu):.1f} ms/GB here (letter: CPU 80 ms, DSA 89 ms)"
          if og_cpu else "  1 GB: not measured")
    first = next((c for c in crossovers if not c[1].startswith("none")), None)
    print(f"  crossover: {first[0]} beats the CPU (one thread) from {first[1]}" if first
          else f"  crossover: no DSA mode beat the CPU in the measured range ({len(crossovers)} modes)")


if __name__ == "__main__":
    main()
