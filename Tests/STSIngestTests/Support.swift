import Foundation
import STSTestSupport



func corpusMail(_ name: String) throws -> Data {
    try Data(contentsOf: corpusDirectory().appendingPathComponent("eml/\(name)"))
}

/// Joins lines with CRLF, as mail on the wire has them.
func crlf(_ lines: [String]) -> Data {
    Data(lines.joined(separator: "\r\n").utf8)
}

import STSCore
import STSIngest

/// An in-memory sink that drops a report it already holds, by organization and report-id, as the store does.
actor MemorySink: ReportSink {
    struct Stored: Sendable {
        var decoded: ReportDecodeResult
        var raw: Data
        var source: String
        var message: MailMeta?
    }
    private(set) var stored: [Stored] = []
    private var keys: [String: Int] = [:]
    private(set) var duplicates: [String] = []
    /// Fail once this many reports are held (to test a failing store).
    var failAfter: Int?

    init(failAfter: Int? = nil) { self.failAfter = failAfter }

    func insertReport(_ decoded: ReportDecodeResult, raw: Data, source: String, message: MailMeta?) async throws -> ReportInsertOutcome {
        if let failAfter, stored.count >= failAfter { throw SupportError(description: "disk full") }
        let key = (decoded.report.organizationName ?? "") + "\u{0}" + (decoded.report.reportID ?? "")
        if let index = keys[key] {
            duplicates.append(source)
            return .duplicate(Int64(index))
        }
        keys[key] = stored.count
        stored.append(Stored(decoded: decoded, raw: raw, source: source, message: message))
        return .inserted(Int64(stored.count - 1))
    }
}

func corpusReport(_ name: String) throws -> Data {
    try Data(contentsOf: corpusDirectory().appendingPathComponent("reports/\(name)"))
}

func corpusNames(_ folder: String, suffix: String) -> [String] {
    guard let dir = try? corpusDirectory().appendingPathComponent(folder),
          let names = try? FileManager.default.contentsOfDirectory(atPath: dir.path) else { return [] }
    return names.filter { $0.hasSuffix(suffix) }.sorted()
}

/// Totals read straight from JSON with JSONSerialization, not through the report decoder.
func independentTotals(_ json: Data) throws -> (organization: String?, reportID: String?, successful: Int, failed: Int) {
    guard let root = try JSONSerialization.jsonObject(with: json) as? [String: Any],
          let policies = root["policies"] as? [[String: Any]] else { throw SupportError(description: "not a report object") }
    func count(_ policy: [String: Any], _ key: String) -> Int { ((policy["summary"] as? [String: Any])?[key] as? NSNumber)?.intValue ?? 0 }
    return (root["organization-name"] as? String, root["report-id"] as? String,
            policies.reduce(0) { $0 + count($1, "total-successful-session-count") },
            policies.reduce(0) { $0 + count($1, "total-failure-session-count") })
}

/// A report mail: a text part, then `attachment` with the given headers, in CRLF.
func reportMail(subject: String = "Report Domain: example.org", messageID: String = "m1@example.com",
                attachmentHeaders: [String], attachmentBody: String, extraParts: [[String]] = []) -> Data {
    var lines = [
        "From: reports@example.com",
        "To: tlsrpt@example.org",
        "Subject: \(subject)",
        "Date: Mon, 01 Jan 2024 12:00:00 +0000",
        "Message-ID: <\(messageID)>",
        "MIME-Version: 1.0",
        "Content-Type: multipart/report; report-type=tlsrpt; boundary=\"b1\"",
        "",
        "--b1",
        "Content-Type: text/plain; charset=us-ascii",
        "",
        "This is an aggregate TLS report.",
        "--b1",
    ] + attachmentHeaders + ["", attachmentBody]
    for part in extraParts { lines += ["--b1"] + part }
    lines += ["--b1--", ""]
    return crlf(lines)
}

/// Base64 in 76-character lines.
func base64Lines(_ data: Data) -> String {
    data.base64EncodedString(options: [.lineLength76Characters, .endLineWithCarriageReturn, .endLineWithLineFeed])
}

/// A minimal report with the given identity and one policy's totals.
func syntheticReport(organization: String, id: String, successful: Int = 10, failed: Int = 0) -> Data {
    Data("""
    {"organization-name":"\(organization)","date-range":{"start-datetime":"2024-01-01T00:00:00Z","end-datetime":"2024-01-01T23:59:59Z"},\
    "contact-info":"tlsrpt@\(organization)","report-id":"\(id)","policies":[{"policy":{"policy-type":"sts",\
    "policy-string":["version: STSv1","mode: enforce","mx: mx.example.org","max_age: 86400"],"policy-domain":"example.org"},\
    "summary":{"total-successful-session-count":\(successful),"total-failure-session-count":\(failed)}}]}
    """.utf8)
}
