import Foundation
import HTTPProtocol
import PostgresClient

/// A stored image sent to a client in parts read from PostgreSQL as the socket takes them (``HTTPBodySource``).
///
/// A job deleted halfway through ends the connection: the head has already promised `count` bytes, so the client
/// sees a short body, never a wrong one.
struct StoredImageSource: HTTPBodySource {
    let database: PostgresPool
    let id: UUID
    let kind: ImageKind
    let count: Int

    /// Images at least this large are streamed; smaller ones are read whole, in one query.
    static let streamingThreshold = 1024 * 1024

    struct Gone: Error {}

    func read(offset: Int, maxCount: Int) async throws -> [UInt8] {
        let (id, kind) = (self.id, self.kind)
        let part = try await database.withConnection {
            try JobStore(connection: $0).imagePart(id: id, kind: kind, offset: offset, count: maxCount)
        }
        guard let part else { throw Gone() }
        return part
    }
}
