import Foundation
import Testing

@testable import ImageService

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
}
