import ArgumentParser
import Dispatch
import Foundation
import ImageService
import Logging

/// `imageproc serve`: hands its flags and the environment to ``ServiceConfiguration``, runs the service until
/// SIGTERM or SIGINT, then shuts it down gracefully. Names, defaults and checks live in ``ServeSetting``.
struct ServeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "serve", abstract: "Serve the HTTP API and process uploaded images.")

    @Option(name: .customLong(ServeSetting.host.flag), help: .init(ServeSetting.host.help))
    var host: String?
    @Flag(name: .customLong(ServeSetting.allowAnonymous.flag), help: .init(ServeSetting.allowAnonymous.help))
    var allowAnonymous = false
    @Option(name: .customLong(ServeSetting.port.flag), help: .init(ServeSetting.port.help))
    var port: String?
    @Option(name: .customLong(ServeSetting.workers.flag), help: .init(ServeSetting.workers.help))
    var workers: String?
    @Option(name: .customLong(ServeSetting.maxBodyBytes.flag), help: .init(ServeSetting.maxBodyBytes.help))
    var maxBodyBytes: String?
    @Option(name: .customLong(ServeSetting.maxPixels.flag), help: .init(ServeSetting.maxPixels.help))
    var maxPixels: String?
    @Option(name: .customLong(ServeSetting.maxEnlargement.flag), help: .init(ServeSetting.maxEnlargement.help))
    var maxEnlargement: String?
    @Option(name: .customLong(ServeSetting.memoryBudget.flag), help: .init(ServeSetting.memoryBudget.help))
    var memoryBudget: String?
    @Option(name: .customLong(ServeSetting.queueCapacity.flag), help: .init(ServeSetting.queueCapacity.help))
    var queueCapacity: String?
    @Option(name: .customLong(ServeSetting.webRoot.flag), help: .init(ServeSetting.webRoot.help))
    var webRoot: String?
    @Option(name: .customLong(ServeSetting.replicaID.flag), help: .init(ServeSetting.replicaID.help))
    var replicaID: String?
    @Option(name: .customLong(ServeSetting.leaseSeconds.flag), help: .init(ServeSetting.leaseSeconds.help))
    var leaseSeconds: String?
    @Option(name: .customLong(ServeSetting.sweepSeconds.flag), help: .init(ServeSetting.sweepSeconds.help))
    var sweepSeconds: String?
    @Option(name: .customLong(ServeSetting.maxAttempts.flag), help: .init(ServeSetting.maxAttempts.help))
    var maxAttempts: String?
    @Option(
        name: .customLong(ServeSetting.shutdownGraceSeconds.flag), help: .init(ServeSetting.shutdownGraceSeconds.help))
    var shutdownGraceSeconds: String?
    @Option(name: .customLong(ServeSetting.maxBacklog.flag), help: .init(ServeSetting.maxBacklog.help))
    var maxBacklog: String?
    @Option(name: .customLong(ServeSetting.retentionDays.flag), help: .init(ServeSetting.retentionDays.help))
    var retentionDays: String?
    @Option(name: .customLong(ServeSetting.apiTokensFile.flag), help: .init(ServeSetting.apiTokensFile.help))
    var apiTokensFile: String?
    @Option(name: .customLong(ServeSetting.corsOrigins.flag), help: .init(ServeSetting.corsOrigins.help))
    var corsOrigins: String?
    @Option(name: .customLong(ServeSetting.databaseURL.flag), help: .init(ServeSetting.databaseURL.help))
    var databaseURL: String?
    @Option(name: .customLong(ServeSetting.logLevel.flag), help: .init(ServeSetting.logLevel.help))
    var logLevel: String?
    @Option(name: .customLong(ServeSetting.logFormat.flag), help: .init(ServeSetting.logFormat.help))
    var logFormat: String?

    /// The flags given, by setting; absent ones fall back to the environment and the defaults.
    private var flags: [ServeSetting: String] {
        let given: [ServeSetting: String?] = [
            .host: host, .allowAnonymous: allowAnonymous ? "1" : nil, .port: port, .workers: workers,
            .maxBodyBytes: maxBodyBytes, .maxPixels: maxPixels, .maxEnlargement: maxEnlargement,
            .memoryBudget: memoryBudget, .queueCapacity: queueCapacity, .webRoot: webRoot, .replicaID: replicaID,
            .leaseSeconds: leaseSeconds, .sweepSeconds: sweepSeconds, .maxAttempts: maxAttempts,
            .shutdownGraceSeconds: shutdownGraceSeconds, .maxBacklog: maxBacklog, .retentionDays: retentionDays,
            .apiTokensFile: apiTokensFile, .corsOrigins: corsOrigins, .databaseURL: databaseURL,
            .logLevel: logLevel, .logFormat: logFormat,
        ]
        return given.compactMapValues { $0 }
    }

    func run() throws {
        let configuration: ServiceConfiguration
        do {
            configuration = try ServiceConfiguration(flags: flags, environment: ProcessInfo.processInfo.environment)
        } catch {
            throw ValidationError(error.message)
        }
        LoggingSystem.bootstrap { label in
            configuration.logFormat.handler(label: label, level: configuration.logLevel)
        }
        let logger = Logger(label: "imageproc")
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
