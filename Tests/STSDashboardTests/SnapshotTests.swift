import Foundation
import Testing
@testable import STSCore
@testable import STSDashboard

/// Every view rendered at 80×24 and 120×40 and compared with the stored text snapshots.
@Suite struct SnapshotTests {
    let reports: [FullReport]
    let groups: [FailureGroup]

    init() throws {
        reports = try Fixtures.reports()
        groups = Fixtures.groups(from: reports)
    }

    /// A state driven to a place by events, through the real reducer and a memory source.
    func driven(width: Int, height: Int, _ events: [DashboardEvent]) -> DashboardState {
        var state = Fixtures.state(width: width, height: height)
        let source = MemorySource(reports: reports, groups: groups)
        for e in events { Dashboard.handle(e, state: &state, source: source) }
        return state
    }

    static let sizes = [(80, 24), (120, 40)]

    @Test(arguments: sizes)
    func domains(width: Int, height: Int) {
        let state = driven(width: width, height: height, [])
        assertSnapshot(DashboardView.render(state, glyphs: .unicode), named: "domains-\(width)x\(height)")
    }

    @Test(arguments: sizes)
    func detailOfBrokenDomain(width: Int, height: Int) {
        // Status sort puts broken.example.net (crit) first; Enter opens its detail.
        let state = driven(width: width, height: height, [.key(.enter)])
        #expect(state.pane == .detail)
        #expect(state.selectedDomain == "broken.example.net")
        assertSnapshot(DashboardView.render(state, glyphs: .unicode), named: "detail-\(width)x\(height)")
    }

    @Test func detailScrolledToTheEnd() {
        let state = driven(width: 80, height: 24, [.key(.enter), .key("G")])
        #expect(state.detailScroll > 0)
        assertSnapshot(DashboardView.render(state, glyphs: .unicode), named: "detail-end-80x24")
    }

    @Test(arguments: sizes)
    func failureGroupsOfAllDomains(width: Int, height: Int) {
        // g selects the top row; clearing the selection then Tab twice gives the all-domains view.
        var state = Fixtures.state(width: width, height: height)
        state.selectedDomain = nil
        let source = MemorySource(reports: reports, groups: groups)
        Dashboard.handle(.key(.tab), state: &state, source: source)
        Dashboard.handle(.key(.tab), state: &state, source: source)
        #expect(state.pane == .failures)
        #expect(state.failures.scope == nil)
        assertSnapshot(DashboardView.render(state, glyphs: .unicode), named: "failures-all-\(width)x\(height)")
    }

    @Test func failureGroupsOfOneDomain() {
        var state = Fixtures.state()
        state.selectedDomain = "example.com"
        let source = MemorySource(reports: reports, groups: groups)
        for k: Key in [.enter, .enter] { Dashboard.handle(.key(k), state: &state, source: source) }
        #expect(state.failures.scope == "example.com")
        #expect(!state.failures.groups.isEmpty)
        #expect(state.failures.groups.allSatisfy { $0.domain == "example.com" })
        assertSnapshot(DashboardView.render(state, glyphs: .unicode), named: "failures-example.com-80x24")
    }

    @Test(arguments: sizes)
    func reportsBehindAGroupAndOneReport(width: Int, height: Int) {
        var state = Fixtures.state(width: width, height: height)
        state.selectedDomain = nil
        let source = MemorySource(reports: reports, groups: groups)
        for k: Key in [.tab, .tab, .enter] { Dashboard.handle(.key(k), state: &state, source: source) }
        guard case .reports = state.failures.level else { Issue.record("not at reports: \(state.failures.level)"); return }
        assertSnapshot(DashboardView.render(state, glyphs: .unicode), named: "failures-reports-\(width)x\(height)")
        Dashboard.handle(.key(.enter), state: &state, source: source)
        #expect(state.failures.report != nil)
        assertSnapshot(DashboardView.render(state, glyphs: .unicode), named: "report-\(width)x\(height)")
        Dashboard.handle(.key(.pageDown), state: &state, source: source)
        assertSnapshot(DashboardView.render(state, glyphs: .unicode), named: "report-page2-\(width)x\(height)")
    }

    @Test func helpOverlay() {
        let state = driven(width: 80, height: 24, [.key("?")])
        assertSnapshot(DashboardView.render(state, glyphs: .unicode), named: "help-domains-80x24")
    }

    @Test func asciiGlyphs() {
        let state = driven(width: 80, height: 24, [.key("?")])
        let grid = DashboardView.render(state, glyphs: .ascii)
        #expect(grid.cells.allSatisfy { $0.text.unicodeScalars.allSatisfy { $0.isASCII } })
        assertSnapshot(grid, named: "help-domains-ascii-80x24")
    }

    @Test func prompts() {
        assertSnapshot(DashboardView.render(driven(width: 80, height: 24, [.key("a"), .key("n"), .key("e"), .key("w")]), glyphs: .unicode),
                       named: "add-prompt-80x24")
        assertSnapshot(DashboardView.render(driven(width: 80, height: 24, [.key("d")]), glyphs: .unicode), named: "confirm-remove-80x24")
        assertSnapshot(DashboardView.render(driven(width: 80, height: 24, [.key("/"), .key("e"), .key("x")]), glyphs: .unicode),
                       named: "filter-80x24")
    }

    @Test(arguments: [(79, 24), (40, 10)])
    func tooSmall(width: Int, height: Int) {
        assertSnapshot(DashboardView.render(Fixtures.state(width: width, height: height), glyphs: .unicode), named: "too-small-\(width)x\(height)")
    }
}
