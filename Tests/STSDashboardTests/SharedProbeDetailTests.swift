import Foundation
import STSCore
import Testing
@testable import STSDashboard

/// The detail pane says, per MX address, when it was probed and that the probe is shared.
@Suite struct SharedProbeDetailTests {
    func text(_ lines: [Line]) -> [String] { lines.map { $0.map(\.text).joined() } }

    @Test func aSharedProbeShowsItsAgeAndHowManyDomainsShareIt() {
        var host = Fixtures.mx("mx1.provider.example", 10, address: "192.0.2.10")
        host.probes[0].probedAt = Fixtures.now.addingTimeInterval(-6 * 60)
        var limited = Fixtures.mx("mx2.provider.example", 20, address: "192.0.2.20")
        limited.probes[0].probedAt = Fixtures.now.addingTimeInterval(-3600)
        limited.probes[0].rateLimited = RateLimitState(reply: "421 4.7.0 Too many connections", since: Fixtures.now.addingTimeInterval(-600),
                                                       retryAfter: Fixtures.now.addingTimeInterval(300))
        let assessment = Judge.assess(Fixtures.observation("a.example", hosts: [host, limited]))
        let row = DomainRow(domain: "a.example", assessment: assessment,
                            mxSharing: ["mx1.provider.example": 1204, "mx2.provider.example": 1])
        let lines = text(DetailView.lines(row, width: 120, now: Fixtures.now, glyphs: .unicode))
        #expect(lines.contains { $0.contains("192.0.2.10") && $0.contains("probed 6m ago, shared by 1,204 domains") }, "\(lines)")
        #expect(lines.contains { $0.contains("192.0.2.20") && $0.contains("probed 1h ago; rate-limited, stale since") }, "\(lines)")
        #expect(assessment.findings.map(\.code) == [.mxRateLimited])
    }

    @Test func groupsThousands() {
        #expect(Format.grouped(0) == "0")
        #expect(Format.grouped(999) == "999")
        #expect(Format.grouped(1204) == "1,204")
        #expect(Format.grouped(1_000_000) == "1,000,000")
    }
}
