import Foundation
import Logging
import STSCheck
import STSCore
import STSLab
import STSPoller
import STSStore

// One poll round over the lab's bench domains, into a fresh database, and what it cost.
//
//   stswatch-poll-bench [DOMAINS] [--bench-mx M] [--concurrency C] [--prefix P] [--rounds R]
//
// With R > 1 every domain is checked again R - 1 more times (a re-check of all), each round
// printed with the database size after it: the growth of a steady poller. --gather sets
// PollSettings.writeGather (how long a judged check waits for others to share its transaction).
// Prints wall time, checks/s, writes/s, the share of the round spent inside Store.record,
// the database size, peak RSS, connections per MX address (ours and the lab's own count),
// then the time of `stswatch status --json` over every domain (the real binary, to /dev/null).

struct Options {
    var domains = 1_000
    var benchMX = 10
    var concurrency = 64
    var prefix = "127.88"
    var rounds = 1
    var gather: Double?

    init(_ args: [String]) {
        var i = 0
        func value() -> String {
            i += 1
            guard i < args.count else { fail("\(args[i - 1]) needs a value") }
            return args[i]
        }
        while i < args.count {
            switch args[i] {
            case "--bench-mx": benchMX = Int(value()) ?? benchMX
            case "--concurrency": concurrency = Int(value()) ?? concurrency
            case "--prefix": prefix = value()
            case "--rounds": rounds = max(1, Int(value()) ?? rounds)
            case "--gather": gather = Double(value())
            case let n where Int(n) != nil: domains = Int(n)!
            default: fail("unknown argument \(args[i]); usage: stswatch-poll-bench [DOMAINS] [--bench-mx M] [--concurrency C] [--prefix P] [--rounds R] [--gather SECONDS]")
            }
            i += 1
        }
    }
}

func fail(_ message: String) -> Never {
    FileHandle.standardError.write(Data("stswatch-poll-bench: \(message)\n".utf8))
    exit(2)
}

/// Peak resident set size in kB, from VmHWM in /proc/self/status.
func peakRSSkB() -> Int {
    let text = (try? String(contentsOfFile: "/proc/self/status", encoding: .utf8)) ?? ""
    let line = text.split(separator: "\n").first { $0.hasPrefix("VmHWM:") } ?? ""
    return Int(line.split(whereSeparator: \.isWhitespace).dropFirst().first ?? "") ?? 0
}

func fileSize(_ path: String) -> Int {
    ((try? FileManager.default.attributesOfItem(atPath: path))?[.size] as? NSNumber)?.intValue ?? 0
}

/// Runs a program, output to /dev/null or captured; returns (status, seconds, stdout).
func runProgram(_ path: String, _ arguments: [String], capture: Bool) throws -> (Int32, Double, Data) {
    let p = Process()
    p.executableURL = URL(fileURLWithPath: path)
    p.arguments = arguments
    let pipe = Pipe()
    p.standardOutput = capture ? pipe : FileHandle.nullDevice
    p.standardError = FileHandle.standardError
    let start = Date()
    try p.run()
    let data = capture ? pipe.fileHandleForReading.readDataToEndOfFile() : Data()
    p.waitUntilExit()
    return (p.terminationStatus, Date().timeIntervalSince(start), data)
}

let options = Options(Array(CommandLine.arguments.dropFirst()))
print("starting the lab: \(options.domains) bench domains, \(options.benchMX) MX hosts, prefix \(options.prefix)")
let labStart = Date()
let lab: Lab
do {
    lab = try Lab.start(prefix: options.prefix, benchDomains: options.domains, benchMX: options.benchMX, readyTimeout: 600)
} catch {
    fail("\(error)")
}
print(String(format: "lab ready in %.1f s", Date().timeIntervalSince(labStart)))

let dir = FileManager.default.temporaryDirectory.appendingPathComponent("stswatch-poll-bench-\(getpid())")
try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
let dbPath = dir.appendingPathComponent("bench.sqlite").path
let store = try Store(path: dbPath)
let addStart = Date()
try store.addDomains(lab.manifest.benchDomains)
print(String(format: "added %d domains in %.2f s", lab.manifest.benchDomains.count, Date().timeIntervalSince(addStart)))

var probe = ProbeSettings(resolver: lab.manifest.resolver, caFile: lab.manifest.caFile)
probe.timeout = .seconds(10)
let environment = try CheckEnvironment.live(probe)
var settings = PollSettings()
settings.check = CheckSettings(concurrency: options.concurrency, domainDeadline: .seconds(60))
settings.check.destinations.allowed = lab.manifest.allowAddresses.compactMap(AddressRange.init)
if let gather = options.gather { settings.writeGather = gather }
let sink = try LineLogHandler.Sink(path: dir.appendingPathComponent("poll.log").path)
let logger = Logger(label: "bench") { LineLogHandler(label: $0, sink: sink) }
let poller = Poller(store: store, environment: environment, settings: settings, logger: logger)

var last: RoundReport?
for round in 1...options.rounds {
    if round > 1 { try store.requestRecheck(domain: nil) }
    let report = try await poller.runOnce()
    last = report
    let seconds = report.seconds
    print("")
    print("poll round \(round) (concurrency \(options.concurrency))")
    print(String(format: "  domains checked      %d (%@)", report.checked,
                 DomainStatus.allCases.compactMap { s in report.statuses[s].map { "\($0) \(s.rawValue)" } }.joined(separator: ", ")))
    print(String(format: "  wall time            %.2f s", seconds))
    print(String(format: "  checks/s             %.0f", Double(report.checked) / seconds))
    print(String(format: "  writes/s (round)     %.0f", Double(report.checked) / seconds))
    print(String(format: "  writes/s (in record) %.0f", Double(report.checked) / max(report.recordSeconds, 1e-9)))
    print(String(format: "  time in record       %.3f s = %.2f%% of the round", report.recordSeconds, 100 * report.recordSeconds / seconds))
    print(String(format: "  writer CPU in record  %.3f s = %.2f%% of the round", report.recordCPUSeconds, 100 * report.recordCPUSeconds / seconds))
    print(String(format: "  transactions         %d (%.1f checks each)", report.recordTransactions,
                 Double(report.checked) / Double(max(report.recordTransactions, 1))))
    print(String(format: "  previous-state reads %.3f s summed over concurrent tasks", report.readSeconds))
    let dbBytes = fileSize(dbPath) + fileSize(dbPath + "-wal")
    print(String(format: "  database             %.1f MB (file %.1f MB + WAL %.1f MB)", Double(dbBytes) / 1e6,
                 Double(fileSize(dbPath)) / 1e6, Double(fileSize(dbPath + "-wal")) / 1e6))
    print(String(format: "  peak RSS             %.1f MB", Double(peakRSSkB()) / 1024))
}
let report = last!
let ours = report.connectionsPerAddress
print("  connections/address  \(ours.count) addresses, min \(ours.values.min() ?? 0), max \(ours.values.max() ?? 0) (ProbeCoordinator)")

// The lab's own count, from its servers: must agree, one connection per bench MX address.
if let script = try? Lab.locateScript(),
   let (status, _, data) = try? runProgram(script, ["stats", "--dir", lab.directory.path], capture: true), status == 0,
   let json = try? JSONSerialization.jsonObject(with: data) as? [String: Any],
   let smtp = json["smtp_connections"] as? [String: Int] {
    let counted = smtp.filter { ours[$0.key] != nil }
    print("  lab stats            \(counted.count) addresses, min \(counted.values.min() ?? 0), max \(counted.values.max() ?? 0) (lab/stswatch-lab stats, summed over \(options.rounds) round(s))")
} else {
    print("  lab stats            unavailable")
}

let binary = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent().appendingPathComponent("stswatch").path
if FileManager.default.isExecutableFile(atPath: binary) {
    let (status, t, _) = try runProgram(binary, ["status", "--json", "--db", dbPath], capture: false)
    print(String(format: "status --json          %.2f s for %d domains (exit %d)", t, report.checked, status))
} else {
    print("status --json          skipped: \(binary) not built (swift build --product stswatch)")
}
lab.stop()
try? FileManager.default.removeItem(at: dir)
