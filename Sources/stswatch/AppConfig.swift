import ArgumentParser
import Foundation
import STSCheck
import STSCore

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
}

/// The settings in force: defaults in code, overlaid by the configuration file, overlaid by options.
struct AppConfig {
    var probe = ProbeSettings()
    var check = CheckSettings()
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
    }

    private mutating func apply(_ o: ProbeOptions) throws {
        func duration(_ text: String?, _ name: String) throws -> Duration? {
            guard let text else { return nil }
            guard let d = DurationText.parse(text), d > .zero else {
                throw ValidationError("--\(name) must be a duration like 30s, 2m or 1h, not \"\(text)\"")
            }
            return d
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
        if let ca = probe.caFile, !FileManager.default.isReadableFile(atPath: ca) {
            throw ValidationError("--ca-file \(ca): no such readable file")
        }
    }
}
