import Foundation
import STSTestSupport
import Testing
import STSCore
@testable import STSIngest

/// The shared corpus through the whole ingest path: files in, reports in a sink.
@Suite struct IngestCorpusTests {
    struct MailCase: Sendable, CustomStringConvertible {
        var file: String
        var organization: String
        var reportID: String
        var successful: Int
        var failed: Int
        var description: String { file }
    }

    // Read from the messages with Python's email and gzip modules, not with this code.
    static let mails: [MailCase] = [
        MailCase(file: "mail-auth-rpt01.eml", organization: "Company-X", reportID: "5065427c-23d3-47ca-b6e0-946ea0e8c4be", successful: 5326, failed: 303),
        MailCase(file: "mail-auth-rpt02.eml", organization: "Google Inc.", reportID: "2020-01-01T00:00:00Z_example.com", successful: 23, failed: 1),
        MailCase(file: "parsedmarc-google.eml", organization: "Google Inc.", reportID: "2024-09-03T00:00:00Z_cardinalhealth.ca", successful: 48, failed: 0),
        MailCase(file: "tlsrpt-be-test.eml", organization: "Company-X", reportID: "5065427c-23d3-47ca-b6e0-946ea0e8c4be", successful: 5326, failed: 303),
    ]

    @Test func everyCorpusMailHasACase() {
        #expect(Set(Self.mails.map(\.file)) == Set(corpusNames("eml", suffix: ".eml")))
    }

    @Test(arguments: mails)
    func corpusMailYieldsItsReport(expected: MailCase) async throws {
        let sink = MemorySink()
        let path = try corpusDirectory().appendingPathComponent("eml/\(expected.file)").path
        let summary = await Ingester(sink: sink).ingest(paths: [path])
        #expect(summary.read == 1)
        #expect(summary.new == 1)
        #expect(summary.rejected == 0, "\(summary.problems)")
        let stored = try #require(await sink.stored.first)
        #expect(stored.decoded.report.organizationName == expected.organization)
        #expect(stored.decoded.report.reportID == expected.reportID)
        #expect(stored.decoded.report.totalSuccessful == expected.successful)
        #expect(stored.decoded.report.totalFailed == expected.failed)
        let raw = try independentTotals(stored.raw)
        #expect(raw.successful == expected.successful && raw.failed == expected.failed)
        #expect(stored.source == path)
        let meta = try #require(stored.message)
        #expect(meta.subject?.hasPrefix("Report Domain:") == true)
        #expect(meta.from?.contains("@") == true)
        #expect(meta.dateText != nil)
    }

    @Test(arguments: corpusNames("reports", suffix: ".json"))
    func corpusReportFileIngests(name: String) async throws {
        let sink = MemorySink()
        let path = try corpusDirectory().appendingPathComponent("reports/\(name)").path
        let summary = await Ingester(sink: sink).ingest(paths: [path])
        #expect(summary.new == 1 && summary.rejected == 0, "\(summary.problems)")
        let stored = try #require(await sink.stored.first)
        #expect(stored.raw == (try corpusReport(name)))
        #expect(stored.message == nil)
        let raw = try independentTotals(stored.raw)
        #expect(stored.decoded.report.totalSuccessful == raw.successful)
        #expect(stored.decoded.report.totalFailed == raw.failed)
        #expect(stored.decoded.report.reportID == raw.reportID)
    }

    /// Gzip is found by content: with a `.gz` name, with a `.json` name, and with no suffix at all.
    @Test(arguments: ["r.json.gz", "r.json", "report-without-suffix"])
    func gzippedReportFileIngestsWhateverItsName(name: String) async throws {
        let dir = try TempDir()
        let json = try corpusReport("mta-sts-exporter-google.json")
        let path = try dir.write(name, try gzipped(json))
        let sink = MemorySink()
        let summary = await Ingester(sink: sink).ingest(paths: [path])
        #expect(summary.new == 1, "\(summary.problems)")
        #expect(await sink.stored.first?.raw == json)
    }

    /// Both corpus folders at once: every input read, each distinct report stored once, nothing changed on disk.
    @Test func wholeCorpusFolders() async throws {
        let corpus = try corpusDirectory()
        let folders = [corpus.appendingPathComponent("eml").path, corpus.appendingPathComponent("reports").path]
        let before = try snapshot(folders)
        let sink = MemorySink()
        let summary = await Ingester(sink: sink).ingest(paths: folders)
        let inputs = corpusNames("eml", suffix: ".eml").count + corpusNames("reports", suffix: ".json").count
        #expect(summary.read == inputs)
        #expect(summary.rejected == 0, "\(summary.problems)")
        #expect(summary.new + summary.duplicate == inputs)
        // Distinct identities, counted with JSONSerialization over what was stored and what was dropped.
        var identities = Set<String>()
        for name in corpusNames("reports", suffix: ".json") {
            let raw = try independentTotals(try corpusReport(name))
            identities.insert("\(raw.organization ?? "")/\(raw.reportID ?? "")")
        }
        for mail in Self.mails { identities.insert("\(mail.organization)/\(mail.reportID)") }
        #expect(summary.new == identities.count)
        #expect(try snapshot(folders) == before)
    }

    /// Names, sizes and modification times of every file under `folders`.
    func snapshot(_ folders: [String]) throws -> [String: String] {
        var result: [String: String] = [:]
        for folder in folders {
            for name in try FileManager.default.subpathsOfDirectory(atPath: folder) {
                let attributes = try FileManager.default.attributesOfItem(atPath: folder + "/" + name)
                result[folder + "/" + name] = "\(attributes[.size] ?? 0) \(attributes[.modificationDate] ?? "")"
            }
        }
        return result
    }
}
