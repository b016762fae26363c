#!/usr/bin/env bash
# `make chaos`: the durability tests (tests/chaos/chaos.py) with real processes: a
# throwaway PostgreSQL of their own (they restart it), the debug build of imageproc
# started, killed and stopped as the tests say. Cleans up however it ends; the services'
# logs stay in .build-tools/chaos-logs/ for a look after a failure.
set -euo pipefail
# shellcheck source=scripts/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

cluster=""
# shellcheck disable=SC2329 # invoked by the EXIT trap
cleanup() {
    set +e
    pkill -f "imageproc-chaos-marker" 2>/dev/null
    cluster_remove "$cluster"
}
trap cleanup EXIT
trap_signals

"$REPO_ROOT/scripts/deps.sh"
cluster="$(mktemp -d /tmp/imageproc-chaos-pg.XXXXXX)"
# Commits stay as durable as in production (synchronous_commit on): an immediate
# shutdown must not lose an acknowledged commit.
port="$(throwaway_cluster "$cluster")"

cd "$REPO_ROOT"
log "swift build --product imageproc"
swift build --product imageproc
export IMAGEPROC_BINARY
IMAGEPROC_BINARY="$(swift build --show-bin-path)/imageproc"
export DATABASE_URL IMAGEPROC_TEST_CLUSTER="$cluster"
DATABASE_URL="$(database_url "$port" imageproc)"
python3 "$REPO_ROOT/tests/chaos/chaos.py" "$@"
