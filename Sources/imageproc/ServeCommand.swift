import ArgumentParser
import Dispatch
import Foundation
import HTTPTransport
import ImageService
import Imaging
import Logging

/// `imageproc serve`: reads flags and environment into a `ServiceConfiguration`, runs the service until SIGTERM or
/// SIGINT, then shuts it down gracefully.
struct ServeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "serve", abstract: "Serve the HTTP API and process uploaded images.")

    @Option(help: "Address to bind (env HOST, default 127.0.0.1; any other needs API tokens or --allow-anonymous).")
    var host: String?

    @Flag(help: "Serve without API tokens on an address other than loopback (env IMAGEPROC_ALLOW_ANONYMOUS=1).")
    var allowAnonymous = false

    @Option(help: "Port to listen on (env PORT, default 8080).")
    var port: Int?

    @Option(help: "Worker threads running the image kernel (env IMAGEPROC_WORKERS, default 4).")
    var workers: Int?

    @Option(help: "Largest request body in bytes (env IMAGEPROC_MAX_BODY_BYTES, default 52428800).")
    var maxBodyBytes: Int?

    @Option(help: "Largest image in pixels (env IMAGEPROC_MAX_PIXELS, default 100000000).")
    var maxPixels: Int?

    @Option(
        help: """
            Most times larger per side a resize may make an upload (env IMAGEPROC_MAX_ENLARGEMENT, default \
            \(ProcessingOptions.defaultMaxEnlargement)).
            """)
    var maxEnlargement: Int?

    @Option(
        help: """
            Memory the process may use, in bytes or with KiB, MiB or GiB (env IMAGEPROC_MEMORY_BUDGET, default: the \
            container's limit less 15 % or 128 MiB, or the machine's memory).
            """)
    var memoryBudget: String?

    @Option(help: "Jobs waiting in memory for a worker, at most (env IMAGEPROC_QUEUE_CAPACITY, default 64).")
    var queueCapacity: Int?

    @Option(help: "Folder of the browser page (env IMAGEPROC_WEB_ROOT, default ./web when it exists).")
    var webRoot: String?

    @Option(help: "This replica's name in job leases (env IMAGEPROC_REPLICA_ID, default host:port).")
    var replicaID: String?

    @Option(help: "Seconds a job lease holds without a heartbeat (env IMAGEPROC_LEASE_SECONDS, default 60).")
    var leaseSeconds: Int?

    @Option(help: "Seconds between sweeps for unheld jobs (env IMAGEPROC_SWEEP_SECONDS, default 5).")
    var sweepSeconds: Int?

    @Option(help: "Attempts before an interrupted job is failed (env IMAGEPROC_MAX_ATTEMPTS, default 5).")
    var maxAttempts: Int?

    @Option(help: "Seconds running jobs get to finish on SIGTERM (env IMAGEPROC_SHUTDOWN_GRACE_SECONDS, default 25).")
    var shutdownGraceSeconds: Int?

    @Option(help: "Queued jobs beyond which uploads get 429 (env IMAGEPROC_MAX_BACKLOG, default 10000).")
    var maxBacklog: Int?

    @Option(help: "Delete finished jobs after this many days (env IMAGEPROC_RETENTION_DAYS, default: keep).")
    var retentionDays: Int?

    @Option(help: "File of API tokens, one per line (env IMAGEPROC_API_TOKENS_FILE; or IMAGEPROC_API_TOKENS, comma-separated).")
    var apiTokensFile: String?

    @Option(help: "Origins allowed by CORS, comma-separated, or * (env IMAGEPROC_CORS_ORIGINS, default: none).")
    var corsOrigins: String?

    @Option(help: "PostgreSQL URL (env DATABASE_URL; otherwise libpq's PG* variables).")
    var databaseURL: String?

    @Option(help: "trace, debug, info, notice, warning, error or critical (env IMAGEPROC_LOG_LEVEL, default info).")
    var logLevel: String?

    @Option(help: "text, or json for one JSON object per line (env IMAGEPROC_LOG_FORMAT, default text).")
    var logFormat: String?

    func run() throws {
        let environment = ProcessInfo.processInfo.environment
        func setting(_ flag: Int?, _ name: String, _ fallback: Int) throws -> Int {
            if let flag { return flag }
            guard let text = environment[name] else { return fallback }
            guard let value = Int(text) else { throw ValidationError("\(name) must be an integer, not \(text)") }
            return value
        }
        let level = logLevel ?? environment["IMAGEPROC_LOG_LEVEL"] ?? "info"
        guard let logLevel = Logger.Level(rawValue: level) else { throw ValidationError("unknown log level \(level)") }
        var http = HTTPServerConfiguration(
            host: host ?? environment["HOST"] ?? HTTPServerConfiguration.defaultHost,
            port: try setting(port, "PORT", 8080))
        http.limits.maxBodyBytes = try setting(maxBodyBytes, "IMAGEPROC_MAX_BODY_BYTES", http.limits.maxBodyBytes)
        let defaultWebRoot = FileManager.default.fileExists(atPath: "web/index.html") ? "web" : nil
        let lease = Duration.seconds(try setting(leaseSeconds, "IMAGEPROC_LEASE_SECONDS", 60))
        let retention = try setting(retentionDays, "IMAGEPROC_RETENTION_DAYS", 0)
        let jobs = JobSettings(
            replicaID: replicaID ?? environment["IMAGEPROC_REPLICA_ID"] ?? JobSettings.defaultReplicaID(port: http.port),
            leaseDuration: lease, heartbeatInterval: lease / 4,
            sweepInterval: .seconds(try setting(sweepSeconds, "IMAGEPROC_SWEEP_SECONDS", 5)),
            maxAttempts: try setting(maxAttempts, "IMAGEPROC_MAX_ATTEMPTS", 5),
            shutdownGracePeriod: .seconds(try setting(shutdownGraceSeconds, "IMAGEPROC_SHUTDOWN_GRACE_SECONDS", 25)),
            maxBacklog: try setting(maxBacklog, "IMAGEPROC_MAX_BACKLOG", 10_000),
            retentionDays: retention > 0 ? retention : nil,
            maxEnlargement: try setting(
                maxEnlargement, "IMAGEPROC_MAX_ENLARGEMENT", ProcessingOptions.defaultMaxEnlargement))
        guard lease >= .seconds(4), jobs.sweepInterval > .zero, jobs.maxAttempts > 0 else {
            throw ValidationError("the lease must be at least 4 seconds; sweep interval and attempts positive")
        }
        guard jobs.maxEnlargement >= 1 else { throw ValidationError("the largest enlargement must be at least 1") }
        var tokens = (environment["IMAGEPROC_API_TOKENS"] ?? "").split(separator: ",").map(String.init)
        if let file = apiTokensFile ?? environment["IMAGEPROC_API_TOKENS_FILE"] {
            guard let text = try? String(contentsOfFile: file, encoding: .utf8) else {
                throw ValidationError("cannot read the API tokens file \(file)")
            }
            tokens += text.split(whereSeparator: \.isNewline).map { $0.trimmingCharacters(in: .whitespaces) }
        }
        let origins = (corsOrigins ?? environment["IMAGEPROC_CORS_ORIGINS"] ?? "").split(separator: ",")
            .map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
        var configuration = ServiceConfiguration(
            http: http,
            databaseURL: databaseURL ?? environment["DATABASE_URL"] ?? "",
            workers: try setting(workers, "IMAGEPROC_WORKERS", 4),
            queueCapacity: try setting(queueCapacity, "IMAGEPROC_QUEUE_CAPACITY", 64),
            maxPixels: try setting(maxPixels, "IMAGEPROC_MAX_PIXELS", 100_000_000),
            webRoot: webRoot ?? environment["IMAGEPROC_WEB_ROOT"] ?? defaultWebRoot,
            access: AccessPolicy(tokens: tokens, allowedOrigins: Set(origins)), jobs: jobs)
        guard configuration.workers > 0, configuration.queueCapacity > 0 else {
            throw ValidationError("workers and queue capacity must be positive")
        }
        let anonymousAllowed = allowAnonymous || ["1", "true"].contains(environment["IMAGEPROC_ALLOW_ANONYMOUS"] ?? "")
        if configuration.servesAnonymouslyBeyondThisMachine, !anonymousAllowed {
            throw ValidationError(
                "binding \(http.host) without API tokens would let anyone who reaches this machine list, download and "
                    + "delete every image; set IMAGEPROC_API_TOKENS_FILE (or IMAGEPROC_API_TOKENS), bind 127.0.0.1, "
                    + "or pass --allow-anonymous (IMAGEPROC_ALLOW_ANONYMOUS=1) if that is what you want")
        }
        let budget: MemoryBudget
        if let text = memoryBudget ?? environment["IMAGEPROC_MEMORY_BUDGET"] {
            guard let bytes = MemoryBudget.parseSize(text) else {
                throw ValidationError("the memory budget must be bytes or a number with KiB, MiB or GiB, not \(text)")
            }
            budget = MemoryBudget(limitBytes: bytes, source: .configured)
        } else {
            budget = MemoryBudget.detect()
        }
        configuration.apply(budget)

        let format = logFormat ?? environment["IMAGEPROC_LOG_FORMAT"] ?? "text"
        guard format == "text" || format == "json" else { throw ValidationError("unknown log format \(format)") }
        LoggingSystem.bootstrap { label in
            // Not swift-log's StreamLogHandler: it writes messages and values raw, so a CR/LF from a client forges lines.
            if format == "json" { return JSONLogHandler(label: label, level: logLevel) }
            return TextLogHandler(label: label, level: logLevel)
        }
        let logger = Logger(label: "imageproc")
        logger.info(
            "memory budget",
            metadata: [
                "memory.limit_bytes": "\(budget.limitBytes)", "memory.source": "\(budget.source)",
                "memory.budget_bytes": "\(budget.totalBytes)",
                "memory.request_bodies_bytes": "\(configuration.http.bodyBudgetBytes)",
                "memory.queued_originals_bytes": "\(configuration.queueByteCapacity)",
                "memory.responses_bytes": "\(configuration.http.outputBudgetBytes)",
                "memory.image_work_bytes": "\(configuration.imageWorkBytes)",
            ])
        if configuration.servesAnonymouslyBeyondThisMachine {
            let warning = "serving without API tokens on an address other than loopback (--allow-anonymous): anyone "
                + "who reaches it can list, download and delete every image"
            logger.warning("\(warning)", metadata: ["http.host": "\(http.host)"])
        }
        let application = try Application(configuration: configuration, logger: logger)
        try application.start()

        let stop = DispatchSemaphore(value: 0)
        let signals = [SIGTERM, SIGINT].map { number in
            signal(number, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: number, queue: .global())
            source.setEventHandler { stop.signal() }
            source.resume()
            return source
        }
        stop.wait()
        logger.info("shutting down")
        application.shutdown()
        signals.forEach { $0.cancel() }
    }
}
