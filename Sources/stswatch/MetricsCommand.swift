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
        // The temporary file sits beside the target so the rename stays within one file system.
        let target = URL(fileURLWithPath: output)
        let temporary = target.deletingLastPathComponent()
            .appendingPathComponent(".\(target.lastPathComponent).\(ProcessInfo.processInfo.processIdentifier).tmp")
        do {
            try Data(text.utf8).write(to: temporary)
            guard rename(temporary.path, target.path) == 0 else {
                let reason = String(cString: strerror(errno))
                try? FileManager.default.removeItem(at: temporary)
                Output.error("\(output): cannot replace it: \(reason)")
                throw ExitCode(ExitStatus.ioError)
            }
        } catch let error as ExitCode {
            throw error
        } catch {
            Output.error("\(output): cannot write: \(error.localizedDescription)")
            throw ExitCode(ExitStatus.ioError)
        }
    }
}
