import Testing

@testable import ImageService

/// libpq never shrinks its buffers: connections that carried a photo are not kept.
@Suite struct PostgresLargeBuffersTests {
    @Test func aConnectionIsFlaggedOnlyAfterALargeStatementOrResult() throws {
        let connection = try TestDatabase.connect()
        try connection.query("SELECT $1::bytea", [[UInt8](repeating: 1, count: 1000)])
        #expect(!connection.holdsLargeBuffers)
        try connection.query("SELECT length($1::bytea)", [[UInt8](repeating: 1, count: 3 * 1024 * 1024)])
        #expect(connection.holdsLargeBuffers)

        let reader = try TestDatabase.connect()
        try reader.query("SELECT decode(repeat('ab', 3 * 1024 * 1024), 'hex')")
        #expect(reader.holdsLargeBuffers)
    }

    @Test func thePoolClosesAConnectionThatCarriedALargeStatement() async throws {
        let pool = PostgresPool(conninfo: try TestDatabase.url(), maxConnections: 1)
        defer { pool.shutdown() }
        let small = try await pool.withConnection { $0.backendPID }
        #expect(try await pool.withConnection { $0.backendPID } == small)
        let large = try await pool.withConnection { connection in
            try connection.query("SELECT length($1::bytea)", [[UInt8](repeating: 7, count: 3 * 1024 * 1024)])
            return connection.backendPID
        }
        #expect(large == small)
        #expect(try await pool.withConnection { $0.backendPID } != large)
    }
}
