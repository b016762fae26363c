import Logging

/// How log lines are written: text for people, JSON (one object per line) for log collectors.
public enum LogFormat: String, Sendable, CaseIterable {
    case text
    case json

    /// The handler that writes this format. Not swift-log's `StreamLogHandler`: it writes messages and values raw,
    /// so a CR/LF from a client would forge lines.
    public func handler(label: String, level: Logger.Level) -> any LogHandler {
        switch self {
        case .text: TextLogHandler(label: label, level: level)
        case .json: JSONLogHandler(label: label, level: level)
        }
    }
}
