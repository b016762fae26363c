/// A bound parameter as sent to the server: its type and its bytes in PostgreSQL's binary wire format.
///
/// Every parameter travels in binary (`paramFormats` 1) with an explicit type, so the server never parses text
/// that came from a client, and a `[UInt8]` (BYTEA) is handed to libpq from the array's own storage, uncopied.
public struct PostgresValue: Sendable {
    public var type: PostgresDataType
    public var bytes: [UInt8]

    public init(type: PostgresDataType, bytes: [UInt8]) {
        self.type = type
        self.bytes = bytes
    }
}
