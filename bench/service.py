#!/usr/bin/env python3
"""The service part of `make bench`: the running service (release build, 4 workers, real PostgreSQL) under
concurrent uploads of the photo set, next to `imageproc process --threads 2` on the same files.

For resize (800 wide) and grayscale: images/s through the HTTP API (upload -> completed, 8 concurrent clients),
p50/p99 upload-to-completed latency, and the service's peak RSS (VmHWM), each job type on a fresh process.
Standard library only. Writes bench/results/service.md.
"""

import argparse
import concurrent.futures
import http.client
import json
import os
import pathlib
import socket
import statistics
import subprocess
import tempfile
import time
import uuid

JOBS = {"resize": "op=resize&width=800", "grayscale": "op=grayscale"}
PROCESS_ARGS = {"resize": ["--op", "resize", "--width", "800"], "grayscale": ["--op", "grayscale"]}


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def psql(url, sql):
    subprocess.run(["psql", "-X", "-q", "-v", "ON_ERROR_STOP=1", url, "-c", sql], check=True, capture_output=True)


def call(port, method, path, body=None, headers=None):
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
    connection.request(method, path, body=body, headers=headers or {})
    response = connection.getresponse()
    data = response.read()
    connection.close()
    return response.status, json.loads(data) if data else None


def peak_rss_mib(pid):
    for line in pathlib.Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def one_job(port, query, photo):
    started = time.perf_counter()
    status, body = call(port, "POST", f"/api/images?{query}", photo, {"Content-Type": "image/jpeg"})
    assert status == 202, f"upload answered {status}: {body}"
    while True:
        status, body = call(port, "GET", f"/api/images/{body['id']}?wait=30")
        if body["status"] in ("completed", "failed"):
            assert body["status"] == "completed", body
            return time.perf_counter() - started


def serve_and_load(binary, url, photos, job, clients, passes):
    schema = f"bench_{uuid.uuid4().hex[:8]}"
    psql(url, f"CREATE SCHEMA {schema}")
    separator = "&" if "?" in url else "?"
    port = free_port()
    server = subprocess.Popen(
        [binary, "serve", "--host", "127.0.0.1", "--port", str(port), "--workers", "4", "--log-level", "warning",
         "--database-url", f"{url}{separator}options=-csearch_path%3D{schema}", "--web-root", "/nonexistent"],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.time() + 30
        while True:
            try:
                if call(port, "GET", "/readyz")[0] == 200:
                    break
            except OSError:
                pass
            assert time.time() < deadline, "the service did not become ready"
            time.sleep(0.1)
        work = [photo for _ in range(passes) for photo in photos]
        started = time.perf_counter()
        with concurrent.futures.ThreadPoolExecutor(clients) as pool:
            latencies = list(pool.map(lambda photo: one_job(port, JOBS[job], photo), work))
        elapsed = time.perf_counter() - started
        rss = peak_rss_mib(server.pid)
    finally:
        server.terminate()
        server.wait(timeout=60)
        psql(url, f"DROP SCHEMA {schema} CASCADE")
    latencies.sort()
    return {
        "images_per_second": len(work) / elapsed,
        "p50": statistics.median(latencies),
        "p99": latencies[min(len(latencies) - 1, int(round(0.99 * (len(latencies) - 1))))],
        "peak_rss_mib": rss,
        "jobs": len(work),
    }


def process_rate(binary, files, job, passes):
    with tempfile.TemporaryDirectory() as output:
        started = time.perf_counter()
        for _ in range(passes):
            subprocess.run([binary, "process", *PROCESS_ARGS[job], "--threads", "2", "-o", output, *files],
                           check=True, stdout=subprocess.DEVNULL)
        return passes * len(files) / (time.perf_counter() - started)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--imageproc", required=True)
    parser.add_argument("--photos", required=True)
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--passes", type=int, default=3)
    parser.add_argument("--out", default=os.path.join(os.path.dirname(__file__), "results", "service.md"))
    arguments = parser.parse_args()
    url = os.environ["DATABASE_URL"]
    files = sorted(str(p) for p in pathlib.Path(arguments.photos).glob("*.jpg"))
    photos = [pathlib.Path(f).read_bytes() for f in files]
    rows = []
    for job in JOBS:
        direct = process_rate(arguments.imageproc, files, job, arguments.passes)
        service = serve_and_load(arguments.imageproc, url, photos, job, arguments.clients, arguments.passes)
        ratio = service["images_per_second"] / direct
        rows.append((job, service, direct, ratio))
        print(f"{job}: service {service['images_per_second']:.2f} img/s, process --threads 2 {direct:.2f} img/s, "
              f"ratio {ratio:.2f}, p50 {service['p50'] * 1000:.0f} ms, p99 {service['p99'] * 1000:.0f} ms, "
              f"peak RSS {service['peak_rss_mib']:.0f} MiB", flush=True)
    lines = [
        "# imageproc service benchmark", "",
        f"{len(files)} photos x {arguments.passes} passes, {arguments.clients} concurrent clients (upload, then "
        f"`?wait=30` until completed), release build, 4 workers, PostgreSQL on the same machine; load average "
        f"{open('/proc/loadavg').read().split()[0]} at the end.", "",
        "| job | service images/s | `process --threads 2` images/s | ratio (target >= 0.85) | p50 | p99 | peak RSS (target <= 400 MiB) |",
        "|---|---:|---:|---:|---:|---:|---:|",
    ]
    for job, service, direct, ratio in rows:
        lines.append(f"| {job} | {service['images_per_second']:.2f} | {direct:.2f} | {ratio:.2f} | "
                     f"{service['p50'] * 1000:.0f} ms | {service['p99'] * 1000:.0f} ms | "
                     f"{service['peak_rss_mib']:.0f} MiB |")
    os.makedirs(os.path.dirname(arguments.out), exist_ok=True)
    pathlib.Path(arguments.out).write_text("\n".join(lines) + "\n")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
