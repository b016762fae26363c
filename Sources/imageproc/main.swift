import ArgumentParser

/// `imageproc`: the image-processing service and its command-line tools.
struct Imageproc: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "imageproc",
        abstract: "A self-hosted image-processing service: HTTP API, worker pool, C kernel, PostgreSQL storage.",
        subcommands: [ServeCommand.self, MigrateCommand.self, ProcessCommand.self],
        defaultSubcommand: ServeCommand.self)
}

Imageproc.main()
