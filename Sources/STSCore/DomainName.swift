/// Domain names as MTA-STS compares them: ASCII, lower-case, no trailing dot,
/// internationalised labels in their A-label (`xn--`) form (RFC 8461 §4.1).
public enum DomainName {
    /// Why a name cannot be used.
    public enum Problem: Error, Hashable, Sendable, CustomStringConvertible {
        case empty
        case tooLong(Int)
        case emptyLabel
        case labelTooLong(String)
        case invalidCharacter(label: String)
        case hyphenAtEdge(label: String)
        case punycode(label: String)

        public var description: String {
            switch self {
            case .empty: "the name is empty"
            case .tooLong(let n): "the name is \(n) characters long; at most 253 are allowed"
            case .emptyLabel: "the name has an empty label (two dots in a row, or a leading dot)"
            case .labelTooLong(let l): "label '\(l)' is longer than 63 characters"
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
    public static func normalize(_ name: String) throws(Problem) -> String {
        var text = name
        if text.hasSuffix(".") { text.removeLast() }
        guard !text.isEmpty else { throw .empty }
        var labels: [String] = []
        for raw in text.split(separator: ".", omittingEmptySubsequences: false) {
            guard !raw.isEmpty else { throw .emptyLabel }
            labels.append(try normalizeLabel(String(raw)))
        }
        let result = labels.joined(separator: ".")
        guard result.utf8.count <= 253 else { throw .tooLong(result.utf8.count) }
        return result
    }

    /// The canonical form, or the lower-cased input when it is not a valid name (for display and matching only).
    public static func canonical(_ name: String) -> String {
        (try? normalize(name)) ?? name.lowercased().trimmingTrailingDot
    }

    static func normalizeLabel(_ label: String) throws(Problem) -> String {
        let lower = label.lowercased()
        let ascii: String
        if lower.unicodeScalars.allSatisfy(\.isASCII) {
            ascii = lower
        } else {
            let composed = lower.precomposedStringWithCanonicalMapping
            guard let encoded = Punycode.encode(composed) else { throw .punycode(label: label) }
            ascii = "xn--" + encoded
        }
        guard ascii.utf8.count <= 63 else { throw .labelTooLong(label) }
        // Underscore is allowed: `_mta-sts` and `_smtp._tls` are names we look up.
        guard ascii.utf8.allSatisfy({ isLetterOrDigit($0) || $0 == UInt8(ascii: "-") || $0 == UInt8(ascii: "_") })
        else { throw .invalidCharacter(label: label) }
        guard ascii.first != "-", ascii.last != "-" else { throw .hyphenAtEdge(label: label) }
        return ascii
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
