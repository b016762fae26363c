#!/usr/bin/env python3
"""The memory budget in a real memory cgroup: `imageproc serve`, with default flags, inside a 1 GiB group (cgroup
v1 `memory.limit_in_bytes` on machines like this one, a cgroup v2 child with `memory.max` elsewhere), the pod's
limit in k8s/.

It must take its budget from that limit, not from the machine; and mixes of the largest uploads the default limits
accept, all at once, must never get it OOM-killed: four 100 MP progressive JPEGs to grayscale at full size, the
same photo resized to a 12000 px PNG beside them, 48 MP photos resized meanwhile; then four of the 100 MP photos to
grayscale and four to full-size PNG (the batch that killed it before admission). Every upload is accepted (202) or
refused as `too_large_for_memory` (422); every accepted job ends `completed` or `failed` with a code; the 48 MP
photos complete; the process lives; the group's `oom_kill` count stays 0.

The photos are generated (bench/make_photo.c through `cjpeg`, from libjpeg-turbo-progs). Needs root (creating a
cgroup); as another user it says so and counts nothing. IMAGEPROC_BINARY and DATABASE_URL come from the
environment. Prints one line per check and `N passed, N failed`; exits non-zero on any failure.
"""

import http.client
import json
import os
import re
import select
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
import uuid

LIMIT = 1 << 30
MIB = 1 << 20
ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
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


def peak_bytes(path, version):
    """The most the group has held since it was made (v2 kernels before 5.19 lack memory.peak: None)."""
    name = "memory.peak" if version == 2 else "memory.max_usage_in_bytes"
    try:
        with open(f"{path}/{name}") as peak:
            return int(peak.read())
    except OSError:
        return None


def make_photos(folder):
    """A 100 MP progressive JPEG (12240 x 8160, the most the default pixel limit accepts) and a 48 MP one."""
    maker = os.path.join(folder, "make_photo")
    subprocess.run(["cc", "-O2", "-o", maker, os.path.join(ROOT, "bench", "make_photo.c"), "-lm"], check=True)
    photos = {}
    for name, size, progressive in [("100mp", (12240, 8160), True), ("48mp", (8000, 6000), False)]:
        out = os.path.join(folder, f"{name}.jpg")
        pixels = subprocess.Popen([maker, str(size[0]), str(size[1])], stdout=subprocess.PIPE)
        with open(out, "wb") as jpeg:
            flags = ["-progressive"] if progressive else []
            subprocess.run(["cjpeg", *flags, "-quality", "90"], stdin=pixels.stdout, stdout=jpeg, check=True)
        pixels.wait()
        with open(out, "rb") as jpeg:
            photos[name] = jpeg.read()
    return photos


class Client:
    """Plain HTTP/1.1 to the server, one connection per request, as many threads at once as the mix has."""

    def __init__(self, port):
        self.port = port

    def request(self, method, path, body=None, headers=None):
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=300)
        try:
            connection.request(method, path, body=body, headers=headers or {})
            response = connection.getresponse()
            data = response.read()
            return response.status, dict(response.getheaders()), json.loads(data) if data else None
        finally:
            connection.close()

    def upload(self, query, body):
        """POST until the server takes or refuses the upload; 429/503 are waited out as a client would."""
        for _ in range(60):
            status, headers, document = self.request(
                "POST", f"/api/images?{query}", body, {"Content-Type": "image/jpeg"})
            if status not in (429, 503):
                return status, document
            time.sleep(float(headers.get("Retry-After", "1")))
        return status, document

    def wait_terminal(self, image_id, deadline):
        """The job once it is `completed` or `failed`; None at the deadline or when the server is gone."""
        while time.monotonic() < deadline:
            try:
                status, _, document = self.request("GET", f"/api/images/{image_id}?wait=20")
            except OSError:
                return None
            if status == 200 and document["status"] in ("completed", "failed"):
                return document
        return None


def run_mix(name, client, uploads, server, path, version, created):
    """Sends every (label, query, body) of `uploads` at once and checks what the issue asks of each."""
    answers = [None] * len(uploads)

    def send(index):
        try:
            answers[index] = client.upload(uploads[index][1], uploads[index][2])
        except OSError as error:
            answers[index] = (None, {"error": str(error)})

    threads = [threading.Thread(target=send, args=(index,)) for index in range(len(uploads))]
    started = time.monotonic()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    outcomes = []
    deadline = time.monotonic() + 600
    for (label, _, _), (status, document) in zip(uploads, answers):
        if status == 202:
            created.append(document["id"])
            job = client.wait_terminal(document["id"], deadline)
            outcome = job["status"] if job else "not terminal"
            if job and job["status"] == "failed":
                outcome += f" ({(job.get('error') or {}).get('code')})"
        elif status == 422 and (document or {}).get("error", {}).get("code") == "too_large_for_memory":
            outcome = "422 too_large_for_memory"
        else:
            outcome = f"unexpected {status} {document}"
        outcomes.append((label, outcome))
    summary = ", ".join(f"{label}: {outcome}" for label, outcome in outcomes)
    peak = peak_bytes(path, version)
    print(f"     {name}: {time.monotonic() - started:.0f} s, group peak "
          f"{peak // MIB if peak else '?'} MiB; {summary}", flush=True)
    accepted_or_refused = all(
        outcome in ("completed", "422 too_large_for_memory") or re.fullmatch(r"failed \(\w+\)", outcome)
        for _, outcome in outcomes)
    check(f"{name}: every upload accepted or refused with a code, every accepted job terminal", accepted_or_refused)
    check(f"{name}: the 48 MP photos complete",
          all(outcome == "completed" for label, outcome in outcomes if label.startswith("48 MP")))
    check(f"{name}: the process is alive and nothing was OOM-killed",
          server.poll() is None and oom_kills(path, version) == 0,
          f"exit {server.poll()}, oom_kill {oom_kills(path, version)}")


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def main():
    if os.geteuid() != 0:
        print("memory budget: needs root to create a memory cgroup; nothing checked")
        print("0 passed, 0 failed")
        return 0
    folder = tempfile.mkdtemp(prefix="imageproc-memory-")
    photos = make_photos(folder)
    path, procs, version = make_group()
    binary = os.environ["IMAGEPROC_BINARY"]
    port = free_port()
    command = f'echo $$ > {procs} && exec "{binary}" serve --host 127.0.0.1 --port {port}'
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
        client = Client(port)
        for _ in range(100):
            try:
                if client.request("GET", "/readyz")[0] == 200:
                    break
            except OSError:
                pass
            time.sleep(0.2)
        created = []
        big, medium = photos["100mp"], photos["48mp"]
        run_mix("four 100 MP to grayscale, one to a 12000 px PNG, 48 MP resized", client,
                [("100 MP grayscale", "op=grayscale", big)] * 4
                + [("100 MP to 12000 px PNG", "op=resize&width=12000&format=png", big)]
                + [("48 MP resized", "op=resize&width=2000", medium)] * 3,
                server, path, version, created)
        run_mix("four 100 MP to grayscale, four to full-size PNG, 48 MP resized", client,
                [("100 MP grayscale", "op=grayscale", big)] * 4 + [("100 MP to PNG", "format=png", big)] * 4
                + [("48 MP resized", "op=resize&width=1200", medium)] * 2,
                server, path, version, created)
        for image_id in created if server.poll() is None else []:
            client.request("DELETE", f"/api/images/{image_id}")
    finally:
        server.terminate()
        server.wait(timeout=30)
        shutil.rmtree(folder, ignore_errors=True)
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
