import Foundation
import Testing

@testable import PostgresClient

@Suite struct PostgresBinaryTests {
    @Test func postgresEpochIsTheStartOf2000() {
        #expect(PostgresBinary.date(fromMicroseconds: 0) == Date(timeIntervalSince1970: 946_684_800))
        #expect(PostgresBinary.microseconds(from: Date(timeIntervalSince1970: 946_684_800)) == 0)
    }

    @Test(arguments: [
        Int64(0), 1, -1, 999_999, -999_999, 1_000_000, 786_221_696_789_012, -31_557_600_000_001, 3_155_760_000_000_001,
    ])
    func microsecondsSurviveTheTripThroughDate(micros: Int64) {
        #expect(PostgresBinary.microseconds(from: PostgresBinary.date(fromMicroseconds: micros)) == micros)
    }

    @Test func infinitiesBecomeDistantDates() {
        #expect(PostgresBinary.date(fromMicroseconds: .max) == .distantFuture)
        #expect(PostgresBinary.date(fromMicroseconds: .min) == .distantPast)
    }

    @Test func integersAreBigEndian() {
        #expect(PostgresBinary.bytes(Int32(0x0102_0304)) == [1, 2, 3, 4])
        #expect([UInt8]([0xFF, 0xFF, 0xFF, 0xFE]).withUnsafeBytes { PostgresBinary.integer($0, as: Int32.self) } == -2)
        #expect([UInt8]([1, 2, 3]).withUnsafeBytes { PostgresBinary.integer($0, as: Int32.self) } == nil)
    }
}
