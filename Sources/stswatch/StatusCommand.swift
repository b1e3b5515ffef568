import ArgumentParser
import Foundation
import STSCore
import STSStore

/// `stswatch status`: what the poller last saw, without probing.
struct StatusCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "status",
        abstract: "Show the latest recorded state of watched domains, from the cache (no probing).",
        discussion: """
            Output as for `check`, with the time of the check. Exit status as for `check`, the \
            worst over the domains shown (crit outranks unknown): 0 ok, 1 warn, 2 crit, 3 unknown; a domain never checked \
            counts as unknown, and so does a name that is not watched or a cache that cannot be read.
            """)

    @Argument(help: "Domains to show (default: every watched domain).")
    var domains: [String] = []
    @Flag(name: .long, help: "Print one JSON object per domain per line, as `check --json` plus checked_at.")
    var json = false
    @OptionGroup var storeOptions: StoreOptions
    @OptionGroup var configOptions: ConfigOptions

    func validate() throws { try validateDomainArguments(domains) }

    /// A watched domain the poller has not checked yet: the `check --json` keys that can be known.
    struct NeverChecked: Encodable {
        var domain: String
        var status = "unknown"
        var checkedAt: Date? = nil
        var findings: [Finding] = []

        enum CodingKeys: String, CodingKey {
            case domain, status, findings
            case checkedAt = "checked_at"
        }

        func encode(to encoder: any Encoder) throws {
            var c = encoder.container(keyedBy: CodingKeys.self)
            try c.encode(domain, forKey: .domain)
            try c.encode(status, forKey: .status)
            try c.encodeNil(forKey: .checkedAt)
            try c.encode(findings, forKey: .findings)
        }
    }

    func run() throws {
        let unknown = DomainStatus.unknown.exitCode
        let config = try AppConfig.load(configOptions)
        let store = try CacheAccess.open(config.databasePath(storeOptions.db), mode: .readOnly, failureStatus: unknown)
        let watched = try CacheAccess.attempt(failureStatus: unknown) { try store.domains() }
        let watchedNames = Set(watched.map(\.name))
        var worst = DomainStatus.ok
        var names: [String]
        if domains.isEmpty {
            names = watched.map(\.name)
        } else {
            names = []
            for name in domains.map({ DomainName.canonical($0.trimmingCharacters(in: .whitespaces)) }) where !names.contains(name) {
                if watchedNames.contains(name) {
                    names.append(name)
                } else {
                    Output.error("\(name) is not a watched domain (add it with `stswatch add \(name)`)")
                    worst = max(worst, .unknown)
                }
            }
        }
        if json {
            worst = max(worst, try printJSON(store, names: names, all: domains.isEmpty))
            if names.isEmpty && domains.isEmpty {
                Output.error("no domains are watched (add some with `stswatch add DOMAIN`)")
                worst = max(worst, .unknown)
            }
            if worst != .ok { throw ExitCode(worst.exitCode) }
            return
        }
        let states = try CacheAccess.attempt(failureStatus: unknown) {
            try store.currentAssessments(domains: names)
        }
        let byName = Dictionary(states.map { ($0.assessment.domain, $0) }, uniquingKeysWith: { a, _ in a })
        let now = Date()
        for name in names {
            guard let state = byName[name] else {
                worst = max(worst, .unknown)
                if json {
                    try Output.jsonLine(NeverChecked(domain: name))
                } else {
                    Output.line("\(Output.styled(name, .bold))  \(Output.styled("UNKNOWN", .unknown))")
                    Output.line("  not checked yet: the poller checks new domains within a second or two of `add`")
                    Output.line()
                }
                continue
            }
            worst = max(worst, state.assessment.status)
            if json {
                try Output.jsonLine(state.assessment)
            } else {
                AssessmentText.print(state.assessment, now: now,
                                     cached: CacheNote(consecutiveFailures: state.consecutiveFailures, lastSuccessAt: state.lastSuccessAt))
            }
        }
        if names.isEmpty && domains.isEmpty {
            Output.error("no domains are watched (add some with `stswatch add DOMAIN`)")
            worst = max(worst, .unknown)
        }
        if worst != .ok { throw ExitCode(worst.exitCode) }
    }

    /// Prints one `check --json` line per domain straight from the stored JSON; returns the worst status.
    ///
    /// Every watched domain (`all`) streams from one read in name order; named domains are
    /// printed in the order given. Output goes out in blocks of about a megabyte.
    private func printJSON(_ store: Store, names: [String], all: Bool) throws -> DomainStatus {
        var worst = DomainStatus.ok
        var transcoder = AssessmentJSON()
        var buffer: [UInt8] = []
        buffer.reserveCapacity(1 << 20)
        func flush() {
            buffer.withUnsafeBufferPointer { FileHandle.standardOutput.write(Data(buffer: $0)) }
            buffer.removeAll(keepingCapacity: true)
        }
        func emit(_ domain: String, _ status: DomainStatus?, _ json: String?) throws {
            if let status, let json {
                worst = max(worst, status)
                // The same bytes `Output.json` makes for `check --json`, invisible characters escaped.
                buffer.append(contentsOf: JSONText.escapingInvisible(try transcoder.outputLine(stored: json, domain: domain)))
            } else {
                worst = max(worst, .unknown)
                buffer.append(contentsOf: try Output.json(NeverChecked(domain: domain)))
            }
            buffer.append(UInt8(ascii: "\n"))
            if buffer.count >= 1 << 20 { flush() }
        }
        let unknown = DomainStatus.unknown.exitCode
        if all {
            try CacheAccess.attempt(failureStatus: unknown) { try store.forEachAssessmentJSON(emit) }
        } else {
            var stored: [String: (DomainStatus?, String?)] = [:]
            try CacheAccess.attempt(failureStatus: unknown) {
                try store.forEachAssessmentJSON(domains: names) { stored[$0] = ($1, $2) }
            }
            for name in names {
                let (status, json) = stored[name] ?? (nil, nil)
                try emit(name, status, json)
            }
        }
        flush()
        return worst
    }
}
