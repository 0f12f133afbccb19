#!/usr/bin/env python3
"""zc-project on bad input: exit 2 with one line naming the value and what
is allowed; never a scenario run with a value it did not ask for.

  test_calibrate_input.py --zc-project PATH"""
import argparse
import subprocess
import sys

failures = []


def check(cond, what):
    if not cond:
        failures.append(what)


def one_line_error(r, want, what):
    lines = r.stderr.splitlines()
    check(r.returncode == 2 and len(lines) == 1 and want in r.stderr and "Traceback" not in r.stderr,
          f"{what}: exit {r.returncode}, stderr {r.stderr[-400:]!r}; expected 2 and one line with {want!r}")


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
    ]
    for line, want in cases:
        r = subprocess.run([zc_project], input=line + "\n", capture_output=True, text=True)
        one_line_error(r, want, f"zc-project <<< {line[:40]!r}")
    r = subprocess.run([zc_project], input="  # a comment\nsize=4K wq=dedicated\n", capture_output=True, text=True)
    check(r.returncode == 0 and len(r.stdout.split()) == 1 and float(r.stdout) > 0,
          f"an indented comment and a valid scenario: exit {r.returncode} {r.stdout!r} {r.stderr!r}")
    r = subprocess.run([zc_project, "--help"], capture_output=True, text=True)
    one_line_error(r, "unexpected argument '--help' (allowed: --profile", "zc-project --help")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--zc-project", required=True)
    a = ap.parse_args()
    project(a.zc_project)
    for f in failures:
        print("FAIL:", f)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
