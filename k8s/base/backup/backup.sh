#!/usr/bin/env bash
# Dumps and restores imageproc's database. The one copy of these commands: the CronJob postgres-backup runs
# `backup`, the README's restore runs `restore`, and scripts/backup-test.sh runs both against a throwaway
# PostgreSQL and compares every column of every row.
#
# Usage: backup.sh backup            dump the database into BACKUP_DIR, verify it, keep the newest BACKUP_KEEP
#        backup.sh restore FILE      restore a dump (a name in BACKUP_DIR, a path, or `latest`) over the database
#        backup.sh list              the dumps in BACKUP_DIR, oldest first
# Environment: libpq's PGHOST, PGPORT, PGUSER, PGDATABASE; the password in PGPASSWORD or in the file named by
# PGPASSWORD_FILE; BACKUP_DIR (required); BACKUP_KEEP (default 3); RESTORE_FORCE=1 to restore while other
# sessions are connected to the database.
set -euo pipefail

log() { printf '%s backup.sh: %s\n' "$(date -u +%Y-%m-%dT%H:%M:%SZ)" "$*" >&2; }
die() {
    log "error: $*"
    exit 1
}

: "${BACKUP_DIR:?BACKUP_DIR must name the directory of the dumps}"
: "${PGDATABASE:?PGDATABASE must name the database}"
keep="${BACKUP_KEEP:-3}"
[[ "$keep" =~ ^[1-9][0-9]*$ ]] || die "BACKUP_KEEP must be a positive integer, not $keep"
if [[ -n "${PGPASSWORD_FILE:-}" ]]; then
    PGPASSWORD="$(<"$PGPASSWORD_FILE")"
    export PGPASSWORD
fi

# Dumps are named by their UTC start time, so that names sort by age.
dumps() {
    find "$BACKUP_DIR" -maxdepth 1 -type f -name 'imageproc-*.dump' -printf '%f\n' | sort
}

backup() {
    local name partial count
    name="imageproc-$(date -u +%Y%m%dT%H%M%SZ).dump"
    partial="$BACKUP_DIR/.$name.partial"
    # What an earlier run left half-written (killed, out of space) is of no use.
    find "$BACKUP_DIR" -maxdepth 1 -type f -name '.*.partial' -delete
    log "dumping $PGDATABASE on ${PGHOST:-local}:${PGPORT:-5432} to $name"
    # Custom format: pg_restore can restore it whole or in parts, in parallel. pg_dump reads one consistent
    # snapshot and fsyncs the file before it exits. bytea goes through COPY as hex, twice its bytes; gzip's fastest
    # level takes that back to about 1.17 times the images (JPEG and PNG themselves do not compress), at about
    # 30 MB of images per second of one core (higher levels gain 3 % for twice the time).
    pg_dump --format=custom --compress=1 --file="$partial"
    # The table of contents must read back, or the dump is not kept.
    pg_restore --list "$partial" >/dev/null
    # Checked before a restore: a dump that rotted on its disk is refused instead of half-restored.
    printf '%s  %s\n' "$(sha256sum <"$partial" | cut -d ' ' -f 1)" "$name" >"$BACKUP_DIR/$name.sha256"
    mv "$partial" "$BACKUP_DIR/$name"
    sync "$BACKUP_DIR"
    # The newest `keep` dumps stay; a new dump is complete before any old one goes.
    count=0
    while read -r old; do
        rm -f "$BACKUP_DIR/$old" "$BACKUP_DIR/$old.sha256"
        count=$((count + 1))
    done < <(dumps | head -n "-$keep")
    log "kept $name ($(du -h "$BACKUP_DIR/$name" | cut -f1)), removed $count older: $(dumps | wc -l) in $BACKUP_DIR"
}

restore() {
    local file="${1:?usage: backup.sh restore FILE|latest}" others
    if [[ "$file" == latest ]]; then
        file="$(dumps | tail -n 1)"
        [[ -n "$file" ]] || die "no dump in $BACKUP_DIR"
    fi
    [[ "$file" == */* ]] || file="$BACKUP_DIR/$file"
    [[ -f "$file" ]] || die "no dump $file"
    if [[ -f "$file.sha256" ]]; then
        (cd "$(dirname "$file")" && sha256sum --check --quiet "${file##*/}.sha256") || die "$file: checksum differs"
    fi
    # A restore replaces every table: a running service would write into the old ones or fail on the new ones.
    others="$(psql -X -v ON_ERROR_STOP=1 -tAc "SELECT count(*) FROM pg_stat_activity
        WHERE datname = current_database() AND pid <> pg_backend_pid() AND backend_type = 'client backend'")"
    if ((others > 0)) && [[ "${RESTORE_FORCE:-}" != 1 ]]; then
        die "$others other sessions are connected to $PGDATABASE; stop the service first (or RESTORE_FORCE=1)"
    fi
    log "restoring $file into $PGDATABASE on ${PGHOST:-local}:${PGPORT:-5432}"
    # One transaction: the database is the dump's, or unchanged if anything fails. --clean --if-exists drops what
    # the dump holds first, so an existing database is replaced; --no-owner makes the connecting role the owner,
    # so a dump restores into another cluster (the ha overlay's) whose roles differ.
    pg_restore --dbname="$PGDATABASE" --clean --if-exists --no-owner --single-transaction --exit-on-error "$file"
    # A dump holds no planner statistics; without them the first queries plan blind.
    psql -X -v ON_ERROR_STOP=1 -qc ANALYZE
    log "restored $file"
}

case "${1:-}" in
backup) backup ;;
restore) restore "${2:-}" ;;
list) dumps ;;
*) die "usage: backup.sh backup | restore FILE|latest | list" ;;
esac
