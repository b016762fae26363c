import Foundation

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
                    "SELECT processed_data AS data FROM processed_images WHERE id = $1 AND status = 'completed'",
                    [id])
            }
        guard result.rowCount == 1 else { return nil }
        return try result.bytes(0, "data")
    }
}
