import Foundation

extension String: PostgresBindable {
    public var postgresValue: PostgresValue { PostgresValue(type: .text, bytes: Array(utf8)) }
}

extension Int: PostgresBindable {
    public var postgresValue: PostgresValue { PostgresValue(type: .int8, bytes: PostgresBinary.bytes(Int64(self))) }
}

extension Int32: PostgresBindable {
    public var postgresValue: PostgresValue { PostgresValue(type: .int4, bytes: PostgresBinary.bytes(self)) }
}

extension Bool: PostgresBindable {
    public var postgresValue: PostgresValue { PostgresValue(type: .bool, bytes: [self ? 1 : 0]) }
}

extension UUID: PostgresBindable {
    public var postgresValue: PostgresValue {
        PostgresValue(type: .uuid, bytes: withUnsafeBytes(of: uuid) { Array($0) })
    }
}

extension Date: PostgresBindable {
    public var postgresValue: PostgresValue {
        PostgresValue(type: .timestamptz, bytes: PostgresBinary.bytes(PostgresBinary.microseconds(from: self)))
    }
}

extension Array: PostgresBindable where Element == UInt8 {
    /// The array itself, shared (copy-on-write), not copied: megabytes of image data go to libpq from here.
    public var postgresValue: PostgresValue { PostgresValue(type: .bytea, bytes: self) }
}
