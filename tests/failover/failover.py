#!/usr/bin/env python3
"""The service survives a PostgreSQL failover: every upload that got a 202 is in the promoted database and ends
`completed`, exactly once.

Run by scripts/failover-test.sh, which starts a primary and a synchronous streaming standby and passes
IMAGEPROC_BINARY, FAILOVER_PG_BINDIR, FAILOVER_PRIMARY_DIR, FAILOVER_STANDBY_DIR, FAILOVER_PRIMARY_PORT,
FAILOVER_STANDBY_PORT and FAILOVER_SERVICE_PORTS (two, comma-separated). Two replicas name both hosts with
target_session_attrs=read-write: one through libpq's PG* variables (as the manifests pass them), one through a
multi-host DATABASE_URL. Four clients upload JPEG fixtures and PNGs, each retrying its upload with one
Idempotency-Key until it is accepted; mid-load the primary is stopped with `-m immediate` and, after a gap in which
uploads get 503, the standby is promoted. Standard library only; the helpers come from tests/chaos/chaos.py.
Prints its figures and exits non-zero on any lost, failed or duplicated job, or on an answer other than 202 and
503 (or a 200 for a retry whose first attempt was stored after all).
"""

import copy
import glob
import os
import signal
import subprocess
import sys
import threading
import time
import uuid

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
PRIMARY_DIR = os.environ["FAILOVER_PRIMARY_DIR"]
STANDBY_DIR = os.environ["FAILOVER_STANDBY_DIR"]
PRIMARY_PORT = int(os.environ["FAILOVER_PRIMARY_PORT"])
STANDBY_PORT = int(os.environ["FAILOVER_STANDBY_PORT"])
SERVICE_PORTS = [int(port) for port in os.environ["FAILOVER_SERVICE_PORTS"].split(",")]
PG_BINDIR = os.environ["FAILOVER_PG_BINDIR"]
HOSTS = f"127.0.0.1:{PRIMARY_PORT},127.0.0.1:{STANDBY_PORT}"
MULTI_HOST_URL = f"postgresql://postgres@{HOSTS}/imageproc?target_session_attrs=read-write"
# After the failover, straight to the promoted standby: the check does not trust libpq's choice of host.
STANDBY_URL = f"postgresql://postgres@127.0.0.1:{STANDBY_PORT}/imageproc"
LOGS = os.path.join(REPO, ".build-tools", "failover-logs")

# chaos.py reads its environment when imported: the multi-host URL, and the primary as the cluster it may stop.
os.environ.update(DATABASE_URL=MULTI_HOST_URL, IMAGEPROC_TEST_CLUSTER=PRIMARY_DIR)
sys.path.insert(0, os.path.join(REPO, "tests", "chaos"))
sys.dont_write_bytecode = True  # no __pycache__ in the source tree
import chaos  # noqa: E402

CLIENTS = 4
ACCEPTED_BEFORE_KILL = 60
ACCEPTED_AFTER_PROMOTION = 60
# Long enough for every replica to notice that no host is writable: uploads get 503 in the meantime.
GAP_SECONDS = 2
RETRY_SECONDS = 60
JPEGS = [open(path, "rb").read() for path in sorted(glob.glob(os.path.join(REPO, "Tests", "**", "Fixtures",
                                                                           "texture-*.jpg"), recursive=True))]
assert JPEGS, "no texture-*.jpg fixtures under Tests/"
UPLOADS = [(body, "image/jpeg") for body in JPEGS] + [(body, "image/png") for body in chaos.IMAGES]


class Replica(chaos.Service):
    """One `imageproc serve` on a fixed port, with the database given by `arguments` and `environment`."""

    def __init__(self, name, port, arguments, environment):
        self.port, self.replica = port, name
        os.makedirs(LOGS, exist_ok=True)
        log = open(os.path.join(LOGS, f"{name}.log"), "wb")
        self.process = subprocess.Popen(
            [chaos.BINARY, "serve", "--host", "127.0.0.1", "--port", str(port), "--replica-id", name,
             "--lease-seconds", str(chaos.LEASE_SECONDS), "--sweep-seconds", "1", "--shutdown-grace-seconds", "10",
             "--web-root", "/nonexistent-imageproc-failover-marker", *arguments],
            stdout=log, stderr=log, env=dict(environment, IMAGEPROC_LOG_LEVEL="info"))
        self.wait_ready()


def replicas(schema):
    """The PG* one (DATABASE_URL removed, so libpq reads only its variables) and the DATABASE_URL one."""
    environment = {key: value for key, value in os.environ.items() if key != "DATABASE_URL"}
    by_variables = dict(environment, PGHOST="127.0.0.1,127.0.0.1", PGPORT=f"{PRIMARY_PORT},{STANDBY_PORT}",
                        PGDATABASE="imageproc", PGUSER="postgres", PGTARGETSESSIONATTRS="read-write",
                        PGOPTIONS=f"-csearch_path={schema.name}")
    return [Replica("failover-pg-variables", SERVICE_PORTS[0], [], by_variables),
            Replica("failover-database-url", SERVICE_PORTS[1], ["--database-url", schema.url], environment)]


def as_cluster_owner(*command):
    """As scripts/lib.sh's as_cluster_owner: PostgreSQL's tools run as `postgres` when we are root."""
    prefix = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []
    subprocess.run(prefix + list(command), check=True, cwd="/", stdout=subprocess.DEVNULL)


class Load:
    """`CLIENTS` threads uploading until stopped. Each upload has an Idempotency-Key of its own and is retried with
    it, on answers 503 and broken connections, until it is accepted: 202, or 200 when an attempt that answered 503
    had been stored after all."""

    def __init__(self, ports):
        self.ports = ports
        self.lock = threading.Lock()
        self.stopping = threading.Event()
        self.accepted = []  # (id, time of the 202, port)
        self.retried = []  # ids answered 200 to a retry
        self.unavailable = []  # (time, status) of each 503 or broken connection (0)
        self.unexpected = []  # (status, body)
        self.threads = [threading.Thread(target=self.client, args=(number,)) for number in range(CLIENTS)]

    def client(self, number):
        index = number
        while not self.stopping.is_set():
            self.upload(self.ports[index % len(self.ports)], index)
            index += CLIENTS

    def upload(self, port, index):
        body, content_type = UPLOADS[index % len(UPLOADS)]
        headers = {"Content-Type": content_type, "Idempotency-Key": f"failover-{uuid.uuid4()}"}
        deadline = time.time() + RETRY_SECONDS
        while True:
            status, answer = chaos.request(port, "POST", "/api/images?op=resize,grayscale&width=120", body, headers)
            job = (answer or {}).get("id")
            with self.lock:
                if status == 202 and job:
                    self.accepted.append((job, time.time(), port))
                    return
                if status == 200 and job:
                    self.retried.append(job)
                    return
                if status not in (0, 503):
                    self.unexpected.append((status, answer))
                    return
                self.unavailable.append((time.time(), status))
            if time.time() > deadline:
                with self.lock:
                    self.unexpected.append((status, f"still unavailable after {RETRY_SECONDS} s"))
                return
            time.sleep(0.1)

    def count_accepted(self, since=0.0, port=None):
        with self.lock:
            return sum(1 for _, at, to in self.accepted if at >= since and port in (None, to))

    def wait_accepted(self, count, since=0.0, timeout=60):
        deadline = time.time() + timeout
        while self.count_accepted(since) < count:
            if time.time() > deadline:
                raise AssertionError(f"only {self.count_accepted(since)} uploads accepted in {timeout} s, "
                                     f"answers other than 202 and 503: {self.unexpected[:5]}")
            time.sleep(0.05)

    def start(self):
        for thread in self.threads:
            thread.start()

    def stop(self):
        self.stopping.set()
        for thread in self.threads:
            thread.join()


def api_statuses(ports, ids):
    """Each job's status as the replicas answer GET /api/images/{id}."""
    statuses = {}
    for index, job in enumerate(ids):
        status, answer = chaos.request(ports[index % len(ports)], "GET", f"/api/images/{job}")
        statuses[job] = (answer or {}).get("status") if status == 200 else f"HTTP {status}"
    return statuses


def failover():
    started = time.time()
    schema = chaos.Schema("failover")
    services = []
    load = None
    try:
        services = replicas(schema)
        schema.install_completion_audit()
        load = Load([service.port for service in services])
        load.start()
        load.wait_accepted(ACCEPTED_BEFORE_KILL)

        killed = time.time()
        chaos.cluster_ctl("stop", PRIMARY_DIR, "immediate")
        time.sleep(GAP_SECONDS)
        promoting = time.time()
        as_cluster_owner(os.path.join(PG_BINDIR, "pg_ctl"), "-D", os.path.join(STANDBY_DIR, "data"), "-w", "-t", "60",
                         "promote")
        promoted = time.time()
        # The standby takes writes before `pg_ctl promote -w` has seen it: count from the command's start.
        load.wait_accepted(1, since=promoting)
        first = min(at for _, at, _ in load.accepted if at >= promoting)
        load.wait_accepted(ACCEPTED_AFTER_PROMOTION, since=promoting)
        load.stop()

        ids = [job for job, _, _ in load.accepted] + load.retried
        assert not load.unexpected, f"answers other than 202 and 503: {load.unexpected[:5]}"
        # Straight to the promoted standby, with the scenario's schema.
        direct = copy.copy(schema)
        direct.url = f"{STANDBY_URL}?options=-csearch_path%3D{schema.name}"
        assert chaos.psql(STANDBY_URL, "SELECT pg_is_in_recovery()") == "f", "the standby is still in recovery"
        missing = sorted(set(ids) - set(direct.statuses(ids)))
        assert not missing, f"{len(missing)} accepted jobs are not in the promoted database, e.g. {missing[:5]}"
        completion = chaos.wait_all_completed(direct, ids, timeout=60)
        listed = ",".join(f"'{job}'" for job in ids)

        def count(condition):
            return int(chaos.psql(direct.url, f"SELECT count(*) FROM processed_images WHERE id IN ({listed}) AND "
                                              + condition))

        with_result = count("status = 'completed' AND processed_bytes > 0 "
                            "AND length(processed_data) = processed_bytes")
        unfinished = count(f"extract(epoch FROM uploaded_at) < {killed} "
                           f"AND extract(epoch FROM processed_at) > {killed}")
        rerun = count("attempts > 1")
        through_api = api_statuses(SERVICE_PORTS, ids)
        not_completed = {job: status for job, status in through_api.items() if status != "completed"}
        duplicated = direct.duplicated()
        answered_503 = sum(1 for _, status in load.unavailable if status == 503)
        # 202s read after `pg_ctl stop` began: uploads the primary had committed, and the standby flushed, before.
        late = [at - killed for _, at, _ in load.accepted if killed <= at < promoting]
        before = sum(1 for _, at, _ in load.accepted if at < killed)
        after = {service.replica: load.count_accepted(promoting, service.port) for service in services}
        alive = [service.replica for service in services if service.process.poll() is None]

        print(f"failover: 202 {len(load.accepted)}: before the kill {before}, "
              f"read after it began {len(late)} (within {max(late, default=0):.2f} s), after the promotion {after}; "
              f"200 to a retry whose first attempt was stored {len(load.retried)}", flush=True)
        print(f"failover: during the gap 503 {answered_503}, broken connections {len(load.unavailable) - answered_503}"
              f" (before the kill {sum(1 for at, _ in load.unavailable if at < killed)}); promote took "
              f"{promoted - promoting:.2f} s; first 202 {first - promoting:.2f} s after the promotion began, "
              f"{first - killed:.2f} s after the kill ({GAP_SECONDS} s of it the test's wait)", flush=True)
        print(f"failover: in the promoted database {len(ids)} of {len(ids)}, completed with a result {with_result} "
              f"({completion:.1f} s after the load), completed through the API {len(ids) - len(not_completed)}, "
              f"duplicated {duplicated}; unfinished at the kill {unfinished}, run again after their lease {rerun}; "
              f"{time.time() - started:.1f} s", flush=True)
        assert with_result == len(ids), f"{len(ids) - with_result} completed jobs without a result"
        assert not not_completed, f"the API answers otherwise: {dict(list(not_completed.items())[:5])}"
        assert duplicated == 0, f"{duplicated} jobs completed twice"
        assert all(after.values()), f"a replica accepted nothing after the promotion: {after}"
        assert len(alive) == len(services), f"replicas died: {set(s.replica for s in services) - set(alive)}"
    finally:
        if load:
            load.stop()
        for service in services:
            service.stop()


if __name__ == "__main__":
    # scripts/failover-test.sh ends this with SIGTERM: stop the replicas on the way out.
    def terminated(*_):
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        sys.exit(143)

    signal.signal(signal.SIGTERM, terminated)
    try:
        failover()
    except Exception as error:
        print(f"failover: FAILED: {error} (the replicas' logs are in {LOGS})", flush=True)
        sys.exit(1)
    print("failover: passed")
