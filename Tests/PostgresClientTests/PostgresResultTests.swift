import Foundation
import Testing

@testable import PostgresClient
@testable import TestSupport

@Suite struct PostgresResultTests {
    @Test func decodesIntegersOfEveryWidth() throws {
        let result = try TestDatabase.connect().query(
            "SELECT 7::int2, -2::int4, 9007199254740993::int8, (-9223372036854775807 - 1)::int8")
        #expect(result.rowCount == 1)
        #expect(result.columnCount == 4)
        #expect(try result.int(0, 0) == 7)
        #expect(try result.int(0, 1) == -2)
        #expect(try result.int(0, 2) == 9_007_199_254_740_993)
        #expect(try result.int64(0, 3) == Int64.min)
    }

    @Test func decodesTextOfEveryKind() throws {
        let result = try TestDatabase.connect().query(
            "SELECT 'héllo ✓'::text, 'x'::varchar(4), 'ab'::char(3), ''::text, 'pg_class'::name")
        #expect(try result.string(0, 0) == "héllo ✓")
        #expect(try result.string(0, 1) == "x")
        #expect(try result.string(0, 2) == "ab ")
        #expect(try result.string(0, 3) == "")
        #expect(try result.string(0, 4) == "pg_class")
    }

    @Test func decodesJSONAsTextAndJSONBAsItsNormalisedText() throws {
        let result = try TestDatabase.connect().query(
            #"SELECT '{"b":1,  "a":[true]}'::json, '{"b":1,  "a":[true]}'::jsonb"#)
        #expect(try result.string(0, 0) == #"{"b":1,  "a":[true]}"#)
        #expect(try result.string(0, 1) == #"{"a": [true], "b": 1}"#)
    }

    @Test func decodesBooleansAndUUIDs() throws {
        let result = try TestDatabase.connect().query(
            "SELECT true, false, 'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11'::uuid")
        #expect(try result.bool(0, 0) == true)
        #expect(try result.bool(0, 1) == false)
        #expect(try result.uuid(0, 2) == UUID(uuidString: "A0EEBC99-9C0B-4EF8-BB6D-6BB9BD380A11"))
    }

    @Test func decodesTimestampsToTheMicrosecond() throws {
        let result = try TestDatabase.connect().query(
            """
            SELECT '2000-01-01 00:00:00+00'::timestamptz, '1999-12-31 23:59:59.999999+00'::timestamptz,
                '2024-02-29 12:34:56.789012+02'::timestamptz, 'infinity'::timestamptz, '-infinity'::timestamptz,
                '2024-01-01 00:00:00'::timestamp
            """)
        let micros = try (0..<6).map { column in try result.date(0, column).map(PostgresBinary.microseconds(from:)) }
        #expect(micros[0] == 0)
        #expect(micros[1] == -1)
        // 2024-02-29 10:34:56.789012 UTC is 8825 days, 10 h 34 min 56.789012 s after 2000-01-01.
        let expected: Int64 = (8825 * 86_400 + 10 * 3600 + 34 * 60 + 56) * 1_000_000 + 789_012
        #expect(micros[2] == expected)
        #expect(try result.date(0, 3) == .distantFuture)
        #expect(try result.date(0, 4) == .distantPast)
        #expect(try result.date(0, 5) == Date(timeIntervalSince1970: 1_704_067_200))
    }

    @Test func roundTripsFiveMegabytesOfByteaExactly() throws {
        let payload = TestDatabase.randomBytes(5 * 1024 * 1024)
        let result = try TestDatabase.connect().query("SELECT $1::bytea, octet_length($1::bytea)", [payload])
        #expect(try result.int(0, 1) == payload.count)
        let back = try result.bytes(0, 0)
        #expect(back == payload)
    }

    @Test func emptyByteaIsNotNull() throws {
        let result = try TestDatabase.connect().query("SELECT $1::bytea, $1::bytea IS NULL", [[UInt8]()])
        #expect(try result.bytes(0, 0) == [])
        #expect(try result.bool(0, 1) == false)
    }

    @Test func everyAccessorReturnsNilForNull() throws {
        let result = try TestDatabase.connect().query(
            "SELECT NULL::text, NULL::int4, NULL::int8, NULL::bool, NULL::uuid, NULL::timestamptz, NULL::bytea")
        #expect((0..<7).allSatisfy { result.isNull(0, $0) })
        #expect(try result.string(0, 0) == nil)
        #expect(try result.int(0, 1) == nil)
        #expect(try result.int64(0, 2) == nil)
        #expect(try result.bool(0, 3) == nil)
        #expect(try result.uuid(0, 4) == nil)
        #expect(try result.date(0, 5) == nil)
        #expect(try result.bytes(0, 6) == nil)
    }

    @Test func refusesToReadAColumnAsTheWrongType() throws {
        let result = try TestDatabase.connect().query("SELECT 'x'::text, 1::int4")
        let error = try #require(throws: PostgresError.self) { try result.int(0, 0) }
        #expect(error.kind == .decodingFailed)
        #expect(throws: PostgresError.self) { try result.string(0, 1) }
        #expect(throws: PostgresError.self) { try result.bytes(0, 0) }
    }

    @Test func findsColumnsByName() throws {
        let result = try TestDatabase.connect().query("SELECT 1 AS one, 'two' AS two")
        #expect(try result.columnIndex("two") == 1)
        #expect(result.columnName(0) == "one")
        #expect(try result.string(0, "two") == "two")
        let error = try #require(throws: PostgresError.self) { try result.columnIndex("three") }
        #expect(error.kind == .decodingFailed)
    }

    @Test func countsRowsAndAffectedRows() throws {
        let connection = try TestDatabase.connect()
        try connection.query("CREATE TEMP TABLE counted (n int)")
        #expect(try connection.query("INSERT INTO counted SELECT generate_series(1, 5)").affectedRows == 5)
        #expect(try connection.query("UPDATE counted SET n = n + 1 WHERE n > 3").affectedRows == 2)
        #expect(try connection.query("SELECT n FROM counted ORDER BY n").rowCount == 5)
        #expect(try connection.query("DELETE FROM counted WHERE n > 100").affectedRows == 0)
    }
}
