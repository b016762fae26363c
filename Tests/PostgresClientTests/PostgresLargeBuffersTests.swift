import Testing

@testable import PostgresClient
@testable import TestSupport

/// libpq never shrinks its buffers: connections that carried a photo are kept only by a pool meant for photos.
@Suite struct PostgresLargeBuffersTests {
    @Test func aConnectionIsFlaggedOnlyAfterALargeStatementOrResult() throws {
        let connection = try TestDatabase.connect()
        try connection.query("SELECT $1::bytea", [[UInt8](repeating: 1, count: 1000)])
        #expect(!connection.holdsLargeBuffers)
        try connection.query("SELECT length($1::bytea)", [[UInt8](repeating: 1, count: 3 * 1024 * 1024)])
        #expect(connection.holdsLargeBuffers)
        #expect(connection.largestMessageBytes == 3 * 1024 * 1024)

        let reader = try TestDatabase.connect()
        try reader.query("SELECT decode(repeat('ab', 3 * 1024 * 1024), 'hex')")
        #expect(reader.holdsLargeBuffers)
    }

    @Test func thePoolClosesAConnectionThatCarriedALargeStatement() async throws {
        let pool = PostgresPool(conninfo: try TestDatabase.url(), maxConnections: 1)
        defer { pool.shutdown() }
        let small = try await pool.withConnection { $0.backendPID }
        #expect(try await pool.withConnection { $0.backendPID } == small)
        let large = try await carry(3 * 1024 * 1024, through: pool)
        #expect(large == small)
        #expect(try await pool.withConnection { $0.backendPID } != large)
    }

    @Test func aPoolForPhotosKeepsConnectionsUpToItsLimit() async throws {
        let pool = PostgresPool(conninfo: try TestDatabase.url(), maxConnections: 1, keptMessageBytes: 4 * 1024 * 1024)
        defer { pool.shutdown() }
        let photo = try await carry(3 * 1024 * 1024, through: pool)
        #expect(try await pool.withConnection { $0.backendPID } == photo)
        let larger = try await carry(5 * 1024 * 1024, through: pool)
        #expect(larger == photo)
        #expect(try await pool.withConnection { $0.backendPID } != larger)
    }
}

/// Sends a statement of `byteCount` bytes through a connection of `pool`; answers that connection's server process.
private func carry(_ byteCount: Int, through pool: PostgresPool) async throws -> Int32 {
    try await pool.withConnection { connection in
        try connection.query("SELECT length($1::bytea)", [[UInt8](repeating: 7, count: byteCount)])
        return connection.backendPID
    }
}
