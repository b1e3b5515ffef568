/// The stswatch configuration file: a small, versioned `key = value` format with sections.
///
/// ```
/// version = 1
/// [check]
/// resolver = 127.0.0.1:53
/// ```
///
/// Defaults live in code; the file overlays them. Unknown sections and keys are
/// reported as warnings naming the file and line, so a typo never passes silently.
public struct ConfigFile: Sendable, Hashable {
    /// The format this build understands.
    public static let formatVersion = 1

    public struct Entry: Sendable, Hashable {
        public var section: String
        public var key: String
        public var value: String
        public var line: Int
    }

    public var entries: [Entry]
    public var warnings: [String]

    public struct ParseError: Error, Sendable, Hashable, CustomStringConvertible {
        public var file: String
        public var line: Int
        public var message: String
        public var description: String { "\(file):\(line): \(message)" }
    }

    /// The sections and keys stswatch knows; anything else draws a warning.
    public static let schema: [String: Set<String>] = [
        "": ["version"],
        "check": ["resolver", "ca_file", "concurrency", "connect_timeout", "timeout", "domain_deadline",
                  "warn_days", "crit_days", "ehlo_name", "smtp_port"],
        "poll": ["interval", "jitter", "retry_min", "retry_max", "retention", "log_file", "mx_interval"],
        "probe": ["ip_version", "allow_addresses", "connections_per_minute"],
        "store": ["db"],
        "reports": ["maildir", "path", "imap", "imap_password_file", "imap_password_env", "imap_ca_file", "interval"],
        "dashboard": ["theme"],
    ]

    /// Keys that may appear more than once (each adds a value).
    public static let repeatable: Set<String> = ["reports.maildir", "reports.path", "reports.imap"]

    public static func parse(_ text: String, file: String) throws(ParseError) -> ConfigFile {
        var entries: [Entry] = []
        var warnings: [String] = []
        var section = ""
        var seen: [String: Int] = [:]
        var lineNumber = 0
        for raw in text.split(omittingEmptySubsequences: false, whereSeparator: \.isNewline) {
            lineNumber += 1
            let line = raw.trimmingWhitespace
            if line.isEmpty || line.hasPrefix("#") || line.hasPrefix(";") { continue }
            if line.hasPrefix("[") {
                guard line.hasSuffix("]") else {
                    throw ParseError(file: file, line: lineNumber, message: "section header \"\(line)\" has no closing \"]\"")
                }
                section = String(line.dropFirst().dropLast()).trimmingWhitespace.lowercased()
                if schema[section] == nil {
                    warnings.append("\(file):\(lineNumber): unknown section [\(section)] is ignored")
                }
                continue
            }
            guard let eq = line.firstIndex(of: "=") else {
                throw ParseError(file: file, line: lineNumber, message: "expected \"key = value\", found \"\(line)\"")
            }
            let key = String(line[..<eq]).trimmingWhitespace.lowercased()
            var value = String(line[line.index(after: eq)...]).trimmingWhitespace
            if value.count >= 2, value.hasPrefix("\""), value.hasSuffix("\"") { value = String(value.dropFirst().dropLast()) }
            guard !key.isEmpty else {
                throw ParseError(file: file, line: lineNumber, message: "a line starts with \"=\"")
            }
            let qualified = section.isEmpty ? key : "\(section).\(key)"
            if let known = schema[section] {
                if !known.contains(key) {
                    warnings.append("\(file):\(lineNumber): unknown key \"\(key)\"\(section.isEmpty ? "" : " in [\(section)]") is ignored")
                    continue
                }
            } else {
                continue
            }
            if let earlier = seen[qualified], !repeatable.contains(qualified) {
                warnings.append("\(file):\(lineNumber): \"\(key)\" repeats line \(earlier); the later value wins")
                entries.removeAll { $0.section == section && $0.key == key }
            }
            seen[qualified] = lineNumber
            entries.append(Entry(section: section, key: key, value: value, line: lineNumber))
        }
        if let version = entries.first(where: { $0.section == "" && $0.key == "version" }) {
            guard let v = Int(version.value) else {
                throw ParseError(file: file, line: version.line, message: "version must be a number, not \"\(version.value)\"")
            }
            guard v <= formatVersion else {
                throw ParseError(file: file, line: version.line, message: "format version \(v) is newer than this stswatch understands (\(formatVersion))")
            }
        } else {
            warnings.append("\(file): no \"version = \(formatVersion)\" line; assuming version \(formatVersion)")
        }
        return ConfigFile(entries: entries, warnings: warnings)
    }

    /// The last value of `section.key`, if set.
    public func value(_ section: String, _ key: String) -> Entry? {
        entries.last { $0.section == section && $0.key == key }
    }

    /// Every value of a repeatable key, in order.
    public func values(_ section: String, _ key: String) -> [Entry] {
        entries.filter { $0.section == section && $0.key == key }
    }

    /// Reads a whole number, naming the file and line when it is not one.
    public func integer(_ section: String, _ key: String, file: String, in range: ClosedRange<Int>) throws(ParseError) -> Int? {
        guard let e = value(section, key) else { return nil }
        guard let n = Int(e.value), range.contains(n) else {
            throw ParseError(file: file, line: e.line, message: "\(key) must be a whole number from \(range.lowerBound) to \(range.upperBound), not \"\(e.value)\"")
        }
        return n
    }

    /// Reads a duration such as `90s`, `15m`, `2h`, `7d` (a bare number is seconds).
    public func duration(_ section: String, _ key: String, file: String) throws(ParseError) -> Duration? {
        guard let e = value(section, key) else { return nil }
        do {
            return try DurationText.parseChecked(e.value)
        } catch .tooLong {
            throw ParseError(file: file, line: e.line, message: "\(key) must be at most 3650d (10 years), not \"\(e.value)\"")
        } catch {
            throw ParseError(file: file, line: e.line, message: "\(key) must be a duration like 30s, 15m, 2h or 7d, not \"\(e.value)\"")
        }
    }
}

/// Durations as people write them on a command line or in a file: `30s`, `15m`, `2h`, `7d`, `1w`.
public enum DurationText {
    /// The longest duration accepted: 3650 days. Longer ones are typing mistakes, and a value
    /// near `Int.max` seconds overflows wherever it is turned into nanoseconds or added to a date.
    public static let maximumSeconds = 3_650 * 86_400

    /// Why a text is not a usable duration.
    public enum Problem: Error, Hashable, Sendable, CustomStringConvertible {
        case notADuration(String)
        case tooLong(String)

        public var description: String {
            switch self {
            case .notADuration(let t): "\"\(t)\" is not a duration like 30s, 15m, 2h or 7d"
            case .tooLong(let t): "\"\(t)\" is longer than the longest duration accepted, 3650d (10 years)"
            }
        }
    }

    /// The duration, or nil when the text is not one or is too long (``parseChecked(_:)`` says which).
    public static func parse(_ text: String) -> Duration? {
        try? parseChecked(text)
    }

    /// The duration, checked against ``maximumSeconds`` without ever overflowing.
    public static func parseChecked(_ text: String) throws(Problem) -> Duration {
        let t = text.trimmingWhitespace.lowercased()
        let unitIndex = t.firstIndex(where: { !$0.isASCIIDigit }) ?? t.endIndex
        let digits = t[..<unitIndex]
        let multiplier: Int? = switch t[unitIndex...] {
        case "", "s": 1
        case "m": 60
        case "h": 3_600
        case "d": 86_400
        case "w": 604_800
        default: nil
        }
        guard !digits.isEmpty, let multiplier else { throw .notADuration(text) }
        // Only digits: a number too large for Int is simply too long.
        guard let n = Int(digits) else { throw .tooLong(text) }
        let (seconds, overflow) = n.multipliedReportingOverflow(by: multiplier)
        guard !overflow, seconds <= maximumSeconds else { throw .tooLong(text) }
        return .seconds(seconds)
    }

    /// "3h 5m", "2d 4h", "45s": short, for the dashboard and text output.
    public static func format(seconds: Int) -> String {
        let s = max(0, seconds)
        if s < 60 { return "\(s)s" }
        if s < 3_600 { return "\(s / 60)m" + (s % 60 > 0 && s < 600 ? " \(s % 60)s" : "") }
        if s < 86_400 { return "\(s / 3_600)h" + (s % 3_600 >= 60 ? " \((s % 3_600) / 60)m" : "") }
        return "\(s / 86_400)d" + (s % 86_400 >= 3_600 ? " \((s % 86_400) / 3_600)h" : "")
    }
}

extension StringProtocol {
    var trimmingWhitespace: String {
        var sub = Substring(self)
        while let f = sub.first, f.isWhitespace { sub.removeFirst() }
        while let l = sub.last, l.isWhitespace { sub.removeLast() }
        return String(sub)
    }
}
