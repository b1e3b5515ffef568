// Checks N lab domains that share M MX hosts, the way `stswatch check` does, and prints
// checks per second, wall time, peak memory and how many SMTP connections each MX address
// received. Not a test: the figures depend on the machine and on what else runs on it.
//
//   swift run -c release stswatch-check-bench [DOMAINS] [MX] [CONCURRENCY]
import Foundation
import STSCheck
import STSCore
import STSLab
import Synchronization

let arguments = CommandLine.arguments.dropFirst().compactMap { Int($0) }
let domainCount = arguments.count > 0 ? arguments[0] : 1000
let mxCount = arguments.count > 1 ? arguments[1] : 10
let concurrency = arguments.count > 2 ? arguments[2] : 128

/// Peak resident memory of this process, from the kernel's own accounting.
func peakRSSMiB() -> Double {
    guard let status = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8),
          let line = status.split(separator: "\n").first(where: { $0.hasPrefix("VmHWM:") }),
          let kib = Double(line.split(separator: " ").dropFirst().first ?? "") else { return -1 }
    return kib / 1024
}

let prefix = "127.\(140 + getpid() % 60)"
print("lab: prefix \(prefix), \(domainCount) bench domains sharing \(mxCount) MX hosts")
let labStart = ContinuousClock.now
let lab = try Lab.start(prefix: prefix, benchDomains: domainCount, benchMX: mxCount)
print("lab: ready in \(ContinuousClock.now - labStart)")

var settings = ProbeSettings(resolver: lab.manifest.resolver, caFile: lab.manifest.caFile)
settings.timeout = .seconds(20)
let live = try CheckEnvironment.live(settings)

/// Summed latency and count per kind of effect, to say where a check's time goes.
final class Timings: Sendable {
    private let sums = Mutex<[String: (count: Int, seconds: Double)]>([:])
    func time<T>(_ kind: String, _ body: () async -> T) async -> T {
        let start = ContinuousClock.now
        let value = await body()
        let d = ContinuousClock.now - start
        let seconds = Double(d.components.seconds) + Double(d.components.attoseconds) / 1e18
        sums.withLock { $0[kind, default: (0, 0)].count += 1; $0[kind, default: (0, 0)].seconds += seconds }
        return value
    }
    var report: [(String, Int, Double)] { sums.withLock { $0.map { ($0.key, $0.value.count, $0.value.seconds) }.sorted { $0.0 < $1.0 } } }
}
let timings = Timings()
struct TimedResolver: DNSResolving {
    let inner: any DNSResolving
    func txt(_ name: String) async -> DNSOutcome<TXTRecord> { await timings.time("dns") { await inner.txt(name) } }
    func mx(_ name: String) async -> DNSOutcome<MXRecord> { await timings.time("dns") { await inner.mx(name) } }
    func ipv4(_ name: String) async -> DNSOutcome<String> { await timings.time("dns") { await inner.ipv4(name) } }
    func ipv6(_ name: String) async -> DNSOutcome<String> { await timings.time("dns") { await inner.ipv6(name) } }
}
struct TimedFetcher: PolicyFetching {
    let inner: any PolicyFetching
    func fetch(domain: String, addresses: [String]) async -> PolicyFetch {
        await timings.time("policy fetch") { await inner.fetch(domain: domain, addresses: addresses) }
    }
}
struct TimedProber: SMTPProbing {
    let inner: any SMTPProbing
    func probe(host: String, address: String) async -> SMTPProbe {
        await timings.time("smtp probe") { await inner.probe(host: host, address: address) }
    }
}
let environment = CheckEnvironment(resolver: TimedResolver(inner: live.resolver), fetcher: TimedFetcher(inner: live.fetcher),
                                   prober: TimedProber(inner: live.prober))
var checkSettings = CheckSettings(concurrency: concurrency, domainDeadline: .seconds(60))
checkSettings.destinations.allowed = lab.manifest.allowAddresses.compactMap(AddressRange.init)
let checker = Checker(environment: environment, settings: checkSettings)
let coordinator = ProbeCoordinator(environment: environment, rules: checkSettings.destinations)

let start = ContinuousClock.now
let results = await checker.check(lab.manifest.benchDomains, coordinator: coordinator)
let elapsed = ContinuousClock.now - start
let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18

var byStatus: [DomainStatus: Int] = [:]
for r in results { byStatus[r.assessment.status, default: 0] += 1 }
print(String(format: "checked %d domains in %.2f s: %.0f checks/s, concurrency %d", results.count, seconds,
             Double(results.count) / seconds, concurrency))
print("statuses: " + DomainStatus.allCases.map { "\($0.rawValue) \(byStatus[$0] ?? 0)" }.joined(separator: ", "))
if let odd = results.first(where: { $0.assessment.status != .ok }) {
    print("first non-ok: \(odd.assessment.domain): \(odd.assessment.findings.map(\.description))")
}
print(String(format: "peak memory (VmHWM): %.1f MiB", peakRSSMiB()))

// Where the time goes: each effect's calls and summed latency (they overlap: concurrency), and
// the judgement alone, re-run on the same observations.
for (kind, count, total) in timings.report {
    print(String(format: "  %-13@ %6d calls, mean %6.2f ms, summed %7.1f s", kind as NSString, count, total / Double(count) * 1000, total))
}
let judgeStart = ContinuousClock.now
for r in results { _ = Judge.assess(r.observation, previous: nil, settings: checkSettings.judgement) }
let judged = ContinuousClock.now - judgeStart
print(String(format: "  judgement     %6d domains, %.2f s on one thread", results.count,
             Double(judged.components.seconds) + Double(judged.components.attoseconds) / 1e18))

let probes = await coordinator.connectionsPerAddress
print("SMTP probes per MX address (coordinator): " + probes.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: " "))

// The lab's own count of connections it received, independent of our bookkeeping.
let stats = Process()
stats.executableURL = URL(fileURLWithPath: try Lab.locateScript())
stats.arguments = ["stats", "--dir", lab.directory.path]
let pipe = Pipe()
stats.standardOutput = pipe
try stats.run()
let data = pipe.fileHandleForReading.readDataToEndOfFile()
stats.waitUntilExit()
if let object = try? JSONSerialization.jsonObject(with: data) as? [String: Any],
   let smtp = object["smtp_connections"] as? [String: Any] {
    let received = smtp.filter { key, _ in probes.keys.contains(key) }
    print("SMTP connections per MX address (lab): " + received.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: " "))
} else {
    print("lab stats: " + String(decoding: data, as: UTF8.self).prefix(500))
}
lab.stop()
