import Foundation
import Logging
import Testing

@testable import HTTPTransport
@testable import ImageService
@testable import TestSupport

/// A service started before its database: it listens and says 503, never exits, and is ready soon after the
/// database appears. (It once ran its migrations before listening, and `serve` exited: a CrashLoopBackOff on every
/// first deploy.)
@Suite struct SchemaReadinessTests {
    /// The test database's URL with another database name.
    private static func url(database name: String) throws -> String {
        var components = try #require(URLComponents(string: try TestDatabase.url()))
        components.path = "/" + name
        return try #require(components.string)
    }

    @Test func startsBeforeItsDatabaseAndIsReadySoonAfterItAppears() async throws {
        let name = "late_" + UUID().uuidString.lowercased().replacingOccurrences(of: "-", with: "")
        var configuration = ServiceConfiguration(
            http: HTTPServerConfiguration(host: "127.0.0.1", port: 0), databaseURL: try Self.url(database: name),
            workers: 1, databasePoolSize: 2)
        configuration.jobs.sweepInterval = .milliseconds(500)
        var logger = Logger(label: "schema-readiness-test")
        logger.logLevel = .critical
        let application = try Application(configuration: configuration, logger: logger)
        let port = try application.start()
        defer {
            application.shutdown()
            _ = try? TestDatabase.connect().query("DROP DATABASE IF EXISTS \(name) WITH (FORCE)")
        }
        try await blocking {
            let admin = try TestDatabase.connect()
            let client = try TestHTTPClient(port: port)
            #expect(try client.request("GET", "/healthz").status == 200)
            let notReady = try client.request("GET", "/readyz")
            #expect(notReady.status == 503)
            #expect(notReady.header("Retry-After") != nil)
            let png = TestImages.colorfulPNG(width: 40, height: 30)
            let refused = try client.request(
                "POST", "/api/images", headers: [("Content-Type", "image/png")], body: png)
            #expect(refused.status == 503)
            #expect(refused.header("Retry-After") != nil)
            #expect(try client.request("GET", "/api/images").status == 503)

            // The database appears: ready within seconds, and jobs run.
            try admin.query("CREATE DATABASE \(name)")
            let appeared = ContinuousClock.now
            var ready = false
            while !ready, ContinuousClock.now - appeared < .seconds(15) {
                ready = try client.request("GET", "/readyz").status == 200
                if !ready { Thread.sleep(forTimeInterval: 0.1) }
            }
            #expect(ready, "not ready 15 s after the database appeared")
            #expect(ContinuousClock.now - appeared < .seconds(5))
            let accepted = try client.request(
                "POST", "/api/images?op=grayscale", headers: [("Content-Type", "image/png")], body: png)
            #expect(accepted.status == 202)
            let id = try #require(try accepted.json()["id"] as? String)
            let status = try client.request("GET", "/api/images/\(id)?wait=15").json()
            #expect(status["status"] as? String == "completed")
        }
    }

    @Test func anAnswerCountsForAFewSecondsAndAFailureAtOnce() {
        let readiness = SchemaReadiness(ready: true)
        let now = ContinuousClock.now
        #expect(!readiness.databaseAnswers(at: now))
        readiness.recordAnswer(at: now)
        #expect(readiness.databaseAnswers(at: now + SchemaReadiness.probeInterval))
        #expect(!readiness.databaseAnswers(at: now + SchemaReadiness.answerLifetime))
        readiness.recordAnswer(at: nil)
        #expect(!readiness.databaseAnswers(at: now))
    }

    /// `/readyz` once took a pooled connection for its `SELECT 1`, so slow requests holding them all made a busy
    /// pod unready.
    @Test func staysReadyWhileEveryPooledConnectionIsBusy() async throws {
        try await blocking {
            let service = try TestService { $0.databasePoolSize = 2 }
            defer { try? service.dropSchema() }
            let locker = try service.connect()
            try locker.query("BEGIN")
            try locker.query("LOCK TABLE processed_images IN ACCESS EXCLUSIVE MODE")
            let lists = DispatchGroup()
            for _ in 0..<3 {
                lists.enter()
                Thread {
                    _ = try? service.client().request("GET", "/api/images")
                    lists.leave()
                }.start()
            }
            // Both pooled connections wait for the lock; the third request waits for one of them. (Watched from
            // another session: inside a transaction, `pg_stat_activity` stays as it was first read.)
            let watcher = try service.connect()
            let blocked = """
                SELECT count(*) FROM pg_stat_activity
                WHERE $1 = ANY(pg_blocking_pids(pid)) AND query LIKE '%ORDER BY uploaded_at DESC, id DESC LIMIT%'
                """
            let deadline = ContinuousClock.now + .seconds(30)
            while try watcher.query(blocked, [locker.backendPID]).int(0, 0) != 2, ContinuousClock.now < deadline {
                Thread.sleep(forTimeInterval: 0.02)
            }
            try #require(try watcher.query(blocked, [locker.backendPID]).int(0, 0) == 2)
            // Answered while the lock still holds every pooled connection (which a `SELECT 1` on one would wait for).
            #expect(try service.client().request("GET", "/readyz").status == 200)
            #expect(lists.wait(timeout: .now()) == .timedOut)
            try locker.query("ROLLBACK")
            #expect(lists.wait(timeout: .now() + 10) == .success)
        }
    }

    @Test func turnsUnreadyWithinSecondsWhenTheDatabaseRefusesItAndReadyWhenItAcceptsAgain() async throws {
        // The bounds leave room for a loaded machine; alone, it turns 503 within about 1 s and 200 within 2 s.
        try await TestRole.withService { role, service in
            func readiness(becomes status: Int, within limit: Duration) throws -> Bool {
                let start = ContinuousClock.now
                while ContinuousClock.now - start < limit {
                    if try service.client().request("GET", "/readyz").status == status { return true }
                    Thread.sleep(forTimeInterval: 0.05)
                }
                return false
            }
            #expect(try readiness(becomes: 200, within: .seconds(5)))
            try role.alter("NOLOGIN")
            try role.terminateSessions()
            #expect(try readiness(becomes: 503, within: SchemaReadiness.answerLifetime + .seconds(5)))
            try role.alter("LOGIN")
            #expect(try readiness(becomes: 200, within: SchemaReadiness.retryCeiling + .seconds(5)))
        }
    }
}
