import Foundation
import STSCore
@testable import STSStore
import STSStoreFixtures
import Testing

@Suite struct MetricsTests {
    @Test func snapshotHasStatusExpiriesAndFreshness() throws {
        let temp = try TempFolder()
        let store = try Store(path: temp.databasePath)
        try store.addDomains(["example.com", "never.example"])
        try check(store, fixture { $0.certDays["mx1.example.com"] = 10; $0.policyCertDays = 45 })
        try check(store, fixture(at: t0.addingTimeInterval(600)) {
            $0.certDays["mx1.example.com"] = 10; $0.policyCertDays = 45; $0.mxLookup = .failed(reason: "SERVFAIL"); $0.mx = []
        }, failed: true)
        let now = t0.addingTimeInterval(86_400)
        let snapshot = try store.metricsSnapshot(now: now)
        #expect(snapshot.domains.map(\.name) == ["example.com", "never.example"])
        let example = snapshot.domains[0]
        #expect(example.status == .unknown)
        #expect(example.secondsSinceLastSuccess == 86_400, "the failed check does not count as a success")
        #expect(example.consecutiveFailures == 1)
        #expect(example.policyCertificate?.host == "mta-sts.example.com")
        #expect(example.policyCertificate?.daysLeft == 44)
        #expect(example.mxCertificates.isEmpty, "the latest check saw no MX hosts")

        try check(store, fixture(at: t0.addingTimeInterval(1200)) { $0.certDays["mx1.example.com"] = 10 })
        let fresh = try store.metricsSnapshot(now: now).domains[0]
        #expect(fresh.mxCertificates.map(\.host) == ["mx1.example.com", "a.mail.example.com"])
        #expect(fresh.mxCertificates.map(\.daysLeft) == [9, 89])
        #expect(fresh.secondsSinceLastSuccess == 86_400 - 1200 && fresh.consecutiveFailures == 0 && fresh.status == .warn)

        let never = snapshot.domains[1]
        #expect(never.status == nil && never.secondsSinceLastSuccess == nil && never.mxCertificates.isEmpty)
    }
}
