import Foundation
import STSCore
@testable import STSStore
import STSStoreFixtures
import Testing

@Suite struct RecordTests {
    @Test func firstCheckStoresStateFindingsAndNoEvents() throws {
        let temp = try TempFolder()
        let store = try Store(path: temp.databasePath)
        try store.addDomains(["example.com"])
        let (assessment, outcome) = try check(store, fixture { $0.tlsrptTXT = .noRecords; $0.certDays["mx1.example.com"] = 10 })
        #expect(outcome.events.isEmpty)
        #expect(assessment.status == .warn)

        let states = try store.currentAssessments()
        #expect(states.count == 1)
        #expect(states.first?.assessment == assessment, "the assessment must come back exactly as recorded")
        #expect(states.first?.checkedAt == t0)
        #expect(try store.previousAssessment(domain: "Example.COM") == assessment)

        let findings = try store.findings(domain: "example.com")
        #expect(findings.map(\.finding) == assessment.findings)
        #expect(findings.allSatisfy { $0.firstSeen == t0 && $0.lastSeen == t0 })

        let summary = try #require(try store.stateSummaries().first)
        #expect(summary == StateSummary(domain: "example.com", status: .warn, checkedAt: t0, mode: .enforce, tlsrptPresent: false,
                                        mxCertNotAfter: assessment.mx.compactMap(\.cert?.notAfter).min(),
                                        policyCertNotAfter: assessment.mtaSts.fetch?.cert?.notAfter,
                                        findingCount: assessment.findings.count, consecutiveFailures: 0, nextDueAt: t0.addingTimeInterval(3600)))
        #expect(summary.mxCertNotAfter == t0.addingTimeInterval(10 * 86_400))

        let record = try #require(try store.domains().first)
        #expect(record.status == .warn && record.lastCheckedAt == t0 && record.lastSuccessAt == t0)
        #expect(record.nextDueAt == t0.addingTimeInterval(3600))
    }

    @Test func secondCheckKeepsFirstSeenMovesLastSeenDropsGoneFindingsAndAppendsEvents() throws {
        let temp = try TempFolder()
        let store = try Store(path: temp.databasePath)
        try store.addDomains(["example.com"])
        let t1 = t0.addingTimeInterval(3600)
        let (first, _) = try check(store, fixture { $0.tlsrptTXT = .noRecords; $0.certDays["mx1.example.com"] = 10 })
        // An hour later: TLS-RPT still missing, the certificate was renewed, and STARTTLS vanished from one MX.
        let (second, outcome) = try check(store, fixture(at: t1) {
            $0.tlsrptTXT = .noRecords
            $0.certDays["mx1.example.com"] = 90
            $0.outcomes["a.mail.example.com"] = .starttlsNotOffered
        })
        #expect(outcome.events == DomainEvent.between(first, second))
        let kinds = Set(outcome.events.map(\.kind))
        #expect(kinds.isSuperset(of: [.statusChanged, .certificateChanged, .starttlsLost]), "\(kinds)")

        let findings = Dictionary(try store.findings(domain: "example.com").map { ($0.finding.code, $0) }, uniquingKeysWith: { a, _ in a })
        let kept = try #require(findings[.tlsrptTxtMissing])
        #expect(kept.firstSeen == t0 && kept.lastSeen == t1)
        #expect(findings[.certificateExpiring] == nil, "the renewed certificate's finding must be gone")
        let new = try #require(findings[.starttlsNotSupported])
        #expect(new.firstSeen == t1 && new.lastSeen == t1)
        #expect(try store.findings(domain: "example.com").map(\.finding) == second.findings)

        // Events read back newest first, for one domain or all, and since a time.
        #expect(try store.events(domain: "example.com") == outcome.events.reversed().sorted { $0.at > $1.at })
        #expect(Set(try store.events()) == Set(outcome.events))
        #expect(try store.events(since: t1.addingTimeInterval(1)).isEmpty)
        #expect(try store.events(domain: "example.com", limit: 1).count == 1)

        // A third check with nothing changed adds no events.
        let (_, third) = try check(store, fixture(at: t1.addingTimeInterval(3600)) {
            $0.tlsrptTXT = .noRecords
            $0.certDays["mx1.example.com"] = 90
            $0.outcomes["a.mail.example.com"] = .starttlsNotOffered
        })
        #expect(third.events.isEmpty, "\(third.events)")
        #expect(try store.rowCount("event") == outcome.events.count)
    }

    @Test func previousStateFeedsTheJudgement() throws {
        let temp = try TempFolder()
        let store = try Store(path: temp.databasePath)
        try store.addDomains(["example.com"])
        try check(store, fixture())
        // The policy changed but its id did not: only the stored previous state reveals it.
        let (second, outcome) = try check(store, fixture(at: t0.addingTimeInterval(60)) {
            $0.policyBody = "version: STSv1\nmode: enforce\nmx: mx1.example.com\nmx: *.mail.example.com\nmax_age: 86400\n"
        })
        #expect(second.findings.contains { $0.code == .stsPolicyIdUnchanged })
        #expect(outcome.events.contains { $0.kind == .policyChangedWithoutID })
    }

    @Test func failuresCountUpAndResetAndKeepLastSuccess() throws {
        let temp = try TempFolder()
        let store = try Store(path: temp.databasePath)
        try store.addDomains(["example.com"])
        try check(store, fixture())
        for minute in 1...3 {
            try check(store, fixture(at: t0.addingTimeInterval(Double(minute) * 60)) { $0.mxLookup = .failed(reason: "timed out"); $0.mx = [] },
                      failed: true)
        }
        var record = try #require(try store.domains().first)
        #expect(record.consecutiveFailures == 3 && record.lastSuccessAt == t0 && record.lastCheckedAt == t0.addingTimeInterval(180))
        #expect(record.status == .unknown)
        try check(store, fixture(at: t0.addingTimeInterval(240)))
        record = try #require(try store.domains().first)
        #expect(record.consecutiveFailures == 0 && record.lastSuccessAt == t0.addingTimeInterval(240) && record.status == .ok)
    }

    @Test func observationsKeepTheRawDataAndThePolicyHash() throws {
        let temp = try TempFolder()
        let store = try Store(path: temp.databasePath)
        try store.addDomains(["example.com"])
        let f = fixture()
        try check(store, f)
        try check(store, fixture(at: t0.addingTimeInterval(60)) { $0.fetchFailure = .httpStatus(404) })
        let stored = try store.observations(domain: "example.com")
        #expect(stored.count == 2)
        #expect(stored[1].observation == f.build())
        #expect(stored[1].policySHA256 == SHA256.hex(Array(f.defaultPolicy.utf8)))
        #expect(stored[0].policySHA256 == nil, "no body was fetched")
    }

    @Test func refusesMismatchedOrUnknownDomains() throws {
        let temp = try TempFolder()
        let store = try Store(path: temp.databasePath)
        try store.addDomains(["example.com"])
        let (observation, _) = fixture().assess()
        let (_, otherAssessment) = fixture("other.example").assess()
        #expect(throws: StoreError.domainMismatch(observation: "example.com", assessment: "other.example")) {
            try store.record(observation: observation, assessment: otherAssessment, nextDue: t0, failed: false)
        }
        let (o2, a2) = fixture("other.example").assess()
        #expect(throws: StoreError.unknownDomain("other.example")) { try store.record(observation: o2, assessment: a2, nextDue: t0, failed: false) }
        #expect(try store.rowCount("observation") == 0, "a refused record must leave nothing behind")
    }

    @Test func currentAssessmentsForSomeDomains() throws {
        let temp = try TempFolder()
        let store = try Store(path: temp.databasePath)
        let names = (0..<1200).map { "d\($0).example" }
        try store.addDomains(names)
        for name in names.prefix(600) { try check(store, fixture(name)) }
        #expect(try store.currentAssessments().count == 600)
        // More names than one SQL statement may bind, including unchecked ones, which are left out.
        let some = try store.currentAssessments(domains: Array(names.reversed()))
        #expect(some.count == 600)
        #expect(some.map(\.assessment.domain) == names.prefix(600).sorted())
    }

    @Test func pruneRemovesOldObservationsOnly() throws {
        let temp = try TempFolder()
        let store = try Store(path: temp.databasePath)
        try store.addDomains(["example.com", "other.com"])
        for hour in 0..<4 {
            try check(store, fixture(at: t0.addingTimeInterval(Double(hour) * 3600)) { $0.certDays["mx1.example.com"] = Double(30 + hour) })
        }
        try check(store, fixture("other.com"))
        let events = try store.events()
        #expect(!events.isEmpty)
        #expect(try store.prune(observationsOlderThan: t0.addingTimeInterval(2 * 3600)) == 2)
        #expect(try store.observations(domain: "example.com", limit: 10).map(\.observation.observedAt)
                == [t0.addingTimeInterval(3 * 3600), t0.addingTimeInterval(2 * 3600)])
        // Far in the future: everything but each domain's latest observation goes.
        #expect(try store.prune(observationsOlderThan: t0.addingTimeInterval(1e6)) == 1)
        #expect(try store.rowCount("observation") == 2)
        #expect(try store.events() == events)
        #expect(try store.currentAssessments().count == 2)
        #expect(try store.integrityProblems().isEmpty)
    }
}
