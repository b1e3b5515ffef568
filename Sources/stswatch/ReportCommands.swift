import ArgumentParser
import Foundation
import STSCore
import STSStore

/// `--domain` and `--since`, shared by `reports` and `failures`.
struct ReportFilterOptions: ParsableArguments {
    @Option(name: .long, help: "Only reports for this policy domain.")
    var domain: String?
    @Option(name: .long, help: ArgumentHelp("Only reports whose period starts in this past period, e.g. 24h or 7d.", valueName: "duration"))
    var since: String?

    func validate() throws {
        if let domain { try validateDomainArguments([domain]) }
        if let since { _ = try durationOption(since, "since", example: "30m, 24h or 7d", allowZero: true) }
    }

    /// The start of the period, from now.
    var from: Date? {
        since.flatMap(DurationText.parse).map { Date().addingTimeInterval(-TimeInterval($0.components.seconds)) }
    }
}

/// `stswatch reports`: the TLS-RPT reports in the cache, newest first.
struct ReportsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "reports",
        abstract: "List stored TLS-RPT reports, newest period first.")

    @OptionGroup var filter: ReportFilterOptions
    @Option(name: .long, help: "At most this many (the newest), default 1000.")
    var limit = 1000
    @Flag(name: .long, help: "Print one JSON object per report per line.")
    var json = false
    @OptionGroup var storeOptions: StoreOptions
    @OptionGroup var configOptions: ConfigOptions

    func validate() throws {
        guard limit > 0 else { throw ValidationError("--limit must be at least 1") }
    }

    func run() throws {
        let config = try AppConfig.load(configOptions)
        let store = try CacheAccess.open(config.databasePath(storeOptions.db), mode: .readOnly)
        let rows = try CacheAccess.attempt { try store.reports(domain: filter.domain, since: filter.from, limit: limit) }
        for row in rows {
            if json {
                try Output.jsonLine(ReportJSON(row))
            } else {
                Output.line(Self.text(row))
            }
        }
    }

    /// One report as one line: period, reporter, report-id, domains, totals, then where and when it came.
    static func text(_ row: ReportRow) -> String {
        let period = "\(time(row.start, row.startText)) → \(time(row.end, row.endText))"
        let failed = row.totalFailed > 0 ? Output.styled("\(row.totalFailed) failed", .crit) : "0 failed"
        let domains = row.policyDomains.isEmpty ? "(no policy domain)" : row.policyDomains.map(Output.safe).joined(separator: ",")
        return "\(period)  \(Output.safe(row.organization ?? "(no organization)"))  \(Output.safe(row.reportID ?? "(no report-id)"))"
            + "  \(domains)  \(row.totalSuccessful) successful, \(failed)"
            + "  from \(Output.safe(row.source)) at \(row.receivedAt.formatted(.iso8601))"
    }

    /// An instant as ISO 8601, else the text as sent (made safe), else a dash.
    static func time(_ date: Date?, _ text: String?) -> String {
        date.map { $0.formatted(.iso8601) } ?? text.map(Output.safe) ?? "-"
    }

    /// The `--json` shape of one report: texts as received (`Output.jsonLine` escapes what a terminal would obey).
    struct ReportJSON: Encodable {
        var id: Int64
        var organization: String?
        var reportID: String?
        var start: String?
        var end: String?
        var policyDomains: [String]
        var successful: Int
        var failed: Int
        var source: String
        var receivedAt: Date
        var contact: String?
        var mailSubject: String?
        var mailMessageID: String?
        var oddities: Int

        enum CodingKeys: String, CodingKey {
            case id, organization, reportID = "report_id", start, end, policyDomains = "policy_domains", successful, failed
            case source, receivedAt = "received_at", contact, mailSubject = "mail_subject", mailMessageID = "mail_message_id", oddities
        }

        init(_ row: ReportRow) {
            id = row.id
            organization = row.organization
            reportID = row.reportID
            start = row.start.map { $0.formatted(.iso8601) } ?? row.startText
            end = row.end.map { $0.formatted(.iso8601) } ?? row.endText
            policyDomains = row.policyDomains
            successful = row.totalSuccessful
            failed = row.totalFailed
            source = row.source
            receivedAt = row.receivedAt
            contact = row.contact
            mailSubject = row.mail.subject
            mailMessageID = row.mail.messageID
            oddities = row.oddityCount
        }

        func encode(to encoder: any Encoder) throws {
            var c = encoder.container(keyedBy: CodingKeys.self)
            try c.encode(id, forKey: .id)
            try c.encode(organization, forKey: .organization)
            try c.encode(reportID, forKey: .reportID)
            try c.encode(start, forKey: .start)
            try c.encode(end, forKey: .end)
            try c.encode(policyDomains, forKey: .policyDomains)
            try c.encode(successful, forKey: .successful)
            try c.encode(failed, forKey: .failed)
            try c.encode(source, forKey: .source)
            try c.encode(receivedAt, forKey: .receivedAt)
            try c.encode(contact, forKey: .contact)
            try c.encode(mailSubject, forKey: .mailSubject)
            try c.encode(mailMessageID, forKey: .mailMessageID)
            try c.encode(oddities, forKey: .oddities)
        }
    }
}

/// `stswatch failures`: failed sessions from the reports, grouped for triage, beside what the latest check sees.
struct FailuresCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "failures",
        abstract: "Aggregate the failed sessions in stored reports, with the live cause the latest check shows.",
        discussion: """
            Groups are per policy domain and, by default, result type and receiving MX; --by chooses \
            the other fields (repeat it, or separate with commas). Each group shows its sessions, \
            how many reports mention it, when it was first and last seen, and — when the group names \
            a result type (and, for MX-level types, the MX) — the finding of the domain's latest \
            check that is the same problem seen from here, if there is one.
            """)

    enum Field: String, CaseIterable, ExpressibleByArgument {
        case resultType = "result-type", mx, sendingIP = "sending-ip", reporter

        var group: GroupBy {
            switch self {
            case .resultType: .resultType
            case .mx: .mx
            case .sendingIP: .sendingIP
            case .reporter: .reporter
            }
        }
    }

    @OptionGroup var filter: ReportFilterOptions
    @Option(name: .long, parsing: .singleValue, help: ArgumentHelp("Group by result-type, mx, sending-ip or reporter (default: result-type and mx).", valueName: "field"),
            transform: Self.fields)
    var by: [[Field]] = []
    @Flag(name: .long, help: "Print one JSON object per group per line.")
    var json = false
    @OptionGroup var storeOptions: StoreOptions
    @OptionGroup var configOptions: ConfigOptions

    static func fields(_ text: String) throws -> [Field] {
        try text.split(separator: ",").map { part in
            guard let field = Field(rawValue: part.trimmingCharacters(in: .whitespaces)) else {
                throw ValidationError("--by takes \(Field.allCases.map(\.rawValue).joined(separator: ", ")), not \"\(part)\"")
            }
            return field
        }
    }

    var grouping: GroupBy {
        let chosen = by.joined()
        return chosen.isEmpty ? [.domain, .resultType, .mx] : chosen.reduce(GroupBy.domain) { $0.union($1.group) }
    }

    func run() throws {
        let config = try AppConfig.load(configOptions)
        let store = try CacheAccess.open(config.databasePath(storeOptions.db), mode: .readOnly)
        let groups = try CacheAccess.attempt { try store.failureGroups(domain: filter.domain, since: filter.from, by: grouping) }
        for group in groups {
            let cause = Self.liveCause(group, store: store)
            if json {
                try Output.jsonLine(GroupJSON(group, liveCause: cause))
            } else {
                Output.line(Self.text(group, liveCause: cause))
            }
        }
    }

    /// The current finding explaining the group, when the group says enough to look one up.
    static func liveCause(_ group: FailureGroup, store: Store) -> String? {
        guard let domain = group.domain, let type = group.resultType else { return nil }
        // A domain name in a report may be anything; a name the store cannot look up has no live cause.
        return (try? store.liveCause(domain: domain, mx: group.mx, resultType: type)) ?? nil
    }

    /// The group on one line; its live cause, when there is one, on the next, so effect and cause read together.
    static func text(_ g: FailureGroup, liveCause: String?) -> String {
        var fields: [String] = [Output.safe(g.domain ?? "(no policy domain)")]
        if g.by.contains(.resultType) { fields.append(Output.styled(Output.safe(g.resultType ?? "(no result type)"), .crit)) }
        let shown = { (text: String?) in text.flatMap { $0.isEmpty ? nil : Output.safe($0) } ?? "-" }
        if g.by.contains(.mx) { fields.append("mx " + shown(g.mx)) }
        if g.by.contains(.sendingIP) { fields.append("from " + shown(g.sendingIP)) }
        if g.by.contains(.reporter) { fields.append("reported by " + Output.safe(g.reporter ?? "(no organization)")) }
        let day = { (d: Date) in d.formatted(.iso8601.year().month().day()) }
        var line = fields.joined(separator: "  ")
            + "  \(g.sessions) failed session\(g.sessions == 1 ? "" : "s") in \(g.reportCount) report\(g.reportCount == 1 ? "" : "s"), \(day(g.firstSeen)) → \(day(g.lastSeen))"
        if let liveCause { line += "\n    " + Output.styled("live cause:", .bold) + " " + Output.safe(liveCause) }
        return line
    }

    struct GroupJSON: Encodable {
        var group: FailureGroup
        var liveCause: String?
        init(_ group: FailureGroup, liveCause: String?) {
            self.group = group
            self.liveCause = liveCause
        }

        enum CodingKeys: String, CodingKey {
            case domain, resultType = "result_type", mx, sendingIP = "sending_ip", reporter, sessions, reports
            case firstSeen = "first_seen", lastSeen = "last_seen", liveCause = "live_cause"
        }

        func encode(to encoder: any Encoder) throws {
            var c = encoder.container(keyedBy: CodingKeys.self)
            try c.encode(group.domain, forKey: .domain)
            // Only the fields grouped by appear; null within them means the reports left the field out.
            if group.by.contains(.resultType) { try c.encode(group.resultType, forKey: .resultType) }
            if group.by.contains(.mx) { try c.encode(group.mx, forKey: .mx) }
            if group.by.contains(.sendingIP) { try c.encode(group.sendingIP, forKey: .sendingIP) }
            if group.by.contains(.reporter) { try c.encode(group.reporter, forKey: .reporter) }
            try c.encode(group.sessions, forKey: .sessions)
            try c.encode(group.reportCount, forKey: .reports)
            try c.encode(group.firstSeen, forKey: .firstSeen)
            try c.encode(group.lastSeen, forKey: .lastSeen)
            try c.encode(liveCause, forKey: .liveCause)
        }
    }
}
