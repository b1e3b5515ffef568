import Foundation
import Testing
@testable import STSCore
@testable import STSDashboard

/// The full report is laid out once per report and width by the reducer, not on every frame.
@Suite struct ReportLinesTests {
    let source: MemorySource

    init() throws {
        let reports = try Fixtures.reports()
        source = MemorySource(reports: reports, groups: Fixtures.groups(from: reports))
    }

    func openReport() -> DashboardState {
        var state = Fixtures.state()
        state.selectedDomain = "example.com"
        for k in [Key.enter, .enter, .enter, .enter] { Dashboard.handle(.key(k), state: &state, source: source) }
        return state
    }

    @Test func framesDrawTheLinesTheReducerMade() throws {
        var state = openReport()
        let report = try #require(state.failures.report)
        let made = try #require(state.failures.reportLines)
        #expect(made.reportID == report.id && !made.lines.isEmpty)
        #expect(made.lines == ReportView.lines(report, width: made.width, glyphs: .ascii))
        // A marker in place of the made lines: a frame that lays the report out again would not show it.
        state.failures.reportLines?.lines = [[Span("MARKER-LINE-FROM-STATE")]]
        for _ in 0..<3 {
            #expect(DashboardView.render(state, glyphs: .unicode).text.contains("MARKER-LINE-FROM-STATE"))
            // Ticks (once a second) and data changes keep the lines too.
            Dashboard.handle(.tick(state.now.addingTimeInterval(1)), state: &state, source: source)
        }
        #expect(state.failures.reportLines?.lines == [[Span("MARKER-LINE-FROM-STATE")]])
    }

    @Test func aResizeLaysTheReportOutAgain() throws {
        var state = openReport()
        let before = try #require(state.failures.reportLines)
        Dashboard.handle(.resize(width: 120, height: 30), state: &state, source: source)
        let after = try #require(state.failures.reportLines)
        #expect(after.width != before.width && after.width == state.layout?.body.width)
        #expect(DashboardView.render(state, glyphs: .unicode).text.contains(after.lines[0].map(\.text).joined().prefix(20)))
    }
}
