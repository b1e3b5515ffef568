import ArgumentParser
import Dispatch
import Foundation
import Logging
import STSCheck
import STSCore
import STSDashboard
import STSDashboardSource
import STSLab
import STSPoller
import STSStore
import STSTerminal

/// `stswatch` / `stswatch dashboard`: the terminal dashboard over the cache, with the poller inside when none runs.
struct DashboardCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "dashboard",
        abstract: "Open the terminal dashboard (the default command).",
        discussion: """
            Shows every watched domain, its detail, and the TLS-RPT failures reported for it. If no \
            `stswatch poll` holds the database's writer lock, the dashboard runs the poller itself \
            (logging to $XDG_STATE_HOME/stswatch/dashboard.log, or [poll] log_file); otherwise it \
            names the poller's pid and only reads. With --demo, or with the default database, no \
            domains yet and the lab installed beside the executable (../share/stswatch/lab, or the \
            source tree it was built in), it starts the loopback lab (root needed: it binds ports \
            25, 53 and 443 on 127.77.0.0/16) and shows every lab scenario with generated TLS-RPT \
            reports, offline. The lab is never looked for in the working directory or the environment.
            """)

    @Option(name: .long, help: ArgumentHelp("Colour theme: a name from the themes folders or a .theme file (default: [dashboard] theme, else dark).", valueName: "name|path"))
    var theme: String?
    @Flag(name: .long, help: "Show the self-contained demo: the loopback lab's scenario domains and generated reports, in a separate database.")
    var demo = false
    @Flag(name: .customLong("no-poll"), help: "Do not run the poller in this process, even when no other poller runs.")
    var noPoll = false
    @Option(name: .customLong("log-file"), help: ArgumentHelp("Where the embedded poller logs (default: [poll] log_file, else $XDG_STATE_HOME/stswatch/dashboard.log).", valueName: "path"))
    var logFile: String?
    @OptionGroup var storeOptions: StoreOptions
    @OptionGroup var probeOptions: ProbeOptions
    @OptionGroup var configOptions: ConfigOptions

    func run() throws {
        var config = try AppConfig.load(configOptions, probe: probeOptions)
        let themes = try Self.themes(chosen: theme ?? config.file?.value("dashboard", "theme")?.value)
        let explicitDB = storeOptions.db ?? config.db
        var path = config.databasePath(storeOptions.db)
        var demoSession: DemoSession?
        // Unasked, the demo opens only with nothing else to show and a lab installed beside the binary.
        if demo || (explicitDB == nil && Self.hasNoDomains(path) && (try? Lab.installedScript().get()) != nil) {
            demoSession = try DemoSession.start(config: &config)
            path = demoSession!.databasePath
        }
        defer { demoSession?.stop() }

        let logPath = logFile ?? config.logFile ?? Self.defaultLogPath()
        var poller: EmbeddedPoller?
        var fixedState = PollerState(mode: .stopped)
        if !noPoll {
            do {
                let lock = try WriterLock.acquire(for: path, program: "stswatch dashboard")
                poller = try EmbeddedPoller.start(path: path, lock: lock, config: config, logPath: logPath)
            } catch let failure as WriterLock.Failure {
                if case .held(_, let holder) = failure {
                    fixedState = PollerState(mode: .external(pid: holder?.pid ?? 0))
                } else {
                    fixedState = PollerState(mode: .stopped, lastError: failure.description)
                }
            } catch let failure as EmbeddedPoller.StartFailure {
                fixedState = PollerState(mode: .stopped, lastError: failure.description)
            }
        }
        defer { poller?.stop() }
        let store = try CacheAccess.open(path, mode: .readWrite)
        let source = StoreDataSource(store: store, pollerState: {
            if let poller { return poller.state }
            var state = fixedState
            if case .external = state.mode { state.nextDue = try? store.nextDueAt() }
            return state
        })
        var options = DashboardRunOptions()
        options.initialMessage = demoSession?.message
        do {
            try Dashboard.run(source: source, themes: themes, options: options)
        } catch {
            Output.error("cannot start the dashboard: \(error)")
            throw ExitCode(ExitStatus.ioError)
        }
    }

    /// True when the database has no domains, or does not exist yet: the demo's cue.
    static func hasNoDomains(_ path: String) -> Bool {
        guard FileManager.default.fileExists(atPath: path) else { return true }
        guard let store = try? Store(path: path, mode: .readOnly), let domains = try? store.domains() else { return false }
        return domains.isEmpty
    }

    static func defaultLogPath() -> String {
        let env = ProcessInfo.processInfo.environment
        let base = env["XDG_STATE_HOME"].flatMap { $0.isEmpty ? nil : $0 } ?? (NSHomeDirectory() + "/.local/state")
        return base + "/stswatch/dashboard.log"
    }

    /// Where themes are looked for: the repository's `themes/` beside the executable's package, the user's, the system's.
    static func themeSearchPaths() -> [String] {
        var paths: [String] = []
        var dir = URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath().deletingLastPathComponent()
        for _ in 0..<6 {
            let candidate = dir.appendingPathComponent("themes").path
            if FileManager.default.fileExists(atPath: candidate + "/dark.theme") {
                paths.append(candidate)
                break
            }
            dir.deleteLastPathComponent()
        }
        let env = ProcessInfo.processInfo.environment
        let data = env["XDG_DATA_HOME"].flatMap { $0.isEmpty ? nil : $0 } ?? (NSHomeDirectory() + "/.local/share")
        paths.append(data + "/stswatch/themes")
        paths.append("/usr/share/stswatch/themes")
        return paths
    }

    /// Every theme for the `t` cycle, the chosen one first; warnings go to standard error before the screen opens.
    static func themes(chosen: String?) throws -> [Theme] {
        let paths = themeSearchPaths()
        let (all, warnings) = Theme.loadAll(searchPaths: paths)
        warnings.forEach { Output.error("warning: \($0)") }
        guard let chosen, !chosen.isEmpty else { return all }
        do {
            let (theme, more) = try Theme.load(nameOrPath: chosen, searchPaths: paths)
            more.forEach { Output.error("warning: \($0)") }
            return [theme] + all.filter { $0.name != theme.name }
        } catch {
            Output.error("\(error)")
            throw ExitCode(ExitStatus.ioError)
        }
    }
}

/// The poller running inside the dashboard's process, on the cooperative pool, logging to a file.
final class EmbeddedPoller: Sendable {
    let poller: Poller
    let stopRequest = PollerStop()
    let lock: WriterLock
    let finished = DispatchSemaphore(value: 0)

    struct StartFailure: Error, CustomStringConvertible {
        var description: String
    }

    private init(poller: Poller, lock: WriterLock) {
        self.poller = poller
        self.lock = lock
    }

    static func start(path: String, lock: WriterLock, config: AppConfig, logPath: String) throws -> EmbeddedPoller {
        do {
            try FileManager.default.createDirectory(atPath: URL(fileURLWithPath: logPath).deletingLastPathComponent().path,
                                                    withIntermediateDirectories: true)
            let sink = try LineLogHandler.Sink(path: logPath)
            let logger = Logger(label: "stswatch.poller") { label in LineLogHandler(label: label, sink: sink, level: .info) }
            let store = try Store(path: path, mode: .readWrite)
            let environment = try CheckEnvironment.live(config.probe)
            let embedded = EmbeddedPoller(poller: Poller(store: store, environment: environment, settings: config.pollSettings, logger: logger),
                                          lock: lock)
            Task.detached {
                await embedded.poller.run(until: embedded.stopRequest)
                embedded.finished.signal()
            }
            return embedded
        } catch {
            lock.release()
            throw StartFailure(description: "the poller could not start: \(error)")
        }
    }

    /// The status line's view of the poller.
    var state: PollerState {
        let s = poller.status
        return PollerState(mode: s.state == .stopped ? .stopped : .embedded, lastRound: s.lastRoundEnd, nextDue: s.nextDue, note: s.note)
    }

    /// Stops the poller, waits for the checks in flight (at most the grace period and a little), and releases the lock.
    func stop() {
        stopRequest.stop()
        _ = finished.wait(timeout: .now() + poller.settings.stopGrace + 5)
        lock.release()
    }
}
