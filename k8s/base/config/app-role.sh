#!/usr/bin/env bash
# The service's login role, IMAGEPROC_DB_USER (postgres-config): it may connect to POSTGRES_DB, use schema public
# and read and write the rows of the tables that POSTGRES_USER, the owner, creates there (its migrations, run by the
# Deployment's init container) or has created already. Nothing else: not a superuser, no CREATE on the schema, so it
# can neither change the schema (ALTER TABLE … SET STORAGE, CREATE TABLE) nor create roles or databases.
#
# Run by the postgres image on first start (/docker-entrypoint-initdb.d, mounted executable so that it runs as its
# own process), as POSTGRES_USER over the unix socket. On an existing database, run it once by hand, the same way
# (README, Deploy):
#   kubectl -n imageproc exec postgres-0 -c postgres -- /docker-entrypoint-initdb.d/app-role.sh
# Idempotent: it creates the role or resets its attributes and password, then grants again. Needs a superuser (the
# image's POSTGRES_USER is one) and psql 15 or later (\getenv), the image's.
#
# Environment: POSTGRES_USER, POSTGRES_DB (default POSTGRES_USER), IMAGEPROC_DB_USER, and the role's password in
# IMAGEPROC_DB_PASSWORD or, as the StatefulSet mounts it from the Secret, in the file IMAGEPROC_DB_PASSWORD_FILE.
# PG* variables (PGHOST, PGPORT) say where the server is, as for any psql; unset, the default unix socket.
# scripts/check-deploy.sh runs it against a throwaway PostgreSQL (tests/deploy/app_role.sh).

# A subshell of its own, so that the entrypoint's shell is untouched even if this file is sourced (the image sources
# a .sh that is not executable).
create_app_role() (
    set -euo pipefail
    local owner="${POSTGRES_USER:?POSTGRES_USER is not set}"
    local database="${POSTGRES_DB:-$owner}"
    local role="${IMAGEPROC_DB_USER:?IMAGEPROC_DB_USER is not set (postgres-config)}"
    local password="${IMAGEPROC_DB_PASSWORD:-}"
    if [[ -n "$password" && -n "${IMAGEPROC_DB_PASSWORD_FILE:-}" ]]; then
        echo "app-role.sh: both IMAGEPROC_DB_PASSWORD and IMAGEPROC_DB_PASSWORD_FILE are set" >&2
        return 1
    fi
    if [[ -n "${IMAGEPROC_DB_PASSWORD_FILE:-}" ]]; then
        password="$(<"$IMAGEPROC_DB_PASSWORD_FILE")"
    fi
    if [[ -z "$password" ]]; then
        echo "app-role.sh: no password for $role: add IMAGEPROC_DB_PASSWORD to k8s/secrets/postgres.env" >&2
        return 1
    fi
    if [[ "$role" == "$owner" ]]; then
        echo "app-role.sh: IMAGEPROC_DB_USER must not be the owner, $owner" >&2
        return 1
    fi
    # The password reaches psql through its environment (readable by this user only), never its command line, and
    # the statement that carries it is kept out of the server's log.
    IMAGEPROC_DB_PASSWORD="$password" psql -X -q -v ON_ERROR_STOP=1 --no-password \
        --username "$owner" --dbname "$database" -v owner="$owner" -v database="$database" -v role="$role" <<'SQL'
\getenv password IMAGEPROC_DB_PASSWORD
SELECT NOT EXISTS (SELECT FROM pg_roles WHERE rolname = :'role') AS missing \gset
\if :missing
CREATE ROLE :"role";
\endif
BEGIN;
SET LOCAL log_statement = none;
SET LOCAL log_min_error_statement = panic;
ALTER ROLE :"role" LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION NOBYPASSRLS NOINHERIT PASSWORD :'password';
COMMIT;
GRANT CONNECT ON DATABASE :"database" TO :"role";
-- PostgreSQL 15's default already; kept so that a schema carried over from an older version is no exception.
REVOKE CREATE ON SCHEMA public FROM PUBLIC;
GRANT USAGE ON SCHEMA public TO :"role";
-- Every table the owner creates from now on (the service uses no sequences, so tables are all it needs)…
ALTER DEFAULT PRIVILEGES FOR ROLE :"owner" IN SCHEMA public GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO :"role";
-- …and those it created before (an existing install, which ran its migrations before this script).
GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO :"role";
SQL
    echo "app-role.sh: role $role reads and writes the rows of $owner's tables in database $database"
)

create_app_role
