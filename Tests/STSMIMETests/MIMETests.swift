import Foundation
import Testing
import STSMIME

@Suite struct MIMECorpusTests {
    struct Case: Sendable, CustomStringConvertible {
        var file: String
        var subjectPrefix: String
        var from: String
        var messageID: String?
        var date: Date?
        var types: [String]
        var reportFilename: String?
        var description: String { file }
    }

    static let cases: [Case] = [
        Case(file: "mail-auth-rpt01.eml", subjectPrefix: "Report Domain: example.net Submitter: mail.sender.example.com",
             from: "tlsrpt@mail.sender.example.com", messageID: nil, date: nil,
             types: ["text/plain", "application/tlsrpt+gzip"],
             reportFilename: "mail.sender.example!example.com!1013662812!1013749130.json.gz"),
        Case(file: "mail-auth-rpt02.eml", subjectPrefix: "Report Domain: example.net", from: "tlsrpt@mail.sender.example.com",
             messageID: nil, date: nil, types: ["text/plain", "application/tlsrpt"],
             reportFilename: "mail.sender.example!example.com!1013662812!1013749130.json"),
        Case(file: "parsedmarc-google.eml",
             subjectPrefix: "Report Domain: cardinalhealth.ca Submitter: google.com Report-ID: <2024.09.03T00.00.00Z+cardinalhealth.ca@google.com>",
             from: "noreply-smtp-tls-reporting@google.com", messageID: "66d83c20.050a0220.a0566.1e8dtls@google.com",
             // Wed, 04 Sep 2024 03:53:20 -0700
             date: Date(timeIntervalSince1970: 1_725_447_200), types: ["text/plain", "application/tlsrpt+gzip"],
             reportFilename: "google.com!cardinalhealth.ca!1725321600!1725407999!001.json.gz"),
        Case(file: "tlsrpt-be-test.eml", subjectPrefix: "Report Domain: example.net Submitter: mail.sender.example.com",
             from: "tlsrpt@mail.sender.example.com", messageID: nil, date: nil,
             types: ["text/plain", "application/tlsrpt+gzip"],
             reportFilename: "mail.sender.example!example.com!1013662812!1013749130.json.gz"),
    ]

    @Test(arguments: cases)
    func readsHeadersAndParts(expected: Case) throws {
        let mail = try MIME.parse(try corpusMail(expected.file))
        let subject = try #require(mail.subject)
        // Folded subjects are unfolded; the exact whitespace at a fold is GMime's choice.
        let squeezed = subject.split(whereSeparator: \.isWhitespace).joined(separator: " ")
        #expect(squeezed.hasPrefix(expected.subjectPrefix))
        #expect(mail.from == expected.from)
        #expect(mail.messageID == expected.messageID)
        if let date = expected.date { #expect(mail.date == date) }
        #expect(mail.dateText != nil)
        #expect(mail.parts.map(\.contentType) == expected.types)
        #expect(mail.parts.map(\.position) == ["1", "2"])
        #expect(mail.parts.last?.filename == expected.reportFilename)
        #expect(mail.notes.isEmpty)
    }

    @Test func base64IsDecoded() throws {
        let mail = try MIME.parse(try corpusMail("tlsrpt-be-test.eml"))
        let body = try #require(mail.parts.last?.body)
        #expect(body.starts(with: [0x1f, 0x8b, 0x08]))
    }

    @Test func quotedPrintableIsDecoded() throws {
        let mail = try MIME.parse(try corpusMail("parsedmarc-google.eml"))
        let text = String(decoding: try #require(mail.parts.first?.body), as: UTF8.self)
        // "=E2=80=93" is an en dash; the soft line break "=\r\n" joins "attachme" and "nts".
        #expect(text.contains("External Email \u{2013} Please use caution before opening attachments"))
    }

    @Test func multipartReportParameters() throws {
        let mail = try MIME.parse(try corpusMail("parsedmarc-google.eml"))
        #expect(mail.parts.first?.parameters["charset"]?.lowercased() == "utf-8")
        #expect(mail.parts.last?.parameters["name"] == "google.com!cardinalhealth.ca!1725321600!1725407999!001.json.gz")
    }
}

@Suite struct MIMEConstructedTests {
    @Test func encodedWordsInHeadersAreDecoded() throws {
        let mail = try MIME.parse(crlf([
            "From: =?UTF-8?Q?R=C3=A9mi?= <rapport@example.org>",
            "Subject: =?UTF-8?B?UmFwcG9ydCBUTFMg4oCU?= example.org",
            "Date: Tue, 02 Jan 2024 10:00:00 +0100",
            "Message-ID: <abc@example.org>",
            "Content-Type: text/plain",
            "",
            "hello",
        ]))
        #expect(mail.subject == "Rapport TLS \u{2014} example.org")
        #expect(mail.from?.contains("Rémi") == true)
        #expect(mail.from?.contains("rapport@example.org") == true)
        #expect(mail.messageID == "abc@example.org")
        #expect(mail.date == Date(timeIntervalSince1970: 1_704_186_000))
        #expect(mail.parts.count == 1)
        #expect(String(decoding: mail.parts[0].body, as: UTF8.self).hasPrefix("hello"))
    }

    @Test func attachedMessagesAreWalked() throws {
        let inner = [
            "From: reporter@example.com",
            "Subject: inner",
            "Content-Type: multipart/report; report-type=tlsrpt; boundary=in",
            "",
            "--in",
            "Content-Type: text/plain",
            "",
            "inner text",
            "--in",
            "Content-Type: application/tlsrpt+json",
            "Content-Disposition: attachment; filename=r.json",
            "",
            "{\"a\": 1}",
            "--in--",
        ]
        let mail = try MIME.parse(crlf([
            "From: forwarder@example.net",
            "Subject: Fwd: inner",
            "Content-Type: multipart/mixed; boundary=out",
            "",
            "--out",
            "Content-Type: text/plain",
            "",
            "see attached",
            "--out",
            "Content-Type: message/rfc822",
            "",
        ] + inner + ["--out--", ""]))
        #expect(mail.subject == "Fwd: inner")
        #expect(mail.parts.map(\.contentType) == ["text/plain", "text/plain", "application/tlsrpt+json"])
        #expect(mail.parts.map(\.position) == ["1", "2.1", "2.2"])
        #expect(mail.parts.last?.filename == "r.json")
        #expect(String(decoding: try #require(mail.parts.last?.body), as: UTF8.self).hasPrefix("{\"a\": 1}"))
    }

    @Test(arguments: [20, 200, 2000, 100_000])
    func deepNestingIsCutOffAndNoted(depth: Int) throws {
        var lines = ["From: a@example.com", "Subject: deep", "Content-Type: multipart/mixed; boundary=b0", ""]
        for level in 1..<depth {
            lines += ["--b\(level - 1)", "Content-Type: multipart/mixed; boundary=b\(level)", ""]
        }
        lines += ["--b\(depth - 1)", "Content-Type: application/json", "", "{}"]
        for level in stride(from: depth - 1, through: 0, by: -1) { lines.append("--b\(level)--") }
        let mail = try MIME.parse(crlf(lines), limits: MIMELimits(maxMessageBytes: 32 << 20, maxDepth: 16, maxParts: 10))
        #expect(mail.parts.isEmpty)
        #expect(mail.notes.first?.hasPrefix("parts nested deeper than 16 levels were skipped") == true)
    }

    @Test func tooManyPartsAreCutOff() throws {
        var lines = ["From: a@example.com", "Content-Type: multipart/mixed; boundary=b", ""]
        for index in 0..<20 { lines += ["--b", "Content-Type: text/plain", "", "part \(index)"] }
        lines.append("--b--")
        let mail = try MIME.parse(crlf(lines), limits: MIMELimits(maxMessageBytes: 1 << 20, maxDepth: 16, maxParts: 5))
        #expect(mail.parts.count == 5)
        #expect(mail.notes == ["more than 5 parts; the rest were skipped (first at 6)"])
    }

    @Test func limitsAndEmptyInput() {
        #expect(throws: MIMEError.empty) { try MIME.parse(Data()) }
        #expect(throws: MIMEError.tooLarge(size: 100, limit: 99)) {
            try MIME.parse(Data(repeating: 0x41, count: 100), limits: MIMELimits(maxMessageBytes: 99, maxDepth: 4, maxParts: 4))
        }
    }
}
