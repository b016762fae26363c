#!/usr/bin/env bash
# `make test`: system packages, a throwaway PostgreSQL in /tmp on a free port
# (unless DATABASE_URL is set), a reachability check, then `swift test`.
# The cluster is stopped and its directory removed however this ends: success,
# failing tests, Ctrl-C or kill. Exits with the tests' status.
# Environment: SWIFT_TEST_ARGS (extra arguments to `swift test`), DATABASE_URL.
set -euo pipefail
# shellcheck source=scripts/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

cluster=""
tests_pid=""

# shellcheck disable=SC2329 # invoked by the EXIT trap
cleanup() {
    set +e
    if [[ -n "$tests_pid" ]]; then
        log "stopping swift test"
        # swift test runs in a session of its own (see below) and puts the test runner in
        # yet another process group, so end every process of that session.
        end_session "$tests_pid"
        wait "$tests_pid" 2>/dev/null
    fi
    if [[ -n "$cluster" ]]; then
        log "removing the test cluster $cluster"
        cluster_stop "$cluster" immediate
        rm -rf "$cluster"
    fi
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

"$REPO_ROOT/scripts/deps.sh"

if [[ -n "${DATABASE_URL:-}" ]]; then
    log "using DATABASE_URL from the environment; no test cluster"
else
    # /tmp, not $TMPDIR: when root, the postgres user must be able to reach it.
    cluster="$(mktemp -d /tmp/imageproc-test-pg.XXXXXX)"
    # Durability is pointless for a cluster that lives a few minutes.
    cluster_init "$cluster" --no-sync
    for attempt in 1 2 3; do
        port="$(free_port)"
        cluster_configure "$cluster" "$port" "fsync = off" "synchronous_commit = off" "full_page_writes = off"
        log "starting the test PostgreSQL on 127.0.0.1:$port ($cluster)"
        if cluster_start "$cluster"; then
            break
        fi
        # Another program may have taken the port since we probed it.
        if ((attempt == 3)) || ! grep -q 'could not bind' "$cluster/server.log"; then
            die "could not start the test cluster"
        fi
    done
    ensure_database "$port" imageproc
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
setsid --wait swift test "${args[@]}" &
tests_pid=$!
status=0
wait "$tests_pid" || status=$?
tests_pid=""
if ((status == 0)); then
    log "tests passed"
else
    log "tests failed (exit status $status)"
fi
exit "$status"
