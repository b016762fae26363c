import Foundation
import HTTPTransport
import Imaging
import Logging

extension ServiceConfiguration {
    /// The configuration `imageproc serve` runs with: each ``ServeSetting`` from its flag (`flags`, as the CLI
    /// parsed it, unvalidated), else from its environment variable, else its default; validated here, so that a
    /// flag and its variable are checked alike. `detectMemory` finds the memory limit when no budget is set.
    public init(
        flags: [ServeSetting: String], environment: [String: String],
        detectMemory: () -> MemoryBudget = MemoryBudget.detect
    ) throws(ConfigurationError) {
        let settings = SettingsReader(flags: flags, environment: environment)
        var http = HTTPServerConfiguration(
            host: settings.text(.host) ?? HTTPServerConfiguration.defaultHost,
            port: try settings.integer(.port, default: HTTPServerConfiguration.defaultPort))
        http.limits.maxBodyBytes = try settings.integer(.maxBodyBytes, default: http.limits.maxBodyBytes)
        let origins = (settings.text(.corsOrigins) ?? "").split(separator: ",")
            .map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
        self.init(
            http: http,
            databaseURL: settings.text(.databaseURL) ?? "",
            workers: try settings.integer(.workers, default: Self.defaultWorkers),
            queueCapacity: try settings.integer(.queueCapacity, default: Self.defaultQueueCapacity),
            maxPixels: try settings.integer(.maxPixels, default: Self.defaultMaxPixels),
            webRoot: settings.text(.webRoot)
                ?? (FileManager.default.fileExists(atPath: "web/index.html") ? "web" : nil),
            access: AccessPolicy(tokens: try settings.tokens(), allowedOrigins: Set(origins)),
            jobs: try JobSettings(settings, port: http.port))
        logLevel = try settings.choice(.logLevel, default: .info) { Logger.Level(rawValue: $0) }
        logFormat = try settings.choice(.logFormat, default: .text) { LogFormat(rawValue: $0) }
        if servesAnonymouslyBeyondThisMachine, !settings.isOn(.allowAnonymous) {
            throw ConfigurationError(
                "binding \(http.host) without API tokens would let anyone who reaches this machine list, download "
                    + "and delete every image; set \(ServeSetting.apiTokensFile.environmentVariable) (or "
                    + "\(ServeSetting.apiTokensVariable)), bind 127.0.0.1, or pass --allow-anonymous "
                    + "(\(ServeSetting.allowAnonymous.environmentVariable)=1) if that is what you want")
        }
        if let text = settings.text(.memoryBudget) {
            guard let bytes = MemoryBudget.parseSize(text) else {
                throw ConfigurationError(
                    "\(settings.names(.memoryBudget)) must be bytes or a number with KiB, MiB or GiB, not \(text)")
            }
            apply(MemoryBudget(limitBytes: bytes, source: .configured))
        } else {
            apply(detectMemory())
        }
    }
}

extension JobSettings {
    fileprivate init(_ settings: SettingsReader, port: Int) throws(ConfigurationError) {
        let retention = try settings.integer(.retentionDays, default: 0)
        self.init(
            replicaID: settings.text(.replicaID) ?? Self.defaultReplicaID(port: port),
            leaseDuration: try settings.seconds(.leaseSeconds, default: Self.defaultLeaseDuration),
            sweepInterval: try settings.seconds(.sweepSeconds, default: Self.defaultSweepInterval),
            maxAttempts: try settings.integer(.maxAttempts, default: Self.defaultMaxAttempts),
            shutdownGracePeriod: try settings.seconds(
                .shutdownGraceSeconds, default: Self.defaultShutdownGracePeriod),
            maxBacklog: try settings.integer(.maxBacklog, default: Self.defaultMaxBacklog),
            retentionDays: retention > 0 ? retention : nil,
            maxEnlargement: try settings.integer(
                .maxEnlargement, default: ProcessingOptions.defaultMaxEnlargement))
    }
}

/// Reads each setting from its flag, else its environment variable, and says which it read in errors.
private struct SettingsReader {
    let flags: [ServeSetting: String]
    let environment: [String: String]

    func text(_ setting: ServeSetting) -> String? {
        flags[setting] ?? environment[setting.environmentVariable]
    }

    /// `--port (PORT)`: what a message names, so the reader finds the setting whichever way it was given.
    func names(_ setting: ServeSetting) -> String {
        "--\(setting.flag) (\(setting.environmentVariable))"
    }

    func isOn(_ setting: ServeSetting) -> Bool {
        ["1", "true"].contains(text(setting) ?? "")
    }

    /// An integer setting within its ``ServeSetting/range``.
    func integer(_ setting: ServeSetting, default fallback: Int) throws(ConfigurationError) -> Int {
        guard let text = text(setting) else { return fallback }
        let range = setting.range ?? Int.min...Int.max
        guard let value = Int(text), range.contains(value) else {
            throw ConfigurationError(
                "\(names(setting)) must be an integer from \(range.lowerBound) to \(range.upperBound), not \(text)")
        }
        return value
    }

    func seconds(_ setting: ServeSetting, default fallback: Duration) throws(ConfigurationError) -> Duration {
        .seconds(try integer(setting, default: Int(fallback.components.seconds)))
    }

    func choice<Value>(_ setting: ServeSetting, default fallback: Value, _ parse: (String) -> Value?)
        throws(ConfigurationError) -> Value
    {
        guard let text = text(setting) else { return fallback }
        guard let value = parse(text) else { throw ConfigurationError("\(names(setting)): unknown value \(text)") }
        return value
    }

    /// The tokens of the tokens file, one per line, and of the comma-separated variable.
    func tokens() throws(ConfigurationError) -> [String] {
        var tokens = (environment[ServeSetting.apiTokensVariable] ?? "").split(separator: ",").map(String.init)
        if let file = text(.apiTokensFile) {
            guard let text = try? String(contentsOfFile: file, encoding: .utf8) else {
                throw ConfigurationError("cannot read the API tokens file \(file) (\(names(.apiTokensFile)))")
            }
            tokens += text.split(whereSeparator: \.isNewline).map { $0.trimmingCharacters(in: .whitespaces) }
        }
        return tokens
    }
}
