import Foundation
import PostgresClient

/// Where a page of the job list ended: the last item's upload time and id, so the next page starts strictly after
/// it in (uploaded_at, id) order.
///
/// Clients see it as opaque base64url text (no padding) of 24 bytes: the upload time as big-endian int8
/// microseconds since 2000-01-01 (PostgreSQL's own representation, so it is exact) followed by the id's 16 bytes.
struct JobCursor: Equatable {
    static let encodedLength = 32
    /// The times a cursor can name, in microseconds since 2000-01-01: `timestamptz`'s range (4714-11-24 BC to
    /// 294276 AD, `MIN_TIMESTAMP` and `END_TIMESTAMP` of PostgreSQL's `datatype/timestamp.h`) less a second at each
    /// end, since a `Date` (a `Double`) is off by up to a few microseconds that far out.
    static let timestampRange: ClosedRange<Int64> = -211_813_487_999_000_000...9_223_371_331_199_000_000

    var uploadedAt: Date
    var id: UUID

    init(uploadedAt: Date, id: UUID) {
        self.uploadedAt = uploadedAt
        self.id = id
    }

    init(encoded text: String) throws(InvalidCursor) {
        let alphabet = Set("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_")
        guard text.count == Self.encodedLength, text.allSatisfy(alphabet.contains) else { throw InvalidCursor() }
        let base64 = text.replacingOccurrences(of: "-", with: "+").replacingOccurrences(of: "_", with: "/")
        guard let data = Data(base64Encoded: base64), data.count == 24 else { throw InvalidCursor() }
        let bytes = [UInt8](data)
        let micros = bytes[0..<8].withUnsafeBytes { PostgresBinary.integer($0, as: Int64.self) }!
        // Every well-formed cursor is a position in the list. One beyond the times PostgreSQL can hold (which would
        // fail the query with "timestamp out of range") is moved to the nearest end: no job lies beyond either.
        let range = Self.timestampRange
        uploadedAt = PostgresBinary.date(fromMicroseconds: min(max(micros, range.lowerBound), range.upperBound))
        id = bytes[8...].withUnsafeBytes { UUID(uuid: $0.loadUnaligned(as: uuid_t.self)) }
    }

    var encoded: String {
        let bytes = PostgresBinary.bytes(PostgresBinary.microseconds(from: uploadedAt)) + id.postgresValue.bytes
        return Data(bytes).base64EncodedString()
            .replacingOccurrences(of: "+", with: "-")
            .replacingOccurrences(of: "/", with: "_")
    }
}
