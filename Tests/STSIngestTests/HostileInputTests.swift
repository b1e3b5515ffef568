import Foundation
import STSTestSupport
import Testing
import STSCore
import STSGzip
import STSMIME
@testable import STSIngest

/// Malformed and hostile inputs are rejected with a reason naming them, while their neighbours are ingested.
@Suite struct HostileInputTests {
    static let good = syntheticReport(organization: "good.example", id: "good-1")

    /// A gzip stream that inflates to `size` bytes of spaces inside a JSON object (a few KiB compressed).
    static func bomb(size: Int) throws -> Data {
        var json = Data("{\"pad\":\"".utf8)
        json.append(Data(repeating: 0x20, count: size))
        json.append(Data("\"}".utf8))
        return try gzipped(json)
    }

    @Test func badNeighboursDoNotStopGoodOnes() async throws {
        let dir = try TempDir()
        let limits = IngestLimits(maxMessageBytes: 256 * 1024, report: ReportLimits(maxBytes: 1 << 20, maxDepth: 64))
        let gz = try gzipped(Self.good)
        try dir.write("01-good.eml", reportMail(messageID: "good@x", attachmentHeaders: [
            "Content-Type: application/tlsrpt+gzip", "Content-Transfer-Encoding: base64",
            "Content-Disposition: attachment; filename=\"good.json.gz\"",
        ], attachmentBody: base64Lines(gz)))
        // Base64 broken mid-stream: the gzip inside is damaged.
        var broken = base64Lines(try gzipped(syntheticReport(organization: "broken.example", id: "b")))
        broken.replaceSubrange(broken.index(broken.startIndex, offsetBy: 20)..<broken.index(broken.startIndex, offsetBy: 40), with: "!!!!****!!!!****!!!!")
        try dir.write("02-broken-base64.eml", reportMail(messageID: "broken@x", attachmentHeaders: [
            "Content-Type: application/tlsrpt+gzip", "Content-Transfer-Encoding: base64",
        ], attachmentBody: broken))
        let truncated = try gzipped(syntheticReport(organization: "trunc.example", id: "t"))
        try dir.write("03-truncated-gzip.eml", reportMail(messageID: "trunc@x", attachmentHeaders: [
            "Content-Type: application/gzip", "Content-Transfer-Encoding: base64",
        ], attachmentBody: base64Lines(truncated.prefix(truncated.count / 2))))
        try dir.write("04-bomb.eml", reportMail(messageID: "bomb@x", attachmentHeaders: [
            "Content-Type: application/tlsrpt+gzip", "Content-Transfer-Encoding: base64",
        ], attachmentBody: base64Lines(try Self.bomb(size: 64 << 20))))
        try dir.write("05-too-big.eml", reportMail(messageID: "big@x", attachmentHeaders: [
            "Content-Type: application/tlsrpt+json",
        ], attachmentBody: String(repeating: " ", count: 300 * 1024) + String(decoding: syntheticReport(organization: "big.example", id: "big"), as: UTF8.self)))
        var deep = ["From: a@example.com", "Subject: deep", "Content-Type: multipart/mixed; boundary=b0", ""]
        for level in 1..<40 { deep += ["--b\(level - 1)", "Content-Type: multipart/mixed; boundary=b\(level)", ""] }
        deep += ["--b39", "Content-Type: application/tlsrpt+json", "", String(decoding: syntheticReport(organization: "deep.example", id: "d"), as: UTF8.self)]
        for level in stride(from: 39, through: 0, by: -1) { deep.append("--b\(level)--") }
        try dir.write("06-deep.eml", crlf(deep))
        try dir.write("07-pdf.eml", reportMail(messageID: "pdf@x", attachmentHeaders: [
            "Content-Type: application/pdf", "Content-Transfer-Encoding: base64", "Content-Disposition: attachment; filename=\"invoice.pdf\"",
        ], attachmentBody: base64Lines(Data("%PDF-1.4 not a report".utf8))))
        // One good and one bad report part in the same mail: the good one is kept.
        try dir.write("08-mixed.eml", reportMail(messageID: "mixed@x", attachmentHeaders: [
            "Content-Type: application/json", "Content-Disposition: attachment; filename=\"second.json\"",
        ], attachmentBody: String(decoding: syntheticReport(organization: "mixed.example", id: "m"), as: UTF8.self), extraParts: [
            ["Content-Type: application/json", "Content-Disposition: attachment; filename=\"bad.json\"", "", "{\"policies\": ["],
        ]))
        try dir.write("09-empty.json", Data())
        try dir.write("10-random.bin", Data((0..<512).map { UInt8(truncatingIfNeeded: $0 &* 37 &+ 11) }))
        try dir.write("11-deep.json", Data((String(repeating: "[", count: 10_000) + String(repeating: "]", count: 10_000)).utf8))
        try dir.write("12-good.json", syntheticReport(organization: "good2.example", id: "g2"))

        let events = EventLog()
        let sink = MemorySink()
        let summary = await Ingester(sink: sink, limits: limits, onEvent: { events.append($0) }).ingest(paths: [dir.path])
        let stored = Set(await sink.stored.compactMap { $0.decoded.report.organizationName })
        #expect(stored == ["good.example", "mixed.example", "good2.example"])
        #expect(summary.new == 3)
        #expect(summary.read == 12)

        func reason(_ file: String) -> String? {
            summary.problems.first { $0.source.hasPrefix(dir.path + "/" + file) }?.reason
        }
        #expect(reason("02-broken-base64.eml")?.contains("gzip") == true, "\(summary.problems)")
        #expect(reason("03-truncated-gzip.eml")?.contains("input ends before the compressed stream does") == true)
        #expect(reason("04-bomb.eml") == "gzip: output exceeds the limit of 1048576 bytes")
        #expect(reason("05-too-big.eml")?.contains("over the limit of 262144") == true)
        #expect(reason("06-deep.eml")?.contains("parts nested deeper than 16 levels were skipped") == true)
        #expect(reason("07-pdf.eml") == "no TLS-RPT report in the message (parts: text/plain, application/pdf)")
        #expect(reason("08-mixed.eml")?.contains("not JSON") == true)
        #expect(summary.problems.first { $0.source.hasPrefix(dir.path + "/08-mixed.eml") }?.source.hasSuffix("part 3 (application/json, \"bad.json\")") == true)
        #expect(reason("09-empty.json") == "file is empty")
        #expect(reason("10-random.bin")?.hasPrefix("not a report, an e-mail or an mbox") == true)
        #expect(reason("11-deep.json")?.contains("nests deeper than 64 levels") == true)
        #expect(summary.rejected == 10)
        #expect(summary.problems.count == 10)
        #expect(events.problems == summary.problems)
        #expect(events.reports == 3)
    }

    @Test func duplicatesAreDroppedAcrossFormats() async throws {
        let dir = try TempDir()
        let json = try corpusReport("mta-sts-exporter-microsoft.json")
        try dir.write("a.json", json)
        try dir.write("b.json", json)
        try dir.write("c.json.gz", try gzipped(json))
        try dir.write("d.eml", reportMail(attachmentHeaders: [
            "Content-Type: application/tlsrpt+gzip", "Content-Transfer-Encoding: base64",
        ], attachmentBody: base64Lines(try gzipped(json))))
        let sink = MemorySink()
        let summary = await Ingester(sink: sink).ingest(paths: [dir.path])
        #expect(summary.new == 1 && summary.duplicate == 3 && summary.rejected == 0)
        // Ingesting the same folder again stores nothing new.
        let again = await Ingester(sink: sink).ingest(paths: [dir.path])
        #expect(again.new == 0 && again.duplicate == 4)
    }

    @Test func failingSinkStopsTheRunAndSaysWhy() async throws {
        let dir = try TempDir()
        for index in 0..<5 { try dir.write("r\(index).json", syntheticReport(organization: "o.example", id: "id-\(index)")) }
        let sink = MemorySink(failAfter: 2)
        let summary = await Ingester(sink: sink, concurrency: 1, batchSize: 1).ingest(paths: [dir.path])
        #expect(summary.new == 2)
        #expect(summary.stoppedEarly?.contains("disk full") == true)
        #expect(summary.stoppedEarly?.contains("r2.json") == true)
        // In batches, the failing batch is named by its first report and size.
        let batched = await Ingester(sink: MemorySink(failAfter: 2), concurrency: 1, batchSize: 3).ingest(paths: [dir.path])
        #expect(batched.new == 0 && batched.stoppedEarly?.contains("r0.json and 2 more") == true, "\(batched)")
    }

    @Test func perRunLimit() async throws {
        let dir = try TempDir()
        for index in 0..<5 { try dir.write("r\(index).json", syntheticReport(organization: "o.example", id: "id-\(index)")) }
        var limits = IngestLimits.default
        limits.maxReportsPerRun = 3
        let summary = await Ingester(sink: MemorySink(), limits: limits).ingest(paths: [dir.path])
        #expect(summary.new == 3)
        #expect(summary.stoppedEarly?.contains("per-run limit") == true)
    }

    @Test func missingPathIsAProblem() async {
        let summary = await Ingester(sink: MemorySink()).ingest(paths: ["/nonexistent/stswatch-test"])
        #expect(summary.problems == [IngestProblem(source: "/nonexistent/stswatch-test", reason: "cannot read: No such file or directory")])
    }
}

/// Collects events from the callback, which may run on any thread.
final class EventLog: Sendable {
    private let events = Mutex<[IngestEvent]>([])
    func append(_ event: IngestEvent) { events.withLock { $0.append(event) } }
    var problems: [IngestProblem] {
        events.withLock { $0.compactMap { if case .problem(let problem) = $0 { problem } else { nil } } }
    }
    var allEvents: [IngestEvent] { events.withLock { $0 } }
    var reports: Int {
        events.withLock { $0.filter { if case .report = $0 { true } else { false } }.count }
    }
}

import Synchronization

/// How real senders wrap the report, each in a mail of its own.
@Suite struct ReportPickerTests {
    static let json = syntheticReport(organization: "pick.example", id: "p1", successful: 7, failed: 2)

    struct Variant: Sendable, CustomStringConvertible {
        var name: String
        var headers: [String]
        var body: @Sendable () throws -> String
        var description: String { name }
    }

    static let variants: [Variant] = [
        Variant(name: "tlsrpt+gzip base64", headers: ["Content-Type: application/tlsrpt+gzip", "Content-Transfer-Encoding: base64"],
                body: { base64Lines(try gzipped(json)) }),
        Variant(name: "tlsrpt+json plain", headers: ["Content-Type: application/tlsrpt+json"], body: { String(decoding: json, as: UTF8.self) }),
        Variant(name: "application/gzip", headers: ["Content-Type: application/gzip", "Content-Transfer-Encoding: base64"],
                body: { base64Lines(try gzipped(json)) }),
        Variant(name: "application/x-gzip", headers: ["Content-Type: application/x-gzip; name=r.gz", "Content-Transfer-Encoding: base64"],
                body: { base64Lines(try gzipped(json)) }),
        Variant(name: "application/json base64", headers: ["Content-Type: application/json", "Content-Transfer-Encoding: base64"],
                body: { base64Lines(json) }),
        Variant(name: "octet-stream .gz", headers: ["Content-Type: application/octet-stream", "Content-Transfer-Encoding: base64",
                                                    "Content-Disposition: attachment; filename=\"google.com!example.org!1!2.json.gz\""],
                body: { base64Lines(try gzipped(json)) }),
        Variant(name: "octet-stream .json", headers: ["Content-Type: application/octet-stream", "Content-Transfer-Encoding: base64",
                                                      "Content-Disposition: attachment; filename=report.json"],
                body: { base64Lines(json) }),
        Variant(name: "octet-stream no name, gzip inside", headers: ["Content-Type: application/octet-stream", "Content-Transfer-Encoding: base64"],
                body: { base64Lines(try gzipped(json)) }),
        Variant(name: "gzip labelled json", headers: ["Content-Type: application/json", "Content-Transfer-Encoding: base64"],
                body: { base64Lines(try gzipped(json)) }),
        Variant(name: "undeclared base64 of JSON", headers: ["Content-Type: application/tlsrpt+json"], body: { base64Lines(json) }),
        Variant(name: "quoted-printable JSON", headers: ["Content-Type: application/json", "Content-Transfer-Encoding: quoted-printable"],
                body: { String(decoding: json, as: UTF8.self).replacingOccurrences(of: "=", with: "=3D").replacingOccurrences(of: ",", with: ",=\r\n") }),
        Variant(name: "RFC 2231 encoded filename", headers: ["Content-Type: application/octet-stream", "Content-Transfer-Encoding: base64",
                                                             "Content-Disposition: attachment; filename*=utf-8''r%C3%A9port.json"],
                body: { base64Lines(json) }),
    ]

    @Test(arguments: variants)
    func variantYieldsTheReport(variant: Variant) throws {
        let data = reportMail(attachmentHeaders: variant.headers, attachmentBody: try variant.body(),
                              extraParts: [["Content-Type: text/html", "", "<p>after</p>"]])
        let units = Examine.mail(data, source: "m", limits: .default)
        #expect(units.count == 1)
        guard case .report(let found, let source, let meta)? = units.first else {
            Issue.record("no report: \(units)")
            return
        }
        #expect(source == "m")
        #expect(found.decoded.report.totalSuccessful == 7 && found.decoded.report.totalFailed == 2)
        #expect(found.json == Self.json)
        #expect(meta?.messageID == "m1@example.com")
        #expect(meta?.date == Date(timeIntervalSince1970: 1_704_110_400))
    }

    @Test func forwardedReportIsFound() throws {
        let inner = String(decoding: reportMail(attachmentHeaders: ["Content-Type: application/tlsrpt+gzip", "Content-Transfer-Encoding: base64"],
                                                attachmentBody: base64Lines(try gzipped(Self.json))), as: UTF8.self)
        let data = crlf([
            "From: postmaster@example.org", "Subject: Fwd: TLS report", "Message-ID: <fwd@example.org>",
            "Content-Type: multipart/mixed; boundary=outer", "",
            "--outer", "Content-Type: text/plain", "", "forwarding", "--outer", "Content-Type: message/rfc822", "",
            inner, "--outer--", "",
        ])
        let units = Examine.mail(data, source: "fwd", limits: .default)
        guard case .report(let found, _, let meta)? = units.first, units.count == 1 else {
            Issue.record("expected one report: \(units)")
            return
        }
        #expect(found.decoded.report.organizationName == "pick.example")
        // The outer mail is the one that was received.
        #expect(meta?.messageID == "fwd@example.org")
    }

    @Test func textAndHtmlPartsAreNotCandidates() {
        #expect(!ReportPicker.isCandidate(MailPart(contentType: "text/plain", body: Data("{\"a\":1}".utf8), position: "1")))
        #expect(!ReportPicker.isCandidate(MailPart(contentType: "text/html", body: Data(), position: "1")))
        #expect(ReportPicker.isCandidate(MailPart(contentType: "text/plain", filename: "r.json", body: Data(), position: "1")))
        #expect(!ReportPicker.isCandidate(MailPart(contentType: "application/octet-stream", filename: "x.bin", body: Data("MZ".utf8), position: "1")))
    }

    @Test(arguments: [
        ("", "empty"),
        ("hello", "not gzip, JSON or base64 (starts with \"hello\")"),
        ("aGVsbG8gd29ybGQh", "inside a base64 layer: not gzip, JSON or base64 (starts with \"hello wo\")"),
        ("[1]", "not a TLS-RPT report: $: must be a JSON object, found an array"),
    ])
    func payloadProblems(text: String, reason: String) {
        guard case .failure(let error) = ReportPayload.decode(Data(text.utf8), limits: .default) else {
            Issue.record("decoded")
            return
        }
        #expect(error.description == reason)
    }
}
