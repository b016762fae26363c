import Foundation
import Testing

@testable import PostgresClient
@testable import TestSupport

@Suite struct PostgresConnectionTests {
    @Test func identifiesItselfAsImageproc() throws {
        let result = try TestDatabase.connect().query("SELECT current_setting('application_name')")
        #expect(try result.string(0, 0) == "imageproc")
    }

    @Test func bindsEveryParameterType() throws {
        let id = UUID()
        let moment = PostgresBinary.date(fromMicroseconds: 786_221_696_789_012)
        let result = try TestDatabase.connect().query(
            "SELECT $1::text, $2::int8, $3::int4, $4::bool, $5::uuid, $6::timestamptz, $7::bytea, $8::text",
            ["ünïcode", Int.max, Int32.min, true, id, moment, [0, 1, 255] as [UInt8], nil])
        #expect(try result.string(0, 0) == "ünïcode")
        #expect(try result.int(0, 1) == Int.max)
        #expect(try result.int(0, 2) == Int(Int32.min))
        #expect(try result.bool(0, 3) == true)
        #expect(try result.uuid(0, 4) == id)
        #expect(try result.date(0, 5) == moment)
        #expect(try result.bytes(0, 6) == [0, 1, 255])
        #expect(result.isNull(0, 7))
    }

    @Test func letsTheServerCastIntoNarrowerColumns() throws {
        let connection = try TestDatabase.connect()
        try connection.query("CREATE TEMP TABLE narrow (n int4, s int2)")
        try connection.query("INSERT INTO narrow VALUES ($1, $2)", [123_456, 12])
        let result = try connection.query("SELECT n, s FROM narrow")
        #expect(try result.int(0, 0) == 123_456)
        #expect(try result.int(0, 1) == 12)
    }

    @Test func storesInjectionTextLiterally() throws {
        let connection = try TestDatabase.connect()
        try connection.query("CREATE TEMP TABLE notes (body text)")
        let hostile = ["Robert'); DROP TABLE notes; --", "$1 \\' \" ; SELECT pg_sleep(10)", "''"]
        for text in hostile {
            try connection.query("INSERT INTO notes (body) VALUES ($1)", [text])
        }
        let result = try connection.query("SELECT body FROM notes")
        let stored = try (0..<result.rowCount).map { row in try result.string(row, 0) }
        #expect(stored == hostile)
        #expect(try connection.query("SELECT count(*) FROM notes WHERE body = $1", [hostile[0]]).int(0, 0) == 1)
    }

    @Test func reportsServerErrorsWithTheirSQLSTATE() throws {
        let connection = try TestDatabase.connect()
        try connection.query("CREATE TEMP TABLE keyed (id int PRIMARY KEY)")
        try connection.query("INSERT INTO keyed VALUES (1)")
        let duplicate = try #require(throws: PostgresError.self) {
            try connection.query("INSERT INTO keyed VALUES ($1)", [Int32(1)])
        }
        #expect(duplicate.kind == .queryFailed)
        #expect(duplicate.code == .uniqueViolation)
        #expect(duplicate.code?.errorClass == "23")
        #expect(duplicate.severity == "ERROR")
        #expect(duplicate.detail == "Key (id)=(1) already exists.")
        #expect(duplicate.table == "keyed")
        #expect(duplicate.constraint == "keyed_pkey")
        #expect(!duplicate.isConnectionError)

        try connection.query("CREATE TEMP TABLE named (label text NOT NULL)")
        let missing = try #require(throws: PostgresError.self) {
            try connection.query("INSERT INTO named VALUES (NULL)")
        }
        #expect(missing.code == .notNullViolation)
        #expect(missing.table == "named")
        #expect(missing.column == "label")
        #expect(missing.constraint == nil)

        let division = try #require(throws: PostgresError.self) { try connection.query("SELECT 1 / 0") }
        #expect(division.code == .divisionByZero)
        // The connection is still good after statement errors.
        #expect(try connection.query("SELECT 2").int(0, 0) == 2)
    }

    @Test func describesErrorsGenericallyAndInDetailForTheLog() throws {
        let connection = try TestDatabase.connect()
        let error = try #require(throws: PostgresError.self) {
            try connection.query("SELECT * FROM no_such_table_secret_name")
        }
        #expect(error.code == .undefinedTable)
        #expect(!error.description.contains("secret"))
        #expect(error.description.contains("42P01"))
        #expect(error.debugDescription.contains("relation \"no_such_table_secret_name\" does not exist"))
        #expect(error.debugDescription.contains("query: SELECT * FROM no_such_table_secret_name"))
    }

    @Test func commitsATransaction() throws {
        let connection = try TestDatabase.connect()
        try connection.query("CREATE TEMP TABLE ledger (n int)")
        let value = try connection.transaction {
            try connection.query("INSERT INTO ledger VALUES (1), (2)")
            return "done"
        }
        #expect(value == "done")
        #expect(try connection.query("SELECT count(*) FROM ledger").int(0, 0) == 2)
    }

    @Test func rollsBackWhenTheBodyThrows() throws {
        struct Abort: Error {}
        let connection = try TestDatabase.connect()
        try connection.query("CREATE TEMP TABLE ledger (n int)")
        #expect(throws: Abort.self) {
            try connection.transaction {
                try connection.query("INSERT INTO ledger VALUES (1)")
                throw Abort()
            }
        }
        #expect(try connection.query("SELECT count(*) FROM ledger").int(0, 0) == 0)
        #expect(connection.isIdle)
    }

    @Test func reconnectsAfterItsIdleBackendIsTerminated() throws {
        let connection = try TestDatabase.connect()
        let before = connection.backendPID
        try terminate(backend: before)
        #expect(try connection.query("SELECT 41 + $1", [1]).int(0, 0) == 42)
        #expect(connection.backendPID != before)
        #expect(connection.backendPID != 0)
    }

    @Test(.timeLimit(.minutes(1)))
    func retriesAStatementWhoseBackendIsTerminatedWhileRunning() async throws {
        let url = try TestDatabase.url()
        let (pid, after) = try await blocking {
            let connection = try PostgresConnection(url)
            let pid = connection.backendPID
            Thread {
                Thread.sleep(forTimeInterval: 0.3)
                try? terminate(backend: pid)
            }.start()
            let value = try connection.query("SELECT 7 FROM pg_sleep(1)").int(0, 0)
            #expect(value == 7)
            return (pid, connection.backendPID)
        }
        #expect(after != pid)
    }

    @Test func surfacesALostConnectionInsideATransactionWithoutRetrying() throws {
        let connection = try TestDatabase.connect()
        try connection.query("CREATE TEMP TABLE ledger (n int)")
        let error = try #require(throws: PostgresError.self) {
            try connection.transaction {
                try connection.query("INSERT INTO ledger VALUES (1)")
                try terminate(backend: connection.backendPID)
                try connection.query("INSERT INTO ledger VALUES (2)")
            }
        }
        #expect(error.kind == .connectionLost)
        #expect(error.isConnectionError)
        // The next statement runs on a fresh session, where the temporary table (and its rows) never existed.
        let after = try #require(throws: PostgresError.self) { try connection.query("SELECT count(*) FROM ledger") }
        #expect(after.code == .undefinedTable)
    }

    @Test func neverMovesAStatementOutOfAPlainBeginTransaction() throws {
        let connection = try TestDatabase.connect()
        try connection.query("BEGIN")
        try connection.query("CREATE TEMP TABLE ledger (n int)")
        try terminate(backend: connection.backendPID)
        let error = try #require(throws: PostgresError.self) { try connection.query("INSERT INTO ledger VALUES (1)") }
        #expect(error.kind == .connectionLost)
        #expect(try connection.query("SELECT 5").int(0, 0) == 5)
    }

    /// As after a failover: the session is read-only, a new one is not. The refused write did nothing, so it is sent
    /// again on a new session.
    @Test func sendsAWriteRefusedAsReadOnlyAgainOnANewSession() throws {
        try TestDatabase.withScratchSchema { schema, _ in
            let connection = try TestDatabase.connect()
            try connection.query("SET default_transaction_read_only = on")
            let pid = connection.backendPID
            try connection.query("CREATE TABLE \(schema).ledger (n int)")
            #expect(connection.backendPID != pid)
            #expect(try connection.query("SELECT count(*) FROM \(schema).ledger").int(0, 0) == 0)
        }
    }

    @Test func failsAReadOnlyRefusalInsideATransactionAndStartsANewSessionAfterIt() throws {
        try TestDatabase.withScratchSchema { schema, _ in
            let connection = try TestDatabase.connect()
            try connection.query("SET default_transaction_read_only = on")
            let pid = connection.backendPID
            let error = try #require(throws: PostgresError.self) {
                try connection.transaction { try connection.query("CREATE TABLE \(schema).ledger (n int)") }
            }
            #expect(error.code == .readOnlySQLTransaction)
            #expect(error.isUnavailable)
            #expect(connection.needsNewSession)
            try connection.query("CREATE TABLE \(schema).ledger (n int)")
            #expect(connection.backendPID != pid)
            #expect(!connection.needsNewSession)
        }
    }

    /// libpq's multi-host URL passes through untouched: the first host is down, the second is the writable one.
    @Test func findsTheWritableHostAmongSeveral() throws {
        let url = try TestDatabase.url()
        let hosts = try #require(url.range(of: "@") ?? url.range(of: "://"))
        let several =
            url.replacingCharacters(in: hosts, with: url[hosts] + "127.0.0.1:1,")
            + (url.contains("?") ? "&" : "?") + "target_session_attrs=read-write"
        let connection = try PostgresConnection(several)
        #expect(try connection.query("SHOW transaction_read_only").string(0, 0) == "off")
        #expect(try connection.query("SHOW statement_timeout").string(0, 0) == "1min")
    }

    @Test func reportsAStatementTimeoutAsUnavailableAndKeepsTheSession() throws {
        let connection = try PostgresConnection(TestDatabase.url(options: "-c statement_timeout=200ms"))
        let pid = connection.backendPID
        let error = try #require(throws: PostgresError.self) { try connection.query("SELECT pg_sleep(2)") }
        #expect(error.code == .queryCanceled)
        #expect(error.isUnavailable)
        #expect(!connection.needsNewSession)
        #expect(try connection.query("SELECT 3").int(0, 0) == 3)
        #expect(connection.backendPID == pid)
    }

    @Test func preparesEachStatementTextOnceAndSettlesOnAGenericPlan() throws {
        let connection = try TestDatabase.connect()
        let sql = "SELECT $1::int8 * 2 AS doubled"
        for value in 1...7 {
            #expect(try connection.query(sql, [value]).int(0, 0) == value * 2)
        }
        let prepared = try connection.query(
            "SELECT generic_plans + custom_plans, generic_plans FROM pg_prepared_statements WHERE statement = $1", [sql]
        )
        #expect(prepared.rowCount == 1)
        #expect(try prepared.int(0, 0) == 7)
        #expect(try #require(try prepared.int(0, 1)) > 0)
    }

    @Test func preparesAgainInANewSessionAfterAReconnect() throws {
        let connection = try TestDatabase.connect()
        #expect(try connection.query("SELECT $1::int8 + 1", [1]).int(0, 0) == 2)
        try terminate(backend: connection.backendPID)
        #expect(try connection.query("SELECT $1::int8 + 1", [2]).int(0, 0) == 3)
    }

    @Test func preparesAgainWhenTheTableChangedShape() throws {
        let connection = try TestDatabase.connect()
        try connection.query("CREATE TEMP TABLE growing (a int4)")
        try connection.query("INSERT INTO growing VALUES (1)")
        #expect(try connection.query("SELECT * FROM growing").columnCount == 1)
        try connection.query("ALTER TABLE growing ADD COLUMN b int4 DEFAULT 2")
        let after = try connection.query("SELECT * FROM growing")
        #expect(after.columnCount == 2)
        #expect(try after.int(0, 1) == 2)
    }

    @Test func runsTextsBeyondTheCacheUnnamed() throws {
        let connection = try TestDatabase.connect()
        let count = PostgresConnection.preparedStatementLimit + 5
        for n in 0..<count {
            #expect(try connection.query("SELECT \(n) + $1::int8", [1]).int(0, 0) == n + 1)
        }
        let prepared = try connection.query("SELECT count(*) FROM pg_prepared_statements").int(0, 0)
        #expect(prepared == PostgresConnection.preparedStatementLimit)
    }

    @Test func reportsAStatementThatCannotBePreparedAndKeepsWorking() throws {
        let connection = try TestDatabase.connect()
        let error = try #require(throws: PostgresError.self) { try connection.query("SELEC $1", [1]) }
        #expect(error.code == .syntaxError)
        let leftovers = "SELECT count(*) FROM pg_prepared_statements WHERE statement = $1"
        #expect(try connection.query(leftovers, ["SELEC $1"]).int(0, 0) == 0)
    }

    @Test(.timeLimit(.minutes(1)))
    func reportsAClosedPortAsUnreachableQuickly() throws {
        let start = ContinuousClock.now
        let error = try #require(throws: PostgresError.self) { try PostgresConnection(TestDatabase.unreachableURL) }
        #expect(error.kind == .connectionFailed)
        #expect(error.isConnectionError)
        #expect(error.description == "the database is unreachable")
        #expect(ContinuousClock.now - start < .seconds(2))
    }
}

/// Ends the server process `pid` from another session and waits until it has exited.
private func terminate(backend pid: Int32) throws {
    let killer = try TestDatabase.connect()
    #expect(try killer.query("SELECT pg_terminate_backend($1, 5000)", [pid]).bool(0, 0) == true)
}
