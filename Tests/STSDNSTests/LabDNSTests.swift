import Foundation
import STSCore
import STSLab
import Testing
@testable import STSDNS

/// The resolver against the lab's NSD, through `upstream: manifest.resolver`,
/// exactly as the poller will use it (lab/README.md).
@Suite(.timeLimit(.minutes(3)))
struct LabDNSTests {
    static let benchDomains = 1000

    /// One lab per test process, on 127.200–127.249 by process id: away from the
    /// demo lab (127.77), the curl tests' labs (127.140–199) and our NSD (127.66).
    static let lab: Result<Lab, any Error> = Result {
        try Lab.start(prefix: "127.\(200 + getpid() % 50)", benchDomains: benchDomains, benchMX: 10)
    }

    func resolver() throws -> Resolver {
        try Resolver(upstream: Self.lab.get().manifest.resolver, timeout: .seconds(5))
    }

    @Test("scenario TXT records: split strings, two records, SERVFAIL, none")
    func scenarioTXT() async throws {
        let dns = try resolver()

        let split = try #require(await dns.txt("_mta-sts.txt-split.test").recordsIfAnswered)
        #expect(split.count == 1)
        #expect(split.first?.strings.count == 3, "\(split)")
        #expect(split.first?.text.hasPrefix("v=STSv1; id=") == true, "\(split)")

        let multi = try #require(await dns.txt("_mta-sts.multi-txt.test").recordsIfAnswered)
        #expect(multi.count == 2)
        #expect(multi.allSatisfy { $0.text.hasPrefix("v=STSv1;") }, "\(multi)")

        Expect<TXTRecord>.failure(["_mta-sts.dns-error.test TXT", "SERVFAIL"])
            .check(await dns.txt("_mta-sts.dns-error.test"), "TXT dns-error")
        Expect<TXTRecord>.outcome(.nameDoesNotExist).check(await dns.txt("_mta-sts.no-sts.test"), "TXT no-sts")
    }

    @Test("every scenario domain's MX lookup is answered, and each exchange's address lookup too")
    func scenarioMX() async throws {
        let lab = try Self.lab.get()
        let dns = try resolver()
        #expect(!lab.manifest.scenarios.isEmpty)
        var exchanges = 0
        for scenario in lab.manifest.scenarios {
            let mx = await dns.mx(scenario.domain)
            guard let records = mx.recordsIfAnswered, mx != .nameDoesNotExist else {
                Issue.record("MX \(scenario.domain): \(mx)")
                continue
            }
            for record in records where record.exchange != "." {
                exchanges += 1
                let a = await dns.ipv4(record.exchange)
                #expect(a.recordsIfAnswered != nil, "A \(record.exchange) for \(scenario.domain): \(a)")
                for address in a.recordsIfAnswered ?? [] {
                    #expect(address.hasPrefix(lab.manifest.prefix + "."), "\(record.exchange) → \(address)")
                }
            }
        }
        #expect(exchanges > 0)
    }

    @Test("the bench domains' TXT records, all at once")
    func benchBurst() async throws {
        let lab = try Self.lab.get()
        let domains = lab.manifest.benchDomains
        try #require(domains.count == Self.benchDomains)
        let dns = try Resolver(upstream: lab.manifest.resolver, timeout: .seconds(20))
        let start = ContinuousClock.now
        let wrong = await withTaskGroup(of: String?.self) { group in
            for domain in domains {
                group.addTask {
                    let outcome = await dns.txt("_mta-sts.\(domain)")
                    guard let records = outcome.recordsIfAnswered, records.count == 1,
                          records[0].text.hasPrefix("v=STSv1; id=") else { return "\(domain): \(outcome)" }
                    return nil
                }
            }
            var wrong: [String] = []
            for await problem in group { if let problem { wrong.append(problem) } }
            return wrong
        }
        let elapsed = start.duration(to: .now)
        #expect(wrong.isEmpty, "\(wrong.count) wrong, first: \(wrong.prefix(3))")
        let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
        print("STSDNS lab burst: \(domains.count) TXT lookups in \(String(format: "%.3f", seconds)) s, "
              + "\(Int(Double(domains.count) / seconds)) queries/s (figure only, not asserted)")
    }
}
