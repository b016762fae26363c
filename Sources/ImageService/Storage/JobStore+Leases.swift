import Foundation
import PostgresClient

/// The lease protocol that lets many replicas share the table as a durable queue (the way river or Oban use
/// PostgreSQL): a job is held by at most one replica at a time, held jobs are kept alive by heartbeats, and a job
/// whose holder stopped heartbeating is taken over by the next sweep.
extension JobStore {
    /// Begins an attempt at a job this replica holds: `processing`, one more attempt, lease renewed. Nil when the
    /// lease was lost meanwhile (another replica took the job over) or the job is gone or finished.
    public func start(id: UUID, lease: JobLease) throws(PostgresError) -> JobAttempt? {
        let result = try connection.query(
            """
            UPDATE processed_images SET status = '\(JobTransition.start.target!.rawValue)', attempts = attempts + 1,
                lease_expires_at = now() + $3 * interval '1 millisecond', updated_at = now()
            WHERE id = $1 AND locked_by = $2 AND \(JobTransition.start.statusGuard)
            RETURNING attempts
            """, [id, lease.owner, Int(lease.duration.milliseconds)])
        guard result.rowCount == 1, let number = try result.int(0, 0) else { return nil }
        return JobAttempt(id: id, owner: lease.owner, number: number)
    }

    /// Takes up to `limit` jobs nobody holds — queued and free, or held by a replica whose lease ran out — oldest
    /// first, skipping rows other sweeps are taking at the same moment. Taken jobs are `queued` and held by
    /// `lease.owner`.
    ///
    /// At most `maxBytes` of originals and `maxEstimate` of estimated peak memory in all, oldest first (and the
    /// oldest whatever its size when `firstAlways`, for an empty queue): the candidates are locked, then only the
    /// run of them whose sizes add up within both bounds is taken and read, so a queue full by bytes reads no
    /// original it cannot hold, and jobs beyond one image-work budget stay in the database for any replica.
    public func claim(
        lease: JobLease, limit: Int, maxBytes: Int = .max, maxEstimate: Int = .max, firstAlways: Bool = true
    ) throws(PostgresError) -> [ClaimedJob] {
        let result = try connection.query(
            """
            WITH candidates AS (
                SELECT id, status, uploaded_at, original_bytes, coalesce(memory_estimate, 0) AS estimate
                FROM processed_images
                WHERE \(JobTransition.claim.statusGuard)
                    AND (locked_by IS NULL OR lease_expires_at < now())
                    AND (next_attempt_at IS NULL OR next_attempt_at <= now())
                ORDER BY uploaded_at
                LIMIT $3
                FOR UPDATE SKIP LOCKED
            ), fitting AS (
                SELECT id, status FROM (
                    SELECT id, status, row_number() OVER oldest_first AS position,
                        sum(original_bytes) OVER oldest_first AS running_bytes,
                        sum(estimate) OVER oldest_first AS running_estimate
                    FROM candidates
                    WINDOW oldest_first AS (ORDER BY uploaded_at, id)
                ) AS sized
                WHERE (running_bytes <= $4 AND running_estimate <= $6) OR (position = 1 AND $5)
            )
            UPDATE processed_images AS job SET status = '\(JobTransition.claim.target!.rawValue)', locked_by = $1,
                lease_expires_at = now() + $2 * interval '1 millisecond', updated_at = now()
            FROM fitting AS candidates
            WHERE job.id = candidates.id
            RETURNING job.id, job.operations, job.width, job.height, job.fit, job.output_format, job.quality,
                job.original_data, job.memory_estimate,
                candidates.status = '\(JobStatus.processing.rawValue)' AS was_abandoned
            """, [lease.owner, Int(lease.duration.milliseconds), limit, maxBytes, firstAlways, maxEstimate])
        return try (0..<result.rowCount).map { row throws(PostgresError) in
            let job = PendingJob(
                id: try Self.required(result.uuid(row, "id"), "id"),
                options: try Self.options(result, row),
                original: try Self.required(result.bytes(row, "original_data"), "original_data"),
                memoryEstimate: try result.int(row, "memory_estimate") ?? 0)
            return ClaimedJob(job: job, wasAbandoned: try result.bool(row, "was_abandoned") ?? false)
        }
    }

    /// Renews the lease on the jobs `ids` that `lease.owner` still holds. Returns how many.
    @discardableResult
    public func renewLeases(_ lease: JobLease, ids: [UUID]) throws(PostgresError) -> Int {
        guard !ids.isEmpty else { return 0 }
        // An array literal as text: one parameter whatever the count, cast by the server.
        let array = "{" + ids.map { $0.uuidString }.joined(separator: ",") + "}"
        return try connection.query(
            """
            UPDATE processed_images SET lease_expires_at = now() + $2 * interval '1 millisecond'
            WHERE id = ANY($3::uuid[]) AND locked_by = $1 AND \(JobTransition.renewLease.statusGuard)
            """, [lease.owner, Int(lease.duration.milliseconds), array]
        ).affectedRows
    }

    /// Gives a held job back: `queued`, free for any replica, not before `retryAfter` from now when given.
    @discardableResult
    public func release(id: UUID, owner: String, retryAfter: Duration? = nil) throws(PostgresError) -> Bool {
        try connection.query(
            """
            UPDATE processed_images SET status = '\(JobTransition.release.target!.rawValue)', locked_by = NULL,
                lease_expires_at = NULL, next_attempt_at = now() + $3 * interval '1 millisecond', updated_at = now()
            WHERE id = $1 AND locked_by = $2 AND \(JobTransition.release.statusGuard)
            """, [id, owner, retryAfter.map { Int($0.milliseconds) }]
        ).affectedRows == 1
    }

    /// Gives back every job `owner` holds: `queued`, free for any replica. At start-up a replica does this for the
    /// jobs its previous run held, so they are taken again at once rather than when their leases would run out.
    @discardableResult
    public func releaseAll(owner: String) throws(PostgresError) -> Int {
        try connection.query(
            """
            UPDATE processed_images SET status = '\(JobTransition.release.target!.rawValue)', locked_by = NULL,
                lease_expires_at = NULL, updated_at = now()
            WHERE locked_by = $1 AND \(JobTransition.release.statusGuard)
            """, [owner]
        ).affectedRows
    }

    /// Deletes up to `limit` finished jobs processed more than `days` ago. Returns how many.
    @discardableResult
    public func deleteFinished(olderThanDays days: Int, limit: Int) throws(PostgresError) -> Int {
        try connection.query(
            """
            DELETE FROM processed_images WHERE id IN (
                SELECT id FROM processed_images
                WHERE \(JobStatus.sqlCondition(JobStatus.terminal)) AND processed_at < now() - $1 * interval '1 day'
                LIMIT $2)
            """, [days, limit]
        ).affectedRows
    }

    /// Counts of unfinished jobs and the age of the oldest waiting one (read through the partial index only).
    public func backlog() throws(PostgresError) -> BacklogStatistics {
        let result = try connection.query(
            """
            SELECT count(*) FILTER (WHERE status = 'queued') AS queued,
                count(*) FILTER (WHERE status = 'processing') AS processing,
                coalesce(extract(epoch FROM now() - min(uploaded_at) FILTER (WHERE status = 'queued')), 0)::float8::text
                    AS oldest
            FROM processed_images WHERE \(JobStatus.sqlCondition(JobStatus.unfinished))
            """)
        return BacklogStatistics(
            queued: try result.int(0, "queued") ?? 0, processing: try result.int(0, "processing") ?? 0,
            oldestQueuedAge: Double(try result.string(0, "oldest") ?? "0") ?? 0)
    }
}
