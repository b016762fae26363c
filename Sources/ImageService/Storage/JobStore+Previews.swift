import Foundation
import PostgresClient

/// Which of a job's two images.
public enum ImageKind: String, Sendable {
    case original
    case processed
}

/// Thumbnails of a job's images, cached in `image_previews` and deleted with the job.
extension JobStore {
    /// The cached preview of `kind` at `size`, if one was made.
    public func preview(id: UUID, kind: ImageKind, size: Int) throws(PostgresError) -> StoredImage? {
        let result = try connection.query(
            "SELECT data, format FROM image_previews WHERE image_id = $1 AND kind = $2 AND size = $3",
            [id, kind.rawValue, size])
        guard result.rowCount == 1, let bytes = try result.bytes(0, "data") else { return nil }
        return StoredImage(bytes: bytes, format: try Self.enumValue(result.string(0, "format"), "format"))
    }

    /// Keeps a preview; a concurrent request that made the same one first wins, and nothing happens if the job
    /// was deleted meanwhile.
    public func savePreview(_ image: StoredImage, id: UUID, kind: ImageKind, size: Int) throws(PostgresError) {
        try connection.query(
            """
            INSERT INTO image_previews (image_id, kind, size, format, data)
            SELECT $1, $2, $3, $4, $5 WHERE EXISTS (SELECT 1 FROM processed_images WHERE id = $1)
            ON CONFLICT DO NOTHING
            """, [id, kind.rawValue, size, image.format.rawValue, image.bytes])
    }
}
