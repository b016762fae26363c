import CSystemShims
import Dispatch
import Foundation
import Imaging
import Logging
import PostgresClient
import Synchronization

/// The fixed pool of worker threads that turn queued jobs into results.
///
/// Each worker owns one PostgreSQL connection and runs the C kernel on its own thread, never on the HTTP event loop
/// or Swift's cooperative pool. A job arrives held by this replica (its lease); the worker starts an attempt, runs
/// the kernel and writes the result guarded by that attempt, so a worker that lost its lease cannot overwrite a
/// newer attempt. A corrupt image fails the job; a lack of memory hands it back to be retried later; a lost
/// database connection is retried with backoff, the result kept in memory, until it is written or the pool stops.
///
/// Before it decodes, a worker estimates the job's peak memory from the image's header and takes a slot and that
/// many bytes of the ``ImageWorkBudget`` it shares with the preview renderer, so that the two together never run
/// more kernel calls than there are workers nor hold more memory than the budget's share for image work: a job
/// that does not fit now waits its turn (first come, first served); one larger than the whole share fails
/// (`too_large_for_memory`) instead of running the process out of memory. The result's bytes stay counted until
/// it is stored.
public final class WorkerPool: Sendable {
    /// When a job that ran out of memory is tried again: 2 s after its first attempt, doubling, at most 256 s.
    /// Not the image's fault, so it is handed back rather than failed; `maxAttempts` still bounds it.
    static let outOfMemoryBackoff = RetryBackoff(initial: .seconds(2), maximum: .seconds(256))

    private let count: Int
    private let queue: WorkQueue
    private let budget: ImageWorkBudget
    private let conninfo: String
    private let kernel: ImageKernel
    private let settings: JobSettings
    private let completions: JobCompletionSignal
    private let metrics: JobMetrics
    private let logger: Logger
    private let stopping = Atomic(false)
    private let finished = DispatchGroup()

    /// `budget` is the shared one; without, the pool gets one of `count` slots of its own.
    public init(
        count: Int, queue: WorkQueue, budget: ImageWorkBudget? = nil, conninfo: String, kernel: ImageKernel,
        settings: JobSettings, completions: JobCompletionSignal, metrics: JobMetrics, logger: Logger
    ) {
        precondition(count > 0, "a worker pool needs at least one worker")
        self.count = count
        self.queue = queue
        self.budget = budget ?? ImageWorkBudget(slots: count)
        self.conninfo = conninfo
        self.kernel = kernel
        self.settings = settings
        self.completions = completions
        self.metrics = metrics
        self.logger = logger
    }

    /// Starts the worker threads.
    public func start() {
        for index in 0..<count {
            finished.enter()
            let thread = Thread { [self] in
                var worker = Worker(pool: self, index: index)
                worker.run()
                finished.leave()
            }
            thread.name = "imageproc-worker-\(index)"
            thread.start()
        }
    }

    /// Stops taking jobs and gives the running ones until `deadline` to finish. Returns the jobs that were never
    /// started and those still running at the deadline: the caller hands them back to the queue in the database.
    public func stop(deadline: ContinuousClock.Instant) -> [UUID] {
        let unstarted = queue.shutdown().map(\.id)
        let remaining = deadline - .now
        let waited = finished.wait(timeout: .now() + .milliseconds(Int(max(remaining, .zero).milliseconds)))
        stopping.store(true, ordering: .releasing)
        // What the workers still run (the queue tracks it) is handed back when the grace period ran out.
        let unfinished = waited == .success ? [] : queue.withWorkers
        return unstarted + unfinished
    }

    private var isStopping: Bool { stopping.load(ordering: .acquiring) }

    /// One worker thread's state: its connection, reopened after a failure.
    private struct Worker {
        let pool: WorkerPool
        let index: Int
        var connection: PostgresConnection?
        var logger: Logger

        init(pool: WorkerPool, index: Int) {
            self.pool = pool
            self.index = index
            self.logger = pool.logger
            self.logger[metadataKey: "worker"] = "\(index)"
        }


        /// Inputs at least this large leave megabytes of freed buffers behind in malloc's arenas.
        static let largeJobBytes = 4 << 20

        mutating func run() {
            while let finishedLargeJob = runNextJob() {
                // glibc keeps freed memory in its arenas for reuse; after a large photo that is tens of megabytes
                // the process holds for nothing (and the peak RSS grows with it). Hand it back, as imgproxy does
                // periodically. Here the job and its buffers are gone.
                if finishedLargeJob { _ = malloc_trim(0) }
            }
        }

        /// Runs the next job; nil once the queue is shut down, else whether the job was large.
        private mutating func runNextJob() -> Bool? {
            guard let job = pool.queue.next() else { return nil }
            process(job)
            // Keep libpq's buffers from staying at the size of the largest result this worker ever wrote.
            if connection?.holdsLargeBuffers == true { connection = nil }
            pool.queue.finished(job.id)
            return job.original.count >= Self.largeJobBytes
        }

        private mutating func process(_ job: PendingJob) {
            var logger = self.logger
            logger[metadataKey: "job.id"] = "\(job.id.uuidString.lowercased())"
            let lease = pool.settings.lease
            guard let started = withStore({ try $0.start(id: job.id, lease: lease) }) else { return }
            guard let attempt = started else {
                logger.debug("job no longer held here, skipped")
                return
            }
            if attempt.number > pool.settings.maxAttempts {
                let failure = JobFailure(
                    code: "too_many_attempts",
                    message: "the job was interrupted \(attempt.number - 1) times and was given up")
                finish(attempt, job, completed: false, seconds: nil, logger: logger) {
                    try $0.fail(attempt, failure: failure)
                }
                return
            }
            let clock = ContinuousClock.now
            let kernel = pool.kernel
            let estimate: Int
            do throws(ImageError) {
                estimate = try kernel.estimatedPeakBytes(job.original, options: job.options)
                guard pool.budget.fits(estimate) else {
                    throw .tooLargeForMemory(estimate: estimate, budget: pool.budget.bytes)
                }
            } catch {
                fail(attempt, job, error, seconds: nil, logger: logger)
                return
            }
            var grant = pool.budget.grant(bytes: estimate)
            let outcome = Result { () throws(ImageError) in try kernel.process(job.original, options: job.options) }
            grant.endKernelCall(keeping: (try? outcome.get()).map { PostgresConnection.bytesToSend($0.bytes) } ?? 0)
            switch outcome {
            case .success(let result):
                let elapsed = ContinuousClock.now - clock
                logger[metadataKey: "job.duration_ms"] = "\(elapsed.milliseconds)"
                logger[metadataKey: "job.output_bytes"] = "\(result.bytes.count)"
                finish(attempt, job, completed: true, seconds: elapsed.seconds, logger: logger) {
                    try $0.complete(attempt, result: result)
                }
            case .failure(let error) where error.code == .outOfMemory:
                // Not the image's fault: try again later, when memory may be free.
                let delay = WorkerPool.outOfMemoryBackoff.delay(afterAttempt: attempt.number)
                if withStore({ try $0.release(id: job.id, owner: lease.owner, retryAfter: delay) }) != nil {
                    pool.metrics.retried.increment()
                    logger.warning("job handed back for a retry", metadata: ["job.error": "\(error.code.rawValue)"])
                }
            case .failure(let error):
                fail(attempt, job, error, seconds: (ContinuousClock.now - clock).seconds, logger: logger)
            }
        }

        /// Fails the job for good with the image's error.
        private mutating func fail(
            _ attempt: JobAttempt, _ job: PendingJob, _ error: ImageError, seconds: Double?, logger: Logger
        ) {
            var logger = logger
            logger[metadataKey: "job.error"] = "\(error.code.rawValue)"
            let failure = JobFailure(code: error.code.rawValue, message: error.message)
            finish(attempt, job, completed: false, seconds: seconds, logger: logger) {
                try $0.fail(attempt, failure: failure)
            }
        }

        /// Writes a terminal status; wakes long-polls when it took, counts a lost lease when it did not.
        private mutating func finish(
            _ attempt: JobAttempt, _ job: PendingJob, completed: Bool, seconds: Double?, logger: Logger,
            _ write: (JobStore) throws -> Bool
        ) {
            guard let written = withStore(write) else { return }
            guard written else {
                pool.metrics.leaseLost.increment()
                logger.warning("result discarded: the job was taken over by another replica")
                return
            }
            if completed { pool.metrics.completed.increment() } else { pool.metrics.failed.increment() }
            pool.metrics.recordOutcome(
                operations: job.options.operations, status: completed ? .completed : .failed, seconds: seconds)
            logger.info(completed ? "job completed" : "job failed")
            pool.completions.jobFinished(attempt.id)
        }

        /// Runs `body` on this worker's store, reconnecting with backoff while the database is unreachable.
        /// Returns nil when the pool stops first or the statement itself is rejected.
        private mutating func withStore<T>(_ body: (JobStore) throws -> T) -> T? {
            var reconnect = ReconnectPolicy(initial: .milliseconds(100), maximum: .seconds(5))
            while !pool.isStopping {
                do {
                    let connection = try self.connection ?? PostgresConnection(pool.conninfo)
                    self.connection = connection
                    return try body(JobStore(connection: connection))
                } catch let error as PostgresError where error.isUnavailable {
                    connection = nil
                    pool.metrics.databaseErrors.increment()
                    let delay = reconnect.failed(error, logger: logger, "database unavailable, retrying")
                    Thread.sleep(forTimeInterval: Double(delay.milliseconds) / 1000)
                } catch {
                    logger.error("database statement failed", metadata: ["error": "\(String(reflecting: error))"])
                    return nil
                }
            }
            return nil
        }
    }
}

extension Duration {
    /// This duration in (fractional) seconds.
    var seconds: Double {
        Double(components.seconds) + Double(components.attoseconds) / 1e18
    }

    /// The whole milliseconds in this duration.
    var milliseconds: Int64 {
        components.seconds * 1000 + components.attoseconds / 1_000_000_000_000_000
    }
}
