extension PostgresError {
    /// A SQLSTATE, named for the ones this service reacts to. See
    /// https://www.postgresql.org/docs/15/errcodes-appendix.html for the full list.
    public struct Code: RawRepresentable, Hashable, Sendable, CustomStringConvertible {
        public var rawValue: String

        public init(rawValue: String) {
            self.rawValue = rawValue
        }

        public static let uniqueViolation = Code(rawValue: "23505")
        public static let foreignKeyViolation = Code(rawValue: "23503")
        public static let notNullViolation = Code(rawValue: "23502")
        public static let checkViolation = Code(rawValue: "23514")
        public static let invalidTextRepresentation = Code(rawValue: "22P02")
        public static let divisionByZero = Code(rawValue: "22012")
        public static let syntaxError = Code(rawValue: "42601")
        public static let insufficientPrivilege = Code(rawValue: "42501")
        public static let undefinedTable = Code(rawValue: "42P01")
        public static let undefinedColumn = Code(rawValue: "42703")
        public static let serializationFailure = Code(rawValue: "40001")
        public static let deadlockDetected = Code(rawValue: "40P01")
        /// Also what `statement_timeout` ends a statement with.
        public static let queryCanceled = Code(rawValue: "57014")
        public static let adminShutdown = Code(rawValue: "57P01")
        public static let crashShutdown = Code(rawValue: "57P02")
        public static let cannotConnectNow = Code(rawValue: "57P03")
        /// A write in a read-only session: a standby after a failover, or `default_transaction_read_only`.
        public static let readOnlySQLTransaction = Code(rawValue: "25006")
        public static let diskFull = Code(rawValue: "53100")
        public static let outOfMemory = Code(rawValue: "53200")
        public static let tooManyConnections = Code(rawValue: "53300")
        public static let featureNotSupported = Code(rawValue: "0A000")

        /// The two-character class: `23` integrity constraint violation, `08` connection exception, …
        public var errorClass: Substring { rawValue.prefix(2) }

        public var description: String { rawValue }
    }
}

extension PostgresError {
    /// True when the database cannot serve now but may shortly: it is unreachable or the connection broke
    /// (``isConnectionError``), it lacks resources (class 53: connections, disk, memory), it is shutting down or
    /// starting (57P01–57P03), it is read-only (25006, a standby after a failover), or the statement ran past
    /// `statement_timeout` (57014). The client should try again later (an API answers 503).
    public var isUnavailable: Bool {
        isConnectionError || endsSession || code?.errorClass == "53" || code == .queryCanceled
    }

    /// True when the session, not the statement, is what failed: the connection broke, or the server said this
    /// session cannot go on (connection exception, shutting down, read-only). Only a new session helps — and, with
    /// several hosts and `target_session_attrs=read-write`, libpq opens it on whichever host is the primary now.
    var requiresNewSession: Bool { kind == .connectionLost || endsSession }

    private var endsSession: Bool {
        guard let code else { return false }
        return code.errorClass == "08"
            || [.adminShutdown, .crashShutdown, .cannotConnectNow, .readOnlySQLTransaction].contains(code)
    }

    /// The server refused to run a prepared statement because a table it reads changed shape since it was prepared
    /// (`cached plan must not change result type`): preparing it again fixes it.
    var isStalePreparedStatement: Bool {
        code == .featureNotSupported && message.contains("cached plan must not change result type")
    }
}
