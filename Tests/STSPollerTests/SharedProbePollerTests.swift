import Foundation
import Logging
import STSCheck
import STSCheckScripted
import STSCore
import STSPoller
import STSStore
import Testing

/// The poller shares MX probes across rounds, processes and domains: scripted answers, a manual
/// clock, the real store. Connections are counted where the scripted server receives them.
@Suite struct SharedProbePollerTests {
    static let allowed = ["192.0.2.0/24"].compactMap(AddressRange.init)

    func world(domains: Int, mxHosts: Int) -> (ScriptedWorld, [String]) {
        let world = ScriptedWorld()
        let names = (1...domains).map { String(format: "d%04d.example", $0) }
        for (i, name) in names.enumerated() {
            let k = i % mxHosts + 1
            world.addDomain(name, mx: [("mx\(k).provider.example", ["192.0.2.\(k)"])])
        }
        return (world, names)
    }

    func poller(_ world: ScriptedWorld, store: Store, folder: TempFolder, mxInterval: TimeInterval?) throws -> Poller {
        var settings = PollSettings()
        settings.schedule.interval = 120
        settings.schedule.jitter = 0
        settings.mxInterval = mxInterval
        settings.writeGather = 0
        settings.check = CheckSettings(concurrency: 32, domainDeadline: .seconds(60))
        settings.check.destinations.allowed = Self.allowed
        let (logger, _) = try testLogger(folder)
        return Poller(store: store, environment: world.environment, settings: settings, logger: logger, random: { 0.5 })
    }

    @Test func aSharedMXIsProbedOncePerMXIntervalAcrossRoundsAndProcesses() async throws {
        let folder = try TempFolder()
        let store = try Store(path: folder.databasePath)
        let (world, names) = world(domains: 300, mxHosts: 3)
        _ = try store.addDomains(names)
        let first = try poller(world, store: store, folder: folder, mxInterval: 600)
        // Five rounds, every domain due in each (poll interval 120 s), inside one MX interval.
        for round in 0..<5 {
            let report = try await first.runOnce()
            #expect(report.checked == 300, "round \(round)")
            #expect(report.statuses[.ok] == 300, "round \(round): \(report.statuses)")
            if round < 4 { world.clock.advance(by: 120) }
        }
        #expect(world.connections == ["192.0.2.1": 1, "192.0.2.2": 1, "192.0.2.3": 1])

        // Another process on the same database (a dashboard taking over) reuses the stored probes.
        world.clock.advance(by: 60)  // 540 s after the probes
        let second = try poller(world, store: store, folder: folder, mxInterval: 600)
        _ = try await second.runOnce()
        #expect(world.connections == ["192.0.2.1": 1, "192.0.2.2": 1, "192.0.2.3": 1])

        // Past the MX interval: each address once more, whatever the number of domains.
        world.clock.advance(by: 600)
        _ = try await second.runOnce()
        #expect(world.connections == ["192.0.2.1": 2, "192.0.2.2": 2, "192.0.2.3": 2])

        // The drill-down's "shared by": every domain of the MX host.
        #expect(try store.domainsSharing(hosts: ["mx1.provider.example"]) == ["mx1.provider.example": 100])
        let assessment = try #require(try store.previousAssessment(domain: "d0001.example"))
        #expect(assessment.mx.first?.probes.first?.probedAt != nil)
    }

    @Test func aRecheckForcesFreshProbesOfItsOwnMXOnly() async throws {
        let folder = try TempFolder()
        let store = try Store(path: folder.databasePath)
        let (world, names) = world(domains: 30, mxHosts: 3)
        _ = try store.addDomains(names)
        let poller = try poller(world, store: store, folder: folder, mxInterval: nil)
        _ = try await poller.runOnce()
        #expect(world.connections == ["192.0.2.1": 1, "192.0.2.2": 1, "192.0.2.3": 1])
        world.clock.advance(by: 10)
        try store.requestRecheck(domain: "d0002.example")  // mx2
        let report = try await poller.runOnce()
        #expect(report.checked == 1)
        #expect(world.connections == ["192.0.2.1": 1, "192.0.2.2": 2, "192.0.2.3": 1])
    }

    @Test func anUnreachableFamilyIsOneNoteNotAWarningPerDomain() async throws {
        let folder = try TempFolder()
        let store = try Store(path: folder.databasePath)
        let world = ScriptedWorld()
        let names = (1...20).map { "d\($0).example" }
        for (i, name) in names.enumerated() {
            // Dual-stack MX hosts whose (global) IPv6 addresses have no route from this monitor.
            world.addDomain(name, mx: [("mx\(i % 2).provider.example", ["192.0.2.\(i % 2 + 1)", "2600:db8::\(i % 2 + 1)"])])
        }
        world.update { t in
            for a in ["2600:db8::1", "2600:db8::2"] { t.smtp[a] = .connectFailed("\(a): Network is unreachable"); t.connectFailures[a] = .noRoute }
        }
        _ = try store.addDomains(names)
        let poller = try poller(world, store: store, folder: folder, mxInterval: nil)
        let report = try await poller.runOnce()
        #expect(report.statuses[.ok] == 20, "\(report.statuses)")
        #expect(poller.status.note?.contains("no IPv6 connectivity from this monitor") == true, "\(poller.status.note ?? "none")")
        #expect(try store.findings(domain: "d1.example").isEmpty)
    }
}
