-- The postgres_exporter sidecar's role: it logs in over the pod's unix socket (trust for local connections,
-- initdb's default in the postgres image) and reads statistics through pg_monitor, nothing else: no table, no
-- superuser. Run by the postgres image on first start (/docker-entrypoint-initdb.d); on an existing database,
-- run it once by hand (README, Deploy). Idempotent.
DO $$
BEGIN
    IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'postgres_exporter') THEN
        CREATE ROLE postgres_exporter LOGIN;
    END IF;
END
$$;
GRANT pg_monitor TO postgres_exporter;
