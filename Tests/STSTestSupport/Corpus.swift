import Foundation

/// The shared corpus of real TLS-RPT reports and e-mails: `../shared/corpus` beside the package root.
///
/// Found from this file's path, so tests work from any working directory, and in CI, where the
/// checkout is a sibling of `shared/` too. Every test target reads the corpus through this one place.
public func corpusDirectory() throws -> URL {
    var dir = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
    while dir.path != "/" {
        if FileManager.default.fileExists(atPath: dir.appendingPathComponent("Package.swift").path) {
            let corpus = dir.deletingLastPathComponent().appendingPathComponent("shared/corpus")
            guard FileManager.default.fileExists(atPath: corpus.path) else {
                throw SupportError(description: "corpus not found at \(corpus.path)")
            }
            return corpus
        }
        dir = dir.deletingLastPathComponent()
    }
    throw SupportError(description: "no Package.swift above \(#filePath)")
}
