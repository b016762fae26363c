#!/usr/bin/env bash
# `make contract-test`: checks that the live server keeps the contract of openapi.yaml.
#
# Validates openapi.yaml with openapi-spec-validator, builds imageproc, starts `imageproc serve` on a free port on
# 127.0.0.1, and runs schemathesis against it with every check (server errors, status codes, content types,
# response headers and schemas, rejection of invalid data, acceptance of valid data, 405 with Allow for undeclared
# methods, use after delete, ...). Exits non-zero on any failure. The run is bounded (examples per operation and
# a time budget) so that it takes about two minutes.
#
# The Python tools (pinned in tests/contract/requirements.txt) live in .build-tools/venv-contract (git-ignored).
# The server is stopped however this ends.
#
# Environment:
#   DATABASE_URL            the database to serve from; without it, a database `imageproc_contract` on the
#                           private cluster of `make run` (scripts/pg.sh; `make stop` stops it)
#   CONTRACT_MAX_EXAMPLES   test cases per operation and phase (default 40)
#   CONTRACT_MAX_TIME       time budget of the schemathesis run in seconds (default 140)
#   CONTRACT_SEED           schemathesis seed, to replay a run
#   CONTRACT_BUILD          `debug` (default, shares `make test`'s build) or `release`
set -euo pipefail
# shellcheck source=scripts/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

server_pid=""
# shellcheck disable=SC2317,SC2329 # invoked by the EXIT trap (SC2317 in shellcheck 0.9, SC2329 from 0.10)
cleanup() {
    set +e
    if [[ -n "$server_pid" ]]; then
        kill -TERM "$server_pid" 2>/dev/null
        wait "$server_pid" 2>/dev/null
    fi
}
trap cleanup EXIT
trap_signals

# Waits until the server answers /healthz, or fails when it exits or takes over 60 s.
wait_until_serving() {
    local url="$1" attempt
    for attempt in $(seq 1 300); do
        if ! kill -0 "$server_pid" 2>/dev/null; then
            die "imageproc exited before serving (log: $server_log)"
        fi
        if "$python" "$REPO_ROOT/tests/contract/answers.py" "$url/healthz" 2>/dev/null; then
            return
        fi
        sleep 0.2
    done
    die "imageproc did not answer $url/healthz after $attempt attempts (log: $server_log)"
}

"$REPO_ROOT/scripts/deps.sh"
# Pinned, so that a new release cannot fail (or pass) CI on its own.
python="$(python_venv contract "$REPO_ROOT/tests/contract/requirements.txt")"
tools="$(dirname "$python")"

cd "$REPO_ROOT"
log "openapi-spec-validator openapi.yaml"
"$tools/openapi-spec-validator" openapi.yaml

if [[ -z "${DATABASE_URL:-}" ]]; then
    DATABASE_URL="$(PGDATABASE_NAME=imageproc_contract "$REPO_ROOT/scripts/pg.sh" start)"
fi
export DATABASE_URL
require_database_reachable "$DATABASE_URL"

configuration="${CONTRACT_BUILD:-debug}"
log "swift build -c $configuration --product imageproc"
swift build -c "$configuration" --product imageproc
binary="$(swift build -c "$configuration" --show-bin-path)/imageproc"

mkdir -p "$REPO_ROOT/.build-tools"
server_log="$REPO_ROOT/.build-tools/contract-server.log"
port="$(free_port)"
url="http://127.0.0.1:$port"
log "starting imageproc on $url (log: $server_log)"
# The web root makes the page's routes and /openapi.yaml (beside it) live, so that they are tested too.
# Two workers leave the machine's cores to schemathesis and PostgreSQL.
IMAGEPROC_WEB_ROOT="$REPO_ROOT/web" "$binary" serve --host 127.0.0.1 --port "$port" --workers 2 \
    --log-level warning >"$server_log" 2>&1 &
server_pid=$!
wait_until_serving "$url"

seed_args=()
if [[ -n "${CONTRACT_SEED:-}" ]]; then seed_args=(--seed "$CONTRACT_SEED"); fi
log "schemathesis run --checks all against $url"
# One worker: hypothesis parses lambdas' source with `ast` while describing strategies, and on CPython 3.11 that
# fails now and then when two threads do it at once ("AST constructor recursion depth mismatch").
status=0
"$tools/schemathesis" --config-file "$REPO_ROOT/scripts/contract-test.toml" run openapi.yaml \
    --url "$url" \
    --checks all \
    --max-examples "${CONTRACT_MAX_EXAMPLES:-40}" \
    --max-time "${CONTRACT_MAX_TIME:-140}" \
    --request-timeout 40 \
    --workers 1 \
    "${seed_args[@]}" || status=$?

if ! kill -0 "$server_pid" 2>/dev/null; then
    log "imageproc died during the run (log: $server_log)"
    status=1
fi
if ((status == 0)); then log "contract test passed"; else log "contract test failed (exit status $status)"; fi
exit "$status"
