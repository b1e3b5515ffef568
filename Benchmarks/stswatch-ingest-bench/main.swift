import Foundation
import STSCore
import STSIngest
import STSStore

// Prints how fast the ingest path reads gzip reports, as files and as a Maildir of
// mails, into an in-memory sink or (--store) into the real SQLite store in the temporary
// folder: rate, bytes per report, database growth per report and peak memory (VmHWM).
//
//   stswatch-ingest-bench [COUNT] [--keep] [--store] [--batch N]
//
// Reports are generated (varied organizations, ids, policies and failure details),
// compressed by the system's gzip in one run, and wrapped in mails as senders do.

/// Counts reports, keeping only their keys so the figures are the ingest path's, not the sink's.
actor CountingSink: ReportSink {
    var keys: [String: Int64] = [:]
    func insertReport(_ decoded: ReportDecodeResult, raw: Data, source: String, message: MailMeta?) async throws -> ReportInsertOutcome {
        let key = (decoded.report.organizationName ?? "") + "\u{0}" + (decoded.report.reportID ?? "")
        if let id = keys[key] { return .duplicate(id) }
        let id = Int64(keys.count)
        keys[key] = id
        return .inserted(id)
    }
}

let arguments = CommandLine.arguments.dropFirst()
let count = arguments.compactMap { Int($0) }.first ?? 10_000
let keep = arguments.contains("--keep")
let intoStore = arguments.contains("--store")
let batchSize = arguments.firstIndex(of: "--batch").flatMap { arguments.index(after: $0) < arguments.endIndex ? Int(arguments[arguments.index(after: $0)]) : nil } ?? 500

/// Bytes of the database and its WAL, after a checkpoint has had a chance to run.
func databaseBytes(_ path: String) -> Int {
    ["", "-wal"].reduce(0) { total, suffix in
        total + ((try? FileManager.default.attributesOfItem(atPath: path + suffix)[.size] as? Int) ?? 0)
    }
}

func status(_ field: String) -> Int {
    guard let text = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8) else { return 0 }
    for line in text.split(separator: "\n") where line.hasPrefix(field + ":") {
        return Int(line.split(separator: " ", omittingEmptySubsequences: true).dropFirst().first ?? "") ?? 0
    }
    return 0
}

/// Resets VmHWM to the current RSS so each phase reports its own peak (Linux clear_refs 5).
func resetPeak() {
    try? "5".write(toFile: "/proc/self/clear_refs", atomically: false, encoding: .utf8)
}

func report(_ index: Int) -> String {
    let orgs = ["google.com", "Microsoft Corporation", "Mail.ru", "comcast.net", "yahoo.com", "example-mta.net"]
    let org = orgs[index % orgs.count]
    let day = index % 365
    let failures = index % 4 == 0 ? """
    ,"failure-details":[{"result-type":"certificate-expired","sending-mta-ip":"198.51.100.\(index % 250)","receiving-mx-hostname":"mx\(index % 3).example.org","receiving-ip":"203.0.113.\(index % 200)","failed-session-count":\(index % 7 + 1)},\
    {"result-type":"starttls-not-supported","sending-mta-ip":"2001:db8::\(index % 999)","receiving-mx-hostname":"mx2.example.org","failed-session-count":1,"additional-information":"https://reports.example/\(index)"}]
    """ : ""
    let failed = index % 4 == 0 ? index % 7 + 2 : 0
    return """
    {"organization-name":"\(org)","date-range":{"start-datetime":"2024-01-01T00:00:00Z","end-datetime":"2024-01-01T23:59:59Z"},\
    "contact-info":"smtp-tls-reporting@\(org.lowercased().replacingOccurrences(of: " ", with: "-"))","report-id":"2024-\(day)-\(index)@\(org)",\
    "policies":[{"policy":{"policy-type":"sts","policy-string":["version: STSv1","mode: enforce","mx: mx0.example.org","mx: mx1.example.org","mx: *.mx.example.org","max_age: 604800"],\
    "policy-domain":"example\(index % 50).org","mx-host":["mx0.example.org","mx1.example.org","*.mx.example.org"]},\
    "summary":{"total-successful-session-count":\(index % 5000 + 1),"total-failure-session-count":\(failed)}\(failures)},\
    {"policy":{"policy-type":"no-policy-found","policy-domain":"sub\(index % 50).example.org"},\
    "summary":{"total-successful-session-count":\(index % 300),"total-failure-session-count":0}}]}
    """
}

func mail(_ index: Int, gz: Data) -> Data {
    let name = "google.com!example\(index % 50).org!1704067200!1704153599!\(index).json.gz"
    var text = """
    From: noreply-smtp-tls-reporting@google.com\r
    To: tlsrpt@example.org\r
    Subject: Report Domain: example\(index % 50).org Submitter: google.com Report-ID: <2024-\(index)@google.com>\r
    Date: Mon, 01 Jan 2024 12:00:00 +0000\r
    Message-ID: <bench-\(index)@google.com>\r
    TLS-Report-Domain: example\(index % 50).org\r
    TLS-Report-Submitter: google.com\r
    MIME-Version: 1.0\r
    Content-Type: multipart/report; boundary="000000000000bench\(index)"; report-type=tlsrpt\r
    \r
    --000000000000bench\(index)\r
    Content-Type: text/plain; charset="UTF-8"; format=flowed; delsp=yes\r
    \r
    This is an aggregate TLS report from google.com\r
    \r
    --000000000000bench\(index)\r
    Content-Type: application/tlsrpt+gzip; name="\(name)"\r
    Content-Disposition: attachment; filename="\(name)"\r
    Content-Transfer-Encoding: base64\r
    \r

    """
    text += gz.base64EncodedString(options: [.lineLength76Characters, .endLineWithCarriageReturn, .endLineWithLineFeed])
    text += "\r\n--000000000000bench\(index)--\r\n"
    return Data(text.utf8)
}

let root = FileManager.default.temporaryDirectory.appendingPathComponent("stswatch-ingest-bench-\(getpid())").path
let reportsDir = root + "/reports"
let maildir = root + "/Maildir"
try FileManager.default.createDirectory(atPath: reportsDir, withIntermediateDirectories: true)
for sub in ["cur", "new", "tmp"] {
    try FileManager.default.createDirectory(atPath: maildir + "/" + sub, withIntermediateDirectories: true)
}
defer { if !keep { try? FileManager.default.removeItem(atPath: root) } }

print("generating \(count) reports in \(root)")
var jsonBytes = 0
for index in 0..<count {
    let data = Data(report(index).utf8)
    jsonBytes += data.count
    try data.write(to: URL(fileURLWithPath: "\(reportsDir)/r\(index).json"))
}
let gzip = Process()
gzip.executableURL = URL(fileURLWithPath: "/bin/gzip")
gzip.arguments = ["-n", "-r", reportsDir]
try gzip.run()
gzip.waitUntilExit()
var gzBytes = 0
var mailBytes = 0
for index in 0..<count {
    let gz = try Data(contentsOf: URL(fileURLWithPath: "\(reportsDir)/r\(index).json.gz"))
    gzBytes += gz.count
    let message = mail(index, gz: gz)
    mailBytes += message.count
    try message.write(to: URL(fileURLWithPath: "\(maildir)/cur/1704067200.\(index).bench:2,"))
}
print("sizes per report: JSON \(jsonBytes / count) B, gzip \(gzBytes / count) B, mail \(mailBytes / count) B")
print("cores: \(ProcessInfo.processInfo.activeProcessorCount)")

print(intoStore ? "sink: the SQLite store (batches of \(batchSize) reports per transaction)" : "sink: in memory (counts keys only)")

for (label, path) in [("gzip files", reportsDir), ("Maildir", maildir)] {
    let dbPath = root + "/\(label == "Maildir" ? "maildir" : "files").sqlite"
    let store = intoStore ? try Store(path: dbPath) : nil
    let emptyBytes = databaseBytes(dbPath)
    // Twice into the same sink: the second pass finds every report already stored.
    for pass in ["first", "again"] {
        resetPeak()
        let sink: any ReportSink = store ?? CountingSink()
        let start = ContinuousClock.now
        let summary = await Ingester(sink: sink, batchSize: batchSize).ingest(paths: [path])
        let elapsed = ContinuousClock.now - start
        let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
        let rate = Double(summary.new + summary.duplicate) / seconds
        print(String(format: "%@ (%@): %d reports (%d new, %d duplicate, %d rejected) in %.2f s = %.0f reports/s; peak RSS (VmHWM) %d MiB",
                     label, pass, summary.read, summary.new, summary.duplicate, summary.rejected, seconds, rate, status("VmHWM") / 1024))
        if summary.rejected > 0 { print("  first problem: \(summary.problems[0])") }
        if let stopped = summary.stoppedEarly { print("  stopped early: \(stopped)") }
        if store != nil && pass == "first" {
            let grown = databaseBytes(dbPath) - emptyBytes
            print(String(format: "  database grew %.1f MiB = %d B per report (database + WAL)", Double(grown) / 1_048_576, grown / max(1, summary.new)))
        }
        if store == nil { break }
    }
}
