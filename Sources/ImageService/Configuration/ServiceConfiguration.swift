import HTTPTransport
import Imaging
import Logging
import PostgresClient

/// Everything `imageproc serve` can be told: where to listen, how many workers, the limits, and the database.
/// `init(flags:environment:detectMemory:)` builds it from the command line and the environment (``ServeSetting``).
public struct ServiceConfiguration: Sendable {
    /// Listening address, timeouts and HTTP limits (including the body limit).
    public var http: HTTPServerConfiguration
    /// A `postgresql://` URL or libpq `key=value` string; empty means the standard `PG*` variables. Its sessions
    /// start with ``PostgresSessionSettings/service`` unless its `options` say otherwise.
    public var databaseURL: String
    /// Worker threads running the image kernel.
    public var workers: Int
    /// Connections shared by the request handlers (each worker has its own besides).
    public var databasePoolSize: Int
    /// Connections that store uploads larger than 2 MiB. They stay open whatever they carried (each may keep libpq
    /// buffers as large as the body limit), so that PostgreSQL's sessions stay warm for photos. One was measured to
    /// do as well as two under 8 concurrent uploads.
    public var photoConnections: Int
    /// Jobs waiting in memory for a worker, at most.
    public var queueCapacity: Int
    /// Bytes of originals waiting in memory for a worker, at most.
    public var queueByteCapacity: Int
    /// Estimated bytes that the kernel calls running at once (jobs and previews) may hold together; a job whose
    /// estimate exceeds it is refused. Unbounded until a ``MemoryBudget`` is applied.
    public var imageWorkBytes: Int
    /// Uploads with more pixels than this are refused (422); the kernel enforces it again while decoding.
    public var maxPixels: Int
    /// Folder of the browser page's files; nil serves no page.
    public var webRoot: String?
    /// API tokens and CORS origins.
    public var access: AccessPolicy
    /// Leases, sweeps, retries, shutdown grace, backlog and retention of the durable queue.
    public var jobs: JobSettings
    /// The OpenAPI document served at `/openapi.yaml`; nil means `openapi.yaml` beside the web root.
    public var openAPIPath: String?
    /// The least severe level logged.
    public var logLevel: Logger.Level = .info
    public var logFormat: LogFormat = .text
    /// The budget the memory limits were sized from (``apply(_:)``); nil until one is applied.
    public private(set) var memory: MemoryBudget?

    public static let defaultWorkers = 4
    public static let defaultQueueCapacity = 64
    public static let defaultMaxPixels = ImageKernel.defaultMaxPixels

    /// Whether anyone who can reach this machine could use the API without a token: no tokens, and an address
    /// other than loopback. `serve` refuses to start so unless told that it is meant (`--allow-anonymous`).
    public var servesAnonymouslyBeyondThisMachine: Bool { access.isOpen && !http.bindsLoopbackOnly }

    /// Sizes what holds memory from `budget` (the split lives in ``MemoryBudget``): the request bodies received at
    /// once, the originals waiting in the memory queue, the responses waiting for their clients, and the image work.
    public mutating func apply(_ budget: MemoryBudget) {
        memory = budget
        http.bodyBudgetBytes = budget.requestBodyBytes(maxBodyBytes: http.limits.maxBodyBytes)
        http.outputBudgetBytes = budget.responseBytes
        queueByteCapacity = budget.queuedOriginalBytes
        imageWorkBytes = budget.imageWorkBytes(maxBodyBytes: http.limits.maxBodyBytes)
    }

    public init(
        http: HTTPServerConfiguration = HTTPServerConfiguration(), databaseURL: String = "",
        workers: Int = defaultWorkers, databasePoolSize: Int = 8, photoConnections: Int = 1,
        queueCapacity: Int = defaultQueueCapacity, queueByteCapacity: Int = 512 * 1024 * 1024,
        imageWorkBytes: Int = .max, maxPixels: Int = defaultMaxPixels, webRoot: String? = nil,
        openAPIPath: String? = nil,
        access: AccessPolicy = AccessPolicy(), jobs: JobSettings = JobSettings()
    ) {
        self.http = http
        self.databaseURL = databaseURL
        self.workers = workers
        self.databasePoolSize = databasePoolSize
        self.photoConnections = photoConnections
        self.queueCapacity = queueCapacity
        self.queueByteCapacity = queueByteCapacity
        self.imageWorkBytes = imageWorkBytes
        self.maxPixels = maxPixels
        self.webRoot = webRoot
        self.access = access
        self.jobs = jobs
        self.openAPIPath = openAPIPath
    }
}
