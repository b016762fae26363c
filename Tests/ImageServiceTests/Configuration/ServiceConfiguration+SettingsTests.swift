import Foundation
import Logging
import Testing

@testable import HTTPProtocol
@testable import HTTPTransport
@testable import ImageService
@testable import Imaging

/// `imageproc serve`'s settings: flag over variable over default, the defaults the types declare, one message for
/// a bad flag and a bad variable alike.
@Suite struct ServiceConfigurationSettingsTests {
    private static let fourGiB = MemoryBudget(limitBytes: 4 << 30, source: .machine)

    private static func configuration(
        _ flags: [ServeSetting: String] = [:], _ environment: [String: String] = [:]
    ) throws(ConfigurationError) -> ServiceConfiguration {
        try ServiceConfiguration(flags: flags, environment: environment, detectMemory: { fourGiB })
    }

    private static func message(
        _ flags: [ServeSetting: String] = [:], _ environment: [String: String] = [:]
    ) -> String? {
        do {
            _ = try configuration(flags, environment)
            return nil
        } catch {
            return error.message
        }
    }

    @Test func withNothingGivenTakesTheDefaultsTheTypesDeclare() throws {
        let configuration = try Self.configuration()
        let defaults = ServiceConfiguration()
        #expect(configuration.http.host == HTTPServerConfiguration.defaultHost)
        #expect(configuration.http.port == HTTPServerConfiguration.defaultPort)
        #expect(configuration.http.limits == HTTPLimits())
        #expect(configuration.workers == defaults.workers)
        #expect(configuration.queueCapacity == defaults.queueCapacity)
        #expect(configuration.maxPixels == ImageKernel.defaultMaxPixels)
        #expect(configuration.databaseURL.isEmpty)
        #expect(configuration.access.isOpen)
        #expect(configuration.logLevel == .info)
        #expect(configuration.logFormat == .text)
        let jobs = configuration.jobs
        #expect(jobs.leaseDuration == JobSettings.defaultLeaseDuration)
        #expect(jobs.heartbeatInterval == JobSettings.defaultLeaseDuration / 4)
        #expect(jobs.sweepInterval == JobSettings.defaultSweepInterval)
        #expect(jobs.maxAttempts == JobSettings.defaultMaxAttempts)
        #expect(jobs.shutdownGracePeriod == JobSettings.defaultShutdownGracePeriod)
        #expect(jobs.maxBacklog == JobSettings.defaultMaxBacklog)
        #expect(jobs.retentionDays == nil)
        #expect(jobs.maxEnlargement == ProcessingOptions.defaultMaxEnlargement)
        #expect(jobs.replicaID == JobSettings.defaultReplicaID(port: HTTPServerConfiguration.defaultPort))
    }

    @Test func aFlagWinsOverItsVariableAndTheVariableOverTheDefault() throws {
        let environment = ["PORT": "9001", "IMAGEPROC_WORKERS": "3", "IMAGEPROC_LEASE_SECONDS": "20"]
        let configuration = try Self.configuration([.port: "9002"], environment)
        #expect(configuration.http.port == 9002)
        #expect(configuration.workers == 3)
        #expect(configuration.jobs.leaseDuration == .seconds(20))
        #expect(configuration.jobs.heartbeatInterval == .seconds(5))
        #expect(configuration.jobs.replicaID == JobSettings.defaultReplicaID(port: 9002))
    }

    @Test func readsEverySettingByItsVariable() throws {
        let tokens = FileManager.default.temporaryDirectory.appendingPathComponent("tokens-\(UUID().uuidString)")
        try "alpha\n  beta  \n".write(to: tokens, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(at: tokens) }
        let values: [ServeSetting: String] = [
            .host: "0.0.0.0", .port: "8123", .workers: "2", .maxBodyBytes: "1000000", .maxPixels: "5000000",
            .maxEnlargement: "2", .memoryBudget: "1GiB", .queueCapacity: "7", .webRoot: "/srv/web",
            .replicaID: "replica-a", .leaseSeconds: "40", .sweepSeconds: "3", .maxAttempts: "9",
            .shutdownGraceSeconds: "11", .maxBacklog: "123", .retentionDays: "30", .apiTokensFile: tokens.path,
            .corsOrigins: "https://a.example, https://b.example", .databaseURL: "postgresql://db/x",
            .logLevel: "warning", .logFormat: "json",
        ]
        #expect(Set(values.keys).union([.allowAnonymous]) == Set(ServeSetting.allCases))
        let environment = Dictionary(uniqueKeysWithValues: values.map { ($0.key.environmentVariable, $0.value) })
        let configuration = try Self.configuration([:], environment.merging(["IMAGEPROC_API_TOKENS": "gamma"]) { $1 })
        #expect(configuration.http.host == "0.0.0.0")
        #expect(configuration.http.port == 8123)
        #expect(configuration.workers == 2)
        #expect(configuration.http.limits.maxBodyBytes == 1_000_000)
        #expect(configuration.maxPixels == 5_000_000)
        #expect(configuration.jobs.maxEnlargement == 2)
        #expect(configuration.memory == MemoryBudget(limitBytes: 1 << 30, source: .configured))
        #expect(configuration.queueCapacity == 7)
        #expect(configuration.webRoot == "/srv/web")
        #expect(configuration.jobs.replicaID == "replica-a")
        #expect(configuration.jobs.leaseDuration == .seconds(40))
        #expect(configuration.jobs.sweepInterval == .seconds(3))
        #expect(configuration.jobs.maxAttempts == 9)
        #expect(configuration.jobs.shutdownGracePeriod == .seconds(11))
        #expect(configuration.jobs.maxBacklog == 123)
        #expect(configuration.jobs.retentionDays == 30)
        #expect(configuration.access.permits(authorization: "Bearer alpha"))
        #expect(configuration.access.permits(authorization: "Bearer beta"))
        #expect(configuration.access.permits(authorization: "Bearer gamma"))
        #expect(configuration.access.allowedOrigins == ["https://a.example", "https://b.example"])
        #expect(configuration.databaseURL == "postgresql://db/x")
        #expect(configuration.logLevel == .warning)
        #expect(configuration.logFormat == .json)
    }

    @Test func namesTheFlagAndTheVariableOfABadValueWhicheverWasGiven() {
        let expected = "--port (PORT) must be an integer from 0 to 65535, not eighty"
        #expect(Self.message([.port: "eighty"]) == expected)
        #expect(Self.message([:], ["PORT": "eighty"]) == expected)
        #expect(
            Self.message([.leaseSeconds: "3"])
                == "--lease-seconds (IMAGEPROC_LEASE_SECONDS) must be an integer from 4 to 86400, not 3")
        #expect(Self.message([.workers: "0"])?.hasPrefix("--workers (IMAGEPROC_WORKERS)") == true)
        #expect(
            Self.message([.workers: "4000"])
                == "--workers (IMAGEPROC_WORKERS) must be an integer from 1 to 256, not 4000")
        #expect(Self.message([.maxBodyBytes: "\(2 << 30)"]) != nil)
        #expect(Self.message([.queueCapacity: "-1"]) != nil)
        #expect(Self.message([.maxEnlargement: "0"]) != nil)
        #expect(Self.message([.sweepSeconds: "0"]) != nil)
        #expect(Self.message([.logLevel: "loud"]) == "--log-level (IMAGEPROC_LOG_LEVEL): unknown value loud")
        #expect(Self.message([.logFormat: "xml"]) != nil)
        #expect(Self.message([.memoryBudget: "12XB"])?.contains("KiB, MiB or GiB") == true)
        #expect(Self.message([.apiTokensFile: "/nonexistent/tokens"])?.contains("/nonexistent/tokens") == true)
    }

    @Test func refusesAnOpenAPIBeyondLoopbackUnlessAnonymousIsAllowed() throws {
        #expect(Self.message([.host: "0.0.0.0"])?.contains("--allow-anonymous") == true)
        #expect(try Self.configuration([.host: "0.0.0.0", .allowAnonymous: "1"]).servesAnonymouslyBeyondThisMachine)
        #expect(
            try Self.configuration([.host: "0.0.0.0"], ["IMAGEPROC_ALLOW_ANONYMOUS": "true"]).http.host == "0.0.0.0")
        #expect(Self.message([.host: "0.0.0.0"], ["IMAGEPROC_API_TOKENS": "secret"]) == nil)
        #expect(Self.message([.host: "127.0.0.1"]) == nil)
    }

    @Test func sizesTheMemoryLimitsFromTheDetectedBudget() throws {
        let configuration = try Self.configuration()
        #expect(configuration.memory == Self.fourGiB)
        let maxBody = configuration.http.limits.maxBodyBytes
        #expect(configuration.http.bodyBudgetBytes == Self.fourGiB.requestBodyBytes(maxBodyBytes: maxBody))
        #expect(configuration.imageWorkBytes == Self.fourGiB.imageWorkBytes(maxBodyBytes: maxBody))
    }

    @Test func everyIntegerDefaultIsWithinItsSettingsRange() throws {
        let configuration = try Self.configuration()
        let defaults: [ServeSetting: Int] = [
            .port: configuration.http.port, .workers: configuration.workers,
            .maxBodyBytes: configuration.http.limits.maxBodyBytes, .maxPixels: configuration.maxPixels,
            .maxEnlargement: configuration.jobs.maxEnlargement, .queueCapacity: configuration.queueCapacity,
            .leaseSeconds: Int(configuration.jobs.leaseDuration.components.seconds),
            .sweepSeconds: Int(configuration.jobs.sweepInterval.components.seconds),
            .maxAttempts: configuration.jobs.maxAttempts,
            .shutdownGraceSeconds: Int(configuration.jobs.shutdownGracePeriod.components.seconds),
            .maxBacklog: configuration.jobs.maxBacklog, .retentionDays: 0,
        ]
        #expect(Set(defaults.keys) == Set(ServeSetting.allCases.filter { $0.range != nil }))
        for (setting, value) in defaults {
            #expect(setting.range?.contains(value) == true, "\(setting)")
        }
    }

    @Test func everySettingHasItsOwnFlagAndVariableAndHelpNamingTheVariable() {
        let settings = ServeSetting.allCases
        #expect(Set(settings.map(\.flag)).count == settings.count)
        #expect(Set(settings.map(\.environmentVariable)).count == settings.count)
        for setting in settings {
            #expect(setting.help.contains("env \(setting.environmentVariable)"))
        }
        #expect(ServeSetting.maxBodyBytes.help.contains("default \(HTTPLimits.defaultMaxBodyBytes)"))
        #expect(ServeSetting.leaseSeconds.help.contains("default 60"))
    }

    // What an attack on the running binary broke, each refused at start now with a message.

    /// `--memory-budget 64MiB` left no image work and tripped a precondition in `ImageWorkBudget` (SIGILL).
    @Test func refusesABudgetThatLeavesTooLittleForImageWork() throws {
        #expect(Self.message([.memoryBudget: "64MiB"])?.contains("less than the 16 MiB it needs") == true)
        #expect(Self.message([.memoryBudget: "1"]) != nil)
        #expect(throws: ConfigurationError.self) {
            try ServiceConfiguration(
                flags: [:], environment: [:], detectMemory: { MemoryBudget(limitBytes: 64 << 20, source: .machine) })
        }
        #expect(Self.message([.memoryBudget: "256MiB"]) == nil)
    }

    /// `::`, `localhost` and `127.0.0.01` passed the configuration and failed in the listener with an `inet_pton`
    /// message that named no setting (and `::` logged the anonymous warning first).
    @Test func acceptsOnlyAnIPv4AddressTheListenerCanBind() {
        for host in [
            "::", "::1", "[::1]", "localhost", "127.1", "127.0.0.01", "0.0.0.0x", "", " 127.0.0.1", "256.0.0.1",
        ] {
            #expect(Self.message([.host: host])?.hasPrefix("--host (HOST) must be an IPv4 address") == true, "\(host)")
        }
        #expect(Self.message([.host: "127.0.0.2"]) == nil)
        #expect(Self.message([.host: "10.0.0.1"], ["IMAGEPROC_API_TOKENS": "t"]) == nil)
    }

    /// `+1` was taken by every integer setting but the lease (`Int("+1")` is 1).
    @Test func takesDigitsOnly() {
        for value in ["+4", "-0", " 4", "4 ", "0x4", "４"] {
            #expect(Self.message([.workers: value]) != nil, "\(value)")
        }
        #expect(Self.message([.port: "+80"]) != nil)
    }

    /// `IMAGEPROC_ALLOW_ANONYMOUS=TRUE`, `yes` or empty silently meant off.
    @Test func aSwitchIsOneOfItsFourValues() throws {
        for value in ["TRUE", "True", "1"] {
            #expect(try Self.configuration([.host: "0.0.0.0"], ["IMAGEPROC_ALLOW_ANONYMOUS": value]).access.isOpen)
        }
        #expect(Self.message([:], ["IMAGEPROC_ALLOW_ANONYMOUS": "false"]) == nil)
        for value in ["yes", "", " 1", "on"] {
            #expect(
                Self.message([:], ["IMAGEPROC_ALLOW_ANONYMOUS": value])?.hasPrefix("--allow-anonymous") == true,
                "\(value)")
        }
    }

    /// A 200 MB tokens file was read whole (613 MB resident); `' , ,'` made a server nobody could use; a token
    /// with a space inside was accepted though no client can present it.
    @Test func readsTokensTrimmedBoundedAndWithoutWhitespaceInside() throws {
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("tokens-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: file) }
        try Data(repeating: 0x61, count: (1 << 20) + 1).write(to: file)
        #expect(Self.message([.apiTokensFile: file.path])?.contains("over 1 MiB") == true)

        let blank = try Self.configuration([:], ["IMAGEPROC_API_TOKENS": " , ,"])
        #expect(blank.access.isOpen)
        #expect(
            Self.message([.host: "0.0.0.0"], ["IMAGEPROC_API_TOKENS": " , ,"])?.contains("without API tokens") == true)
        #expect(Self.message([:], ["IMAGEPROC_API_TOKENS": "tok a"])?.contains("whitespace") == true)
        #expect(
            try Self.configuration([:], ["IMAGEPROC_API_TOKENS": " tok "]).access.permits(authorization: "Bearer tok"))
    }

    /// An empty or 10,000-character replica id, or one with a newline, was accepted as the owner of leases.
    @Test func boundsTheReplicaID() {
        #expect(Self.message([.replicaID: ""]) != nil)
        #expect(Self.message([.replicaID: String(repeating: "r", count: 201)]) != nil)
        #expect(Self.message([.replicaID: "a\nb"]) != nil)
        #expect(Self.message([.replicaID: "pod-7"]) == nil)
    }
}
