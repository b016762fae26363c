import Foundation

/// The jobs table, `processed_images`, over one ``PostgresConnection``: a worker's own, or one lent by
/// ``PostgresPool/withConnection(_:)``. Blocking, like the connection.
///
/// Every value is a bound parameter; image bytes travel as binary BYTEA both ways. Reads of job records never
/// fetch image bytes, and status updates never name the image columns: PostgreSQL keeps an unchanged out-of-line
/// (TOAST) value by reference in the new row version, so the megabytes are not rewritten.
///
/// Transitions only leave `queued` and `processing`: ``complete(id:result:)`` and ``fail(id:failure:)`` on a job that
/// is already finished or deleted change nothing and return false.
public struct JobStore {
    public let connection: PostgresConnection

    public init(connection: PostgresConnection) {
        self.connection = connection
    }

    /// Stores a new job as `queued` and returns it as stored (with the server's upload time). A duplicate id throws
    /// a `uniqueViolation` error; metadata that is not JSON an `invalidTextRepresentation` one.
    public func insert(_ job: NewJob) throws(PostgresError) -> JobRecord {
        let result = try connection.query(
            """
            INSERT INTO processed_images (
                id, status, operations, width, height, fit, output_format, quality, filename, metadata,
                original_data, original_format, original_width, original_height, original_bytes)
            VALUES ($1, 'queued', $2, $3, $4, $5, $6, $7, $8, $9::jsonb, $10, $11, $12, $13, $14)
            RETURNING \(Self.recordColumns)
            """,
            [
                job.id, Self.operationsText(job.options.operations), job.options.width, job.options.height,
                job.options.fit.rawValue, job.options.format.rawValue, job.options.quality, job.filename, job.metadata,
                job.original, job.originalInfo.format.rawValue, job.originalInfo.width, job.originalInfo.height,
                job.original.count,
            ])
        return try Self.record(result, 0)
    }

    public func find(id: UUID) throws(PostgresError) -> JobRecord? {
        let result = try connection.query(
            "SELECT \(Self.recordColumns) FROM processed_images WHERE id = $1", [id])
        return result.rowCount == 0 ? nil : try Self.record(result, 0)
    }

    /// Up to `limit` (at least 1) jobs, newest first by (uploaded_at, id), starting after the job that `cursor`
    /// (a previous page's `next`) names. Throws ``InvalidCursor`` for a cursor this service did not issue.
    /// Keyset pagination: pages stay free of duplicates and gaps while jobs are added or deleted.
    public func list(limit: Int, before cursor: String?) throws -> JobPage {
        precondition(limit > 0, "a page holds at least one job")
        let after = try cursor.map { text throws(InvalidCursor) in try JobCursor(encoded: text) }
        // One more row than asked tells whether there is a next page.
        let result =
            if let after {
                try connection.query(
                    """
                    SELECT \(Self.recordColumns) FROM processed_images WHERE (uploaded_at, id) < ($2, $3)
                    ORDER BY uploaded_at DESC, id DESC LIMIT $1
                    """, [limit + 1, after.uploadedAt, after.id])
            } else {
                try connection.query(
                    "SELECT \(Self.recordColumns) FROM processed_images ORDER BY uploaded_at DESC, id DESC LIMIT $1",
                    [limit + 1])
            }
        let items = try (0..<min(result.rowCount, limit)).map { row throws(PostgresError) in
            try Self.record(result, row)
        }
        let next = result.rowCount > limit ? items.last.map { JobCursor(uploadedAt: $0.uploadedAt, id: $0.id) } : nil
        return JobPage(items: items, next: next?.encoded)
    }

    /// Deletes the job and its images; false if there was none.
    @discardableResult
    public func delete(id: UUID) throws(PostgresError) -> Bool {
        try connection.query("DELETE FROM processed_images WHERE id = $1", [id]).affectedRows == 1
    }

    public func originalImage(id: UUID) throws(PostgresError) -> StoredImage? {
        try image(
            "SELECT original_data AS data, original_format AS format FROM processed_images WHERE id = $1", id)
    }

    /// The result, or nil unless the job is `completed`.
    public func processedImage(id: UUID) throws(PostgresError) -> StoredImage? {
        try image(
            """
            SELECT processed_data AS data, processed_format AS format FROM processed_images
            WHERE id = $1 AND status = 'completed'
            """, id)
    }

    /// Moves a `queued` (or, when a job is retried, `processing`) job to `processing` and counts the attempt.
    /// False if the job is gone or already finished: the worker should drop it.
    public func markProcessing(id: UUID) throws(PostgresError) -> Bool {
        try connection.query(
            """
            UPDATE processed_images SET status = 'processing', attempts = attempts + 1, updated_at = now()
            WHERE id = $1 AND status IN ('queued', 'processing')
            """, [id]
        ).affectedRows == 1
    }

    /// Stores the result and marks the job `completed`, in one statement. False if the job is gone or finished.
    @discardableResult
    public func complete(id: UUID, result: ProcessedImage) throws(PostgresError) -> Bool {
        try connection.query(
            """
            UPDATE processed_images SET status = 'completed', processed_data = $2, processed_format = $3,
                processed_width = $4, processed_height = $5, processed_bytes = $6,
                error_code = NULL, error_message = NULL, processed_at = now(), updated_at = now()
            WHERE id = $1 AND status IN ('queued', 'processing')
            """,
            [id, result.bytes, result.info.format.rawValue, result.info.width, result.info.height, result.bytes.count]
        ).affectedRows == 1
    }

    /// Marks the job `failed` with why. False if the job is gone or finished.
    @discardableResult
    public func fail(id: UUID, failure: JobFailure) throws(PostgresError) -> Bool {
        try connection.query(
            """
            UPDATE processed_images SET status = 'failed', error_code = $2, error_message = $3,
                processed_at = now(), updated_at = now()
            WHERE id = $1 AND status IN ('queued', 'processing')
            """, [id, failure.code, failure.message]
        ).affectedRows == 1
    }

    /// Up to `limit` jobs still `queued` or `processing` (interrupted by a stop), oldest first, with their original
    /// bytes: what start-up puts back on the queue.
    public func unfinishedJobs(limit: Int) throws(PostgresError) -> [PendingJob] {
        let result = try connection.query(
            """
            SELECT id, operations, width, height, fit, output_format, quality, original_data
            FROM processed_images WHERE status IN ('queued', 'processing') ORDER BY uploaded_at LIMIT $1
            """, [limit])
        return try (0..<result.rowCount).map { row throws(PostgresError) in
            PendingJob(
                id: try Self.required(result.uuid(row, "id"), "id"),
                options: try Self.options(result, row),
                original: try Self.required(result.bytes(row, "original_data"), "original_data"))
        }
    }

    private func image(_ sql: String, _ id: UUID) throws(PostgresError) -> StoredImage? {
        let result = try connection.query(sql, [id])
        guard result.rowCount == 1, let bytes = try result.bytes(0, "data") else { return nil }
        return StoredImage(bytes: bytes, format: try Self.enumValue(result.string(0, "format"), "format"))
    }
}

@available(*, unavailable)
extension JobStore: Sendable {}
