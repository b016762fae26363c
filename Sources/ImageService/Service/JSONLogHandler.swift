import Foundation
import Logging

/// Writes each log record as one JSON object per line (`time`, `level`, `message`, `logger`, then the metadata as
/// string fields), for log stacks that parse JSON. Lines are written whole, so concurrent threads never interleave.
/// `JSONEncoder` escapes CR, LF and the other C0 controls; DEL, C1 controls, U+2028 and U+2029, which JSON allows
/// raw, are escaped too (``LogEscaping/escapedJSON(_:)``), so no value breaks the line in any viewer.
public struct JSONLogHandler: LogHandler {
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
        var fields: [String: String] = [:]
        for (key, value) in metadata.merging(event.metadata ?? [:], uniquingKeysWith: { $1 }) {
            fields[key] = "\(value)"
        }
        fields["time"] = Date().formatted(Date.ISO8601FormatStyle(includingFractionalSeconds: true))
        fields["level"] = event.level.rawValue
        fields["message"] = event.message.description
        fields["logger"] = label
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        guard let data = try? encoder.encode(fields) else { return }
        write(LogEscaping.escapedJSON(String(decoding: data, as: UTF8.self)) + "\n")
    }

    /// Writes a whole line to standard error with one `write(2)`.
    public static let standardError: @Sendable (String) -> Void = { line in
        var line = line
        line.withUTF8 { bytes in _ = Glibc.write(2, bytes.baseAddress, bytes.count) }
    }
}
