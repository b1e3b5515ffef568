import Foundation
import STSCheck
import STSCore
import STSLab
import Testing

/// Where the real probes may connect, against the lab: address families (the lab's IPv6 on a
/// ULA of `lo` and an unroutable documentation prefix), non-global addresses, and a tarpit.
/// Connections are counted by the lab's servers.
@Suite(.serialized, .timeLimit(.minutes(3)))
struct LabDestinationTests {
    func checker(_ lab: Lab, _ rules: DestinationRules, deadline: Duration = .seconds(30)) throws -> Checker {
        var settings = CheckSettings(concurrency: 16, domainDeadline: deadline)
        settings.destinations = rules
        return Checker(environment: try LabScenarioTests.environment(lab), settings: settings)
    }

    func allowed(_ lab: Lab) -> [AddressRange] { lab.manifest.allowAddresses.compactMap(AddressRange.init) }

    func byDomain(_ results: [CheckResult]) -> [String: Assessment] {
        Dictionary(results.map { ($0.assessment.domain, $0.assessment) }, uniquingKeysWith: { a, _ in a })
    }

    @Test func ipVersion4ProbesNoIPv6AddressAndBlamesNoDomainForIt() async throws {
        let lab = try Lab.shared.get()
        try #require(lab.manifest.scenarios.contains { $0.domain == "v6-dual.test" }, "the lab has no IPv6 here")
        let v6 = Set(["v6-dual.test", "v6-only.test", "v6-unroutable.test", "v6-unroutable-only.test"]
            .flatMap { lab.scenario($0)?.mxHosts.compactMap(\.address).filter { $0.contains(":") } ?? [] })
        // The scenario run probes these domains too: let it finish so the lab's count is ours alone.
        _ = try await LabScenarioTests.run()
        let before = try lab.smtpConnections()
        let results = byDomain(await try checker(lab, DestinationRules(ipVersion: .v4, allowed: allowed(lab)))
            .check(["v6-dual.test", "v6-only.test", "v6-unroutable.test", "v6-unroutable-only.test"]))
        #expect(results["v6-dual.test"]?.status == .ok, "\(results["v6-dual.test"]?.findings ?? [])")
        #expect(results["v6-unroutable.test"]?.status == .ok, "\(results["v6-unroutable.test"]?.findings ?? [])")
        for domain in ["v6-only.test", "v6-unroutable-only.test"] {
            #expect(results[domain]?.status == .unknown, "\(domain)")
            #expect(results[domain]?.findings.map(\.code) == [.mxNotProbed], "\(domain)")
        }
        let after = try lab.smtpConnections()
        for address in v6 { #expect((after[address] ?? 0) == (before[address] ?? 0), "\(address) was connected to") }
    }

    @Test func ipVersion6AndAutoProbeTheLabsIPv6() async throws {
        let lab = try Lab.shared.get()
        try #require(lab.manifest.scenarios.contains { $0.domain == "v6-dual.test" }, "the lab has no IPv6 here")
        let only6 = byDomain(await try checker(lab, DestinationRules(ipVersion: .v6, allowed: allowed(lab))).check(["v6-dual.test"]))
        let probes = only6["v6-dual.test"]?.mx.first?.probes ?? []
        #expect(probes.contains { $0.address.contains(":") && $0.result == "offered" }, "\(probes)")
        #expect(probes.contains { !$0.address.contains(":") && $0.result == "not-probed" }, "\(probes)")

        let auto = byDomain(await try checker(lab, DestinationRules(ipVersion: .auto, allowed: allowed(lab)))
            .check(["v6-dual.test", "v6-only.test", "v6-unroutable.test"]))
        #expect(auto["v6-dual.test"]?.status == .ok)
        #expect(auto["v6-only.test"]?.status == .ok)
        // IPv6 works here (the ULA), so an unroutable AAAA is the MX's problem.
        #expect(auto["v6-unroutable.test"]?.findings.map(\.code).contains(.mxUnreachable) == true)
    }

    /// A monitor whose IPv6 reaches nothing: only the lab's unroutable IPv6 addresses are tried.
    /// Once two of them failed while IPv4 works, IPv6 is this monitor's problem, not the domains'.
    @Test func autoStopsBlamingDomainsForAFamilyThisMonitorCannotUse() async throws {
        let lab = try Lab.shared.get()
        try #require(lab.manifest.scenarios.contains { $0.domain == "v6-unroutable.test" }, "the lab has no IPv6 here")
        var settings = CheckSettings(concurrency: 1, domainDeadline: .seconds(30))
        settings.destinations = DestinationRules(ipVersion: .auto, allowed: allowed(lab))
        let environment = try LabScenarioTests.environment(lab)
        let coordinator = ProbeCoordinator(environment: environment, rules: settings.destinations)
        let checker = Checker(environment: environment, settings: settings)
        let domains = ["v6-unroutable.test", "v6-unroutable-only.test"]
        _ = await checker.check(domains, coordinator: coordinator)
        #expect(await coordinator.unavailableFamilies[.ipv6] != nil)
        // What a poller's next round sees: no warning for the dual-stack MX, unknown for the IPv6-only one.
        let again = byDomain(await checker.check(domains, coordinator: coordinator))
        #expect(again["v6-unroutable.test"]?.status == .ok, "\(again["v6-unroutable.test"]?.findings ?? [])")
        #expect(again["v6-unroutable-only.test"]?.status == .unknown)
        #expect(again["v6-unroutable-only.test"]?.findings.map(\.code) == [.mxNotProbed])
    }

    @Test func nonGlobalAddressesAreRefusedByDefaultAndProbedWhenAllowed() async throws {
        let lab = try Lab.shared.get()
        // txt-split.test: ok, and probed by no other test of this process after the scenario run.
        let address = try #require(lab.scenario("txt-split.test")?.mxHosts.first?.address)
        // The scenario run probes good.test too: let it finish so the lab's count is ours alone.
        _ = try await LabScenarioTests.run()
        let before = try lab.smtpConnections()[address] ?? 0
        let refused = byDomain(await try checker(lab, DestinationRules()).check(["txt-split.test"]))["txt-split.test"]
        #expect(refused?.findings.map(\.code).contains(.mxAddressNotGlobal) == true)
        #expect(refused?.findings.map(\.code).contains(.stsPolicyFetchError) == true)
        #expect(refused?.status != .ok)
        try await Task.sleep(for: .milliseconds(300))  // Postfix logs connections asynchronously
        #expect(try lab.smtpConnections()[address] ?? 0 == before)

        let allowed = byDomain(await try checker(lab, DestinationRules(allowed: allowed(lab))).check(["txt-split.test"]))["txt-split.test"]
        #expect(allowed?.status == .ok)
        try await Task.sleep(for: .milliseconds(300))
        #expect(try lab.smtpConnections()[address] ?? 0 > before)
    }

    @Test func aTarpitDoesNotStarveTheDomainsCheckedBesideIt() async throws {
        let lab = try Lab.shared.get()
        let tarpit = try #require(lab.scenario("tarpit.test"))
        // Every other scenario at the same time (ratelimit-after-first is ok only on the first
        // check of its window, which the scenario run may have used).
        let others = lab.manifest.scenarios.filter { !$0.domain.hasPrefix("ratelimit-after") }
        let good = others.filter { $0.expectStatus == "ok" }
        try #require(good.count >= 10)
        // 128 stalling addresses, each holding its probe until the reply timeout (4 s here).
        let results = byDomain(await try checker(lab, DestinationRules(allowed: allowed(lab)), deadline: .seconds(20))
            .check([tarpit.domain] + others.map(\.domain)))
        for scenario in others {
            let domain = DomainName.canonical(scenario.domain)
            #expect(results[domain]?.status.rawValue == scenario.expectStatus, "\(domain): \(results[domain]?.findings ?? [])")
            #expect(results[domain]?.findings.contains { $0.message.contains("deadline") } == false, "\(domain) ran out of time")
        }
        #expect(results[tarpit.domain]?.status == .crit)
        // The tarpit was really probed: its servers counted the connections.
        let addresses = tarpit.mxHosts.compactMap(\.address)
        let received = try lab.smtpConnections()
        #expect(addresses.contains { (received[$0] ?? 0) > 0 })
        // The probes still stalled at the deadline were aborted, not left holding worker threads
        // until their own 4 s reply timeout: the tarpit sees its connections closed.
        try await Task.sleep(for: .milliseconds(1500))
        let open = try lab.smtpOpenConnections()
        #expect(addresses.allSatisfy { (open[$0] ?? 0) == 0 }, "\(open.filter { addresses.contains($0.key) && $0.value > 0 })")
    }
}
