import Foundation
import Logging
import PostgresClient
import Synchronization

/// Keeps this replica's part of the durable queue moving, on one thread with one connection: renews the leases on
/// the jobs it holds (heartbeat), takes jobs that nobody holds into the memory queue when there is room (at every
/// sweep interval, and at once when another replica notifies that it left one), keeps the backlog gauges, and
/// deletes finished jobs past their retention.
public final class JobSweeper: Sendable {
    private let queue: WorkQueue
    /// Told the count of jobs waiting in the database after every sweep: it decides the backlog limit.
    private let admission: JobAdmission
    private let conninfo: String
    private let settings: JobSettings
    private let metrics: JobMetrics
    private let logger: Logger
    private let claiming = Atomic(true)
    private let running = Atomic(true)
    private let started = Atomic(false)
    private let finished = DispatchSemaphore(value: 0)

    /// Jobs taken per statement: small batches spread work over replicas and bound the bytes in one result.
    private static let claimBatch = 4
    /// Claim statements per sweep at most, so that a sweep always ends and the heartbeat after it is never late
    /// (the memory queue's 64 places take 16).
    private static let maxClaimStatements = 16
    /// Rows deleted per retention statement, so deletion never holds long locks or bloats one transaction.
    private static let retentionBatch = 100

    public init(
        queue: WorkQueue, admission: JobAdmission, conninfo: String, settings: JobSettings, metrics: JobMetrics,
        logger: Logger
    ) {
        self.admission = admission
        self.queue = queue
        self.conninfo = conninfo
        self.settings = settings
        self.metrics = metrics
        self.logger = logger
    }

    /// Starts the sweeper thread. Its first act is to end the leases this replica's previous run left behind.
    public func start() {
        started.store(true, ordering: .releasing)
        let thread = Thread { [self] in
            var loop = Loop(sweeper: self)
            loop.run()
            finished.signal()
        }
        thread.name = "imageproc-sweeper"
        thread.start()
    }

    /// Stops taking new jobs; heartbeats go on so running jobs keep their leases during a shutdown.
    public func stopClaiming() {
        claiming.store(false, ordering: .releasing)
    }

    /// Stops the thread (within about a second); nothing to wait for if it never started.
    public func stop() {
        claiming.store(false, ordering: .releasing)
        running.store(false, ordering: .releasing)
        if started.load(ordering: .acquiring) { finished.wait() }
    }

    private struct Loop {
        let sweeper: JobSweeper
        var connection: PostgresConnection?
        var reconnect = ReconnectPolicy(initial: .milliseconds(200), maximum: .seconds(10))
        var recoveredOwnLeases = false
        var nextHeartbeat = ContinuousClock.now
        var nextSweep = ContinuousClock.now
        var nextRetention = ContinuousClock.now

        var settings: JobSettings { sweeper.settings }

        mutating func run() {
            while sweeper.running.load(ordering: .acquiring) {
                do {
                    let connection = try openConnection()
                    try tick(connection)
                    let wait = min(nextSweep, nextHeartbeat) - .now
                    if try connection.waitForNotifications(timeout: max(.zero, min(wait, .seconds(1)))) {
                        nextSweep = .now
                    }
                    // Claims carry originals: let a connection whose buffers grew to their size go.
                    if connection.holdsLargeBuffers { self.connection = nil }
                    reconnect.succeeded()
                } catch {
                    connection = nil
                    sweeper.metrics.databaseErrors.increment()
                    let delay = reconnect.failed(error, logger: sweeper.logger, "sweep failed, retrying")
                    Thread.sleep(forTimeInterval: Double(min(delay, .seconds(1)).milliseconds) / 1000)
                }
            }
        }

        /// A connection listening for notifications; NOTIFYs sent while it was down are lost, so sweep at once.
        private mutating func openConnection() throws -> PostgresConnection {
            if let connection { return connection }
            let connection = try PostgresConnection(sweeper.conninfo)
            try connection.listen(JobSettings.channel)
            self.connection = connection
            nextSweep = .now
            return connection
        }

        private mutating func tick(_ connection: PostgresConnection) throws {
            let store = JobStore(connection: connection)
            if !recoveredOwnLeases {
                let expired = try store.releaseAll(owner: settings.replicaID)
                if expired > 0 {
                    sweeper.logger.info("jobs of the previous run taken back", metadata: ["jobs.count": "\(expired)"])
                }
                recoveredOwnLeases = true
            }
            let now = ContinuousClock.now
            if now >= nextHeartbeat {
                try store.renewLeases(settings.lease, ids: sweeper.queue.heldJobIDs)
                nextHeartbeat = now + settings.heartbeatInterval
            }
            if now >= nextSweep {
                if sweeper.claiming.load(ordering: .acquiring) { try claim(store) }
                let backlog = try store.backlog()
                sweeper.admission.observe(backlog)
                sweeper.metrics.backlogProcessing.store(backlog.processing, ordering: .relaxed)
                sweeper.metrics.oldestQueuedAgeMilliseconds.store(
                    Int(backlog.oldestQueuedAge * 1000), ordering: .relaxed)
                nextSweep = now + settings.sweepInterval
            }
            if let days = settings.retentionDays, now >= nextRetention {
                var deleted = 0
                for _ in 0..<10 {
                    let batch = try store.deleteFinished(olderThanDays: days, limit: JobSweeper.retentionBatch)
                    deleted += batch
                    if batch < JobSweeper.retentionBatch { break }
                }
                if deleted > 0 { sweeper.logger.info("old jobs deleted", metadata: ["jobs.count": "\(deleted)"]) }
                nextRetention = now + .seconds(60)
            }
        }

        /// Fills the free places of the memory queue with jobs nobody holds, by count, bytes and estimate. A sweep
        /// ends: after a short batch, when the queue turns out full (a job that no longer fits goes back at once),
        /// and after `maxClaimStatements` at most. (It once looped while the queue was full by bytes: each turn claimed
        /// four originals, released them and started again, and the heartbeat waited.)
        private func claim(_ store: JobStore) throws {
            for _ in 0..<JobSweeper.maxClaimStatements {
                let slots = sweeper.queue.freeSlots
                let free = sweeper.queue.freeRoom
                guard slots > 0, free.bytes > 0 || free.isEmpty else { return }
                let claimed = try store.claim(
                    lease: settings.lease, limit: min(slots, JobSweeper.claimBatch), maxBytes: free.bytes,
                    maxEstimate: free.estimate, firstAlways: free.isEmpty)
                var full = false
                for item in claimed {
                    sweeper.metrics.claimed.increment()
                    if item.wasAbandoned { sweeper.metrics.recovered.increment() }
                    if full || !sweeper.queue.enqueueIfRoom(item.job) {
                        // The queue filled up meanwhile (uploads): leave the job to the next sweep, here or elsewhere.
                        try store.release(id: item.job.id, owner: settings.replicaID)
                        full = true
                    }
                }
                if full || claimed.count < JobSweeper.claimBatch { return }
            }
        }
    }
}
