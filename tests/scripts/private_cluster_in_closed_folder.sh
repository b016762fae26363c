#!/usr/bin/env bash
# `make run`'s private PostgreSQL when the project lives where the postgres user cannot go (a clone in root's 0700
# home): scripts/pg.sh must put the cluster under /var/lib/imageproc instead, say so first, and serve from there.
# Root only (as another user the cluster is that user's own and the folder is always reachable): prints why it
# checks nothing otherwise. Removes the copy and the cluster however it ends.
set -euo pipefail
# shellcheck source=scripts/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/../../scripts/lib.sh"

if ! is_root; then
    log "private cluster in a closed folder: not root, nothing checked"
    exit 0
fi
closed="$(mktemp -d /tmp/imageproc-closed.XXXXXX)"
chmod 700 "$closed"
mkdir "$closed/project"
cp -r "$REPO_ROOT/scripts" "$closed/project/"
port="$(free_port)"
pg() { PGPORT_PRIVATE="$port" "$closed/project/scripts/pg.sh" "$@"; }
# shellcheck disable=SC2329 # invoked by the EXIT trap
cleanup() {
    set +e
    pg stop >/dev/null 2>&1
    [[ -z "${cluster_dir:-}" ]] || rm -rf "$cluster_dir"
    rm -rf "$closed"
}
trap cleanup EXIT

url="$(pg start 2>"$closed/start.log")" || { cat "$closed/start.log" >&2; die "pg.sh start failed"; }
first="$(head -n 1 "$closed/start.log")"
cluster_dir="$(sed -n 's/^==> private PostgreSQL cluster in //p' <<<"$first")"
[[ "$cluster_dir" == /var/lib/imageproc/postgres-* ]] || die "the first line does not say where: $first"
answer="$("$(pg_bindir)/psql" "$url" -Atc 'SELECT 1')"
[[ "$answer" == 1 ]] || die "the private cluster does not answer at $url"
[[ "$(pg status)" == "running on 127.0.0.1:$port ($cluster_dir)" ]] || die "pg.sh status disagrees: $(pg status)"
log "private cluster in a closed folder: ok ($cluster_dir)"
