import ArgumentParser
import Foundation
import ImageService
import Logging

/// `imageproc migrate`: brings the database's schema to this binary's version, as the role it connects with (the
/// schema's owner), and exits. `serve` may then connect as a role that can only read and write rows: it waits for
/// the schema instead of changing it (k8s runs this as an init container with the owner's credentials).
struct MigrateCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "migrate", abstract: "Apply the database migrations this binary knows, then exit.")

    @Option(name: .customLong(ServeSetting.databaseURL.flag), help: .init(ServeSetting.databaseURL.help))
    var databaseURL: String?

    @Option(help: "Seconds to wait for the database to become available, 0 to 3600.")
    var waitSeconds = 60

    func validate() throws {
        guard (0...3600).contains(waitSeconds) else { throw ValidationError("--wait-seconds must be 0 to 3600") }
    }

    func run() throws {
        LoggingSystem.bootstrap { LogFormat.text.handler(label: $0, level: .info) }
        let logger = Logger(label: "imageproc")
        let conninfo = databaseURL ?? ProcessInfo.processInfo.environment[ServeSetting.databaseURL.environmentVariable]
        let applied: [Int]
        do {
            applied = try Migrations.runWhenAvailable(
                conninfo: conninfo ?? "", patience: .seconds(waitSeconds), logger: logger)
        } catch {
            // An operator reads this: the server's own words (a missing database, a refused password), not the
            // generic description a client would get.
            throw ValidationError(Migrations.explain(error))
        }
        logger.info(
            applied.isEmpty ? "schema already current" : "schema migrated",
            metadata: ["db.migrations": "\(applied)", "db.schema_version": "\(Migrations.latestVersion)"])
    }
}
