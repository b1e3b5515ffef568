import Foundation

/// The one event type of the UI loop.
public enum DashboardEvent: Sendable, Hashable {
    case key(Key)
    case resize(width: Int, height: Int)
    /// New data from the store.
    case dataChanged(DashboardSnapshot)
    /// Time passed (the clock in the status line, message expiry).
    case tick(Date)
    case quit
    /// Results of the loads the reducer asked for.
    case failureGroupsLoaded(domain: String?, [FailureGroup])
    case reportsLoaded(groupID: String, [ReportSummary])
    case reportLoaded(FullReport?)
    /// The selected domain in full, for the detail pane (nil: no longer watched).
    case detailLoaded(domain: String, DomainRow?)
    /// An action finished (or failed): shown in the status line.
    case message(String)
    case error(String)
}

/// Work the reducer asks the loop to do; the loop answers with events.
public enum DashboardEffect: Sendable, Hashable {
    case recheck(domain: String?)
    case add(domain: String)
    case remove(domain: String)
    case loadFailureGroups(domain: String?)
    case loadReports(FailureGroup)
    case loadReport(id: String)
    /// Read one domain's full assessment and events (the snapshot may carry only summaries).
    case loadDetail(domain: String)
    case quit
}

/// The dashboard's logic: pure functions from state and event to state and effects.
public enum Dashboard {
    /// Seconds a status message stays before the status line shows the poller again.
    public static let messageLifetime: TimeInterval = 8

    /// Applies one event; returns the effects the loop must perform.
    public static func reduce(_ state: inout DashboardState, _ event: DashboardEvent) -> [DashboardEffect] {
        switch event {
        case .key(let key):
            return handleKey(&state, key)
        case .resize(let width, let height):
            state.width = max(0, width)
            state.height = max(0, height)
            clampAll(&state)
        case .dataChanged(let snapshot):
            let oldIndex = state.selectedIndex
            // The selected row keeps its place on screen while rows come and go around it.
            let screenOffset = oldIndex.map { $0 - state.domainsScroll }
            state.snapshot = snapshot
            state.refreshRows()
            keepSelection(&state, oldIndex: oldIndex)
            if let screenOffset, let newIndex = state.selectedIndex { state.domainsScroll = newIndex - screenOffset }
            clampAll(&state)
            // Failure groups come from the store too: refresh them when they are on screen.
            if state.pane == .failures, case .groups = state.failures.level {
                return [.loadFailureGroups(domain: state.failures.scope)]
            }
            if state.pane == .detail { return loadDetailIfNeeded(state) }
        case .tick(let now):
            state.now = now
            if let m = state.message, now.timeIntervalSince(m.at) > messageLifetime { state.message = nil }
        case .quit:
            return [.quit]
        case .failureGroupsLoaded(let domain, let groups):
            guard domain == state.failures.scope else { return [] }
            state.failures.groups = groups
            state.failures.loading = false
            let visible = state.failures.visibleGroups
            if !visible.contains(where: { $0.id == state.failures.groupSelection }) {
                state.failures.groupSelection = visible.first?.id
            }
            clampAll(&state)
        case .reportsLoaded(let groupID, let reports):
            guard case .reports(let group) = state.failures.level, group.id == groupID else { return [] }
            state.failures.reports = reports
            if !reports.contains(where: { $0.id == state.failures.reportSelection }) {
                state.failures.reportSelection = reports.first?.id
            }
            clampAll(&state)
        case .reportLoaded(let report):
            guard case .report(_, let summary) = state.failures.level else { return [] }
            if let report, report.id == summary.id {
                state.failures.report = report
                state.failures.reportLines = nil
                clampAll(&state)
            } else if report == nil {
                say(&state, "report \(summary.id) is no longer in the store", error: true)
            }
        case .detailLoaded(let domain, let row):
            guard domain == state.selectedDomain else { return [] }
            state.detail = row
            clampAll(&state)
        case .message(let text):
            say(&state, text, error: false)
        case .error(let text):
            say(&state, text, error: true)
        }
        return []
    }

    static func say(_ state: inout DashboardState, _ text: String, error: Bool) {
        state.message = StatusMessage(text: text, isError: error, at: state.now)
    }

    // MARK: Keys

    static func handleKey(_ state: inout DashboardState, _ key: Key) -> [DashboardEffect] {
        switch state.mode {
        case .help:
            state.mode = .normal
            return []
        case .filter:
            return editFilter(&state, key)
        case .addPrompt(let text):
            switch key {
            case .enter:
                state.mode = .normal
                let domain = text.trimmingCharacters(in: .whitespaces)
                guard !domain.isEmpty else { return [] }
                say(&state, "adding \(domain)…", error: false)
                return [.add(domain: domain)]
            case .escape:
                state.mode = .normal
            case .backspace, .delete:
                state.mode = .addPrompt(String(text.dropLast()))
            case .char(let c) where !c.isNewline && TextWidth.of(c) > 0 && text.count < 253:
                state.mode = .addPrompt(text + String(c))
            default:
                break
            }
            return []
        case .confirmRemove(let domain):
            state.mode = .normal
            if key == "y" || key == "Y" {
                say(&state, "removing \(domain)…", error: false)
                return [.remove(domain: domain)]
            }
            say(&state, "kept \(domain)", error: false)
            return []
        case .normal:
            guard let action = KeyBindings.action(for: key, in: state.pane) else { return [] }
            return perform(&state, action)
        }
    }

    static func editFilter(_ state: inout DashboardState, _ key: Key) -> [DashboardEffect] {
        var text = state.pane == .failures ? state.failures.filter : state.filter
        switch key {
        case .enter:
            state.mode = .normal
            return []
        case .escape:
            text = ""
            state.mode = .normal
        case .backspace, .delete:
            text = String(text.dropLast())
        case .char(let c) where !c.isNewline && TextWidth.of(c) > 0 && text.count < 200:
            text.append(c)
        default:
            return []
        }
        applyFilter(&state, text)
        return []
    }

    static func applyFilter(_ state: inout DashboardState, _ text: String) {
        if state.pane == .failures {
            state.failures.filter = text
            let visible = state.failures.visibleGroups
            if !visible.contains(where: { $0.id == state.failures.groupSelection }) {
                state.failures.groupSelection = visible.first?.id
                state.failures.groupScroll = 0
            }
        } else {
            let old = state.selectedIndex
            state.filter = text
            state.refreshRows()
            keepSelection(&state, oldIndex: old)
        }
        clampAll(&state)
    }

    static func perform(_ state: inout DashboardState, _ action: Action) -> [DashboardEffect] {
        switch action {
        case .up: move(&state, by: -1)
        case .down: move(&state, by: 1)
        case .pageUp: move(&state, by: -max(1, pageSize(state) - 1))
        case .pageDown: move(&state, by: max(1, pageSize(state) - 1))
        case .top: move(&state, by: Int.min / 2)
        case .bottom: move(&state, by: Int.max / 2)
        case .nextPane, .previousPane:
            let all = Pane.allCases
            let i = all.firstIndex(of: state.pane)!
            let next = all[(i + (action == .nextPane ? 1 : all.count - 1)) % all.count]
            return switchPane(&state, to: next)
        case .drillDown:
            return drillDown(&state)
        case .back:
            return back(&state)
        case .filter:
            if state.pane == .domains || state.pane == .failures { state.mode = .filter }
        case .cycleSort:
            let all = SortKey.allCases
            let old = state.selectedIndex
            state.sort = all[(all.firstIndex(of: state.sort)! + 1) % all.count]
            state.refreshRows()
            keepSelection(&state, oldIndex: old)
            clampAll(&state)
            say(&state, "sorted by \(state.sort.rawValue)", error: false)
        case .problemsOnly:
            let old = state.selectedIndex
            state.problemsOnly.toggle()
            state.refreshRows()
            keepSelection(&state, oldIndex: old)
            clampAll(&state)
            say(&state, state.problemsOnly ? "showing domains with problems only" : "showing all domains", error: false)
        case .recheckSelected:
            guard let domain = state.selectedDomain else {
                say(&state, "no domain selected", error: true)
                return []
            }
            say(&state, "re-checking \(domain)…", error: false)
            return [.recheck(domain: domain)]
        case .recheckAll:
            say(&state, "re-checking all \(state.snapshot.domains.count) domains…", error: false)
            return [.recheck(domain: nil)]
        case .addDomain:
            state.mode = .addPrompt("")
        case .removeDomain:
            guard let domain = state.selectedDomain else {
                say(&state, "no domain selected", error: true)
                return []
            }
            state.mode = .confirmRemove(domain)
        case .nextTheme:
            state.themeIndex = (state.themeIndex + 1) % state.themeCount
        case .help:
            state.mode = .help
        case .quit:
            return [.quit]
        }
        return []
    }

    /// The load the detail pane needs, if the selected row is only a summary.
    static func loadDetailIfNeeded(_ state: DashboardState) -> [DashboardEffect] {
        guard state.detailNeedsLoading, let domain = state.selectedDomain else { return [] }
        return [.loadDetail(domain: domain)]
    }

    static func switchPane(_ state: inout DashboardState, to pane: Pane) -> [DashboardEffect] {
        state.pane = pane
        if pane == .detail {
            state.detailScroll = 0
            return loadDetailIfNeeded(state)
        }
        if pane == .failures, case .groups = state.failures.level {
            return openFailures(&state, scope: state.selectedDomain)
        }
        return []
    }

    static func openFailures(_ state: inout DashboardState, scope: String?) -> [DashboardEffect] {
        if state.failures.scope != scope || state.failures.groups.isEmpty {
            state.failures = FailuresState(scope: scope)
        }
        state.failures.loading = true
        return [.loadFailureGroups(domain: scope)]
    }

    static func drillDown(_ state: inout DashboardState) -> [DashboardEffect] {
        switch state.pane {
        case .domains:
            guard state.selectedDomain != nil else { return [] }
            state.pane = .detail
            state.detailScroll = 0
            return loadDetailIfNeeded(state)
        case .detail:
            state.pane = .failures
            state.failures.level = .groups
            return openFailures(&state, scope: state.selectedDomain)
        case .failures:
            switch state.failures.level {
            case .groups:
                guard let group = state.failures.visibleGroups.first(where: { $0.id == state.failures.groupSelection }) else { return [] }
                state.failures.level = .reports(group)
                state.failures.reports = []
                state.failures.reportSelection = nil
                state.failures.reportScroll = 0
                return [.loadReports(group)]
            case .reports(let group):
                guard let summary = state.failures.reports.first(where: { $0.id == state.failures.reportSelection }) else { return [] }
                state.failures.level = .report(group, summary)
                state.failures.report = nil
                state.failures.reportLine = 0
                return [.loadReport(id: summary.id)]
            case .report:
                break
            }
        }
        return []
    }

    static func back(_ state: inout DashboardState) -> [DashboardEffect] {
        switch state.pane {
        case .domains:
            if !state.filter.isEmpty { applyFilter(&state, "") }
        case .detail:
            state.pane = .domains
        case .failures:
            switch state.failures.level {
            case .groups:
                if !state.failures.filter.isEmpty {
                    applyFilter(&state, "")
                } else {
                    state.pane = state.failures.scope == nil ? .domains : .detail
                }
            case .reports:
                state.failures.level = .groups
            case .report(let group, _):
                state.failures.level = .reports(group)
                state.failures.report = nil
            }
        }
        return []
    }

    // MARK: Moving and scrolling

    static func pageSize(_ state: DashboardState) -> Int {
        guard let layout = state.layout else { return 1 }
        switch state.pane {
        case .domains: return layout.domainRows
        case .detail: return layout.detailRows
        case .failures:
            if case .report = state.failures.level { return layout.reportRows }
            return layout.failureRows
        }
    }

    static func step(_ index: Int, by delta: Int, count: Int) -> Int {
        guard count > 0 else { return 0 }
        let (sum, overflow) = index.addingReportingOverflow(delta)
        let target = overflow ? (delta > 0 ? Int.max : 0) : sum
        return min(max(0, target), count - 1)
    }

    static func move(_ state: inout DashboardState, by delta: Int) {
        switch state.pane {
        case .domains:
            guard !state.rows.isEmpty else { return }
            let i = step(state.selectedIndex ?? 0, by: delta, count: state.rows.count)
            state.selectedDomain = state.rows[i].domain
        case .detail:
            state.detailScroll = step(state.detailScroll, by: delta, count: Int.max)
        case .failures:
            switch state.failures.level {
            case .groups:
                let groups = state.failures.visibleGroups
                guard !groups.isEmpty else { return }
                let current = groups.firstIndex { $0.id == state.failures.groupSelection } ?? 0
                state.failures.groupSelection = groups[step(current, by: delta, count: groups.count)].id
            case .reports:
                let reports = state.failures.reports
                guard !reports.isEmpty else { return }
                let current = reports.firstIndex { $0.id == state.failures.reportSelection } ?? 0
                state.failures.reportSelection = reports[step(current, by: delta, count: reports.count)].id
            case .report:
                state.failures.reportLine = step(state.failures.reportLine, by: delta, count: Int.max)
            }
        }
        clampAll(&state)
    }

    /// After the rows changed: keep the same domain, or the row now at its old place.
    static func keepSelection(_ state: inout DashboardState, oldIndex: Int?) {
        if state.selectedIndex != nil { return }
        if state.rows.isEmpty { state.selectedDomain = nil; return }
        let i = min(oldIndex ?? 0, state.rows.count - 1)
        state.selectedDomain = state.rows[max(0, i)].domain
    }

    /// Keeps every scroll position valid and every selection on screen, moving scroll as little as possible.
    static func clampAll(_ state: inout DashboardState) {
        guard let layout = state.layout else { return }
        func clamp(scroll: inout Int, selected: Int?, count: Int, visible: Int) {
            let v = max(1, visible)
            if let s = selected {
                if s < scroll { scroll = s }
                if s >= scroll + v { scroll = s - v + 1 }
            }
            scroll = min(max(0, scroll), max(0, count - v))
        }
        clamp(scroll: &state.domainsScroll, selected: state.selectedIndex, count: state.rows.count, visible: layout.domainRows)
        if let row = state.detailRow {
            let lines = DetailView.lines(row, width: layout.body.width, now: state.now, glyphs: .ascii).count
            state.detailScroll = min(max(0, state.detailScroll), max(0, lines - layout.detailRows))
        } else {
            state.detailScroll = 0
        }
        let groups = state.failures.visibleGroups
        clamp(scroll: &state.failures.groupScroll, selected: groups.firstIndex { $0.id == state.failures.groupSelection },
              count: groups.count, visible: layout.failureRows)
        clamp(scroll: &state.failures.reportScroll, selected: state.failures.reports.firstIndex { $0.id == state.failures.reportSelection },
              count: state.failures.reports.count, visible: layout.failureRows)
        if let report = state.failures.report {
            let width = layout.body.width
            if state.failures.reportLines?.reportID != report.id || state.failures.reportLines?.width != width {
                state.failures.reportLines = ReportLines(reportID: report.id, width: width,
                                                         lines: ReportView.lines(report, width: width, glyphs: .ascii))
            }
            let lines = state.failures.reportLines?.lines.count ?? 0
            state.failures.reportLine = min(max(0, state.failures.reportLine), max(0, lines - layout.reportRows))
        } else {
            state.failures.reportLines = nil
        }
    }
}

extension Dashboard {
    /// Performs one effect through the data source; the answers come back as events.
    ///
    /// Lives here, not in the terminal loop, so the whole key → effect → store → screen
    /// path runs in tests without a terminal. Errors become `.error` events naming what failed.
    public static func perform(_ effect: DashboardEffect, with source: DashboardDataSource) -> [DashboardEvent] {
        do {
            switch effect {
            case .quit:
                return []
            case .recheck(let domain):
                try source.recheck(domain: domain)
                return [.message(domain.map { "re-check of \($0) requested" } ?? "re-check of all domains requested")]
            case .add(let domain):
                try source.add(domain: domain)
                return [.dataChanged(try source.snapshot()), .message("added \(domain)")]
            case .remove(let domain):
                try source.remove(domain: domain)
                return [.dataChanged(try source.snapshot()), .message("removed \(domain)")]
            case .loadFailureGroups(let domain):
                return [.failureGroupsLoaded(domain: domain, try source.failureGroups(domain: domain))]
            case .loadReports(let group):
                return [.reportsLoaded(groupID: group.id, try source.reports(for: group))]
            case .loadReport(let id):
                return [.reportLoaded(try source.report(id: id))]
            case .loadDetail(let domain):
                return [.detailLoaded(domain: domain, try source.detail(domain: domain))]
            }
        } catch {
            return [.error("\(describe(effect)): \(error)")]
        }
    }

    /// What an effect was, for an error message.
    static func describe(_ effect: DashboardEffect) -> String {
        switch effect {
        case .recheck(let d): "re-check \(d ?? "all")"
        case .add(let d): "add \(d)"
        case .remove(let d): "remove \(d)"
        case .loadFailureGroups(let d): "failures for \(d ?? "all domains")"
        case .loadReports(let g): "reports for \(g.resultType)"
        case .loadReport(let id): "report \(id)"
        case .loadDetail(let d): "details of \(d)"
        case .quit: "quit"
        }
    }

    /// Applies an event and performs every effect it leads to, until none remain; returns true on quit.
    ///
    /// The terminal loop and the tests share this, so scripted key sequences exercise the real path.
    @discardableResult
    public static func handle(_ event: DashboardEvent, state: inout DashboardState, source: DashboardDataSource) -> Bool {
        var queue = [event]
        var quit = false
        while !queue.isEmpty {
            let next = queue.removeFirst()
            for effect in reduce(&state, next) {
                if effect == .quit { quit = true }
                queue.append(contentsOf: perform(effect, with: source))
            }
        }
        return quit
    }
}
