import CLibPQ
import Foundation

/// One PostgreSQL session over libpq (`PGconn`), closed in `deinit`.
///
/// Every call blocks the calling thread until the server answers, so a connection belongs to one thread at a time:
/// a worker thread's own connection, or one lent by ``PostgresPool``, which runs it on its own dispatch queue —
/// never on Swift's cooperative thread pool. It is deliberately not `Sendable`.
///
/// Values are always bound `$n` parameters in binary format, results are always binary (see ``PostgresResult``).
///
/// Statements are prepared once per session and then run with `PQexecPrepared`, as JDBC and postgres-nio do: the
/// server parses each statement text once, and after a few runs settles on a generic plan. Besides saving the parse
/// and plan, that matters for uploads: a custom plan folds every parameter into the plan as a constant, copying a
/// multi-megabyte image several times in the server for each `INSERT` (measured: 3 % of the machine's CPU under
/// upload load went to planning). At most ``preparedStatementLimit`` texts are kept; others run unnamed.
///
/// Recovery: a backend that died while the connection sat idle (server restart, `pg_terminate_backend`) is noticed
/// before the next statement is sent, and the connection is reset (`PQreset`) first. If the connection breaks
/// while a statement runs outside a transaction, it is reset and the statement is sent once more; inside a
/// transaction the work is gone with the session, so the error surfaces as `connectionLost` and the transaction
/// fails as a whole. Caveat of the retry: if the connection broke after the server committed but before its answer
/// arrived, the statement runs twice — statements run outside transactions should be idempotent or keyed (ours
/// are: an `INSERT` by a fresh id fails with `uniqueViolation` rather than duplicating). A statement the server
/// refused because of the session itself (read-only after a failover, shutting down: ``PostgresError``'s
/// `requiresNewSession`) did nothing, so outside a transaction it is sent once more on a new session; inside one,
/// the transaction fails and the next statement after it starts a new session.
public final class PostgresConnection {
    /// Whether ``transaction(_:)`` has a transaction open, and whether its session is gone.
    private enum TransactionState {
        case none
        case open
        /// The connection broke inside the transaction: every statement fails until the transaction ends.
        case lost
    }

    let handle: OpaquePointer
    private var transactionState = TransactionState.none
    /// Set when the server said this session cannot go on (see the type's notes): the next statement outside a
    /// transaction first opens a new one, and ``PostgresPool`` closes the connection rather than keep it.
    private(set) var needsNewSession = false

    /// A prepared statement is specific to its text and to the parameter types it was prepared with.
    private struct StatementKey: Hashable {
        var sql: String
        var types: [UInt32]
    }

    /// How many statement texts a session keeps prepared: more than the service's own, so that only ad-hoc text
    /// (which would never be reused) runs unnamed.
    static let preparedStatementLimit = 128

    /// The statements prepared in the current session, by name (`imageproc_1`, …). Cleared when the session is.
    private var preparedStatements: [StatementKey: String] = [:]
    private var preparedStatementCount = 0

    /// Statements or results larger than this leave libpq's buffers that large for the connection's life.
    public static let largeMessageBytes = 2 * 1024 * 1024

    /// What sending `value` as a parameter holds in memory, the value included: libpq copies every parameter into
    /// its output buffer, which grows by doubling, so up to twice the value beside the value itself.
    public static func bytesToSend(_ value: [UInt8]) -> Int { 3 * value.count }

    /// The largest statement or result that went through this connection, in bytes: about what libpq's buffers
    /// hold from then on, since it grows them to the largest message and never shrinks them.
    public private(set) var largestMessageBytes = 0

    /// True once a statement or result of more than ``largeMessageBytes`` went through this connection: a connection
    /// that carried one photo keeps megabytes, so owners usually close it rather than keep it (see ``PostgresPool``).
    public var holdsLargeBuffers: Bool { largestMessageBytes > Self.largeMessageBytes }

    /// Opens a connection. `conninfo` is a `postgresql://` URL or `key=value` string; empty uses the standard `PG*`
    /// environment variables and defaults. `application_name` is `imageproc` and `connect_timeout` 5 seconds unless
    /// `conninfo` says otherwise; the session starts with `session`'s settings unless `conninfo`'s `options` (or
    /// `PGOPTIONS`) set them otherwise. Blocks until connected; throws a `connectionFailed` error.
    public init(_ conninfo: String = "", session: PostgresSessionSettings = .service) throws(PostgresError) {
        // Entries are applied in order and `dbname` is expanded as a connection string, so the caller's values win
        // over the entries before it; `options` comes after it, holding the caller's own options after ours.
        let parameters = [
            ("application_name", "imageproc"), ("connect_timeout", "5"), ("dbname", conninfo),
            ("options", session.options(followedBy: Self.callerOptions(conninfo))),
        ]
        let strings = parameters.flatMap { [strdup($0.0), strdup($0.1)] }
        defer {
            for string in strings { free(string) }
        }
        let keywords = stride(from: 0, to: strings.count, by: 2).map { UnsafePointer(strings[$0]) } + [nil]
        let values = stride(from: 1, to: strings.count, by: 2).map { UnsafePointer(strings[$0]) } + [nil]
        guard let handle = PQconnectdbParams(keywords, values, 1) else {
            throw PostgresError(kind: .connectionFailed, message: "libpq could not allocate a connection")
        }
        guard PQstatus(handle) == CONNECTION_OK else {
            let message = PostgresError.trimmed(PQerrorMessage(handle)) ?? "connection failed"
            PQfinish(handle)
            throw PostgresError(kind: .connectionFailed, message: message)
        }
        // Notices ("relation already exists, skipping") would otherwise go to stderr.
        PQsetNoticeProcessor(handle, { _, _ in }, nil)
        self.handle = handle
    }

    deinit {
        PQfinish(handle)
    }

    /// The `options` libpq would send for `conninfo` if we gave none: its own, else `PGOPTIONS` (also for a plain
    /// database name, which is no conninfo to parse).
    static func callerOptions(_ conninfo: String) -> String? {
        if let parsed = PQconninfoParse(conninfo, nil) {
            defer { PQconninfoFree(parsed) }
            var option = parsed
            while let keyword = option.pointee.keyword {
                if String(cString: keyword) == "options", let value = option.pointee.val {
                    return String(cString: value)
                }
                option += 1
            }
        }
        return ProcessInfo.processInfo.environment["PGOPTIONS"]
    }

    /// The server process serving this session (`pg_backend_pid()`), 0 when disconnected.
    public var backendPID: Int32 { PQbackendPID(handle) }

    /// True when the connection is up and no transaction is open: safe to hand to someone else.
    var isIdle: Bool { PQstatus(handle) == CONNECTION_OK && PQtransactionStatus(handle) == PQTRANS_IDLE }

    /// Runs `sql` with `parameters` bound to `$1`, `$2`, … and returns its rows.
    @discardableResult
    public func query(
        _ sql: String, _ parameters: [(any PostgresBindable)?] = []
    ) throws(PostgresError) -> PostgresResult {
        let values = parameters.map { $0?.postgresValue }
        try reconnectIfIdleAndBroken()
        let inTransaction = transactionState != .none || PQtransactionStatus(handle) != PQTRANS_IDLE
        let first = execute(sql, values)
        guard case .failure(let error) = first, error.requiresNewSession else { return try first.get() }
        guard !inTransaction else {
            if error.kind == .connectionLost, transactionState == .open { transactionState = .lost }
            needsNewSession = true
            throw error
        }
        try reset()
        let second = execute(sql, values)
        if case .failure(let error) = second, error.requiresNewSession { needsNewSession = true }
        return try second.get()
    }

    /// Runs `body` between `BEGIN` and `COMMIT`; rolls back and rethrows if `body` (or `COMMIT`) throws.
    /// Transactions do not nest. Statements inside are never retried (see the type's notes).
    public func transaction<T>(_ body: () throws -> T) throws -> T {
        precondition(transactionState == .none, "transactions do not nest")
        try query("BEGIN")
        transactionState = .open
        defer { transactionState = .none }
        do {
            let value = try body()
            try query("COMMIT")
            return value
        } catch {
            if transactionState == .open && PQstatus(handle) == CONNECTION_OK {
                // Best effort: if even this fails the server ends the transaction with the session.
                _ = try? query("ROLLBACK")
            }
            throw error
        }
    }

    /// A backend that exited while we were idle has left its last error and an end-of-file on the socket. Reading
    /// them (libpq's socket is non-blocking: this never waits) marks the connection bad before anything is sent,
    /// so it can be reset with no doubt about whether a statement ran. A session the server refused to go on with
    /// (``needsNewSession``) is replaced here too, once no transaction is open.
    private func reconnectIfIdleAndBroken() throws(PostgresError) {
        if transactionState == .lost {
            throw Self.lostInsideTransaction
        }
        // Only outside any transaction (ours or one opened with a plain `BEGIN`): a reset there would silently run
        // the next statement outside it.
        if transactionState == .none && isIdle {
            for _ in 0..<2 where PQstatus(handle) == CONNECTION_OK {
                _ = PQconsumeInput(handle)
            }
        }
        let renew = needsNewSession && transactionState == .none && isIdle
        guard PQstatus(handle) != CONNECTION_OK || renew else { return }
        if transactionState == .open {
            transactionState = .lost
            throw Self.lostInsideTransaction
        }
        try reset()
    }

    private static let lostInsideTransaction = PostgresError(
        kind: .connectionLost, message: "the connection was lost inside this transaction")

    private func reset() throws(PostgresError) {
        PQreset(handle)
        preparedStatements = [:]
        needsNewSession = false
        guard PQstatus(handle) == CONNECTION_OK else {
            let message = PostgresError.trimmed(PQerrorMessage(handle)) ?? "reconnecting failed"
            throw PostgresError(kind: .connectionFailed, message: message)
        }
    }

    /// Runs one statement, every parameter and the result in binary format: prepared (once per session) when there
    /// is room in the cache, else unnamed. A prepared statement whose result columns changed under it (another
    /// replica migrated the table) is forgotten and, outside a transaction, prepared and run once more.
    private func execute(_ sql: String, _ values: [PostgresValue?]) -> Result<PostgresResult, PostgresError> {
        let key = StatementKey(
            sql: sql, types: values.map { $0?.type.rawValue ?? PostgresDataType.unspecified.rawValue })
        let first = executeOnce(key, values)
        guard case .failure(let error) = first, error.isStalePreparedStatement else { return first }
        preparedStatements[key] = nil
        guard PQtransactionStatus(handle) == PQTRANS_IDLE else { return first }
        return executeOnce(key, values)
    }

    private func executeOnce(_ key: StatementKey, _ values: [PostgresValue?]) -> Result<PostgresResult, PostgresError> {
        let lengths = values.map { value -> Int32 in
            guard let count = value?.bytes.count else { return 0 }
            precondition(count <= Int32.max, "a parameter larger than 2 GiB cannot be sent")
            return Int32(count)
        }
        let formats = [Int32](repeating: 1, count: values.count)
        largestMessageBytes = max(largestMessageBytes, lengths.reduce(0) { $0 + Int($1) })
        let name: String?
        switch preparedName(for: key) {
        case .success(let prepared): name = prepared
        case .failure(let error): return .failure(error)
        }
        let raw = Self.withPointers(to: values[...], collected: []) { pointers in
            if let name {
                PQexecPrepared(handle, name, Int32(values.count), pointers, lengths, formats, 1)
            } else {
                PQexecParams(handle, key.sql, Int32(values.count), key.types, pointers, lengths, formats, 1)
            }
        }
        let result = checked(raw, query: key.sql)
        if case .success(let rows) = result { largestMessageBytes = max(largestMessageBytes, rows.dataBytes) }
        return result
    }

    /// The name `key` is prepared under in this session, preparing it first if there is room; nil to run unnamed.
    private func preparedName(for key: StatementKey) -> Result<String?, PostgresError> {
        if let name = preparedStatements[key] { return .success(name) }
        guard preparedStatements.count < Self.preparedStatementLimit else { return .success(nil) }
        preparedStatementCount += 1
        let name = "imageproc_\(preparedStatementCount)"
        let prepared = checked(PQprepare(handle, name, key.sql, Int32(key.types.count), key.types), query: key.sql)
        guard case .failure(let error) = prepared else {
            preparedStatements[key] = name
            return .success(name)
        }
        return .failure(error)
    }

    /// Wraps a libpq result, or turns it (or its absence) into an error.
    private func checked(_ raw: OpaquePointer?, query sql: String) -> Result<PostgresResult, PostgresError> {
        // A failure that leaves the connection bad is the connection's fault, not the statement's.
        let failureKind: PostgresError.Kind = PQstatus(handle) == CONNECTION_BAD ? .connectionLost : .queryFailed
        guard let raw else {
            return .failure(PostgresError(kind: failureKind, result: nil, connection: handle, query: sql))
        }
        let result = PostgresResult(owning: raw)
        switch PQresultStatus(raw) {
        case PGRES_COMMAND_OK, PGRES_TUPLES_OK, PGRES_EMPTY_QUERY:
            return .success(result)
        default:
            // `result` owns `raw`: keep it alive until the error has read its fields.
            return withExtendedLifetime(result) {
                .failure(PostgresError(kind: failureKind, result: raw, connection: handle, query: sql))
            }
        }
    }

    /// Calls `body` with C pointers to every value's bytes (nil for NULL), valid for the duration of the call.
    /// Pins each array in turn with `withUnsafeBufferPointer`, so no value is copied.
    private static func withPointers<R>(
        to values: ArraySlice<PostgresValue?>, collected: [UnsafePointer<CChar>?],
        _ body: ([UnsafePointer<CChar>?]) -> R
    ) -> R {
        guard let first = values.first else { return body(collected) }
        let rest = values.dropFirst()
        guard let value = first else { return withPointers(to: rest, collected: collected + [nil], body) }
        return value.bytes.withUnsafeBytes { buffer in
            guard let base = buffer.baseAddress else {
                // An empty value must still be a non-NULL pointer: NULL means SQL NULL.
                var empty: CChar = 0
                return withUnsafePointer(to: &empty) { withPointers(to: rest, collected: collected + [$0], body) }
            }
            return withPointers(to: rest, collected: collected + [base.assumingMemoryBound(to: CChar.self)], body)
        }
    }
}

@available(*, unavailable)
extension PostgresConnection: Sendable {}
