import Foundation
import Logging
import Testing

@testable import ImageService
@testable import Imaging
@testable import PostgresClient
@testable import TestSupport

/// The sweeper against a real PostgreSQL: what it claims, and that a sweep always ends.
@Suite(.timeLimit(.minutes(1))) struct JobSweeperTests {
    private static func job(bytes: Int) -> NewJob {
        NewJob(
            original: [UInt8](repeating: 7, count: bytes), originalInfo: ImageInfo(format: .png, width: 4, height: 4),
            options: ProcessingOptions(operations: [.grayscale]), filename: nil, metadata: nil, idempotencyKey: nil)
    }

    @Test func claimsOnlyTheOldestOriginalsThatFitTheBytesLeft() throws {
        try TestDatabase.withScratchSchema { _, connect in
            let store = JobStore(connection: try connect())
            try Migrations.run(on: store.connection)
            let ids = try (0..<3).map { _ in try store.insert(Self.job(bytes: 100)).created().id }
            let lease = JobLease(owner: "me", duration: .seconds(60))
            #expect(
                try store.claim(lease: lease, limit: 10, maxBytes: 250, firstAlways: false).map(\.job.id) == [
                    ids[0], ids[1],
                ])
            #expect(try store.claim(lease: lease, limit: 10, maxBytes: 50, firstAlways: false).isEmpty)
            // An empty queue takes the oldest whatever its size.
            #expect(try store.claim(lease: lease, limit: 10, maxBytes: 50, firstAlways: true).map(\.job.id) == [ids[2]])
        }
    }

    @Test func claimsOnlyTheOldestJobsWhoseEstimatesFitAndCountsOldRowsAsNothing() throws {
        try TestDatabase.withScratchSchema { _, connect in
            let store = JobStore(connection: try connect())
            try Migrations.run(on: store.connection)
            var jobs = (0..<3).map { _ in Self.job(bytes: 10) }
            for index in jobs.indices { jobs[index].memoryEstimate = 100 }
            let ids = try jobs.map { try store.insert($0).created().id }
            let lease = JobLease(owner: "me", duration: .seconds(60))
            let first = try store.claim(lease: lease, limit: 10, maxEstimate: 250, firstAlways: false)
            #expect(first.map(\.job.id) == [ids[0], ids[1]])
            #expect(first.map(\.job.memoryEstimate) == [100, 100])
            #expect(try store.claim(lease: lease, limit: 10, maxEstimate: 50, firstAlways: false).isEmpty)
            let oldestFirst = try store.claim(lease: lease, limit: 10, maxEstimate: 50, firstAlways: true)
            #expect(oldestFirst.map(\.job.id) == [ids[2]])
            // A job stored before estimates were counts as nothing here (its worker estimates it again).
            let old = try store.insert(Self.job(bytes: 10)).created().id
            try store.connection.query("UPDATE processed_images SET memory_estimate = NULL WHERE id = $1", [old])
            let claimed = try store.claim(lease: lease, limit: 10, maxEstimate: 0, firstAlways: false)
            #expect(claimed.map(\.job.id) == [old] && claimed.map(\.job.memoryEstimate) == [0])
        }
    }

    /// With the memory queue full by bytes (not by count), a sweep once claimed four originals, released them and
    /// started again, forever: the backlog gauges were never updated and heartbeats waited.
    @Test func aSweepEndsWhenTheQueueIsFullByBytes() async throws {
        try await TestDatabase.withScratchSchemaAsync { schema in
            let base = try TestDatabase.url()
            let url = base + (base.contains("?") ? "&" : "?") + "options=-csearch_path%3D\(schema)"
            let store = JobStore(connection: try PostgresConnection(url))
            try Migrations.run(on: store.connection)
            for _ in 0..<5 { _ = try store.insert(Self.job(bytes: 2000)) }
            let queue = WorkQueue(capacity: 64, byteCapacity: 1000)
            let resident = PendingJob(
                id: UUID(), options: ProcessingOptions(operations: [.grayscale]),
                original: [UInt8](repeating: 1, count: 900))
            #expect(queue.enqueueIfRoom(resident))
            let metrics = JobMetrics()
            var logger = Logger(label: "sweeper-test")
            logger.logLevel = .critical
            let settings = JobSettings(
                replicaID: "sweeper-test", leaseDuration: .seconds(10), heartbeatInterval: .milliseconds(200),
                sweepInterval: .milliseconds(100), shutdownGracePeriod: .seconds(1))
            let admission = JobAdmission(queue: queue, budget: ImageWorkBudget(slots: 1), settings: settings)
            let sweeper = JobSweeper(
                queue: queue, admission: admission, conninfo: url, settings: settings, metrics: metrics, logger: logger)
            sweeper.start()
            defer { sweeper.stop() }
            try await blocking {
                for _ in 0..<50 where admission.waiting != 5 {
                    Thread.sleep(forTimeInterval: 0.1)
                }
            }
            #expect(admission.waiting == 5)
            // No original that could not fit was read.
            #expect(metrics.claimed.value == 0)
        }
    }

    /// A sweeper on a migrated scratch schema with an empty memory queue, sweeping every `interval`.
    private static func withSweeper(
        interval: Duration,
        _ body: @escaping @Sendable (_ store: JobStore, _ queue: WorkQueue, _ metrics: JobMetrics) throws -> Void
    ) async throws {
        try await TestDatabase.withMigratedScratchSchema { url, store in
            let queue = WorkQueue(capacity: 8, byteCapacity: 1 << 20)
            let metrics = JobMetrics()
            var logger = Logger(label: "sweeper-test")
            logger.logLevel = .critical
            let settings = JobSettings(
                replicaID: "sweeper-test", leaseDuration: .seconds(60), sweepInterval: interval,
                shutdownGracePeriod: .seconds(1))
            let admission = JobAdmission(queue: queue, budget: ImageWorkBudget(slots: 1), settings: settings)
            let sweeper = JobSweeper(
                queue: queue, admission: admission, conninfo: url, settings: settings, metrics: metrics,
                logger: logger)
            // A job another replica holds: the first sweep (at once) cannot take it, but counts it.
            _ = try store.insert(Self.job(bytes: 10), lease: JobLease(owner: "elsewhere", duration: .seconds(60)))
            sweeper.start()
            defer { sweeper.stop() }
            let deadline = Date().addingTimeInterval(10)
            while admission.waiting != 1, Date() < deadline { Thread.sleep(forTimeInterval: 0.02) }
            try #require(admission.waiting == 1)
            try body(store, queue, metrics)
        }
    }

    /// Waits up to `seconds` for the sweeper to claim a job into `queue`.
    private static func claimed(_ queue: WorkQueue, within seconds: Double) -> Bool {
        let deadline = Date().addingTimeInterval(seconds)
        while queue.count == 0, Date() < deadline { Thread.sleep(forTimeInterval: 0.02) }
        return queue.count == 1
    }

    /// (Whose notification wakes it is not checked: the channel is the database's, and suites beside this one notify
    /// it too. Without any, the sweep would come after 30 s.)
    @Test func aNotificationWakesTheSweepLongBeforeItsInterval() async throws {
        try await Self.withSweeper(interval: .seconds(30)) { store, queue, metrics in
            _ = try store.insert(Self.job(bytes: 100)).created()
            try store.connection.notify(JobSettings.channel)
            #expect(Self.claimed(queue, within: 3))
            #expect(metrics.claimed.value == 1)
        }
    }

    @Test func aJobStoredWithoutANotificationIsFoundByThePeriodicSweep() async throws {
        try await Self.withSweeper(interval: .milliseconds(500)) { store, queue, metrics in
            _ = try store.insert(Self.job(bytes: 100)).created()
            #expect(Self.claimed(queue, within: 3))
            #expect(metrics.claimed.value == 1)
        }
    }
}
