import ArgumentParser
import Dispatch
import Foundation
import Logging
import STSCheck
import STSCore
import STSPoller
import STSStore

/// `stswatch poll`: the poller in the foreground, the only steady writer of the cache.
struct PollCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "poll",
        abstract: "Check the monitored domains when they are due and record the results in the cache.",
        discussion: """
            Runs in the foreground until SIGINT or SIGTERM (then finishes the checks in flight, \
            for at most 10 seconds, and exits 0). --once checks every due domain and exits, for \
            cron. Only one poller may write a database: a second one exits 2 naming the first. \
            Report sources in [reports] (maildir, path, imap) are read every [reports] interval \
            (default 15m), and once with --once; a failing source is logged and retried. \
            Logs go to standard error, or to --log-file.
            """)

    @Flag(name: .long, help: "Check every due domain (and requested re-checks) once, then exit.")
    var once = false
    @Option(name: .long, help: ArgumentHelp("Default time between two checks of a domain, e.g. 15m (default 15m).", valueName: "duration"))
    var interval: String?
    @Option(name: .customLong("log-file"), help: ArgumentHelp("Append the log to this file instead of standard error.", valueName: "path"))
    var logFile: String?
    @Flag(name: .long, help: "Log every check, not only rounds and events.")
    var verbose = false
    @OptionGroup var storeOptions: StoreOptions
    @OptionGroup var probeOptions: ProbeOptions
    @OptionGroup var configOptions: ConfigOptions

    func run() async throws {
        var config = try AppConfig.load(configOptions, probe: probeOptions)
        if let text = interval {
            let d = try durationOption(text, "interval", example: "15m or 1h")
            config.poll.schedule.interval = TimeInterval(d.components.seconds)
        }
        let path = config.databasePath(storeOptions.db)
        let sink: LineLogHandler.Sink
        do {
            sink = try LineLogHandler.Sink(path: logFile ?? config.logFile)
        } catch {
            Output.error(error.description)
            throw ExitCode(ExitStatus.ioError)
        }
        let level: Logger.Level = verbose ? .debug : .info
        let logger = Logger(label: "stswatch.poller") { label in LineLogHandler(label: label, sink: sink, level: level) }

        let lock: WriterLock
        do {
            lock = try WriterLock.acquire(for: path)
        } catch {
            Output.error(error.description)
            throw ExitCode(ExitStatus.ioError)
        }
        defer { lock.release() }
        let store = try CacheAccess.open(path, mode: .readWrite)
        let environment: CheckEnvironment
        do {
            environment = try CheckEnvironment.live(config.probe)
        } catch {
            Output.error("cannot start the resolver: \(error)")
            throw ExitCode(ExitStatus.ioError)
        }
        let poller = Poller(store: store, environment: environment, settings: config.pollSettings, logger: logger)
        let collector = ReportCollector(poller: poller, settings: config.reports)
        let stop = PollerStop()
        let signals = SignalWatcher(signals: [SIGINT, SIGTERM]) { signal in
            logger.notice("received signal \(signal): stopping")
            stop.stop()
        }
        defer { signals.cancel() }

        if once {
            do {
                let report = try await poller.runOnce(stop: stop)
                // A report source that fails is logged by the collector; it does not change the exit status.
                await collector.runOnce()
                if report.recordErrors > 0 { throw ExitCode(ExitStatus.ioError) }
            } catch let error as ExitCode {
                throw error
            } catch {
                logger.error("round failed: \(error)")
                throw ExitCode(ExitStatus.ioError)
            }
        } else {
            async let reports: Void = collector.run(until: stop)
            await poller.run(until: stop)
            await reports
        }
    }
}

/// Turns SIGINT and SIGTERM into a call, on a dispatch queue, instead of killing the process.
///
/// The signals are ignored first so their default action (terminate) never runs; the
/// dispatch sources still see them. Cancelling restores the default action.
final class SignalWatcher {
    private let sources: [any DispatchSourceSignal]
    private let signals: [Int32]

    init(signals: [Int32], handler: @escaping @Sendable (Int32) -> Void) {
        self.signals = signals
        let queue = DispatchQueue(label: "stswatch.signals")
        sources = signals.map { number in
            signal(number, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: number, queue: queue)
            source.setEventHandler { handler(number) }
            source.resume()
            return source
        }
    }

    func cancel() {
        sources.forEach { $0.cancel() }
        signals.forEach { signal($0, SIG_DFL) }
    }
}
