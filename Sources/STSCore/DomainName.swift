/// Domain names as MTA-STS compares them: ASCII, lower-case, no trailing dot,
/// internationalised labels in their A-label (`xn--`) form (RFC 8461 §4.1).
///
/// Names arrive from strangers (report fields, policy files, DNS answers), so `normalize` is
/// linear in its input and checks lengths before it converts anything: a label or name that
/// cannot fit 63 / 253 octets is rejected by counting, and the Punycode encoder only ever sees a
/// label of at most 59 scalars. See docs/ARCHITECTURE.md ("Domain names") and
/// `stswatch-domainname-bench`.
public enum DomainName {
    /// Longest label in octets of its A-label form (RFC 1035 §2.3.4).
    public static let maxLabelOctets = 63
    /// Longest name in octets, without the trailing dot (RFC 1035 §2.3.4, as presentation text).
    public static let maxNameOctets = 253
    /// Most Unicode scalars that canonical composition (NFC) folds into one: the longest canonical
    /// decomposition is 4 scalars (U+1F82). Input longer than 4 × the octet limit cannot fit.
    static let maxScalarsPerComposed = 4

    /// Why a name cannot be used.
    public enum Problem: Error, Hashable, Sendable, CustomStringConvertible {
        case empty
        /// The name's length: in octets of the canonical form, or in characters of the input when it
        /// was rejected before conversion.
        case tooLong(Int)
        case emptyLabel
        /// The label (clipped for display) and its length in characters of the input.
        case labelTooLong(String, length: Int)
        case invalidCharacter(label: String)
        case hyphenAtEdge(label: String)
        case punycode(label: String)

        public var description: String {
            switch self {
            case .empty: "the name is empty"
            case .tooLong(let n): "the name is \(n) characters long; at most 253 are allowed"
            case .emptyLabel: "the name has an empty label (two dots in a row, or a leading dot)"
            case .labelTooLong(let l, let n):
                "label '\(l)' (\(n) characters) is longer than 63 octets in its A-label form"
            case .invalidCharacter(let l): "label '\(l)' has a character other than letters, digits and hyphens"
            case .hyphenAtEdge(let l): "label '\(l)' starts or ends with a hyphen"
            case .punycode(let l): "label '\(l)' cannot be encoded as an A-label"
            }
        }
    }

    /// Canonical form for comparison: lower-case A-labels without a trailing dot.
    ///
    /// Accepts U-labels (converted with Punycode after lower-casing and NFC),
    /// so `Bücher.Example.` and `xn--bcher-kva.example` compare equal.
    ///
    /// Linear in the input: one counting pass rejects a label of more than 252 scalars or a name
    /// of more than 1,012 (4 × the octet limits: no such input can fit, whatever NFC composes),
    /// then each label is lower-cased and composed (linear), rejected when its scalars alone
    /// exceed what an A-label can hold (63 ASCII, or 59 after `xn--`), and only then encoded.
    public static func normalize(_ name: String) throws(Problem) -> String {
        var text = Substring(name)
        if text.hasSuffix(".") { text.removeLast() }
        guard !text.isEmpty else { throw .empty }
        let labels = try splitBounded(text)
        var result = ""
        for (i, raw) in labels.enumerated() {
            if i > 0 { result += "." }
            result += try normalizeLabel(raw)
        }
        guard result.utf8.count <= maxNameOctets else { throw .tooLong(result.utf8.count) }
        return result
    }

    /// The labels of `text`, after checking by counting alone that each could fit.
    ///
    /// Splits on `.` as a character (a dot followed by a combining mark is not a separator), as
    /// the name is read on screen; grapheme breaking is linear too.
    static func splitBounded(_ text: Substring) throws(Problem) -> [Substring] {
        let maxLabelScalars = maxScalarsPerComposed * maxLabelOctets
        let maxNameScalars = maxScalarsPerComposed * maxNameOctets
        var labels: [Substring] = []
        var nameScalars = 0
        for label in text.split(separator: ".", omittingEmptySubsequences: false) {
            guard !label.isEmpty else { throw .emptyLabel }
            let count = label.unicodeScalars.count
            guard count <= maxLabelScalars else { throw .labelTooLong(clipped(label), length: count) }
            nameScalars += count + (labels.isEmpty ? 0 : 1)
            guard nameScalars <= maxNameScalars else { throw .tooLong(text.unicodeScalars.count) }
            labels.append(label)
        }
        return labels
    }

    /// The canonical form, or the lower-cased input when it is not a valid name (for display and matching only).
    public static func canonical(_ name: String) -> String {
        (try? normalize(name)) ?? name.lowercased().trimmingTrailingDot
    }

    static func normalizeLabel(_ label: Substring) throws(Problem) -> String {
        let lower = label.lowercased()
        let ascii: String
        if lower.utf8.allSatisfy({ $0 < 0x80 }) {
            ascii = lower
        } else {
            let composed = lower.precomposedStringWithCanonicalMapping
            // Punycode writes at least one character per scalar, after the 4 of `xn--`.
            let count = composed.unicodeScalars.count
            guard count <= maxLabelOctets - 4 else { throw .labelTooLong(clipped(label), length: count) }
            guard let encoded = Punycode.encode(composed) else { throw .punycode(label: clipped(label)) }
            ascii = "xn--" + encoded
        }
        guard ascii.utf8.count <= maxLabelOctets else {
            throw .labelTooLong(clipped(label), length: label.unicodeScalars.count)
        }
        // Underscore is allowed: `_mta-sts` and `_smtp._tls` are names we look up.
        guard ascii.utf8.allSatisfy({ isLetterOrDigit($0) || $0 == UInt8(ascii: "-") || $0 == UInt8(ascii: "_") })
        else { throw .invalidCharacter(label: clipped(label)) }
        guard ascii.first != "-", ascii.last != "-" else { throw .hyphenAtEdge(label: clipped(label)) }
        return ascii
    }

    /// A label short enough to quote in a message: its first 40 characters and an ellipsis.
    static func clipped(_ label: Substring) -> String {
        let prefix = label.unicodeScalars.prefix(40)
        return prefix.endIndex == label.unicodeScalars.endIndex ? String(label) : String(String.UnicodeScalarView(prefix)) + "…"
    }

    static func isLetterOrDigit(_ byte: UInt8) -> Bool {
        (byte >= 0x30 && byte <= 0x39) || (byte >= 0x41 && byte <= 0x5A) || (byte >= 0x61 && byte <= 0x7A)
    }

    /// True for a host name in the RFC 5321 `Domain` shape (letters, digits, inner hyphens; no underscore).
    public static func isHostName(_ name: String) -> Bool {
        guard let normalized = try? normalize(name) else { return false }
        return !normalized.contains("_")
    }
}

extension String {
    var trimmingTrailingDot: String { hasSuffix(".") ? String(dropLast()) : self }
}

import Foundation

/// Punycode (RFC 3492) encoding of one label, for IDN A-labels.
///
/// RFC 3492's algorithm scans the whole label once per distinct non-ASCII scalar, so it is
/// quadratic in the label's length: `DomainName.normalizeLabel` hands it at most 59 scalars
/// (the most an A-label of 63 octets can hold), never input of unchecked length.
enum Punycode {
    private static let base = 36, tMin = 1, tMax = 26, skew = 38, damp = 700
    private static let initialBias = 72, initialN = 0x80

    static func encode(_ input: String) -> String? {
        let scalars = input.unicodeScalars.map { Int($0.value) }
        var output = scalars.filter { $0 < 0x80 }.map { Character(Unicode.Scalar(UInt8($0))) }
        let basicCount = output.count
        var handled = basicCount
        if basicCount > 0 { output.append("-") }
        var n = initialN, delta = 0, bias = initialBias
        while handled < scalars.count {
            guard let m = scalars.filter({ $0 >= n }).min() else { return nil }
            let (product, overflow) = (m - n).multipliedReportingOverflow(by: handled + 1)
            guard !overflow else { return nil }
            delta += product
            n = m
            for c in scalars {
                if c < n { delta += 1 }
                if c == n {
                    var q = delta
                    var k = base
                    while true {
                        let t = k <= bias ? tMin : (k >= bias + tMax ? tMax : k - bias)
                        if q < t { break }
                        output.append(digit(t + (q - t) % (base - t)))
                        q = (q - t) / (base - t)
                        k += base
                    }
                    output.append(digit(q))
                    bias = adapt(delta: delta, numPoints: handled + 1, first: handled == basicCount)
                    delta = 0
                    handled += 1
                }
            }
            delta += 1
            n += 1
        }
        return String(output)
    }

    private static func digit(_ d: Int) -> Character {
        Character(Unicode.Scalar(UInt8(d < 26 ? d + 97 : d + 22)))
    }

    private static func adapt(delta: Int, numPoints: Int, first: Bool) -> Int {
        var delta = first ? delta / damp : delta / 2
        delta += delta / numPoints
        var k = 0
        while delta > ((base - tMin) * tMax) / 2 {
            delta /= base - tMin
            k += base
        }
        return k + (base - tMin + 1) * delta / (delta + skew)
    }
}
