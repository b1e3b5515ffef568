import CUnbound
import STSCore
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// What DNSSEC validation said about an answer.
///
/// No trust anchor is configured yet, so answers are `.insecure` unless libunbound
/// was given one. TODO(DANE): add a trust anchor option (`ub_ctx_add_ta_file`) and
/// require `.secure` before using TLSA records.
public enum DNSSECStatus: Sendable, Hashable, Codable {
    case insecure
    case secure
    /// Validation failed; the text is libunbound's `why_bogus`.
    case bogus(String)
}

/// One answer with what the outcome alone does not carry.
public struct DNSAnswer<Record: Sendable & Hashable & Codable>: Sendable, Hashable {
    public var outcome: DNSOutcome<Record>
    /// The name the records belong to after CNAMEs were followed, when it differs from the question.
    public var canonicalName: String?
    public var dnssec: DNSSECStatus
}

/// Why a resolver could not be created.
public enum ResolverError: Error, Sendable, Hashable, CustomStringConvertible {
    case badUpstream(String, reason: String)
    case badTimeout(Duration)
    case libunbound(step: String, message: String)
    case system(step: String, errno: Int32)

    public var description: String {
        switch self {
        case .badUpstream(let text, let reason): "DNS upstream \"\(text)\": \(reason)"
        case .badTimeout(let timeout): "DNS timeout \(timeout) must be positive"
        case .libunbound(let step, let message): "libunbound \(step): \(message)"
        case .system(let step, let code): "DNS resolver \(step): \(String(cString: strerror(code)))"
        }
    }
}

/// A caching, DNSSEC-aware stub resolver on libunbound, for many concurrent lookups.
///
/// One dedicated thread owns the libunbound context: it submits queries, waits on
/// libunbound's descriptor with `poll`, runs the callbacks and enforces each query's
/// deadline. Callers only exchange values with it, so thousands of lookups can be in
/// flight without blocking Swift's cooperative thread pool, and libunbound is never
/// entered from two threads at once.
///
/// The resolver forwards every query to `upstream` when one is given (the lab's DNS
/// server, say), or else uses the system's resolv.conf and hosts file.
public final class Resolver: Sendable {
    /// How long one lookup may take before it is answered `.failed("timed out …")`.
    public let timeout: Duration
    /// The forwarder in libunbound's `ADDRESS@PORT` form, or nil for resolv.conf.
    public let upstream: String?
    private let loop: ResolverLoop

    /// Creates a resolver.
    ///
    /// - Parameters:
    ///   - upstream: `ADDRESS[:PORT]`, IPv4 or IPv6 (`127.0.0.1:5353`, `[::1]:5353`, `::1`);
    ///     nil to use `/etc/resolv.conf` and `/etc/hosts`.
    ///   - timeout: the bound on each lookup, whatever libunbound's own retries would do.
    public init(upstream: String? = nil, timeout: Duration = .seconds(5)) throws(ResolverError) {
        guard timeout > .zero else { throw .badTimeout(timeout) }
        self.timeout = timeout
        self.upstream = try upstream.map { text throws(ResolverError) in try Upstream.parse(text) }

        guard let ctx = ub_ctx_create() else { throw .libunbound(step: "ub_ctx_create", message: "out of memory") }
        do {
            try Self.configure(ctx, upstream: self.upstream)
            loop = try ResolverLoop(ctx: ctx, timeout: timeout)
        } catch {
            ub_ctx_delete(ctx)
            throw error
        }
    }

    deinit { loop.stop() }

    private static func configure(_ ctx: OpaquePointer, upstream: String?) throws(ResolverError) {
        func check(_ step: String, _ code: Int32) throws(ResolverError) {
            guard code == 0 else { throw .libunbound(step: step, message: String(cString: ub_strerror(code))) }
        }
        // unbound answers NXDOMAIN for everything under `test.` from a built-in local
        // zone (RFC 6761). The lab and our tests serve real zones there, so let those
        // queries through; `nodefault` is silently ignored by libunbound 1.17.
        try check("local-zone test. transparent", ub_ctx_set_option(ctx, "local-zone:", "test. transparent"))
        if let upstream {
            try check("set_fwd \(upstream)", ub_ctx_set_fwd(ctx, upstream))
            // Without this, libunbound refuses to send queries to 127.0.0.0/8 and ::1.
            try check("do-not-query-localhost", ub_ctx_set_option(ctx, "do-not-query-localhost:", "no"))
        } else {
            try check("resolvconf", ub_ctx_resolvconf(ctx, nil))
            try check("hosts", ub_ctx_hosts(ctx, nil))
        }
        // Threads, not a forked process: the process stays one, and cancel works in place.
        try check("async", ub_ctx_async(ctx, 1))
    }

    // MARK: Lookups

    /// TXT records, each with its character-strings kept apart.
    public func txt(_ name: String) async -> DNSOutcome<TXTRecord> { await resolve(name, .txt).outcome }

    /// MX records in the order received; sorting by preference is the caller's business.
    public func mx(_ name: String) async -> DNSOutcome<MXRecord> { await resolve(name, .mx).outcome }

    /// IPv4 addresses as text, after following CNAMEs.
    public func ipv4(_ name: String) async -> DNSOutcome<String> { await resolve(name, .a).outcome }

    /// IPv6 addresses as text, after following CNAMEs.
    public func ipv6(_ name: String) async -> DNSOutcome<String> { await resolve(name, .aaaa).outcome }

    /// Looks up one name and type, with the canonical name and DNSSEC status.
    ///
    /// `name` may end with a dot or not; internationalised names must already be in
    /// A-label form. Cancelling the calling task answers `.failed("cancelled")` at once.
    public func resolve<Record>(_ name: String, _ type: DNSRecordType<Record>) async -> DNSAnswer<Record> {
        // A NUL would silently cut the name short on its way into C.
        let raw = name.utf8.contains(0) ? .failed("name contains a NUL byte")
                                        : await loop.lookup(name: name, type: type.code)
        return Self.interpret(raw, name: name, type: type, timeout: timeout)
    }

    /// Turns what libunbound said into one of the four outcomes a sender must tell apart.
    static func interpret<Record>(_ raw: RawOutcome, name: String, type: DNSRecordType<Record>,
                                  timeout: Duration) -> DNSAnswer<Record> {
        let question = "\(name) \(type.mnemonic)"
        let answer: RawAnswer
        switch raw {
        case .timedOut:
            return DNSAnswer(outcome: .failed(reason: "\(question): timed out after \(format(timeout))"),
                             canonicalName: nil, dnssec: .insecure)
        case .failed(let why):
            return DNSAnswer(outcome: .failed(reason: "\(question): \(why)"), canonicalName: nil, dnssec: .insecure)
        case .answered(let a):
            answer = a
        }
        var canonical = answer.canonicalName
        if let c = canonical, sameName(c, name) { canonical = nil }
        if answer.bogus {
            let why = answer.whyBogus ?? "no reason given"
            return DNSAnswer(outcome: .failed(reason: "\(question): DNSSEC validation failed: \(why)"),
                             canonicalName: canonical, dnssec: .bogus(why))
        }
        let dnssec: DNSSECStatus = answer.secure ? .secure : .insecure
        let outcome: DNSOutcome<Record>
        if answer.nxdomain || answer.rcode == Int32(ns_r_nxdomain.rawValue) {
            outcome = .nameDoesNotExist
        } else if answer.rcode == Int32(ns_r_servfail.rawValue) {
            // libunbound answers SERVFAIL itself when the upstream said SERVFAIL or
            // REFUSED or could not be reached, and keeps no packet to tell them apart.
            outcome = .failed(reason: "\(question): SERVFAIL (the DNS server failed, refused the query or was unreachable)")
        } else if answer.rcode != Int32(ns_r_noerror.rawValue) {
            outcome = .failed(reason: "\(question): server answered \(rcodeName(answer.rcode))")
        } else if !answer.haveData || answer.rdata.isEmpty {
            outcome = .noRecords
        } else {
            var records: [Record] = []
            records.reserveCapacity(answer.rdata.count)
            for (index, rdata) in answer.rdata.enumerated() {
                do {
                    records.append(try type.parse(rdata))
                } catch {
                    return DNSAnswer(outcome: .failed(reason: "\(question): record \(index + 1): \(error)"),
                                     canonicalName: canonical, dnssec: dnssec)
                }
            }
            outcome = .records(records)
        }
        return DNSAnswer(outcome: outcome, canonicalName: canonical, dnssec: dnssec)
    }

    static func rcodeName(_ rcode: Int32) -> String {
        switch rcode {
        case Int32(ns_r_noerror.rawValue): "NOERROR"
        case Int32(ns_r_formerr.rawValue): "FORMERR"
        case Int32(ns_r_servfail.rawValue): "SERVFAIL"
        case Int32(ns_r_nxdomain.rawValue): "NXDOMAIN"
        case Int32(ns_r_notimpl.rawValue): "NOTIMP"
        case Int32(ns_r_refused.rawValue): "REFUSED"
        default: "RCODE \(rcode)"
        }
    }

    static func format(_ duration: Duration) -> String {
        let (seconds, attoseconds) = duration.components
        if attoseconds == 0 { return "\(seconds) s" }
        return "\(seconds * 1000 + attoseconds / 1_000_000_000_000_000) ms"
    }

    private static func sameName(_ a: String, _ b: String) -> Bool {
        func key(_ s: String) -> Substring {
            let lower = Substring(s.lowercased())
            return lower.hasSuffix(".") ? lower.dropLast() : lower
        }
        return key(a) == key(b)
    }
}

/// Parses `ADDRESS[:PORT]` into libunbound's `ADDRESS@PORT`.
enum Upstream {
    static func parse(_ text: String) throws(ResolverError) -> String {
        var host = text
        var port: String?
        if text.hasPrefix("[") {
            guard let close = text.firstIndex(of: "]") else { throw .badUpstream(text, reason: "no closing ]") }
            host = String(text[text.index(after: text.startIndex)..<close])
            let rest = text[text.index(after: close)...]
            if !rest.isEmpty {
                guard rest.hasPrefix(":") else { throw .badUpstream(text, reason: "expected :PORT after ]") }
                port = String(rest.dropFirst())
            }
        } else if text.filter({ $0 == ":" }).count == 1, let colon = text.firstIndex(of: ":") {
            host = String(text[..<colon])
            port = String(text[text.index(after: colon)...])
        }
        var v4 = in_addr()
        var v6 = in6_addr()
        guard inet_pton(AF_INET, host, &v4) == 1 || inet_pton(AF_INET6, host, &v6) == 1 else {
            throw .badUpstream(text, reason: "\"\(host)\" is not an IPv4 or IPv6 address")
        }
        guard let port else { return host }
        guard let number = Int(port), (1...65535).contains(number) else {
            throw .badUpstream(text, reason: "port \"\(port)\" is not a number from 1 to 65535")
        }
        return "\(host)@\(number)"
    }
}
