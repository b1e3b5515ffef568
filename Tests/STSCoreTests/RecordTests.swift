import Testing
@testable import STSCore

/// RFC 8461 §3.1 and RFC 8460 §3, case by case.
@Suite struct STSRecordTests {
    @Test(arguments: [
        ("v=STSv1; id=20160831085700Z;", "20160831085700Z"),        // RFC 8461 §3.1 example
        ("v=STSv1; id=20160831085700Z", "20160831085700Z"),         // no trailing delimiter
        ("v=STSv1;id=abc123", "abc123"),                            // no whitespace
        ("v=STSv1 ;\tid=abc ; ", "abc"),                            // WSP around ";" as the ABNF allows
        ("v=STSv1; id=a", "a"),                                     // shortest id
        ("v=STSv1; id=12345678901234567890123456789012", "12345678901234567890123456789012"), // 32 chars
        ("v=STSv1; foo=bar; id=xyz", "xyz"),                        // extension before id
        ("v=STSv1; id=xyz; ext.name_1-a=some!value:", "xyz"),       // extension grammar
    ])
    func validRecords(text: String, id: String) throws {
        #expect(try STSRecord.parse(text).id == id)
    }

    @Test(arguments: [
        ("id=abc; v=STSv1", STSRecord.ParseError.versionNotFirst),
        (" v=STSv1; id=abc", .versionNotFirst),
        ("v=STSv1", .missingID),
        ("v=STSv1;", .missingID),
        ("v=STSv1; id=", .badID("")),
        ("v=STSv1; id=abc-def", .badID("abc-def")),
        ("v=STSv1; id=123456789012345678901234567890123", .badID("123456789012345678901234567890123")),
        ("v=STSv1; id=abc; id=def", .duplicateID),
        ("v=STSv1;; id=abc", .emptyField(index: 2)),
        ("v=STSv1; id abc", .malformedField("id abc")),
        ("v=STSv1; -x=1; id=abc", .badFieldName("-x")),
        ("v=STSv1; id=abc; x=a b", .badExtensionValue(name: "x", value: "a b")),
        ("v=STSv1; ID=abc", .missingID),                            // field names are case-sensitive
    ])
    func invalidRecords(text: String, error: STSRecord.ParseError) {
        #expect(throws: error) { try STSRecord.parse(text) }
    }

    @Test func splitStringsAreConcatenated() {
        let verdict = STSRecordVerdict.evaluate([TXTRecord(strings: ["v=STSv1; id=2019", "0101T000000"])])
        #expect(verdict == .valid(STSRecord(id: "20190101T000000", extensions: [])))
    }

    @Test func unrelatedRecordsAreDiscarded() {
        let verdict = STSRecordVerdict.evaluate([
            TXTRecord("v=spf1 -all"), TXTRecord("v=STSv10; id=1"), TXTRecord("v=STSv1; id=good"),
            TXTRecord("google-site-verification=abc"),
        ])
        #expect(verdict.record?.id == "good")
    }

    @Test func noCandidateMeansNoPolicy() {
        #expect(STSRecordVerdict.evaluate([]) == .absent)
        #expect(STSRecordVerdict.evaluate([TXTRecord("v=spf1 -all")]) == .absent)
        #expect(STSRecordVerdict.evaluate([TXTRecord("V=STSv1; id=1")]) == .absent)   // %s: case-sensitive
    }

    @Test func twoCandidatesMeanNoPolicy() {
        let verdict = STSRecordVerdict.evaluate([TXTRecord("v=STSv1; id=1"), TXTRecord("v=STSv1; id=2")])
        #expect(verdict == .multiple(["v=STSv1; id=1", "v=STSv1; id=2"]))
    }

    @Test func anInvalidCandidateIsNotSkipped() {
        let verdict = STSRecordVerdict.evaluate([TXTRecord("v=STSv1; id=bad_id"), TXTRecord("other")])
        #expect(verdict == .invalid(text: "v=STSv1; id=bad_id", error: .badID("bad_id")))
    }
}

@Suite struct TLSRPTRecordTests {
    @Test(arguments: [
        ("v=TLSRPTv1; rua=mailto:reports@example.com", ["mailto:reports@example.com"]),
        ("v=TLSRPTv1;rua=https://reporting.example.com/v1/tlsrpt", ["https://reporting.example.com/v1/tlsrpt"]),
        ("v=TLSRPTv1; rua=mailto:a@example.com,https://r.example.com:8443/x", ["mailto:a@example.com", "https://r.example.com:8443/x"]),
        ("v=TLSRPTv1; rua=mailto:a@example.com , mailto:b@example.net;", ["mailto:a@example.com", "mailto:b@example.net"]),
        ("v=TLSRPTv1; ext=1; rua=MAILTO:a@example.com", ["mailto:a@example.com"]),   // scheme is case-insensitive
        ("v=TLSRPTv1; rua=mailto:tls%2Breports@example.com", ["mailto:tls+reports@example.com"]),
    ])
    func validRecords(text: String, rua: [String]) throws {
        #expect(try TLSRPTRecord.parse(text).rua.map(\.description) == rua)
    }

    @Test(arguments: [
        ("v=TLSRPTv1", TLSRPTRecord.ParseError.missingRUA),
        ("v=TLSRPTv1; rua=", .emptyURI),
        ("v=TLSRPTv1; rua=mailto:a@example.com,", .emptyURI),
        ("v=TLSRPTv1; rua=ftp://example.com/x", .unsupportedScheme("ftp://example.com/x")),
        ("v=TLSRPTv1; rua=http://example.com/x", .unsupportedScheme("http://example.com/x")),
        ("v=TLSRPTv1; rua=reports@example.com", .unsupportedScheme("reports@example.com")),
        ("v=TLSRPTv1; rua=mailto:example.com", .badMailto("mailto:example.com")),
        ("v=TLSRPTv1; rua=mailto:a@", .badMailto("mailto:a@")),
        // Control and invisible characters are refused after percent-decoding, not only before.
        ("v=TLSRPTv1; rua=mailto:a%1B[2J@example.com", .mailtoControlCharacter(uri: "mailto:a%1B[2J@example.com", scalar: 0x1B)),
        ("v=TLSRPTv1; rua=mailto:a%07b@example.com", .mailtoControlCharacter(uri: "mailto:a%07b@example.com", scalar: 0x07)),
        ("v=TLSRPTv1; rua=mailto:a%0D%0ABcc:x@example.com", .mailtoControlCharacter(uri: "mailto:a%0D%0ABcc:x@example.com", scalar: 0x0D)),
        ("v=TLSRPTv1; rua=mailto:a%C2%9B31m@example.com", .mailtoControlCharacter(uri: "mailto:a%C2%9B31m@example.com", scalar: 0x9B)),
        ("v=TLSRPTv1; rua=mailto:a%E2%80%AEb@example.com", .mailtoControlCharacter(uri: "mailto:a%E2%80%AEb@example.com", scalar: 0x202E)),
        ("v=TLSRPTv1; rua=https:example.com", .badHTTPS("https:example.com")),
        ("v=TLSRPTv1; rua=https://exa mple.com", .malformedField("rua=https://exa mple.com").self),
        ("v=TLSRPTv1; rua=mailto:a@example.com; rua=mailto:b@example.com", .duplicateRUA),
        ("rua=mailto:a@example.com; v=TLSRPTv1", .versionNotFirst),
    ])
    func invalidRecords(text: String, error: TLSRPTRecord.ParseError) {
        if case .malformedField = error {
            // A space inside a URI breaks it; the exact error is secondary, rejection is the rule.
            #expect(throws: TLSRPTRecord.ParseError.self) { try TLSRPTRecord.parse(text) }
        } else {
            #expect(throws: error) { try TLSRPTRecord.parse(text) }
        }
    }

    @Test func recordSetRules() {
        #expect(TLSRPTRecordVerdict.evaluate([TXTRecord("v=spf1 -all")]) == .absent)
        if case .multiple(let texts) = TLSRPTRecordVerdict.evaluate([
            TXTRecord("v=TLSRPTv1; rua=mailto:a@example.com"), TXTRecord("v=TLSRPTv1; rua=mailto:b@example.com"),
        ]) {
            #expect(texts.count == 2)
        } else {
            Issue.record("two records must be .multiple")
        }
        let split = TLSRPTRecordVerdict.evaluate([TXTRecord(strings: ["v=TLSRPTv1; rua=mailto:tls", "rpt@example.com"])])
        #expect(split.record?.rua == [.mailto(address: "tlsrpt@example.com")])
    }
}
