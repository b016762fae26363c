import Foundation
import HTTPProtocol
import HTTPTransport
import Imaging
import Logging
import PostgresClient

/// The running service: the HTTP server, schema migration as soon as the database answers, then the worker pool
/// and the sweeper that shares the durable queue with other replicas; started and stopped in the right order.
public final class Application: Sendable {
    public let configuration: ServiceConfiguration
    /// The queue's counters and gauges.
    public let metrics = JobMetrics()
    /// Everything `/metrics` shows.
    public let serviceMetrics: ServiceMetrics
    /// The kernel calls that may run at once, `workers` of them within the image work's memory, shared by the
    /// workers and the previews.
    let imageWork: ImageWorkBudget
    let previews: PreviewRenderer
    let completions: JobCompletionSignal
    private let logger: Logger
    private let database: PostgresPool
    private let photoDatabase: PostgresPool
    private let queue: WorkQueue
    private let workers: WorkerPool
    private let sweeper: JobSweeper
    private let server: HTTPServer
    /// Whether the schema is migrated; the routes that use the database answer 503 until it is.
    let schema = SchemaReadiness()

    public convenience init(configuration: ServiceConfiguration, logger: Logger) throws {
        try self.init(configuration: configuration, logger: logger, completions: JobCompletionSignal())
    }

    /// With the long-poll signal given, so that tests can watch its registrations.
    init(configuration: ServiceConfiguration, logger: Logger, completions: JobCompletionSignal) throws {
        self.configuration = configuration
        self.logger = logger
        let kernel = ImageKernel(maxPixels: configuration.maxPixels)
        self.completions = completions
        imageWork = ImageWorkBudget(slots: configuration.workers, bytes: configuration.imageWorkBytes)
        previews = PreviewRenderer(kernel: kernel, budget: imageWork)
        database = PostgresPool(conninfo: configuration.databaseURL, maxConnections: configuration.databasePoolSize)
        photoDatabase = PostgresPool(
            conninfo: configuration.databaseURL, maxConnections: configuration.photoConnections,
            keptMessageBytes: configuration.http.limits.maxBodyBytes)
        // At most one image-work budget's worth of jobs waits in memory; the rest waits in PostgreSQL for any replica.
        queue = WorkQueue(
            capacity: configuration.queueCapacity, byteCapacity: configuration.queueByteCapacity,
            estimateCapacity: configuration.imageWorkBytes)
        workers = WorkerPool(
            count: configuration.workers, queue: queue, budget: imageWork, conninfo: configuration.databaseURL,
            kernel: kernel, settings: configuration.jobs, completions: completions, metrics: metrics, logger: logger)
        let admission = JobAdmission(queue: queue, budget: imageWork, settings: configuration.jobs)
        sweeper = JobSweeper(
            queue: queue, admission: admission, conninfo: configuration.databaseURL, settings: configuration.jobs,
            metrics: metrics, logger: logger)
        serviceMetrics = ServiceMetrics(jobs: metrics, queue: queue, admission: admission)
        var router = Router(logger: logger, metrics: serviceMetrics, access: configuration.access)
        router.add(.get, "/metrics", access: .public) { [serviceMetrics] request, _ in
            _ = try QueryParameters(request.head, allowed: [])
            return HTTPResponse(
                status: .ok, headers: ["Content-Type": "text/plain; version=0.0.4; charset=utf-8"],
                body: Array(serviceMetrics.render().utf8))
        }
        let limits = ServiceLimits(configuration)
        router.add(.get, "/api/limits", access: .public) { request, _ in
            _ = try QueryParameters(request.head, allowed: [])
            return .json(.ok, limits)
        }
        ImagesAPI(
            database: database, photoDatabase: photoDatabase, admission: admission, kernel: kernel, previews: previews,
            settings: configuration.jobs, completions: completions, logger: logger, schema: schema
        ).register(on: &router)
        OpenAPIDocument.register(path: configuration.openAPIPath, webRoot: configuration.webRoot, on: &router)
        if let webRoot = configuration.webRoot {
            StaticFiles(root: webRoot).register(on: &router)
        }
        server = try HTTPServer(configuration: configuration.http, responder: router, logger: logger)
    }

    /// Starts serving at once, whether or not the database answers; then, as soon as it does, migrates the schema
    /// and starts the workers and the sweeper (which first takes back what this replica's previous run left
    /// unfinished). Returns the port it listens on; throws only when it cannot listen.
    @discardableResult
    public func start() throws -> Int {
        AllocatorPolicy.applyForService()
        logLimits()
        let port = try server.start()
        let (workers, sweeper, logger, replica) = (workers, sweeper, logger, configuration.jobs.replicaID)
        schema.start(conninfo: configuration.databaseURL, logger: logger) {
            workers.start()
            sweeper.start()
            logger.info("started", metadata: ["replica": "\(replica)"])
        }
        return port
    }

    /// Graceful shutdown: stops accepting and finishes the requests in flight, lets running jobs finish within the
    /// grace period, hands every job not finished back to the queue (`queued`, no lease) so another replica takes it
    /// at once, and closes everything.
    public func shutdown() {
        let deadline = ContinuousClock.now + configuration.jobs.shutdownGracePeriod
        schema.stop()
        sweeper.stopClaiming()
        server.shutdown(timeout: configuration.jobs.shutdownGracePeriod)
        let unfinished = workers.stop(deadline: deadline)
        sweeper.stop()
        handBack(unfinished)
        database.shutdown()
        photoDatabase.shutdown()
        logger.info("stopped", metadata: ["jobs.handed_back": "\(unfinished.count)"])
    }

    /// Where the memory went, and a warning when anyone who reaches the machine may use the API.
    private func logLimits() {
        if let budget = configuration.memory {
            logger.info(
                "memory budget",
                metadata: [
                    "memory.limit_bytes": "\(budget.limitBytes)", "memory.source": "\(budget.source)",
                    "memory.budget_bytes": "\(budget.totalBytes)",
                    "memory.request_bodies_bytes": "\(configuration.http.bodyBudgetBytes)",
                    "memory.queued_originals_bytes": "\(configuration.queueByteCapacity)",
                    "memory.responses_bytes": "\(configuration.http.outputBudgetBytes)",
                    "memory.image_work_bytes": "\(configuration.imageWorkBytes)",
                ])
        }
        if configuration.servesAnonymouslyBeyondThisMachine {
            logger.warning(
                """
                serving without API tokens on an address other than loopback (--allow-anonymous): anyone who \
                reaches it can list, download and delete every image
                """,
                metadata: ["http.host": "\(configuration.http.host)"])
        }
    }

    private func handBack(_ jobs: [UUID]) {
        guard !jobs.isEmpty else { return }
        do {
            let connection = try PostgresConnection(configuration.databaseURL)
            let store = JobStore(connection: connection)
            for id in jobs { try store.release(id: id, owner: configuration.jobs.replicaID) }
            try connection.notify(JobSettings.channel)
        } catch {
            // The leases run out by themselves and another replica takes the jobs then.
            logger.warning("jobs not handed back; their leases will expire", metadata: ["error": "\(error)"])
        }
    }
}
