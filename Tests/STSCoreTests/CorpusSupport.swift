import Foundation
import STSTestSupport


struct CorpusMissing: Error, CustomStringConvertible {
    var description: String
}

/// Every report file in the corpus, by name.
func corpusReportNames() -> [String] {
    guard let dir = try? corpusDirectory().appendingPathComponent("reports"),
          let names = try? FileManager.default.contentsOfDirectory(atPath: dir.path) else { return [] }
    return names.filter { $0.hasSuffix(".json") }.sorted()
}

func corpusReport(_ name: String) throws -> Data {
    try Data(contentsOf: corpusDirectory().appendingPathComponent("reports/\(name)"))
}
