#!/usr/bin/env python3
"""plots/report.py on the hand-made sample run (tests/report/data/, written
to docs/csv-schema.md; sample-qemu.csv in schema 4 with the host's QEMU beside
the models on the same memory): every plot in PNG and SVG, both reports with the two seed tables
beside the letter's figures, modeled rows labeled, QEMU's rows beside the
model's with their ratios, the HTML self-contained and well-formed; a
schema-2 run's wq=auto targets labeled. Exit 77 (skip) without gnuplot."""
import csv
import html
import json
import html.parser
import os
import re
import shutil
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
PLOTS = ["latency_vs_size", "throughput_vs_size", "cpu_cost_per_gb", "batch_sweep", "qd_sweep",
         "submit_cost_vs_batch", "wq_engine_scaling", "zero_ratio", "savevm_split", "onegig", "qemu_vs_model"]
VOID = {"meta", "br", "img", "hr", "input", "link"}


class Balance(html.parser.HTMLParser):
    """Checks that every non-void element is closed in order."""

    def __init__(self):
        super().__init__()
        self.stack, self.errors, self.counts = [], [], {}

    def handle_starttag(self, tag, attrs):
        self.counts[tag] = self.counts.get(tag, 0) + 1
        if tag not in VOID:
            self.stack.append(tag)

    def handle_startendtag(self, tag, attrs):
        self.counts[tag] = self.counts.get(tag, 0) + 1

    def handle_endtag(self, tag):
        if not self.stack or self.stack[-1] != tag:
            self.errors.append(f"</{tag}> closes <{self.stack[-1] if self.stack else 'nothing'}>")
        else:
            self.stack.pop()


failures = []


def check(cond, what):
    if not cond:
        failures.append(what)


def main():
    if not shutil.which("gnuplot"):
        print("skip: gnuplot not installed")
        return 77
    with tempfile.TemporaryDirectory() as tmp:
        for name in os.listdir(os.path.join(HERE, "data")):
            shutil.copy(os.path.join(HERE, "data", name), tmp)
        r = subprocess.run([sys.executable, os.path.join(ROOT, "plots", "report.py"), tmp,
                            "--profile", "sample"], capture_output=True, text=True)
        check(r.returncode == 0, f"report.py exit {r.returncode}: {r.stderr}")
        summary = r.stdout.splitlines()
        check(len(summary) == 5 and summary[0] == f"report: {tmp}/report.html",
              f"path + four-line summary expected, got {summary}")
        # model/QEMU: savevm 10/12.5 all-zero, 20/80 with data; migration
        # 9/12 and 6/11 all-zero, 16/40 and 10/32 with data.
        check("QEMU: savevm model/QEMU time 0.80 all-zero, 0.25 with data pages (0.95 all-zero against "
              "QEMU's own state save); migration "
              "model/QEMU time 0.55..0.75 all-zero, 0.31..0.40 with data pages" in r.stdout,
              f"summary compares the models with QEMU: {r.stdout}")
        check("letter: 25.8%..27.6% on the CPU" in r.stdout and "takes 25% of save-loop cycles on the CPU" in r.stdout,
              f"summary compares the savevm share: {r.stdout}")
        for name in PLOTS:
            for ext in ("png", "svg"):
                path = os.path.join(tmp, "plots", f"{name}.{ext}")
                check(os.path.isfile(path) and os.path.getsize(path) > 1000, f"{path} missing or empty")
        with open(os.path.join(tmp, "report.md")) as f:
            md = f.read()
        with open(os.path.join(tmp, "report.html")) as f:
            page = f.read()
        for text, doc in (("md", md), ("html", html.unescape(page))):
            for needle in ("Seed table 1: savevm cycle split", "Seed table 2: 1 GB at 4 KiB granularity",
                           "19,449,838,924", "5,022,504,892", "25.8%", "27.6%",  # letter, savevm
                           "CPU, one thread", "DSA, one engine (COMPARE)",  # letter, 1 GB
                           "(modeled)", "(DSA hw)", "Crossover", "CPU cycles saved per GB",
                           "moves with this host's speed",  # the projection's thread-bound rows
                           "sample-host", "scaled linearly to 1 GiB", "Other sweeps", "wait=yield",
                           "savevm: the model beside the host's QEMU", "It leaves out what QEMU's savevm does",
                           "Migration: the model beside the host's QEMU", "QEMU 7.2 checks every page"):
                check(needle in doc, f"report.{text} lacks '{needle}'")
            # The legend once at the top, a short line under each table that needs one.
            check(doc.count("timing fitted to published Sapphire Rapids") == 1,
                  f"report.{text} repeats the projection's legend")
            check(doc.count("(projected): simulated time, not a measurement") >= 3,
                  f"report.{text} lacks the short note under its projected tables")
        # This host's savevm shares: 130/520 = 25.0% (CPU) and 90/480 = 18.8% (modeled).
        check(re.search(r"\| sample-host \| savevm \| 64M \| cpu:avx512 \|[^\n]*\| 25\.0% \|", md),
              "CPU savevm share row, named by its sweep")
        # The same backend in two sweeps: a row each, the sweep says which.
        check(re.search(r"\| sample-host \| qemu-savevm \| 64M \| cpu:avx512 \| 1 \|", md),
              "savevm row of the QEMU sweep, named by its sweep")
        check(re.search(r"\| migrate \| cpu:avx512 \| 256M \| 2 \| 0\.5 \|", md)
              and re.search(r"\| qemu-multifd \| cpu:avx512 \| 64M \| 2 \| 0 \|", md),
              "migration model rows named by their sweeps")
        # A projected sender polls: 531 of its cycles per page at 2.9 GHz wait
        # (12.0 of its 16 ms), 61.0 ns per page without them. wait=poller's
        # senders slept: its 10 ms (the completion thread's included) over
        # 65,536 pages, nothing to leave out.
        check(re.search(r"\| migrate \| dsa-batch:[^|]*wait=pause \(projected\) \| 256M \| 2 \| 0\.5 \| 128 \| "
                        r"16\.00 \| 8\.00 \| 244\.1 \| 61\.0 \|\n", md)
              and re.search(r"wait=poller \(projected\) \| 256M \| 2 \| 0\.5 \| 128 \| 10\.00 \| 2\.00 \| 152\.6 \| - \|\n", md)
              and re.search(r"\| migrate \| cpu:avx512 \| 256M \| 2 \| 0\.5 \| 128 \| 29\.83 \| 16\.40 \| 455\.1 \| 455\.1 \|\n", md),
              "migration model rows: CPU per page without a polling sender's waits")
        check(re.search(r"64M \| dsa-batch:[^|]*\(modeled\) \|[^\n]*\| 18\.8% \|", md),
              "modeled savevm share row")
        # The projection's layouts: two WQs sharing one device count one device.
        # 3,500 of its 1,365.33 ns x 2.9 GHz = 3,959 cycles per page wait: 88%,
        # the device binds; the two-WQ row never waits: its thread binds.
        check(re.search(r"engines=4\},qd=32,batch=32,wait=pause \(projected\) \| 1 \| 1 \| 4 \| 32 \| 8 \| 0\.7 \| 0\.7 \| 88% \| device \|", md),
              "projected scaling row, one device, bound by the device")
        check(re.search(r"dev=scaling\},qd=32,batch=32,wait=pause \(projected\) \| 2 \| 1 \| 2 \| 32 \| 8 \| 0\.9 \| 0\.9 \| 0% \| submitting thread \|", md),
              "projected scaling row, two WQs on one device")
        check("wq=emu,batch=32,wait=pause (modeled) | 1 |" not in md, "model on host time in the scaling table")
        # QEMU beside the model of the same guest: pages, times, the ratio.
        # QEMU's own state save (its trace): 10.5 ms all-zero, 72 ms with data.
        # The model beside QEMU read the guest from the same memory (shm),
        # not the faster anonymous-memory row of another sweep (5.0 ms).
        check(re.search(r"\| 64M \| 1 \| 16384 / 0 \| cpu:avx512, shm \| 10\.0 \| 12\.5 \| 0\.80 \| 10\.5 \| 0\.95 \|", md),
              "all-zero savevm model/QEMU row, beside QEMU's state save")
        check(re.search(r"\| 64M \| 0 \| [^|]*\| cpu:avx512, shm \| 20\.0 \| 80\.0 \| 0\.25 \| 72\.0 \| 0\.28 \|", md),
              "savevm row with data, beside QEMU's state save")
        check(re.search(r"\| 64M \| 0 \| multifd, 2 channels \| cpu:avx512, shm, 2 senders \| 10\.0 \| 32\.0 \| 0\.31 \| 31 \|", md),
              "multifd migration row")
        check(re.search(r"\| 64M \| qemu:accel=kvm \(QEMU 7\.2\.22\) \| 1 \| 36,250,000 \| - \| - \|", md),
              "QEMU row in the seed table, no zero-check split")
        # Crossover and savings: hardware and the projection only, per cache state.
        check(re.search(r"dsa-single:wq=\{emu:clock=virtual\},wait=pause \(projected\) \| hot \| none in range \| 4K\.\.4M", md),
              "projected crossover 'none in range'")
        check(re.search(r"wq0\.0,batch=32,wait=umwait \(DSA hw\) \| hot \| 1M \|", md), "hw crossover at 1M")
        check(not re.search(r"\(modeled\) \| hot \| (none in range|\d)", md), "model on host time in the crossover")
        # 1,350 ns/page at 2.9 GHz = 955.8 Mcycles/GB, 3,800 of its cycles per
        # page wait (927.7 Mcycles/GB); the hardware row's waits exceed its
        # thread time, so without waits it keeps nothing (clamped at zero).
        check(re.search(r"\(projected\) \| hot \| 4M \| cpu:avx512 \| 161\.1 \| 955\.8 \| -794\.7 \| 28\.1 \| 133\.1 \|", md)
              and re.search(r"\(DSA hw\) \| hot \| 4M \| cpu:avx512 \| 161\.1 \| 1\.9 \| 159\.3 \| 0\.0 \| 161\.1 \|", md),
              "projected CPU cycles saved, with and without waits")
        p = Balance()
        p.feed(page)
        p.close()
        check(not p.errors and not p.stack, f"HTML not well formed: {p.errors[:3]} open {p.stack[-3:]}")
        check(p.counts.get("svg", 0) == len(PLOTS), f"{p.counts.get('svg')} inline SVGs, want {len(PLOTS)}")
        check(not re.search(r"<img|src=|href=\"http", page), "HTML refers to external files")
        # Bad input: a missing directory is exit 2 with one line naming it.
        r = subprocess.run([sys.executable, os.path.join(ROOT, "plots", "report.py"), tmp + "/nope"],
                           capture_output=True, text=True)
        check(r.returncode == 2 and "nope" in r.stderr, f"missing dir: exit {r.returncode} {r.stderr}")
    targets_run()
    crossover_rule()
    bad_input()
    partial_run()
    spreadsheet_saved_run()
    two_machines()
    qemu_instruction_counts()
    for f in failures:
        print("FAIL:", f)
    return 1 if failures else 0


def crossover_rule():
    """The crossover is where DSA starts to win for good, by more than a tie:
    a win at a small size that a larger size loses does not count, nor a
    tie within CROSSOVER_MARGIN."""
    sys.path.insert(0, os.path.join(ROOT, "plots"))
    import report
    def rows(latencies):
        return [{"buf_bytes": str(4096 << i), "latency_ns": str(ns)} for i, ns in enumerate(latencies)]
    cpu = {4096 << i: r for i, r in enumerate(rows([100] * 5))}
    def at(latencies):
        win = report.sustained_win(rows(latencies), cpu)
        return int(win["buf_bytes"]) if win else None
    check(at([90, 90, 90, 90, 90]) == 4096, "a win at every size starts at the smallest")
    check(at([90, 120, 90, 90, 90]) == 16384, "a win lost at a larger size does not count")
    check(at([90, 90, 90, 90, 120]) is None, "no crossover when the largest size loses")
    check(at([120, 97, 90, 90, 90]) == 16384, "a 3% lead is a tie, not a win")
    check(at([120, 94, 90, 90, 90]) == 8192, "a 6% lead is a win")


def targets_run():
    """Schema 2 (docs/csv-schema.md): the targets of one wq=auto spec share
    a label written wq=auto and say what they are: (DSA hw wqD.Q),
    (projected), (kernel model)."""
    with open(os.path.join(HERE, "data", "sample.csv"), newline="") as f:
        reader = csv.DictReader(f)
        header = reader.fieldnames + ["target", "wq", "wq_mode", "submit_path"]
        base = next(r for r in reader if r["backend"].startswith("cpu:"))
    spec = "dsa-batch:wq={},batch=32,wait=pause"
    variants = [("hw", "dsa", "wq0.0", "portal-movdir64b"),
                ("projected", "dsa-projected", "emu", "emu"),
                ("hw", "dsa-kmodel", "wq0.1", "write")]
    with tempfile.TemporaryDirectory() as tmp:
        with open(os.path.join(tmp, "targets.csv"), "w", newline="") as f:
            w = csv.DictWriter(f, header)
            w.writeheader()
            row = dict(base, schema_version="2", target="-", wq="-", wq_mode="-", submit_path="-")
            w.writerow(row)
            for target, device, wq, path in variants:
                value = "{emu:clock=virtual,dev=dsa0}" if target == "projected" else wq
                w.writerow(dict(row, backend=spec.format(value), device=device, target=target, wq=wq,
                                wq_mode="dedicated", submit_path=path, batch="32"))
        r = subprocess.run([sys.executable, os.path.join(ROOT, "plots", "report.py"), tmp],
                           capture_output=True, text=True)
        check(r.returncode == 0, f"schema 2: report.py exit {r.returncode}: {r.stderr}")
        with open(os.path.join(tmp, "report.md")) as f:
            md = f.read()
        for needle in ("dsa-batch:wq=auto,batch=32,wait=pause (DSA hw wq0.0)",
                       "dsa-batch:wq=auto,batch=32,wait=pause (projected)",
                       "dsa-batch:wq=auto,batch=32,wait=pause (kernel model)"):
            check(needle in md, f"schema 2 report lacks '{needle}'")
        # The hardware row beside the projection of the same spec and case.
        check(re.search(r"## DSA hardware beside its projection[^#]*wait=pause \(DSA hw wq0\.0\) \| [0-9.]+[KM]? \| hot \| [0-9.]+ \| [0-9.]+ \| \+0\.0% \|", md),
              "hardware beside its projection")


def edited_run(tmp, edit):
    """tmp holds sample.csv with edit(header, rows) applied and the run's sidecar."""
    with open(os.path.join(HERE, "data", "sample.csv"), newline="") as f:
        table = list(csv.reader(f))
    header, rows = table[0], table[1:]
    text = edit(header, rows)
    if text is None:
        with open(os.path.join(tmp, "sample.csv"), "w", newline="") as f:
            csv.writer(f, lineterminator="\n").writerows([header] + rows)
    else:
        with open(os.path.join(tmp, "sample.csv"), "w") as f:
            f.write(text)
    shutil.copy(os.path.join(HERE, "data", "20261126T220000Z-sample-host-4242.meta.json"), tmp)


def report_on(tmp, env=None):
    return subprocess.run([sys.executable, os.path.join(ROOT, "plots", "report.py"), tmp],
                          capture_output=True, text=True, env=env)


def set_cell(col, value, row_index=2):
    def edit(header, rows):
        rows[row_index][header.index(col)] = value
    return edit


def bad_input():
    """A value no run writes is exit 2 with one line naming file, line,
    column and value; never a traceback or a silently wrong number."""
    def drop(col):
        def edit(header, rows):
            i = header.index(col)
            for r in [header] + rows:
                del r[i]
        return edit
    cases = [
        (drop("cache"), "no column cache"),
        (drop("latency_ns"), "no column latency_ns"),
        (set_cell("schema_version", "99"), "schema_version '99'"),
        (set_cell("latency_ns", "abc"), "line 4: latency_ns 'abc' is not a finite number"),
        (set_cell("zero_ratio", "half"), "zero_ratio 'half' is not a finite number"),
        (set_cell("buf_bytes", "nan"), "buf_bytes 'nan' is not a finite number"),
        (set_cell("throughput_gbps", "inf"), "throughput_gbps 'inf' is not a finite number"),
        (set_cell("latency_ns", "0"), "latency_ns '0' must be greater than 0"),
        (lambda h, rows: rows[2].append("extra"), "45 fields, the header has 44"),
    ]
    for edit, want in cases:
        with tempfile.TemporaryDirectory() as tmp:
            edited_run(tmp, edit)
            r = report_on(tmp)
            check(r.returncode == 2 and len(r.stderr.splitlines()) == 1 and want in r.stderr,
                  f"bad input '{want}': exit {r.returncode}, stderr {r.stderr[-300:]!r}")
    with tempfile.TemporaryDirectory() as tmp:
        edited_run(tmp, lambda h, rows: None)
        with open(os.path.join(tmp, "other.meta.json"), "w") as f:
            f.write("[1]")
        os.remove(os.path.join(tmp, "20261126T220000Z-sample-host-4242.meta.json"))
        r = report_on(tmp)
        check(r.returncode == 2 and "other.meta.json: a JSON list, not an object" in r.stderr,
              f"meta.json not an object: exit {r.returncode} {r.stderr[-300:]!r}")
        os.remove(os.path.join(tmp, "other.meta.json"))
        r = report_on(tmp, env=dict(os.environ, PATH="/nonexistent"))
        check(r.returncode == 2 and r.stderr.startswith("report:") and "gnuplot not found" in r.stderr,
              f"gnuplot missing: exit {r.returncode} {r.stderr[-300:]!r}")


def read_if_there(path):
    return open(path).read() if os.path.exists(path) else ""


def qemu_instruction_counts():
    """run_all.sh's callgrind counts (qemu-insns.json) get a table of their
    own beside the savevm comparison; another machine's are left out, a
    file that is not such counts is one line and exit 2."""
    counts = {"host": "sample-host", "qemu_version": "QEMU emulator version 7.2.22", "accel": "kvm",
              "mem": "64M", "pages": 16384, "qemu": {"check": 365, "rest": 1138, "total": 1503},
              "model": {"check": 249, "rest": 454, "total": 703}}
    for text, want in ((json.dumps(counts), "| rest of the loop | 1138 | 454 | 0.40 |"),
                       (json.dumps(dict(counts, host="other-box")), None),
                       ('{"pages": "many"}', "qemu-insns.json: not the counts")):
        with tempfile.TemporaryDirectory() as tmp:
            edited_run(tmp, lambda h, rows: None)
            with open(os.path.join(tmp, "qemu-insns.json"), "w") as f:
                f.write(text)
            r = report_on(tmp)
            md = read_if_there(os.path.join(tmp, "report.md"))
            if want and want.startswith("|"):
                check(r.returncode == 0 and "## savevm: instructions per page, QEMU beside the model" in md
                      and want in md, f"qemu-insns.json: exit {r.returncode}, no table {r.stderr[-200:]!r}")
            elif want:
                check(r.returncode == 2 and want in r.stderr and len(r.stderr.splitlines()) == 1,
                      f"bad qemu-insns.json: exit {r.returncode} {r.stderr[-300:]!r}")
            else:
                check(r.returncode == 0 and "instructions per page" not in md,
                      f"another machine's qemu-insns.json: exit {r.returncode}, table shown")


def two_machines():
    """Runs of two machines in one directory are not merged unsaid: exit 2
    with one line naming both, --host picks one and writes report-HOST.*
    and plots-HOST/, so each machine's report stands beside the other's;
    several runs of one machine (what run_all.sh writes) make one report."""
    meta_name = "20261126T220000Z-sample-host-4242.meta.json"
    with open(os.path.join(HERE, "data", meta_name)) as f:
        meta = json.load(f)

    def add_run(tmp, run_id, host, cpu_model, with_meta=True):
        with open(os.path.join(HERE, "data", "sample.csv")) as f:
            text = f.read().replace(meta["run_id"], run_id)
        with open(os.path.join(tmp, f"{run_id}.csv"), "w") as f:
            f.write(text)
        if with_meta:
            with open(os.path.join(tmp, f"{run_id}.meta.json"), "w") as f:
                json.dump(dict(meta, run_id=run_id, host=host, cpu_model=cpu_model), f)

    with tempfile.TemporaryDirectory() as tmp:
        edited_run(tmp, lambda h, rows: None)
        add_run(tmp, "20261127T080000Z-sample-host-99", "sample-host", meta["cpu_model"])
        r = report_on(tmp)
        check(r.returncode == 0, f"two runs of one machine: exit {r.returncode} {r.stderr[-300:]!r}")
        add_run(tmp, "20261127T090000Z-other-box-7", "other-box", "Other CPU")
        r = report_on(tmp)
        check(r.returncode == 2 and len(r.stderr.splitlines()) == 1
              and "results of 2 machines" in r.stderr and "sample-host (Sample CPU" in r.stderr
              and "other-box (Other CPU; 20261127T090000Z-other-box-7.csv)" in r.stderr
              and "--host sample-host or --host other-box" in r.stderr,
              f"two machines: exit {r.returncode}, stderr {r.stderr[-400:]!r}")
        # each host's report and plots carry its name: the second overwrites nothing of the first,
        # nor the report of the directory's one machine before other-box's run came
        one_machine = read_if_there(os.path.join(tmp, "report.md"))
        for host in ("other-box", "sample-host"):
            r = subprocess.run([sys.executable, os.path.join(ROOT, "plots", "report.py"), tmp, "--host", host],
                               capture_output=True, text=True)
            check(r.returncode == 0 and r.stdout.startswith(f"report: {tmp}/report-{host}.html\n"),
                  f"--host {host}: exit {r.returncode} {r.stdout[:200]!r} {r.stderr[-300:]!r}")
        for host, cpu, other, run_file in (
                ("other-box", "Other CPU", "sample-host", "20261127T090000Z-other-box-7.csv"),
                ("sample-host", meta["cpu_model"], "other-box", "20261127T080000Z-sample-host-99.csv, sample.csv")):
            md = read_if_there(os.path.join(tmp, f"report-{host}.md"))
            page = read_if_there(os.path.join(tmp, f"report-{host}.html"))
            check(f"# zcbench report: {host}" in md and cpu in md and f"| {other} |" not in md
                  and f"| result files | {run_file} |" in md and f"](plots-{host}/latency_vs_size.svg)" in md,
                  f"--host {host}: report-{host}.md is not that host's alone: {md[:300]!r}")
            check(f"zcbench report: {host}</h1>" in page and f"{other} (" not in page,
                  f"--host {host}: report-{host}.html is not that host's alone")
            check(os.path.exists(os.path.join(tmp, f"plots-{host}", "latency_vs_size.svg")),
                  f"--host {host}: no plots-{host}/")
        check(one_machine and read_if_there(os.path.join(tmp, "report.md")) == one_machine,
              "--host rewrote report.md")
        r = subprocess.run([sys.executable, os.path.join(ROOT, "plots", "report.py"), tmp, "--host", "nope"],
                           capture_output=True, text=True)
        check(r.returncode == 2 and "--host nope: no results of that machine" in r.stderr
              and "(allowed: sample-host, other-box)" in r.stderr,
              f"--host nope: exit {r.returncode} {r.stderr[-300:]!r}")
    with tempfile.TemporaryDirectory() as tmp:  # a CSV without its sidecar: the run id names the host
        edited_run(tmp, lambda h, rows: None)
        add_run(tmp, "20261127T080000Z-sample-host-99", "", "", with_meta=False)
        r = report_on(tmp)
        check(r.returncode == 0, f"one machine, a sidecar missing: exit {r.returncode} {r.stderr[-300:]!r}")
        edited_run(tmp, lambda h, rows: None)
        add_run(tmp, "20261127T090000Z-other-box-7", "", "", with_meta=False)
        r = report_on(tmp)
        check(r.returncode == 2 and "other-box (unknown CPU;" in r.stderr,
              f"sidecar missing: exit {r.returncode} {r.stderr[-300:]!r}")
        r = subprocess.run([sys.executable, os.path.join(ROOT, "plots", "report.py"), tmp, "--host", "other-box"],
                           capture_output=True, text=True)
        md = read_if_there(os.path.join(tmp, "report-other-box.md"))
        check(r.returncode == 0 and "# zcbench report: other-box\n" in md and "| CPU | unknown CPU |" in md,
              f"--host other-box without its sidecar: exit {r.returncode}, report titled {md[:60]!r}")


def spreadsheet_saved_run():
    """A results CSV saved by a spreadsheet (a UTF-8 byte-order mark, CRLF
    line ends) is read like the one zcbench wrote: it was skipped unsaid."""
    with tempfile.TemporaryDirectory() as tmp:
        edited_run(tmp, lambda header, rows: None)
        path = os.path.join(tmp, "sample.csv")
        with open(path, newline="") as f:
            text = f.read()
        with open(path, "w", newline="", encoding="utf-8-sig") as f:
            f.write(text.replace("\n", "\r\n"))
        r = report_on(tmp)
        md = read_if_there(os.path.join(tmp, "report.md"))
        check(r.returncode == 0 and "Seed table 1: savevm cycle split" in md and "sample-host" in md,
              f"CSV with a BOM and CRLF: exit {r.returncode} {r.stderr[-300:]!r}")


def partial_run():
    """A torn last row, a row with empty measurements and a case cut short
    still give a report, which lists each of them."""
    def edit(header, rows):
        rows[2][header.index("latency_ns")] = ""
        rows[3][header.index("reps")] = "2"
        rows[3][header.index("note")] = "2 of 5 repetitions, then: dsa: timed out"
        lines = ["".join(",".join(f'"{c}"' if "," in c else c for c in r)) for r in [header] + rows]
        return "\n".join(lines)[:-40]  # the last row torn, as a killed writer would leave it
    with tempfile.TemporaryDirectory() as tmp:
        edited_run(tmp, edit)
        r = report_on(tmp)
        check(r.returncode == 0 and "missing: 3 cases partial or left out" in r.stdout,
              f"partial run: exit {r.returncode} {r.stdout[-200:]!r} {r.stderr[-300:]!r}")
        md = open(os.path.join(tmp, "report.md")).read() if r.returncode == 0 else ""
        for needle in ("## Missing or partial results", "no latency_ns (left out)",
                       "| 2 of 5 repetitions, then: dsa: timed out |", "sample.csv line 67 | a torn row"):
            check(needle in md, f"partial run report lacks '{needle}'")


if __name__ == "__main__":
    sys.exit(main())
