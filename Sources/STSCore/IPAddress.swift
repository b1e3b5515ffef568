/// An IPv4 or IPv6 address as 4 or 16 bytes, parsed from the text DNS answers carry.
///
/// MX and `mta-sts` answers can point anywhere, including at this monitor's own network:
/// the probes decide where they may connect from these values, so parsing is strict
/// (no zone ids, no shortened IPv4 forms) and written here, without the C library.
public struct IPAddress: Sendable, Hashable, CustomStringConvertible {
    public enum Family: String, Sendable, Hashable, Codable, CaseIterable {
        case ipv4, ipv6
    }

    /// Network byte order: 4 bytes for IPv4, 16 for IPv6.
    public let bytes: [UInt8]
    public let text: String

    public var family: Family { bytes.count == 4 ? .ipv4 : .ipv6 }
    public var description: String { text }

    public init?(_ text: String) {
        if let v4 = Self.parseIPv4(Substring(text)) {
            bytes = v4
        } else if let v6 = Self.parseIPv6(text) {
            bytes = v6
        } else {
            return nil
        }
        self.text = text
    }

    private static func parseIPv4(_ text: Substring) -> [UInt8]? {
        let parts = text.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count == 4 else { return nil }
        var out: [UInt8] = []
        for part in parts {
            // Leading zeros are ambiguous (octal in some parsers): refuse them.
            guard (1...3).contains(part.count), part.allSatisfy({ $0.isASCII && $0.isNumber }),
                  part == "0" || !part.hasPrefix("0"), let value = UInt8(part) else { return nil }
            out.append(value)
        }
        return out
    }

    private static func parseIPv6(_ text: String) -> [UInt8]? {
        guard text.count <= 45, text.contains(":") else { return nil }
        let halves = text.components(separatedBy: "::")
        guard halves.count <= 2 else { return nil }
        func groups(_ part: String, allowIPv4Tail: Bool) -> [UInt8]? {
            if part.isEmpty { return [] }
            let pieces = part.split(separator: ":", omittingEmptySubsequences: false)
            var out: [UInt8] = []
            for (i, piece) in pieces.enumerated() {
                if allowIPv4Tail, i == pieces.count - 1, piece.contains(".") {
                    guard let v4 = parseIPv4(piece) else { return nil }
                    out += v4
                    continue
                }
                guard (1...4).contains(piece.count), let value = UInt16(piece, radix: 16) else { return nil }
                out += [UInt8(value >> 8), UInt8(value & 0xFF)]
            }
            return out
        }
        if halves.count == 1 {
            guard let all = groups(halves[0], allowIPv4Tail: true), all.count == 16 else { return nil }
            return all
        }
        guard let head = groups(halves[0], allowIPv4Tail: false),
              let tail = groups(halves[1], allowIPv4Tail: true),
              head.count + tail.count <= 14 else { return nil }
        return head + [UInt8](repeating: 0, count: 16 - head.count - tail.count) + tail
    }

    /// The IPv4 address inside an IPv4-mapped IPv6 address (`::ffff:a.b.c.d`), which connects over IPv4.
    public var mappedIPv4: IPAddress? {
        guard bytes.count == 16, bytes[0..<10].allSatisfy({ $0 == 0 }), bytes[10] == 0xFF, bytes[11] == 0xFF else { return nil }
        return IPAddress(bytes[12...].map(String.init).joined(separator: "."))
    }

    /// True for addresses a sender on the public internet could reach: not loopback, private,
    /// link-local, shared, documentation, benchmarking, multicast or reserved space
    /// (the IANA special-purpose registries, RFC 6890 and its updates).
    public var isGlobal: Bool {
        if let v4 = mappedIPv4 { return v4.isGlobal }
        let ranges = family == .ipv4 ? AddressRange.nonGlobalIPv4 : AddressRange.nonGlobalIPv6
        return !ranges.contains { $0.contains(self) }
    }
}

/// A CIDR block such as `127.0.0.0/8` or `fd00::/8`.
public struct AddressRange: Sendable, Hashable, CustomStringConvertible {
    public let network: IPAddress
    public let prefixLength: Int

    public var description: String { "\(network.text)/\(prefixLength)" }

    /// `ADDRESS/LENGTH`, or a bare address (a single host).
    public init?(_ text: String) {
        let t = text.trimmingCharacters(in: .whitespaces)
        let parts = t.split(separator: "/", omittingEmptySubsequences: false)
        guard (1...2).contains(parts.count), let address = IPAddress(String(parts[0])) else { return nil }
        let maximum = address.bytes.count * 8
        if parts.count == 2 {
            guard let length = Int(parts[1]), (0...maximum).contains(length), parts[1].allSatisfy(\.isNumber) else { return nil }
            prefixLength = length
        } else {
            prefixLength = maximum
        }
        network = address
    }

    public func contains(_ address: IPAddress) -> Bool {
        guard address.family == network.family else { return false }
        var bits = prefixLength
        for (a, b) in zip(address.bytes, network.bytes) where bits > 0 {
            let mask: UInt8 = bits >= 8 ? 0xFF : ~(0xFF >> UInt8(bits))
            if a & mask != b & mask { return false }
            bits -= 8
        }
        return true
    }

    /// Parses a comma- or space-separated list; the first bad entry is returned as the error.
    public static func parseList(_ text: String) -> Result<[AddressRange], AddressListError> {
        var out: [AddressRange] = []
        for item in text.split(whereSeparator: { $0 == "," || $0 == " " || $0 == "\t" }) {
            guard let range = AddressRange(String(item)) else { return .failure(AddressListError(entry: String(item))) }
            out.append(range)
        }
        return .success(out)
    }

    static let nonGlobalIPv4: [AddressRange] = [
        "0.0.0.0/8", "10.0.0.0/8", "100.64.0.0/10", "127.0.0.0/8", "169.254.0.0/16", "172.16.0.0/12",
        "192.0.0.0/24", "192.0.2.0/24", "192.88.99.0/24", "192.168.0.0/16", "198.18.0.0/15",
        "198.51.100.0/24", "203.0.113.0/24", "224.0.0.0/4", "240.0.0.0/4",
    ].map { AddressRange($0)! }

    static let nonGlobalIPv6: [AddressRange] = [
        "::/128", "::1/128", "64:ff9b:1::/48", "100::/64", "2001::/23", "2001:db8::/32", "3fff::/20",
        "5f00::/16", "fc00::/7", "fe80::/10", "fec0::/10", "ff00::/8",
    ].map { AddressRange($0)! }
}

public struct AddressListError: Error, Sendable, CustomStringConvertible {
    public var entry: String
    public var description: String { "\"\(entry)\" is not an address or CIDR block (e.g. 127.0.0.0/8, fd00::/8)" }
}
