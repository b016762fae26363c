import Logging
import Synchronization
import Testing

@testable import ImageService

/// The one retry policy of the loops that keep a connection: backoff, and a log line for the first failure and
/// every tenth.
@Suite struct ReconnectPolicyTests {
    /// Keeps the messages logged through it.
    final class Recorder: LogHandler, @unchecked Sendable {
        let messages = Mutex<[String]>([])
        var metadata: Logger.Metadata = [:]
        var logLevel: Logger.Level = .trace

        subscript(metadataKey key: String) -> Logger.Metadata.Value? {
            get { metadata[key] }
            set { metadata[key] = newValue }
        }

        func log(event: LogEvent) {
            messages.withLock { $0.append("\(event.message) \(event.metadata?["db.attempts"] ?? "-")") }
        }
    }

    struct Refused: Error {}

    @Test func backsOffAndLogsTheFirstFailureAndEveryTenth() {
        let recorder = Recorder()
        let logger = Logger(label: "test") { _ in recorder }
        var policy = ReconnectPolicy(initial: .milliseconds(100), maximum: .milliseconds(400))
        let delays = (1...21).map { _ in policy.failed(Refused(), logger: logger, "retrying") }
        #expect(delays.prefix(4) == [.milliseconds(100), .milliseconds(200), .milliseconds(400), .milliseconds(400)])
        #expect(recorder.messages.withLock { $0 } == ["retrying 1", "retrying 11", "retrying 21"])
        #expect(policy.succeeded() == 21)
        #expect(policy.succeeded() == 0)
        #expect(policy.failed(Refused(), logger: logger, "again") == .milliseconds(100))
        #expect(recorder.messages.withLock { $0.last } == "again 1")
    }
}
