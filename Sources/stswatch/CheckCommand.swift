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
