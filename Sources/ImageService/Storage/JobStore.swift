import Foundation
import Imaging
import PostgresClient

/// The jobs table, `processed_images`, over one ``PostgresConnection``: a worker's own, or one lent by
/// ``PostgresPool/withConnection(_:)``. Blocking, like the connection.
///
/// Every value is a bound parameter; image bytes travel as binary BYTEA both ways. Reads of job records never
/// fetch image bytes, and status updates never name the image columns: PostgreSQL keeps an unchanged out-of-line
/// (TOAST) value by reference in the new row version, so the megabytes are not rewritten.
///
/// Every status change is a ``JobTransition``, its `status` guard and new status taken from it: a statement on a job
/// in another status (finished, deleted, taken over) changes nothing and returns false.
public struct JobStore {
    public let connection: PostgresConnection

    public init(connection: PostgresConnection) {
        self.connection = connection
    }

    /// Stores a new job as `queued` and returns it as stored (with the server's upload time). With `lease`, the job
    /// is born held by that replica (it sits in the replica's memory queue); without, any replica's sweep may take it.
    ///
    /// With an idempotency key already used within 24 hours, nothing is stored: the first job comes back as
    /// `.existing`, or `.keyReused` when it was made from a different upload or parameters. Metadata that is not
    /// JSON throws an `invalidTextRepresentation` error.
    public func insert(_ job: NewJob, lease: JobLease? = nil) throws(PostgresError) -> InsertOutcome {
        if let key = job.idempotencyKey {
            // A key older than its 24 hours is free again: forget it on the old row.
            try connection.query(
                """
                UPDATE processed_images SET idempotency_key = NULL
                WHERE idempotency_key = $1 AND uploaded_at < now() - interval '24 hours'
                """, [key])
        }
        let result: PostgresResult
        do {
            result = try insertRow(job, lease: lease)
        } catch where error.code == .uniqueViolation && error.constraint == "processed_images_pkey" {
            // Ids are fresh random UUIDs: a duplicate means the connection broke after our INSERT committed and the
            // statement was sent again. The row is ours.
            guard let record = try find(id: job.id) else { throw error }
            return .created(record)
        }
        if result.rowCount == 1 { return .created(try Self.record(result, 0)) }
        return try existingJob(for: job, lease: lease)
    }

    private func insertRow(_ job: NewJob, lease: JobLease?) throws(PostgresError) -> PostgresResult {
        try connection.query(
            """
            INSERT INTO processed_images (
                id, status, operations, width, height, fit, output_format, quality, filename, metadata,
                original_data, original_format, original_width, original_height, original_bytes,
                locked_by, lease_expires_at, idempotency_key, request_fingerprint, memory_estimate)
            VALUES ($1, '\(JobStatus.initial.rawValue)', $2, $3, $4, $5, $6, $7, $8, $9::jsonb, $10, $11, $12, $13, $14,
                $15, now() + $16 * interval '1 millisecond', $17,
                CASE WHEN $17::text IS NULL THEN NULL ELSE md5($10 || convert_to($18, 'UTF8')) END, $19)
            ON CONFLICT (idempotency_key) WHERE idempotency_key IS NOT NULL DO NOTHING
            RETURNING \(Self.recordColumns)
            """,
            [
                job.id, Self.operationsText(job.options.operations), job.options.width, job.options.height,
                job.options.fit.rawValue, job.options.format.rawValue, job.options.quality, job.filename, job.metadata,
                job.original, job.originalInfo.format.rawValue, job.originalInfo.width, job.originalInfo.height,
                job.original.count, lease?.owner, lease.map { Int($0.duration.milliseconds) }, job.idempotencyKey,
                Self.fingerprintText(job.options), job.memoryEstimate,
            ])
    }

    /// The job that already holds `job`'s idempotency key, if it came from the same request.
    private func existingJob(for job: NewJob, lease: JobLease?) throws(PostgresError) -> InsertOutcome {
        // The key is taken: by the same request (a retry) or by another one.
        let existing = try connection.query(
            """
            SELECT \(Self.recordColumns), request_fingerprint = md5($2 || convert_to($3, 'UTF8')) AS same_request
            FROM processed_images WHERE idempotency_key = $1
            """, [job.idempotencyKey, job.original, Self.fingerprintText(job.options)])
        guard existing.rowCount == 1 else {
            // Deleted between the two statements: the key is free, so try once more.
            return try insert(job, lease: lease)
        }
        return try existing.bool(0, "same_request") == true ? .existing(try Self.record(existing, 0)) : .keyReused
    }

    /// Everything about a request besides its bytes that makes it a different job.
    private static func fingerprintText(_ options: ProcessingOptions) -> String {
        [
            operationsText(options.operations), options.width.map(String.init) ?? "",
            options.height.map(String.init) ?? "",
            options.fit.rawValue, options.format.rawValue, String(options.quality),
        ].joined(separator: ";")
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
            WHERE id = $1 AND status = '\(JobStatus.completed.rawValue)'
            """, id)
    }

    /// Stores the result and marks the job `completed`, in one statement, if `attempt` still holds the job: a late
    /// worker whose lease was taken over cannot overwrite a newer attempt. False otherwise.
    @discardableResult
    public func complete(_ attempt: JobAttempt, result: ProcessedImage) throws(PostgresError) -> Bool {
        try connection.query(
            """
            UPDATE processed_images SET status = '\(JobTransition.complete.target!.rawValue)', processed_data = $4,
                processed_format = $5,
                processed_width = $6, processed_height = $7, processed_bytes = $8,
                error_code = NULL, error_message = NULL, processed_at = now(), updated_at = now(),
                locked_by = NULL, lease_expires_at = NULL
            WHERE id = $1 AND locked_by = $2 AND attempts = $3 AND \(JobTransition.complete.statusGuard)
            """,
            [
                attempt.id, attempt.owner, attempt.number, result.bytes, result.info.format.rawValue,
                result.info.width, result.info.height, result.bytes.count,
            ]
        ).affectedRows == 1
    }

    /// Marks the job `failed` with why, if `attempt` still holds it. False otherwise.
    @discardableResult
    public func fail(_ attempt: JobAttempt, failure: JobFailure) throws(PostgresError) -> Bool {
        try connection.query(
            """
            UPDATE processed_images SET status = '\(JobTransition.fail.target!.rawValue)', error_code = $4,
                error_message = $5, processed_at = now(), updated_at = now(), locked_by = NULL, lease_expires_at = NULL
            WHERE id = $1 AND locked_by = $2 AND attempts = $3 AND \(JobTransition.fail.statusGuard)
            """, [attempt.id, attempt.owner, attempt.number, failure.code, failure.message]
        ).affectedRows == 1
    }

    private func image(_ sql: String, _ id: UUID) throws(PostgresError) -> StoredImage? {
        let result = try connection.query(sql, [id])
        guard result.rowCount == 1, let bytes = try result.bytes(0, "data") else { return nil }
        return StoredImage(bytes: bytes, format: try Self.enumValue(result.string(0, "format"), "format"))
    }
}

@available(*, unavailable)
extension JobStore: Sendable {}
