import Foundation
import STSTestSupport
import Testing
import STSCore
@testable import STSIngest

/// mbox files and Maildirs built from the corpus in a temporary folder.
@Suite struct MailboxTests {
    /// The corpus mails as one mbox; the first text part gains a body line starting "From ", quoted as mboxrd does.
    func corpusMbox() throws -> Data {
        var mbox = Data()
        for (index, name) in corpusNames("eml", suffix: ".eml").enumerated() {
            var text = String(decoding: try corpusMail(name), as: UTF8.self)
            if index == 0 {
                text = text.replacingOccurrences(of: "This is an aggregate TLS report", with: ">From the sender:\n>>From quoted twice\nThis is an aggregate TLS report")
            }
            mbox.append(Data("From MAILER-DAEMON Mon Jan  1 00:00:0\(index) 2024\n".utf8))
            mbox.append(Data(text.utf8))
            if !text.hasSuffix("\n") { mbox.append(0x0A) }
            mbox.append(0x0A)
        }
        return mbox
    }

    @Test func mboxOfTheCorpus() async throws {
        let dir = try TempDir()
        // No suffix: recognised by its first line.
        let path = try dir.write("archive", try corpusMbox())
        let sink = MemorySink()
        let summary = await Ingester(sink: sink).ingest(paths: [path])
        #expect(summary.read == 4)
        #expect(summary.rejected == 0, "\(summary.problems)")
        // mail-auth-rpt01 and tlsrpt-be-test carry the same report.
        #expect(summary.new == 3 && summary.duplicate == 1)
        let sources = await sink.stored.map(\.source) + sink.duplicates
        #expect(Set(sources) == Set((1...4).map { "\(path) message \($0)" }))
        let totals = await sink.stored.map { $0.decoded.report.totalSuccessful }.sorted()
        #expect(totals == [23, 48, 5326])
    }

    @Test func mboxSplittingAndUnquoting() throws {
        let mbox = try corpusMbox()
        let messages = Mbox.messages(mbox)
        #expect(messages.count == 4)
        let first = String(decoding: messages[0], as: UTF8.self)
        #expect(first.contains("\nFrom the sender:\n>From quoted twice\n"))
        #expect(first.hasPrefix("From: "))
        for (message, name) in zip(messages.dropFirst(), corpusNames("eml", suffix: ".eml").dropFirst()) {
            // Unchanged apart from the trailing blank line the mbox writer adds.
            let original = try corpusMail(name)
            #expect(message.count <= original.count + 1)
            #expect(original.starts(with: message.prefix(original.count - 2)))
        }
    }

    @Test(arguments: [
        ("", 0),
        ("From a\nx\n", 1),
        ("From a\nx\n\nFrom b\ny\n", 2),
        ("From a\nx\nFrom b\ny\n", 1),  // no empty line before: a body line
        ("From a\r\nx\r\n\r\nFrom b\r\ny\r\n", 2),
        ("From a\n\n\nFrom b\n", 2),
    ])
    func mboxBoundaries(text: String, count: Int) {
        #expect(Mbox.messages(Data(text.utf8)).count == count)
    }

    @Test func maildirReadsCurAndNewOnly() async throws {
        let dir = try TempDir()
        let names = corpusNames("eml", suffix: ".eml")
        try dir.mkdir("Maildir/tmp")
        try dir.write("Maildir/cur/1700000000.1.host:2,S", try corpusMail(names[0]))
        try dir.write("Maildir/cur/1700000000.2.host:2,", try corpusMail(names[1]))
        try dir.write("Maildir/new/1700000000.3.host", try corpusMail(names[2]))
        // A delivery in progress and the server's bookkeeping are not mail.
        try dir.write("Maildir/tmp/1700000000.4.host", reportMail(messageID: "tmp@x", attachmentHeaders: ["Content-Type: application/tlsrpt+json"],
                                                               attachmentBody: String(decoding: syntheticReport(organization: "tmp.example", id: "tmp"), as: UTF8.self)))
        try dir.write("Maildir/dovecot-uidlist", Data("3 V1 N4\n".utf8))
        try dir.write("Maildir/.hidden-in-cur", Data("junk".utf8))
        // A Maildir++ subfolder.
        try dir.write("Maildir/.Reports/cur/1700000000.5.host:2,", try corpusMail(names[3]))
        try dir.mkdir("Maildir/.Reports/new")
        let sink = MemorySink()
        let summary = await Ingester(sink: sink).ingest(paths: [dir.path])
        #expect(summary.read == 4)
        #expect(summary.rejected == 0, "\(summary.problems)")
        #expect(summary.new == 3 && summary.duplicate == 1)
        #expect(await sink.stored.allSatisfy { !$0.source.contains("/Maildir/tmp/") })
        #expect(await !sink.stored.contains { $0.decoded.report.organizationName == "tmp.example" })
    }

    @Test(arguments: [
        ("{\"a\":1}", "x", InputKind.report),
        ("\u{FEFF}  {", "x", .report),
        ("From someone Mon Jan 1", "x", .mbox),
        ("Return-Path: <a@b>\r\n", "x", .mail),
        ("X-Header:value", "x", .mail),
        ("hello world", "x", .unknown),
        ("hello world", "r.json", .report),
        ("hello world", "m.eml", .mail),
        ("\u{1}\u{2}", "x", .unknown),
    ])
    func kindDetection(prefix: String, name: String, kind: InputKind) {
        #expect(InputKind.detect(prefix: Data(prefix.utf8), name: name) == kind)
    }

    @Test func gzipPrefixIsAReport() throws {
        let compressed = try gzipped(Data("anything".utf8))
        #expect(InputKind.detect(prefix: compressed, name: "mail.eml") == .report)
    }
}
