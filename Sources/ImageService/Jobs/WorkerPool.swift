import Dispatch
import Foundation
import Logging
import Synchronization

/// The fixed pool of worker threads that turn queued jobs into results.
///
/// Each worker owns one PostgreSQL connection and runs the C kernel on its own thread, never on the HTTP event loop
/// or Swift's cooperative pool. A kernel error fails the job, not the worker; a lost database connection is retried
/// with backoff until the result is written or the pool stops.
public final class WorkerPool: Sendable {
    private let count: Int
    private let queue: WorkQueue
    private let conninfo: String
    private let kernel: ImageKernel
    private let completions: JobCompletionSignal
    private let logger: Logger
    private let stopping = StopFlag()
    private let finished = DispatchGroup()

    public init(
        count: Int, queue: WorkQueue, conninfo: String, kernel: ImageKernel,
        completions: JobCompletionSignal, logger: Logger
    ) {
        precondition(count > 0, "a worker pool needs at least one worker")
        self.count = count
        self.queue = queue
        self.conninfo = conninfo
        self.kernel = kernel
        self.completions = completions
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

    /// Stops taking new jobs and waits for the running ones to finish. Jobs still in the queue stay `queued` in the
    /// database and are picked up at the next start.
    public func stop() {
        stopping.set()
        queue.shutdown()
        finished.wait()
    }

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

        mutating func run() {
            while let job = pool.queue.next() {
                process(job)
            }
        }

        private mutating func process(_ job: PendingJob) {
            var logger = self.logger
            logger[metadataKey: "job.id"] = "\(job.id.uuidString.lowercased())"
            guard let claimed = withStore({ try $0.markProcessing(id: job.id) }), claimed else {
                logger.debug("job no longer pending, skipped")
                return
            }
            let started = ContinuousClock.now
            let kernel = pool.kernel
            switch Result(catching: { () throws(ImageError) in try kernel.process(job.original, options: job.options) }) {
            case .success(let result):
                guard withStore({ try $0.complete(id: job.id, result: result) }) != nil else { return }
                logger.info(
                    "job completed",
                    metadata: [
                        "job.duration_ms": "\((ContinuousClock.now - started).milliseconds)",
                        "job.output_bytes": "\(result.bytes.count)",
                    ])
            case .failure(let error):
                let failure = JobFailure(code: error.code.rawValue, message: error.message)
                guard withStore({ try $0.fail(id: job.id, failure: failure) }) != nil else { return }
                logger.info("job failed", metadata: ["job.error": "\(error.code.rawValue)"])
            }
            pool.completions.jobFinished(job.id)
        }

        /// Runs `body` on this worker's store, reconnecting with backoff while the database is unreachable.
        /// Returns nil when the pool stops first or the statement itself is rejected.
        private mutating func withStore<T>(_ body: (JobStore) throws -> T) -> T? {
            var backoff = RetryBackoff(initial: .milliseconds(100), maximum: .seconds(5))
            while !pool.stopping.isSet {
                do {
                    let connection = try self.connection ?? PostgresConnection(pool.conninfo)
                    self.connection = connection
                    return try body(JobStore(connection: connection))
                } catch let error as PostgresError where error.isConnectionError {
                    connection = nil
                    let delay = backoff.next()
                    logger.warning(
                        "database unavailable, retrying",
                        metadata: ["retry.delay_ms": "\(delay.milliseconds)", "error": "\(error)"])
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

/// A one-way flag set by `stop()` and read by the workers between retries.
private final class StopFlag: Sendable {
    private let value = Atomic(false)

    var isSet: Bool { value.load(ordering: .acquiring) }
    func set() { value.store(true, ordering: .releasing) }
}

extension Duration {
    /// The whole milliseconds in this duration.
    var milliseconds: Int64 {
        components.seconds * 1000 + components.attoseconds / 1_000_000_000_000_000
    }
}
