@testable import TestSupport

@testable import ImageService
@testable import PostgresClient

extension TestDatabase {
    /// A connection to the database with the service's schema in place.
    static func migrated() throws -> PostgresConnection {
        let connection = try connect()
        try Migrations.run(on: connection)
        return connection
    }

    /// Runs blocking `body` on a thread of its own with a migrated scratch schema: its conninfo (the schema first on
    /// `search_path`, for the connections of what the test starts) and a job store on it.
    static func withMigratedScratchSchema(
        _ body: @escaping @Sendable (_ conninfo: String, _ store: JobStore) throws -> Void
    ) async throws {
        try await withScratchSchemaAsync { schema in
            try await blocking {
                let url = try url(options: "-c search_path=\(schema)")
                let store = JobStore(connection: try PostgresConnection(url))
                try Migrations.run(on: store.connection)
                try body(url, store)
            }
        }
    }
}
