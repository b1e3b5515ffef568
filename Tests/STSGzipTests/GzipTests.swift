import Foundation
import STSTestSupport
import STSCore
import STSGzip
import Testing

@Suite(.timeLimit(.minutes(2))) struct GzipTests {
    /// A real report, so the round trips carry the kind of bytes stswatch inflates.
    static func sampleReport() throws -> Data {
        try Data(contentsOf: corpusDirectory().appendingPathComponent("reports/mail-auth-rpt01.json"))
    }

    @Test func inflatesWhatSystemGzipMade() throws {
        let original = try Self.sampleReport()
        let compressed = try gzipped(original, options: ["-9"])
        #expect(Gzip.isGzip(compressed))
        #expect(try Gzip.decompress(compressed, limit: 1 << 20) == original)
        #expect(try Gzip.decompress([UInt8](compressed), limit: 1 << 20) == original)
    }

    @Test func inflatesConcatenatedMembers() throws {
        let first = try Self.sampleReport()
        let second = Data("second member\n".utf8)
        let both = try gzipped(first) + gzipped(second)
        #expect(try Gzip.decompress(both, limit: 1 << 20) == first + second)
    }

    @Test func inflatesAnEmptyMember() throws {
        let compressed = try gzipped(Data())
        #expect(try Gzip.decompress(compressed, limit: 0) == Data())
    }

    @Test func limitIsInclusive() throws {
        let original = try Self.sampleReport()
        let compressed = try gzipped(original)
        #expect(try Gzip.decompress(compressed, limit: original.count) == original)
        #expect(throws: GzipError.tooLarge(limit: original.count - 1)) {
            try Gzip.decompress(compressed, limit: original.count - 1)
        }
    }

    /// The attachments of real report e-mails inflate to reports the core can decode.
    @Test(arguments: [
        ("tlsrpt-be-test.eml", "Company-X"),
        ("mail-auth-rpt01.eml", "Company-X"),
        ("parsedmarc-google.eml", "Google Inc."),
    ])
    func corpusAttachmentsInflateToReports(file: String, organization: String) throws {
        let text = try String(contentsOf: corpusDirectory().appendingPathComponent("eml/\(file)"), encoding: .utf8)
        let attachments = gzipAttachments(inEmail: text)
        try #require(attachments.count == 1)
        #expect(Gzip.isGzip(attachments[0]))
        let json = try Gzip.decompress(attachments[0], limit: 1 << 20)
        let decoded = try TLSReport.decode(json)
        #expect(decoded.report.organizationName == organization)
        #expect(!decoded.report.policies.isEmpty)
    }

    /// One gibibyte of zeros in about one megabyte: inflating must stop at the limit, not at the end.
    @Test func bombIsStoppedWithBoundedMemory() throws {
        let path = FileManager.default.temporaryDirectory
            .appendingPathComponent("stswatch-bomb-\(ProcessInfo.processInfo.processIdentifier).gz")
        defer { try? FileManager.default.removeItem(at: path) }
        _ = try runShell("head -c 1073741824 /dev/zero | gzip -9 > '\(path.path)'", timeout: 90)
        let bomb = try Data(contentsOf: path)
        #expect(bomb.count < 2 << 20, "the bomb should be small: \(bomb.count) bytes")

        let limit = 16 << 20
        #expect(throws: GzipError.tooLarge(limit: limit)) { try Gzip.decompress(bomb, limit: limit) }
        // Had the whole gibibyte been inflated, the peak would be past 1 GiB.
        let peak = try peakResidentBytes()
        #expect(peak < 512 << 20, "peak resident size \(peak >> 20) MiB")
    }

    @Test(arguments: [1, 4, 8, 20])
    func truncatedInputIsRejected(droppedBytes: Int) throws {
        let compressed = try gzipped(Self.sampleReport())
        #expect(throws: GzipError.self) { try Gzip.decompress(compressed.dropLast(droppedBytes), limit: 1 << 20) }
        do {
            _ = try Gzip.decompress(Data(compressed.dropLast(droppedBytes)), limit: 1 << 20)
        } catch {
            guard case .truncated = error else {
                Issue.record("dropping \(droppedBytes) bytes gave \(error), not .truncated")
                return
            }
        }
    }

    @Test func headerOnlyIsTruncated() throws {
        let compressed = try gzipped(Self.sampleReport())
        #expect(throws: GzipError.truncated(output: 0)) { try Gzip.decompress(compressed.prefix(10), limit: 1 << 20) }
    }

    @Test func damagedChecksumIsCorrupt() throws {
        var compressed = try gzipped(Self.sampleReport())
        // The CRC-32 is the 8th-to-5th last bytes of a gzip member (RFC 1952 §2.2).
        compressed[compressed.endIndex - 8] ^= 0xff
        #expect {
            try Gzip.decompress(compressed, limit: 1 << 20)
        } throws: { error in
            guard case GzipError.corrupt = error else { return false }
            return true
        }
    }

    @Test func trailingGarbageIsReported() throws {
        let compressed = try gzipped(Self.sampleReport())
        #expect(throws: GzipError.trailingData(offset: compressed.count, count: 5)) {
            try Gzip.decompress(compressed + Data("junk\n".utf8), limit: 1 << 20)
        }
    }

    @Test(arguments: [
        ([UInt8](), false, false),
        ([0x1f], false, false),
        ([0x1f, 0x8b], false, false),
        ([0x1f, 0x8b, 0x08], true, false),
        ([0x1f, 0x8b, 0x07], false, false),
        (Array("{\"policies\": []}".utf8), false, false),
        ([0x78, 0x9c], false, true),
        ([0x78, 0x01], false, true),
        ([0x78, 0xda], false, true),
        ([0x78, 0x9d], false, false),
    ])
    func detectsFormats(bytes: [UInt8], gzip: Bool, zlib: Bool) {
        #expect(Gzip.isGzip(bytes) == gzip)
        #expect(Gzip.isZlib(bytes) == zlib)
    }

    @Test func plainJSONIsNotCompressed() throws {
        let json = try Self.sampleReport()
        #expect(throws: GzipError.notCompressed(prefix: "7b 0a 20 20 20 20 22 6f")) { try Gzip.decompress(json, limit: 1 << 20) }
        #expect(throws: GzipError.empty) { try Gzip.decompress(Data(), limit: 1 << 20) }
    }

    @Test func errorsDescribeThemselves() {
        #expect(GzipError.tooLarge(limit: 5).description == "gzip: output exceeds the limit of 5 bytes")
        #expect(GzipError.truncated(output: 3).description.contains("after 3 bytes"))
    }
}
