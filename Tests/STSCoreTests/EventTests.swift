import Foundation
import Testing
@testable import STSCore

@Suite struct EventTests {
    func assessment(_ change: (inout ObservationBuilder) -> Void = { _ in }) -> Assessment {
        var b = ObservationBuilder()
        change(&b)
        return Judge.assess(b.build())
    }

    func kinds(_ old: Assessment?, _ new: Assessment) -> [DomainEvent.Kind] {
        DomainEvent.between(old, new).map(\.kind)
    }

    @Test func firstCheckHasNoEvents() {
        #expect(kinds(nil, assessment()).isEmpty)
    }

    @Test func nothingChangedMeansNoEvents() {
        #expect(kinds(assessment(), assessment()).isEmpty)
    }

    @Test func policyChangedWithoutNewID() {
        let old = assessment()
        let new = assessment { $0.policyBody = "version: STSv1\nmode: testing\nmx: mx1.example.com\nmx: *.mail.example.com\nmax_age: 604800\n" }
        #expect(Set(kinds(old, new)).isSuperset(of: [.policyChangedWithoutID, .modeChanged, .statusChanged]))
    }

    @Test func newIDIsAnIDChangeNotAStalePolicy() {
        let old = assessment()
        let new = assessment {
            $0.stsTXT = .records([TXTRecord("v=STSv1; id=20250101")])
            $0.policyBody = "version: STSv1\nmode: enforce\nmx: mx1.example.com\nmx: *.mail.example.com\nmax_age: 86400\n"
        }
        #expect(kinds(old, new) == [.policyIDChanged])
    }

    @Test func mxSetAndCertificateAndSTARTTLS() {
        let old = assessment()
        let new = assessment {
            $0.mx = [("mx1.example.com", 10), ("b.mail.example.com", 30)]
            $0.certDays["mx1.example.com"] = 200
        }
        let events = DomainEvent.between(old, new)
        #expect(events.contains { $0.kind == .mxSetChanged && $0.message.contains("added b.mail.example.com") && $0.message.contains("removed a.mail.example.com") })
        #expect(events.contains { $0.kind == .certificateChanged && $0.subject == "mx1.example.com" && $0.message.contains("renewed") })

        let stripped = assessment { $0.outcomes["mx1.example.com"] = .starttlsNotOffered }
        #expect(DomainEvent.between(old, stripped).contains { $0.kind == .starttlsLost && $0.severity == .crit })
        #expect(DomainEvent.between(stripped, old).contains { $0.kind == .starttlsRegained })
    }

    @Test func previousStateComesFromTheAssessment() {
        let state = PreviousState(assessment())
        #expect(state.stsID == "20240101")
        #expect(state.starttlsOffered == ["mx1.example.com", "a.mail.example.com"])
        #expect(state.policy?.mode == .enforce)
    }
}
