import Foundation
import Testing
@testable import STSCore
@testable import STSDashboard

/// Scripted key sequences through the real reducer and effects, against a memory source.
@Suite struct ReducerTests {
    let source: MemorySource

    init() throws {
        let reports = try Fixtures.reports()
        source = MemorySource(reports: reports, groups: Fixtures.groups(from: reports))
    }

    func run(_ keys: [Key], on state: inout DashboardState) {
        for k in keys { Dashboard.handle(.key(k), state: &state, source: source) }
    }

    @Test func statusSortPutsWorstFirst() {
        let state = Fixtures.state()
        #expect(state.rows.map(\.domain) == ["broken.example.net", "dnsfail.example", "pending.example",
                                             "norpt.example", "testing.example.org", "example.com"])
        #expect(state.rows.map(\.status) == [.crit, .unknown, .unknown, .warn, .warn, .ok])
    }

    @Test func drillDownAndBackThroughEveryLevel() {
        var state = Fixtures.state()
        state.selectedDomain = "example.com"
        run([.enter], on: &state)
        #expect(state.pane == .detail)
        run([.enter], on: &state)
        #expect(state.pane == .failures && state.failures.level == .groups && state.failures.scope == "example.com")
        let group = try! #require(state.failures.visibleGroups.first)
        run([.enter], on: &state)
        #expect(state.failures.level == .reports(group))
        #expect(state.failures.reports.map(\.id).sorted() == group.reportIDs.sorted())
        run([.enter], on: &state)
        guard case .report(let g, let summary) = state.failures.level else { Issue.record("not at a report"); return }
        #expect(g == group)
        #expect(state.failures.report?.id == summary.id)
        #expect(FailuresView.breadcrumb(state.failures, glyphs: .unicode).count == 4)
        run([.escape], on: &state)
        #expect(state.failures.level == .reports(group))
        run([.backspace], on: &state)
        #expect(state.failures.level == .groups)
        run([.escape], on: &state)
        #expect(state.pane == .detail)
        run([.escape], on: &state)
        #expect(state.pane == .domains)
        #expect(state.selectedDomain == "example.com")
    }

    @Test func tabCyclesPanesBothWays() {
        var state = Fixtures.state()
        run([.tab], on: &state)
        #expect(state.pane == .detail)
        run([.tab], on: &state)
        #expect(state.pane == .failures)
        run([.tab], on: &state)
        #expect(state.pane == .domains)
        run([.backTab], on: &state)
        #expect(state.pane == .failures)
    }

    @Test func filterNarrowsAndEscClears() {
        var state = Fixtures.state()
        run(["/", "e", "x", "a", "m"], on: &state)
        #expect(state.mode == .filter)
        #expect(state.filter == "exam")
        #expect(state.rows.map(\.domain) == ["broken.example.net", "dnsfail.example", "pending.example", "norpt.example",
                                             "testing.example.org", "example.com"].filter { $0.contains("exam") })
        run([.backspace, "m", "p", "l", "e", "."], on: &state)
        #expect(state.filter == "example.")
        #expect(Set(state.rows.map(\.domain)) == ["broken.example.net", "testing.example.org", "example.com"])
        run([.enter], on: &state)
        #expect(state.mode == .normal)
        #expect(state.filter == "example.")
        // j moves within the filtered rows only.
        run(["j", "j", "j", "j"], on: &state)
        #expect(state.selectedDomain == "example.com")
        run([.escape], on: &state)
        #expect(state.filter.isEmpty)
        #expect(state.rows.count == 6)
        #expect(state.selectedDomain == "example.com")
    }

    @Test func filterThatMatchesNothingSaysSo() {
        var state = Fixtures.state()
        run(["/", "z", "z", "z", .enter], on: &state)
        #expect(state.rows.isEmpty)
        #expect(state.selectedDomain == nil)
        #expect(DashboardView.render(state, glyphs: .unicode).text.contains("No domain matches \"zzz\""))
        run(["j", "G", "r", "d"], on: &state)  // nothing to act on: no crash, an error message
        #expect(state.message?.isError == true)
    }

    @Test func sortCyclesStatusNameExpiryFailures() {
        var state = Fixtures.state()
        var seen: [SortKey] = [state.sort]
        var orders: [[String]] = [state.rows.map(\.domain)]
        for _ in 0..<4 {
            run(["s"], on: &state)
            seen.append(state.sort)
            orders.append(state.rows.map(\.domain))
        }
        #expect(seen == [.status, .name, .expiry, .failures, .status])
        #expect(orders[1] == orders[1].sorted())
        #expect(orders[2].first == "broken.example.net")  // mx1 certificate: 5 days
        #expect(orders[3].prefix(2) == ["broken.example.net", "testing.example.org"])  // 1234 then 12 failures
        #expect(orders[4] == orders[0])
    }

    @Test func problemsOnlyHidesHealthyDomains() {
        var state = Fixtures.state()
        state.selectedDomain = "example.com"
        run(["p"], on: &state)
        #expect(state.problemsOnly)
        #expect(!state.rows.contains { $0.domain == "example.com" })
        #expect(state.rows.count == 5)
        // The selected domain disappeared: the row now at its place is selected.
        #expect(state.selectedDomain == state.rows.last?.domain)
        run(["p"], on: &state)
        #expect(state.rows.count == 6)
    }

    @Test func addPromptAddsThroughTheSource() {
        var state = Fixtures.state()
        run(["a", "n", "e", "w", ".", "e", "x", "x", .backspace, "a", "m", "p", "l", "e"], on: &state)
        #expect(state.mode == .addPrompt("new.example"))
        run([.enter], on: &state)
        #expect(state.mode == .normal)
        #expect(source.rows.contains { $0.domain == "new.example" })
        #expect(state.snapshot.domains.contains { $0.domain == "new.example" })
        #expect(state.message?.text == "added new.example")
    }

    @Test func addRejectedBySourceShowsTheError() {
        var state = Fixtures.state()
        run(["a", "n", "o", "d", "o", "t", .enter], on: &state)
        #expect(state.message?.isError == true)
        #expect(state.message?.text.contains("\"nodot\" is not a domain name") == true)
        #expect(!source.rows.contains { $0.domain == "nodot" })
    }

    @Test func addPromptEscapeCancels() {
        var state = Fixtures.state()
        run(["a", "x", .escape], on: &state)
        #expect(state.mode == .normal)
        #expect(source.rows.count == 6)
    }

    @Test func removeAsksFirst() {
        var state = Fixtures.state()
        let victim = state.selectedDomain!
        run(["d", "n"], on: &state)
        #expect(source.rows.contains { $0.domain == victim })
        #expect(state.message?.text == "kept \(victim)")
        run(["d"], on: &state)
        #expect(state.mode == .confirmRemove(victim))
        run(["y"], on: &state)
        #expect(!source.rows.contains { $0.domain == victim })
        #expect(!state.rows.contains { $0.domain == victim })
        // The row that took its place is selected.
        #expect(state.selectedDomain == "dnsfail.example")
    }

    @Test func recheckSelectedAndAll() {
        var state = Fixtures.state()
        run(["r", "R"], on: &state)
        #expect(source.rechecks == ["broken.example.net", nil])
        #expect(state.message?.text == "re-check of all domains requested")
    }

    @Test func themeCycleWraps() {
        var state = Fixtures.state()
        var seen: [Int] = []
        for _ in 0..<5 {
            run(["t"], on: &state)
            seen.append(state.themeIndex)
        }
        #expect(seen == [1, 2, 3, 0, 1])
    }

    @Test func helpOpensAndAnyKeyCloses() {
        var state = Fixtures.state()
        run(["?"], on: &state)
        #expect(state.mode == .help)
        run(["q"], on: &state)  // closes help, does not quit
        #expect(state.mode == .normal)
        #expect(Dashboard.handle(.key("q"), state: &state, source: source))
    }

    @Test func newDataKeepsSelectionAndScroll() {
        // Many domains so the list scrolls.
        var rows = (0..<100).map { DomainRow(domain: String(format: "d%03d.example", $0), assessment: Fixtures.healthy(String(format: "d%03d.example", $0))) }
        var state = Fixtures.state(rows: rows)
        run(Array(repeating: "j", count: 40), on: &state)
        #expect(state.selectedDomain == "d040.example")
        let scroll = state.domainsScroll
        #expect(scroll > 0)
        // New data: a domain sorting before the selection arrives, another one's status changes.
        rows.insert(DomainRow(domain: "a-new.example", assessment: Fixtures.healthy("a-new.example")), at: 0)
        rows[50].reportFailures7d = 3
        let offset = state.selectedIndex! - scroll
        _ = Dashboard.reduce(&state, .dataChanged(Fixtures.snapshot(rows)))
        #expect(state.selectedDomain == "d040.example")
        #expect(state.selectedIndex == 41)
        #expect(state.selectedIndex! - state.domainsScroll == offset)  // the row stays where the eye is
        // Changes below the selection leave the scroll exactly as it was.
        let scrollNow = state.domainsScroll
        rows.append(DomainRow(domain: "z-last.example", assessment: Fixtures.healthy("z-last.example")))
        _ = Dashboard.reduce(&state, .dataChanged(Fixtures.snapshot(rows)))
        #expect(state.domainsScroll == scrollNow)
        #expect(state.selectedDomain == "d040.example")
        // The selected domain is removed by someone else: the row now at its place is selected.
        rows.removeAll { $0.domain == "d040.example" }
        _ = Dashboard.reduce(&state, .dataChanged(Fixtures.snapshot(rows)))
        #expect(state.selectedDomain == "d041.example")
    }

    @Test func newDataKeepsDetailScroll() {
        var state = Fixtures.state()
        run([.enter, "j", "j", "j"], on: &state)
        #expect(state.detailScroll == 3)
        _ = Dashboard.reduce(&state, .dataChanged(Fixtures.snapshot()))
        #expect(state.detailScroll == 3)
        #expect(state.pane == .detail)
    }

    @Test func failureGroupSelectionSurvivesRefresh() {
        var state = Fixtures.state()
        state.selectedDomain = nil
        run([.tab, .tab, "j", "j"], on: &state)
        let selected = state.failures.groupSelection
        #expect(selected != nil)
        #expect(selected != state.failures.visibleGroups.first?.id)
        source.groups.shuffle()
        Dashboard.handle(.dataChanged(Fixtures.snapshot()), state: &state, source: source)
        #expect(state.failures.groupSelection == selected)
    }

    @Test func storeErrorsGoToTheStatusLine() {
        var state = Fixtures.state()
        state.selectedDomain = nil
        source.failNext = "database is locked"
        run([.tab, .tab], on: &state)
        #expect(state.message == StatusMessage(text: "failures for all domains: database is locked", isError: true, at: Fixtures.now))
        #expect(DashboardView.render(state, glyphs: .unicode).text.contains("database is locked"))
        // The message expires.
        _ = Dashboard.reduce(&state, .tick(Fixtures.now.addingTimeInterval(Dashboard.messageLifetime + 1)))
        #expect(state.message == nil)
    }

    @Test func pagingAndEnds() {
        let rows = (0..<100).map { DomainRow(domain: String(format: "d%03d.example", $0), assessment: nil) }
        var state = Fixtures.state(rows: rows)
        run([.pageDown], on: &state)
        let page = Layout(width: 80, height: 24)!.domainRows - 1
        #expect(state.selectedIndex == page)
        run(["G"], on: &state)
        #expect(state.selectedIndex == 99)
        #expect(state.domainsScroll == 100 - Layout(width: 80, height: 24)!.domainRows)
        run(["g"], on: &state)
        #expect(state.selectedIndex == 0 && state.domainsScroll == 0)
        run([.up, .up], on: &state)
        #expect(state.selectedIndex == 0)
    }

    @Test func resizeKeepsSelectionVisible() {
        let rows = (0..<100).map { DomainRow(domain: String(format: "d%03d.example", $0), assessment: nil) }
        var state = Fixtures.state(width: 120, height: 40, rows: rows)
        run(Array(repeating: "j", count: 35), on: &state)
        _ = Dashboard.reduce(&state, .resize(width: 80, height: 24))
        let visible = Layout(width: 80, height: 24)!.domainRows
        let i = state.selectedIndex!
        #expect(i >= state.domainsScroll && i < state.domainsScroll + visible)
    }
}
