import Foundation
import Testing
@testable import STSCore
@testable import STSDashboard

/// Prints how long the domains pane takes with 10,000 domains; asserts nothing about time.
///
/// Runs only with `STSWATCH_BENCH=1`: figures from a debug build on a shared machine are
/// for comparison between changes, not for pass or fail.
@Suite(.enabled(if: ProcessInfo.processInfo.environment["STSWATCH_BENCH"] == "1"))
struct RenderBenchmark {
    static func measure(_ label: String, repeat count: Int = 20, _ body: () -> Void) {
        let clock = ContinuousClock()
        body()  // warm up
        let elapsed = clock.measure { for _ in 0..<count { body() } }
        let ms = Double(elapsed.components.seconds) * 1000 + Double(elapsed.components.attoseconds) / 1e15
        print(String(format: "bench %-44@ %8.3f ms", label as NSString, ms / Double(count)))
    }

    @Test func tenThousandDomains() {
        let template = Fixtures.rows()
        let rows = (0..<10_000).map { i -> DomainRow in
            var row = template[i % template.count]
            row.domain = String(format: "d%05d.", i) + row.domain
            return row
        }
        let snapshot = Fixtures.snapshot(rows)
        var state = DashboardState(snapshot: snapshot, width: 120, height: 40, now: Fixtures.now)
        Self.measure("dataChanged (filter+sort 10k rows)") { _ = Dashboard.reduce(&state, .dataChanged(snapshot)) }
        Self.measure("render domains 120x40") { _ = DashboardView.render(state, glyphs: .unicode) }
        var big = state
        _ = Dashboard.reduce(&big, .resize(width: 250, height: 80))
        Self.measure("render domains 250x80") { _ = DashboardView.render(big, glyphs: .unicode) }
        let a = DashboardView.render(state, glyphs: .unicode)
        Self.measure("key j (reduce)") { _ = Dashboard.reduce(&state, .key("j")) }
        let b = DashboardView.render(state, glyphs: .unicode)
        Self.measure("Grid.changes 120x40 after j") { _ = Grid.changes(from: a, to: b) }
        print("bench cells changed by j at 120x40: \(Grid.changes(from: a, to: b).count)")
        Self.measure("filter keystroke over 10k rows") {
            _ = Dashboard.reduce(&state, .key("/"))
            _ = Dashboard.reduce(&state, .key("9"))
            _ = Dashboard.reduce(&state, .key(.escape))
        }
        state.selectedDomain = state.rows[1].domain
        _ = Dashboard.reduce(&state, .key(.enter))
        Self.measure("render detail 120x40") { _ = DashboardView.render(state, glyphs: .unicode) }
    }
}
