#!/usr/bin/env bash
# make bench-http: imageproc's own HTTP/1.1 server against a Hummingbird 2 (SwiftNIO) hello-world answering the same
# request (GET /healthz; ours `{"status":"ok"}`, the peer's `ok`), both release builds, wrk on the same two cores,
# runs alternating between the servers. Ours runs at --log-level warning (no line per request, as the peer writes
# none) and at the default info, to show what the request log costs. Prints requests/s and p99 latency at 32 and
# 256 connections, and our ratio to the peer. /healthz touches no database: the service is given an unreachable one.
# Environment: RUNS (alternations, default 3), DURATION (seconds per run, default 10).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(dirname "$here")
# shellcheck source=scripts/lib.sh
source "$root/scripts/lib.sh"
"$root/scripts/deps.sh" wrk
runs="${RUNS:-3}"
duration="${DURATION:-10}"

swift build -c release --static-swift-stdlib --product imageproc --scratch-path "$root/.build-static"
swift build -c release --package-path "$here/hummingbird-peer" --scratch-path "$root/.build-hummingbird"
ours="$root/.build-static/release/imageproc"
peer="$root/.build-hummingbird/release/hello"

server_pid=""
# shellcheck disable=SC2329 # invoked by the EXIT trap
stop_server() {
    if [[ -n "$server_pid" ]]; then
        kill "$server_pid" 2>/dev/null || true
        wait "$server_pid" 2>/dev/null || true
    fi
    server_pid=""
}
trap stop_server EXIT

# Starts one server on a free port and waits until /healthz answers; prints the port.
start_server() {
    local name="$1" port
    port="$(free_port)"
    case "$name" in
        hummingbird) "$peer" "$port" >/dev/null 2>&1 & ;;
        imageproc-warning | imageproc-info)
            DATABASE_URL="postgresql://127.0.0.1:1/none?connect_timeout=1" \
                "$ours" serve --port "$port" --log-level "${name#imageproc-}" >/dev/null 2>&1 &
            ;;
    esac
    server_pid=$!
    for _ in $(seq 100); do
        curl -fs "http://127.0.0.1:$port/healthz" >/dev/null && break
        sleep 0.1
    done
    echo "$port"
}

# wrk's requests/s and p99 (in ms) for one run: "<rps> <p99>".
measure() {
    local port="$1" connections="$2" output rps p99
    output="$(wrk -t2 -c"$connections" -d"${duration}s" --latency "http://127.0.0.1:$port/healthz")"
    rps="$(awk '/^Requests\/sec:/ { print $2 }' <<<"$output")"
    p99="$(awk '$1 == "99%" { v = $2; if (v ~ /us$/) { sub(/us$/, "", v); v /= 1000 }
        else if (v ~ /ms$/) { sub(/ms$/, "", v) } else if (v ~ /s$/) { sub(/s$/, "", v); v *= 1000 }; print v }' \
        <<<"$output")"
    echo "$rps $p99"
}

results="$(mktemp)"
servers=(hummingbird imageproc-warning imageproc-info)
echo "load average: $(cut -d' ' -f1-3 /proc/loadavg); $runs alternations of ${duration} s per server and load"
for connections in 32 256; do
    for run in $(seq "$runs"); do
        for name in "${servers[@]}"; do
            port="$(start_server "$name")"
            read -r rps p99 <<<"$(measure "$port" "$connections")"
            stop_server
            echo "$connections $name $run $rps $p99" | tee -a "$results"
        done
    done
done
"$here/http_report.py" "$results"
rm -f "$results"
