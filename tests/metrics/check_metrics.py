#!/usr/bin/env python3
"""Parses a live /metrics with prometheus_client's own text parser (not ours) after real traffic, and checks that
the counters moved. Usage: check_metrics.py BASE_URL"""

import sys
import urllib.request

from prometheus_client.parser import text_string_to_metric_families

base = sys.argv[1]
with urllib.request.urlopen(f"{base}/metrics") as response:
    content_type = response.headers["Content-Type"]
    text = response.read().decode()
assert content_type.startswith("text/plain; version=0.0.4"), content_type

families = {family.name: family for family in text_string_to_metric_families(text)}


def samples(name, **labels):
    family = families[name]
    return [s for s in family.samples if all(s.labels.get(k) == v for k, v in labels.items())]


uploads = sum(s.value for s in samples("imageproc_http_requests", route="/api/images", status="202")
              if s.name.endswith("_total"))
completed = sum(s.value for s in samples("imageproc_jobs", status="completed") if s.name.endswith("_total"))
routes = {s.labels["route"] for s in samples("imageproc_http_requests") if "route" in s.labels}
assert uploads > 0, "no upload counted"
assert completed > 0, "no completed job counted"
assert all(r.startswith("/") and len(r) < 40 or r == "unmatched" for r in routes), routes
assert "/api/images/{id}" in routes, routes
assert families["imageproc_http_request_duration_seconds"].type == "histogram"
assert families["imageproc_job_duration_seconds"].type == "histogram"
for name in ("imageproc_queue_depth", "imageproc_workers_busy", "process_resident_memory_bytes", "process_open_fds",
             "process_start_time_seconds", "imageproc_db_errors", "imageproc_bytes_in", "imageproc_bytes_out"):
    assert name in families, f"{name} missing"
print(f"metrics: {len(families)} families parsed, uploads counted {uploads:.0f}, completed jobs {completed:.0f}, "
      f"routes {sorted(routes)}")
print("metrics check: 1 passed, 0 failed")
