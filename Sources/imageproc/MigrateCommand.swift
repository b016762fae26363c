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

    @Option(help: "Seconds to wait for the database to become available.")
    var waitSeconds = 60

    func run() throws {
        LoggingSystem.bootstrap { LogFormat.text.handler(label: $0, level: .info) }
        let logger = Logger(label: "imageproc")
        let conninfo = databaseURL ?? ProcessInfo.processInfo.environment[ServeSetting.databaseURL.environmentVariable]
        let applied = try Migrations.runWhenAvailable(
            conninfo: conninfo ?? "", patience: .seconds(waitSeconds), logger: logger)
        logger.info(
            applied.isEmpty ? "schema already current" : "schema migrated",
            metadata: ["db.migrations": "\(applied)", "db.schema_version": "\(Migrations.latestVersion)"])
    }
}
