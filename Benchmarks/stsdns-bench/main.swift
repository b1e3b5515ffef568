// Prints latency and throughput of the DNS adapter against the lab's NSD and its
// bench domains. Not a test: the figures depend on the machine and its load.
//
//   swift run -c release stsdns-bench [DOMAINS]
import Foundation
import STSCore
import STSDNS
import STSLab

let domainCount = CommandLine.arguments.dropFirst().compactMap { Int($0) }.first ?? 5000
let prefix = "127.\(200 + getpid() % 50)"
print("starting lab on \(prefix) with \(domainCount) bench domains")
let lab = try Lab.start(prefix: prefix, benchDomains: domainCount, benchMX: 10)
let domains = lab.manifest.benchDomains

func seconds(_ d: Duration) -> Double { Double(d.components.seconds) + Double(d.components.attoseconds) / 1e18 }

/// Runs `lookup` for every domain at once on a fresh resolver (cold cache) and prints queries/s.
func burst(_ label: String, _ lookup: @escaping @Sendable (Resolver, String) async -> Bool) async throws {
    let dns = try Resolver(upstream: lab.manifest.resolver, timeout: .seconds(30))
    let start = ContinuousClock.now
    let failures = await withTaskGroup(of: Bool.self) { group in
        for domain in domains { group.addTask { await lookup(dns, domain) } }
        var failures = 0
        for await ok in group where !ok { failures += 1 }
        return failures
    }
    let elapsed = seconds(start.duration(to: .now))
    print(String(format: "%@: %d lookups in %.3f s, %.0f queries/s, %d not answered as expected",
                 label, domains.count, elapsed, Double(domains.count) / elapsed, failures))
}

// One at a time: the latency of a single uncached lookup.
let sequential = try Resolver(upstream: lab.manifest.resolver)
var samples: [Double] = []
for domain in domains.prefix(200) {
    let start = ContinuousClock.now
    guard case .records = await sequential.txt("_mta-sts.\(domain)") else { fatalError("TXT _mta-sts.\(domain) failed") }
    samples.append(seconds(start.duration(to: .now)) * 1000)
}
samples.sort()
print(String(format: "TXT sequential: n=%d median %.3f ms, p90 %.3f ms, max %.3f ms",
             samples.count, samples[samples.count / 2], samples[samples.count * 9 / 10], samples.last ?? 0))

try await burst("TXT burst") { dns, d in
    if case .records(let r) = await dns.txt("_mta-sts.\(d)"), r.count == 1 { return true }
    return false
}
try await burst("MX burst") { dns, d in
    if case .records(let r) = await dns.mx(d), r.count == 1 { return true }
    return false
}
try await burst("A burst") { dns, d in
    if case .records = await dns.ipv4("mta-sts.\(d)") { return true }
    return false
}
try await burst("NXDOMAIN burst") { dns, d in await dns.txt("_nothing.\(d)") == .nameDoesNotExist }
lab.stop()
