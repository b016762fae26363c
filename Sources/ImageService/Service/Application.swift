import Foundation
import Logging

/// The running service: schema migration, the recovery of unfinished jobs, the worker pool and the HTTP server,
/// started and stopped in the right order.
public final class Application: Sendable {
    public let configuration: ServiceConfiguration
    private let logger: Logger
    private let database: PostgresPool
    private let queue: WorkQueue
    private let workers: WorkerPool
    private let server: HTTPServer

    public init(configuration: ServiceConfiguration, logger: Logger) throws {
        self.configuration = configuration
        self.logger = logger
        let kernel = ImageKernel(maxPixels: configuration.maxPixels)
        let completions = JobCompletionSignal()
        database = PostgresPool(conninfo: configuration.databaseURL, maxConnections: configuration.databasePoolSize)
        queue = WorkQueue(capacity: configuration.queueCapacity, byteCapacity: configuration.queueByteCapacity)
        workers = WorkerPool(
            count: configuration.workers, queue: queue, conninfo: configuration.databaseURL, kernel: kernel,
            completions: completions, logger: logger)
        var router = Router(logger: logger)
        ImagesAPI(database: database, queue: queue, kernel: kernel, completions: completions, logger: logger)
            .register(on: &router)
        OpenAPIDocument.register(path: configuration.openAPIPath, webRoot: configuration.webRoot, on: &router)
        if let webRoot = configuration.webRoot {
            StaticFiles(root: webRoot).register(on: &router)
        }
        server = try HTTPServer(configuration: configuration.http, responder: router, logger: logger)
    }

    /// Migrates the schema, starts the workers, queues the jobs a previous run left unfinished, and starts serving.
    /// Returns the port it listens on.
    @discardableResult
    public func start() throws -> Int {
        let connection = try PostgresConnection(configuration.databaseURL)
        let applied = try Migrations.run(on: connection)
        if !applied.isEmpty {
            logger.info("schema migrated", metadata: ["db.migrations": "\(applied)"])
        }
        workers.start()
        try recoverUnfinishedJobs(using: connection)
        return try server.start()
    }

    /// Stops serving (requests in flight finish), then stops the workers after their current job. Jobs still queued
    /// stay `queued` in the database for the next start.
    public func shutdown() {
        server.shutdown()
        workers.stop()
        database.shutdown()
        logger.info("stopped")
    }

    /// Re-enqueues the jobs a previous run accepted but did not finish (`queued`, or `processing` when it stopped).
    private func recoverUnfinishedJobs(using connection: PostgresConnection) throws {
        let pending = try JobStore(connection: connection).unfinishedJobs(limit: configuration.queueCapacity)
        var recovered = 0
        for job in pending {
            guard let reservation = queue.reserve(byteCount: job.original.count) else { break }
            reservation.fill(with: job)
            recovered += 1
        }
        if recovered > 0 {
            logger.info("unfinished jobs queued again", metadata: ["jobs.recovered": "\(recovered)"])
        }
    }
}
