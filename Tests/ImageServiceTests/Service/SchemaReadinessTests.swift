import Foundation
import Logging
import Testing

@testable import ImageService

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
}
