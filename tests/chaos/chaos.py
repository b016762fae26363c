#!/usr/bin/env python3
"""Durability tests with real processes: every upload that got a 202 ends `completed`, exactly once, whatever
happens to the service or the database.

Run by scripts/chaos.sh, which provides DATABASE_URL, IMAGEPROC_BINARY and IMAGEPROC_TEST_CLUSTER (a throwaway
cluster these tests may stop and restart). Standard library only. Each scenario prints its figures and fails
(non-zero exit) on any lost or duplicated job.
"""

import concurrent.futures
import http.client
import json
import os
import random
import signal
import socket
import struct
import subprocess
import sys
import threading
import time
import uuid
import zlib

BINARY = os.environ["IMAGEPROC_BINARY"]
DATABASE_URL = os.environ["DATABASE_URL"]
CLUSTER = os.environ["IMAGEPROC_TEST_CLUSTER"]
REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
LOGS = os.environ.get("IMAGEPROC_CHAOS_LOGS", os.path.join(REPO, ".build-tools", "chaos-logs"))
LEASE_SECONDS = 5


def png(width, height, seed):
    """An RGB PNG with noise in it, so that encoding it takes the kernel some real time."""
    rng = random.Random(seed)
    rows = []
    for y in range(height):
        row = bytearray([0])
        for x in range(width):
            row += bytes(((x * 255 // width) ^ rng.randrange(32), (y * 255 // height), rng.randrange(256)))
        rows.append(bytes(row))
    def chunk(kind, data):
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(b"".join(rows), 1)) + chunk(b"IEND", b"")


IMAGES = [png(640, 480, seed) for seed in range(4)]


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def psql(url, sql):
    result = subprocess.run(["psql", "-X", "-q", "-tA", "-v", "ON_ERROR_STOP=1", url, "-c", sql],
                            check=True, capture_output=True, text=True)
    return result.stdout.strip()


class Schema:
    """A schema of its own for one scenario; every connection of the services under test uses it."""

    def __init__(self, name):
        self.name = f"chaos_{name}_{uuid.uuid4().hex[:8]}"
        psql(DATABASE_URL, f"CREATE SCHEMA {self.name}")
        separator = "&" if "?" in DATABASE_URL else "?"
        self.url = f"{DATABASE_URL}{separator}options=-csearch_path%3D{self.name}"

    def install_completion_audit(self):
        """Records every transition to `completed`: a job completed twice would show two rows."""
        psql(self.url, """
            CREATE TABLE completions (id uuid, attempt int, at timestamptz DEFAULT clock_timestamp());
            CREATE FUNCTION note_completion() RETURNS trigger LANGUAGE plpgsql AS $$
                BEGIN INSERT INTO completions VALUES (NEW.id, NEW.attempts); RETURN NEW; END $$;
            CREATE TRIGGER note_completion AFTER UPDATE OF status ON processed_images FOR EACH ROW
                WHEN (NEW.status = 'completed' AND OLD.status IS DISTINCT FROM 'completed')
                EXECUTE FUNCTION note_completion();
        """)

    def statuses(self, ids):
        if not ids:
            return {}
        rows = psql(self.url, "SELECT id, status FROM processed_images WHERE id IN (%s)"
                    % ",".join(f"'{i}'" for i in ids))
        return dict(line.split("|") for line in rows.splitlines() if line)

    def duplicated(self):
        return int(psql(self.url, "SELECT count(*) FROM (SELECT id FROM completions GROUP BY id HAVING count(*) > 1) d"))

    def drop(self):
        psql(DATABASE_URL, f"DROP SCHEMA {self.name} CASCADE")


class Service:
    """One `imageproc serve` process."""

    def __init__(self, schema, replica, grace=10):
        self.port = free_port()
        self.replica = replica
        os.makedirs(LOGS, exist_ok=True)
        log = open(os.path.join(LOGS, f"{replica}.log"), "ab")
        environment = dict(os.environ, IMAGEPROC_LOG_LEVEL="warning")
        self.process = subprocess.Popen(
            [BINARY, "serve", "--host", "127.0.0.1", "--port", str(self.port), "--replica-id", replica,
             "--lease-seconds", str(LEASE_SECONDS), "--sweep-seconds", "1", "--shutdown-grace-seconds", str(grace),
             "--database-url", schema.url, "--web-root", "/nonexistent-imageproc-chaos-marker"],
            stdout=log, stderr=log, env=environment)
        self.wait_ready()

    def wait_ready(self, timeout=30):
        deadline = time.time() + timeout
        while time.time() < deadline:
            if self.process.poll() is not None:
                raise AssertionError(f"{self.replica} exited with {self.process.returncode} while starting")
            if request(self.port, "GET", "/readyz")[0] == 200:
                return
            time.sleep(0.1)
        raise AssertionError(f"{self.replica} not ready after {timeout} s")

    def kill(self):
        self.process.send_signal(signal.SIGKILL)
        self.process.wait()

    def terminate(self):
        self.process.send_signal(signal.SIGTERM)

    def stop(self):
        if self.process.poll() is None:
            self.terminate()
            self.process.wait(timeout=60)


def request(port, method, path, body=None, headers=None, timeout=30):
    """(status, parsed JSON or None); status 0 when the connection failed."""
    try:
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
        connection.request(method, path, body=body, headers=headers or {})
        response = connection.getresponse()
        data = response.read()
        connection.close()
        try:
            return response.status, json.loads(data) if data else None
        except ValueError:
            return response.status, None
    except (OSError, http.client.HTTPException):
        return 0, None


def upload(port, index, key=None):
    headers = {"Content-Type": "image/png"}
    if key:
        headers["Idempotency-Key"] = key
    status, body = request(port, "POST", "/api/images?op=resize,grayscale&width=320", IMAGES[index % len(IMAGES)],
                           headers)
    return status, (body or {}).get("id")


def wait_all_completed(schema, ids, timeout=120):
    """Seconds until every id is completed; raises with the stragglers if the time runs out."""
    started = time.time()
    while True:
        statuses = schema.statuses(ids)
        pending = [i for i in ids if statuses.get(i) != "completed"]
        if not pending:
            return time.time() - started
        if time.time() - started > timeout:
            sample = {i: statuses.get(i, "missing") for i in pending[:5]}
            raise AssertionError(f"{len(pending)} accepted jobs not completed after {timeout} s, e.g. {sample}")
        time.sleep(0.5)


def report(name, accepted, schema, ids, recovery, extra=""):
    statuses = schema.statuses(ids)
    completed = sum(1 for i in ids if statuses.get(i) == "completed")
    failed = sum(1 for i in ids if statuses.get(i) == "failed")
    lost = len(ids) - completed - failed
    duplicated = schema.duplicated()
    print(f"{name}: accepted {accepted}, completed {completed}, failed {failed}, lost {lost}, "
          f"duplicated {duplicated}, recovery {recovery:.1f} s{extra}", flush=True)
    assert lost == 0 and duplicated == 0 and failed == 0, f"{name}: lost, duplicated or failed jobs"


def load(ports, count, stop_after=None, on_threshold=None, threads=8):
    """Uploads `count` images over `threads` connections spread across `ports`; calls `on_threshold` once when
    `stop_after` uploads were accepted. Returns (accepted ids, statuses seen)."""
    accepted, seen, lock = [], [], threading.Lock()
    fired = threading.Event()

    def one(index):
        status, job = upload(ports[index % len(ports)], index)
        with lock:
            seen.append(status)
            if status == 202 and job:
                accepted.append(job)
            trigger = stop_after is not None and len(accepted) >= stop_after and not fired.is_set()
            if trigger:
                fired.set()
        if trigger and on_threshold:
            on_threshold()

    with concurrent.futures.ThreadPoolExecutor(threads) as pool:
        list(pool.map(one, range(count)))
    return accepted, seen


def crash():
    schema = Schema("crash")
    service = Service(schema, "crash-a")
    schema.install_completion_audit()
    accepted, _ = load([service.port], 240, stop_after=100, on_threshold=service.kill)
    restarted = time.time()
    service = Service(schema, "crash-a")
    wait_all_completed(schema, accepted)
    recovery = time.time() - restarted
    attempts = psql(schema.url, "SELECT max(attempts) FROM processed_images")
    report("crash (kill -9, restart)", len(accepted), schema, accepted, recovery, f", max attempts {attempts}")
    service.stop()
    schema.drop()


def two_replicas():
    schema = Schema("replicas")
    a, b = Service(schema, "replica-a"), Service(schema, "replica-b")
    schema.install_completion_audit()
    killed = {}

    def kill_a():
        a.kill()
        killed["at"] = time.time()

    accepted, _ = load([a.port, b.port], 240, stop_after=100, on_threshold=kill_a)
    wait_all_completed(schema, accepted, timeout=LEASE_SECONDS * 6 + 60)
    recovered = time.time() - killed["at"]
    report("two replicas (kill -9 one)", len(accepted), schema, accepted, recovered)
    b.stop()
    schema.drop()


def cluster_ctl(*arguments):
    subprocess.run([os.path.join(REPO, "scripts", "cluster-ctl.sh"), *arguments, ], check=True,
                   stdout=subprocess.DEVNULL)


def database_restart():
    schema = Schema("restart")
    service = Service(schema, "restart-a")
    schema.install_completion_audit()
    accepted, seen = [], []

    # The database away entirely: uploads 503 at once; readiness 503 within a few seconds (it reads a probe of its
    # own, which notices a server that ends its session at once and one that stops answering within 3 s).
    cluster_ctl("stop", CLUSTER, "fast")
    down_status, down_body = upload(service.port, 0)
    stopped = time.time()
    ready_down = request(service.port, "GET", "/readyz")[0]
    while ready_down != 503 and time.time() - stopped < 4:
        time.sleep(0.05)
        ready_down = request(service.port, "GET", "/readyz")[0]
    ready_gone = time.time() - stopped
    cluster_ctl("start", CLUSTER)
    back = time.time()
    while request(service.port, "GET", "/readyz")[0] != 200:
        assert time.time() - back < 30, "readiness did not come back"
        time.sleep(0.2)
    ready_again = time.time() - back
    assert down_status == 503 and ready_down == 503, f"database down: upload {down_status}, readyz {ready_down}"

    # Restarts under load, fast and immediate.
    for mode in ("fast", "immediate"):
        restarter = threading.Timer(1.0, cluster_ctl, args=("restart", CLUSTER, mode))
        restarter.start()
        ids, statuses = load([service.port], 120, threads=4)
        restarter.join()
        accepted += ids
        seen += statuses
    unexpected = sorted({s for s in seen if s not in (202, 503)})
    recovery = wait_all_completed(schema, accepted)
    report("database restart (stop/start, restart -m fast, -m immediate)", len(accepted), schema, accepted, recovery,
           f", 503 answers {seen.count(503)}, readiness gone in {ready_gone:.2f} s and back in {ready_again:.1f} s"
           f", other statuses {unexpected}")
    assert not unexpected, f"uploads answered {unexpected} during restarts"
    assert service.process.poll() is None, "the service died with the database"
    service.stop()
    schema.drop()


def sigterm():
    schema = Schema("sigterm")
    service = Service(schema, "term-a", grace=10)
    schema.install_completion_audit()
    timing = {}

    def terminate():
        timing["at"] = time.time()
        service.terminate()

    accepted, _ = load([service.port], 200, stop_after=120, on_threshold=terminate)
    code = service.process.wait(timeout=60)
    took = time.time() - timing["at"]
    processing = int(psql(schema.url, "SELECT count(*) FROM processed_images WHERE status = 'processing'"))
    held = int(psql(schema.url, "SELECT count(*) FROM processed_images WHERE status = 'queued' AND locked_by IS NOT NULL"))
    assert code == 0, f"exit status {code} after SIGTERM"
    assert took < 10 + 5, f"took {took:.1f} s to stop"
    assert processing == 0 and held == 0, f"{processing} left processing, {held} still held after shutdown"
    second = Service(schema, "term-b")
    recovery = wait_all_completed(schema, accepted)
    report("SIGTERM mid-load", len(accepted), schema, accepted, recovery,
           f", exit {code} after {took:.1f} s, left processing {processing}")
    second.stop()
    schema.drop()


def idempotency():
    schema = Schema("idempotency")
    service = Service(schema, "idem-a")
    key = f"key-{uuid.uuid4()}"
    with concurrent.futures.ThreadPoolExecutor(10) as pool:
        results = list(pool.map(lambda _: upload(service.port, 0, key=key), range(10)))
    rows = int(psql(schema.url, f"SELECT count(*) FROM processed_images WHERE idempotency_key = '{key}'"))
    ids = {job for _, job in results if job}
    statuses = sorted(status for status, _ in results)
    print(f"idempotency (10 concurrent, one key): rows {rows}, distinct ids {len(ids)}, statuses {statuses}",
          flush=True)
    assert rows == 1 and len(ids) == 1 and set(statuses) <= {200, 202}, "a repeated key made another job"
    different = request(service.port, "POST", "/api/images", IMAGES[1], {"Content-Type": "image/png",
                                                                          "Idempotency-Key": key})[0]
    assert different == 422, f"a reused key with another image answered {different}"
    service.stop()
    schema.drop()


SCENARIOS = {"crash": crash, "replicas": two_replicas, "restart": database_restart, "sigterm": sigterm,
             "idempotency": idempotency}

if __name__ == "__main__":
    chosen = sys.argv[1:] or list(SCENARIOS)
    passed = failed = 0
    for name in chosen:
        try:
            SCENARIOS[name]()
            passed += 1
        except Exception as error:  # report every scenario, then fail the run
            failed += 1
            print(f"{name}: FAILED: {error}", flush=True)
            subprocess.run(["pkill", "-f", "imageproc-chaos-marker"])
    print(f"chaos: {passed} passed, {failed} failed")
    sys.exit(1 if failed else 0)
