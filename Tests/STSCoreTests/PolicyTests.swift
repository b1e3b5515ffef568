import Testing
@testable import STSCore

/// RFC 8461 §3.2, following its ABNF, case by case.
@Suite struct PolicyTests {
    static let rfcExample = "version: STSv1\r\nmode: enforce\r\nmx: mail.example.com\r\nmx: *.example.net\r\nmx: backupmx.example.com\r\nmax_age: 604800\r\n"

    @Test func rfcExampleParses() throws {
        let result = try Policy.parse(Self.rfcExample)
        #expect(result.policy.mode == .enforce)
        #expect(result.policy.maxAge == 604_800)
        #expect(result.policy.mx.map(\.pattern) == ["mail.example.com", "*.example.net", "backupmx.example.com"])
        #expect(result.warnings.isEmpty)
    }

    /// Valid bodies and how many lenient warnings each should produce.
    @Test(arguments: [
        ("version: STSv1\nmode: enforce\nmx: a.example\nmax_age: 86400\n", 0),                 // LF only: the ABNF allows it
        ("version: STSv1\nmode: enforce\nmx: a.example\nmax_age: 86400", 0),                   // no final line ending
        ("max_age: 86400\r\nmx: a.example\r\nmode: testing\r\nversion: STSv1", 0),             // any order
        ("version: STSv1\nmode: none\nmax_age: 86400\n", 0),                                   // mx optional in none
        ("version:STSv1\nmode:enforce\nmx:a.example\nmax_age:0\n", 0),                         // no space after ":"
        ("version: STSv1  \nmode: enforce\t\nmx: a.example \nmax_age: 31557600\n", 0),         // trailing WSP, max value
        ("version: STSv1\nmode: enforce\nmx: a.example\nmax_age: 86400\nfoo: bar baz\n", 0),  // unknown key ignored
        ("version: STSv1\nmode: enforce\nmx: a.example\nmax_age: 0000086400\n", 0),            // 10 digits
        ("version: STSv1\n\nmode: enforce\nmx: a.example\nmax_age: 86400\n", 1),               // blank line
        ("version: STSv1\nmode: enforce\nmx: a.example\nmax_age: 86400\n\n\n", 1),             // trailing blank lines
        ("  version: STSv1\nmode: enforce\nmx: a.example\nmax_age: 86400\n", 1),               // leading WSP
        ("\u{FEFF}version: STSv1\nmode: enforce\nmx: a.example\nmax_age: 86400\n", 1),         // BOM
        ("version: STSv1\r\nmode: enforce\nmx: a.example\r\nmax_age: 86400\n", 1),            // mixed endings
        ("version: STSv1\nmode: enforce\nmx: a.example.\nmax_age: 86400\n", 1),                // trailing dot on mx
        ("version: STSv1\nmode: enforce\nmode: enforce\nmx: a.example\nmax_age: 86400\n", 1),  // same duplicate
        ("version: STSv1\nmode: enforce\nmx: a.example\nmx: A.example\nmax_age: 86400\n", 1),  // repeated mx
        ("version: STSv1\nmode: enforce\nMX: b.example\nmx: a.example\nmax_age: 86400\n", 1),  // wrong-case key hint
    ])
    func validPolicies(text: String, warnings: Int) throws {
        let result = try Policy.parse(text)
        #expect(result.warnings.count == warnings, "\(result.warnings)")
    }

    /// Invalid bodies, the line blamed (nil: the whole policy) and a fragment of the message.
    @Test(arguments: [
        ("", nil, "empty"),
        ("\n\n", nil, "empty"),
        ("mode: enforce\nmx: a.example\nmax_age: 86400\n", nil, "version"),
        ("version: STSv1\nmx: a.example\nmax_age: 86400\n", nil, "mode"),
        ("version: STSv1\nmode: enforce\nmx: a.example\n", nil, "max_age"),
        ("version: STSv1\nmode: enforce\nmax_age: 86400\n", nil, "mx"),
        ("version: STSv1\nmode: testing\nmax_age: 86400\n", nil, "mx"),
        ("version: STSv2\nmode: enforce\nmx: a.example\nmax_age: 86400\n", 1, "STSv1"),
        ("version: stsv1\nmode: enforce\nmx: a.example\nmax_age: 86400\n", 1, "case-sensitive"),
        ("version: STSv1\nmode: Enforce\nmx: a.example\nmax_age: 86400\n", 2, "case-sensitive"),
        ("version: STSv1\nmode: enforcing\nmx: a.example\nmax_age: 86400\n", 2, "enforce, testing or none"),
        ("version: STSv1\nmode: enforce\nmx: a.example\nmax_age: 31557601\n", 4, "exceeds 31557600"),
        ("version: STSv1\nmode: enforce\nmx: a.example\nmax_age: -1\n", 4, "digits"),
        ("version: STSv1\nmode: enforce\nmx: a.example\nmax_age: 1d\n", 4, "digits"),
        ("version: STSv1\nmode: enforce\nmx: a.example\nmax_age: 12345678901\n", 4, "digits"),
        ("version: STSv1\nmode: enforce\nmode: testing\nmx: a.example\nmax_age: 86400\n", 3, "contradicts"),
        ("version: STSv1\nmode: enforce\nmx: a.example\nmax_age\n", 4, "key: value"),
        ("version: STSv1\nmode: enforce\nmx: \nmax_age: 86400\n", 3, "no value"),
        ("version: STSv1\nmode : enforce\nmx: a.example\nmax_age: 86400\n", 2, "valid key"),
        ("version: STSv1\nmode: enforce\nmx: mail.*.example\nmax_age: 86400\n", 3, "wildcard"),
        ("version: STSv1\nmode: enforce\nmx: *.com\nmax_age: 86400\n", 3, "two labels"),
        ("version: STSv1\nmode: enforce\nmx: a..example\nmax_age: 86400\n", 3, "empty label"),
        ("version: STSv1\nmode: enforce\nmx: _dmarc.example\nmax_age: 86400\n", 3, "character"),
        ("version: STSv1\rmode: enforce\nmx: a.example\nmax_age: 86400\n", 1, "carriage return"),
        ("<html><body>Not Found</body></html>", 1, "key: value"),
    ] as [(String, Int?, String)])
    func invalidPolicies(text: String, line: Int?, fragment: String) {
        do {
            let result = try Policy.parse(text)
            Issue.record("expected an error, parsed \(result.policy)")
        } catch {
            #expect(error.line == line, "\(error)")
            #expect(error.message.contains(fragment), "\(error)")
        }
    }

    @Test func sizeIsBounded() {
        let big = "version: STSv1\nmode: none\nmax_age: 1\n" + String(repeating: "x: y\n", count: 20_000)
        #expect(throws: PolicyError.self) { try Policy.parse(big) }
    }

    @Test func invalidUTF8IsRejected() {
        var bytes = Array("version: STSv1\nmode: none\nmax_age: 1\nx: ".utf8)
        bytes += [0xFF, 0xFE, 0x0A]
        #expect(throws: PolicyError.self) { try Policy.parse(bytes: bytes) }
    }

    @Test func internationalisedMXIsCompared() throws {
        let result = try Policy.parse("version: STSv1\nmode: enforce\nmx: mail.bücher.example\nmax_age: 86400\n")
        #expect(result.policy.mx.map(\.pattern) == ["mail.xn--bcher-kva.example"])
        #expect(result.warnings.count == 1)
        #expect(result.policy.covers(host: "MAIL.xn--bcher-kva.example."))
    }
}

@Suite struct MXPatternTests {
    @Test(arguments: [
        ("mail.example.com", "mail.example.com", true),
        ("mail.example.com", "MAIL.Example.COM", true),           // case-insensitive
        ("mail.example.com", "mail.example.com.", true),          // trailing dot ignored
        ("mail.example.com.", "mail.example.com", true),
        ("mail.example.com", "mail2.example.com", false),
        ("mail.example.com", "x.mail.example.com", false),
        ("*.example.com", "mx1.example.com", true),
        ("*.example.com", "MX1.EXAMPLE.COM.", true),
        ("*.example.com", "example.com", false),                  // the wildcard needs a label
        ("*.example.com", "a.b.example.com", false),              // exactly one label
        ("*.example.com", "mx1.example.com.evil.net", false),
        ("*.example.com", "mx1example.com", false),
        ("*.bücher.example", "mx.xn--bcher-kva.example", true),   // A-label comparison
        ("mail.xn--bcher-kva.example", "mail.bücher.example", true),
    ])
    func matching(pattern: String, host: String, expected: Bool) throws {
        #expect(try MXPattern(parsing: pattern).matches(host) == expected)
    }
}

@Suite struct CertificateNameTests {
    @Test(arguments: [
        ("mx.example.com", ["mx.example.com"], true),
        ("MX.example.com.", ["mx.EXAMPLE.com"], true),
        ("mx.example.com", ["other.example.com", "mx.example.com"], true),
        ("mx.example.com", ["*.example.com"], true),
        ("a.mx.example.com", ["*.example.com"], false),           // one label only
        ("example.com", ["*.example.com"], false),
        ("mx.example.com", ["m*.example.com"], false),            // partial wildcard not accepted
        ("mx.example.com", ["*x.example.com"], false),
        ("mx.example.com", ["*.*.com"], false),
        ("mx.example.com", ["*.com"], false),                     // too broad
        ("mx.example.com", ["mx.example.com.evil"], false),
        ("mx.example.com", [], false),                            // CN is never consulted
        ("mx.xn--bcher-kva.example", ["*.xn--bcher-kva.example"], true),
        ("mx.bücher.example", ["mx.xn--bcher-kva.example"], true),
    ])
    func matching(host: String, names: [String], expected: Bool) {
        #expect(CertificateName.matches(host: host, dnsNames: names) == expected)
    }
}

@Suite struct DomainNameTests {
    @Test(arguments: [
        ("Example.COM.", "example.com"),
        ("bücher.example", "xn--bcher-kva.example"),
        ("münchen.de", "xn--mnchen-3ya.de"),
        ("例え.テスト", "xn--r8jz45g.xn--zckzah"),
        ("_mta-sts.example.com", "_mta-sts.example.com"),
    ])
    func normalizes(input: String, expected: String) throws {
        #expect(try DomainName.normalize(input) == expected)
    }

    @Test(arguments: ["", ".", "a..b", ".a", "-a.example", "a-.example", "a b.example", "a@b.example",
                      String(repeating: "a", count: 64) + ".example"])
    func rejects(input: String) {
        #expect(throws: DomainName.Problem.self) { try DomainName.normalize(input) }
    }

    /// Lengths at and past the limits, in ASCII, U-labels and decomposed input.
    @Test(arguments: [
        (String(repeating: "a", count: 63) + ".example", true),
        (String(repeating: "a", count: 64) + ".example", false),
        // An A-label of exactly 63 octets from a U-label: "xn--" + 55 'a' + "-" + 3 digits; one more is 64.
        (String(repeating: "a", count: 55) + "ä.example", true),
        (String(repeating: "a", count: 56) + "ä.example", false),
        // Decomposed input composes first: u + U+0308 is ü.
        ("bu\u{308}cher.example", true),
        // 60 scalars cannot fit after "xn--", whatever they are.
        (String(repeating: "ä", count: 60) + ".example", false),
        // 253 octets is the longest name; 254 is too long.
        ([String](repeating: String(repeating: "a", count: 62), count: 4).joined(separator: ".") + ".a", true),
        ([String](repeating: String(repeating: "a", count: 62), count: 4).joined(separator: ".") + ".ab", false),
    ])
    func lengthLimits(input: String, valid: Bool) {
        #expect(((try? DomainName.normalize(input)) != nil) == valid, "\(input.count) characters")
    }

    /// A report's `receiving-mx-hostname` of one 256,000-character non-ASCII label: rejected by
    /// counting before any encoding, with a message that names the length instead of quoting it.
    /// (Encoding it first took 102 s in ingest; how long this takes is measured by
    /// `stswatch-domainname-bench`, never asserted.)
    @Test func hugeLabelIsRejectedBeforeEncoding() {
        let label = String(repeating: "ä", count: 256_000)
        for input in [label, "mx." + label + ".example", label + "."] {
            do {
                let name = try DomainName.normalize(input)
                Issue.record("accepted a name of \(name.utf8.count) octets")
            } catch {
                guard case .labelTooLong = error else { Issue.record("wrong reason: \(error)"); continue }
                #expect(error.description.contains("256000 characters"), "\(error.description.prefix(200))")
                #expect(error.description.count < 200, "the message quotes the whole label")
            }
        }
        // Canonical (used for display and matching, e.g. a report's MX host) falls back to the input.
        #expect(DomainName.canonical("MX." + label).hasPrefix("mx.ä"))
    }

    /// Many short labels: the name's length is checked before any label is encoded.
    @Test func hugeNameOfShortLabelsIsRejected() {
        let input = String(repeating: "ä.", count: 128_000) + "example"
        #expect(throws: DomainName.Problem.tooLong(input.unicodeScalars.count)) { try DomainName.normalize(input) }
    }
}
