/// An MTA-STS policy as served at `https://mta-sts.DOMAIN/.well-known/mta-sts.txt` (RFC 8461 §3.2).
public struct Policy: Sendable, Hashable, Codable {
    public enum Mode: String, Sendable, Hashable, Codable, CaseIterable {
        case enforce, testing, none
    }

    public var mode: Mode
    /// Seconds a sender may cache the policy; at most 31557600 (about a year).
    public var maxAge: Int
    /// The `mx` patterns in the order given.
    public var mx: [MXPattern]
    /// Unknown keys, kept in order; senders ignore them.
    public var extensions: [Extension]

    public struct Extension: Sendable, Hashable, Codable {
        public var name: String
        public var value: String
    }

    /// The largest `max_age` RFC 8461 §3.2 allows.
    public static let maxAgeLimit = 31_557_600
    /// Policies larger than this are refused before parsing (the fetcher caps bodies at the same size).
    public static let sizeLimit = 64 * 1024

    /// True when the host is covered by one of the `mx` patterns (RFC 8461 §4.1).
    public func covers(host: String) -> Bool { mx.contains { $0.matches(host) } }
}

/// A departure from the grammar that real servers commonly make, accepted with a warning.
public struct PolicyWarning: Sendable, Hashable, Codable, CustomStringConvertible {
    public var line: Int?
    public var message: String
    public var description: String { line.map { "line \($0): \(message)" } ?? message }
}

/// Why a policy is invalid: which line, and which rule it breaks.
public struct PolicyError: Error, Sendable, Hashable, CustomStringConvertible {
    public var line: Int?
    public var message: String
    public init(line: Int?, _ message: String) {
        self.line = line
        self.message = message
    }
    public var description: String { line.map { "policy line \($0): \(message)" } ?? "policy: \(message)" }
}

/// A parsed policy with what was lenient about it.
public struct PolicyParseResult: Sendable, Hashable {
    public var policy: Policy
    public var warnings: [PolicyWarning]
}

extension Policy {
    /// Parses a policy body following the ABNF of RFC 8461 §3.2.
    ///
    /// Strict where senders disagree or mail is at stake: keys and values are
    /// case-sensitive, `version`, `mode` and `max_age` are required, `mx` is
    /// required unless the mode is `none`, and a line that is not `key: value`
    /// is an error. Lenient, with a warning, where real servers commonly differ
    /// from the grammar but every sender we know copes: blank lines, leading
    /// whitespace, a byte-order mark, and a trailing dot on an `mx` pattern.
    ///
    /// Duplicate keys: a repeated `version`, `mode` or `max_age` with the same
    /// value is a warning; with a different value it is an error, because
    /// senders differ on which one wins (first or last) and an `enforce`
    /// policy must not be ambiguous. `mx` repeats by design; a repeated
    /// pattern is a warning.
    public static func parse(_ text: String) throws(PolicyError) -> PolicyParseResult {
        try parse(bytes: Array(text.utf8))
    }

    public static func parse(bytes: [UInt8]) throws(PolicyError) -> PolicyParseResult {
        guard bytes.count <= sizeLimit else {
            throw PolicyError(line: nil, "the policy is \(bytes.count) bytes; stswatch refuses more than \(sizeLimit)")
        }
        var body = bytes[...]
        var warnings: [PolicyWarning] = []
        if body.starts(with: [0xEF, 0xBB, 0xBF]) {
            body = body.dropFirst(3)
            warnings.append(PolicyWarning(line: 1, message: "starts with a UTF-8 byte-order mark, which the grammar does not allow"))
        }
        guard let text = String(validating: body, as: UTF8.self) else {
            throw PolicyError(line: nil, "the policy is not valid UTF-8")
        }
        let lines = splitLines(text)
        if lines.count > 1 {
            let endings = Set(lines.dropLast().map(\.ending))
            if endings.count > 1 {
                warnings.append(PolicyWarning(line: nil, message: "mixes CRLF and LF line endings"))
            }
        }

        var version: (value: String, line: Int)?
        var mode: (value: Mode, line: Int)?
        var maxAge: (value: Int, line: Int)?
        var mx: [MXPattern] = []
        var extensions: [Extension] = []
        var sawContent = false
        var blankLines: [Int] = []

        for (offset, entry) in lines.enumerated() {
            let number = offset + 1
            var line = Substring(entry.text)
            if line.contains(where: { $0 == "\r" }) {
                throw PolicyError(line: number, "has a carriage return that does not end the line")
            }
            if line.allSatisfy(TagValueRecord.isWSP) {
                // The last line may be empty because the file ends with a line ending.
                if offset == lines.count - 1 && line.isEmpty { continue }
                blankLines.append(number)
                continue
            }
            sawContent = true
            if let c = line.first, TagValueRecord.isWSP(c) {
                warnings.append(PolicyWarning(line: number, message: "starts with whitespace, which the grammar does not allow"))
                line = line.drop(while: TagValueRecord.isWSP)
            }
            guard let colon = line.firstIndex(of: ":") else {
                throw PolicyError(line: number, "\"\(line)\" is not a \"key: value\" line")
            }
            let key = String(line[..<colon])
            let value = TagValueRecord.trimWSP(line[line.index(after: colon)...])
            guard TagValueRecord.isExtensionName(key) else {
                throw PolicyError(line: number, "\"\(key)\" is not a valid key (letters, digits, \"_\", \"-\", \".\"; no spaces before \":\")")
            }
            guard !value.isEmpty else {
                throw PolicyError(line: number, "\(key) has no value")
            }
            switch key {
            case "version":
                guard value == "STSv1" else {
                    throw PolicyError(line: number, "version must be \"STSv1\" (case-sensitive), not \"\(value)\"")
                }
                try checkDuplicate(&warnings, key, value, previous: version.map { ($0.value, $0.line) }, line: number)
                version = (value, number)
            case "mode":
                guard let m = Mode(rawValue: value) else {
                    throw PolicyError(line: number, "mode must be enforce, testing or none (case-sensitive), not \"\(value)\"")
                }
                try checkDuplicate(&warnings, key, value, previous: mode.map { ($0.value.rawValue, $0.line) }, line: number)
                mode = (m, number)
            case "max_age":
                guard value.utf8.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }), value.utf8.count <= 10, let seconds = Int(value) else {
                    throw PolicyError(line: number, "max_age must be 1 to 10 digits, not \"\(value)\"")
                }
                guard seconds <= maxAgeLimit else {
                    throw PolicyError(line: number, "max_age \(seconds) exceeds \(maxAgeLimit) (RFC 8461 §3.2)")
                }
                try checkDuplicate(&warnings, key, value, previous: maxAge.map { (String($0.value), $0.line) }, line: number)
                maxAge = (seconds, number)
            case "mx":
                let pattern: MXPattern
                do {
                    pattern = try MXPattern(parsing: value)
                } catch {
                    throw PolicyError(line: number, "mx \"\(value)\": \(error)")
                }
                if value.hasSuffix(".") {
                    warnings.append(PolicyWarning(line: number, message: "mx \"\(value)\" ends with a dot; the grammar has none (it is ignored when matching)"))
                }
                if !value.unicodeScalars.allSatisfy(\.isASCII) {
                    warnings.append(PolicyWarning(line: number, message: "mx \"\(value)\" is not ASCII; publish it as \"\(pattern)\""))
                }
                if mx.contains(pattern) {
                    warnings.append(PolicyWarning(line: number, message: "mx \"\(value)\" repeats an earlier pattern"))
                }
                mx.append(pattern)
            default:
                if let known = ["version", "mode", "max_age", "mx"].first(where: { $0.caseInsensitiveCompare(key) == .orderedSame }) {
                    warnings.append(PolicyWarning(line: number, message: "key \"\(key)\" is ignored: keys are case-sensitive, did you mean \"\(known)\"?"))
                }
                guard value.unicodeScalars.allSatisfy({ $0.value > 0x20 && $0.value != 0x7F || $0 == " " || $0 == "\t" }) else {
                    throw PolicyError(line: number, "\(key) has a control character in its value")
                }
                extensions.append(Extension(name: key, value: value))
            }
        }
        if !blankLines.isEmpty {
            let list = blankLines.map(String.init).joined(separator: ", ")
            warnings.append(PolicyWarning(line: blankLines[0], message: "blank line\(blankLines.count > 1 ? "s" : "") (\(list)), which the grammar does not allow"))
        }
        guard sawContent else { throw PolicyError(line: nil, "the policy is empty") }
        guard version != nil else { throw PolicyError(line: nil, "the required \"version: STSv1\" line is missing") }
        guard let mode else { throw PolicyError(line: nil, "the required \"mode\" line is missing") }
        guard let maxAge else { throw PolicyError(line: nil, "the required \"max_age\" line is missing") }
        if mx.isEmpty && mode.value != .none {
            throw PolicyError(line: nil, "no \"mx\" line: a policy in mode \(mode.value.rawValue) needs at least one")
        }
        return PolicyParseResult(
            policy: Policy(mode: mode.value, maxAge: maxAge.value, mx: mx, extensions: extensions),
            warnings: warnings)
    }

    private static func checkDuplicate(_ warnings: inout [PolicyWarning], _ key: String, _ value: String,
                                       previous: (String, Int)?, line: Int) throws(PolicyError) {
        guard let (earlier, earlierLine) = previous else { return }
        guard earlier == value else {
            throw PolicyError(line: line, "\(key) \"\(value)\" contradicts \"\(earlier)\" on line \(earlierLine); senders differ on which wins")
        }
        warnings.append(PolicyWarning(line: line, message: "\(key) repeats line \(earlierLine)"))
    }

    private struct Line {
        var text: Substring
        var ending: String
    }

    /// Splits on LF and CRLF (the `sts-policy-term` of the ABNF), keeping which ending each line had.
    private static func splitLines(_ text: String) -> [Line] {
        var lines: [Line] = []
        var rest = Substring(text)
        while let lf = rest.unicodeScalars.firstIndex(of: "\n") {
            var line = Substring(rest.unicodeScalars[..<lf])
            var ending = "LF"
            if line.unicodeScalars.last == "\r" {
                line = Substring(line.unicodeScalars.dropLast())
                ending = "CRLF"
            }
            lines.append(Line(text: line, ending: ending))
            rest = Substring(rest.unicodeScalars[rest.unicodeScalars.index(after: lf)...])
        }
        lines.append(Line(text: rest, ending: ""))
        return lines
    }
}
