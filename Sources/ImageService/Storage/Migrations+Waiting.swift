import Foundation
import Logging
import PostgresClient

extension Migrations {
    /// Connects to `conninfo` and applies what is missing (``run(on:migrations:)``), retrying while the database is
    /// unavailable (not up yet, restarting, failing over) for at most `patience`: what `imageproc migrate` does
    /// before `serve` starts, e.g. as an init container beside a database that starts at the same time. Any other
    /// error (a role that may not create tables, a broken migration) is thrown at once.
    public static func runWhenAvailable(
        conninfo: String, patience: Duration, logger: Logger
    ) throws -> [Int] {
        let deadline = ContinuousClock.now + patience
        var reconnect = ReconnectPolicy(initial: .milliseconds(200), maximum: .seconds(5))
        while true {
            do {
                return try run(on: try PostgresConnection(conninfo))
            } catch let error as PostgresError where error.isUnavailable && ContinuousClock.now < deadline {
                let delay = reconnect.failed(error, logger: logger, "database unavailable, retrying")
                Thread.sleep(forTimeInterval: min(delay, deadline - .now).seconds)
            }
        }
    }

    /// What went wrong, for the operator running `imageproc migrate`: the server's or libpq's message, and what to
    /// do when the role may not change the schema.
    public static func explain(_ error: any Error) -> String {
        guard let error = error as? PostgresError else { return "cannot migrate: \(error)" }
        if error.code == .insufficientPrivilege {
            return "this role may not change the schema (\(error.message)): run imageproc migrate as the database's "
                + "owner; serve may then run as a role that only reads and writes rows"
        }
        return "cannot migrate: \(error.message)"
    }
}
