import ArgumentParser
import Foundation
import STSCore
import STSStore

/// `stswatch domains`: what is watched and when each is next checked.
struct DomainsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "domains",
        abstract: "List the watched domains with their latest status and schedule (from the cache, no probing).")

    @Flag(name: .long, help: "Print one JSON object per domain per line.")
    var json = false
    @OptionGroup var storeOptions: StoreOptions
    @OptionGroup var configOptions: ConfigOptions

    struct Line: Encodable {
        var domain: String
        var status: String?
        var addedAt: Date
        var intervalSeconds: Int?
        var nextDueAt: Date?
        var lastCheckedAt: Date?
        var lastSuccessAt: Date?
        var consecutiveFailures: Int

        enum CodingKeys: String, CodingKey {
            case domain, status
            case addedAt = "added_at"
            case intervalSeconds = "interval_seconds"
            case nextDueAt = "next_due_at"
            case lastCheckedAt = "last_checked_at"
            case lastSuccessAt = "last_success_at"
            case consecutiveFailures = "consecutive_failures"
        }
    }

    func run() throws {
        let config = try AppConfig.load(configOptions)
        let store = try CacheAccess.open(config.databasePath(storeOptions.db), mode: .readOnly)
        let records = try CacheAccess.attempt { try store.domains() }
        let now = Date()
        for r in records {
            if json {
                try Output.jsonLine(Line(domain: r.name, status: r.status?.rawValue,
                                         addedAt: r.addedAt, intervalSeconds: r.intervalSeconds, nextDueAt: r.nextDueAt,
                                         lastCheckedAt: r.lastCheckedAt, lastSuccessAt: r.lastSuccessAt,
                                         consecutiveFailures: r.consecutiveFailures))
            } else {
                let status = r.status.map { Output.styled($0.rawValue.padding(toLength: 7, withPad: " ", startingAt: 0), Output.style(for: $0)) }
                    ?? "-      "
                let checked = r.lastCheckedAt.map { "checked \(DurationText.format(seconds: Int(now.timeIntervalSince($0)))) ago" } ?? "never checked"
                let next = r.nextDueAt.map { $0 <= now ? "due now" : "next in \(DurationText.format(seconds: Int($0.timeIntervalSince(now))))" } ?? "due now"
                var parts = [status, r.name, checked, next]
                if let i = r.intervalSeconds { parts.append("every \(DurationText.format(seconds: i))") }
                if r.consecutiveFailures > 0 { parts.append("\(r.consecutiveFailures) failed in a row") }
                Output.line(parts.joined(separator: "  "))
            }
        }
    }
}
