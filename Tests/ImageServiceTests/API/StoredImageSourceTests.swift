import Foundation
import Testing

@testable import ImageService
@testable import PostgresClient
@testable import TestSupport

/// Large downloads read from PostgreSQL a part at a time: the bytes the client gets are the stored ones, exactly,
/// whatever the part boundaries.
@Suite struct StoredImageSourceTests {
    @Test func streamsALargeOriginalByteForByte() async throws {
        let service = try TestService()
        defer { try? service.dropSchema() }
        try await blocking {
            // 700 × 700 RGB, stored deflate: about 1.4 MiB, over the streaming threshold and not a multiple of a part.
            let image = PNGFixture.image(width: 700, height: 700, colorType: .rgb) { x, y in
                [
                    UInt8(truncatingIfNeeded: x &* 7 &+ y), UInt8(truncatingIfNeeded: y &* 13),
                    UInt8(truncatingIfNeeded: x ^ y),
                ]
            }
            #expect(image.count > StoredImageSource.streamingThreshold)
            let client = try service.client()
            let created = try client.request(
                "POST", "/api/images?op=resize&width=10", headers: [("Content-Type", "image/png")], body: image)
            #expect(created.status == 202)
            let id = try #require(try created.json()["id"] as? String)
            let download = try client.request("GET", "/api/images/\(id)/original")
            #expect(download.status == 200)
            #expect(download.header("Content-Length") == String(image.count))
            #expect(download.body == image)
            let head = try client.request("HEAD", "/api/images/\(id)/original")
            #expect(head.header("Content-Length") == String(image.count))
        }
    }

    /// A job deleted while its image is being streamed ends the connection short: never a wrong body.
    @Test func aPartOfADeletedImageIsAnError() async throws {
        let service = try TestService()
        defer { try? service.dropSchema() }
        let database = PostgresPool(conninfo: service.databaseURL, maxConnections: 1)
        defer { database.shutdown() }
        let source = StoredImageSource(database: database, id: UUID(), kind: .original, count: 10)
        await #expect(throws: StoredImageSource.Gone.self) { _ = try await source.read(offset: 0, maxCount: 10) }
    }
}
