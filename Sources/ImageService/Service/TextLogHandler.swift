import Foundation
import Logging

/// Writes each log record as one line of text: time, level, label, message, then the metadata as `key=value` pairs
/// sorted by key (logfmt: a value holding a space, `"` or `=` is quoted). Every message, key and value goes through
/// ``LogEscaping``, so a CR or LF from a client (a decoded path, a header) cannot end the line and forge another.
/// Lines are written whole, so concurrent threads never interleave.
public struct TextLogHandler: LogHandler {
    public var logLevel: Logger.Level
    public var metadata: Logger.Metadata = [:]
    private let label: String
    private let write: @Sendable (String) -> Void

    public init(
        label: String, level: Logger.Level, write: @escaping @Sendable (String) -> Void = JSONLogHandler.standardError
    ) {
        self.label = label
        self.logLevel = level
        self.write = write
    }

    public subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    public func log(event: LogEvent) {
        let time = Date().formatted(Date.ISO8601FormatStyle(includingFractionalSeconds: true))
        var line = "\(time) \(event.level.rawValue) \(LogEscaping.escaped(label)): "
        line += LogEscaping.escaped(event.message.description)
        let fields = metadata.merging(event.metadata ?? [:], uniquingKeysWith: { $1 })
        for (key, value) in fields.sorted(by: { $0.key < $1.key }) {
            line += " \(Self.logfmt(key))=\(Self.logfmt("\(value)"))"
        }
        write(line + "\n")
    }

    /// `text` escaped, and quoted if it is empty or holds a space, `"` or `=`.
    private static func logfmt(_ text: String) -> String {
        let escaped = LogEscaping.escaped(text)
        guard escaped.isEmpty || escaped.contains(where: { $0 == " " || $0 == "\"" || $0 == "=" }) else {
            return escaped
        }
        return "\"" + escaped.replacingOccurrences(of: "\"", with: "\\\"") + "\""
    }
}
