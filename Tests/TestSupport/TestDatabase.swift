import Foundation

@testable import PostgresClient

/// The PostgreSQL database the integration tests run against, named by `DATABASE_URL`. Without it the tests fail
/// with a message saying so: they never skip.
enum TestDatabase {
    struct MissingURL: Error, CustomStringConvertible {
        var description: String {
            "DATABASE_URL is not set: the storage tests need a PostgreSQL database, e.g. "
                + "DATABASE_URL=postgresql://postgres@127.0.0.1:54329/imageproc_test (`make test` starts one)"
        }
    }

    static func url() throws -> String {
        guard let url = ProcessInfo.processInfo.environment["DATABASE_URL"], !url.isEmpty else { throw MissingURL() }
        return url
    }

    /// `DATABASE_URL` with libpq `options` (`-c name=value` switches, given here unencoded).
    static func url(options: String) throws -> String {
        let base = try url()
        var allowed = CharacterSet.alphanumerics
        allowed.insert(charactersIn: "-_.")
        let value = options.addingPercentEncoding(withAllowedCharacters: allowed) ?? ""
        return base + (base.contains("?") ? "&" : "?") + "options=" + value
    }

    static func connect() throws -> PostgresConnection {
        try PostgresConnection(url())
    }

    /// A conninfo for a port nothing listens on.
    static let unreachableURL = "postgresql://postgres@127.0.0.1:1/imageproc_test?connect_timeout=2"

    /// Runs `body` in a schema of its own (first on `search_path` of the connections it is given), dropped after.
    static func withScratchSchema<T>(
        _ body: (_ schema: String, _ connect: () throws -> PostgresConnection) throws -> T
    ) throws -> T {
        let admin = try connect()
        let schema = try createScratchSchema(admin)
        defer { _ = try? admin.query("DROP SCHEMA \(schema) CASCADE") }
        return try body(schema) {
            let connection = try connect()
            try connection.query("SELECT set_config('search_path', $1, false)", [schema])
            return connection
        }
    }

    /// ``withScratchSchema(_:)`` for bodies that await.
    static func withScratchSchemaAsync(_ body: (_ schema: String) async throws -> Void) async throws {
        let admin = try connect()
        let schema = try createScratchSchema(admin)
        do {
            try await body(schema)
        } catch {
            _ = try? admin.query("DROP SCHEMA \(schema) CASCADE")
            throw error
        }
        try admin.query("DROP SCHEMA \(schema) CASCADE")
    }

    /// An identifier cannot be a bound parameter; this one is made here from hex digits only.
    private static func createScratchSchema(_ admin: PostgresConnection) throws -> String {
        let schema = "test_" + UUID().uuidString.lowercased().replacingOccurrences(of: "-", with: "")
        try admin.query("CREATE SCHEMA \(schema)")
        return schema
    }

    /// `count` random bytes, filled eight at a time (byte-wise generation is slow in debug builds).
    static func randomBytes(_ count: Int) -> [UInt8] {
        var generator = SystemRandomNumberGenerator()
        return [UInt8](unsafeUninitializedCapacity: count) { buffer, initialized in
            let raw = UnsafeMutableRawBufferPointer(buffer)
            for offset in stride(from: 0, to: count, by: 8) {
                let word = generator.next()
                for index in 0..<min(8, count - offset) {
                    raw[offset + index] = UInt8(truncatingIfNeeded: word >> (8 * index))
                }
            }
            initialized = count
        }
    }
}
