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
        public static let undefinedTable = Code(rawValue: "42P01")
        public static let undefinedColumn = Code(rawValue: "42703")
        public static let serializationFailure = Code(rawValue: "40001")
        public static let deadlockDetected = Code(rawValue: "40P01")
        public static let queryCanceled = Code(rawValue: "57014")
        public static let adminShutdown = Code(rawValue: "57P01")
        public static let tooManyConnections = Code(rawValue: "53300")
        public static let featureNotSupported = Code(rawValue: "0A000")

        /// The two-character class: `23` integrity constraint violation, `08` connection exception, …
        public var errorClass: Substring { rawValue.prefix(2) }

        public var description: String { rawValue }
    }
}

extension PostgresError {
    /// The server refused to run a prepared statement because a table it reads changed shape since it was prepared
    /// (`cached plan must not change result type`): preparing it again fixes it.
    var isStalePreparedStatement: Bool {
        code == .featureNotSupported && message.contains("cached plan must not change result type")
    }
}
