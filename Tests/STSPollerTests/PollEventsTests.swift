import Foundation
import STSCore
@testable import STSPoller
import STSStoreFixtures
import Testing

/// An outage must read as one status change each way, not as the MX set and certificates vanishing and returning.
struct PollEventsTests {
    let t0 = Date(timeIntervalSince1970: 1_790_000_000)

    func assessed(at offset: TimeInterval, previous: Assessment? = nil, _ change: (inout ObservationFixture) -> Void = { _ in }) -> Assessment {
        var f = ObservationFixture(domain: "example.com", observedAt: t0.addingTimeInterval(offset))
        change(&f)
        return f.assess(previous: previous).1
    }

    /// The resolver times out: the MX lookup fails and nothing is seen.
    func outage(_ f: inout ObservationFixture) {
        f.mxLookup = .failed(reason: "timeout")
        f.mx = []
        f.stsTXT = .failed(reason: "timeout")
        f.tlsrptTXT = .failed(reason: "timeout")
    }

    @Test func plainDiffHasNoiseThatPollEventsDrops() throws {
        let good = assessed(at: 0)
        let blind = assessed(at: 60, previous: good, outage)
        #expect(blind.status == .unknown)
        // What the store would derive on its own: more than the status.
        let raw = DomainEvent.between(good, blind).map(\.kind)
        #expect(raw.contains(.mxSetChanged))
        let down = PollEvents.between(current: good, lastGood: good, new: blind, failed: true)
        #expect(down.map(\.kind) == [.statusChanged])
        #expect(down.first?.message == "status ok → unknown")

        let back = assessed(at: 120, previous: good)
        let up = PollEvents.between(current: blind, lastGood: good, new: back, failed: false)
        #expect(up.map(\.kind) == [.statusChanged])
        #expect(up.first?.message == "status unknown → ok")
    }

    @Test func realChangesDuringAnOutageAreReportedWhenItEnds() {
        let good = assessed(at: 0)
        let blind = assessed(at: 60, previous: good, outage)
        // While we were blind the certificate of mx1 was replaced.
        let back = assessed(at: 120, previous: good) { $0.certSerial["mx1.example.com"] = 99 }
        let kinds = PollEvents.between(current: blind, lastGood: good, new: back, failed: false).map(\.kind)
        #expect(kinds.contains(.statusChanged))
        #expect(kinds.contains(.certificateChanged))
        #expect(!kinds.contains(.mxSetChanged))
    }

    @Test func withoutAnOutageItIsThePlainDiff() {
        let a = assessed(at: 0)
        let b = assessed(at: 60, previous: a) { $0.stsID = "20250101" }
        #expect(PollEvents.between(current: a, lastGood: a, new: b, failed: false) == DomainEvent.between(a, b))
        #expect(!DomainEvent.between(a, b).isEmpty)
    }

    @Test func firstCheckHasNoEvents() {
        #expect(PollEvents.between(current: nil, lastGood: nil, new: assessed(at: 0), failed: false).isEmpty)
        #expect(PollEvents.between(current: nil, lastGood: nil, new: assessed(at: 0, outage), failed: true).isEmpty)
    }
}
