#!/usr/bin/env python3
"""A stand-in for qemu-system-x86_64 that misbehaves on request, for the
tests of how zcbench copes with a QEMU that fails (test_qemu_faults).

It speaks just enough QMP for `--workload migrate` (plain): the greeting,
the settings, `migrate` to a unix socket, the MIGRATION event, and the
page counts of the guest RAM file it was given. FAKE_QEMU says how it
fails:
  ok              behaves
  exit            exits with status 3 at startup
  version-hang    never answers --version
  garbage         sends a line that is not JSON instead of the greeting
  endless         sends a line that never ends instead of the greeting
  die-at=N        exits (status 1) on the Nth migrate command
  hang-at=N       accepts the Nth migrate and never completes it
  deaf-at=N       the same, and answers nothing after it (not even quit)
FAKE_QEMU_DIRS names a file where it adds the directory of its guest RAM
(zcbench's working directory), for the test to see it gone.
"""
import json
import os
import socket
import sys
import time

PAGE = 4096


def option(name):
    return sys.argv[sys.argv.index(name) + 1]


def suboption(text, key):
    for item in text.split(","):
        if item.startswith(key + "="):
            return item[len(key) + 1:]
    return None


def count_pages(path):
    zero = normal = 0
    empty = bytes(PAGE)
    with open(path, "rb") as f:
        while page := f.read(PAGE):
            if page == empty:
                zero += 1
            else:
                normal += 1
    return zero, normal


def main():
    mode = os.environ.get("FAKE_QEMU", "ok")
    if sys.argv[1:] == ["--version"]:
        if mode == "version-hang":
            time.sleep(3600)
        print("QEMU emulator version 7.2.0 (fake)")
        return 0
    ram = suboption(option("-object"), "mem-path")
    if "FAKE_QEMU_DIRS" in os.environ:
        with open(os.environ["FAKE_QEMU_DIRS"], "a") as f:
            f.write(os.path.dirname(ram) + "\n")
    if mode == "exit":
        print("fake qemu: failing at startup", file=sys.stderr)
        return 3
    die_at = int(mode[len("die-at="):]) if mode.startswith("die-at=") else 0
    hang_at = int(mode[len("hang-at="):]) if mode.startswith("hang-at=") else 0
    deaf_at = int(mode[len("deaf-at="):]) if mode.startswith("deaf-at=") else 0
    qmp_path = option("-qmp").split(",")[0][len("unix:"):]
    server = socket.socket(socket.AF_UNIX)
    server.bind(qmp_path)
    server.listen(1)
    conn, _ = server.accept()
    out = conn.makefile("w")
    inp = conn.makefile("r")

    def send(obj):
        out.write(json.dumps(obj) + "\n")
        out.flush()

    if mode == "garbage":
        out.write("this is not QMP\n")
        out.flush()
        time.sleep(3600)
    while mode == "endless":
        conn.sendall(b"x" * 65536)
    send({"QMP": {"version": {"qemu": {"major": 7, "minor": 2, "micro": 0}}, "capabilities": []}})
    migrations = 0
    status = "prelaunch"
    zero, normal = count_pages(ram)
    for line in inp:
        cmd = json.loads(line)["execute"]
        reply = {}
        if cmd == "quit":
            send({"return": {}})
            return 0
        if cmd == "query-kvm":
            reply = {"enabled": True, "present": True}
        elif cmd == "query-status":
            reply = {"status": status, "running": False}
        elif cmd == "query-migrate":
            reply = {"status": "completed", "total-time": 1,
                     "ram": {"duplicate": zero, "normal": normal, "transferred": normal * PAGE,
                             "mbps": 1000.0}}
        elif cmd == "migrate":
            migrations += 1
            if migrations == die_at:
                return 1
            send({"return": {}})
            if migrations == hang_at:
                continue
            if migrations == deaf_at:
                time.sleep(3600)
            uri = json.loads(line)["arguments"]["uri"]
            with socket.socket(socket.AF_UNIX) as s:
                s.connect(uri[len("unix:"):])
                s.sendall(b"QEVM")
            status = "postmigrate"
            send({"event": "MIGRATION", "data": {"status": "completed"}})
            continue
        elif cmd in ("cont", "stop"):
            status = "paused"
        send({"return": reply})
    return 0


if __name__ == "__main__":
    sys.exit(main())
