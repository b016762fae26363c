import HTTPProtocol

/// Everything `/metrics` reports: HTTP traffic by route template, the queue's counters and gauges, the jobs'
/// outcomes and kernel times, and the process's own figures.
public final class ServiceMetrics: Sendable {
    public let http = MetricsRegistry()
    public let jobs: JobMetrics
    private let queue: WorkQueue
    private let admission: JobAdmission

    public init(jobs: JobMetrics, queue: WorkQueue, admission: JobAdmission) {
        self.jobs = jobs
        self.queue = queue
        self.admission = admission
        http.describe(
            "imageproc_http_requests_total", type: "counter", help: "Requests answered, by method, route and status.")
        http.describe(
            "imageproc_http_request_duration_seconds", type: "histogram", help: "Time to produce a response, by route.")
        http.describe("imageproc_bytes_in_total", type: "counter", help: "Request body bytes received.")
        http.describe("imageproc_bytes_out_total", type: "counter", help: "Response body bytes sent.")
    }

    /// The methods that get a series of their own; any other token a client sends is counted as `other`.
    public static let methodLabels: Set<String> = ["GET", "HEAD", "POST", "PUT", "DELETE", "OPTIONS", "PATCH"]

    /// Counts one answered request. `route` is the matched template (`/api/images/{id}`) or a fixed word
    /// (`unmatched`, `unauthorized`, `preflight`), never the raw path.
    ///
    /// Every label comes from a closed set, so that no client can grow the exposition: a client may send any method
    /// token (RFC 9110 §9.1), and before this mapping 300 made-up ones made 300 series, kept forever.
    public func recordRequest(
        method: HTTPMethod, route: String, status: HTTPStatus, seconds: Double, bytesIn: Int, bytesOut: Int
    ) {
        http.increment(
            "imageproc_http_requests_total",
            labels: ["method": Self.methodLabel(method), "route": route, "status": Self.statusLabel(status)])
        http.observe("imageproc_http_request_duration_seconds", labels: ["route": route], seconds)
        http.increment("imageproc_bytes_in_total", by: Double(bytesIn))
        http.increment("imageproc_bytes_out_total", by: Double(bytesOut))
    }

    /// The method's label: itself if standard, else `other`.
    static func methodLabel(_ method: HTTPMethod) -> String {
        methodLabels.contains(method.rawValue) ? method.rawValue : "other"
    }

    /// The status's label: its three digits (a status outside 100–599 cannot be sent; it is `other` if it is).
    static func statusLabel(_ status: HTTPStatus) -> String {
        (100...599).contains(status.code) ? String(status.code) : "other"
    }

    /// The whole exposition, gauges sampled now.
    public func render() -> String {
        let process = ProcessStatistics.current()
        let counter = "counter"
        let gauge = "gauge"
        let samples: [MetricsRegistry.Sample] = [
            .init(
                "imageproc_jobs_claimed_total", counter, "Jobs taken by this replica's sweeps.",
                Double(jobs.claimed.value)),
            .init(
                "imageproc_jobs_retried_total", counter, "Jobs handed back to be retried later.",
                Double(jobs.retried.value)),
            .init(
                "imageproc_jobs_recovered_total", counter, "Jobs taken over from a replica whose lease ran out.",
                Double(jobs.recovered.value)),
            .init(
                "imageproc_jobs_lease_lost_total", counter, "Results discarded because another replica had the job.",
                Double(jobs.leaseLost.value)),
            .init(
                "imageproc_db_errors_total", counter, "Database operations that failed for want of a connection.",
                Double(jobs.databaseErrors.value)),
            .init("imageproc_queue_depth", gauge, "Jobs waiting in this replica's memory queue.", Double(queue.count)),
            .init("imageproc_workers_busy", gauge, "Workers running a job now.", Double(queue.withWorkers.count)),
            .init(
                "imageproc_backlog_queued", gauge, "Jobs queued in the database (last sweep).",
                Double(admission.waiting)),
            .init(
                "imageproc_backlog_processing", gauge, "Jobs processing anywhere (last sweep).",
                Double(jobs.backlogProcessing.value)),
            .init(
                "imageproc_oldest_queued_age_seconds", gauge, "Age of the oldest queued job (last sweep).",
                Double(jobs.oldestQueuedAgeMilliseconds.value) / 1000),
            .init("process_resident_memory_bytes", gauge, "Resident memory in bytes.", process.residentBytes),
            .init("process_open_fds", gauge, "Open file descriptors.", process.openDescriptors),
            .init("process_cpu_seconds_total", counter, "User and system CPU time in seconds.", process.cpuSeconds),
            .init("process_start_time_seconds", gauge, "Start time since the Unix epoch.", process.startTimeSeconds),
        ]
        return http.render() + jobs.outcomes.render() + MetricsRegistry().render(samples: samples)
    }
}
