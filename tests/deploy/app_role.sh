#!/usr/bin/env bash
# The service's database roles, for real, against throwaway PostgreSQL servers:
#  1. k8s/base/config/app-role.sh run as the postgres image runs it on first start (its environment, the owner
#     POSTGRES_USER a superuser over the unix socket, the password from a file), twice: it is idempotent.
#  2. The real binary, over TCP with passwords (scram-sha-256): `imageproc serve` as the app role waits for the
#     schema (/readyz 503, "this role cannot migrate it"), `imageproc migrate` as the owner migrates, the service
#     becomes ready, an upload completes and its result and original download.
#  3. The app role may read and write rows, and may not ALTER TABLE … SET STORAGE nor CREATE TABLE.
#  4. An existing install: a database migrated before the script ran (its tables already there) gets the same.
#  5. The ha overlay's CloudNativePG bootstrap statements (postInitApplicationSQL of the rendered Cluster), run as
#     the superuser in a database whose owner is not one, as CloudNativePG makes it; the role's password set as its
#     managed role does; then migrate as that owner and the same checks.
# The names are those of k8s/base/config/postgres.env, as the manifests pass them.
#
# Usage: tests/deploy/app_role.sh         (scripts/check-deploy.sh runs it: make deploy-check)
#   IMAGEPROC_BIN          the imageproc binary to run (default: `swift build --product imageproc`, then its path)
#   HA_MANIFESTS           the rendered ha overlay (default: rendered here, with the kubectl of
#                          tests/deploy/requirements.txt)
#   PGPORT_APP_ROLE_TEST   the first of three ports on 127.0.0.1 (default 55744): PostgreSQL, the service, and the
#                          second PostgreSQL (55744, 55745, 55746)
set -euo pipefail
# shellcheck source=scripts/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/../../scripts/lib.sh"

readonly APP_ROLE_SCRIPT="$REPO_ROOT/k8s/base/config/app-role.sh"
readonly PHOTO="$REPO_ROOT/Tests/TestSupport/Fixtures/texture-baseline.jpg"
first_port="${PGPORT_APP_ROLE_TEST:-55744}"
readonly PGPORT1="$first_port" HTTP_PORT="$((first_port + 1))" PGPORT2="$((first_port + 2))"
work=""
clusters=()
server=""
passed=0

# shellcheck disable=SC2329 # invoked by the EXIT trap
cleanup() {
    set +e
    # A second Ctrl-C must not cut the clean-up short.
    trap '' INT TERM
    if [[ -n "$server" ]]; then
        kill -TERM "$server" 2>/dev/null
        wait "$server" 2>/dev/null
    fi
    local cluster
    for cluster in "${clusters[@]}"; do cluster_remove "$cluster"; done
    [[ -n "$work" ]] && rm -rf "$work"
}
trap cleanup EXIT
trap_signals

pass() {
    passed=$((passed + 1))
    log "ok: $*"
}
fail() {
    if [[ -n "$server" ]]; then tail -n 20 "$work/serve.log" >&2; fi
    die "FAILED: $*"
}

# The names the manifests use: POSTGRES_USER, POSTGRES_DB and IMAGEPROC_DB_USER of postgres-config.
setting() { sed -n "s/^$1=//p" "$REPO_ROOT/k8s/base/config/postgres.env"; }
OWNER="$(setting POSTGRES_USER)"
DATABASE="$(setting POSTGRES_DB)"
ROLE="$(setting IMAGEPROC_DB_USER)"
readonly OWNER DATABASE ROLE
[[ -n "$OWNER" && -n "$DATABASE" && -n "$ROLE" ]] ||
    die "postgres.env lacks POSTGRES_USER, POSTGRES_DB or IMAGEPROC_DB_USER"
OWNER_PASSWORD="$(od -An -N16 -tx1 /dev/urandom | tr -d ' \n')"
ROLE_PASSWORD="$(od -An -N16 -tx1 /dev/urandom | tr -d ' \n')"
readonly OWNER_PASSWORD ROLE_PASSWORD

"$REPO_ROOT/scripts/deps.sh" jq curl
for port in "$PGPORT1" "$HTTP_PORT" "$PGPORT2"; do
    port_in_use "$port" && die "port $port on 127.0.0.1 is taken; choose others with PGPORT_APP_ROLE_TEST=<port>"
done
bindir="$(pg_bindir)"
export PATH="$bindir:$PATH"
work="$(mktemp -d /tmp/imageproc-app-role-test.XXXXXX)"
# The servers' directories, beside it: the postgres user must be able to enter them.
for _ in 1 2; do clusters+=("$(mktemp -d /tmp/imageproc-app-role-test-pg.XXXXXX)"); done
readonly PG1="${clusters[0]}" PG2="${clusters[1]}"

if [[ -n "${IMAGEPROC_BIN:-}" ]]; then
    binary="$IMAGEPROC_BIN"
else
    log "swift build --product imageproc (log: $work/build.log)"
    (cd "$REPO_ROOT" && swift build --product imageproc) >"$work/build.log" 2>&1 || {
        tail -n 30 "$work/build.log" >&2
        die "the build failed"
    }
    binary="$(cd "$REPO_ROOT" && swift build --product imageproc --show-bin-path)/imageproc"
fi
[[ -x "$binary" ]] || die "no imageproc binary at $binary"

# Starts a throwaway server in `dir` on `port` whose TCP connections need a password (scram-sha-256, PostgreSQL 15's
# password_encryption), except the test's own superuser's; the unix socket (in dir/data) trusts everyone, as the
# postgres image's does while it initialises.
start_server() {
    local dir="$1" port="$2"
    cluster_init "$dir" --no-sync
    printf '%s\n' 'local all all trust' "host all $PG_SUPERUSER 127.0.0.1/32 trust" \
        'host all all 127.0.0.1/32 scram-sha-256' >"$dir/data/pg_hba.conf"
    if is_root; then chown postgres:postgres "$dir/data/pg_hba.conf"; fi
    cluster_configure "$dir" "$port" "fsync = off"
    cluster_start "$dir" || die "could not start PostgreSQL in $dir"
}

# psql as the test's superuser on the server at `port`: psql_admin PORT DATABASE [ARG...]
psql_admin() {
    local port="$1" database="$2"
    shift 2
    psql -X -q -v ON_ERROR_STOP=1 -h 127.0.0.1 -p "$port" -U "$PG_SUPERUSER" -d "$database" "$@"
}

# psql as `user` with `password` over TCP: psql_as USER PASSWORD PORT DATABASE [ARG...]
psql_as() {
    local user="$1" password="$2" port="$3" database="$4"
    shift 4
    PGPASSWORD="$password" psql -X -q -v ON_ERROR_STOP=1 -w -h 127.0.0.1 -p "$port" -U "$user" -d "$database" "$@"
}

# Runs app-role.sh as the postgres image runs it from /docker-entrypoint-initdb.d: a process of its own with the
# container's environment (postgres-config's keys, the password's file) and the entrypoint's exports, the server
# on the unix socket. run_app_role DIR PORT DATABASE
run_app_role() {
    local dir="$1" port="$2" database="$3"
    env -i PATH="$PATH" HOME=/nonexistent LANG=C.UTF-8 PGHOST="$dir/data" PGPORT="$port" \
        POSTGRES_USER="$OWNER" POSTGRES_DB="$database" POSTGRES_PASSWORD="$OWNER_PASSWORD" \
        PGPASSWORD="$OWNER_PASSWORD" IMAGEPROC_DB_USER="$ROLE" \
        IMAGEPROC_DB_PASSWORD_FILE="$work/IMAGEPROC_DB_PASSWORD" \
        "$APP_ROLE_SCRIPT"
}

# `imageproc migrate` as the owner, as the Deployment's init container runs it. migrate PORT DATABASE
migrate() {
    env -i PATH="$PATH" HOME=/nonexistent PGHOST=127.0.0.1 PGPORT="$1" PGDATABASE="$2" PGUSER="$OWNER" \
        PGPASSWORD="$OWNER_PASSWORD" PGAPPNAME=imageproc-migrate PGCONNECT_TIMEOUT=5 "$binary" migrate
}

# The app role reads and writes rows of every table of the schema, and changes none: check_rows_only PORT DATABASE
check_rows_only() {
    local port="$1" database="$2" attributes status=0
    attributes="$(psql_admin "$port" "$database" -tA -v role="$ROLE" <<'SQL'
SELECT concat_ws(' ', rolcanlogin, rolsuper, rolinherit, rolcreaterole, rolcreatedb, rolreplication, rolbypassrls,
        has_schema_privilege(rolname, 'public', 'CREATE'),
        has_database_privilege(rolname, current_database(), 'CREATE'))
FROM pg_roles WHERE rolname = :'role'
SQL
    )"
    [[ "$attributes" == "t f f f f f f f f" ]] ||
        fail "$ROLE (login super inherit createrole createdb replication bypassrls, CREATE on schema public and on" \
            "the database): $attributes"
    psql_as "$ROLE" "$ROLE_PASSWORD" "$port" "$database" -tA >"$work/rows.out" 2>&1 <<'SQL' || status=$?
BEGIN;
INSERT INTO processed_images (id, status, operations, fit, output_format, quality, original_data, original_format,
        original_width, original_height, original_bytes)
    VALUES (gen_random_uuid(), 'queued', 'resize', 'inside', 'jpeg', 85, '\x01', 'jpeg', 1, 1, 1)
    RETURNING id AS probe \gset
UPDATE processed_images SET attempts = attempts + 1 WHERE id = :'probe';
INSERT INTO image_previews (image_id, kind, size, format, data) VALUES (:'probe', 'original', 8, 'jpeg', '\x02');
SELECT count(*) > 0 FROM schema_migrations;
DELETE FROM processed_images WHERE id = :'probe';
ROLLBACK;
SQL
    ((status == 0)) || fail "$ROLE cannot read or write the rows of $database: $(cat "$work/rows.out")"
    [[ "$(cat "$work/rows.out")" == t ]] || fail "$ROLE sees no schema_migrations rows in $database"
    if psql_as "$ROLE" "$ROLE_PASSWORD" "$port" "$database" \
        -c 'ALTER TABLE processed_images ALTER COLUMN original_data SET STORAGE MAIN' 2>"$work/alter.err"; then
        fail "$ROLE changed the storage of processed_images.original_data in $database"
    fi
    grep -q 'must be owner of table processed_images' "$work/alter.err" || fail "ALTER TABLE: $(cat "$work/alter.err")"
    if psql_as "$ROLE" "$ROLE_PASSWORD" "$port" "$database" -c 'CREATE TABLE app_role_probe (id int)' \
        2>"$work/create.err"; then
        fail "$ROLE created a table in $database"
    fi
    grep -q 'permission denied for schema public' "$work/create.err" || fail "CREATE TABLE: $(cat "$work/create.err")"
}

# Polls `url` until it answers `code`, for at most `seconds`, while the service runs.
wait_for() {
    local url="$1" code="$2" seconds="$3" deadline=$((SECONDS + $3))
    until [[ "$(curl -s -o /dev/null -w '%{http_code}' "$url")" == "$code" ]]; do
        kill -0 "$server" 2>/dev/null || fail "the service exited while waiting for $url to answer $code"
        ((SECONDS < deadline)) || fail "$url did not answer $code within $seconds s"
        sleep 0.2
    done
}

# --- 1. the init script, as the postgres image runs it ---------------------------------------------------------

start_server "$PG1" "$PGPORT1"
# What the postgres image has made when it runs the init scripts: POSTGRES_USER, a superuser with POSTGRES_PASSWORD,
# owning POSTGRES_DB.
psql_admin "$PGPORT1" postgres -v owner="$OWNER" -v password="$OWNER_PASSWORD" -v database="$DATABASE" <<'SQL'
CREATE ROLE :"owner" SUPERUSER LOGIN PASSWORD :'password';
CREATE DATABASE :"database" OWNER :"owner";
SQL
printf '%s' "$ROLE_PASSWORD" >"$work/IMAGEPROC_DB_PASSWORD"
run_app_role "$PG1" "$PGPORT1" "$DATABASE" >"$work/init-1.log" 2>&1 || fail "app-role.sh: $(cat "$work/init-1.log")"
run_app_role "$PG1" "$PGPORT1" "$DATABASE" >"$work/init-2.log" 2>&1 ||
    fail "app-role.sh, run again: $(cat "$work/init-2.log")"
pass "app-role.sh, twice: $(tail -n 1 "$work/init-2.log")"
# Without its password it refuses, and says what is missing.
: >"$work/IMAGEPROC_DB_PASSWORD"
if run_app_role "$PG1" "$PGPORT1" "$DATABASE" >"$work/init-3.log" 2>&1; then
    fail "app-role.sh ran without a password"
fi
grep -q 'add IMAGEPROC_DB_PASSWORD to k8s/secrets/postgres.env' "$work/init-3.log" || fail "$(cat "$work/init-3.log")"
printf '%s' "$ROLE_PASSWORD" >"$work/IMAGEPROC_DB_PASSWORD"
pass "app-role.sh refuses an empty password file"

# --- 2. serve as the app role, migrate as the owner ------------------------------------------------------------

log "imageproc serve as $ROLE on 127.0.0.1:$HTTP_PORT (log: $work/serve.log)"
env -i PATH="$PATH" HOME=/nonexistent HOST=127.0.0.1 PORT="$HTTP_PORT" IMAGEPROC_WORKERS=2 PGHOST=127.0.0.1 \
    PGPORT="$PGPORT1" PGDATABASE="$DATABASE" PGUSER="$ROLE" PGPASSWORD="$ROLE_PASSWORD" PGAPPNAME=imageproc \
    PGCONNECT_TIMEOUT=5 "$binary" serve >"$work/serve.log" 2>&1 &
server=$!
base="http://127.0.0.1:$HTTP_PORT"
wait_for "$base/healthz" 200 30
# Its role may not create the schema: it waits, unready, and says why.
deadline=$((SECONDS + 20))
until grep -q 'this role cannot migrate it; run imageproc migrate as its owner' "$work/serve.log"; do
    ((SECONDS < deadline)) || fail "serve as $ROLE on an empty database did not say it waits for the schema"
    sleep 0.2
done
[[ "$(curl -s -o /dev/null -w '%{http_code}' "$base/readyz")" == 503 ]] || fail "/readyz is not 503 before migrate"
pass "serve as $ROLE: /healthz 200, /readyz 503, waiting for the schema"

migrate "$PGPORT1" "$DATABASE" >"$work/migrate.log" 2>&1 || fail "migrate as $OWNER: $(cat "$work/migrate.log")"
grep -q 'schema migrated' "$work/migrate.log" || fail "migrate: $(cat "$work/migrate.log")"
wait_for "$base/readyz" 200 30
pass "migrate as $OWNER: migrations $(sed -n 's/.*db.migrations="\([^"]*\)".*/\1/p' "$work/migrate.log"); /readyz 200"

code="$(curl -sS -o "$work/upload.json" -w '%{http_code}' -F "file=@$PHOTO;type=image/jpeg" \
    "$base/api/images?op=resize,grayscale&width=32")"
[[ "$code" == 202 ]] || fail "upload: HTTP $code $(cat "$work/upload.json")"
id="$(jq -er .id "$work/upload.json")"
deadline=$((SECONDS + 60))
while :; do
    curl -sSf -o "$work/status.json" "$base/api/images/$id?wait=10" || fail "status of $id did not answer"
    status="$(jq -er .status "$work/status.json")"
    case "$status" in
        completed) break ;;
        failed) fail "job $id failed: $(cat "$work/status.json")" ;;
    esac
    ((SECONDS < deadline)) || fail "job $id still $status after 60 s"
done
read -r code type < <(curl -sS -o "$work/result" -w '%{http_code} %{content_type}\n' "$base/api/images/$id/download")
[[ "$code $type" == "200 image/jpeg" && -s "$work/result" ]] || fail "download of $id: HTTP $code, $type"
curl -sSf -o "$work/original" "$base/api/images/$id/original" || fail "no original of $id"
cmp -s "$PHOTO" "$work/original" || fail "the stored original differs from the upload"
pass "upload $id completed as $ROLE: $(stat -c %s "$work/result")-byte JPEG result, the original byte for byte"

kill -TERM "$server"
status=0
wait "$server" || status=$?
server=""
((status == 0)) || fail "serve exited with status $status after SIGTERM"

# --- 3. rows only ----------------------------------------------------------------------------------------------

check_rows_only "$PGPORT1" "$DATABASE"
pass "$ROLE reads and writes rows; ALTER TABLE … SET STORAGE: must be owner; CREATE TABLE: permission denied"

# --- 4. an existing install: the schema there before the role ------------------------------------------------------

psql_admin "$PGPORT1" postgres -v owner="$OWNER" <<'SQL'
CREATE DATABASE imageproc_existing OWNER :"owner";
SQL
migrate "$PGPORT1" imageproc_existing >"$work/migrate-existing.log" 2>&1 ||
    fail "migrate imageproc_existing: $(cat "$work/migrate-existing.log")"
run_app_role "$PG1" "$PGPORT1" imageproc_existing >"$work/init-existing.log" 2>&1 ||
    fail "app-role.sh on an existing database: $(cat "$work/init-existing.log")"
check_rows_only "$PGPORT1" imageproc_existing
pass "an existing, migrated database: app-role.sh grants its tables; rows only"

# --- 5. the ha overlay's bootstrap SQL, with CloudNativePG's non-superuser owner ---------------------------------

tools="$(dirname "$(python_venv deploy "$REPO_ROOT/tests/deploy/requirements.txt")")"
manifests="${HA_MANIFESTS:-}"
if [[ -z "$manifests" ]]; then
    cp -R "$REPO_ROOT/k8s" "$work/k8s"
    find "$work/k8s/secrets" -type f ! -name kustomization.yaml ! -name '*.example' -delete
    printf 'POSTGRES_PASSWORD=%s\nIMAGEPROC_DB_PASSWORD=%s\n' "$OWNER_PASSWORD" "$ROLE_PASSWORD" \
        >"$work/k8s/secrets/postgres.env"
    echo "$ROLE_PASSWORD" >"$work/k8s/secrets/api-tokens.txt"
    "$tools/kubectl" kustomize "$work/k8s/overlays/ha" >"$work/ha.yaml"
    manifests="$work/ha.yaml"
fi
"$tools/python" - "$manifests" >"$work/post-init.sql" <<'PY'
import sys, yaml
cluster = next(d for d in yaml.safe_load_all(open(sys.argv[1])) if d and d["kind"] == "Cluster")
print("".join(statement + ";\n" for statement in cluster["spec"]["bootstrap"]["initdb"]["postInitApplicationSQL"]))
PY
start_server "$PG2" "$PGPORT2"
# What CloudNativePG's initdb bootstrap has made before postInitApplicationSQL: the owner, no superuser, owning the
# application database.
psql_admin "$PGPORT2" postgres -v owner="$OWNER" -v password="$OWNER_PASSWORD" -v database="$DATABASE" <<'SQL'
CREATE ROLE :"owner" LOGIN PASSWORD :'password';
CREATE DATABASE :"database" OWNER :"owner";
SQL
psql_admin "$PGPORT2" "$DATABASE" -f "$work/post-init.sql" || fail "postInitApplicationSQL failed"
# The managed role's reconciliation: the attributes of cluster.yaml's `managed` entry and the Secret's password.
psql_admin "$PGPORT2" postgres -v role="$ROLE" -v password="$ROLE_PASSWORD" <<'SQL'
ALTER ROLE :"role" LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION NOBYPASSRLS NOINHERIT PASSWORD :'password';
SQL
migrate "$PGPORT2" "$DATABASE" >"$work/migrate-ha.log" 2>&1 || fail "migrate as the non-superuser owner:" \
    "$(cat "$work/migrate-ha.log")"
check_rows_only "$PGPORT2" "$DATABASE"
pass "ha: $(grep -c ';$' "$work/post-init.sql") bootstrap statements; migrate as a non-superuser $OWNER; rows only"

echo "app-role test: $passed passed, 0 failed (app-role.sh, serve as $ROLE and migrate as $OWNER, an existing" \
    "install, the ha bootstrap SQL)"
