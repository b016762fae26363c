#!/usr/bin/env bash
# `make test`: system packages, a throwaway PostgreSQL in /tmp on a free port
# (unless DATABASE_URL is set), a reachability check, then every test: `swift test`,
# the page in headless Chromium against the real server, /metrics through
# prometheus_client's parser, the security attacks with tokens on, schemathesis against
# openapi.yaml, the chaos tests and the failover test (which bring their own clusters). The
# clusters are stopped and removed however this ends: success, failing tests, Ctrl-C or kill.
# Exits non-zero if any part failed.
# Environment: SWIFT_TEST_ARGS (extra arguments to `swift test`), DATABASE_URL.
set -euo pipefail
# shellcheck source=scripts/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

cluster=""
tests_pid=""
server_pid=""

# shellcheck disable=SC2317,SC2329 # invoked by the EXIT trap (SC2317 in shellcheck 0.9, SC2329 from 0.10)
cleanup() {
    set +e
    if [[ -n "$tests_pid" ]]; then
        log "stopping swift test"
        # swift test runs in a session of its own (see below) and puts the test runner in
        # yet another process group, so end every process of that session.
        end_session "$tests_pid"
        wait "$tests_pid" 2>/dev/null
    fi
    if [[ -n "$server_pid" ]]; then
        kill "$server_pid" 2>/dev/null
        wait "$server_pid" 2>/dev/null
    fi
    [[ -z "$cluster" ]] || log "removing the test cluster $cluster"
    cluster_remove "$cluster"
}
trap cleanup EXIT
trap_signals

"$REPO_ROOT/scripts/deps.sh"

if [[ -n "${DATABASE_URL:-}" ]]; then
    log "using DATABASE_URL from the environment; no test cluster"
else
    # /tmp, not $TMPDIR: when root, the postgres user must be able to reach it.
    cluster="$(mktemp -d /tmp/imageproc-test-pg.XXXXXX)"
    # Durability is pointless for a cluster that lives a few minutes.
    # Suites run side by side, each service with its pools, workers, sweeper and readiness probe: more sessions
    # at once than the default 100.
    port="$(throwaway_cluster "$cluster" "synchronous_commit = off" "max_connections = 300")"
    DATABASE_URL="$(database_url "$port" imageproc)"
fi
export DATABASE_URL
require_database_reachable "$DATABASE_URL"

cd "$REPO_ROOT"
read -ra args <<<"${SWIFT_TEST_ARGS:-}"
log "swift test ${args[*]}"
# In the background, so that a signal to this script runs the traps at once (bash
# defers traps until a foreground child exits), and in a session of its own (setsid
# does not fork here: a background child is no group leader, so its pid is the
# session id), so that the cleanup can end swift test and every runner it spawned.
# Tests that measure the process itself (its event loop's timing, its peak memory) run on their own afterwards:
# beside 400 other tests on two cores, Swift's cooperative pool can be held long enough to stall their servers.
alone='BackPressureTests|decodesA30MiBBodyWithLittleMoreThanTheImage'
setsid --wait swift test --skip "$alone" "${args[@]}" &
tests_pid=$!
status=0
wait "$tests_pid" || status=$?
tests_pid=""
failed=()
((status == 0)) || failed+=("swift test")
log "swift test --filter '$alone' (alone)"
setsid --wait swift test --skip-build --filter "$alone" &
tests_pid=$!
status=0
wait "$tests_pid" || status=$?
tests_pid=""
((status == 0)) || failed+=("swift test (alone)")

# The page in a real browser, against the real server on the same database.
log "swift build --product imageproc"
swift build --product imageproc
server_port="$(free_port)"
server_log="$(mktemp /tmp/imageproc-test-server.XXXXXX.log)"
"$(swift build --show-bin-path)/imageproc" serve --host 127.0.0.1 --port "$server_port" --web-root "$REPO_ROOT/web" \
    --max-body-bytes $((40 * 1024 * 1024)) \
    >"$server_log" 2>&1 &
server_pid=$!
IMAGEPROC_URL="http://127.0.0.1:$server_port" "$REPO_ROOT/scripts/browser-test.sh" || failed+=("browser test")
# After the page's traffic: /metrics read by prometheus_client's parser.
IMAGEPROC_URL="http://127.0.0.1:$server_port" "$REPO_ROOT/scripts/metrics-check.sh" || failed+=("metrics")
kill "$server_pid"
wait "$server_pid" 2>/dev/null || true
server_pid=""
rm -f "$server_log"

# The outside review's attacks (token bypass spellings, memory held by unauthenticated bodies, unread pipelined
# downloads and slow readers) against the real binary with API tokens on.
log "security attacks (tests/security/attack.py)"
IMAGEPROC_BINARY="$(swift build --show-bin-path)/imageproc" python3 "$REPO_ROOT/tests/security/attack.py" ||
    failed+=("security")
# Safe by default: loopback unless told otherwise, and no open API on any other address.
log "exposure (tests/security/exposure.py)"
IMAGEPROC_BINARY="$(swift build --show-bin-path)/imageproc" python3 "$REPO_ROOT/tests/security/exposure.py" ||
    failed+=("exposure")

# The memory budget in a real 1 GiB memory cgroup (root only: it creates the group, and removes it): read from the
# limit, and kept under mixes of the largest uploads the default limits accept (photos made with cjpeg).
log "memory budget in a cgroup (tests/resources/memory_budget.py)"
if ((EUID == 0)); then "$REPO_ROOT/scripts/deps.sh" libjpeg-turbo-progs; fi
IMAGEPROC_BINARY="$(swift build --show-bin-path)/imageproc" python3 "$REPO_ROOT/tests/resources/memory_budget.py" ||
    failed+=("memory budget")

# `make run`'s private cluster from a folder the postgres user cannot enter (root only).
"$REPO_ROOT/tests/scripts/private_cluster_in_closed_folder.sh" || failed+=("private cluster in a closed folder")

# The published contract: schemathesis against a live server on the same database.
"$REPO_ROOT/scripts/contract-test.sh" || failed+=("contract")

# Durability with real processes, on a PostgreSQL of its own that it restarts.
"$REPO_ROOT/scripts/chaos.sh" || failed+=("chaos")
"$REPO_ROOT/scripts/failover-test.sh" || failed+=("failover")

if ((${#failed[@]} == 0)); then
    log "all tests passed"
    exit 0
fi
log "failed: ${failed[*]}"
exit 1
