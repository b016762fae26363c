import Testing

@testable import PostgresClient

@Suite struct PostgresErrorCodeTests {
    private static func failed(_ code: String) -> PostgresError {
        PostgresError(kind: .queryFailed, code: PostgresError.Code(rawValue: code), message: "")
    }

    @Test(arguments: ["08006", "08P01", "53300", "53100", "53200", "57P01", "57P02", "57P03", "25006", "57014"])
    func countsAsUnavailable(code: String) {
        #expect(Self.failed(code).isUnavailable)
    }

    @Test(arguments: ["23505", "42P01", "22P02", "40001", "0A000", "25P02"])
    func countsAsTheStatementsOwnFailure(code: String) {
        #expect(!Self.failed(code).isUnavailable)
        #expect(!Self.failed(code).requiresNewSession)
    }

    @Test func connectionFailuresAreUnavailable() {
        #expect(PostgresError(kind: .connectionFailed, message: "too many clients already").isUnavailable)
        #expect(PostgresError(kind: .connectionLost, message: "").requiresNewSession)
    }

    /// A read-only or shutting-down server refuses the session; a timeout or a full disk only the statement.
    @Test func asksForANewSessionOnlyWhenTheSessionIsWhatFailed() {
        for code in ["25006", "57P01", "57P02", "57P03", "08006"] { #expect(Self.failed(code).requiresNewSession) }
        for code in ["57014", "53100", "53200", "53300"] { #expect(!Self.failed(code).requiresNewSession) }
    }
}
