import Foundation
import PostgresClient

/// The two images of a job, read in two steps: what they are (one small query, no bytes), then their bytes.
/// Conditional requests and refusals are decided between the two, so a `304`, `404` or `409` never reads image
/// bytes from PostgreSQL.
extension JobStore {
    /// The job and its image of `kind` described without bytes; nil if there is no such job.
    public func imageMetadata(id: UUID, kind: ImageKind) throws(PostgresError) -> StoredImageMetadata? {
        try find(id: id).map { StoredImageMetadata(job: $0, kind: kind) }
    }

    /// The bytes of the original, or of the result once `completed`; nil if there are none (anymore).
    public func imageBytes(id: UUID, kind: ImageKind) throws(PostgresError) -> [UInt8]? {
        let result =
            switch kind {
            case .original:
                try connection.query("SELECT original_data AS data FROM processed_images WHERE id = $1", [id])
            case .processed:
                try connection.query(
                    """
                    SELECT processed_data AS data FROM processed_images
                    WHERE id = $1 AND status = '\(JobStatus.completed.rawValue)'
                    """, [id])
            }
        guard result.rowCount == 1 else { return nil }
        return try result.bytes(0, "data")
    }

    /// Up to `count` bytes of the image of `kind` from `offset` (0-based), or nil when the job is gone (or, for the
    /// result, not `completed`). The image columns are stored `EXTERNAL` (uncompressed TOAST), for which
    /// PostgreSQL's `substring` reads only the TOAST chunks that hold the part: a download holds one part per
    /// client instead of the whole image.
    public func imagePart(id: UUID, kind: ImageKind, offset: Int, count: Int) throws(PostgresError) -> [UInt8]? {
        let sql =
            switch kind {
            case .original:
                """
                SELECT substring(original_data FROM $2::integer FOR $3::integer) AS part FROM processed_images
                WHERE id = $1
                """
            case .processed:
                """
                SELECT substring(processed_data FROM $2::integer FOR $3::integer) AS part FROM processed_images
                WHERE id = $1 AND status = '\(JobStatus.completed.rawValue)'
                """
            }
        let result = try connection.query(sql, [id, offset + 1, count])
        guard result.rowCount == 1 else { return nil }
        return try result.bytes(0, "part")
    }
}
