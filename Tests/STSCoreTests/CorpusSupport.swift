import Foundation

/// The shared corpus of real reports: `../shared/corpus` beside the package root.
///
/// Found from this file's path so the tests work from any working directory, and in CI
/// where the checkout is a sibling of `shared/` too.
func corpusDirectory(file: String = #filePath) throws -> URL {
    var dir = URL(fileURLWithPath: file).deletingLastPathComponent()
    while dir.path != "/" {
        if FileManager.default.fileExists(atPath: dir.appendingPathComponent("Package.swift").path) {
            let corpus = dir.deletingLastPathComponent().appendingPathComponent("shared/corpus")
            guard FileManager.default.fileExists(atPath: corpus.path) else {
                throw CorpusMissing(description: "corpus not found at \(corpus.path)")
            }
            return corpus
        }
        dir = dir.deletingLastPathComponent()
    }
    throw CorpusMissing(description: "no Package.swift above \(file)")
}

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
