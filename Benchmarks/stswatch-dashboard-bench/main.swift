// Measures the dashboard over a large store: 10,000 domains and 1,000,000 reported failure details.
//
//   stswatch-dashboard-bench [--db PATH] [--domains N] [--failures N] [--idle SECONDS]
//   stswatch-dashboard-bench --run-dashboard PATH      (the real terminal loop; used by --idle)
//
// Fills PATH (default: a temporary file; an existing PATH with domains is reused), then prints
// the time to the first full frame (open the store, snapshot, layout, render into the grid),
// the time from each of ~200 scripted keys to its next frame (median, 95th percentile, worst),
// peak memory (VmHWM), and, with --idle, the bytes the real ncurses backend writes to a
// 120x40 tmux pane during SECONDS with no input and no data change. Build with -c release.
import Foundation
import STSCore
import STSDashboard
import STSDashboardSource
import STSStore
import STSStoreFixtures
import STSTerminal

func seconds(_ body: () throws -> Void) rethrows -> Double {
    let start = DispatchTime.now().uptimeNanoseconds
    try body()
    return Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
}

/// Peak resident memory (VmHWM) in KiB, from /proc/self/status.
func peakRSS() -> Int {
    guard let text = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8) else { return -1 }
    for line in text.split(separator: "\n") where line.hasPrefix("VmHWM:") {
        return Int(line.split(separator: " ", omittingEmptySubsequences: true).dropFirst().first ?? "") ?? -1
    }
    return -1
}

func fail(_ text: String) -> Never {
    FileHandle.standardError.write(Data("stswatch-dashboard-bench: \(text)\n".utf8))
    exit(1)
}

/// Prints one line unbuffered, so figures appear as they are measured even when piped to a file.
func say(_ text: String) { FileHandle.standardOutput.write(Data((text + "\n").utf8)) }
let ms = { (x: Double) in String(format: "%.1f", x * 1000) }
let args = Array(CommandLine.arguments.dropFirst())
func option(_ name: String) -> String? {
    guard let i = args.firstIndex(of: name), i + 1 < args.count else { return nil }
    return args[i + 1]
}

// MARK: The real loop, for the idle measurement

if let path = option("--run-dashboard") {
    do {
        let store = try Store(path: path, mode: .readOnly)
        let source = StoreDataSource(store: store, pollerState: { PollerState(mode: .stopped) })
        try Dashboard.run(source: source, themes: [Theme.dark])
        exit(0)
    } catch {
        fail("\(path): \(error)")
    }
}

let domainCount = option("--domains").flatMap(Int.init) ?? 10_000
let failureCount = option("--failures").flatMap(Int.init) ?? 1_000_000
let idleSeconds = option("--idle").flatMap(Int.init)
let temporary = option("--db") == nil
let path = option("--db") ?? FileManager.default.temporaryDirectory.appendingPathComponent("stswatch-dashboard-bench-\(getpid()).sqlite").path
let now = Date()

// MARK: Filling

/// Failure details per report; reports spread over the domains and the last 7 days.
let detailsPerReport = 50
let resultTypes = ["starttls-not-supported", "certificate-expired", "certificate-host-mismatch", "validation-failure",
                   "sts-policy-fetch-error", "certificate-not-trusted"]
let reporters = ["Google Inc.", "Microsoft Corporation", "Yahoo Inc.", "Comcast", "Mail.ru"]

func reportJSON(index: Int, domain: String, day: String) -> String {
    var details: [String] = []
    details.reserveCapacity(detailsPerReport)
    for k in 0..<detailsPerReport {
        let type = resultTypes[(index + k) % resultTypes.count]
        details.append("""
            {"result-type":"\(type)","sending-mta-ip":"198.51.100.\(k % 200 + 1)","receiving-mx-hostname":"mx1.\(domain)",\
            "receiving-ip":"192.0.2.1","failed-session-count":\(1 + (index * 31 + k) % 9)}
            """)
    }
    return """
        {"organization-name":"\(reporters[index % reporters.count])","date-range":{"start-datetime":"\(day)T00:00:00Z",\
        "end-datetime":"\(day)T23:59:59Z"},"contact-info":"tlsrpt@reporter.test","report-id":"bench-\(index)",\
        "policies":[{"policy":{"policy-type":"sts","policy-domain":"\(domain)","mx-host":["mx1.\(domain)"]},\
        "summary":{"total-successful-session-count":\(1000 + index % 5000),"total-failure-session-count":\(detailsPerReport * 5)},\
        "failure-details":[\(details.joined(separator: ","))]}]}
        """
}

do {
    let store = try Store(path: path)
    if try store.domains().isEmpty {
        let epoch = now.addingTimeInterval(-3600)
        let fixtures = (0..<domainCount).map { ObservationFixture.population(index: $0, round: 0, at: epoch, epoch: epoch) }
        let fill = try seconds {
            _ = try store.addDomains(fixtures.map(\.domain), now: epoch)
            for f in fixtures {
                let (observation, assessment) = f.assess()
                try store.record(observation: observation, assessment: assessment, nextDue: now.addingTimeInterval(900), failed: false)
            }
        }
        say("filled \(domainCount) domains (one check each) in \(String(format: "%.1f", fill)) s")
        let reportCount = failureCount / detailsPerReport
        var days: [String] = []
        let formatter = DateFormatter()
        formatter.dateFormat = "yyyy-MM-dd"
        formatter.timeZone = TimeZone(identifier: "UTC")
        formatter.locale = Locale(identifier: "en_US_POSIX")
        for d in 0..<7 { days.append(formatter.string(from: now.addingTimeInterval(-Double(d) * 86_400))) }
        let insert = try seconds {
            for i in 0..<reportCount {
                let domain = fixtures[(i * 7919) % fixtures.count].domain
                let data = Data(reportJSON(index: i, domain: domain, day: days[i % days.count]).utf8)
                _ = try store.insertReport(TLSReport.decode(data), raw: data, source: "bench", message: nil, receivedAt: now)
            }
        }
        say("inserted \(reportCount) reports with \(reportCount * detailsPerReport) failure details in \(String(format: "%.1f", insert)) s "
              + "(\(Int(Double(reportCount) / insert)) reports/s, one transaction each)")
    } else {
        say("reusing \(path)")
    }
} catch {
    fail("filling \(path): \(error)")
}

// MARK: First frame

let width = 120, height = 40
var state: DashboardState!
var source: StoreDataSource!
var grid = Grid(width: 0, height: 0)
do {
    var snapshotTime = 0.0, renderTime = 0.0
    let total = try seconds {
        let store = try Store(path: path, mode: .readOnly)
        source = StoreDataSource(store: store, pollerState: { PollerState(mode: .stopped) })
        var snapshot = DashboardSnapshot.empty
        snapshotTime = try seconds { snapshot = try source.snapshot() }
        renderTime = seconds {
            state = DashboardState(snapshot: snapshot, width: width, height: height, now: Date())
            grid = DashboardView.render(state, glyphs: .unicode)
        }
    }
    say("first frame (\(state.snapshot.domains.count) domains, \(width)x\(height)): \(ms(total)) ms "
          + "(snapshot \(ms(snapshotTime)) ms, state + layout + render \(ms(renderTime)) ms)")
} catch {
    fail("first frame: \(error)")
}

// MARK: Key to frame

var keys: [Key] = []
keys += Array(repeating: "j", count: 40) + [.pageDown, .pageDown, .pageUp, "G", "g"]
keys += ["s", "s", "s", "s"]                                   // every sort order, back to status
keys += ["p", "j", "j", "p"]                                   // problems only and back
keys += ["/", "d", "1", "2", .backspace, "3", .enter, "j", "j", .escape]   // filter, clear
keys += [.enter] + Array(repeating: "j", count: 20) + [.pageDown, .escape]  // detail of a domain
keys += ["j", .enter, .enter]                                  // detail, then its failure groups
keys += ["j", "j", "k", .enter, "j", .enter] + Array(repeating: "j", count: 15) + [.pageDown, .escape, .escape, .escape]
keys += [.escape, .escape]
keys += [.tab, .tab] + Array(repeating: "j", count: 10) + [.enter, .escape, .tab]   // the all-domains failures pane
keys += Array(repeating: "k", count: 30) + ["?", "x"]
keys += Array(repeating: "j", count: 200 - keys.count)
var times: [Double] = []
for key in keys {
    let t = seconds {
        Dashboard.handle(.key(key), state: &state, source: source)
        grid = DashboardView.render(state, glyphs: .unicode)
    }
    times.append(t)
}
let sorted = times.sorted()
say("key to frame over \(keys.count) keys: median \(ms(sorted[sorted.count / 2])) ms, p95 \(ms(sorted[sorted.count * 95 / 100])) ms, "
      + "worst \(ms(sorted.last!)) ms (key \(keys[times.firstIndex(of: sorted.last!)!]))")
let slowest = times.indices.sorted { times[$0] > times[$1] }.prefix(4)
say("  slowest: " + slowest.map { "#\($0) \(keys[$0]) \(ms(times[$0])) ms" }.joined(separator: ", "))
if let message = state.message, message.isError { say("  note: last status message was an error: \(message.text)") }
say("peak RSS (VmHWM): \(peakRSS() / 1024) MiB")

// MARK: Idle output

if let idleSeconds {
    let server = "stswatch-bench-\(getpid())"
    let capture = FileManager.default.temporaryDirectory.appendingPathComponent("stswatch-idle-\(getpid()).out").path
    /// Runs tmux and reaps it with waitpid, with no signal blocked in the child: Foundation's
    /// `Process` was seen to miss the tmux client's exit, and a server inheriting this
    /// process's blocked signals never exits.
    func tmux(_ arguments: [String]) -> Int32 {
        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        var empty = sigset_t(), all = sigset_t()
        sigemptyset(&empty)
        sigfillset(&all)
        posix_spawnattr_setsigmask(&attributes, &empty)
        posix_spawnattr_setsigdefault(&attributes, &all)
        posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF))
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        for fd: Int32 in [0, 1, 2] { posix_spawn_file_actions_addopen(&actions, fd, "/dev/null", fd == 0 ? O_RDONLY : O_WRONLY, 0) }
        let argv = ["/usr/bin/tmux", "-L", server, "-f", "/dev/null"] + arguments
        var cArgs = argv.map { strdup($0) } + [nil]
        defer { cArgs.forEach { free($0) } }
        var pid: pid_t = 0
        guard posix_spawn(&pid, "/usr/bin/tmux", &actions, &attributes, &cArgs, environ) == 0 else { fail("cannot start tmux") }
        var status: Int32 = 0
        let end = Date().addingTimeInterval(10)
        while waitpid(pid, &status, WNOHANG) == 0 {
            if Date() > end { kill(pid, SIGKILL); fail("tmux \(arguments.first ?? "") did not finish in 10 s") }
            usleep(10_000)
        }
        return status
    }
    defer { _ = tmux(["kill-server"]) }
    let me = URL(fileURLWithPath: CommandLine.arguments[0]).standardizedFileURL.path
    let command = "TERM=xterm-256color LANG=C.UTF-8 '\(me)' --run-dashboard '\(path)'"
    guard tmux(["new-session", "-d", "-x", "\(width)", "-y", "\(height)", command]) == 0 else { fail("tmux new-session failed") }
    _ = tmux(["pipe-pane", "-o", "cat > '\(capture)'"])
    // Let the first frame be drawn, then count only what is written afterwards.
    Thread.sleep(forTimeInterval: 5)
    func size() -> Int { ((try? FileManager.default.attributesOfItem(atPath: capture))?[.size] as? NSNumber)?.intValue ?? 0 }
    let before = size()
    Thread.sleep(forTimeInterval: Double(idleSeconds))
    let after = size()
    say("idle output: \(after - before) bytes written in \(idleSeconds) s with no input and no data change "
          + "(first frame: \(before) bytes)")
    try? FileManager.default.removeItem(atPath: capture)
}
if temporary {
    for suffix in ["", "-wal", "-shm"] { try? FileManager.default.removeItem(atPath: path + suffix) }
}
