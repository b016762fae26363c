import Foundation

@testable import ImageService
@testable import PostgresClient
@testable import TestSupport

/// A login role of a test's own, owning a schema of its own, for what PostgreSQL decides per role: how many
/// connections it may have (`CONNECTION LIMIT`), its settings (`ALTER ROLE … SET`), whether it may log in at all.
/// Suites running beside it, which share the test database, are not touched.
struct TestRole: Sendable {
    let name: String
    let schema: String
    /// Works whether the test cluster trusts local connections or asks for passwords.
    private let password: String

    /// Whether this role owns its schema (and drops it) or only reads and writes the rows of `owner`'s tables.
    private let ownsSchema: Bool

    init() throws {
        let suffix = UUID().uuidString.lowercased().replacingOccurrences(of: "-", with: "")
        // Built from hex digits only: identifiers and the password literal cannot be bound parameters.
        name = "role_" + suffix
        schema = "role_" + suffix
        password = String(suffix.reversed())
        ownsSchema = true
        let admin = try TestDatabase.connect()
        try admin.query("CREATE ROLE \(name) LOGIN PASSWORD '\(password)'")
        try admin.query("CREATE SCHEMA \(schema) AUTHORIZATION \(name)")
    }

    /// A role that may use `owner`'s schema and read and write the rows of every table `owner` creates in it, and
    /// nothing else: what the service runs as in production (k8s/base/config/app-role.sh does the same).
    init(rowsOf owner: TestRole) throws {
        let suffix = UUID().uuidString.lowercased().replacingOccurrences(of: "-", with: "")
        name = "app_" + suffix
        schema = owner.schema
        password = String(suffix.reversed())
        ownsSchema = false
        let admin = try TestDatabase.connect()
        try admin.query("CREATE ROLE \(name) LOGIN PASSWORD '\(password)'")
        try admin.query("GRANT USAGE ON SCHEMA \(schema) TO \(name)")
        try admin.query(
            """
            ALTER DEFAULT PRIVILEGES FOR ROLE \(owner.name) IN SCHEMA \(schema)
                GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO \(name)
            """)
    }

    /// `DATABASE_URL` as this role, with its schema first on `search_path`.
    func url() throws -> String {
        let base = try TestDatabase.url(options: "-c search_path=\(schema)")
        guard var components = URLComponents(string: base) else { throw TestHTTPClient.Failure("not a URL: \(base)") }
        components.user = name
        components.password = password
        guard let url = components.string else { throw TestHTTPClient.Failure("no URL for role \(name)") }
        return url
    }

    /// Runs `body` with a new role and a service connecting as it, in its schema; both are gone afterwards. All of
    /// it, setting up and tearing down included, on a thread of its own (see ``blocking(_:)``): waiting for the
    /// service to be ready or to stop on Swift's cooperative pool would stall every other suite's server.
    static func withService(
        configure: @escaping @Sendable (inout ServiceConfiguration) -> Void = { _ in },
        _ body: @escaping @Sendable (TestRole, TestService) throws -> Void
    ) async throws {
        try await blocking {
            let role = try TestRole()
            defer { role.drop() }
            let url = try role.url()
            let service = try TestService(schema: role.schema) { configuration in
                configuration.databaseURL = url
                configure(&configuration)
            }
            defer { service.stop() }
            try body(role, service)
        }
    }

    /// A connection as this role.
    func connect() throws -> PostgresConnection {
        try PostgresConnection(url())
    }

    /// `ALTER ROLE <name> <clause>`, e.g. `CONNECTION LIMIT 4` or `SET default_transaction_read_only = on`.
    func alter(_ clause: String) throws {
        try TestDatabase.connect().query("ALTER ROLE \(name) \(clause)")
    }

    /// Ends every session of this role, as an operator or a failover would, and waits until they have exited.
    @discardableResult
    func terminateSessions() throws -> Int {
        let result = try TestDatabase.connect().query(
            "SELECT count(*) FILTER (WHERE pg_terminate_backend(pid, 5000)) FROM pg_stat_activity WHERE usename = $1",
            [name])
        return try result.int(0, 0) ?? 0
    }

    /// The sessions this role has open now.
    func sessionCount() throws -> Int {
        try TestDatabase.connect().query("SELECT count(*) FROM pg_stat_activity WHERE usename = $1", [name])
            .int(0, 0) ?? 0
    }

    /// Drops the schema (when it owns it) and the role; stop whatever uses the role first, and drop a role made
    /// with ``init(rowsOf:)`` before its owner.
    func drop() {
        _ = try? terminateSessions()
        guard let admin = try? TestDatabase.connect() else { return }
        if ownsSchema { _ = try? admin.query("DROP SCHEMA \(schema) CASCADE") }
        _ = try? admin.query("DROP OWNED BY \(name)")
        _ = try? admin.query("DROP ROLE \(name)")
    }
}
