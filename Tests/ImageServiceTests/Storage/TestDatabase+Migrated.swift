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
}
