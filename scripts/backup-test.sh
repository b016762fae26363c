#!/usr/bin/env bash
# `make backup-test`: the backup and restore commands of k8s/base/backup/backup.sh, the very script the CronJob
# and the README's restore run, against a throwaway PostgreSQL: the service's real schema (the SQL of its
# migrations), rows with images of a few MiB, dumps and their pruning, then restores over a damaged database and
# into an empty one, each compared with the original column by column (checksums of every value of every column
# of every table) and by its schema (pg_dump --schema-only). Also: a restore refuses while another session is
# connected, and refuses a dump whose checksum differs.
#
# Usage: scripts/backup-test.sh        PGPORT_BACKUP_TEST: the server's port on 127.0.0.1 (default 55733).
set -euo pipefail
# shellcheck source=scripts/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

readonly BACKUP_SCRIPT="$REPO_ROOT/k8s/base/backup/backup.sh"
readonly MIGRATIONS="$REPO_ROOT/Sources/ImageService/Storage/Migrations.swift"
port="${PGPORT_BACKUP_TEST:-55733}"
cluster=""
work=""
sleeper=""
passed=0

# shellcheck disable=SC2329 # invoked by the EXIT trap
cleanup() {
    set +e
    [[ -n "$sleeper" ]] && kill "$sleeper" 2>/dev/null
    cluster_remove "$cluster"
    [[ -n "$work" ]] && rm -rf "$work"
}
trap cleanup EXIT
trap_signals

pass() {
    passed=$((passed + 1))
    log "ok: $*"
}
fail() { die "FAILED: $*"; }

"$REPO_ROOT/scripts/deps.sh"
port_in_use "$port" && die "port $port on 127.0.0.1 is taken; choose another with PGPORT_BACKUP_TEST=<port>"
bindir="$(pg_bindir)"
export PATH="$bindir:$PATH"
cluster="$(mktemp -d /tmp/imageproc-backup-test-pg.XXXXXX)"
work="$(mktemp -d /tmp/imageproc-backup-test.XXXXXX)"
mkdir "$work/backups"
# As in production: page checksums on (POSTGRES_INITDB_ARGS), durable writes (no fsync = off).
cluster_init "$cluster" --data-checksums
cluster_configure "$cluster" "$port"
log "starting PostgreSQL on 127.0.0.1:$port ($cluster)"
cluster_start "$cluster" || die "could not start PostgreSQL"
ensure_database "$port" imageproc

# libpq's variables, as the CronJob sets them; the password is not needed here (trust on 127.0.0.1).
export PGHOST=127.0.0.1 PGPORT="$port" PGUSER="$PG_SUPERUSER" PGDATABASE=imageproc
export BACKUP_DIR="$work/backups"
sql() { psql -X -q -v ON_ERROR_STOP=1 "$@"; }

# --- the service's schema and real rows --------------------------------------------------------------------

# The statements of Migrations.swift, in order, and its schema_migrations rows: the schema the service makes.
python3 "$REPO_ROOT/tests/backup/migrations_sql.py" "$MIGRATIONS" >"$work/schema.sql"
sql --single-transaction -f "$work/schema.sql"
pass "schema of $(grep -c '^INSERT INTO schema_migrations' "$work/schema.sql") migrations applied"

# Random bytes do not compress, like JPEG and PNG: 2, 3 and 5 MiB "photos"; the test fixtures as real images.
for size in 2 3 5; do
    head -c "$((size * 1024 * 1024))" /dev/urandom | base64 -w 0 >"$work/random-$size.b64"
done
fixtures=("$REPO_ROOT"/Tests/TestSupport/Fixtures/*.jpg)
((${#fixtures[@]} > 0)) || die "no JPEG fixtures in Tests/TestSupport/Fixtures"
base64 -w 0 "${fixtures[0]}" >"$work/fixture.b64"
# psql reads the files into its variables itself: a few MiB do not fit in one command-line argument.
{
    for name in big:random-5 mid:random-3 small:random-2 jpeg:fixture; do
        # shellcheck disable=SC2016 # the backquotes are psql's
        printf '\\set %s `cat %s.b64`\n' "${name%%:*}" "$work/${name#*:}"
    done
    cat <<'SQL'
INSERT INTO processed_images (id, status, operations, width, height, fit, output_format, quality, filename,
        metadata, original_data, original_format, original_width, original_height, original_bytes,
        processed_data, processed_format, processed_width, processed_height, processed_bytes, error_code,
        error_message, attempts, uploaded_at, processed_at, locked_by, lease_expires_at, idempotency_key,
        request_fingerprint, memory_estimate)
VALUES
    ('00000000-0000-4000-8000-000000000001', 'completed', 'resize', 800, NULL, 'inside', 'jpeg', 85,
        'Fjällräven ⛰ «été».jpg', '{"album": "Łódź", "tags": ["a", "b"], "depth": {"x": [1, 2.5, null]}}',
        decode(:'big', 'base64'), 'jpeg', 5640, 3172, 5242880, decode(:'small', 'base64'), 'jpeg', 800, 450,
        2097152, NULL, NULL, 1, '2024-02-29 23:59:59.123456+00', '2024-03-01 00:00:01+00', NULL, NULL,
        'key-1', 'fp-1', 75497472),
    ('00000000-0000-4000-8000-000000000002', 'completed', 'grayscale', NULL, NULL, 'inside', 'png', 90,
        NULL, NULL, decode(:'mid', 'base64'), 'png', 4000, 3000, 3145728, decode(:'big', 'base64'), 'png',
        4000, 3000, 5242880, NULL, NULL, 2, now() - interval '3 days', now(), NULL, NULL, NULL, NULL, NULL),
    ('00000000-0000-4000-8000-000000000003', 'failed', 'resize,grayscale', 100, 100, 'cover', 'jpeg', 70,
        'broken.jpg', '{}', decode(:'small', 'base64'), 'jpeg', 10, 10, 2097152, NULL, NULL, NULL, NULL, NULL,
        'corrupt_image', E'line one\nline two\ttab', 5, now() - interval '1 day', now(), NULL, NULL, NULL, NULL,
        0),
    ('00000000-0000-4000-8000-000000000004', 'queued', 'resize', 64, 64, 'inside', 'jpeg', 85, 'fixture.jpg',
        NULL, decode(:'jpeg', 'base64'), 'jpeg', 64, 64, length(decode(:'jpeg', 'base64')), NULL, NULL, NULL,
        NULL, NULL, NULL, NULL, 0, now(), NULL, NULL, NULL, 'key-4', 'fp-4', 1048576),
    ('00000000-0000-4000-8000-000000000005', 'processing', 'grayscale', NULL, NULL, 'inside', 'jpeg', 85, NULL,
        NULL, '', 'jpeg', 1, 1, 0, NULL, NULL, NULL, NULL, NULL, NULL, NULL, 3, now(), NULL, 'imageproc-7d9f-x',
        now() + interval '60 seconds', NULL, NULL, 4096);
-- Many small jobs, so that row counts and ordering matter too.
INSERT INTO processed_images (id, status, operations, fit, output_format, quality, original_data, original_format,
        original_width, original_height, original_bytes, processed_data, processed_format, processed_bytes,
        uploaded_at, processed_at)
SELECT ('00000000-0000-4000-9000-' || lpad(n::text, 12, '0'))::uuid, 'completed', 'resize', 'inside', 'jpeg', 85,
        decode(md5(n::text) || md5((n * 7)::text), 'hex'), 'jpeg', n, n, 32, decode(md5((n * 3)::text), 'hex'),
        'jpeg', 16, now() - n * interval '1 hour', now()
FROM generate_series(1, 200) AS n;
INSERT INTO image_previews (image_id, kind, size, format, data) VALUES
    ('00000000-0000-4000-8000-000000000001', 'original', 256, 'jpeg', decode(:'jpeg', 'base64')),
    ('00000000-0000-4000-8000-000000000001', 'processed', 256, 'jpeg', substring(decode(:'small', 'base64') FOR 65536)),
    ('00000000-0000-4000-8000-000000000002', 'original', 128, 'png', substring(decode(:'mid', 'base64') FOR 1000));
SQL
} | sql
pass "rows stored: $(sql -tAc 'SELECT count(*) FROM processed_images') jobs, $(sql -tAc \
    "SELECT pg_size_pretty(sum(octet_length(original_data) + coalesce(octet_length(processed_data), 0)))
     FROM processed_images") of images"

# Prints, for every column of every table of the database: rows, bytes and a checksum of its values, and for
# every table a checksum of its whole rows (so that values cannot move between rows unnoticed).
fingerprint() {
    sql -d "$1" -tA <<'SQL'
SELECT format('SELECT %L || '' '' || count(*) || '' rows '' || coalesce(sum(octet_length(%I::text)), 0)
        || '' chars '' || md5(coalesce(string_agg(md5(coalesce(%I::text, ''<NULL>'')), '','' ORDER BY %s), ''''))
        FROM public.%I', c.table_name || '.' || c.column_name, c.column_name, c.column_name,
        coalesce((SELECT string_agg(quote_ident(a.attname), ', ' ORDER BY array_position(i.indkey, a.attnum))
            FROM pg_index i JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = ANY (i.indkey)
            WHERE i.indrelid = ('public.' || quote_ident(c.table_name))::regclass AND i.indisprimary), '1'),
        c.table_name)
FROM information_schema.columns c
WHERE c.table_schema = 'public'
ORDER BY c.table_name, c.ordinal_position
\gexec
SELECT format('SELECT %L || '' rows '' || md5(coalesce(string_agg(md5(t::text), '','' ORDER BY md5(t::text)), ''''))
        FROM public.%I t', table_name || '.*', table_name)
FROM information_schema.tables
WHERE table_schema = 'public'
ORDER BY table_name
\gexec
SQL
}

# The schema as pg_dump writes it, less the lines that differ between two dumps of the same schema.
schema() {
    pg_dump --schema-only --dbname="$1" | grep -vE '^(--|\\restrict|\\unrestrict)' | cat -s
}

fingerprint imageproc >"$work/before.txt"
schema imageproc >"$work/before.sql"
# The schema comparison covers what a careless restore loses: out-of-line storage, table options, partial indexes.
for expected in 'SET STORAGE EXTERNAL' 'fillfactor=' 'WHERE (status = ANY' 'ON DELETE CASCADE'; do
    grep -qF "$expected" "$work/before.sql" || fail "the schema dump lacks $expected"
done
columns="$(grep -vc '\.\* ' "$work/before.txt")"
((columns > 30)) || fail "only $columns columns fingerprinted"
pass "fingerprinted $columns columns in $(grep -c '\.\* ' "$work/before.txt") tables"

# --- backups -------------------------------------------------------------------------------------------------

for run in 1 2 3; do
    BACKUP_KEEP=2 "$BACKUP_SCRIPT" backup
    ((run == 3)) || sleep 1.1 # dump names carry the second they were taken
done
mapfile -t kept < <("$BACKUP_SCRIPT" list)
((${#kept[@]} == 2)) || fail "BACKUP_KEEP=2 kept ${#kept[@]} dumps: ${kept[*]}"
[[ "$(find "$BACKUP_DIR" -name '*.sha256' | wc -l)" == 2 ]] || fail "the checksum files do not match the dumps"
pass "three backups with BACKUP_KEEP=2 left ${kept[*]}, each with its checksum"

# --- restore over a damaged database ------------------------------------------------------------------------

sql <<'SQL'
DELETE FROM processed_images WHERE status = 'failed';
UPDATE processed_images SET original_data = original_data || '\x00'::bytea
    WHERE id = '00000000-0000-4000-8000-000000000001';
INSERT INTO processed_images (id, status, operations, fit, output_format, quality, original_data, original_format,
        original_width, original_height, original_bytes)
    VALUES (gen_random_uuid(), 'queued', 'resize', 'inside', 'jpeg', 85, '\x01', 'jpeg', 1, 1, 1);
DROP TABLE image_previews;
SQL
fingerprint imageproc >"$work/damaged.txt"
cmp -s "$work/before.txt" "$work/damaged.txt" && fail "the damage did not change the fingerprint"

# A session on the database (a service left running) makes the restore refuse.
psql -X -q -c 'SELECT pg_sleep(60)' >/dev/null 2>&1 &
sleeper=$!
for _ in $(seq 1 50); do
    [[ "$(sql -tAc "SELECT count(*) FROM pg_stat_activity WHERE query LIKE 'SELECT pg_sleep%'")" == 1 ]] && break
    sleep 0.1
done
if "$BACKUP_SCRIPT" restore latest 2>"$work/refused.log"; then fail "restored while another session was connected"; fi
grep -q 'other sessions are connected' "$work/refused.log" || fail "unexpected refusal: $(<"$work/refused.log")"
# pg_sleep does not notice a client that went away: end the session on the server's side.
sql -tAc "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE query LIKE 'SELECT pg_sleep%'" >/dev/null
wait "$sleeper" 2>/dev/null || true
sleeper=""
pass "restore refused while another session was connected"

# A dump that changed on its disk is refused, and the database is left as it was.
cp "$BACKUP_DIR/${kept[1]}" "$BACKUP_DIR/imageproc-00000000T000000Z.dump"
cp "$BACKUP_DIR/${kept[1]}.sha256" "$BACKUP_DIR/imageproc-00000000T000000Z.dump.sha256"
sed -i "s/${kept[1]}/imageproc-00000000T000000Z.dump/" "$BACKUP_DIR/imageproc-00000000T000000Z.dump.sha256"
printf '\xff' | dd of="$BACKUP_DIR/imageproc-00000000T000000Z.dump" bs=1 seek=4096 conv=notrunc status=none
if "$BACKUP_SCRIPT" restore imageproc-00000000T000000Z.dump 2>"$work/corrupt.log"; then
    fail "restored a dump whose checksum differs"
fi
grep -q 'checksum differs' "$work/corrupt.log" || fail "unexpected failure: $(<"$work/corrupt.log")"
rm "$BACKUP_DIR"/imageproc-00000000T000000Z.dump*
fingerprint imageproc | cmp -s - "$work/damaged.txt" || fail "a refused restore changed the database"
pass "a dump with a changed byte was refused, the database untouched"

"$BACKUP_SCRIPT" restore latest
fingerprint imageproc >"$work/restored.txt"
diff -u "$work/before.txt" "$work/restored.txt" || fail "the database restored over the damaged one differs"
diff -u "$work/before.sql" <(schema imageproc) || fail "the schema restored over the damaged one differs"
pass "restore over the damaged database: every column of every row and the schema as before"

# --- restore into an empty database --------------------------------------------------------------------------

createdb imageproc_restored
PGDATABASE=imageproc_restored "$BACKUP_SCRIPT" restore "$BACKUP_DIR/${kept[1]}"
fingerprint imageproc_restored >"$work/fresh.txt"
diff -u "$work/before.txt" "$work/fresh.txt" || fail "the database restored into an empty one differs"
diff -u "$work/before.sql" <(schema imageproc_restored) || fail "the schema restored into an empty one differs"
pass "restore into an empty database: every column of every row and the schema as before"

echo "backup-test: $passed passed, 0 failed ($columns columns compared; $(du -sh "$BACKUP_DIR" | cut -f1) of dumps)"
