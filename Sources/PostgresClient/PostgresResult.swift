import CLibPQ
import Foundation

/// The rows of one statement, owning libpq's `PGresult` (freed in `deinit`, so no error path leaks it).
///
/// Results are always requested in binary format; each accessor checks the column's type and decodes its wire
/// form (see ``PostgresBinary``). Accessors return `nil` for SQL `NULL` and throw a `decodingFailed`
/// ``PostgresError`` when the column's type does not fit the accessor. Rows and columns count from 0; an index out
/// of range is a programming error and traps. Columns can also be named (`"uploaded_at"`), resolved with
/// `PQfnumber`.
public final class PostgresResult {
    private let handle: OpaquePointer

    /// Takes ownership of `handle`.
    init(owning handle: OpaquePointer) {
        self.handle = handle
    }

    deinit {
        PQclear(handle)
    }

    public var rowCount: Int { Int(PQntuples(handle)) }
    public var columnCount: Int { Int(PQnfields(handle)) }

    /// The bytes of every value in the result together.
    var dataBytes: Int {
        var total = 0
        for row in 0..<PQntuples(handle) {
            for column in 0..<PQnfields(handle) { total += Int(PQgetlength(handle, row, column)) }
        }
        return total
    }

    /// Rows inserted, updated, deleted, … by the statement (`PQcmdTuples`); 0 when the command reports none.
    public var affectedRows: Int { Int(String(cString: PQcmdTuples(handle))) ?? 0 }

    public func columnName(_ column: Int) -> String {
        checkBounds(row: 0, column: column, rowRequired: false)
        return String(cString: PQfname(handle, Int32(column)))
    }

    public func columnType(_ column: Int) -> PostgresDataType {
        checkBounds(row: 0, column: column, rowRequired: false)
        return PostgresDataType(rawValue: PQftype(handle, Int32(column)))
    }

    /// The index of the column called `name`.
    public func columnIndex(_ name: String) throws(PostgresError) -> Int {
        let index = Int(PQfnumber(handle, "\"\(name)\""))
        guard index >= 0 else { throw PostgresError(kind: .decodingFailed, message: "no column named \(name)") }
        return index
    }

    public func isNull(_ row: Int, _ column: Int) -> Bool {
        checkBounds(row: row, column: column)
        return PQgetisnull(handle, Int32(row), Int32(column)) == 1
    }

    /// text, varchar, char, name, json and jsonb (returned as its text, as the server normalised it).
    public func string(_ row: Int, _ column: Int) throws(PostgresError) -> String? {
        try value(row, column, [.text, .varchar, .bpchar, .name, .unknown, .json, .jsonb]) { raw, type in
            // jsonb's binary form is a version byte (1) followed by the JSON text.
            let text = type == .jsonb && raw.first == 1 ? UnsafeRawBufferPointer(rebasing: raw.dropFirst()) : raw
            return String(decoding: text, as: UTF8.self)
        }
    }

    /// int2, int4 and int8.
    public func int(_ row: Int, _ column: Int) throws(PostgresError) -> Int? {
        try value(row, column, [.int2, .int4, .int8]) { raw, type in
            switch type {
            case .int2: PostgresBinary.integer(raw, as: Int16.self).map(Int.init)
            case .int4: PostgresBinary.integer(raw, as: Int32.self).map(Int.init)
            default: PostgresBinary.integer(raw, as: Int64.self).map(Int.init)
            }
        }
    }

    /// int8 (and the narrower integers, widened).
    public func int64(_ row: Int, _ column: Int) throws(PostgresError) -> Int64? {
        try int(row, column).map(Int64.init)
    }

    public func bool(_ row: Int, _ column: Int) throws(PostgresError) -> Bool? {
        try value(row, column, [.bool]) { raw, _ in raw.count == 1 ? raw[0] != 0 : nil }
    }

    public func uuid(_ row: Int, _ column: Int) throws(PostgresError) -> UUID? {
        try value(row, column, [.uuid]) { raw, _ in
            raw.count == 16 ? UUID(uuid: raw.loadUnaligned(as: uuid_t.self)) : nil
        }
    }

    /// timestamptz (and timestamp, read as UTC). `infinity` is `Date.distantFuture`, `-infinity` `distantPast`.
    public func date(_ row: Int, _ column: Int) throws(PostgresError) -> Date? {
        try value(row, column, [.timestamptz, .timestamp]) { raw, _ in
            PostgresBinary.integer(raw, as: Int64.self).map(PostgresBinary.date(fromMicroseconds:))
        }
    }

    /// bytea, byte for byte (one copy out of libpq's buffer).
    public func bytes(_ row: Int, _ column: Int) throws(PostgresError) -> [UInt8]? {
        try value(row, column, [.bytea]) { raw, _ in Array(raw) }
    }

    /// Decodes the value at (`row`, `column`) if it is not NULL and its type is one of `types`; `decode` returns nil
    /// when the bytes are malformed.
    private func value<T>(
        _ row: Int, _ column: Int, _ types: [PostgresDataType],
        _ decode: (UnsafeRawBufferPointer, PostgresDataType) -> T?
    ) throws(PostgresError) -> T? {
        if isNull(row, column) { return nil }
        let type = columnType(column)
        guard types.contains(type), PQfformat(handle, Int32(column)) == 1 else {
            throw decodingError(column, "has type oid \(type.rawValue), not one of \(types.map(\.rawValue))")
        }
        let start = PQgetvalue(handle, Int32(row), Int32(column))
        let raw = UnsafeRawBufferPointer(start: start, count: Int(PQgetlength(handle, Int32(row), Int32(column))))
        guard let decoded = decode(raw, type) else { throw decodingError(column, "holds malformed binary data") }
        return decoded
    }

    private func decodingError(_ column: Int, _ problem: String) -> PostgresError {
        PostgresError(kind: .decodingFailed, message: "column \(columnName(column)) \(problem)")
    }

    private func checkBounds(row: Int, column: Int, rowRequired: Bool = true) {
        precondition(column >= 0 && column < columnCount, "column index out of range")
        precondition(!rowRequired || (row >= 0 && row < rowCount), "row index out of range")
    }
}

@available(*, unavailable)
extension PostgresResult: Sendable {}

extension PostgresResult {
    // Accessors by column name, for statements whose select list is long.

    public func isNull(_ row: Int, _ column: String) throws(PostgresError) -> Bool {
        isNull(row, try columnIndex(column))
    }

    public func string(_ row: Int, _ column: String) throws(PostgresError) -> String? {
        try string(row, try columnIndex(column))
    }

    public func int(_ row: Int, _ column: String) throws(PostgresError) -> Int? {
        try int(row, try columnIndex(column))
    }

    public func int64(_ row: Int, _ column: String) throws(PostgresError) -> Int64? {
        try int64(row, try columnIndex(column))
    }

    public func bool(_ row: Int, _ column: String) throws(PostgresError) -> Bool? {
        try bool(row, try columnIndex(column))
    }

    public func uuid(_ row: Int, _ column: String) throws(PostgresError) -> UUID? {
        try uuid(row, try columnIndex(column))
    }

    public func date(_ row: Int, _ column: String) throws(PostgresError) -> Date? {
        try date(row, try columnIndex(column))
    }

    public func bytes(_ row: Int, _ column: String) throws(PostgresError) -> [UInt8]? {
        try bytes(row, try columnIndex(column))
    }
}
