import HTTPProtocol
import HTTPTransport
import Imaging

/// One setting of `imageproc serve`: the flag that sets it, the environment variable that sets it when the flag is
/// absent, and its help text, which names the default. This list is the configuration's index: the CLI declares its
/// options from it, ``ServiceConfiguration/init(flags:environment:detectMemory:)`` reads them by it, and each
/// default is the owning type's constant (``JobSettings/defaultLeaseDuration``, ``HTTPLimits/defaultMaxBodyBytes``…),
/// so no number is written twice.
public enum ServeSetting: String, CaseIterable, Sendable {
    case host
    case allowAnonymous = "allow-anonymous"
    case port
    case workers
    case maxBodyBytes = "max-body-bytes"
    case maxPixels = "max-pixels"
    case maxEnlargement = "max-enlargement"
    case memoryBudget = "memory-budget"
    case queueCapacity = "queue-capacity"
    case webRoot = "web-root"
    case replicaID = "replica-id"
    case leaseSeconds = "lease-seconds"
    case sweepSeconds = "sweep-seconds"
    case maxAttempts = "max-attempts"
    case shutdownGraceSeconds = "shutdown-grace-seconds"
    case maxBacklog = "max-backlog"
    case retentionDays = "retention-days"
    case apiTokensFile = "api-tokens-file"
    case corsOrigins = "cors-origins"
    case databaseURL = "database-url"
    case logLevel = "log-level"
    case logFormat = "log-format"

    /// The long flag without its dashes (`--max-body-bytes` is `max-body-bytes`).
    public var flag: String { rawValue }

    /// The environment variable read when the flag is absent.
    public var environmentVariable: String {
        switch self {
        case .host: "HOST"
        case .port: "PORT"
        case .databaseURL: "DATABASE_URL"
        default: "IMAGEPROC_" + rawValue.uppercased().replacingOccurrences(of: "-", with: "_")
        }
    }

    /// The environment variable with comma-separated API tokens, read besides ``apiTokensFile``'s file.
    public static let apiTokensVariable = "IMAGEPROC_API_TOKENS"

    /// The values an integer setting takes; outside them `serve` refuses to start rather than, say, start 4000
    /// worker threads for a typo. Nil for settings that are not integers.
    public var range: ClosedRange<Int>? {
        switch self {
        case .port: 0...65535
        case .workers: 1...256
        // PostgreSQL keeps a bytea value of at most 1 GB.
        case .maxBodyBytes: 1...(1 << 30)
        case .maxPixels: 1...1_000_000_000
        case .maxEnlargement: 1...64
        case .queueCapacity: 1...100_000
        // A lease is renewed every quarter of it: below 4 s, heartbeats would come every second or faster.
        case .leaseSeconds: 4...86_400
        case .sweepSeconds: 1...3600
        case .maxAttempts: 1...1000
        case .shutdownGraceSeconds: 0...3600
        case .maxBacklog: 1...100_000_000
        // 0 keeps every job.
        case .retentionDays: 0...36_500
        case .host, .allowAnonymous, .memoryBudget, .webRoot, .replicaID, .apiTokensFile, .corsOrigins, .databaseURL,
            .logLevel, .logFormat:
            nil
        }
    }

    /// What `imageproc serve --help` says of the setting.
    public var help: String {
        "\(summary) (env \(environmentVariable)\(defaultText.map { ", default \($0)" } ?? ""))."
    }

    private var summary: String {
        switch self {
        case .host: "IPv4 address to bind; any but loopback needs API tokens or --allow-anonymous"
        case .allowAnonymous: "Serve without API tokens on an address other than loopback (variable: 1/true, 0/false)"
        case .port: "Port to listen on"
        case .workers: "Worker threads running the image kernel"
        case .maxBodyBytes: "Largest request body in bytes"
        case .maxPixels: "Largest image in pixels"
        case .maxEnlargement: "Most times larger per side a resize may make an upload"
        case .memoryBudget: "Memory the process may use, in bytes or with KiB, MiB or GiB"
        case .queueCapacity: "Jobs waiting in memory for a worker, at most"
        case .webRoot: "Folder of the browser page"
        case .replicaID: "This replica's name in job leases"
        case .leaseSeconds: "Seconds a job lease holds without a heartbeat (at least 4)"
        case .sweepSeconds: "Seconds between sweeps for unheld jobs"
        case .maxAttempts: "Attempts before an interrupted job is failed"
        case .shutdownGraceSeconds: "Seconds running jobs get to finish on SIGTERM"
        case .maxBacklog: "Queued jobs beyond which uploads get 429"
        case .retentionDays: "Delete finished jobs after this many days"
        case .apiTokensFile: "File of API tokens, one per line (or \(Self.apiTokensVariable), comma-separated)"
        case .corsOrigins: "Origins allowed by CORS, comma-separated, or *"
        case .databaseURL: "PostgreSQL URL; otherwise libpq's PG* variables"
        case .logLevel: "trace, debug, info, notice, warning, error or critical"
        case .logFormat: "text, or json for one JSON object per line"
        }
    }

    private var defaultText: String? {
        switch self {
        case .host: HTTPServerConfiguration.defaultHost
        case .port: "\(HTTPServerConfiguration.defaultPort)"
        case .workers: "\(ServiceConfiguration.defaultWorkers)"
        case .maxBodyBytes: "\(HTTPLimits.defaultMaxBodyBytes)"
        case .maxPixels: "\(ImageKernel.defaultMaxPixels)"
        case .maxEnlargement: "\(ProcessingOptions.defaultMaxEnlargement)"
        case .memoryBudget: "the container's limit less 15 % or 128 MiB, or the machine's memory"
        case .queueCapacity: "\(ServiceConfiguration.defaultQueueCapacity)"
        case .webRoot: "./web when it exists"
        case .replicaID: "host:port"
        case .leaseSeconds: "\(JobSettings.defaultLeaseDuration.components.seconds)"
        case .sweepSeconds: "\(JobSettings.defaultSweepInterval.components.seconds)"
        case .maxAttempts: "\(JobSettings.defaultMaxAttempts)"
        case .shutdownGraceSeconds: "\(JobSettings.defaultShutdownGracePeriod.components.seconds)"
        case .maxBacklog: "\(JobSettings.defaultMaxBacklog)"
        case .retentionDays: "keep"
        case .corsOrigins: "none"
        case .logLevel: "info"
        case .logFormat: LogFormat.text.rawValue
        case .allowAnonymous, .apiTokensFile, .databaseURL: nil
        }
    }
}
