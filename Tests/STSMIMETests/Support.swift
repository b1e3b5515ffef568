import Foundation

/// The shared corpus, `../shared/corpus` beside the package root found from this file's path.
func corpusDirectory(file: String = #filePath) throws -> URL {
    var dir = URL(fileURLWithPath: file).deletingLastPathComponent()
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
    throw SupportError(description: "no Package.swift above \(file)")
}

struct SupportError: Error, CustomStringConvertible {
    var description: String
}

func corpusMail(_ name: String) throws -> Data {
    try Data(contentsOf: corpusDirectory().appendingPathComponent("eml/\(name)"))
}

/// Joins lines with CRLF, as mail on the wire has them.
func crlf(_ lines: [String]) -> Data {
    Data(lines.joined(separator: "\r\n").utf8)
}
