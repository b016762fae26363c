import CLibPQ
import Foundation

/// A failure talking to PostgreSQL: the server could not be reached, an established connection broke, the server
/// rejected a statement, or a result did not have the shape the caller expected.
///
/// `description` is generic and safe to show to anyone; `debugDescription` carries the server's message, detail,
/// hint and the statement, for the log. ``isUnavailable`` separates "the database cannot serve right now" (an API
/// answers 503) from errors of one statement.
public struct PostgresError: Error, Sendable {
    /// What went wrong, broadly.
    public enum Kind: Sendable, Hashable {
        /// No connection could be opened (refused, unknown host, authentication, timeout) or reopened.
        case connectionFailed
        /// An open connection broke, and the statement could not safely be run again.
        case connectionLost
        /// The server rejected the statement; ``PostgresError/code`` holds its SQLSTATE.
        case queryFailed
        /// The result held a value of an unexpected type, a NULL where one is required, or an unknown enum value.
        case decodingFailed
    }

    public var kind: Kind
    /// The server's SQLSTATE, when the server sent one.
    public var code: Code?
    /// The server's severity (`ERROR`, `FATAL`, …), when the server sent one.
    public var severity: String?
    /// The primary message, from the server or libpq. Not for clients: it may quote data.
    public var message: String
    public var detail: String?
    public var hint: String?
    /// The statement that failed, if any.
    public var query: String?
    /// The table, column and constraint the server named, for errors about one (an integrity violation says which
    /// constraint, so callers tell them apart by name rather than by the words of the message).
    public var table: String?
    public var column: String?
    public var constraint: String?

    public init(
        kind: Kind, code: Code? = nil, severity: String? = nil, message: String, detail: String? = nil,
        hint: String? = nil, query: String? = nil, table: String? = nil, column: String? = nil,
        constraint: String? = nil
    ) {
        self.kind = kind
        self.code = code
        self.severity = severity
        self.message = message
        self.detail = detail
        self.hint = hint
        self.query = query
        self.table = table
        self.column = column
        self.constraint = constraint
    }

    /// True when the database is unreachable or the connection broke: the caller should answer "unavailable",
    /// not "bad request" or "bug".
    public var isConnectionError: Bool { kind == .connectionFailed || kind == .connectionLost }
}

extension PostgresError {
    /// The error described by a failed `PGresult`, or by the connection when there is no result.
    init(kind: Kind, result: OpaquePointer?, connection: OpaquePointer, query: String?) {
        func field(_ code: Character) -> String? {
            guard let result, let value = PQresultErrorField(result, Int32(code.asciiValue!)) else { return nil }
            return String(cString: value)
        }
        let message = field("M") ?? Self.trimmed(PQerrorMessage(connection)) ?? "unknown error"
        self.init(
            kind: kind, code: field("C").map(Code.init(rawValue:)), severity: field("V") ?? field("S"),
            message: message, detail: field("D"), hint: field("H"), query: query, table: field("t"),
            column: field("c"), constraint: field("n"))
    }

    /// libpq's last message on a connection, without its trailing newline.
    static func trimmed(_ message: UnsafePointer<CChar>?) -> String? {
        guard let message else { return nil }
        let text = String(cString: message).trimmingCharacters(in: .whitespacesAndNewlines)
        return text.isEmpty ? nil : text
    }
}

extension PostgresError: CustomStringConvertible {
    public var description: String {
        switch kind {
        case .connectionFailed: "the database is unreachable"
        case .connectionLost: "the connection to the database was lost"
        case .queryFailed: "a database statement failed" + (code.map { " (SQLSTATE \($0.rawValue))" } ?? "")
        case .decodingFailed: "a database result could not be read"
        }
    }
}

extension PostgresError: CustomDebugStringConvertible {
    public var debugDescription: String {
        var parts = ["PostgresError(\(kind)"]
        if let code { parts.append("sqlstate: \(code.rawValue)") }
        if let severity { parts.append("severity: \(severity)") }
        parts.append("message: \(message)")
        if let detail { parts.append("detail: \(detail)") }
        if let hint { parts.append("hint: \(hint)") }
        if let query { parts.append("query: \(query)") }
        if let table { parts.append("table: \(table)") }
        if let column { parts.append("column: \(column)") }
        if let constraint { parts.append("constraint: \(constraint)") }
        return parts.joined(separator: ", ") + ")"
    }
}
