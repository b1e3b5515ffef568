import Foundation

/// The judged state of one domain: what `check --json` prints and the store keeps.
///
/// Field names follow the command-line JSON contract (snake_case).
public struct Assessment: Sendable, Hashable, Codable {
    public var domain: String
    public var status: DomainStatus
    public var checkedAt: Date
    public var findings: [Finding]
    public var mtaSts: MTASTSSummary
    public var tlsRpt: TLSRPTSummary
    public var mx: [MXSummary]

    enum CodingKeys: String, CodingKey {
        case domain, status, findings, mx
        case checkedAt = "checked_at"
        case mtaSts = "mta_sts"
        case tlsRpt = "tls_rpt"
    }
}

public struct MTASTSSummary: Sendable, Hashable, Codable {
    /// `present`, `absent`, `multiple`, `invalid` or `error` (lookup failed).
    public var txt: String
    public var txtID: String?
    public var mode: Policy.Mode?
    public var maxAge: Int?
    public var mx: [String]
    public var fetch: FetchSummary?
    /// The policy as parsed, for the store's change detection.
    public var policy: Policy?

    enum CodingKeys: String, CodingKey {
        case txt, mode, mx, fetch, policy
        case txtID = "txt_id"
        case maxAge = "max_age"
    }
}

public struct FetchSummary: Sendable, Hashable, Codable {
    public var url: String
    /// `ok` or the failure kind.
    public var result: String
    public var httpStatus: Int?
    public var contentType: String?
    public var error: String?
    public var cert: CertificateSummary?
    /// The body as served (at most the size bound), for the store and the detail pane.
    public var body: String?

    enum CodingKeys: String, CodingKey {
        case url, result, error, cert, body
        case httpStatus = "http_status"
        case contentType = "content_type"
    }
}

public struct TLSRPTSummary: Sendable, Hashable, Codable {
    public var txt: String
    public var rua: [String]
}

public struct CertificateSummary: Sendable, Hashable, Codable {
    public var subject: String
    public var names: [String]
    public var issuer: String
    public var notBefore: Date
    public var notAfter: Date
    public var daysLeft: Int
    public var trusted: Bool
    public var verifyResult: String
    public var nameMatch: Bool
    public var sha256: String

    enum CodingKeys: String, CodingKey {
        case subject, names, issuer, trusted, sha256
        case notBefore = "not_before"
        case notAfter = "not_after"
        case daysLeft = "days_left"
        case verifyResult = "verify_result"
        case nameMatch = "name_match"
    }
}

public struct MXSummary: Sendable, Hashable, Codable {
    public var host: String
    public var preference: Int
    public var addresses: [String]
    /// `offered`, `not-offered`, `failed` (handshake), `refused`, `unreachable`, `timeout`, `unresolved`, or `mixed`.
    public var starttls: String
    public var tlsVersion: String?
    public var cipher: String?
    public var cert: CertificateSummary?
    public var coveredByPolicy: Bool?
    /// One entry per probed address, for the detail pane.
    public var probes: [ProbeSummary]

    enum CodingKeys: String, CodingKey {
        case host, preference, addresses, starttls, cipher, cert, probes
        case tlsVersion = "tls_version"
        case coveredByPolicy = "covered_by_policy"
    }
}

public struct ProbeSummary: Sendable, Hashable, Codable {
    public var address: String
    /// `offered`, `not-offered`, `failed`, `refused`, `unreachable`, `timeout`, `rate-limited` or `not-probed`.
    public var result: String
    public var detail: String?
    /// When the connection behind this result was made (it may be shared with other domains).
    public var probedAt: Date?
    /// Set while the address rate-limits us: the result is the last good one, stale since then.
    public var staleSince: Date?

    public init(address: String, result: String, detail: String?, probedAt: Date? = nil, staleSince: Date? = nil) {
        self.address = address
        self.result = result
        self.detail = detail
        self.probedAt = probedAt
        self.staleSince = staleSince
    }

    enum CodingKeys: String, CodingKey {
        case address, result, detail
        case probedAt = "probed_at"
        case staleSince = "stale_since"
    }
}
