import Foundation
import STSCore

/// How the domains list is ordered; `s` cycles through them.
public enum SortKey: String, Sendable, Hashable, CaseIterable {
    case status, name, expiry, failures
}

/// What keys currently mean: normal navigation, or one of the small modal inputs.
public enum InputMode: Sendable, Hashable {
    case normal
    /// Typing a filter (`/`); the text applies as it is typed.
    case filter
    /// Typing a domain to add (`a`).
    case addPrompt(String)
    /// Waiting for y/n before removing a domain (`d`).
    case confirmRemove(String)
    /// The `?` overlay is shown; any key closes it.
    case help
}

/// A line for the status bar: what just happened, or what went wrong.
public struct StatusMessage: Sendable, Hashable {
    public var text: String
    public var isError: Bool
    public var at: Date
    public init(text: String, isError: Bool, at: Date) {
        self.text = text
        self.isError = isError
        self.at = at
    }
}

/// Where the Failures pane is in its drill-down: groups → reports of a group → one report.
public enum FailureLevel: Sendable, Hashable {
    case groups
    case reports(FailureGroup)
    case report(FailureGroup, ReportSummary)
}

/// The Failures pane's data and position at every level.
public struct FailuresState: Sendable, Hashable {
    /// The domain whose failures are shown; nil for all domains.
    public var scope: String?
    public var level: FailureLevel = .groups
    public var groups: [FailureGroup] = []
    public var groupSelection: String?
    public var groupScroll = 0
    public var reports: [ReportSummary] = []
    public var reportSelection: String?
    public var reportScroll = 0
    public var report: FullReport?
    /// The full report as lines, made by the reducer when the report or the width changes, so a
    /// frame only draws them (a report's lines cost a pass over up to 64 KiB of raw JSON).
    public internal(set) var reportLines: ReportLines?
    /// First line shown of the full report.
    public var reportLine = 0
    public var filter = ""
    /// True while groups for `scope` have been asked for and not yet arrived.
    public var loading = false

    public init(scope: String? = nil) { self.scope = scope }

    /// Groups matching the filter.
    public var visibleGroups: [FailureGroup] {
        guard !filter.isEmpty else { return groups }
        let f = filter.lowercased()
        return groups.filter { g in
            [g.domain, g.reporter, g.resultType, g.receivingMX ?? "", g.sendingIP ?? "", g.liveCause ?? ""]
                .contains { $0.lowercased().contains(f) }
        }
    }
}

/// One report laid out at one width.
public struct ReportLines: Sendable, Hashable {
    public var reportID: String
    public var width: Int
    public var lines: [Line]
}

/// The whole UI state: pure data, changed only by ``Dashboard/reduce(_:_:)``.
public struct DashboardState: Sendable, Hashable {
    public var snapshot: DashboardSnapshot
    public var width: Int
    public var height: Int
    public var now: Date
    public var pane: Pane = .domains
    public var mode: InputMode = .normal
    public var sort: SortKey = .status
    public var problemsOnly = false
    public var filter = ""
    /// The selected domain, by name, so new data (re-sorted, rows added) keeps it.
    public var selectedDomain: String?
    /// The first visible row of the domains list.
    public var domainsScroll = 0
    public var detailScroll = 0
    public var failures = FailuresState()
    public var themeIndex = 0
    public var themeCount: Int
    public var message: StatusMessage?
    /// The domains list as shown: filtered and sorted, recomputed when its inputs change.
    public private(set) var rows: [DomainRow] = []

    public init(snapshot: DashboardSnapshot, width: Int, height: Int, now: Date, themeCount: Int = 1) {
        self.snapshot = snapshot
        self.width = width
        self.height = height
        self.now = now
        self.themeCount = max(1, themeCount)
        refreshRows()
        selectedDomain = rows.first?.domain
    }

    /// Recomputes ``rows`` from the snapshot, the filter, problems-only and the sort.
    public mutating func refreshRows() {
        let f = filter.lowercased()
        var list = snapshot.domains.filter { row in
            (!problemsOnly || row.hasProblems) && (f.isEmpty || row.domain.lowercased().contains(f))
        }
        let statusRank: (DomainStatus) -> Int = { s in
            switch s {
            case .crit: 0
            case .unknown: 1
            case .warn: 2
            case .ok: 3
            }
        }
        switch sort {
        case .status:
            list.sort { (statusRank($0.status), $0.domain) < (statusRank($1.status), $1.domain) }
        case .name:
            list.sort { $0.domain < $1.domain }
        case .expiry:
            list.sort { ($0.soonestMXExpiryDays ?? Int.max, $0.domain) < ($1.soonestMXExpiryDays ?? Int.max, $1.domain) }
        case .failures:
            list.sort { (-$0.reportFailures7d, $0.domain) < (-$1.reportFailures7d, $1.domain) }
        }
        rows = list
    }

    /// Index of the selected domain in ``rows``.
    public var selectedIndex: Int? {
        guard let selectedDomain else { return nil }
        return rows.firstIndex { $0.domain == selectedDomain }
    }

    public var selectedRow: DomainRow? { selectedIndex.map { rows[$0] } }

    /// The selected domain in full, once ``Dashboard`` has loaded it for the detail pane.
    public var detail: DomainRow?

    /// What the detail pane shows: the loaded full row of the selected domain, else its list row.
    public var detailRow: DomainRow? {
        guard let row = selectedRow else { return nil }
        if let detail, detail.domain == row.domain { return detail }
        return row
    }

    /// True when the detail pane has only the list's summary of the selected domain and must ask for the rest.
    public var detailNeedsLoading: Bool {
        guard let row = selectedRow, row.assessment == nil, row.summary != nil else { return false }
        return detail?.domain != row.domain || detail?.checkedAt != row.checkedAt
    }

    public var layout: Layout? { Layout(width: width, height: height) }
}
