import Foundation
import STSCheck
import STSCheckScripted
import STSCore
import Testing

/// The probe coordinator's politeness and honesty, on scripted answers and a manual clock.
@Suite struct ProbeSharingTests {
    /// Documentation ranges stand in for the internet here; nothing connects anywhere.
    static let scriptedRanges = ["192.0.2.0/24", "198.51.100.0/24", "2001:db8::/32"].compactMap(AddressRange.init)

    func coordinator(_ world: ScriptedWorld, perMinute: Int = 2, maxAge: TimeInterval = 600,
                     rules: DestinationRules = DestinationRules(allowed: scriptedRanges)) -> ProbeCoordinator {
        ProbeCoordinator(environment: world.environment, rules: rules,
                         sharing: ProbeSharing(maxAge: maxAge, connectionsPerMinute: perMinute))
    }

    /// Waits (in real time, briefly) until `n` tasks sleep on the manual clock.
    func sleepers(_ world: ScriptedWorld, _ n: Int) async throws {
        for _ in 0..<500 where world.clock.sleeperCount < n { try await Task.sleep(for: .milliseconds(2)) }
        #expect(world.clock.sleeperCount == n)
    }

    @Test func concurrentRequestsForAStaleProbeShareOneConnection() async throws {
        let world = ScriptedWorld()
        world.addDomain("a.example", mx: [("mx.provider.example", ["192.0.2.1"])])
        world.update { $0.smtpDelay["192.0.2.1"] = 5 }
        let coordinator = coordinator(world)
        let probes = Task {
            await withTaskGroup(of: SMTPProbe.self) { group in
                for _ in 0..<20 { group.addTask { await coordinator.probe(host: "mx.provider.example", address: "192.0.2.1") } }
                return await group.reduce(into: [SMTPProbe]()) { $0.append($1) }
            }
        }
        try await sleepers(world, 1)
        world.clock.advance(by: 5)
        let results = await probes.value
        #expect(results.count == 20)
        #expect(Set(results.map(\.probedAt)).count == 1)
        #expect(world.connections["192.0.2.1"] == 1)
        // Young enough: reused, across "rounds", without connecting.
        world.clock.advance(by: 500)
        _ = await coordinator.probe(host: "mx.provider.example", address: "192.0.2.1")
        #expect(world.connections["192.0.2.1"] == 1)
        // Older than the MX interval: made again, once.
        world.clock.advance(by: 100)
        world.update { $0.smtpDelay = [:] }
        _ = await coordinator.probe(host: "mx.provider.example", address: "192.0.2.1")
        #expect(world.connections["192.0.2.1"] == 2)
    }

    @Test func aFreshProbeWaitsForThePerMinuteBudget() async throws {
        let world = ScriptedWorld()
        world.addDomain("a.example", mx: [("mx.provider.example", ["192.0.2.1"])])
        let coordinator = coordinator(world, perMinute: 2)
        for _ in 0..<2 { _ = await coordinator.probe(host: "mx.provider.example", address: "192.0.2.1", fresh: true) }
        #expect(world.connections["192.0.2.1"] == 2)
        let third = Task { await coordinator.probe(host: "mx.provider.example", address: "192.0.2.1", fresh: true) }
        try await sleepers(world, 1)
        #expect(world.connections["192.0.2.1"] == 2)
        world.clock.advance(by: 60)
        _ = await third.value
        #expect(world.connections["192.0.2.1"] == 3)
    }

    @Test func aPoliteRefusalBacksOffAndKeepsTheLastGoodProbe() async throws {
        let world = ScriptedWorld()
        world.addDomain("a.example", mx: [("mx.provider.example", ["192.0.2.1"])])
        let coordinator = coordinator(world, maxAge: 120)
        let checker = Checker(environment: world.environment, settings: settings())
        #expect(await checker.check(["a.example"], coordinator: coordinator)[0].assessment.status == .ok)
        world.update { $0.smtp["192.0.2.1"] = .refused(stage: "greeting", reply: "421 4.7.0 Too many connections, try again later") }
        world.clock.advance(by: 121)
        let limited = await checker.check(["a.example"], coordinator: coordinator)[0].assessment
        #expect(world.connections["192.0.2.1"] == 2)
        #expect(limited.status == .ok)
        #expect(limited.findings.map(\.code) == [.mxRateLimited])
        #expect(limited.mx.first?.probes.first?.staleSince != nil)
        // Backing off: stale probes are not made again until the back-off (300 s) ends.
        world.clock.advance(by: 200)
        _ = await checker.check(["a.example"], coordinator: coordinator)
        #expect(world.connections["192.0.2.1"] == 2)
        world.clock.advance(by: 101)
        _ = await checker.check(["a.example"], coordinator: coordinator)
        #expect(world.connections["192.0.2.1"] == 3)
        // The second refusal in a row doubles the back-off.
        let retry = await coordinator.rateLimitedAddresses["192.0.2.1"]
        #expect(retry == world.clock.now().addingTimeInterval(600))
        // Recovery clears it.
        world.addDomain("b.example", mx: [("mx.other.example", ["192.0.2.9"])])
        world.update { $0.smtp["192.0.2.1"] = .tls(ScriptedWorld.session(names: ["mx.provider.example"], now: world.clock.now())) }
        world.clock.advance(by: 601)
        let recovered = await checker.check(["a.example"], coordinator: coordinator)[0].assessment
        #expect(recovered.findings.isEmpty)
        #expect(await coordinator.rateLimitedAddresses.isEmpty)
    }

    @Test func aRefusalWithNothingEarlierIsUnknownNeverUnreachable() async throws {
        let world = ScriptedWorld()
        world.addDomain("a.example", mx: [("mx.provider.example", ["192.0.2.1"])])
        world.update { $0.smtp["192.0.2.1"] = .refused(stage: "ehlo", reply: "421 4.7.0 Rate limit exceeded") }
        for shared in [true, false] {
            let c = shared ? coordinator(world) : ProbeCoordinator(environment: world.environment, rules: settings().destinations)
            let a = await Checker(environment: world.environment, settings: settings()).check(["a.example"], coordinator: c)[0].assessment
            #expect(a.status == .unknown)
            #expect(Set(a.findings.map(\.code)) == [.mxRateLimited, .mxNotProbed])
        }
    }

    func settings(_ rules: DestinationRules = DestinationRules(allowed: scriptedRanges)) -> CheckSettings {
        var s = CheckSettings(concurrency: 8, domainDeadline: .seconds(60))
        s.destinations = rules
        return s
    }

    @Test func ipVersion4LeavesIPv6AddressesUnprobedWithoutFindings() async throws {
        let world = ScriptedWorld()
        world.addDomain("dual.example", mx: [("mx.dual.example", ["192.0.2.1", "2001:db8::1"])])
        world.addDomain("v6only.example", mx: [("mx.v6only.example", ["2001:db8::2"])])
        let s = settings(DestinationRules(ipVersion: .v4, allowed: Self.scriptedRanges))
        let results = await Checker(environment: world.environment, settings: s).check(["dual.example", "v6only.example"])
        #expect(results[0].assessment.status == .ok)
        #expect(results[0].assessment.findings.isEmpty)
        #expect(results[0].assessment.mx[0].probes.map(\.detail).contains("not probed (IPv4 only)"))
        #expect(results[1].assessment.status == .unknown)
        #expect(results[1].assessment.findings.map(\.code) == [.mxNotProbed])
        #expect(world.connections["2001:db8::1"] == nil && world.connections["2001:db8::2"] == nil)
        #expect(world.connections["192.0.2.1"] == 1)

        // IPv6 only: the policy host needs an IPv6 address too, or the fetch fails (as it would for an IPv6-only sender).
        world.update { $0.ipv6["mta-sts.dual.example"] = .records(["2001:db8::80"]) }
        let v6 = settings(DestinationRules(ipVersion: .v6, allowed: Self.scriptedRanges))
        let only6 = await Checker(environment: world.environment, settings: v6).check(["dual.example"])
        #expect(only6[0].assessment.status == .ok)
        #expect(world.connections["192.0.2.1"] == 1)
        #expect(world.connections["2001:db8::1"] == 1)
    }

    @Test func autoTreatsAnUnroutedFamilyAsTheMonitorsNotTheDomains() async throws {
        let world = ScriptedWorld()
        // Global IPv6 addresses with no route from here: an IPv4-only monitor.
        world.addDomain("dual.example", mx: [("mx.dual.example", ["192.0.2.1", "2600:db8::1"])])
        world.addDomain("dual2.example", mx: [("mx.dual2.example", ["192.0.2.2", "2600:db8::2"])])
        world.addDomain("v6only.example", mx: [("mx.v6only.example", ["2600:db8::3"])])
        world.update { t in
            for a in ["2600:db8::1", "2600:db8::2", "2600:db8::3"] {
                t.smtp[a] = .connectFailed("\(a): Network is unreachable")
                t.connectFailures[a] = .noRoute
            }
        }
        var s = settings(DestinationRules(allowed: Self.scriptedRanges))
        s.concurrency = 1  // one domain after another, so the count of IPv6 attempts is exact
        let coordinator = ProbeCoordinator(environment: world.environment, rules: s.destinations)
        let results = await Checker(environment: world.environment, settings: s)
            .check(["dual.example", "dual2.example", "v6only.example"], coordinator: coordinator)
        for r in results.prefix(2) {
            #expect(r.assessment.status == .ok, "\(r.assessment.domain): \(r.assessment.findings)")
            #expect(r.assessment.mx[0].probes.map(\.detail).contains("not probed: no IPv6 connectivity from this monitor"))
        }
        #expect(results[2].assessment.status == .unknown)
        #expect(results[2].assessment.findings.map(\.code) == [.mxNotProbed])
        #expect(await coordinator.unavailableFamilies[.ipv6] != nil)
        // Once known, the family is not tried again for every address.
        #expect(world.connections.filter { $0.key.contains(":") }.values.reduce(0, +) == 1)
    }

    @Test func autoTreatsAFamilyFailingEverywhereAsUnavailable() async throws {
        let world = ScriptedWorld()
        world.addDomain("dual.example", mx: [("mx1.dual.example", ["192.0.2.1", "2001:db8::1"]),
                                             ("mx2.dual.example", ["192.0.2.2", "2001:db8::2"])])
        world.update { t in
            for a in ["2001:db8::1", "2001:db8::2"] { t.smtp[a] = .connectFailed("\(a): Connection timed out"); t.connectFailures[a] = .timeout }
        }
        let s = settings()
        let coordinator = ProbeCoordinator(environment: world.environment, rules: s.destinations)
        let result = await Checker(environment: world.environment, settings: s).check(["dual.example"], coordinator: coordinator)[0]
        #expect(await coordinator.unavailableFamilies[.ipv6] != nil)
        #expect(result.assessment.status == .ok, "\(result.assessment.findings)")
    }

    @Test func nonGlobalDestinationsAreRefusedUnlessAllowed() async throws {
        let world = ScriptedWorld()
        world.addDomain("internal.example", mx: [("mx.internal.example", ["10.1.2.3"])])
        let refused = await Checker(environment: world.environment, settings: settings()).check(["internal.example"])[0].assessment
        #expect(refused.findings.map(\.code) == [.mxAddressNotGlobal])
        #expect(refused.status == .warn)
        #expect(world.connections.isEmpty)

        let allowed = settings(DestinationRules(allowed: Self.scriptedRanges + [AddressRange("10.0.0.0/8")!]))
        let ok = await Checker(environment: world.environment, settings: allowed).check(["internal.example"])[0].assessment
        #expect(ok.status == .ok)
        #expect(world.connections["10.1.2.3"] == 1)

        // The policy host too: a sender on the internet cannot fetch from 10.x either.
        world.update { $0.ipv4["mta-sts.internal.example"] = .records(["10.9.9.9"]) }
        let policy = await Checker(environment: world.environment, settings: settings(DestinationRules(allowed: Self.scriptedRanges + [AddressRange("10.1.2.3/32")!])))
            .check(["internal.example"])[0].assessment
        #expect(policy.findings.map(\.code) == [.stsPolicyFetchError])
        #expect(policy.mtaSts.fetch?.result == "not-global")
    }
}
