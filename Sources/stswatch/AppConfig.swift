import ArgumentParser
import Foundation
import STSCheck
import STSCore
import STSIngest
import STSPoller
import STSStore

/// Options that choose the configuration file.
struct ConfigOptions: ParsableArguments {
    @Option(name: .long, help: ArgumentHelp("Configuration file (default: $XDG_CONFIG_HOME/stswatch/stswatch.conf when it exists).", valueName: "path"))
    var config: String?
}

/// Options of every command that probes domains; each overrides the configuration file.
struct ProbeOptions: ParsableArguments {
    @Option(name: .long, help: ArgumentHelp("DNS server to ask, ADDRESS[:PORT] (default: the system's resolver).", valueName: "address"))
    var resolver: String?

    @Option(name: .customLong("ca-file"), help: ArgumentHelp("PEM file of trust anchors instead of the system store.", valueName: "path"))
    var caFile: String?

    @Option(name: .long, help: "Domains checked at the same time (default 64).")
    var concurrency: Int?

    @Option(name: .long, help: ArgumentHelp("Bound on one HTTPS fetch or SMTP reply, e.g. 30s.", valueName: "duration"))
    var timeout: String?

    @Option(name: .customLong("connect-timeout"), help: ArgumentHelp("Bound on one TCP connection, e.g. 10s.", valueName: "duration"))
    var connectTimeout: String?

    @Option(name: .long, help: ArgumentHelp("Bound on the whole check of one domain, e.g. 90s.", valueName: "duration"))
    var deadline: String?

    @Option(name: .customLong("warn-days"), help: "Warn when a certificate expires within this many days (default 21).")
    var warnDays: Int?

    @Option(name: .customLong("crit-days"), help: "Critical when a certificate expires within this many days (default 7).")
    var critDays: Int?

    @Option(name: .customLong("smtp-port"), help: "Port of the SMTP probes (default 25).")
    var smtpPort: Int?

    @Option(name: .customLong("ip-version"), help: ArgumentHelp("Address families to probe: 4, 6 or auto (default auto: both, except one this host cannot reach).", valueName: "4|6|auto"))
    var ipVersion: String?

    @Option(name: .customLong("allow-addresses"), help: ArgumentHelp("Non-global addresses the probes may connect to, CIDR[,CIDR...] (e.g. 127.0.0.0/8 for a lab); others are refused as mx-address-not-global.", valueName: "cidrs"))
    var allowAddresses: String?
}

/// The settings in force: defaults in code, overlaid by the configuration file, overlaid by options.
struct AppConfig {
    var probe = ProbeSettings()
    var check = CheckSettings()
    /// The schedule and retention of `poll` (`[poll]`); `check` above is copied in by ``pollSettings``.
    var poll = PollSettings()
    /// `[poll] log_file`: where `poll` logs instead of standard error.
    var logFile: String?
    /// `[reports]`: where the poller reads TLS-RPT reports from, and how often.
    var reports = ReportSourceSettings()
    /// `[store] db`: the cache, instead of `Store.defaultPath()`.
    var db: String?
    var file: ConfigFile?
    var filePath: String?

    static func defaultConfigPath() -> String {
        let env = ProcessInfo.processInfo.environment
        let base = env["XDG_CONFIG_HOME"].flatMap { $0.isEmpty ? nil : $0 } ?? (NSHomeDirectory() + "/.config")
        return base + "/stswatch/stswatch.conf"
    }

    /// Loads the configuration file (warnings to standard error) and applies the options.
    static func load(_ configOptions: ConfigOptions, probe options: ProbeOptions? = nil) throws -> AppConfig {
        var config = AppConfig()
        let explicit = configOptions.config ?? ProcessInfo.processInfo.environment["STSWATCH_CONFIG"]
        let path = explicit ?? defaultConfigPath()
        if explicit != nil || FileManager.default.fileExists(atPath: path) {
            guard let text = try? String(contentsOfFile: path, encoding: .utf8) else {
                Output.error("\(path): cannot read the configuration file")
                throw ExitCode(ExitStatus.ioError)
            }
            do {
                let file = try ConfigFile.parse(text, file: path)
                file.warnings.forEach { Output.error("warning: \($0)") }
                config.file = file
                config.filePath = path
                try config.apply(file, path: path)
            } catch let error as ConfigFile.ParseError {
                Output.error(error.description)
                throw ExitCode(ExitStatus.ioError)
            }
        }
        if let options { try config.apply(options) }
        return config
    }

    private mutating func apply(_ file: ConfigFile, path: String) throws {
        if let v = file.value("check", "resolver") { probe.resolver = v.value }
        if let v = file.value("check", "ca_file") { probe.caFile = v.value }
        if let v = file.value("check", "ehlo_name") { probe.ehloName = v.value }
        if let n = try file.integer("check", "concurrency", file: path, in: 1...4096) { check.concurrency = n }
        if let n = try file.integer("check", "smtp_port", file: path, in: 1...65535) { probe.smtpPort = n }
        if let n = try file.integer("check", "warn_days", file: path, in: 0...3650) { check.judgement.warnDays = n }
        if let n = try file.integer("check", "crit_days", file: path, in: 0...3650) { check.judgement.critDays = n }
        if let d = try file.duration("check", "timeout", file: path) { probe.timeout = d }
        if let d = try file.duration("check", "connect_timeout", file: path) { probe.connectTimeout = d }
        if let d = try file.duration("check", "domain_deadline", file: path) { check.domainDeadline = d }
        if let e = file.value("probe", "ip_version") {
            guard let v = IPVersionPreference(rawValue: e.value.lowercased()) else {
                Output.error("\(path):\(e.line): ip_version must be 4, 6 or auto, not \"\(e.value)\"")
                throw ExitCode(ExitStatus.ioError)
            }
            check.destinations.ipVersion = v
        }
        for e in file.values("probe", "allow_addresses") {
            switch AddressRange.parseList(e.value) {
            case .success(let ranges): check.destinations.allowed += ranges
            case .failure(let error):
                Output.error("\(path):\(e.line): allow_addresses: \(error)")
                throw ExitCode(ExitStatus.ioError)
            }
        }
        if let n = try file.integer("probe", "connections_per_minute", file: path, in: 1...600) { poll.connectionsPerMinute = n }
        if let v = file.value("store", "db"), !v.value.isEmpty { db = v.value }
        if let v = file.value("poll", "log_file"), !v.value.isEmpty { logFile = v.value }
        /// A value the parser accepts but the poller cannot use: explained here, as the parser's errors are.
        func invalid(_ entry: ConfigFile.Entry, _ message: String) -> ExitCode {
            Output.error("\(path):\(entry.line): \(message)")
            return ExitCode(ExitStatus.ioError)
        }
        func seconds(_ key: String) throws -> TimeInterval? {
            guard let d = try file.duration("poll", key, file: path), let entry = file.value("poll", key) else { return nil }
            guard d > .zero else {
                throw invalid(entry, "\(key) must be longer than 0 seconds, not \"\(entry.value)\"")
            }
            return TimeInterval(d.components.seconds)
        }
        if let s = try seconds("interval") { poll.schedule.interval = s }
        if let s = try seconds("retry_min") { poll.schedule.retryMin = s }
        if let s = try seconds("retry_max") { poll.schedule.retryMax = s }
        if let s = try seconds("retention") { poll.retention = s }
        if let s = try seconds("mx_interval") { poll.mxInterval = s }
        try applyReports(file, path: path, invalid: invalid)
        if let e = file.value("poll", "jitter") {
            guard let j = JitterText.parse(e.value) else {
                throw invalid(e, "jitter must be a fraction from 0 to 0.5 or a percentage such as 10%, not \"\(e.value)\"")
            }
            poll.schedule.jitter = j
        }
    }

    /// `[reports]`: paths and Maildirs, IMAP mailboxes with their password's origin, the interval.
    private mutating func applyReports(_ file: ConfigFile, path: String, invalid: (ConfigFile.Entry, String) -> ExitCode) throws {
        reports.paths = (file.values("reports", "maildir") + file.values("reports", "path")).map(\.value).filter { !$0.isEmpty }
        let caFile = file.value("reports", "imap_ca_file").map(\.value).flatMap { $0.isEmpty ? nil : $0 }
        for entry in file.values("reports", "imap") {
            do {
                reports.mailboxes.append(try IMAPSource(url: entry.value, caFile: caFile))
            } catch {
                throw invalid(entry, error.description)
            }
        }
        let passwordFile = file.value("reports", "imap_password_file"), passwordEnv = file.value("reports", "imap_password_env")
        if let passwordFile, let passwordEnv {
            throw invalid(passwordEnv, "set imap_password_env or imap_password_file (line \(passwordFile.line)), not both")
        }
        if let passwordFile { reports.password = .file(passwordFile.value) }
        if let passwordEnv { reports.password = .environment(passwordEnv.value) }
        if let d = try file.duration("reports", "interval", file: path), let entry = file.value("reports", "interval") {
            guard d > .zero else { throw invalid(entry, "interval must be longer than 0 seconds, not \"\(entry.value)\"") }
            reports.interval = TimeInterval(d.components.seconds)
        }
    }

    /// The database path: the option, else `[store] db`, else the default.
    func databasePath(_ option: String?) -> String {
        option ?? db ?? Store.defaultPath()
    }

    /// The poller's settings with the check settings in force.
    var pollSettings: PollSettings {
        var p = poll
        p.check = check
        return p
    }

    private mutating func apply(_ o: ProbeOptions) throws {
        func duration(_ text: String?, _ name: String) throws -> Duration? {
            guard let text else { return nil }
            return try durationOption(text, name, example: "30s, 2m or 1h")
        }
        if let v = o.resolver { probe.resolver = v }
        if let v = o.caFile { probe.caFile = v }
        if let v = o.concurrency {
            guard v >= 1 else { throw ValidationError("--concurrency must be at least 1") }
            check.concurrency = v
        }
        if let v = o.smtpPort { probe.smtpPort = v }
        if let v = o.warnDays { check.judgement.warnDays = v }
        if let v = o.critDays { check.judgement.critDays = v }
        if let d = try duration(o.timeout, "timeout") { probe.timeout = d }
        if let d = try duration(o.connectTimeout, "connect-timeout") { probe.connectTimeout = d }
        if let d = try duration(o.deadline, "deadline") { check.domainDeadline = d }
        if let v = o.ipVersion {
            guard let version = IPVersionPreference(rawValue: v.lowercased()) else {
                throw ValidationError("--ip-version must be 4, 6 or auto, not \"\(v)\"")
            }
            check.destinations.ipVersion = version
        }
        if let v = o.allowAddresses {
            switch AddressRange.parseList(v) {
            case .success(let ranges): check.destinations.allowed += ranges
            case .failure(let error): throw ValidationError("--allow-addresses: \(error)")
            }
        }
        if let ca = probe.caFile, !FileManager.default.isReadableFile(atPath: ca) {
            throw ValidationError("--ca-file \(ca): no such readable file")
        }
    }
}

/// The jitter as written in the configuration: a fraction (`0.1`) or a percentage (`10%`), at most half the interval.
enum JitterText {
    static func parse(_ text: String) -> Double? {
        let t = text.trimmingCharacters(in: .whitespaces)
        let value: Double? = t.hasSuffix("%") ? Double(t.dropLast()).map { $0 / 100 } : Double(t)
        guard let value, value.isFinite, (0...0.5).contains(value) else { return nil }
        return value
    }
}

/// `--db`, for every command that reads or writes the cache.
struct StoreOptions: ParsableArguments {
    @Option(name: .long, help: ArgumentHelp("The cache database (default: [store] db in the config file, else $XDG_DATA_HOME/stswatch/stswatch.sqlite).", valueName: "path"))
    var db: String?
}

/// Opens the cache for a command, explaining failures on standard error.
enum CacheAccess {
    /// Opens the store; on failure prints why and exits with `status`.
    static func open(_ path: String, mode: Store.Mode, failureStatus: Int32 = ExitStatus.ioError) throws -> Store {
        do {
            return try Store(path: path, mode: mode)
        } catch let error as StoreError {
            Output.error(error.description)
            throw ExitCode(failureStatus)
        } catch {
            Output.error("\(path): \(error)")
            throw ExitCode(failureStatus)
        }
    }

    /// Runs a store call; a failure is printed and becomes the exit status.
    static func attempt<T>(failureStatus: Int32 = ExitStatus.ioError, _ body: () throws -> T) throws -> T {
        do {
            return try body()
        } catch let error as StoreError {
            Output.error(error.description)
            throw ExitCode(failureStatus)
        } catch let error as ExitCode {
            throw error
        } catch {
            Output.error("\(error)")
            throw ExitCode(failureStatus)
        }
    }
}

/// A duration given on the command line (positive unless `allowZero`, at most 3650 days), or a usage error naming the option.
func durationOption(_ text: String, _ name: String, example: String, allowZero: Bool = false) throws -> Duration {
    let d: Duration
    do {
        d = try DurationText.parseChecked(text)
    } catch .tooLong {
        throw ValidationError("--\(name) must be at most 3650d (10 years), not \"\(text)\"")
    } catch {
        throw ValidationError("--\(name) must be a duration like \(example), not \"\(text)\"")
    }
    guard d > .zero || allowZero else { throw ValidationError("--\(name) must be longer than 0 seconds, not \"\(text)\"") }
    return d
}
