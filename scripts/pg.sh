#!/usr/bin/env bash
# The private PostgreSQL cluster of `make run`, kept in .data/postgres between runs; as root in a folder that the
# postgres user cannot enter (root's home is 0700), in /var/lib/imageproc/ under a name keyed by the project's path.
# Usage: scripts/pg.sh start|stop|status|url|psql
#   start   initdb once, start the server if it is not running, create the database;
#           prints the database URL on stdout
#   stop    stop the server (no error when it is not running)
#   status  say whether it runs, and where
#   url     print the database URL of the running server
#   psql    open psql on the database
# Environment: PGPORT_PRIVATE (default 54320), PGDATABASE_NAME (default imageproc).
set -euo pipefail
# shellcheck source=scripts/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

dir="$REPO_ROOT/.data/postgres"
if is_root && ! as_cluster_owner test -x "$REPO_ROOT"; then
    dir="/var/lib/imageproc/postgres-$(printf '%s' "$REPO_ROOT" | sha256sum | cut -c1-16)"
fi
port="${PGPORT_PRIVATE:-54320}"
database="${PGDATABASE_NAME:-imageproc}"

start() {
    log "private PostgreSQL cluster in $dir"
    if [[ ! -f "$dir/data/PG_VERSION" ]]; then
        # A half-made cluster from an interrupted initdb is useless; start over.
        rm -rf "$dir"
        cluster_init "$dir"
    elif is_root && [[ "$(stat -c %U "$dir")" != postgres ]]; then
        log "giving $dir to the postgres user"
        require_traversable postgres "$(dirname "$dir")"
        chown -R postgres:postgres "$dir"
    fi
    if cluster_running "$dir"; then
        port="$(cluster_port "$dir")"
        log "PostgreSQL already running on 127.0.0.1:$port ($dir)"
    else
        if port_in_use "$port"; then
            die "port $port on 127.0.0.1 is taken by another program; choose another with PGPORT_PRIVATE=<port>"
        fi
        cluster_configure "$dir" "$port"
        log "starting PostgreSQL on 127.0.0.1:$port ($dir)"
        cluster_start "$dir" || die "could not start the private cluster"
    fi
    ensure_database "$port" "$database"
    database_url "$port" "$database"
}

running_url() {
    cluster_running "$dir" || die "the private cluster is not running; start it with: make db"
    database_url "$(cluster_port "$dir")" "$database"
}

case "${1:-}" in
start) start ;;
stop)
    if cluster_running "$dir"; then
        log "stopping PostgreSQL ($dir)"
        cluster_stop "$dir" fast
    else
        log "PostgreSQL is not running ($dir)"
    fi
    ;;
status)
    if cluster_running "$dir"; then
        echo "running on 127.0.0.1:$(cluster_port "$dir") ($dir)"
    else
        echo "not running ($dir)"
    fi
    ;;
url) running_url ;;
psql) exec "$(pg_bindir)/psql" "$(running_url)" ;;
*) die "usage: $0 start|stop|status|url|psql" ;;
esac
