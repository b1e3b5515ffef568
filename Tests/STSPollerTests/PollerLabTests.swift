import Foundation
import Logging
import STSCheck
import STSCore
import STSLab
@testable import STSPoller
import STSStore
import Synchronization
import Testing

/// The poller against the real lab servers (NSD, nginx, Postfix, scripted SMTP) and a real SQLite file.
@Suite(.serialized, .timeLimit(.minutes(3)))
struct PollerLabTests {
    static let domains = ["good.test", "no-sts.test", "policy-404.test", "no-starttls.test", "mx-unreachable.test",
                          "dns-error.test", "mode-testing.test", "null-mx.test"]

    @Test func aRoundRecordsEveryDueDomainAsTheLabExpects() async throws {
        let lab = try await sharedLab()
        let folder = try TempFolder()
        let store = try Store(path: folder.databasePath)
        try store.addDomains(Self.domains)
        let (logger, logPath) = try testLogger(folder)
        let poller = Poller(store: store, environment: try labEnvironment(lab), settings: pollSettings(), logger: logger,
                            random: { 0.5 })
        let before = Date()
        let report = try await poller.runOnce()
        #expect(report.checked == Self.domains.count)
        #expect(report.recordErrors == 0)
        #expect(report.events.isEmpty, "a first check has no history to differ from")
        for (address, count) in report.connectionsPerAddress {
            #expect(count == 1, "\(address) probed \(count) times in one round")
        }

        let states = Dictionary(try store.currentAssessments().map { ($0.assessment.domain, $0) }, uniquingKeysWith: { a, _ in a })
        for domain in Self.domains {
            let expected = try #require(lab.scenario(domain))
            let state = try #require(states[domain], "\(domain) not recorded")
            #expect(state.assessment.status.rawValue == expected.expectStatus, "\(domain)")
        }
        // Scheduling: with the draw fixed at 0.5 (no jitter), a complete check comes back after the interval,
        // a failed one (dns-error: status unknown) after retry_min.
        let records = Dictionary(try store.domains().map { ($0.name, $0) }, uniquingKeysWith: { a, _ in a })
        let good = try #require(records["good.test"]?.nextDueAt)
        #expect(good.timeIntervalSince(before) > 890 && good.timeIntervalSince(Date()) < 910)
        let failed = try #require(records["dns-error.test"])
        #expect(failed.consecutiveFailures == 1)
        #expect(try #require(failed.nextDueAt).timeIntervalSince(before) < 70)
        #expect(records["good.test"]?.consecutiveFailures == 0)

        // Nothing is due any more: the next round checks nothing.
        #expect(try await poller.runOnce().checked == 0)
        let log = try String(contentsOfFile: logPath, encoding: .utf8)
        #expect(log.contains("round: \(Self.domains.count) domains in"), "\(log)")
    }

    @Test func changesBetweenRoundsBecomeEvents() async throws {
        let lab = try await sharedLab()
        let folder = try TempFolder()
        let store = try Store(path: folder.databasePath)
        try store.addDomains(["good.test"])
        let (logger, _) = try testLogger(folder)
        let trusted = Poller(store: store, environment: try labEnvironment(lab), settings: pollSettings(), logger: logger)
        #expect(try await trusted.runOnce().statuses[.ok] == 1)

        // The same servers seen with the system trust store: the lab CA is unknown, every certificate untrusted.
        var settings = ProbeSettings(resolver: lab.manifest.resolver, caFile: nil)
        settings.timeout = .seconds(4)
        let untrusting = Poller(store: store, environment: try CheckEnvironment.live(settings), settings: pollSettings(), logger: logger)
        try store.requestRecheck(domain: "good.test")
        let report = try await untrusting.runOnce()
        #expect(report.checked == 1)
        #expect(report.statuses[.crit] == 1)
        let kinds = report.events.map(\.kind)
        #expect(kinds.contains(.statusChanged))
        #expect(try store.events(domain: "good.test").contains { $0.kind == .statusChanged && $0.message == "status ok → crit" })
    }

    @Test func theLoopPicksUpARecheckRequestAndStops() async throws {
        let lab = try await sharedLab()
        let folder = try TempFolder()
        let store = try Store(path: folder.databasePath)
        try store.addDomains(["good.test", "no-sts.test"])
        let (logger, _) = try testLogger(folder)
        let poller = Poller(store: store, environment: try labEnvironment(lab), settings: pollSettings(), logger: logger)
        let seen = Mutex<Set<PollerStatus.State>>([])
        let updates = poller.statusUpdates()
        let watcher = Task { for await s in updates { seen.withLock { _ = $0.insert(s.state) } } }
        let stop = PollerStop()
        let loop = Task { await poller.run(until: stop) }

        let firstRound = try await eventually(within: 60) { try store.currentAssessments().count == 2 }
        #expect(firstRound)
        let checkedBefore = try #require(try store.currentAssessments(domains: ["good.test"]).first?.checkedAt)
        #expect(try await eventually(within: 10) { poller.status.state == .idle })
        #expect(poller.status.lastRoundChecked == 2)
        #expect(try #require(poller.status.nextDue) > Date().addingTimeInterval(600))

        try store.requestRecheck(domain: "good.test")
        let rechecked = try await eventually(within: 30) {
            try store.currentAssessments(domains: ["good.test"]).first.map { $0.checkedAt > checkedBefore } ?? false
        }
        #expect(rechecked)
        // Only the requested domain was checked again.
        #expect(try store.observations(domain: "no-sts.test").count == 1)

        stop.stop()
        await loop.value
        await watcher.value
        #expect(poller.status.state == .stopped)
        #expect(seen.withLock { $0.isSuperset(of: [.running, .idle, .stopped]) })
    }

    @Test func aNewDomainIsCheckedWithinSecondsWhileLotsAreSpread() async throws {
        let lab = try await sharedLab()
        let folder = try TempFolder()
        let store = try Store(path: folder.databasePath)
        // Twelve new names, a burst of two: two are checked at once, ten are spread over the interval.
        let names = (1...12).map { "spread\($0).test" }
        try store.addDomains(names)
        let (logger, _) = try testLogger(folder)
        var settings = pollSettings()
        settings.firstCheckBurst = 2
        let poller = Poller(store: store, environment: try labEnvironment(lab), settings: settings, logger: logger)
        let stop = PollerStop()
        let loop = Task { await poller.run(until: stop) }
        #expect(try await eventually(within: 60) { poller.status.lastRoundEnd != nil })
        #expect(poller.status.lastRoundChecked == 2)
        let due = try store.domains().filter { $0.lastCheckedAt == nil }.compactMap(\.nextDueAt)
        #expect(due.count == 10)
        #expect(due.allSatisfy { $0 > Date() && $0 < Date().addingTimeInterval(900) })

        // Added while the loop idles: checked within a few seconds, not at the end of the interval.
        try store.addDomains(["good.test"])
        #expect(try await eventually(within: 30) { try !store.currentAssessments(domains: ["good.test"]).isEmpty })
        stop.stop()
        await loop.value
    }
}
