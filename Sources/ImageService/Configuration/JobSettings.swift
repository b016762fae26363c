import Foundation
import HTTPTransport
import Imaging

/// How this replica takes part in the shared, durable queue in PostgreSQL.
public struct JobSettings: Sendable {
    /// This replica's name in `locked_by`. Stable across restarts of the same replica (host name and port by
    /// default), so a restarted replica takes its own unfinished jobs back at once.
    public var replicaID: String
    /// How long a lease holds without a heartbeat; a dead replica's jobs are taken over after at most this long.
    public var leaseDuration: Duration
    /// How often held leases are renewed (a quarter of the lease leaves room for three missed beats).
    public var heartbeatInterval: Duration
    /// How often the table is swept for jobs nobody holds, when no notification comes first.
    public var sweepInterval: Duration
    /// Attempts before a job that keeps getting interrupted is failed for good.
    public var maxAttempts: Int
    /// On shutdown, how long running jobs may take to finish before they are handed back.
    public var shutdownGracePeriod: Duration
    /// Queued jobs in the database beyond which uploads are refused with 429; protects the disk.
    public var maxBacklog: Int
    /// Finished jobs older than this many days are deleted; nil keeps everything.
    public var retentionDays: Int?
    /// How many times larger per side a resize may make an upload; beyond it the upload is refused with 400.
    public var maxEnlargement: Int

    /// The notification channel replicas wake each other on.
    static let channel = "imageproc_jobs"

    public static let defaultLeaseDuration = Duration.seconds(60)
    public static let defaultSweepInterval = Duration.seconds(5)
    public static let defaultMaxAttempts = 5
    /// The pod counts it in its grace period (k8s/base/imageproc-deployment.yaml).
    public static let defaultShutdownGracePeriod = Duration.seconds(25)
    public static let defaultMaxBacklog = 10_000

    /// `heartbeatInterval` nil is a quarter of the lease: room for three missed beats.
    public init(
        replicaID: String = JobSettings.defaultReplicaID(port: HTTPServerConfiguration.defaultPort),
        leaseDuration: Duration = defaultLeaseDuration, heartbeatInterval: Duration? = nil,
        sweepInterval: Duration = defaultSweepInterval, maxAttempts: Int = defaultMaxAttempts,
        shutdownGracePeriod: Duration = defaultShutdownGracePeriod, maxBacklog: Int = defaultMaxBacklog,
        retentionDays: Int? = nil, maxEnlargement: Int = ProcessingOptions.defaultMaxEnlargement
    ) {
        self.replicaID = replicaID
        self.leaseDuration = leaseDuration
        self.heartbeatInterval = heartbeatInterval ?? leaseDuration / 4
        self.sweepInterval = sweepInterval
        self.maxAttempts = maxAttempts
        self.shutdownGracePeriod = shutdownGracePeriod
        self.maxBacklog = maxBacklog
        self.retentionDays = retentionDays
        self.maxEnlargement = maxEnlargement
    }

    /// The lease this replica takes on a job it claims or accepts, renewed by every heartbeat.
    var lease: JobLease { JobLease(owner: replicaID, duration: leaseDuration) }

    /// `host:port`: unique among replicas sharing a database, the same after a restart.
    public static func defaultReplicaID(port: Int) -> String {
        "\(ProcessInfo.processInfo.hostName):\(port)"
    }
}
