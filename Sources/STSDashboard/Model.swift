import Foundation
import STSCore

/// Everything the dashboard shows at one moment, read in one go from the store.
///
/// Immutable and complete: the UI never reaches into the store while drawing. The
/// heavier data behind a drill-down (failure groups, reports, one report in full) is
/// fetched on demand through ``DashboardDataSource`` instead.
public struct DashboardSnapshot: Sendable, Hashable {
    /// One row per watched domain, in any order (the dashboard sorts).
    public var domains: [DomainRow]
    public var poller: PollerState

    public init(domains: [DomainRow], poller: PollerState) {
        self.domains = domains
        self.poller = poller
    }

    public static let empty = DashboardSnapshot(domains: [], poller: PollerState(mode: .stopped))

    /// How many domains have each status; domains never checked count as unknown.
    public var countsByStatus: [DomainStatus: Int] {
        var counts: [DomainStatus: Int] = [:]
        for row in domains { counts[row.status, default: 0] += 1 }
        return counts
    }
}

/// A watched domain: its latest judgement, recent history and what reports said over 7 days.
public struct DomainRow: Sendable, Hashable {
    /// The domain as watched (canonical, lowercase, no trailing dot).
    public var domain: String
    /// The latest assessment; nil until the first check completes.
    public var assessment: Assessment?
    /// Recent changes, newest first (the store decides how many; the detail pane shows them all).
    public var events: [DomainEvent]
    /// Failed sessions reported for this domain over the last 7 days.
    public var reportFailures7d: Int
    /// All sessions (successful + failed) reported over the last 7 days; 0 when there were no reports.
    public var reportSessions7d: Int
    /// The list's columns when ``assessment`` is not loaded.
    ///
    /// A store of 10,000 domains reads these from indexed columns in milliseconds, where
    /// decoding every assessment would take a second; the detail pane then asks
    /// ``DashboardDataSource/detail(domain:)`` for the one domain it shows.
    public var summary: RowSummary?
    /// How many watched domains have each of this domain's MX hosts: their probes are shared.
    public var mxSharing: [String: Int]

    public init(domain: String, assessment: Assessment?, events: [DomainEvent] = [],
                reportFailures7d: Int = 0, reportSessions7d: Int = 0, summary: RowSummary? = nil,
                mxSharing: [String: Int] = [:]) {
        self.mxSharing = mxSharing
        self.domain = domain
        self.assessment = assessment
        self.events = events
        self.reportFailures7d = reportFailures7d
        self.reportSessions7d = reportSessions7d
        self.summary = summary
    }

    /// True once a check has been recorded, whether the row carries the assessment or its summary.
    public var isChecked: Bool { assessment != nil || summary != nil }
    public var status: DomainStatus { assessment?.status ?? summary?.status ?? .unknown }
    public var checkedAt: Date? { assessment?.checkedAt ?? summary?.checkedAt }

    /// Failed share of reported sessions over 7 days, nil when nothing was reported.
    public var failureRate: Double? {
        reportSessions7d > 0 ? Double(reportFailures7d) / Double(reportSessions7d) : nil
    }

    /// Days until the soonest MX certificate expires (negative when already expired).
    public var soonestMXExpiryDays: Int? {
        if let assessment { return assessment.mx.compactMap(\.cert?.daysLeft).min() }
        return summary?.mxExpiryDays
    }

    /// True when something needs a look: not ok, or reports show failures.
    public var hasProblems: Bool { status != .ok || reportFailures7d > 0 }
}

/// What the domains list shows of a checked domain, without its full assessment.
public struct RowSummary: Sendable, Hashable {
    public var status: DomainStatus
    public var checkedAt: Date
    public var mode: Policy.Mode?
    /// The domain publishes a valid TLS-RPT record.
    public var tlsRptPresent: Bool
    /// Days from the check to the soonest MX certificate expiry, as the assessment counts them.
    public var mxExpiryDays: Int?
    public var findingCount: Int

    public init(status: DomainStatus, checkedAt: Date, mode: Policy.Mode?, tlsRptPresent: Bool, mxExpiryDays: Int?, findingCount: Int) {
        self.status = status
        self.checkedAt = checkedAt
        self.mode = mode
        self.tlsRptPresent = tlsRptPresent
        self.mxExpiryDays = mxExpiryDays
        self.findingCount = findingCount
    }
}

/// Whether checks are running, and when.
public struct PollerState: Sendable, Hashable {
    public enum Mode: Sendable, Hashable {
        /// The poller runs inside the dashboard process.
        case embedded
        /// Another process (a `stswatch poll` daemon) writes the store.
        case external(pid: Int32)
        /// Nobody is checking: the data only gets older.
        case stopped
    }
    public var mode: Mode
    public var lastRound: Date?
    public var nextDue: Date?
    /// The poller's last error, shown in the status line.
    public var lastError: String?
    /// What the monitor cannot see, said once instead of a warning per domain ("no IPv6 from this monitor").
    public var note: String?

    public init(mode: Mode, lastRound: Date? = nil, nextDue: Date? = nil, lastError: String? = nil, note: String? = nil) {
        self.note = note
        self.mode = mode
        self.lastRound = lastRound
        self.nextDue = nextDue
        self.lastError = lastError
    }
}

/// Reported failures grouped by what went wrong where, over a period.
///
/// One group is one (reporter, result type, receiving MX, sending IP) for a domain; its
/// `sessions` sum the failure details of every report behind it.
public struct FailureGroup: Sendable, Hashable, Identifiable {
    /// Stable across refreshes, so the selection survives new data.
    public var id: String
    public var domain: String
    /// The span of the reports' date ranges.
    public var periodStart: Date?
    public var periodEnd: Date?
    public var reporter: String
    public var resultType: String
    public var receivingMX: String?
    public var sendingIP: String?
    public var sessions: Int
    /// When the first and the latest report behind this group arrived.
    public var firstSeen: Date?
    public var lastSeen: Date?
    /// Store ids of the reports behind the group (may be empty when only ``reportCount`` was read).
    public var reportIDs: [String]
    /// How many reports are behind the group; a store may count them without listing them.
    public var reportCount: Int {
        get { countedReports ?? reportIDs.count }
        set { countedReports = newValue }
    }
    private var countedReports: Int?
    /// What the latest check says explains it (e.g. "mx2 certificate expired 3 days ago"), when the store can tell.
    public var liveCause: String?

    public init(id: String, domain: String, periodStart: Date? = nil, periodEnd: Date? = nil, reporter: String,
                resultType: String, receivingMX: String? = nil, sendingIP: String? = nil, sessions: Int,
                firstSeen: Date? = nil, lastSeen: Date? = nil, reportIDs: [String], reportCount: Int? = nil, liveCause: String? = nil) {
        self.id = id
        self.domain = domain
        self.periodStart = periodStart
        self.periodEnd = periodEnd
        self.reporter = reporter
        self.resultType = resultType
        self.receivingMX = receivingMX
        self.sendingIP = sendingIP
        self.sessions = sessions
        self.firstSeen = firstSeen
        self.lastSeen = lastSeen
        self.reportIDs = reportIDs
        self.countedReports = reportCount
        self.liveCause = liveCause
    }
}

/// One report as a line in a list: enough to choose which to open.
public struct ReportSummary: Sendable, Hashable, Identifiable {
    /// The store's id for the report (what ``DashboardDataSource/report(id:)`` takes).
    public var id: String
    public var organization: String?
    public var reportID: String?
    public var periodStart: Date?
    public var periodEnd: Date?
    public var successfulSessions: Int
    public var failedSessions: Int
    public var receivedAt: Date?

    public init(id: String, organization: String?, reportID: String?, periodStart: Date?, periodEnd: Date?,
                successfulSessions: Int, failedSessions: Int, receivedAt: Date?) {
        self.id = id
        self.organization = organization
        self.reportID = reportID
        self.periodStart = periodStart
        self.periodEnd = periodEnd
        self.successfulSessions = successfulSessions
        self.failedSessions = failedSessions
        self.receivedAt = receivedAt
    }

    /// The summary of a decoded report.
    public init(id: String, report: TLSReport, receivedAt: Date?) {
        self.init(id: id, organization: report.organizationName, reportID: report.reportID,
                  periodStart: report.dateRange?.start?.date, periodEnd: report.dateRange?.end?.date,
                  successfulSessions: report.totalSuccessful, failedSessions: report.totalFailed, receivedAt: receivedAt)
    }
}

/// One report in full, with where it came from.
public struct FullReport: Sendable, Hashable, Identifiable {
    public var id: String
    public var report: TLSReport
    /// The JSON as received (after decompression), shown verbatim (sanitized) at the end.
    public var rawJSON: String
    /// Where it came from: a file path, `imap://…`, a mailbox.
    public var source: String
    public var mailSubject: String?
    public var receivedAt: Date?

    public init(id: String, report: TLSReport, rawJSON: String, source: String, mailSubject: String? = nil, receivedAt: Date? = nil) {
        self.id = id
        self.report = report
        self.rawJSON = rawJSON
        self.source = source
        self.mailSubject = mailSubject
        self.receivedAt = receivedAt
    }
}

/// What the dashboard needs from the store. The lead implements it over SQLite.
///
/// Calls are synchronous and made on the UI loop's thread: they should be quick reads
/// (the snapshot of 10,000 domains included). A thrown error is shown in the status
/// line, never crashes the screen, and the previous data stays.
public protocol DashboardDataSource: AnyObject {
    /// The current state of every domain and the poller.
    func snapshot() throws -> DashboardSnapshot
    /// Failure groups for one domain, or every domain when nil, worst (most sessions) first.
    func failureGroups(domain: String?) throws -> [FailureGroup]
    /// The reports behind a group, newest first.
    func reports(for group: FailureGroup) throws -> [ReportSummary]
    /// One report in full; nil when it is gone.
    func report(id: String) throws -> FullReport?
    /// One domain with its full assessment and recent events, for the detail pane; nil when it is not watched.
    ///
    /// A snapshot may carry only ``RowSummary``s; the detail pane asks for the selected domain here.
    func detail(domain: String) throws -> DomainRow?
    /// True when the store changed since the last call (cheap: `PRAGMA data_version`).
    func hasChanged() throws -> Bool
    /// Asks the poller to check one domain (or all when nil) now.
    func recheck(domain: String?) throws
    /// Starts watching a domain; throws with a readable reason when the name is not acceptable.
    func add(domain: String) throws
    /// Stops watching a domain and forgets its history.
    func remove(domain: String) throws
}

extension DashboardDataSource {
    /// The snapshot's row: right for sources whose snapshots carry full assessments.
    public func detail(domain: String) throws -> DomainRow? {
        try snapshot().domains.first { $0.domain == domain }
    }
}
