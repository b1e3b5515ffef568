import Foundation
import STSCore
@testable import STSStore
import STSStoreFixtures
import Testing

@Suite struct ReportTests {
    let received = Date(timeIntervalSince1970: 1_750_000_000)

    /// The corpus's reports, decoded, with the first file of each organisation + report-id marked as the one stored.
    func corpus() throws -> [(name: String, data: Data, decoded: ReportDecodeResult, first: Bool)] {
        var seen = Set<String>()
        return try corpusReports().map { name, data in
            let decoded = try TLSReport.decode(data)
            let key = "\(decoded.report.organizationName ?? "")\u{0}\(decoded.report.reportID ?? name)"
            return (name, data, decoded, seen.insert(key).inserted)
        }
    }

    func day(_ date: Date) -> String {
        let f = ISO8601DateFormatter()
        f.timeZone = TimeZone(identifier: "UTC")
        f.formatOptions = [.withFullDate]
        return f.string(from: date)
    }

    @Test func corpusInsertsOncePerReportAndDuplicatesAreRecognised() throws {
        let temp = try TempFolder()
        let store = try Store(path: temp.databasePath)
        let reports = try corpus()
        #expect(reports.contains { !$0.first }, "the corpus holds one report in several files; this test relies on it")
        var ids: [String: Int64] = [:]
        for r in reports {
            let outcome = try store.insertReport(r.decoded, raw: r.data, source: "corpus/\(r.name)",
                                                 message: MailMeta(subject: "Report \(r.name)", messageID: "<\(r.name)@test>"), receivedAt: received)
            let key = "\(r.decoded.report.organizationName ?? "")\u{0}\(r.decoded.report.reportID ?? r.name)"
            switch outcome {
            case .inserted(let id):
                #expect(r.first, "\(r.name) should have been a duplicate")
                ids[key] = id
            case .duplicate(let id):
                #expect(!r.first, "\(r.name) is not a duplicate")
                #expect(ids[key] == id, "\(r.name) duplicates the wrong report")
            }
        }
        #expect(try store.rowCount("report") == reports.filter(\.first).count)
        // A second pass over the same bytes stores nothing.
        for r in reports {
            guard case .duplicate = try store.insertReport(r.decoded, raw: r.data, source: "again", message: nil) else {
                Issue.record("\(r.name) inserted twice"); continue
            }
        }
        #expect(try store.rowCount("report") == reports.filter(\.first).count)
        #expect(try store.integrityProblems().isEmpty)
    }

    @Test func aReportWithoutIDIsDeduplicatedByItsBytes() throws {
        let temp = try TempFolder()
        let store = try Store(path: temp.databasePath)
        let json = #"{"organization-name":"No Id Inc.","date-range":{"start-datetime":"2024-03-01T00:00:00Z","end-datetime":"2024-03-01T23:59:59Z"},"policies":[{"policy":{"policy-type":"no-policy-found","policy-domain":"example.net"},"summary":{"total-successful-session-count":4,"total-failure-session-count":0}}]}"#
        let other = json.replacingOccurrences(of: "\"total-successful-session-count\":4", with: "\"total-successful-session-count\":5")
        let a = try store.insertReport(TLSReport.decode(Data(json.utf8)), raw: Data(json.utf8), source: "a", message: nil)
        let b = try store.insertReport(TLSReport.decode(Data(json.utf8)), raw: Data(json.utf8), source: "b", message: nil)
        let c = try store.insertReport(TLSReport.decode(Data(other.utf8)), raw: Data(other.utf8), source: "c", message: nil)
        guard case .inserted(let id) = a, case .duplicate(id) = b, case .inserted = c else {
            Issue.record("got \(a), \(b), \(c)"); return
        }
        #expect(try store.dailyTotals(domain: "example.net") == [DailyTotal(domain: "example.net", day: "2024-03-01", successful: 9, failed: 0)])
    }

    @Test func storedReportComesBackWhole() throws {
        let temp = try TempFolder()
        let store = try Store(path: temp.databasePath)
        for r in try corpus() where r.first {
            let mail = MailMeta(subject: "Report Domain: x", from: "noreply@reporter.test", dateText: "Mon, 1 Jan 2024 00:00:00 +0000", messageID: "<\(r.name)>")
            guard case .inserted(let id) = try store.insertReport(r.decoded, raw: r.data, source: "file:\(r.name)", message: mail, receivedAt: received) else {
                Issue.record("\(r.name) not inserted"); continue
            }
            let stored = try store.report(id: id)
            #expect(stored.raw == r.data, "\(r.name)")
            #expect(stored.report == r.decoded.report, "\(r.name)")
            #expect(stored.oddities == r.decoded.oddities, "\(r.name)")
            #expect(stored.row.mail == mail && stored.row.source == "file:\(r.name)" && stored.row.receivedAt == received)
            #expect(stored.row.organization == r.decoded.report.organizationName && stored.row.reportID == r.decoded.report.reportID)
            #expect(stored.row.totalFailed == r.decoded.report.totalFailed && stored.row.totalSuccessful == r.decoded.report.totalSuccessful)
            #expect(stored.row.policyDomains == r.decoded.report.policyDomains.map(DomainName.canonical), "\(r.name)")
            #expect(stored.row.start == r.decoded.report.dateRange?.start?.date)
        }
        #expect(throws: StoreError.reportNotFound(9999)) { try store.report(id: 9999) }
    }

    @Test func failureGroupsAndDailyTotalsAgreeWithTheReports() throws {
        let temp = try TempFolder()
        let store = try Store(path: temp.databasePath)
        let stored = try corpus().filter(\.first)
        for r in stored { _ = try store.insertReport(r.decoded, raw: r.data, source: r.name, message: nil, receivedAt: received) }

        // Expected figures, summed here from the decoded reports.
        var byType: [String?: (sessions: Int, reports: Set<String>)] = [:]
        var byDomainType: [String: Int] = [:]
        var daily: [String: (Int, Int)] = [:]
        for r in stored {
            for policy in r.decoded.report.policies {
                let domain = policy.policy.policyDomain.map(DomainName.canonical)
                for detail in policy.failureDetails ?? [] {
                    let type = detail.resultType?.rawValue
                    byType[type, default: (0, [])].sessions += detail.failedSessionCount ?? 0
                    byType[type, default: (0, [])].reports.insert(r.name)
                    if let domain { byDomainType["\(domain) \(type ?? "-")", default: 0] += detail.failedSessionCount ?? 0 }
                }
                if let domain {
                    let key = "\(domain) \(day(r.decoded.report.dateRange?.start?.date ?? received))"
                    daily[key] = ((daily[key]?.0 ?? 0) + policy.successfulSessions, (daily[key]?.1 ?? 0) + policy.failedSessions)
                }
            }
        }
        #expect(!byType.isEmpty && !daily.isEmpty)

        let groups = try store.failureGroups(by: .resultType)
        #expect(groups.count == byType.count)
        for group in groups {
            let expected = try #require(byType[group.resultType])
            #expect(group.sessions == expected.sessions, "\(group.resultType ?? "nil")")
            #expect(group.reportCount == expected.reports.count, "\(group.resultType ?? "nil")")
            #expect(group.domain == nil && group.mx == nil && group.reporter == nil)
            #expect(group.firstSeen <= group.lastSeen)
            // The reports behind a group are exactly as many as it counts.
            #expect(try store.reportsForGroup(group).count == group.reportCount, "\(group.resultType ?? "nil")")
        }
        #expect(groups.map(\.sessions) == groups.map(\.sessions).sorted(by: >), "most sessions first")

        let all = try store.failureGroups(by: .all)
        #expect(all.reduce(0) { $0 + $1.sessions } == byType.values.reduce(0) { $0 + $1.sessions })
        for group in all { #expect(try store.reportsForGroup(group).count == group.reportCount, "\(group)") }

        let companyY = try store.failureGroups(domain: "company-y.example", by: [.mx, .resultType])
        #expect(companyY.first == FailureGroup(by: [.mx, .resultType], domain: nil, resultType: "starttls-not-supported",
                                               mx: "mx2.mail.company-y.example", sendingIP: nil, reporter: nil, sessions: 200,
                                               reportCount: 1, firstSeen: companyY.first!.firstSeen, lastSeen: companyY.first!.lastSeen))
        #expect(try store.failureGroups(since: Date(timeIntervalSince1970: 4_000_000_000)).isEmpty)

        let totals = try store.dailyTotals()
        #expect(totals.count == daily.count)
        for total in totals {
            let expected = try #require(daily["\(total.domain) \(total.day)"])
            #expect(total.successful == expected.0 && total.failed == expected.1, "\(total)")
        }
        #expect(try store.dailyTotals(domain: "example.org", since: Date(timeIntervalSince1970: 1_700_000_000)).allSatisfy { $0.day >= "2023-11-14" })

        let metrics = try store.metricsSnapshot(now: received)
        for count in metrics.reportFailures {
            #expect(byDomainType["\(count.domain) \(count.resultType ?? "-")"] == count.sessions, "\(count)")
        }
        #expect(metrics.reportFailures.count == byDomainType.count)

        let forExample = try store.reports(domain: "example.com")
        #expect(!forExample.isEmpty && forExample.allSatisfy { $0.policyDomains.contains("example.com") })
        #expect(try store.reports().count == stored.count)
    }

    @Test func hostileCountsAreClampedAndDailyTotalsCannotOverflow() throws {
        let temp = try TempFolder()
        let store = try Store(path: temp.databasePath)
        for n in 0..<3 {
            let json = #"{"organization-name":"Evil","report-id":"e\#(n)","date-range":{"start-datetime":"2024-05-01T00:00:00Z","end-datetime":"2024-05-01T23:59:59Z"},"policies":[{"policy":{"policy-type":"sts","policy-domain":"example.com"},"summary":{"total-successful-session-count":9223372036854775807,"total-failure-session-count":-4},"failure-details":[{"result-type":"certificate-expired","failed-session-count":9223372036854775807}]}]}"#
            let decoded = try TLSReport.decode(Data(json.utf8))
            guard case .inserted = try store.insertReport(decoded, raw: Data(json.utf8), source: "evil", message: nil) else {
                Issue.record("report \(n) not inserted"); continue
            }
        }
        let totals = try store.dailyTotals(domain: "example.com")
        #expect(totals == [DailyTotal(domain: "example.com", day: "2024-05-01", successful: 3 * Store.sessionCountCap, failed: 0)])
        #expect(try store.failureGroups(by: .resultType).first?.sessions == 3 * Store.sessionCountCap)
    }

    @Test func liveCauseLinksAReportedFailureToTheCurrentCheck() throws {
        let temp = try TempFolder()
        let store = try Store(path: temp.databasePath)
        try store.addDomains(["example.com"])
        #expect(try store.liveCause(domain: "example.com", mx: "mx1.example.com", resultType: "certificate-expired") == nil, "never checked")
        try check(store, fixture { $0.certDays["mx1.example.com"] = -2; $0.fetchFailure = .httpStatus(404) })
        let cause = try #require(try store.liveCause(domain: "example.com", mx: "MX1.example.com.", resultType: "certificate-expired"))
        #expect(cause.contains("certificate-expired") && cause.contains("mx1.example.com"), "\(cause)")
        #expect(try store.liveCause(domain: "example.com", mx: "a.mail.example.com", resultType: "certificate-expired") == nil)
        #expect(try store.liveCause(domain: "example.com", mx: "mx1.example.com", resultType: "starttls-not-supported") == nil)
        #expect(try store.liveCause(domain: "example.com", mx: nil, resultType: "sts-policy-fetch-error")?.contains("sts-policy-fetch-error") == true)
        // Fixed since: the next check no longer explains the reports.
        try check(store, fixture(at: t0.addingTimeInterval(60)))
        #expect(try store.liveCause(domain: "example.com", mx: "mx1.example.com", resultType: "certificate-expired") == nil)
    }

    @Test func aBatchIsOneTransactionWithDuplicatesInsideIt() throws {
        let temp = try TempFolder()
        let store = try Store(path: temp.databasePath)
        let reports = try corpus()
        let batch = reports.map { ReportInsertion($0.decoded, raw: $0.data, source: $0.name, message: nil, receivedAt: received) }
        let outcomes = try store.insertReports(batch)
        #expect(outcomes.count == reports.count)
        for (r, outcome) in zip(reports, outcomes) {
            switch outcome {
            case .inserted: #expect(r.first, "\(r.name) should have been a duplicate within the batch")
            case .duplicate: #expect(!r.first, "\(r.name) is not a duplicate")
            }
        }
        #expect(try store.rowCount("report") == reports.filter(\.first).count)
        // All or nothing: a batch whose last report breaks a constraint stores none of it.
        let fresh = syntheticBatchReport(id: "batch-1"), broken = syntheticBatchReport(id: "batch-2")
        var bad = ReportInsertion(try TLSReport.decode(broken), raw: broken, source: "broken", message: nil, receivedAt: received)
        bad.decoded.report.organizationName = ""
        bad.decoded.report.reportID = nil
        #expect(throws: (any Error).self) {
            try store.insertReports([ReportInsertion(try TLSReport.decode(fresh), raw: fresh, source: "fresh", message: nil, receivedAt: received), bad])
        }
        #expect(try store.rowCount("report") == reports.filter(\.first).count)
        #expect(try store.reports().allSatisfy { $0.reportID != "batch-1" })
    }

    func syntheticBatchReport(id: String) -> Data {
        Data(#"{"organization-name":"Batch Inc.","date-range":{"start-datetime":"2024-03-01T00:00:00Z","end-datetime":"2024-03-01T23:59:59Z"},"report-id":"\#(id)","policies":[{"policy":{"policy-type":"no-policy-found","policy-domain":"example.net"},"summary":{"total-successful-session-count":4,"total-failure-session-count":0}}]}"#.utf8)
    }

    @Test func imapStateRoundTrips() throws {
        let temp = try TempFolder()
        let store = try Store(path: temp.databasePath)
        let box = "imaps://reports@mail.example.com/INBOX"
        #expect(try store.imapState(mailbox: box) == nil)
        try store.setIMAPState(IMAPMailboxState(uidValidity: 1_700_000_000, lastUID: 42), mailbox: box)
        #expect(try store.imapState(mailbox: box) == IMAPMailboxState(uidValidity: 1_700_000_000, lastUID: 42))
        try store.setIMAPState(IMAPMailboxState(uidValidity: .max, lastUID: .max), mailbox: box)
        #expect(try store.imapState(mailbox: box) == IMAPMailboxState(uidValidity: .max, lastUID: .max))
        #expect(throws: StoreError.self) { try store.setIMAPState(IMAPMailboxState(uidValidity: 0, lastUID: 1), mailbox: box) }
        #expect(throws: StoreError.self) { try store.setIMAPState(IMAPMailboxState(uidValidity: 1, lastUID: 1), mailbox: "") }
    }
}
