import Foundation
import Testing

@testable import ImageService
@testable import PostgresClient
@testable import TestSupport

@Suite(.timeLimit(.minutes(1))) struct MigrationsTests {
    /// Every shipped version, in order; a migration made up by a test comes after them.
    private static let shipped = Migrations.all.map(\.version)
    private static let next = shipped.last! + 1

    @Test func runningTwiceAppliesNothingTheSecondTime() throws {
        try TestDatabase.withScratchSchema { _, connect in
            let connection = try connect()
            #expect(try Migrations.run(on: connection) == Self.shipped)
            #expect(try Migrations.run(on: connection) == [])
            let versions = try connection.query("SELECT version, name FROM schema_migrations ORDER BY version")
            #expect(versions.rowCount == Self.shipped.count)
            #expect(try versions.string(0, "name") == "processed images")
        }
    }

    @Test func twoConnectionsMigratingAtOnceApplyEachVersionOnce() async throws {
        let url = try TestDatabase.url()
        try await TestDatabase.withScratchSchemaAsync { schema in
            let results = try await withThrowingTaskGroup(of: [Int].self) { group in
                for _ in 0..<2 {
                    group.addTask {
                        try await blocking {
                            let connection = try PostgresConnection(url)
                            try connection.query("SELECT set_config('search_path', $1, false)", [schema])
                            return try Migrations.run(on: connection)
                        }
                    }
                }
                return try await group.reduce(into: [[Int]]()) { $0.append($1) }
            }
            #expect(results.sorted { $0.count < $1.count } == [[], Self.shipped])
            let connection = try TestDatabase.connect()
            let count = try connection.query(
                "SELECT count(*) FROM pg_tables WHERE schemaname = $1 AND tablename = 'schema_migrations'", [schema])
            #expect(try count.int(0, 0) == 1)
        }
    }

    @Test func laterMigrationsApplyInOrderOnTopOfEarlierOnes() throws {
        let later = Migration(
            version: Self.next, name: "priorities",
            statements: ["ALTER TABLE processed_images ADD COLUMN priority INT"]
        )
        try TestDatabase.withScratchSchema { _, connect in
            let connection = try connect()
            #expect(try Migrations.run(on: connection) == Self.shipped)
            #expect(try Migrations.run(on: connection, migrations: Migrations.all + [later]) == [Self.next])
            #expect(try Migrations.run(on: connection, migrations: Migrations.all + [later]) == [])
            #expect(try connection.query("SELECT priority FROM processed_images").columnCount == 1)
        }
    }

    @Test func aFailingMigrationLeavesNoTrace() throws {
        let broken = Migration(
            version: Self.next, name: "broken", statements: ["CREATE TABLE half (n int)", "SELECT 1 / 0"])
        try TestDatabase.withScratchSchema { _, connect in
            let connection = try connect()
            let error = try #require(throws: PostgresError.self) {
                try Migrations.run(on: connection, migrations: Migrations.all + [broken])
            }
            #expect(error.code == .divisionByZero)
            #expect(
                try connection.query("SELECT to_regclass('half') IS NULL, to_regclass('processed_images') IS NULL")
                    .bool(0, 0) == true)
            #expect(try Migrations.run(on: connection) == Self.shipped)
        }
    }

    @Test func imageColumnsAreStoredOutOfLineUncompressed() throws {
        let connection = try TestDatabase.migrated()
        let result = try connection.query(
            """
            SELECT attname::text, attstorage::text FROM pg_attribute
            WHERE attrelid = 'processed_images'::regclass AND attname IN ('original_data', 'processed_data')
            ORDER BY attname
            """)
        #expect(result.rowCount == 2)
        #expect(try (0..<2).map { try result.string($0, 1) } == ["e", "e"])
    }

    @Test func indexesCoverTheListAndTheRecoveryScan() throws {
        let connection = try TestDatabase.migrated()
        let result = try connection.query(
            "SELECT indexdef FROM pg_indexes WHERE tablename = 'processed_images' AND schemaname = current_schema()")
        let definitions = try (0..<result.rowCount).compactMap { try result.string($0, 0) }
        #expect(definitions.contains { $0.contains("(uploaded_at DESC, id DESC)") })
        #expect(definitions.contains { $0.contains("(uploaded_at) WHERE (status = ANY") })
    }
}
