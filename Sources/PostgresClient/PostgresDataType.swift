import CLibPQ

/// A PostgreSQL type, by its OID: the type of a bound parameter or of a result column.
///
/// OIDs of built-in types are fixed (`src/include/catalog/pg_type.dat`); only those this layer encodes or decodes
/// are named.
public struct PostgresDataType: RawRepresentable, Hashable, Sendable {
    public var rawValue: Oid

    public init(rawValue: Oid) {
        self.rawValue = rawValue
    }

    /// Lets the server infer the type from the statement.
    public static let unspecified = PostgresDataType(rawValue: 0)
    public static let bool = PostgresDataType(rawValue: 16)
    public static let bytea = PostgresDataType(rawValue: 17)
    public static let name = PostgresDataType(rawValue: 19)
    public static let int8 = PostgresDataType(rawValue: 20)
    public static let int2 = PostgresDataType(rawValue: 21)
    public static let int4 = PostgresDataType(rawValue: 23)
    public static let text = PostgresDataType(rawValue: 25)
    public static let json = PostgresDataType(rawValue: 114)
    public static let unknown = PostgresDataType(rawValue: 705)
    public static let bpchar = PostgresDataType(rawValue: 1042)
    public static let varchar = PostgresDataType(rawValue: 1043)
    public static let timestamp = PostgresDataType(rawValue: 1114)
    public static let timestamptz = PostgresDataType(rawValue: 1184)
    public static let uuid = PostgresDataType(rawValue: 2950)
    public static let jsonb = PostgresDataType(rawValue: 3802)
}
