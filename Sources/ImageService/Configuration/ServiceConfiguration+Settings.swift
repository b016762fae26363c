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
        let host = settings.text(.host) ?? HTTPServerConfiguration.defaultHost
        guard HTTPServerConfiguration.isIPv4Address(host) else {
            throw ConfigurationError(
                "\(settings.names(.host)) must be an IPv4 address such as 127.0.0.1 or 0.0.0.0, not '\(host)'")
        }
        var http = HTTPServerConfiguration(
            host: host,
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
        let anonymousAllowed = try settings.isOn(.allowAnonymous)
        if servesAnonymouslyBeyondThisMachine, !anonymousAllowed {
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
        guard imageWorkBytes >= MemoryBudget.minimumImageWorkBytes, let memory else {
            throw ConfigurationError(
                "the memory budget (\(memory?.totalBytes ?? 0) bytes, \(settings.names(.memoryBudget))) leaves "
                    + "\(imageWorkBytes) bytes for image work, less than the "
                    + "\(MemoryBudget.minimumImageWorkBytes >> 20) MiB it needs; give the process more memory")
        }
    }
}

extension JobSettings {
    fileprivate init(_ settings: SettingsReader, port: Int) throws(ConfigurationError) {
        let retention = try settings.integer(.retentionDays, default: 0)
        let replicaID = settings.text(.replicaID) ?? Self.defaultReplicaID(port: port)
        let controls = replicaID.unicodeScalars.contains { $0.properties.generalCategory == .control }
        guard (1...200).contains(replicaID.count), !controls else {
            throw ConfigurationError(
                "\(settings.names(.replicaID)) must be 1 to 200 characters without control characters")
        }
        self.init(
            replicaID: replicaID,
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

    /// A switch: absent, `0` or `false` is off; `1` or `true` is on (any case); anything else is refused, so that
    /// a typo does not silently mean off.
    func isOn(_ setting: ServeSetting) throws(ConfigurationError) -> Bool {
        guard let text = text(setting) else { return false }
        switch text.lowercased() {
        case "1", "true": return true
        case "0", "false": return false
        default: throw ConfigurationError("\(names(setting)) must be 1, true, 0 or false, not '\(text)'")
        }
    }

    /// An integer setting within its ``ServeSetting/range``.
    func integer(_ setting: ServeSetting, default fallback: Int) throws(ConfigurationError) -> Int {
        guard let text = text(setting) else { return fallback }
        let range = setting.range ?? Int.min...Int.max
        // Digits only: Int() would also take a sign ("+80").
        let digits = !text.isEmpty && text.utf8.allSatisfy { (0x30...0x39).contains($0) }
        guard digits, let value = Int(text), range.contains(value) else {
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

    /// A tokens file larger than this is refused: a token is at most a few hundred bytes, and the file is read
    /// whole into memory.
    static let maxTokensFileBytes = 1 << 20

    /// The tokens of the tokens file, one per line, and of the comma-separated variable; surrounding spaces are
    /// trimmed and empty entries dropped. A token with whitespace inside could never be presented as a bearer
    /// token, so it is refused.
    func tokens() throws(ConfigurationError) -> [String] {
        var entries = (environment[ServeSetting.apiTokensVariable] ?? "").split(separator: ",").map(String.init)
        if let file = text(.apiTokensFile) {
            let size = (try? FileManager.default.attributesOfItem(atPath: file)[.size] as? Int) ?? 0
            guard size <= Self.maxTokensFileBytes,
                let text = try? String(contentsOfFile: file, encoding: .utf8)
            else {
                throw ConfigurationError(
                    "cannot read the API tokens file \(file) (\(names(.apiTokensFile))), or it is over "
                        + "\(Self.maxTokensFileBytes >> 20) MiB")
            }
            entries += text.split(whereSeparator: \.isNewline).map(String.init)
        }
        let tokens = entries.map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
        guard tokens.allSatisfy({ !$0.unicodeScalars.contains(where: \.properties.isWhitespace) }) else {
            throw ConfigurationError(
                "an API token may not contain whitespace (\(names(.apiTokensFile)), \(ServeSetting.apiTokensVariable))")
        }
        return tokens
    }
}
