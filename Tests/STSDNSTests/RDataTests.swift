import STSCore
import Testing
@testable import STSDNS

// The rdata parsers and the upstream syntax, on bytes and strings alone.

@Suite("RData parsing")
struct RDataTests {
    @Test("TXT", arguments: [
        ([5] + Array("hello".utf8), TXTRecord("hello")),
        ([2] + Array("ab".utf8) + [0] + [1, 0x63], TXTRecord(strings: ["ab", "", "c"])),
        ([0], TXTRecord("")),
        ([3, 0xFF, 0x41, 0xC3], TXTRecord("\u{FFFD}A\u{FFFD}")),
        ([255] + [UInt8](repeating: 0x78, count: 255), TXTRecord(String(repeating: "x", count: 255))),
    ] as [([UInt8], TXTRecord)])
    func txt(bytes: [UInt8], expected: TXTRecord) throws {
        #expect(try RData.txt(bytes) == expected)
    }

    @Test("TXT rejects", arguments: [[], [5, 0x61], [1, 0x61, 2, 0x62]] as [[UInt8]])
    func txtRejects(bytes: [UInt8]) {
        #expect(throws: RDataError.self) { try RData.txt(bytes) }
    }

    @Test("MX", arguments: [
        ([0, 10, 3] + Array("mx1".utf8) + [7] + Array("example".utf8) + [3] + Array("com".utf8) + [0],
         MXRecord(preference: 10, exchange: "mx1.example.com.")),
        ([0, 0, 0], MXRecord(preference: 0, exchange: ".")),
        ([0xFF, 0xFF, 1, 0x61, 0], MXRecord(preference: 65535, exchange: "a.")),
        // A dot or a control byte inside a label stays escaped; it cannot split the name.
        ([0, 5, 3, 0x61, 0x2E, 0x0A, 0], MXRecord(preference: 5, exchange: "a\\046\\010.")),
    ] as [([UInt8], MXRecord)])
    func mx(bytes: [UInt8], expected: MXRecord) throws {
        #expect(try RData.mx(bytes) == expected)
    }

    @Test("MX rejects", arguments: [
        ([0, 10] as [UInt8], "truncated"),
        ([0, 10, 3, 0x61, 0x62], "runs past"),
        ([0, 10, 1, 0x61], "ends before"),
        ([0, 10, 0xC0, 0x0C], "compression pointer"),
        ([0, 10, 64] + [UInt8](repeating: 0x61, count: 64) + [0], "not a length"),
        ([0, 10, 0, 0], "after its last field"),
        ([0, 10] + Array(repeating: [63] + [UInt8](repeating: 0x61, count: 63), count: 5).flatMap { $0 } + [0],
         "longer than 255"),
    ] as [([UInt8], String)])
    func mxRejects(bytes: [UInt8], fragment: String) {
        do {
            let record = try RData.mx(bytes)
            Issue.record("parsed \(record) from \(bytes)")
        } catch {
            #expect(error.description.contains(fragment), "\(error)")
        }
    }

    @Test("addresses")
    func addresses() throws {
        #expect(try RData.ipv4([192, 0, 2, 255]) == "192.0.2.255")
        #expect(try RData.ipv6([0x20, 0x01, 0x0d, 0xb8] + [UInt8](repeating: 0, count: 11) + [1]) == "2001:db8::1")
        #expect(try RData.ipv6([UInt8](repeating: 0, count: 10) + [0xFF, 0xFF, 192, 0, 2, 1]) == "::ffff:192.0.2.1")
        #expect(throws: RDataError.self) { try RData.ipv4([1, 2, 3]) }
        #expect(throws: RDataError.self) { try RData.ipv6([UInt8](repeating: 0, count: 4)) }
    }

    @Test("upstream syntax", arguments: [
        ("127.77.0.53:53", "127.77.0.53@53"),
        ("127.0.0.1", "127.0.0.1"),
        ("[::1]:5353", "::1@5353"),
        ("[::1]", "::1"),
        ("::1", "::1"),
        ("2001:db8::53", "2001:db8::53"),
    ])
    func upstream(text: String, expected: String) throws {
        #expect(try Upstream.parse(text) == expected)
    }

    @Test("upstream rejects", arguments: ["", "localhost:53", "127.0.0.1:0", "127.0.0.1:65536", "127.0.0.1:x",
                                          "[::1", "[::1]53", "300.1.1.1"])
    func upstreamRejects(text: String) {
        #expect(throws: ResolverError.self) { try Upstream.parse(text) }
    }

    @Test("timeout must be positive")
    func badTimeout() {
        #expect(throws: ResolverError.badTimeout(.zero)) { try Resolver(upstream: "127.0.0.1:53", timeout: .zero) }
    }
}
