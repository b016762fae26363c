/// A Swift value that can be bound to a `$n` parameter. `nil` (an optional that holds none) binds SQL `NULL`.
///
/// Conforming types: `String` (text), `Int` (int8), `Int32` (int4), `Bool`, `UUID`, `Date` (timestamptz) and
/// `[UInt8]` (bytea). Where a column has another type, the server applies its assignment cast (int8 → int4) or the
/// statement casts explicitly (`$1::jsonb`).
public protocol PostgresBindable {
    /// This value in PostgreSQL's binary wire format.
    var postgresValue: PostgresValue { get }
}
