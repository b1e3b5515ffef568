import Foundation
import STSCore
import STSDashboard
import STSStore

/// The dashboard's data, read from the SQLite store.
///
/// The list is built from the store's sortable columns (``Store/stateSummaries()``) and the
/// daily report totals, never from the assessments' JSON: 10,000 domains then cost a few
/// tens of milliseconds instead of a second. The full assessment and the events of one
/// domain are read when the detail pane asks (``detail(domain:)``).
///
/// Reads only, apart from the watch list and re-check requests, which the poller picks up.
public final class StoreDataSource: DashboardDataSource {
    public let store: Store
    /// What the status line says about the poller; asked on every snapshot and change check.
    let pollerState: () -> PollerState
    let now: () -> Date
    /// How many recent events the detail pane shows.
    let eventLimit: Int
    /// The last `PRAGMA data_version` seen and the poller state last shown, for ``hasChanged()``.
    private var lastVersion: Int?
    private var lastPoller: PollerState?
    /// The store's groups behind the dashboard's, by id, so ``reports(for:)`` can ask for exactly one.
    private var groupsByID: [String: STSStore.FailureGroup] = [:]

    /// - Parameters:
    ///   - pollerState: the embedded poller's state, or the external/stopped state.
    ///   - now: the clock for the 7-day window.
    public init(store: Store, pollerState: @escaping () -> PollerState, now: @escaping () -> Date = { Date() }, eventLimit: Int = 50) {
        self.store = store
        self.pollerState = pollerState
        self.now = now
        self.eventLimit = eventLimit
    }

    /// The start of the report window: the UTC day six days before today, so the window holds 7 calendar days.
    func windowStart() -> Date {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(identifier: "UTC")!
        let today = calendar.startOfDay(for: now())
        return today.addingTimeInterval(-6 * 86_400)
    }

    public func snapshot() throws -> DashboardSnapshot {
        // Read the version first: a commit landing during the reads is then seen again next time.
        let version = try store.dataVersion()
        let records = try store.domains()
        let summaries = try store.stateSummaries()
        var totals: [String: (failed: Int, sessions: Int)] = [:]
        for day in try store.dailyTotals(since: windowStart()) {
            var t = totals[day.domain] ?? (0, 0)
            t.failed += day.failed
            t.sessions += day.failed + day.successful
            totals[day.domain] = t
        }
        var byName: [String: StateSummary] = [:]
        byName.reserveCapacity(summaries.count)
        for s in summaries { byName[s.domain] = s }
        let rows = records.map { record -> DomainRow in
            let t = totals[record.name] ?? (0, 0)
            return DomainRow(domain: record.name, assessment: nil, reportFailures7d: t.failed, reportSessions7d: t.sessions,
                             summary: byName[record.name].map(Self.rowSummary))
        }
        let poller = pollerState()
        lastVersion = version
        lastPoller = poller
        return DashboardSnapshot(domains: rows, poller: poller)
    }

    /// The list's columns of a stored state; expiry days counted as the judgement counts them (from the check).
    static func rowSummary(_ s: StateSummary) -> RowSummary {
        let days = s.mxCertNotAfter.map { Int(($0.timeIntervalSince(s.checkedAt) / 86_400).rounded(.down)) }
        return RowSummary(status: s.status, checkedAt: s.checkedAt, mode: s.mode, tlsRptPresent: s.tlsrptPresent,
                          mxExpiryDays: days, findingCount: s.findingCount)
    }

    public func detail(domain: String) throws -> DomainRow? {
        let name = DomainName.canonical(domain)
        let state = try store.currentAssessments(domains: [name]).first
        if state == nil, try !store.domains().contains(where: { $0.name == name }) { return nil }
        let events = try store.events(domain: name, limit: eventLimit)
        var failed = 0, sessions = 0
        for day in try store.dailyTotals(domain: name, since: windowStart()) {
            failed += day.failed
            sessions += day.failed + day.successful
        }
        let sharing = try store.domainsSharing(hosts: state?.assessment.mx.map(\.host) ?? [])
        return DomainRow(domain: name, assessment: state?.assessment, events: events,
                         reportFailures7d: failed, reportSessions7d: sessions, mxSharing: sharing)
    }

    public func failureGroups(domain: String?) throws -> [STSDashboard.FailureGroup] {
        let stored = try store.failureGroups(domain: domain, since: windowStart(), by: .all)
        var byID: [String: STSStore.FailureGroup] = [:]
        // Live causes are one indexed read per group; the all-domains list can hold thousands, so cap the look-ups.
        let causeLookups = 500
        let groups = try stored.enumerated().map { index, g -> STSDashboard.FailureGroup in
            let id = Self.groupID(g)
            byID[id] = g
            let cause: String? = try {
                guard index < causeLookups, let d = g.domain, let r = g.resultType else { return nil }
                // A report's policy domain may be anything; a name that is no domain has no live cause,
                // and one such report must not take the whole list down.
                guard (try? DomainName.normalize(d)) != nil else { return nil }
                return try store.liveCause(domain: d, mx: g.mx, resultType: r)
            }()
            return STSDashboard.FailureGroup(id: id, domain: g.domain ?? "", periodStart: g.firstSeen, periodEnd: g.lastSeen,
                                             reporter: g.reporter ?? "(unnamed reporter)", resultType: g.resultType ?? "",
                                             receivingMX: g.mx, sendingIP: g.sendingIP, sessions: g.sessions,
                                             firstSeen: g.firstSeen, lastSeen: g.lastSeen, reportIDs: [],
                                             reportCount: g.reportCount, liveCause: cause)
        }
        groupsByID.merge(byID) { _, new in new }
        return groups
    }

    /// Stable across refreshes: the grouped fields themselves.
    static func groupID(_ g: STSStore.FailureGroup) -> String {
        [g.domain, g.reporter, g.resultType, g.mx, g.sendingIP].map { $0 ?? "" }.joined(separator: "\u{1F}")
    }

    public func reports(for group: STSDashboard.FailureGroup) throws -> [ReportSummary] {
        guard let stored = groupsByID[group.id] else {
            throw DataSourceError.unknownGroup(group.resultType, domain: group.domain)
        }
        return try store.reportsForGroup(stored, since: windowStart()).map { r in
            ReportSummary(id: String(r.id), organization: r.organization, reportID: r.reportID, periodStart: r.start,
                          periodEnd: r.end, successfulSessions: r.totalSuccessful, failedSessions: r.totalFailed,
                          receivedAt: r.receivedAt)
        }
    }

    public func report(id: String) throws -> FullReport? {
        guard let number = Int64(id) else { throw DataSourceError.badReportID(id) }
        let stored: StoredReport
        do {
            stored = try store.report(id: number)
        } catch StoreError.reportNotFound {
            return nil
        }
        return FullReport(id: id, report: stored.report, rawJSON: String(decoding: stored.raw, as: UTF8.self),
                          source: stored.row.source, mailSubject: stored.row.mail.subject, receivedAt: stored.row.receivedAt)
    }

    public func hasChanged() throws -> Bool {
        let version = try store.dataVersion()
        let poller = pollerState()
        return version != lastVersion || poller != lastPoller
    }

    public func recheck(domain: String?) throws {
        try store.requestRecheck(domain: domain, now: now())
    }

    public func add(domain: String) throws {
        let added = try store.addDomains([domain], now: now())
        if added.isEmpty { throw DataSourceError.alreadyWatched(domain) }
    }

    public func remove(domain: String) throws {
        let removed = try store.removeDomains([domain])
        if removed.isEmpty { throw DataSourceError.notWatched(domain) }
    }
}

/// What the store data source refuses, in words for the status line.
public enum DataSourceError: Error, CustomStringConvertible, Equatable {
    case unknownGroup(String, domain: String)
    case badReportID(String)
    case alreadyWatched(String)
    case notWatched(String)

    public var description: String {
        switch self {
        case .unknownGroup(let type, let domain): "the failure group \(type) of \(domain) is no longer listed; reopen the Failures pane"
        case .badReportID(let id): "\"\(id)\" is not a report id of the store"
        case .alreadyWatched(let d): "\(d) is already watched"
        case .notWatched(let d): "\(d) is not watched"
        }
    }
}
