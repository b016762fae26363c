/// Server settings every session of the service starts with, so that no statement and no forgotten transaction
/// holds a connection (and its locks) for ever.
///
/// They travel in libpq's `options` connection parameter (`-c name=value`), so they hold from the session's first
/// statement and again after a reconnect, at no extra round trip. The `options` of the caller's conninfo (or else
/// `PGOPTIONS`) are sent after them: PostgreSQL applies `-c` switches in order, so a `DATABASE_URL` with
/// `options=-c statement_timeout=5min` wins. Settings made with `ALTER ROLE … SET` or `ALTER DATABASE … SET` do not:
/// connection options take precedence over them.
public struct PostgresSessionSettings: Sendable, Equatable {
    /// A statement running longer fails with SQLSTATE 57014 (the API answers 503) instead of holding its connection.
    public var statementTimeout: Duration
    /// A session left this long inside a transaction is ended by the server, which releases its locks.
    public var idleInTransactionSessionTimeout: Duration

    public init(statementTimeout: Duration, idleInTransactionSessionTimeout: Duration) {
        self.statementTimeout = statementTimeout
        self.idleInTransactionSessionTimeout = idleInTransactionSessionTimeout
    }

    /// The service's: 60 s, long enough for a 50 MiB `INSERT` on a slow disk, for both.
    public static let service = PostgresSessionSettings(
        statementTimeout: .seconds(60), idleInTransactionSessionTimeout: .seconds(60))

    /// The `options` parameter to connect with: these settings, then `callerOptions` (which therefore win).
    public func options(followedBy callerOptions: String?) -> String {
        let own = [
            ("statement_timeout", statementTimeout),
            ("idle_in_transaction_session_timeout", idleInTransactionSessionTimeout),
        ].map { name, value in "-c \(name)=\(Int64(value / .milliseconds(1)))ms" }
        return (own + [callerOptions].compactMap { $0 }.filter { !$0.isEmpty }).joined(separator: " ")
    }
}
