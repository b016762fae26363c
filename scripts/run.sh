#!/usr/bin/env bash
# `make run`: system packages, the private PostgreSQL (unless DATABASE_URL is set),
# a release build, the schema brought up to date (`imageproc migrate`, as a deploy's init
# container does), then the server in the foreground.
# Environment: PORT (default 8080), ARGS (extra arguments to `imageproc serve`),
# DATABASE_URL (use this database and start no cluster), PGPORT_PRIVATE.
set -euo pipefail
# shellcheck source=scripts/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

"$REPO_ROOT/scripts/deps.sh"

if [[ -n "${DATABASE_URL:-}" ]]; then
    log "using DATABASE_URL from the environment; no private cluster"
else
    DATABASE_URL="$("$REPO_ROOT/scripts/pg.sh" start)"
fi
export DATABASE_URL
export PORT="${PORT:-8080}"

cd "$REPO_ROOT"
log "swift build -c release"
swift build -c release --product imageproc

log "imageproc migrate"
"$REPO_ROOT/.build/release/imageproc" migrate

read -ra args <<<"${ARGS:-}"
log "serving on port $PORT (database $DATABASE_URL); Ctrl-C to quit, 'make stop' stops PostgreSQL"
exec "$REPO_ROOT/.build/release/imageproc" serve "${args[@]}"
