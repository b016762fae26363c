#!/usr/bin/env bash
# `make failover-test`: the service survives a PostgreSQL failover (issue 15). A primary
# and a synchronous streaming standby (pg_basebackup -R) on 127.0.0.1, two imageproc
# replicas that name both hosts with target_session_attrs=read-write (one through
# libpq's PG* variables, as the manifests pass them, one through a multi-host
# DATABASE_URL), uploads under load, the primary killed with `pg_ctl stop -m immediate`
# and the standby promoted; tests/failover/failover.py then checks that every upload
# that got a 202 is completed in the promoted database. Servers, clusters and ports are
# cleaned up however this ends; the replicas' logs stay in .build-tools/failover-logs/.
# Environment: FAILOVER_PRIMARY_PORT (55601), FAILOVER_STANDBY_PORT (55602),
# FAILOVER_SERVICE_PORTS (18601,18602).
set -euo pipefail
# shellcheck source=scripts/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

primary_port="${FAILOVER_PRIMARY_PORT:-55601}"
standby_port="${FAILOVER_STANDBY_PORT:-55602}"
service_ports="${FAILOVER_SERVICE_PORTS:-18601,18602}"
# The standby's name on the primary: its primary_conninfo's application_name.
readonly standby_name=failover_standby

root=""
tests_pid=""
# shellcheck disable=SC2329 # invoked by the EXIT trap
cleanup() {
    set +e
    # Messages to a reader that has gone (`| head`) must not end the cleanup.
    trap '' PIPE
    if [[ -n "$tests_pid" ]]; then
        # The test and the replicas it started share a session of their own (see below).
        end_session "$tests_pid"
        wait "$tests_pid" 2>/dev/null
    fi
    [[ -z "$root" ]] || log "removing the failover clusters in $root"
    cluster_remove "$root/standby"
    cluster_remove "$root/primary"
    [[ -z "$root" ]] || rm -rf "$root"
}
trap cleanup EXIT
trap_signals

"$REPO_ROOT/scripts/deps.sh"
IFS=, read -ra ports <<<"$primary_port,$standby_port,$service_ports"
for port in "${ports[@]}"; do
    if port_in_use "$port"; then
        die "port $port is taken; choose others with FAILOVER_PRIMARY_PORT, FAILOVER_STANDBY_PORT," \
            "FAILOVER_SERVICE_PORTS"
    fi
done
bindir="$(pg_bindir)"
psql_at() {
    local port="$1"
    shift
    "$bindir/psql" -X -q -tA -v ON_ERROR_STOP=1 -h 127.0.0.1 -p "$port" -U "$PG_SUPERUSER" "$@"
}

# /tmp, not $TMPDIR, and traversable: when root, the postgres user must reach the clusters.
root="$(mktemp -d /tmp/imageproc-failover.XXXXXX)"
chmod 755 "$root"

# The primary, synchronous once the standby is attached (see below). fsync is off for
# speed: the test kills processes, not the machine, so the page cache survives.
primary_settings=("fsync = off" "wal_level = replica" "max_wal_senders = 4" "max_replication_slots = 4")
cluster_init "$root/primary" --no-sync
cluster_configure "$root/primary" "$primary_port" "${primary_settings[@]}"
# Already allowed by initdb's `trust` lines; written out so that the setup reads as it would on a real host.
echo "host replication replicator 127.0.0.1/32 trust" >>"$root/primary/data/pg_hba.conf"
log "starting the primary on 127.0.0.1:$primary_port"
cluster_start "$root/primary" || die "the primary did not start"
ensure_database "$primary_port" imageproc
psql_at "$primary_port" -d postgres -c "CREATE ROLE replicator WITH LOGIN REPLICATION"

# The standby: a base backup with a replication slot, and -R for standby.signal and
# primary_conninfo (in postgresql.auto.conf, application_name included).
mkdir "$root/standby"
if is_root; then chown postgres:postgres "$root/standby"; fi
chmod 700 "$root/standby"
log "pg_basebackup of the primary into $root/standby/data"
as_cluster_owner "$bindir/pg_basebackup" -D "$root/standby/data" -R -X stream -c fast -C -S "$standby_name" \
    -d "host=127.0.0.1 port=$primary_port user=replicator application_name=$standby_name"
grep -q "application_name=$standby_name" "$root/standby/data/postgresql.auto.conf" ||
    die "pg_basebackup -R wrote no application_name=$standby_name into primary_conninfo"
# The backup copied the primary's settings; the standby gets its own port and no
# synchronous_standby_names: once promoted it runs alone, and with a synchronous standby
# named but absent every commit would wait for ever.
cluster_configure "$root/standby" "$standby_port" "fsync = off" "wal_level = replica" "max_wal_senders = 4" \
    "max_replication_slots = 4" "hot_standby = on"
log "starting the standby on 127.0.0.1:$standby_port"
cluster_start "$root/standby" || die "the standby did not start"

# Now commits wait until the standby has flushed them (synchronous_commit is on by
# default), so an acknowledged upload is on the standby when the primary dies.
cluster_configure "$root/primary" "$primary_port" "${primary_settings[@]}" \
    "synchronous_standby_names = $(conf_quote "$standby_name")"
psql_at "$primary_port" -d postgres -c "SELECT pg_reload_conf()" >/dev/null
state=""
for _ in $(seq 1 100); do
    state="$(psql_at "$primary_port" -d postgres \
        -c "SELECT state || '/' || sync_state FROM pg_stat_replication WHERE application_name = '$standby_name'")"
    [[ "$state" == streaming/sync ]] && break
    sleep 0.1
done
[[ "$state" == streaming/sync ]] || die "the standby is not a synchronous streaming standby (state '$state')"
log "the standby streams synchronously"

cd "$REPO_ROOT"
log "swift build --product imageproc"
swift build --product imageproc
export IMAGEPROC_BINARY FAILOVER_PRIMARY_DIR="$root/primary" FAILOVER_STANDBY_DIR="$root/standby"
export FAILOVER_PG_BINDIR="$bindir" FAILOVER_PRIMARY_PORT="$primary_port" FAILOVER_STANDBY_PORT="$standby_port"
export FAILOVER_SERVICE_PORTS="$service_ports"
IMAGEPROC_BINARY="$(swift build --show-bin-path)/imageproc"
# In the background and in a session of its own, as scripts/test.sh runs swift test: a
# signal to this script runs the trap at once, and the cleanup ends the replicas too.
setsid --wait python3 "$REPO_ROOT/tests/failover/failover.py" &
tests_pid=$!
status=0
wait "$tests_pid" || status=$?
tests_pid=""
((status == 0)) || die "the failover test failed (exit status $status); logs in .build-tools/failover-logs/"
