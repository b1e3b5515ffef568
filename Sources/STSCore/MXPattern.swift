/// One `mx` pattern of an MTA-STS policy (RFC 8461 §3.2, matched per §4.1).
///
/// Either an exact host name or `*.` followed by a domain, where the
/// wildcard stands for exactly one leftmost label.
public struct MXPattern: Sendable, Hashable, Codable, CustomStringConvertible {
    /// The canonical form: lower-case A-labels, no trailing dot, `*.` kept.
    public let pattern: String

    public enum ParseError: Error, Sendable, Hashable, CustomStringConvertible {
        case wildcardNotWholeLabel
        case wildcardTooBroad
        case badName(DomainName.Problem)
        public var description: String {
            switch self {
            case .wildcardNotWholeLabel: "a wildcard may only be \"*.\" at the very start"
            case .wildcardTooBroad: "a wildcard needs at least two labels after \"*.\""
            case .badName(let p): "\(p)"
            }
        }
    }

    public init(parsing text: String) throws(ParseError) {
        var rest = text
        var wildcard = false
        if rest.hasPrefix("*.") {
            wildcard = true
            rest.removeFirst(2)
        }
        guard !rest.contains("*") else { throw .wildcardNotWholeLabel }
        let name: String
        do { name = try DomainName.normalize(rest) } catch { throw .badName(error) }
        guard !name.contains("_") else { throw .badName(.invalidCharacter(label: name)) }
        if wildcard && !name.contains(".") { throw .wildcardTooBroad }
        pattern = wildcard ? "*." + name : name
    }

    public var isWildcard: Bool { pattern.hasPrefix("*.") }
    public var description: String { pattern }

    /// True when `host` is covered: case-insensitive, trailing dot ignored, `*.` matching one label.
    public func matches(_ host: String) -> Bool {
        let candidate = DomainName.canonical(host)
        guard isWildcard else { return candidate == pattern }
        let suffix = pattern.dropFirst(1) // ".example.com"
        guard candidate.hasSuffix(suffix) else { return false }
        let label = candidate.dropLast(suffix.count)
        return !label.isEmpty && !label.contains(".")
    }
}
