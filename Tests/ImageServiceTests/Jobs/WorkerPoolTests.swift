import Foundation
import Logging
import Testing

@testable import ImageService
@testable import Imaging
@testable import PostgresClient
@testable import TestSupport

/// The worker pool on a real PostgreSQL: what a worker writes when a job ran out of attempts, and what it does not
/// write once another replica took the job over.
@Suite(.timeLimit(.minutes(1))) struct WorkerPoolTests {
    private static let settings = JobSettings(
        replicaID: "pool-test", leaseDuration: .seconds(10), sweepInterval: .seconds(1), maxAttempts: 2,
        shutdownGracePeriod: .seconds(2))

    /// A migrated scratch schema with one job held by this test's replica, a pool of one worker on it, and a way to
    /// hand the job to the worker; everything stopped after `body`.
    private static func withPool(
        _ body: @escaping @Sendable (_ store: JobStore, _ job: PendingJob, _ budget: ImageWorkBudget,
            _ metrics: JobMetrics, _ queue: WorkQueue) throws -> Void
    ) async throws {
        try await TestDatabase.withMigratedScratchSchema { url, store in
            let png = TestImages.colorfulPNG(width: 16, height: 12)
            let options = ProcessingOptions(operations: [.grayscale])
            let record = try store.insert(
                NewJob(
                    original: png, originalInfo: try ImageKernel().probe(png), options: options, filename: nil,
                    metadata: nil),
                lease: settings.lease
            ).created()
            let queue = WorkQueue(capacity: 4, byteCapacity: 1 << 20)
            let metrics = JobMetrics()
            var logger = Logger(label: "pool-test")
            logger.logLevel = .critical
            let budget = ImageWorkBudget(slots: 1)
            let pool = WorkerPool(
                count: 1, queue: queue, budget: budget, conninfo: url, kernel: ImageKernel(), settings: settings,
                completions: JobCompletionSignal(), metrics: metrics, logger: logger)
            pool.start()
            defer { _ = pool.stop(deadline: .now + .seconds(2)) }
            try body(store, PendingJob(id: record.id, options: options, original: png), budget, metrics, queue)
        }
    }

    /// Waits up to 10 s for `condition`.
    private static func eventually(_ condition: () throws -> Bool) rethrows -> Bool {
        let deadline = ContinuousClock.now + .seconds(10)
        while try !condition() {
            guard ContinuousClock.now < deadline else { return false }
            Thread.sleep(forTimeInterval: 0.02)
        }
        return true
    }

    @Test func completesAHeldJobOnItsFirstAttempt() async throws {
        try await Self.withPool { store, job, _, metrics, queue in
            #expect(queue.enqueueIfRoom(job))
            #expect(Self.eventually { metrics.completed.value == 1 })
            let record = try #require(try store.find(id: job.id))
            #expect(record.status == .completed)
            #expect(record.attempts == 1)
            #expect(try store.processedImage(id: job.id) != nil)
        }
    }

    @Test func failsAJobInterruptedMoreOftenThanItsAttemptsAllow() async throws {
        try await Self.withPool { store, job, _, metrics, queue in
            // Two attempts already began and never finished (their replicas died).
            try store.connection.query("UPDATE processed_images SET attempts = 2 WHERE id = $1", [job.id])
            #expect(queue.enqueueIfRoom(job))
            #expect(Self.eventually { metrics.failed.value == 1 })
            let record = try #require(try store.find(id: job.id))
            #expect(record.status == .failed)
            #expect(record.failure?.code == "too_many_attempts")
            #expect(record.attempts == 3)
            #expect(try store.processedImage(id: job.id) == nil)
        }
    }

    @Test func writesNothingOnceAnotherReplicaTookTheJobOver() async throws {
        try await Self.withPool { store, job, budget, metrics, queue in
            // The test holds the only kernel slot, so the worker waits between starting its attempt and running it.
            budget.acquireBlocking()
            #expect(queue.enqueueIfRoom(job))
            #expect(try Self.eventually { try store.find(id: job.id)?.status == .processing })
            // Its lease ran out meanwhile, and another replica claimed the job and started attempt 2.
            try store.connection.query(
                "UPDATE processed_images SET locked_by = 'other', attempts = 2 WHERE id = $1", [job.id])
            budget.release()
            #expect(Self.eventually { metrics.leaseLost.value == 1 })
            let record = try #require(try store.find(id: job.id))
            #expect(record.status == .processing)
            #expect(record.attempts == 2)
            #expect(metrics.completed.value == 0)
            #expect(try store.processedImage(id: job.id) == nil)
        }
    }
}
