import Foundation
import Testing

@testable import PostgresClient
@testable import TestSupport

@Suite struct PostgresSessionSettingsTests {
    @Test func rendersBothTimeoutsAsOptions() {
        #expect(
            PostgresSessionSettings.service.options(followedBy: nil)
                == "-c statement_timeout=60000ms -c idle_in_transaction_session_timeout=60000ms")
    }

    @Test func putsTheCallersOptionsLastSoThatTheyWin() {
        let settings = PostgresSessionSettings(
            statementTimeout: .milliseconds(1500), idleInTransactionSessionTimeout: .seconds(2))
        #expect(
            settings.options(followedBy: "-c statement_timeout=5s")
                == "-c statement_timeout=1500ms -c idle_in_transaction_session_timeout=2000ms -c statement_timeout=5s")
        #expect(!settings.options(followedBy: "").hasSuffix(" "))
    }

    @Test func readsTheCallersOptionsFromAURLOrAKeywordString() {
        #expect(PostgresConnection.callerOptions("postgresql://h/db?options=-c%20work_mem%3D8MB") == "-c work_mem=8MB")
        #expect(PostgresConnection.callerOptions("host=h options='-c work_mem=8MB'") == "-c work_mem=8MB")
        let environment = ProcessInfo.processInfo.environment["PGOPTIONS"]
        #expect(
            PostgresConnection.callerOptions("postgresql://h:1,h:2/db?target_session_attrs=read-write") == environment)
        #expect(PostgresConnection.callerOptions("imageproc") == environment)
    }

    @Test func sessionsStartWithTheServiceTimeouts() throws {
        let connection = try TestDatabase.connect()
        #expect(try connection.query("SHOW statement_timeout").string(0, 0) == "1min")
        #expect(try connection.query("SHOW idle_in_transaction_session_timeout").string(0, 0) == "1min")
    }

    @Test func keepsTheURLsOwnOptionsAndLetsThemWin() throws {
        let connection = try PostgresConnection(
            TestDatabase.url(options: "-c statement_timeout=5s -c work_mem=7MB"))
        #expect(try connection.query("SHOW statement_timeout").string(0, 0) == "5s")
        #expect(try connection.query("SHOW idle_in_transaction_session_timeout").string(0, 0) == "1min")
        #expect(try connection.query("SHOW work_mem").string(0, 0) == "7MB")
    }

    @Test func keepsTheTimeoutsAcrossAReconnect() throws {
        let connection = try TestDatabase.connect()
        let pid = connection.backendPID
        _ = try TestDatabase.connect().query("SELECT pg_terminate_backend($1, 5000)", [pid])
        #expect(try connection.query("SHOW statement_timeout").string(0, 0) == "1min")
        #expect(connection.backendPID != pid)
    }

    @Test func endsASessionLeftIdleInsideATransaction() async throws {
        try await blocking {
            let connection = try PostgresConnection(
                TestDatabase.url(options: "-c idle_in_transaction_session_timeout=200ms"))
            try connection.query("BEGIN")
            Thread.sleep(forTimeInterval: 0.6)
            let error = try #require(throws: PostgresError.self) { try connection.query("SELECT 1") }
            #expect(error.isUnavailable)
            // The transaction is gone with its session; once it is given up, the connection works again.
            _ = try? connection.query("ROLLBACK")
            #expect(try connection.query("SELECT 2").int(0, 0) == 2)
        }
    }
}
