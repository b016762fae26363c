import Foundation
import Testing

@testable import ImageService
@testable import PostgresClient

@Suite struct JobCursorTests {
    @Test func roundTripsTimeAndIdExactly() throws {
        let cursor = JobCursor(
            uploadedAt: PostgresBinary.date(fromMicroseconds: 786_221_696_789_012), id: UUID())
        let encoded = cursor.encoded
        #expect(encoded.count == JobCursor.encodedLength)
        #expect(encoded.allSatisfy { $0.isLetter || $0.isNumber || $0 == "-" || $0 == "_" })
        #expect(try JobCursor(encoded: encoded) == cursor)
    }

    @Test(arguments: [
        "", "abc", String(repeating: "A", count: 31), String(repeating: "A", count: 33),
        String(repeating: "+", count: 32), String(repeating: "A", count: 30) + "==", "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA!",
        "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAé",
    ])
    func rejectsTextItDidNotIssue(text: String) {
        #expect(throws: InvalidCursor()) { try JobCursor(encoded: text) }
    }

    // Found by schemathesis: a well-formed cursor whose time PostgreSQL cannot hold made the list query fail (500).
    @Test(
        arguments: [
            (Int64.max, JobCursor.timestampRange.upperBound),
            (9_223_371_331_200_000_000, JobCursor.timestampRange.upperBound),
            (Int64.min, JobCursor.timestampRange.lowerBound),
            (-211_813_488_000_000_001, JobCursor.timestampRange.lowerBound),
        ] as [(Int64, Int64)])
    func movesTimesPostgreSQLCannotHoldToTheNearestEnd(micros: Int64, expected: Int64) throws {
        let id = UUID()
        let text = Data(PostgresBinary.bytes(micros) + id.postgresValue.bytes).base64EncodedString()
            .replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_")
        let cursor = try JobCursor(encoded: text)
        #expect(cursor.id == id)
        #expect(cursor.uploadedAt == PostgresBinary.date(fromMicroseconds: expected))
    }
}
