#!/usr/bin/env python3
"""zc-project, scripts/calibrate.py, qemu_e2e.py and qemu_insns.py on bad
input: exit 2 with one line naming the value and what is allowed; never a traceback, a scenario run with a
value it did not ask for, a check that passes on nothing, or a long run
before the input is looked at.

  test_script_input.py --zc-project PATH"""
import argparse
import os
import subprocess
import sys
import tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
CALIBRATE = os.path.join(ROOT, "scripts", "calibrate.py")
failures = []


def check(cond, what):
    if not cond:
        failures.append(what)


def one_line_error(r, want, what, status=2):
    lines = r.stderr.splitlines()
    check(r.returncode == status and len(lines) == 1 and want in r.stderr and "Traceback" not in r.stderr,
          f"{what}: exit {r.returncode}, stderr {r.stderr[-400:]!r}; expected {status} and one line with {want!r}")


def project(zc_project):
    """A word zc-project once read loosely: the typo ran another WQ mode, a
    fraction was cut, nan became 0 and the line was answered as if valid."""
    cases = [
        ("size=4096 wq=shred", "line 1: bad value 'shred' for wq (allowed: shared|dedicated)"),
        ("size=4096 engines=2.5", "bad value '2.5' for engines (allowed: an integer 1..16)"),
        ("size=4096.7", "bad value '4096.7' for size"),
        ("size=4096 harness_ns=nan", "bad value 'nan' for harness_ns"),
        ("size=4096 count=1e30", "bad value '1e30' for count"),
        ("size=4096 mode=batch batch=5000", "bad value '5000' for batch (allowed: an integer 2..1024)"),
        ("size=4096 mode=qd qd=1e9", "bad value '1e9' for qd"),
        ("size=4096 op=compval op=memmove", "key 'op' given twice"),
        ("size=4096 align=3", "bad value '3' for align (allowed: a power of two up to 4096)"),
        ("engines=2", "no size"),
        ("size=4096 " + "x" * 2000, "line 1: longer than"),
        ("size=4096 emu=bogus=1", "emu: unknown key 'bogus' (allowed: engines"),
    ]
    for line, want in cases:
        r = subprocess.run([zc_project], input=line + "\n", capture_output=True, text=True)
        one_line_error(r, want, f"zc-project <<< {line[:40]!r}")
    r = subprocess.run([zc_project], input="  # a comment\nsize=4K wq=dedicated\n", capture_output=True, text=True)
    check(r.returncode == 0 and len(r.stdout.split()) == 1 and float(r.stdout) > 0,
          f"an indented comment and a valid scenario: exit {r.returncode} {r.stdout!r} {r.stderr!r}")
    r = subprocess.run([zc_project, "--help"], capture_output=True, text=True)
    one_line_error(r, "unexpected argument '--help' (allowed: --profile", "zc-project --help")


def calibrate(zc_project, tmp):
    def run(*args):
        return subprocess.run([sys.executable, CALIBRATE, "--zc-project", zc_project, *args],
                              capture_output=True, text=True)

    with open(os.path.join(ROOT, "configs", "dsa-calibration.csv")) as f:
        lines = f.read().splitlines(keepends=True)
    header = next(i for i, l in enumerate(lines) if not l.startswith("#"))

    def csv_file(name, text):
        path = os.path.join(tmp, name)
        with open(path, "w") as f:
            f.write(text)
        return path

    def edited(name, index, old, new):
        body = list(lines)
        assert old in body[header + index]
        body[header + index] = body[header + index].replace(old, new, 1)
        return csv_file(name, "".join(body))

    cases = [
        (["--csv", csv_file("other.csv", "a,b\n1,2\n")], "other.csv: no column source_id"),
        (["--csv", "/dev/null"], "/dev/null: no column source_id"),
        (["--csv", csv_file("header.csv", lines[header])], "header.csv: no rows"),
        (["--csv", csv_file("short.csv", "".join(lines[header:header + 2]) + "a,b\n")],
         "short.csv row 2: 2 fields, the header has 17"),
        (["--csv", edited("value.csv", 1, ",89,ms,", ",abc,ms,")], "value.csv row 1: value 'abc' (allowed: a number)"),
        (["--harness-ns", "nan"], "--harness-ns nan: allowed a number of ns 0..1e9"),
        (["--harness-ns", "-5"], "--harness-ns -5"),
        (["--emu", "bogus=1"], "unknown key 'bogus'"),
        (["--fit", "desc_ns", "--emu", "junk"], "--emu junk: 'junk' is not key=number"),
        (["--zc-project", tmp], "is not built"),
    ]
    for args, want in cases:
        one_line_error(run(*args), want, f"calibrate.py {' '.join(args)[:60]}")


def qemu_e2e(tmp):
    """The published CSV is read before zcbench runs (a nonexistent one here:
    reaching it is the failure)."""
    script = os.path.join(ROOT, "scripts", "qemu_e2e.py")
    with open(os.path.join(ROOT, "configs", "dsa-validation-qemu.csv")) as f:
        text = f.read()
    no_poller = os.path.join(tmp, "no-poller.csv")
    with open(no_poller, "w") as f:
        f.write("".join(l for l in text.splitlines(keepends=True) if "thread_runtime dsa_completion" not in l))
    header_only = os.path.join(tmp, "header-only.csv")
    with open(header_only, "w") as f:
        f.write(next(l for l in text.splitlines(keepends=True) if not l.startswith("#")))
    for csv_path, want in ((no_poller, "no thread_runtime dsa_completion row of S2 dsa"),
                           (header_only, "no total_ram, thread_runtime multifdsend_N row of S2 cpu"),
                           ("/dev/null", "no total_ram")):
        r = subprocess.run([sys.executable, script, "--zcbench", os.path.join(tmp, "no-zcbench"), "--csv", csv_path],
                           capture_output=True, text=True)
        one_line_error(r, want, f"qemu_e2e.py --csv {os.path.basename(csv_path)}")
    for reps in ("0", "1001"):
        r = subprocess.run([sys.executable, script, "--zcbench", os.path.join(tmp, "no-zcbench"), "--reps", reps],
                           capture_output=True, text=True)
        one_line_error(r, f"--reps {reps}: allowed 1..1000", f"qemu_e2e.py --reps {reps}")


def qemu_insns():
    """--top is checked before anything is counted (a nonexistent zcbench:
    reaching it is the failure)."""
    script = os.path.join(ROOT, "scripts", "qemu_insns.py")
    for top in ("-1", "0"):
        r = subprocess.run([sys.executable, script, "--top", top, "--zcbench", "/nonexistent"],
                           capture_output=True, text=True)
        one_line_error(r, f"bad --top {top} (allowed: an integer of at least 1)", f"qemu_insns.py --top {top}")
    r = subprocess.run([sys.executable, script, "--mem", "6K", "--zcbench", "/nonexistent"],
                       capture_output=True, text=True)
    one_line_error(r, "bad --mem '6K' (allowed: a whole number of 4 KiB pages)", "qemu_insns.py --mem 6K")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--zc-project", required=True)
    a = ap.parse_args()
    project(a.zc_project)
    with tempfile.TemporaryDirectory() as tmp:
        calibrate(a.zc_project, tmp)
        qemu_e2e(tmp)
    qemu_insns()
    for f in failures:
        print("FAIL:", f)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
