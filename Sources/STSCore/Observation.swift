import Foundation

// What the probes saw, as plain values. Adapters (DNS, libcurl) fill these in;
// the judgement turns them into findings. Nothing here performs I/O.

/// The outcome of one DNS query, keeping apart the four cases a sender must not confuse.
public enum DNSOutcome<Record: Sendable & Hashable & Codable>: Sendable, Hashable, Codable {
    /// The name has records of this type (after following CNAMEs).
    case records([Record])
    /// The name exists but has no record of this type (NOERROR/NODATA).
    case noRecords
    /// The name does not exist (NXDOMAIN).
    case nameDoesNotExist
    /// The question could not be answered: SERVFAIL, REFUSED, timeout, bogus DNSSEC.
    case failed(reason: String)

    /// The records, or an empty list for NODATA and NXDOMAIN; nil when the lookup failed.
    public var recordsIfAnswered: [Record]? {
        switch self {
        case .records(let records): records
        case .noRecords, .nameDoesNotExist: []
        case .failed: nil
        }
    }
}

/// One TXT record: its character-strings in order, as sent.
///
/// RFC 8461 §3.1 and RFC 8460 §3 both say the strings of one record are
/// concatenated without separators before parsing.
public struct TXTRecord: Sendable, Hashable, Codable {
    public var strings: [String]
    public init(strings: [String]) { self.strings = strings }
    public init(_ text: String) { self.strings = [text] }
    public var text: String { strings.joined() }
}

public struct MXRecord: Sendable, Hashable, Codable {
    public var preference: Int
    /// The exchange host name as published (may carry a trailing dot).
    public var exchange: String
    public init(preference: Int, exchange: String) {
        self.preference = preference
        self.exchange = exchange
    }
}

/// A certificate as the judgement needs it, parsed by a real X.509 implementation in an adapter.
public struct CertificateInfo: Sendable, Hashable, Codable {
    public var subject: String
    public var issuer: String
    /// subjectAltName dNSName entries, as in the certificate.
    public var dnsNames: [String]
    /// The subject's common name, kept for display only: RFC 8461 §4.2 matches on subjectAltName.
    public var commonName: String?
    public var notBefore: Date
    public var notAfter: Date
    /// SHA-256 of the DER encoding, hex, so a replaced certificate can be told from a renewed view of the same one.
    public var sha256: String
    /// subjectAltName entries left out of ``dnsNames`` to bound what is stored per check (a hostile
    /// or shared-hosting certificate may list thousands); names matching the host are always kept.
    public var omittedNames: Int?

    public init(subject: String, issuer: String, dnsNames: [String], commonName: String? = nil,
                notBefore: Date, notAfter: Date, sha256: String) {
        self.subject = subject
        self.issuer = issuer
        self.dnsNames = dnsNames
        self.commonName = commonName
        self.notBefore = notBefore
        self.notAfter = notAfter
        self.sha256 = sha256
    }

    /// At most `limit` DNS names, always keeping those that match `host` (the judgement's name
    /// check gives the same answer on the result as on the whole list).
    public func keepingNames(atMost limit: Int, for host: String) -> CertificateInfo {
        guard dnsNames.count > limit else { return self }
        var copy = self
        let matching = dnsNames.filter { CertificateName.matches(host: host, dnsNames: [$0]) }.prefix(limit)
        var kept = Array(matching)
        for name in dnsNames where kept.count < limit && !kept.contains(name) { kept.append(name) }
        copy.dnsNames = kept
        copy.omittedNames = dnsNames.count - kept.count
        return copy
    }
}

/// What the TLS library said about the peer's chain, apart from the host name
/// (which the core checks itself with ``CertificateName``).
public struct ChainVerdict: Sendable, Hashable, Codable {
    /// True when the chain verifies against the trust store in use.
    public var trusted: Bool
    /// The library's verify result code (OpenSSL's X509_V_* values; 0 is success).
    public var code: Int
    /// The library's text for that code, e.g. "certificate has expired".
    public var reason: String
    public init(trusted: Bool, code: Int, reason: String) {
        self.trusted = trusted
        self.code = code
        self.reason = reason
    }
}

/// A completed TLS handshake.
public struct TLSSessionInfo: Sendable, Hashable, Codable {
    public var version: String
    public var cipher: String
    /// Leaf first.
    public var chain: [CertificateInfo]
    public var verdict: ChainVerdict
    public init(version: String, cipher: String, chain: [CertificateInfo], verdict: ChainVerdict) {
        self.version = version
        self.cipher = cipher
        self.chain = chain
        self.verdict = verdict
    }
    public var leaf: CertificateInfo? { chain.first }
}

/// Why fetching `https://mta-sts.DOMAIN/.well-known/mta-sts.txt` failed (RFC 8461 §3.3).
public enum PolicyFetchFailure: Sendable, Hashable, Codable {
    case resolve(String)
    case connect(String)
    case timeout(String)
    /// The TLS handshake failed, or the certificate did not verify for the policy host.
    case tls(String)
    /// RFC 8461 §3.3: "HTTP 3xx redirects MUST NOT be followed".
    case redirect(status: Int, location: String?)
    /// Anything but 200 (RFC 8461 §3.3).
    case httpStatus(Int)
    /// The media type was not text/plain.
    case mediaType(String?)
    case bodyTooLarge(limit: Int)
    /// Every address of the policy host is loopback, private or otherwise non-global: a sender on
    /// the internet cannot fetch it either, and stswatch does not connect there unless allowed.
    case addressNotGlobal(String)
    case other(String)
}

/// The result of one policy fetch.
public struct PolicyFetch: Sendable, Hashable, Codable {
    public var url: String
    /// The HTTP status when a response arrived.
    public var httpStatus: Int?
    public var contentType: String?
    /// The body, when the fetch succeeded (status 200, text/plain, within the size bound).
    public var body: String?
    public var failure: PolicyFetchFailure?
    /// The policy host's TLS session, when a handshake completed.
    public var tls: TLSSessionInfo?
    public init(url: String, httpStatus: Int? = nil, contentType: String? = nil, body: String? = nil,
                failure: PolicyFetchFailure? = nil, tls: TLSSessionInfo? = nil) {
        self.url = url
        self.httpStatus = httpStatus
        self.contentType = contentType
        self.body = body
        self.failure = failure
        self.tls = tls
    }
}

/// How an SMTP STARTTLS probe of one MX address ended.
public enum SMTPProbeOutcome: Sendable, Hashable, Codable {
    /// TCP connection refused, unreachable or timed out.
    case connectFailed(String)
    /// The server answered the greeting (or EHLO) with 4xx/5xx: it refuses or fails, which is not "no STARTTLS".
    case refused(stage: String, reply: String)
    /// A step did not finish in time.
    case timeout(stage: String)
    /// EHLO succeeded but STARTTLS was not among the extensions.
    case starttlsNotOffered
    /// STARTTLS was offered, but the command was rejected or the handshake failed.
    case tlsFailed(String)
    /// STARTTLS and the handshake succeeded.
    case tls(TLSSessionInfo)
    /// No connection was made, on purpose: the reason says why, and none of them is the domain's fault
    /// except ``ProbeSkip/addressNotGlobal``.
    case notProbed(ProbeSkip)
}

/// Why an MX address was not probed.
public enum ProbeSkip: String, Sendable, Hashable, Codable {
    /// The monitor is set to one address family (`ip_version = 4` or `6`).
    case ipVersionDisabled = "ip-version"
    /// This monitor cannot reach that family at all (no route, or every connection fails).
    case familyUnavailable = "family-unavailable"
    /// Loopback, private, link-local or other non-global space: senders on the internet cannot
    /// deliver there either, and a monitor must not be steered at its own network.
    case addressNotGlobal = "not-global"
    /// The server turned us away with a 4xx before (a rate limit) and no earlier good probe is kept.
    case rateLimited = "rate-limited"
}

/// Why a TCP connection could not be made, as far as the family-reachability logic needs to know.
public enum ConnectFailureKind: String, Sendable, Hashable, Codable {
    /// No route to the network or host (ENETUNREACH, EHOSTUNREACH, EADDRNOTAVAIL): fails at once.
    case noRoute = "no-route"
    /// The peer answered with a reset (ECONNREFUSED).
    case refused
    case timeout
    case other
}

/// A server's polite refusal (`421`/`4xx` at the greeting or EHLO), remembered so we back off.
public struct RateLimitState: Sendable, Hashable, Codable {
    /// The reply that turned us away.
    public var reply: String
    /// When the first refusal of this run of refusals came.
    public var since: Date
    /// No new connection to this address before then.
    public var retryAfter: Date
    public init(reply: String, since: Date, retryAfter: Date) {
        self.reply = reply
        self.since = since
        self.retryAfter = retryAfter
    }

    enum CodingKeys: String, CodingKey {
        case reply, since
        case retryAfter = "retry_after"
    }
}

/// One STARTTLS probe of one MX host at one address.
public struct SMTPProbe: Sendable, Hashable, Codable {
    public var host: String
    public var address: String
    public var port: Int
    /// The greeting's lines (multi-line `220-` greetings kept whole).
    public var greeting: [String]
    /// The EHLO reply's lines before STARTTLS.
    public var ehlo: [String]
    public var outcome: SMTPProbeOutcome
    /// When the connection behind `outcome` was made: a probe is shared by every domain whose
    /// MX is this host, and reused until it is older than the MX probe interval.
    public var probedAt: Date?
    /// Set while the address refuses us politely: `outcome` is then the last good probe
    /// (stale since `rateLimited.since`), or ``ProbeSkip/rateLimited`` when there is none.
    public var rateLimited: RateLimitState?
    /// For a failed connect: what kind of failure, so a family this host cannot reach is told
    /// apart from a broken MX.
    public var connectFailure: ConnectFailureKind?

    public init(host: String, address: String, port: Int = 25, greeting: [String] = [], ehlo: [String] = [],
                outcome: SMTPProbeOutcome, probedAt: Date? = nil, rateLimited: RateLimitState? = nil,
                connectFailure: ConnectFailureKind? = nil) {
        self.host = host
        self.address = address
        self.port = port
        self.greeting = greeting
        self.ehlo = ehlo
        self.outcome = outcome
        self.probedAt = probedAt
        self.rateLimited = rateLimited
        self.connectFailure = connectFailure
    }

    /// A refusal with a 4xx reply at the greeting or EHLO: the server asks us to come back later.
    public var isPoliteRefusal: Bool {
        guard case .refused(let stage, let reply) = outcome, stage == "greeting" || stage == "ehlo" else { return false }
        return reply.first == "4"
    }
}

/// Everything observed about one MX host.
public struct MXObservation: Sendable, Hashable, Codable {
    public var record: MXRecord
    /// A then AAAA answers for the exchange.
    public var ipv4: DNSOutcome<String>
    public var ipv6: DNSOutcome<String>
    /// One probe per address.
    public var probes: [SMTPProbe]
    public init(record: MXRecord, ipv4: DNSOutcome<String>, ipv6: DNSOutcome<String>, probes: [SMTPProbe]) {
        self.record = record
        self.ipv4 = ipv4
        self.ipv6 = ipv6
        self.probes = probes
    }
}

/// Everything observed about one domain in one check.
public struct DomainObservation: Sendable, Hashable, Codable {
    public var domain: String
    public var observedAt: Date
    public var stsTXT: DNSOutcome<TXTRecord>
    public var tlsrptTXT: DNSOutcome<TXTRecord>
    public var mx: DNSOutcome<MXRecord>
    /// Nil when no fetch was attempted.
    public var policyFetch: PolicyFetch?
    public var mxHosts: [MXObservation]
    public init(domain: String, observedAt: Date, stsTXT: DNSOutcome<TXTRecord>, tlsrptTXT: DNSOutcome<TXTRecord>,
                mx: DNSOutcome<MXRecord>, policyFetch: PolicyFetch?, mxHosts: [MXObservation]) {
        self.domain = domain
        self.observedAt = observedAt
        self.stsTXT = stsTXT
        self.tlsrptTXT = tlsrptTXT
        self.mx = mx
        self.policyFetch = policyFetch
        self.mxHosts = mxHosts
    }
}

/// An MX probe as the poller keeps it between rounds and processes: shared by every domain whose
/// MX is this host, reused while it is younger than the MX probe interval.
public struct SharedProbe: Sendable, Hashable, Codable {
    /// What domains see now: the latest probe, or while rate-limited the last good one marked stale.
    public var probe: SMTPProbe
    /// The latest probe that was not a polite refusal.
    public var lastGood: SMTPProbe?
    /// Polite refusals in a row, which sets the back-off.
    public var refusals: Int

    public init(probe: SMTPProbe, lastGood: SMTPProbe?, refusals: Int) {
        self.probe = probe
        self.lastGood = lastGood
        self.refusals = refusals
    }
}
