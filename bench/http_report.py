#!/usr/bin/env python3
"""The table of bench/http.sh: median requests/s and p99 per server and connection count over the alternating runs,
and imageproc's ratio to the Hummingbird peer. argv[1]: lines of `connections server run rps p99_ms`."""
import statistics
import sys

rows = [line.split() for line in open(sys.argv[1]) if line.strip()]
servers = ["hummingbird", "imageproc-warning", "imageproc-info"]
print("\n| connections | server | req/s (median) | p99 ms (median) | ratio to Hummingbird |")
print("| ---: | --- | ---: | ---: | ---: |")
for connections in sorted({int(r[0]) for r in rows}):
    def median(server, column):
        values = [float(r[column]) for r in rows if int(r[0]) == connections and r[1] == server]
        return statistics.median(values) if values else float("nan")
    peer = median("hummingbird", 3)
    for server in servers:
        rps = median(server, 3)
        print(f"| {connections} | {server} | {rps:,.0f} | {median(server, 4):.2f} | {rps / peer:.2f}× |")
