import Foundation
import STSCheck
import STSCore
import STSLab
import Testing

/// Every lab scenario checked by the real probes (libunbound, libcurl) against real servers,
/// and judged as the lab's author expects.
@Suite(.timeLimit(.minutes(3)))
struct LabScenarioTests {
    static func environment(_ lab: Lab) throws -> CheckEnvironment {
        var settings = ProbeSettings(resolver: lab.manifest.resolver, caFile: lab.manifest.caFile)
        settings.timeout = .seconds(4)
        settings.connectTimeout = .seconds(3)
        settings.dnsTimeout = .seconds(3)
        return try CheckEnvironment.live(settings)
    }

    /// One run over every scenario, shared by the per-scenario tests below.
    static func run() async throws -> ScenarioRun {
        try await ScenarioRun.cache.get {
            let lab = try Lab.shared.get()
            let environment = try LabScenarioTests.environment(lab)
            var settings = CheckSettings(concurrency: 16, domainDeadline: .seconds(60))
            settings.destinations.allowed = lab.manifest.allowAddresses.compactMap(AddressRange.init)
            let checker = Checker(environment: environment, settings: settings)
            let coordinator = ProbeCoordinator(environment: environment, rules: settings.destinations)
            let results = await checker.check(lab.manifest.scenarios.map(\.domain), coordinator: coordinator)
            return ScenarioRun(results: Dictionary(results.map { ($0.assessment.domain, $0) }, uniquingKeysWith: { a, _ in a }),
                               connections: await coordinator.connectionsPerAddress)
        }
    }

    static var scenarios: [String] {
        (try? Lab.shared.get().manifest.scenarios.map(\.domain)) ?? []
    }

    @Test(arguments: scenarios)
    func scenario(domain: String) async throws {
        let lab = try Lab.shared.get()
        let expected = try #require(lab.scenario(domain))
        let results = try await Self.run().results
        let result = try #require(results[DomainName.canonical(domain)], "no result for \(domain)")
        let a = result.assessment
        let codes = Set(a.findings.map(\.code.rawValue))
        #expect(a.status.rawValue == expected.expectStatus, "\(domain): \(a.findings.map(\.description))")
        #expect(codes.isSuperset(of: expected.expectCodes), "\(domain): got \(codes.sorted()), expected \(expected.expectCodes)")
        if expected.expectStatus == "ok" {
            // Odd-but-valid scenarios must not raise anything above info.
            #expect(a.findings.allSatisfy { $0.severity == .info }, "\(domain): \(a.findings.map(\.description))")
        }
    }

    @Test func everyMXAddressIsProbedOnce() async throws {
        let connections = try await Self.run().connections
        #expect(!connections.isEmpty)
        for (address, count) in connections {
            #expect(count == 1, "\(address) probed \(count) times")
        }
    }

    @Test func cleanDomainIsSeenWhole() async throws {
        let results = try await Self.run().results
        let a = try #require(results["good.test"]?.assessment)
        #expect(a.mtaSts.mode == .enforce)
        #expect(a.mtaSts.fetch?.result == "ok")
        #expect(a.mtaSts.fetch?.cert?.trusted == true)
        #expect(!a.tlsRpt.rua.isEmpty)
        #expect(a.mx.count >= 2)
        for mx in a.mx {
            #expect(mx.starttls == "offered")
            #expect(mx.cert?.trusted == true)
            #expect(mx.cert?.nameMatch == true)
            #expect(mx.coveredByPolicy == true)
            #expect(mx.tlsVersion?.hasPrefix("TLSv1.") == true)
        }
    }

    @Test func aDeadServerIsAFindingWithinTheDeadline() async throws {
        let lab = try Lab.shared.get()
        let environment = try Self.environment(lab)
        // A deadline shorter than the never-greeting server's silence: the check still ends, as unknown or crit.
        var settings = CheckSettings(concurrency: 2, domainDeadline: .seconds(2))
        settings.destinations.allowed = lab.manifest.allowAddresses.compactMap(AddressRange.init)
        let checker = Checker(environment: environment, settings: settings)
        let results = await checker.check(["never-greets.test", "good.test"])
        #expect(results.count == 2)
        let dead = try #require(results.first { $0.assessment.domain == "never-greets.test" })
        #expect(dead.assessment.status != .ok)
    }
}

struct ScenarioRun: Sendable {
    var results: [String: CheckResult]
    var connections: [String: Int]
    static let cache = AsyncOnce<ScenarioRun>()
}

/// Computes a value once, however many tests ask for it at the same time, without blocking a thread.
actor AsyncOnce<Value: Sendable> {
    private var task: Task<Value, any Error>?

    func get(_ make: @escaping @Sendable () async throws -> Value) async throws -> Value {
        if let task { return try await task.value }
        let task = Task { try await make() }
        self.task = task
        return try await task.value
    }
}
