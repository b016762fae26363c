import Foundation
import Logging
import Testing

@testable import ImageService
@testable import PostgresClient
@testable import TestSupport

/// The service as a role that may only read and write rows: the schema's owner migrates (`imageproc migrate`),
/// `serve` waits for it and never changes the schema.
@Suite(.timeLimit(.minutes(1))) struct MigrationsRolesTests {
    /// Runs `body` on a thread of its own with a schema's owner and a role that may only use its rows.
    private static func withRoles(_ body: @escaping @Sendable (TestRole, TestRole) throws -> Void) async throws {
        try await blocking {
            let owner = try TestRole()
            let app = try TestRole(rowsOf: owner)
            defer {
                app.drop()
                owner.drop()
            }
            try body(owner, app)
        }
    }

    @Test func aRoleThatCannotMigrateIsRefusedWhileMigrationsAreMissingAndReadsOnlyOnceTheyAreApplied() async throws {
        try await Self.withRoles { owner, app in
            let refused = #expect(throws: PostgresError.self) { try Migrations.run(on: app.connect()) }
            #expect(refused?.code == .insufficientPrivilege)

            let logger = Logger(label: "test")
            let applied = try Migrations.runWhenAvailable(conninfo: owner.url(), patience: .seconds(5), logger: logger)
            #expect(applied == Migrations.all.map(\.version))
            let again = try Migrations.run(on: app.connect())
            #expect(again.isEmpty)
            let versions = try Migrations.appliedVersions(on: app.connect())
            #expect(versions.max() == Migrations.latestVersion)
            // What serve may do as this role: rows, not the schema.
            let alter = #expect(throws: PostgresError.self) {
                try app.connect().query("ALTER TABLE processed_images ALTER COLUMN original_data SET STORAGE MAIN")
            }
            #expect(alter?.code == .insufficientPrivilege)
        }
    }

    @Test func serveAsARowOnlyRoleWaitsForTheOwnersMigrationThenProcesses() async throws {
        try await Self.withRoles { owner, app in
            let appURL = try app.url()
            let service = try TestService(schema: owner.schema, waitsForSchema: false) { $0.databaseURL = appURL }
            defer { service.stop() }
            let client = try service.client()
            #expect(!service.application.schema.isReady)
            #expect(try client.request("GET", "/readyz").status == 503)

            _ = try Migrations.runWhenAvailable(
                conninfo: owner.url(), patience: .seconds(5), logger: Logger(label: "t"))
            let deadline = ContinuousClock.now + .seconds(10)
            while !service.application.schema.isReady, ContinuousClock.now < deadline {
                Thread.sleep(forTimeInterval: 0.05)
            }
            #expect(service.application.schema.isReady)
            let upload = try client.request(
                "POST", "/api/images?op=grayscale", headers: [("Content-Type", "image/png")],
                body: TestImages.colorfulPNG(width: 40, height: 30))
            #expect(upload.status == 202)
            let id = try #require(try upload.json()["id"] as? String)
            let status = try client.request("GET", "/api/images/\(id)?wait=10")
            #expect(try status.json()["status"] as? String == "completed")
        }
    }

    @Test func runWhenAvailableGivesUpOnAnUnreachableDatabaseAfterItsPatience() {
        let start = ContinuousClock.now
        #expect(throws: PostgresError.self) {
            try Migrations.runWhenAvailable(
                conninfo: TestDatabase.unreachableURL, patience: .seconds(1), logger: Logger(label: "test"))
        }
        #expect(ContinuousClock.now - start < .seconds(8))
    }
}
