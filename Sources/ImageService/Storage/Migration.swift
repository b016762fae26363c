/// One step of the database schema's history: applied once, in order of `version`, in the same transaction as the
/// row recording it in `schema_migrations`.
///
/// Statements run inside a transaction, so they cannot be ones PostgreSQL refuses there
/// (`CREATE INDEX CONCURRENTLY`, `VACUUM`).
public struct Migration: Sendable {
    public var version: Int
    public var name: String
    public var statements: [String]

    public init(version: Int, name: String, statements: [String]) {
        self.version = version
        self.name = name
        self.statements = statements
    }
}
