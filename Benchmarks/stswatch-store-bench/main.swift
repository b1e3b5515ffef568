// Measures the store at the size a large postmaster runs: 10,000 domains, 2–3 MX each.
//
//   stswatch-store-bench [DOMAINS] [FOLDER]
//
// Records every domain twice (a first check, then a second that updates findings and
// appends events), one transaction per check as the poller does, and prints write rate,
// database size, the time to read every current state (what `status --json` needs),
// and peak memory. Build with `-c release` for figures worth quoting.
import Foundation
import STSCore
import STSStore
import STSStoreFixtures

let count = CommandLine.arguments.count > 1 ? Int(CommandLine.arguments[1]) ?? 10_000 : 10_000
let folder = CommandLine.arguments.count > 2
    ? CommandLine.arguments[2]
    : FileManager.default.temporaryDirectory.appendingPathComponent("stswatch-bench-\(getpid())").path
let path = folder + "/stswatch.sqlite"
try? FileManager.default.removeItem(atPath: folder)

func seconds(_ body: () throws -> Void) rethrows -> Double {
    let start = DispatchTime.now().uptimeNanoseconds
    try body()
    return Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
}

func fileSize(_ path: String) -> Int {
    ((try? FileManager.default.attributesOfItem(atPath: path))?[.size] as? NSNumber)?.intValue ?? 0
}

/// Peak resident memory (VmHWM) in KiB, from /proc/self/status.
func peakRSS() -> Int {
    guard let text = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8) else { return -1 }
    for line in text.split(separator: "\n") where line.hasPrefix("VmHWM:") {
        return Int(line.split(separator: " ", omittingEmptySubsequences: true).dropFirst().first ?? "") ?? -1
    }
    return -1
}

let f = { (x: Double) in String(format: "%.2f", x) }
do {
    let store = try Store(path: path)
    let start = Date(timeIntervalSince1970: 1_800_000_000)
    let names = (0..<count).map { ObservationFixture.population(index: $0, round: 0, at: start, epoch: start).domain }
    let addTime = try seconds { try store.addDomains(names) }
    print("domains added: \(count) in \(f(addTime)) s")

    for round in 0..<2 {
        let at = start.addingTimeInterval(Double(round) * 3600)
        var judged: [(DomainObservation, Assessment)] = []
        judged.reserveCapacity(count)
        let judgeTime = try seconds {
            for index in 0..<count {
                let fixture = ObservationFixture.population(index: index, round: round, at: at, epoch: start)
                let previous = round == 0 ? nil : try store.previousAssessment(domain: fixture.domain)
                judged.append(fixture.assess(previous: previous))
            }
        }
        // The JSON encoding record() does, timed alone, to show how much of a write it is.
        let encoder = JSONEncoder()
        encoder.dateEncodingStrategy = .secondsSince1970
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        var jsonBytes = 0
        let encodeTime = try seconds {
            for (observation, assessment) in judged {
                jsonBytes += try encoder.encode(observation).count + encoder.encode(assessment).count
            }
        }
        var events = 0
        let writeTime = try seconds {
            for (observation, assessment) in judged {
                events += try store.record(observation: observation, assessment: assessment,
                                           nextDue: at.addingTimeInterval(3600), failed: false).events.count
            }
        }
        print("round \(round + 1): \(count) checks recorded in \(f(writeTime)) s = \(Int(Double(count) / writeTime)) writes/s "
              + "(\(events) events; of which JSON encoding \(f(encodeTime)) s, \(jsonBytes / count) bytes of JSON per check; "
              + "building and judging the observations, not counted: \(f(judgeTime)) s)")
    }

    var states: [StoredState] = []
    let readTime = try seconds { states = try store.currentAssessments() }
    let statuses = Dictionary(grouping: states, by: \.assessment.status).mapValues(\.count)
    print("read all current states: \(states.count) in \(f(readTime * 1000)) ms "
          + "(ok \(statuses[.ok] ?? 0), warn \(statuses[.warn] ?? 0), crit \(statuses[.crit] ?? 0), unknown \(statuses[.unknown] ?? 0))")
    var summaries: [StateSummary] = []
    let summaryTime = try seconds { summaries = try store.stateSummaries() }
    print("read all state summaries (columns only, no JSON): \(summaries.count) in \(f(summaryTime * 1000)) ms")
    var listed: [DomainRecord] = []
    let listTime = try seconds { listed = try store.domains() }
    print("list domains with status: \(listed.count) in \(f(listTime * 1000)) ms")
    var metrics: MetricsSnapshot?
    let metricsTime = try seconds { metrics = try store.metricsSnapshot(now: start) }
    print("metrics snapshot: \(metrics?.domains.count ?? 0) domains in \(f(metricsTime * 1000)) ms")
    var due: [String] = []
    let dueTime = try seconds { due = try store.domainsDue(now: start.addingTimeInterval(7200), limit: 1000) }
    print("domains due (limit 1000): \(due.count) in \(f(dueTime * 1000)) ms")
    var dataVersion = 0
    let versionTime = try seconds { for _ in 0..<1000 { dataVersion = try store.dataVersion() } }
    print("data_version: \(f(versionTime * 1000)) µs per call (value \(dataVersion))")

    let db = fileSize(path), wal = fileSize(path + "-wal")
    print("database size: \(f(Double(db) / 1_048_576)) MiB (+ WAL \(f(Double(wal) / 1_048_576)) MiB), "
          + "\(db / max(1, count)) bytes per domain (two observations each)")
    print("peak RSS (VmHWM): \(peakRSS() / 1024) MiB")
    try? FileManager.default.removeItem(atPath: folder)
} catch {
    FileHandle.standardError.write(Data("stswatch-store-bench: \(error)\n".utf8))
    exit(1)
}
