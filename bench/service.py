#!/usr/bin/env python3
"""The service part of `make bench`: the running service (release build, 4 workers, real PostgreSQL) under
concurrent uploads of the photo set, next to `imageproc process --threads 2` on the same files.

For resize (800 wide) and grayscale: images/s through the HTTP API (upload -> completed, 8 concurrent clients),
p50/p99 upload-to-completed latency, and the service's peak RSS (VmHWM), each job type on a fresh process, several
interleaved repetitions (medians; the RSS is the worst). Where the CPU went, per image: the service, PostgreSQL
(when it runs on this machine: its server processes, from /proc), this load generator, and `process` itself.
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
import threading
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


# Each client thread keeps one connection open, as browsers and HTTP libraries do.
connections = threading.local()


def call(port, method, path, body=None, headers=None):
    """One request on this thread's kept-alive connection (opened again if the server closed it)."""
    for attempt in range(2):
        connection = getattr(connections, "by_port", {}).get(port)
        if connection is None:
            connection = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
            connections.by_port = {**getattr(connections, "by_port", {}), port: connection}
        try:
            connection.request(method, path, body=body, headers=headers or {})
            response = connection.getresponse()
            data = response.read()
        except (http.client.RemoteDisconnected, ConnectionError):
            connection.close()
            del connections.by_port[port]
            if attempt == 1:
                raise
            continue
        if response.will_close:
            connection.close()
            del connections.by_port[port]
        return response.status, json.loads(data) if data else None


def peak_rss_mib(pid):
    for line in pathlib.Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def clock_ticks_seconds(ticks):
    return ticks / os.sysconf("SC_CLK_TCK")


def process_cpu_ticks(pid, children=False):
    """utime + stime of `pid` (and, with `children`, of its reaped children), in clock ticks; 0 once it is gone."""
    try:
        fields = pathlib.Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0
    # After the command name: state is field 0, so utime/stime are 11/12 and cutime/cstime 13/14.
    return int(fields[11]) + int(fields[12]) + (int(fields[13]) + int(fields[14]) if children else 0)


def postmaster_pid(url):
    """The PostgreSQL postmaster serving `url` if it runs on this machine, else None."""
    result = subprocess.run(
        ["psql", "-X", "-At", url, "-c", "SELECT pid FROM pg_stat_activity WHERE backend_type = 'checkpointer'"],
        capture_output=True, text=True)
    try:
        checkpointer = int(result.stdout.split()[0])
        return int(pathlib.Path(f"/proc/{checkpointer}/stat").read_text().rsplit(")", 1)[1].split()[1])
    except (IndexError, ValueError, OSError):
        return None


def postgres_cpu_ticks(postmaster):
    """CPU ticks of the whole PostgreSQL server: the postmaster, its live children, and the children it reaped
    (a backend that exits moves its time into the postmaster's cutime, so differences stay right)."""
    if postmaster is None:
        return 0
    total = process_cpu_ticks(postmaster, children=True)
    for stat in pathlib.Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == postmaster:
            total += int(fields[11]) + int(fields[12])
    return total


def machine_busy_ticks():
    fields = [int(value) for value in pathlib.Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    return sum(fields) - fields[3] - fields[4]  # all but idle and iowait


def one_job(port, query, photo):
    started = time.perf_counter()
    status, body = call(port, "POST", f"/api/images?{query}", photo, {"Content-Type": "image/jpeg"})
    assert status == 202, f"upload answered {status}: {body}"
    while True:
        status, body = call(port, "GET", f"/api/images/{body['id']}?wait=30")
        if body["status"] in ("completed", "failed"):
            assert body["status"] == "completed", body
            return time.perf_counter() - started


def serve_and_load(binary, url, photos, job, clients, passes, postmaster):
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
        before = (process_cpu_ticks(server.pid), postgres_cpu_ticks(postmaster), os.times(), machine_busy_ticks())
        started = time.perf_counter()
        with concurrent.futures.ThreadPoolExecutor(clients) as pool:
            latencies = list(pool.map(lambda photo: one_job(port, JOBS[job], photo), work))
        elapsed = time.perf_counter() - started
        after = (process_cpu_ticks(server.pid), postgres_cpu_ticks(postmaster), os.times(), machine_busy_ticks())
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
        # CPU seconds per image: the service, PostgreSQL, this client, and the whole machine.
        "cpu_service": clock_ticks_seconds(after[0] - before[0]) / len(work),
        "cpu_postgres": clock_ticks_seconds(after[1] - before[1]) / len(work),
        "cpu_client": (after[2].user + after[2].system - before[2].user - before[2].system) / len(work),
        "cpu_machine": clock_ticks_seconds(after[3] - before[3]) / len(work),
    }


def process_rate(binary, files, job, passes):
    """Images/s of `imageproc process --threads 2`, `passes` times over `files`, and its CPU seconds per image."""
    with tempfile.TemporaryDirectory() as output:
        before = os.times()
        started = time.perf_counter()
        for _ in range(passes):
            subprocess.run([binary, "process", *PROCESS_ARGS[job], "--threads", "2", "-o", output, *files],
                           check=True, stdout=subprocess.DEVNULL)
        elapsed = time.perf_counter() - started
        after = os.times()
        count = passes * len(files)
        cpu = after.children_user + after.children_system - before.children_user - before.children_system
        return {"images_per_second": count / elapsed, "cpu": cpu / count}


def median_run(runs, key):
    return statistics.median(run[key] for run in runs)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--imageproc", required=True)
    parser.add_argument("--photos", required=True)
    parser.add_argument("--clients", type=int, default=8)
    # 160 jobs a run: long enough that the ramp-up and the drain at the end (one core idle while the last large
    # photo finishes) weigh little, as they would not in a service that runs for days.
    parser.add_argument("--passes", type=int, default=10)
    parser.add_argument("--reps", type=int, default=3)
    parser.add_argument("--out", default=os.path.join(os.path.dirname(__file__), "results", "service.md"))
    arguments = parser.parse_args()
    url = os.environ["DATABASE_URL"]
    postmaster = postmaster_pid(url)
    files = sorted(str(p) for p in pathlib.Path(arguments.photos).glob("*.jpg"))
    photos = [pathlib.Path(f).read_bytes() for f in files]
    rows = []
    for job in JOBS:
        directs, services = [], []
        for _ in range(arguments.reps):
            directs.append(process_rate(arguments.imageproc, files, job, arguments.passes))
            services.append(serve_and_load(arguments.imageproc, url, photos, job, arguments.clients,
                                           arguments.passes, postmaster))
            print(f"{job}: service {services[-1]['images_per_second']:.2f} img/s, process --threads 2 "
                  f"{directs[-1]['images_per_second']:.2f} img/s, peak RSS {services[-1]['peak_rss_mib']:.0f} MiB",
                  flush=True)
        service = {key: median_run(services, key) for key in services[0]}
        service["peak_rss_mib"] = max(run["peak_rss_mib"] for run in services)
        direct = {key: median_run(directs, key) for key in directs[0]}
        rows.append((job, service, direct, service["images_per_second"] / direct["images_per_second"]))
    lines = [
        "# imageproc service benchmark", "",
        f"{len(files)} photos x {arguments.passes} passes a run, {arguments.clients} concurrent clients (upload, then "
        f"`?wait=30` until completed), release build, 4 workers, PostgreSQL on the same machine; medians of "
        f"{arguments.reps} interleaved runs, the worst peak RSS; load average "
        f"{open('/proc/loadavg').read().split()[0]} at the end.", "",
        "| job | service images/s | `process --threads 2` images/s | ratio (target >= 0.85) | p50 | p99 | "
        "peak RSS (target <= 400 MiB) |",
        "|---|---:|---:|---:|---:|---:|---:|",
    ]
    for job, service, direct, ratio in rows:
        lines.append(f"| {job} | {service['images_per_second']:.2f} | {direct['images_per_second']:.2f} | "
                     f"{ratio:.2f} | {service['p50'] * 1000:.0f} ms | {service['p99'] * 1000:.0f} ms | "
                     f"{service['peak_rss_mib']:.0f} MiB |")
    measured = "measured" if postmaster else "not measured (not on this machine)"
    lines += [
        "", f"CPU milliseconds per image (PostgreSQL {measured}; the machine has 2 cores, so 2000 ms of CPU a second):",
        "", "| job | `process --threads 2` | service | PostgreSQL | load generator | whole machine during the run |",
        "|---|---:|---:|---:|---:|---:|",
    ]
    for job, service, direct, _ in rows:
        lines.append(f"| {job} | {direct['cpu'] * 1000:.1f} | {service['cpu_service'] * 1000:.1f} | "
                     f"{service['cpu_postgres'] * 1000:.1f} | {service['cpu_client'] * 1000:.1f} | "
                     f"{service['cpu_machine'] * 1000:.1f} |")
    if postmaster:
        # With PostgreSQL and the clients on the same cores, a service that cost no more CPU than `process` could
        # at best reach process / (process + PostgreSQL + clients), whatever it did.
        bounds = ", ".join(
            f"{job} {direct['cpu'] / (direct['cpu'] + service['cpu_postgres'] + service['cpu_client']):.2f}"
            for job, service, direct, _ in rows)
        lines += ["", "The ratio a service adding nothing to `process` could reach with PostgreSQL and the clients on "
                  f"these cores (process / (process + PostgreSQL + load generator), CPU per image): {bounds}."]
    os.makedirs(os.path.dirname(arguments.out), exist_ok=True)
    pathlib.Path(arguments.out).write_text("\n".join(lines) + "\n")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
