import Foundation
import STSTestSupport


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
