#!/usr/bin/env python3
"""The memory budget read from a real memory cgroup: `imageproc serve` started inside a 1 GiB group (cgroup v1
`memory.limit_in_bytes` on machines like this one, a cgroup v2 child with `memory.max` elsewhere) must take its
budget from that limit, not from the machine.

Needs root (creating a cgroup); as another user it says so and counts nothing. IMAGEPROC_BINARY and DATABASE_URL
come from the environment. Prints one line per check and `N passed, N failed`; exits non-zero on any failure.
"""

import os
import re
import select
import socket
import subprocess
import sys
import time
import uuid

LIMIT = 1 << 30
results = []


def check(name, ok, detail=""):
    results.append(ok)
    print(f"{'ok  ' if ok else 'FAIL'} {name}{': ' + detail if detail else ''}", flush=True)


def make_group():
    """A new memory cgroup limited to LIMIT: (its directory, the file to write a pid to, the version)."""
    name = f"imageproc-test-{uuid.uuid4().hex[:8]}"
    if os.path.exists("/sys/fs/cgroup/cgroup.controllers"):
        with open("/sys/fs/cgroup/cgroup.subtree_control", "a") as control:
            control.write("+memory")
        path = f"/sys/fs/cgroup/{name}"
        os.mkdir(path)
        with open(f"{path}/memory.max", "w") as limit:
            limit.write(str(LIMIT))
        return path, f"{path}/cgroup.procs", 2
    path = f"/sys/fs/cgroup/memory/{name}"
    os.mkdir(path)
    with open(f"{path}/memory.limit_in_bytes", "w") as limit:
        limit.write(str(LIMIT))
    return path, f"{path}/cgroup.procs", 1


def oom_kills(path, version):
    if version == 2:
        with open(f"{path}/memory.events") as events:
            return int(re.search(r"^oom_kill (\d+)", events.read(), re.M).group(1))
    with open(f"{path}/memory.oom_control") as control:
        match = re.search(r"^oom_kill (\d+)", control.read(), re.M)
        return int(match.group(1)) if match else 0


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def main():
    if os.geteuid() != 0:
        print("memory budget: needs root to create a memory cgroup; nothing checked")
        print("0 passed, 0 failed")
        return 0
    path, procs, version = make_group()
    binary = os.environ["IMAGEPROC_BINARY"]
    command = f'echo $$ > {procs} && exec "{binary}" serve --host 127.0.0.1 --port {free_port()}'
    server = subprocess.Popen(["sh", "-c", command], stderr=subprocess.PIPE, stdout=subprocess.DEVNULL, text=True)
    try:
        line = ""
        deadline = time.monotonic() + 30
        while "memory budget" not in line and time.monotonic() < deadline:
            ready, _, _ = select.select([server.stderr], [], [], 1)
            if ready:
                line = server.stderr.readline()
        limit = re.search(r"memory\.limit_bytes=(\d+)", line)
        source = re.search(r'memory\.source="([^"]*)"', line)
        budget = re.search(r"memory\.budget_bytes=(\d+)", line)
        check(f"the budget comes from the cgroup v{version} limit", bool(source and f"cgroup v{version}" in source.group(1)),
              source.group(1) if source else line.strip())
        check("the limit read is the group's 1 GiB", bool(limit and int(limit.group(1)) == LIMIT),
              limit.group(1) if limit else "no limit logged")
        expected = LIMIT - max(LIMIT // 100 * 15, 128 << 20)
        check("the budget keeps 15 % in reserve", bool(budget and int(budget.group(1)) == expected),
              f"{budget.group(1) if budget else None} (expected {expected})")
        check("nothing was OOM-killed", oom_kills(path, version) == 0)
    finally:
        server.terminate()
        server.wait(timeout=30)
        for _ in range(50):
            try:
                os.rmdir(path)
                break
            except OSError:
                time.sleep(0.1)
    failed = results.count(False)
    print(f"{len(results) - failed} passed, {failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
