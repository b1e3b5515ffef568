import ArgumentParser
import Foundation
import STSCore
import STSStore

/// `stswatch events`: what changed, oldest first.
struct EventsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "events",
        abstract: "List recorded changes (status, policy id, mode, MX set, certificates, STARTTLS, TLS-RPT), oldest first.")

    @Option(name: .long, help: "Only this domain.")
    var domain: String?
    @Option(name: .long, help: ArgumentHelp("Only events in this past period, e.g. 24h or 7d.", valueName: "duration"))
    var since: String?
    @Option(name: .long, help: "At most this many (the newest), default 1000.")
    var limit = 1000
    @Flag(name: .long, help: "Print one JSON object per event per line.")
    var json = false
    @OptionGroup var storeOptions: StoreOptions
    @OptionGroup var configOptions: ConfigOptions

    func validate() throws {
        if let domain { try validateDomainArguments([domain]) }
        if let since { _ = try durationOption(since, "since", example: "30m, 24h or 7d", allowZero: true) }
        guard limit > 0 else { throw ValidationError("--limit must be at least 1") }
    }

    func run() throws {
        let config = try AppConfig.load(configOptions)
        let store = try CacheAccess.open(config.databasePath(storeOptions.db), mode: .readOnly)
        let from = since.flatMap(DurationText.parse).map { Date().addingTimeInterval(-TimeInterval($0.components.seconds)) }
        let events = try CacheAccess.attempt { try store.events(domain: domain, since: from, limit: limit) }
        for event in events.reversed() {
            if json {
                try Output.jsonLine(event)
            } else {
                let severity = Output.styled(event.severity.rawValue.uppercased().padding(toLength: 4, withPad: " ", startingAt: 0),
                                             Output.style(for: event.severity))
                Output.line("\(event.at.formatted(.iso8601))  \(severity)  \(event.domain)  \(event.kind.rawValue) [\(Output.safe(event.subject))] \(Output.safe(event.message))")
            }
        }
    }
}
