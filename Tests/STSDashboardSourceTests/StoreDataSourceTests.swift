import Foundation
import STSCore
import STSDashboard
import STSDashboardSource
import STSDemo
import STSStore
import STSStoreFixtures
import Testing

/// The data source over a real SQLite file: the list from summaries, one domain in full,
/// failure groups with live causes, reports, change detection and the watch-list actions.
@Suite struct StoreDataSourceTests {
    let folder: String
    let store: Store
    let now = Date()

    init() throws {
        folder = FileManager.default.temporaryDirectory.appendingPathComponent("stswatch-source-\(UUID().uuidString)").path
        store = try Store(path: folder + "/stswatch.sqlite")
        var expired = ObservationFixture(domain: "expired.test", observedAt: now, epoch: now)
        expired.certDays["mx1.expired.test"] = -3
        let good = ObservationFixture(domain: "good.test", observedAt: now, epoch: now)
        var plain = ObservationFixture(domain: "plain.test", observedAt: now, epoch: now)
        plain.outcomes["mx1.plain.test"] = .starttlsNotOffered
        _ = try store.addDomains(["expired.test", "good.test", "plain.test", "pending.test"], now: now)
        for f in [expired, good, plain] {
            let (observation, assessment) = f.assess()
            try store.record(observation: observation, assessment: assessment, nextDue: now.addingTimeInterval(900), failed: false)
        }
        let demo = [
            DemoDomain(domain: "expired.test", expectedCodes: ["certificate-expired"], mxHosts: [(host: "mx1.expired.test", address: "192.0.2.1")]),
            DemoDomain(domain: "plain.test", expectedCodes: ["starttls-not-supported"], mxHosts: [(host: "mx1.plain.test", address: "192.0.2.2")]),
            DemoDomain(domain: "good.test", expectedCodes: [], mxHosts: [(host: "mx1.good.test", address: "192.0.2.3")]),
        ]
        for raw in DemoReports.generate(for: demo, now: now) {
            _ = try store.insertReport(TLSReport.decode(raw), raw: raw, source: "demo", message: nil, receivedAt: now)
        }
    }

    func source() -> StoreDataSource {
        StoreDataSource(store: store, pollerState: { PollerState(mode: .external(pid: 4242)) }, now: { now })
    }

    @Test func snapshotListsEveryDomainFromSummaries() throws {
        let snapshot = try source().snapshot()
        let rows = Dictionary(uniqueKeysWithValues: snapshot.domains.map { ($0.domain, $0) })
        #expect(rows.keys.sorted() == ["expired.test", "good.test", "pending.test", "plain.test"])
        #expect(snapshot.poller.mode == .external(pid: 4242))
        let expired = try #require(rows["expired.test"])
        #expect(expired.assessment == nil, "the list must not decode assessments")
        #expect(expired.status == .crit)
        #expect(expired.soonestMXExpiryDays == -3)
        #expect(expired.summary?.mode == .enforce)
        #expect(expired.reportFailures7d > 0 && expired.reportSessions7d > expired.reportFailures7d)
        #expect(rows["good.test"]?.status == .ok)
        #expect(rows["pending.test"]?.isChecked == false)
        #expect(rows["pending.test"]?.reportSessions7d == 0)
    }

    @Test func detailCarriesTheAssessmentAndEvents() throws {
        let row = try #require(try source().detail(domain: "expired.test"))
        let a = try #require(row.assessment)
        #expect(a.findings.contains { $0.code == .certificateExpired && $0.subject.contains("mx1.expired.test") })
        #expect(row.reportFailures7d > 0)
        #expect(try source().detail(domain: "unknown.test") == nil)
        let pending = try #require(try source().detail(domain: "pending.test"))
        #expect(pending.assessment == nil)
    }

    @Test func failureGroupsCarryLiveCausesAndLeadToReports() throws {
        let s = source()
        let groups = try s.failureGroups(domain: "expired.test")
        let expired = try #require(groups.first { $0.resultType == "certificate-expired" })
        #expect(expired.receivingMX == "mx1.expired.test")
        #expect(expired.liveCause?.contains("certificate-expired") == true, "\(expired.liveCause ?? "nil")")
        #expect(groups.allSatisfy { $0.domain == "expired.test" })
        let reports = try s.reports(for: expired)
        #expect(reports.count == expired.reportCount && !reports.isEmpty)
        let full = try #require(try s.report(id: reports[0].id))
        #expect(full.rawJSON.contains("\"certificate-expired\""))
        #expect(full.report.policies.first?.policy.policyDomain == "expired.test")
        #expect(try s.report(id: "999999") == nil)
        // The clean domain's old transient failures have no live cause: the latest check does not see them.
        for g in try s.failureGroups(domain: "good.test") { #expect(g.liveCause == nil) }
        #expect(try s.failureGroups(domain: "plain.test").contains { $0.resultType == "starttls-not-supported" && $0.liveCause != nil })
    }

    /// One report whose policy domain is not a domain name: the all-domains list still opens, with it in.
    @Test func allDomainsFailuresSurviveAnInvalidPolicyDomain() throws {
        let raw = Data(#"""
            {"organization-name":"Odd Sender","report-id":"odd-1",
             "date-range":{"start-datetime":"\#(now.addingTimeInterval(-86_400).formatted(.iso8601))","end-datetime":"\#(now.formatted(.iso8601))"},
             "policies":[{"policy":{"policy-type":"sts","policy-domain":"not a..domain"},
                          "summary":{"total-successful-session-count":0,"total-failure-session-count":3},
                          "failure-details":[{"result-type":"certificate-expired","receiving-mx-hostname":"mx1.expired.test","failed-session-count":3}]}]}
            """#.utf8)
        _ = try store.insertReport(TLSReport.decode(raw), raw: raw, source: "odd", message: nil, receivedAt: now)
        let groups = try source().failureGroups(domain: nil)
        #expect(groups.contains { $0.reporter == "Odd Sender" && $0.liveCause == nil })
        #expect(groups.contains { $0.domain == "expired.test" && $0.liveCause != nil }, "other groups keep their live causes")
    }

    @Test func changesAndActionsGoThroughTheStore() throws {
        let s = source()
        _ = try s.snapshot()
        #expect(try s.hasChanged() == false)
        try s.add(domain: "New.Example")
        #expect(try s.hasChanged() == true)
        #expect(try s.snapshot().domains.contains { $0.domain == "new.example" })
        #expect(throws: DataSourceError.alreadyWatched("new.example")) { try s.add(domain: "new.example") }
        #expect(throws: (any Error).self) { try s.add(domain: "not a domain") }
        try s.recheck(domain: "good.test")
        let requests = try store.takeRecheckRequests()
        #expect(requests.domains == ["good.test"])
        try s.remove(domain: "new.example")
        #expect(try s.snapshot().domains.contains { $0.domain == "new.example" } == false)
        #expect(throws: DataSourceError.notWatched("new.example")) { try s.remove(domain: "new.example") }
    }

    /// The reducer's real path: Enter on a summary row loads the one assessment the detail pane needs.
    @Test func drillingDownLoadsTheDetail() throws {
        let s = source()
        var state = DashboardState(snapshot: try s.snapshot(), width: 120, height: 40, now: now)
        state.selectedDomain = "expired.test"
        Dashboard.handle(.key(.enter), state: &state, source: s)
        #expect(state.pane == .detail)
        #expect(state.detailRow?.assessment?.domain == "expired.test")
        let screen = DashboardView.render(state, glyphs: .ascii).text
        #expect(screen.contains("certificate-expired"))
        Dashboard.handle(.key(.enter), state: &state, source: s)
        #expect(state.pane == .failures)
        #expect(state.failures.groups.contains { $0.liveCause != nil })
    }
}
