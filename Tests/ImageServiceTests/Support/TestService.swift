import Foundation
import Logging

@testable import HTTPTransport
@testable import ImageService
@testable import PostgresClient
@testable import TestSupport

/// A real `Application` — HTTP server, workers, PostgreSQL — on an ephemeral port, in a database schema of its own
/// so that suites running side by side never see each other's jobs. Used by one test at a time, hence unchecked.
final class TestService: @unchecked Sendable {
    let application: Application
    let port: Int
    let schema: String
    let databaseURL: String
    private var stopped = false

    /// Starts a service in `schema` (a new scratch schema when nil), waking long-polls through `completions`, and
    /// waits until it has migrated unless told not to.
    init(
        schema: String? = nil, completions: JobCompletionSignal = JobCompletionSignal(), waitsForSchema: Bool = true,
        configure: (inout ServiceConfiguration) -> Void = { _ in }
    ) throws {
        let schema = try schema ?? Self.createSchema()
        self.schema = schema
        databaseURL = try Self.url(schema: schema)
        var configuration = ServiceConfiguration(
            http: HTTPServerConfiguration(host: "127.0.0.1", port: 0), databaseURL: databaseURL, workers: 2,
            databasePoolSize: 4,
            jobs: JobSettings(
                replicaID: "test-\(UUID().uuidString.prefix(8))", leaseDuration: .seconds(10),
                heartbeatInterval: .seconds(2), sweepInterval: .milliseconds(500), shutdownGracePeriod: .seconds(5)))
        configure(&configuration)
        var logger = Logger(label: "imageproc-test")
        logger.logLevel = .warning
        application = try Application(configuration: configuration, logger: logger, completions: completions)
        port = try application.start()
        // The service listens at once and migrates as soon as the database answers: wait for that, as a load
        // balancer waits for /readyz.
        let deadline = ContinuousClock.now + .seconds(waitsForSchema ? 20 : 0)
        while !application.schema.isReady, ContinuousClock.now < deadline { Thread.sleep(forTimeInterval: 0.01) }
    }

    deinit {
        stop()
    }

    func client() throws -> TestHTTPClient {
        try TestHTTPClient(port: port)
    }

    /// Stops the service (the schema stays, so a new service can be started on it).
    func stop() {
        guard !stopped else { return }
        stopped = true
        application.shutdown()
    }

    /// Drops the schema and everything in it.
    func dropSchema() throws {
        stop()
        _ = try TestDatabase.connect().query("DROP SCHEMA \(schema) CASCADE")
    }

    /// A connection to the service's schema, for looking at rows directly.
    func connect() throws -> PostgresConnection {
        try PostgresConnection(databaseURL)
    }

    private static func createSchema() throws -> String {
        // Built from hex digits only: an identifier cannot be a bound parameter.
        let schema = "e2e_" + UUID().uuidString.lowercased().replacingOccurrences(of: "-", with: "")
        _ = try TestDatabase.connect().query("CREATE SCHEMA \(schema)")
        return schema
    }

    /// `DATABASE_URL` with `search_path` set to `schema` for every connection the service opens.
    private static func url(schema: String) throws -> String {
        let base = try TestDatabase.url()
        let separator = base.contains("?") ? "&" : "?"
        return "\(base)\(separator)options=-csearch_path%3D\(schema)"
    }
}
