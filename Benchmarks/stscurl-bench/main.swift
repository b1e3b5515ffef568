// Prints latency and throughput figures for the libcurl adapters against the
// lab's bench domains (nginx policy host, scripted MX hosts). Not a test: the
// figures depend on the machine and on what else runs on it.
//
//   swift run -c release stscurl-bench [DOMAINS] [MX] [CONCURRENT]
import Foundation
import STSCore
import STSCurl
import STSLab

let arguments = CommandLine.arguments.dropFirst().compactMap { Int($0) }
let domainCount = arguments.count > 0 ? arguments[0] : 1000
let mxCount = arguments.count > 1 ? arguments[1] : 10
let sequentialRuns = 50

let prefix = "127.\(140 + getpid() % 60)"
print("starting lab on \(prefix) with \(domainCount) bench domains and \(mxCount) MX hosts")
let lab = try Lab.start(prefix: prefix, benchDomains: domainCount, benchMX: mxCount)
let raw = try JSONSerialization.jsonObject(with: Data(contentsOf: lab.directory.appendingPathComponent("lab.json")))
guard let manifest = raw as? [String: Any],
      let policyAddress = manifest["bench_policy_address"] as? String,
      let mxAddresses = manifest["bench_mx_addresses"] as? [String]
else { fatalError("lab.json lacks bench_policy_address or bench_mx_addresses") }
let domains = lab.manifest.benchDomains

let fetcher = PolicyFetcher(configuration: .init(connectTimeout: .seconds(5), totalTimeout: .seconds(20),
                                                 caFile: lab.manifest.caFile))
let prober = SMTPProber(configuration: .init(connectTimeout: .seconds(5), replyTimeout: .seconds(10),
                                             totalTimeout: .seconds(30), caFile: lab.manifest.caFile))

func summary(_ label: String, _ samples: [Duration]) {
    let ms = samples.map { Double($0.components.seconds) * 1000 + Double($0.components.attoseconds) / 1e15 }.sorted()
    func at(_ q: Double) -> Double { ms[min(ms.count - 1, Int(Double(ms.count) * q))] }
    print(String(format: "%@: n=%d median %.1f ms, p90 %.1f ms, min %.1f ms, max %.1f ms",
                 label, ms.count, at(0.5), at(0.9), ms.first ?? 0, ms.last ?? 0))
}

func timed<T>(_ body: () async -> T) async -> (T, Duration) {
    let start = ContinuousClock.now
    let value = await body()
    return (value, ContinuousClock.now - start)
}

// One at a time: latency of a single clean fetch and probe.
var fetchTimes: [Duration] = []
for i in 0..<sequentialRuns {
    let (fetch, time) = await timed { await fetcher.fetch(domain: domains[i % domains.count], addresses: [policyAddress]) }
    precondition(fetch.failure == nil, "bench fetch failed: \(String(describing: fetch.failure))")
    fetchTimes.append(time)
}
summary("policy fetch, sequential", fetchTimes)

var probeTimes: [Duration] = []
for i in 0..<sequentialRuns {
    let k = i % mxAddresses.count
    let (probe, time) = await timed { await prober.probe(host: "mx\(k + 1).bench.test", address: mxAddresses[k]) }
    guard case .tls = probe.outcome else { fatalError("bench probe failed: \(probe.outcome)") }
    probeTimes.append(time)
}
summary("SMTP probe, sequential", probeTimes)

// Everything at once: the pool bounds the number of threads (128 by default).
func burst(_ label: String, _ count: Int, _ job: @escaping @Sendable (Int) async -> Bool) async {
    let (ok, time) = await timed {
        await withTaskGroup(of: Bool.self) { group in
            for i in 0..<count { group.addTask { await job(i) } }
            return await group.reduce(0) { $0 + ($1 ? 1 : 0) }
        }
    }
    let seconds = Double(time.components.seconds) + Double(time.components.attoseconds) / 1e18
    print(String(format: "%@: %d of %d ok in %.2f s (%.0f/s)", label, ok, count, seconds, Double(count) / seconds))
}

let concurrent = arguments.count > 2 ? arguments[2] : 100
await burst("SMTP probes, \(concurrent) at once over \(mxAddresses.count) MX", concurrent) { i in
    let k = i % mxAddresses.count
    if case .tls = await prober.probe(host: "mx\(k + 1).bench.test", address: mxAddresses[k]).outcome { return true }
    return false
}
await burst("policy fetches, \(domains.count) at once", domains.count) { i in
    await fetcher.fetch(domain: domains[i], addresses: [policyAddress]).failure == nil
}
await burst("fetch + probe per domain, \(domains.count) domains at once", domains.count) { i in
    async let fetch = fetcher.fetch(domain: domains[i], addresses: [policyAddress])
    let k = i % mxAddresses.count
    async let probe = prober.probe(host: "mx\(k + 1).bench.test", address: mxAddresses[k])
    let (f, p) = await (fetch, probe)
    if case .tls = p.outcome { return f.failure == nil }
    return false
}
lab.stop()
