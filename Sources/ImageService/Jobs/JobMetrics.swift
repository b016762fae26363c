import Imaging
import Synchronization

/// The queue's counters and gauges, kept in one place for `/metrics` and the tests: what was claimed, completed,
/// failed, retried and recovered, and what waits.
public final class JobMetrics: Sendable {
    /// Jobs taken by a sweep.
    public let claimed = Atomic<Int>(0)
    /// Jobs that ended `completed` here.
    public let completed = Atomic<Int>(0)
    /// Jobs that ended `failed` here.
    public let failed = Atomic<Int>(0)
    /// Jobs handed back to be tried again later (a transient failure).
    public let retried = Atomic<Int>(0)
    /// Jobs taken over from a replica whose lease had run out.
    public let recovered = Atomic<Int>(0)
    /// Results not written because the lease had been lost to another replica.
    public let leaseLost = Atomic<Int>(0)
    /// Database operations that failed for want of a connection.
    public let databaseErrors = Atomic<Int>(0)
    /// Jobs processing anywhere, as of the last sweep.
    public let backlogProcessing = Atomic<Int>(0)
    /// Age of the oldest queued job in milliseconds, as of the last sweep.
    public let oldestQueuedAgeMilliseconds = Atomic<Int>(0)
    /// Finished jobs by operations and outcome, and how long the kernel took.
    public let outcomes = MetricsRegistry()

    public init() {
        outcomes.describe("imageproc_jobs_total", type: "counter", help: "Jobs finished, by operations and status.")
        outcomes.describe(
            "imageproc_job_duration_seconds", type: "histogram", help: "Kernel time per job, by operations.")
    }

    /// Counts a finished job and its kernel time.
    func recordOutcome(operations: [ImageOperation], status: JobStatus, seconds: Double?) {
        let op = operations.map(\.rawValue).joined(separator: ",")
        outcomes.increment("imageproc_jobs_total", labels: ["op": op, "status": status.rawValue])
        if let seconds { outcomes.observe("imageproc_job_duration_seconds", labels: ["op": op], seconds) }
    }
}

extension Atomic<Int> {
    /// Adds one; counters need no ordering with other memory.
    func increment() {
        add(1, ordering: .relaxed)
    }

    var value: Int { load(ordering: .relaxed) }
}
