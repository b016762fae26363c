import PostgresClient

/// The schema of the service's database and the code that brings a database up to it at start-up.
///
/// To change the schema, append a ``Migration`` with the next version to ``all``; never edit one that has shipped.
public enum Migrations {
    /// Every migration, oldest first.
    public static let all: [Migration] = [
        Migration(
            version: 1, name: "processed images",
            statements: [
                """
                CREATE TABLE processed_images (
                    id UUID PRIMARY KEY,
                    status TEXT NOT NULL CHECK (status IN ('queued', 'processing', 'completed', 'failed')),
                    operations TEXT NOT NULL,
                    width INT,
                    height INT,
                    fit TEXT NOT NULL,
                    output_format TEXT NOT NULL,
                    quality INT NOT NULL,
                    filename TEXT,
                    metadata JSONB,
                    original_data BYTEA NOT NULL,
                    original_format TEXT NOT NULL,
                    original_width INT NOT NULL,
                    original_height INT NOT NULL,
                    original_bytes BIGINT NOT NULL,
                    processed_data BYTEA,
                    processed_format TEXT,
                    processed_width INT,
                    processed_height INT,
                    processed_bytes BIGINT,
                    error_code TEXT,
                    error_message TEXT,
                    attempts INT NOT NULL DEFAULT 0,
                    uploaded_at TIMESTAMPTZ NOT NULL DEFAULT now(),
                    processed_at TIMESTAMPTZ,
                    updated_at TIMESTAMPTZ NOT NULL DEFAULT now(),
                    CONSTRAINT processed_images_completed_has_result
                        CHECK (status <> 'completed' OR processed_data IS NOT NULL)
                )
                """,
                // JPEG and PNG are already compressed: store the bytes out of line without trying to compress them.
                """
                ALTER TABLE processed_images
                    ALTER COLUMN original_data SET STORAGE EXTERNAL,
                    ALTER COLUMN processed_data SET STORAGE EXTERNAL
                """,
                // Recovery at start-up scans the unfinished jobs, oldest first.
                """
                CREATE INDEX processed_images_unfinished_idx ON processed_images (uploaded_at)
                    WHERE status IN ('queued', 'processing')
                """,
                // The list is keyset-paginated on (uploaded_at, id), newest first.
                "CREATE INDEX processed_images_list_idx ON processed_images (uploaded_at DESC, id DESC)",
            ]),
        Migration(
            version: 2, name: "leases, retries and idempotency keys",
            statements: [
                // A lease says which replica holds the job (queued in its memory or processing) and until when;
                // `next_attempt_at` delays a retry; the idempotency key and the fingerprint of what was sent with
                // it make a repeated upload return the first job.
                """
                ALTER TABLE processed_images
                    ADD COLUMN locked_by TEXT,
                    ADD COLUMN lease_expires_at TIMESTAMPTZ,
                    ADD COLUMN next_attempt_at TIMESTAMPTZ,
                    ADD COLUMN idempotency_key TEXT,
                    ADD COLUMN request_fingerprint TEXT
                """,
                "DROP INDEX processed_images_unfinished_idx",
                // What a sweep scans: unfinished jobs, oldest first. Partial, so finished rows never enter it.
                """
                CREATE INDEX processed_images_claimable_idx ON processed_images (uploaded_at)
                    WHERE status IN ('queued', 'processing')
                """,
                """
                CREATE UNIQUE INDEX processed_images_idempotency_key_idx ON processed_images (idempotency_key)
                    WHERE idempotency_key IS NOT NULL
                """,
                // Retention deletes finished jobs by age.
                """
                CREATE INDEX processed_images_finished_idx ON processed_images (processed_at)
                    WHERE status IN ('completed', 'failed')
                """,
                // A queue churns rows: vacuum sooner than the defaults, and leave room on each page so status
                // updates stay HOT (no index writes).
                """
                ALTER TABLE processed_images SET (
                    fillfactor = 80,
                    autovacuum_vacuum_scale_factor = 0.02,
                    autovacuum_analyze_scale_factor = 0.05
                )
                """,
            ]),
        Migration(
            version: 3, name: "previews",
            statements: [
                // Small renditions for the page's thumbnails, made on first request and kept with their image.
                """
                CREATE TABLE image_previews (
                    image_id UUID NOT NULL REFERENCES processed_images (id) ON DELETE CASCADE,
                    kind TEXT NOT NULL CHECK (kind IN ('original', 'processed')),
                    size INT NOT NULL,
                    format TEXT NOT NULL,
                    data BYTEA NOT NULL,
                    PRIMARY KEY (image_id, kind, size)
                )
                """,
                "ALTER TABLE image_previews ALTER COLUMN data SET STORAGE EXTERNAL",
            ]),
        Migration(
            version: 4, name: "memory estimates",
            statements: [
                // The kernel's estimate of each job's peak memory, made at upload, so that a sweep claims only the
                // jobs that fit in its replica's memory queue. NULL for jobs stored before; counted as 0.
                "ALTER TABLE processed_images ADD COLUMN memory_estimate BIGINT CHECK (memory_estimate >= 0)"
            ]),
    ]

    /// The `pg_advisory_xact_lock` key that serialises migrations across instances ("imagepro" in ASCII).
    static let lockKey = 0x696D_6167_6570_726F

    /// The schema version this binary expects: its newest migration.
    public static var latestVersion: Int { all.map(\.version).max() ?? 0 }

    /// The versions applied to `connection`'s database; empty when it has no `schema_migrations` table yet. Reads
    /// only, so a role that may not change the schema can ask.
    public static func appliedVersions(on connection: PostgresConnection) throws -> Set<Int> {
        let exists = try connection.query("SELECT to_regclass('schema_migrations') IS NOT NULL")
        guard try exists.bool(0, 0) == true else { return [] }
        let rows = try connection.query("SELECT version FROM schema_migrations")
        return Set(try (0..<rows.rowCount).compactMap { row throws(PostgresError) in try rows.int(row, 0) })
    }

    /// Applies the migrations `connection`'s database lacks, all in one transaction, and returns their versions.
    ///
    /// A database that has them all is only read (no lock, no DDL), so `serve` may connect as a role that cannot
    /// change the schema once `imageproc migrate` ran as its owner; such a role gets PostgreSQL's
    /// `insufficient_privilege` while migrations are missing. Safe when several instances start at once: the
    /// first to take the advisory lock migrates, the others wait for its commit and then find nothing to do.
    /// Versions in the database that this binary does not know (a newer instance ran first) are left alone.
    @discardableResult
    public static func run(on connection: PostgresConnection, migrations: [Migration] = all) throws -> [Int] {
        let wanted = Set(migrations.map(\.version))
        guard !wanted.isSubset(of: try appliedVersions(on: connection)) else { return [] }
        return try connection.transaction {
            try connection.query("SELECT pg_advisory_xact_lock($1)", [lockKey])
            try connection.query(
                """
                CREATE TABLE IF NOT EXISTS schema_migrations (
                    version INT PRIMARY KEY,
                    name TEXT NOT NULL,
                    applied_at TIMESTAMPTZ NOT NULL DEFAULT now()
                )
                """)
            let applied = try appliedVersions(on: connection)
            var done: [Int] = []
            for migration in migrations.sorted(by: { $0.version < $1.version })
            where !applied.contains(migration.version) {
                for statement in migration.statements {
                    try connection.query(statement)
                }
                try connection.query(
                    "INSERT INTO schema_migrations (version, name) VALUES ($1, $2)",
                    [migration.version, migration.name])
                done.append(migration.version)
            }
            return done
        }
    }
}
