import Foundation

/// Reading a stored image a part at a time, so that a download holds one part per client instead of the whole
/// image. The image columns are stored `EXTERNAL` (uncompressed TOAST), for which PostgreSQL's `substring` reads
/// only the TOAST chunks that hold the part asked for.
extension JobStore {
    /// Up to `count` bytes of the image of `kind` from `offset` (0-based), or nil when the job is gone (or, for the
    /// result, not `completed`).
    public func imagePart(id: UUID, kind: ImageKind, offset: Int, count: Int) throws(PostgresError) -> [UInt8]? {
        let sql =
            switch kind {
            case .original:
                "SELECT substring(original_data FROM $2 FOR $3) AS part FROM processed_images WHERE id = $1"
            case .processed:
                """
                SELECT substring(processed_data FROM $2 FOR $3) AS part FROM processed_images
                WHERE id = $1 AND status = 'completed'
                """
            }
        let result = try connection.query(sql, [id, offset + 1, count])
        guard result.rowCount == 1 else { return nil }
        return try result.bytes(0, "part")
    }
}
