import Foundation
import Testing

@testable import ImageService
@testable import PostgresClient
@testable import TestSupport

/// PostgreSQL full, read-only or too slow, for real: the API answers 503 `database_unavailable` with `Retry-After`,
/// stores nothing, stays up, and works again by itself once the database does. Limits and settings are put on a role
/// of the test's own (``TestRole``), so suites running beside these keep their database.
@Suite struct ImagesAPIUnavailableDatabaseTests {
    private static let png = TestImages.colorfulPNG(width: 40, height: 30)

    private static func upload(_ port: Int) throws -> TestResponse {
        try TestHTTPClient(port: port).request(
            "POST", "/api/images?op=grayscale", headers: [("Content-Type", "image/png")], body: png)
    }

    private static func expectUnavailable(_ response: TestResponse, sourceLocation: SourceLocation = #_sourceLocation) {
        let retryAfter = "\(DatabaseUnavailable.retryAfterSeconds)"
        #expect(response.status == 503, sourceLocation: sourceLocation)
        #expect(response.header("Retry-After") == retryAfter, sourceLocation: sourceLocation)
        let error = (try? response.json())?["error"] as? [String: String]
        #expect(error?["code"] == "database_unavailable", sourceLocation: sourceLocation)
    }

    private static func rows(_ service: TestService) throws -> Int {
        try service.connect().query("SELECT count(*) FROM processed_images").int(0, 0) ?? -1
    }

    /// Uploads until one is accepted, at most for `limit`; returns the accepted response and how long it took.
    private static func uploadUntilAccepted(_ port: Int, within limit: Duration) throws -> (TestResponse, Duration) {
        let start = ContinuousClock.now
        while true {
            let response = try upload(port)
            if response.status == 202 || ContinuousClock.now - start > limit {
                return (response, ContinuousClock.now - start)
            }
            Thread.sleep(forTimeInterval: 0.05)
        }
    }

    @Test func connectionsExhaustedAnswers503AndRecoversWithoutARestart() async throws {
        try await TestRole.withService { role, service in
            // The service holds its readiness probe's and its sweeper's sessions; the test takes every other slot
            // the role has, until the server refuses ("too many connections for role", SQLSTATE 53300).
            try role.alter("CONNECTION LIMIT 6")
            var hogs: [PostgresConnection] = []
            var refusal: PostgresError?
            while refusal == nil, hogs.count < 6 {
                do { hogs.append(try role.connect()) } catch let error as PostgresError { refusal = error }
            }
            let refused = try #require(refusal, "the server accepted \(hogs.count) connections beyond the service's")
            #expect(refused.isUnavailable)
            #expect(refused.message.contains("too many connections"))

            for _ in 0..<3 { Self.expectUnavailable(try Self.upload(service.port)) }
            Self.expectUnavailable(try service.client().request("GET", "/api/images"))
            #expect(try Self.rows(service) == 0)
            // Still alive, and still ready: the probe keeps its own connection.
            #expect(try service.client().request("GET", "/healthz").status == 200)
            #expect(try service.client().request("GET", "/readyz").status == 200)

            hogs.removeAll()
            let (accepted, waited) = try Self.uploadUntilAccepted(service.port, within: .seconds(30))
            #expect(accepted.status == 202, "uploads still refused \(waited) after connections were free again")
            let id = try #require(try accepted.json()["id"] as? String)
            let status = try service.client().request("GET", "/api/images/\(id)?wait=15").json()
            #expect(status["status"] as? String == "completed")
            #expect(try Self.rows(service) == 1)
        }
    }

    @Test func aReadOnlyDatabaseAnswers503AndWritesAgainOnceWritable() async throws {
        try await TestRole.withService { role, service in
            let first = try #require(try Self.upload(service.port).json()["id"] as? String)
            let done = try service.client().request("GET", "/api/images/\(first)?wait=15").json()
            #expect(done["status"] as? String == "completed")
            // As after a failover to a standby: every session ends, and the new ones are read-only.
            try role.alter("SET default_transaction_read_only = on")
            try role.terminateSessions()
            for _ in 0..<3 { Self.expectUnavailable(try Self.upload(service.port)) }
            #expect(try Self.rows(service) == 1)
            // Reading still works.
            #expect(try service.client().request("GET", "/api/images").status == 200)

            try role.alter("RESET default_transaction_read_only")
            // The pooled sessions are still read-only; the first write on each starts a new one and is sent again.
            let accepted = try Self.upload(service.port)
            #expect(accepted.status == 202)
            let id = try #require(try accepted.json()["id"] as? String)
            let status = try service.client().request("GET", "/api/images/\(id)?wait=15").json()
            #expect(status["status"] as? String == "completed")
            #expect(try Self.rows(service) == 2)
        }
    }

    @Test func aStatementTimeoutAnswers503AndTheConnectionServesTheNextRequest() async throws {
        // The URL's options win over the service's 60 s; one pooled connection, so the next upload reuses it.
        try await blocking {
            let service = try TestService {
                $0.databaseURL += "%20-cstatement_timeout%3D500ms"
                $0.databasePoolSize = 1
            }
            defer { try? service.dropSchema() }
            let locker = try service.connect()
            try locker.query("BEGIN")
            try locker.query("LOCK TABLE processed_images IN ACCESS EXCLUSIVE MODE")
            // Answered while the lock is still held: without the timeout the INSERT would wait for it.
            Self.expectUnavailable(try Self.upload(service.port))
            try locker.query("ROLLBACK")
            #expect(try Self.rows(service) == 0)
            #expect(try Self.upload(service.port).status == 202)
            #expect(try Self.rows(service) == 1)
        }
    }
}
