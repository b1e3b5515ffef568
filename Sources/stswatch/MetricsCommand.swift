import ArgumentParser
import Foundation
import STSPoller
import STSStore

/// `stswatch metrics`: the cache's figures for Prometheus.
struct MetricsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "metrics",
        abstract: "Print the cache's figures in the Prometheus text exposition format.",
        discussion: """
            For the node exporter's textfile collector: run it from cron or a systemd timer with \
            --output /var/lib/prometheus/node-exporter/stswatch.prom (written to a temporary file \
            and renamed, so the collector never reads half a file). Series are listed in README.md.
            """)

    @Option(name: .long, help: ArgumentHelp("Write to this file atomically instead of standard output.", valueName: "path"))
    var output: String?
    @OptionGroup var storeOptions: StoreOptions
    @OptionGroup var configOptions: ConfigOptions

    func run() throws {
        let config = try AppConfig.load(configOptions)
        let store = try CacheAccess.open(config.databasePath(storeOptions.db), mode: .readOnly)
        let snapshot = try CacheAccess.attempt { try store.metricsSnapshot(now: Date()) }
        let text = MetricsExposition.render(snapshot)
        guard let output else {
            FileHandle.standardOutput.write(Data(text.utf8))
            return
        }
        do {
            try MetricsFile.write(text, to: output)
        } catch {
            Output.error(error.description)
            throw ExitCode(ExitStatus.ioError)
        }
    }
}
