import ArgumentParser
import Foundation
import STSCheck
import STSCore

/// `stswatch check`: probe domains live, the way a sending MTA honouring MTA-STS would.
struct CheckCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "check",
        abstract: "Check domains live: DNS, the MTA-STS policy over HTTPS, and STARTTLS on every MX.",
        discussion: """
            Exit status follows the monitoring-plugin convention, the worst over all domains: \
            0 ok, 1 warn, 2 crit, 3 unknown. It drops into Nagios, Icinga or cron unchanged.
            """)

    @Argument(help: "Domains to check (internationalised names are accepted).")
    var domains: [String]

    @Flag(name: .long, help: "Print one JSON object per domain per line.")
    var json = false

    @OptionGroup var probeOptions: ProbeOptions
    @OptionGroup var configOptions: ConfigOptions

    func validate() throws {
        for domain in domains {
            do { _ = try DomainName.normalize(domain) } catch {
                throw ValidationError("\"\(domain)\" is not a domain name: \(error)")
            }
        }
    }

    func run() async throws {
        let config = try AppConfig.load(configOptions, probe: probeOptions)
        let environment: CheckEnvironment
        do {
            environment = try CheckEnvironment.live(config.probe)
        } catch {
            Output.error("cannot start the resolver: \(error)")
            throw ExitCode(DomainStatus.unknown.exitCode)
        }
        let checker = Checker(environment: environment, settings: config.check)
        let names = domains.map(DomainName.canonical)
        let results = await checker.check(names)
        for result in results {
            if json {
                try Output.jsonLine(result.assessment)
            } else {
                AssessmentText.print(result.assessment, now: environment.now())
            }
        }
        let worst = results.map(\.assessment.status).max() ?? .unknown
        if worst != .ok { throw ExitCode(worst.exitCode) }
    }
}

/// The readable form of an assessment, grouped as MTA-STS, TLS-RPT, MX hosts, findings.
enum AssessmentText {
    static func print(_ a: Assessment, now: Date) {
        let s = Output.safe
        Output.line("\(Output.styled(a.domain, .bold))  \(Output.styled(a.status.rawValue.uppercased(), Output.style(for: a.status)))")
        let sts = a.mtaSts
        var stsLine = "  MTA-STS   TXT \(sts.txt)"
        if let id = sts.txtID { stsLine += ", id \(s(id))" }
        if let mode = sts.mode { stsLine += ", mode \(mode.rawValue)" }
        if let maxAge = sts.maxAge { stsLine += ", max_age \(maxAge) (\(Duration.seconds(maxAge).humanDays))" }
        Output.line(stsLine)
        if !sts.mx.isEmpty { Output.line("            mx \(sts.mx.map(s).joined(separator: ", "))") }
        if let fetch = sts.fetch {
            var line = "            policy \(s(fetch.url)): \(fetch.result == "ok" ? "fetched" : s(fetch.error ?? fetch.result))"
            if let cert = fetch.cert { line += "; certificate expires in \(cert.daysLeft) days" }
            Output.line(line)
        }
        Output.line("  TLS-RPT   " + (a.tlsRpt.rua.isEmpty ? "TXT \(a.tlsRpt.txt)" : a.tlsRpt.rua.map(s).joined(separator: ", ")))
        if a.mx.isEmpty {
            Output.line("  MX        (none probed)")
        }
        for mx in a.mx {
            var parts = ["\(mx.preference)", s(mx.host)]
            parts.append(mx.addresses.isEmpty ? "(no address)" : mx.addresses.map(s).joined(separator: " "))
            parts.append("STARTTLS \(mx.starttls)")
            if let v = mx.tlsVersion { parts.append(s(v)) }
            if let cert = mx.cert {
                parts.append("cert \(cert.daysLeft)d")
                parts.append(cert.trusted ? "trusted" : "untrusted")
                parts.append(cert.nameMatch ? "name ok" : "name mismatch")
            }
            if let covered = mx.coveredByPolicy { parts.append(covered ? "covered" : "NOT covered") }
            Output.line("  MX        " + parts.joined(separator: "  "))
        }
        if a.findings.isEmpty {
            Output.line("  Findings  none")
        } else {
            Output.line("  Findings")
            a.findings.forEach { Output.line(Output.render($0, indent: "    ")) }
        }
        Output.line()
    }
}
