import ArgumentParser
import STSCore

/// The `stswatch` command: the dashboard by default, and subcommands for scripts.
@main
struct Stswatch: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "stswatch",
        abstract: "Watch MTA-STS and TLS-RPT protection of your mail domains.",
        subcommands: [DashboardCommand.self, CheckCommand.self, LintCommand.self, PollCommand.self, AddCommand.self, RemoveCommand.self,
                      DomainsCommand.self, StatusCommand.self, EventsCommand.self, RecheckCommand.self, MetricsCommand.self,
                      IngestCommand.self, ReportsCommand.self, FailuresCommand.self],
        defaultSubcommand: DashboardCommand.self
    )
}
