/// How bad a finding is for mail delivery.
///
/// `crit` means mail is (or will be) refused or sent unprotected; `warn` means a
/// protection is weaker than intended or about to break; `info` is context.
public enum Severity: String, Sendable, Codable, CaseIterable, Comparable {
    case info, warn, crit

    private var rank: Int {
        switch self {
        case .info: 0
        case .warn: 1
        case .crit: 2
        }
    }

    public static func < (lhs: Severity, rhs: Severity) -> Bool { lhs.rank < rhs.rank }
}

/// The verdict on a whole domain.
///
/// `unknown` is kept apart from `ok`: a domain we could not judge (resolver
/// down, deadline passed) must never look healthy.
public enum DomainStatus: String, Sendable, Codable, CaseIterable, Comparable {
    case ok, warn, crit, unknown

    /// Exit code in the monitoring-plugin convention (Nagios, Icinga).
    public var exitCode: Int32 {
        switch self {
        case .ok: 0
        case .warn: 1
        case .crit: 2
        case .unknown: 3
        }
    }

    /// Ordering for "worst of": ok < warn < unknown < crit.
    ///
    /// A known critical problem outranks a domain we could not judge (as Icinga ranks states),
    /// and unknown outranks warn so that "cannot tell" never hides behind a mere warning.
    public static func < (lhs: DomainStatus, rhs: DomainStatus) -> Bool { lhs.rank < rhs.rank }

    private var rank: Int {
        switch self {
        case .ok: 0
        case .warn: 1
        case .unknown: 2
        case .crit: 3
        }
    }
}

/// One thing wrong (or worth knowing) about a domain, an MX host or a policy host.
public struct Finding: Sendable, Hashable, Codable {
    public var code: FindingCode
    public var severity: Severity
    /// What the finding is about: the domain, an MX host or address, or the policy host.
    public var subject: String
    /// A sentence a postmaster understands, including what it costs in mail.
    public var message: String

    public init(code: FindingCode, severity: Severity, subject: String, message: String) {
        self.code = code
        self.severity = severity
        self.subject = subject
        self.message = message
    }
}

extension Finding: CustomStringConvertible {
    public var description: String { "\(severity.rawValue) \(code.rawValue) [\(subject)]: \(message)" }
}

/// Every finding code stswatch emits. Each is documented in README.md.
public enum FindingCode: String, Sendable, Codable, CaseIterable {
    // MTA-STS DNS record (RFC 8461 §3.1)
    case stsTxtMissing = "sts-txt-missing"
    case stsTxtInvalid = "sts-txt-invalid"
    case stsTxtMultiple = "sts-txt-multiple"
    // MTA-STS policy (RFC 8461 §3.2, §3.3)
    case stsPolicyFetchError = "sts-policy-fetch-error"
    case stsWebPKIInvalid = "sts-webpki-invalid"
    case stsPolicyInvalid = "sts-policy-invalid"
    case stsPolicyLenient = "sts-policy-lenient"
    case stsModeTesting = "sts-mode-testing"
    case stsModeNone = "sts-mode-none"
    case stsMaxAgeShort = "sts-max-age-short"
    case stsMxNotCovered = "sts-mx-not-covered"
    case stsMxPatternUnused = "sts-mx-pattern-unused"
    case stsPolicyIdUnchanged = "sts-policy-id-unchanged"
    case stsPolicyCertExpiring = "sts-policy-certificate-expiring"
    // TLS-RPT DNS record (RFC 8460 §3)
    case tlsrptTxtMissing = "tlsrpt-txt-missing"
    case tlsrptTxtInvalid = "tlsrpt-txt-invalid"
    case tlsrptTxtMultiple = "tlsrpt-txt-multiple"
    // MX hosts and their SMTP service
    case mxMissing = "mx-missing"
    case mxNullMX = "mx-null"
    case mxResolveError = "mx-resolve-error"
    case mxUnreachable = "mx-unreachable"
    /// The MX answered 421/4xx at the greeting or EHLO: it limits this monitor; not a delivery fault.
    case mxRateLimited = "mx-rate-limited"
    /// The MX has only loopback, private or other non-global addresses.
    case mxAddressNotGlobal = "mx-address-not-global"
    /// No address of the MX could be probed from this monitor (address family, rate limit).
    case mxNotProbed = "mx-not-probed"
    case starttlsNotSupported = "starttls-not-supported"
    case starttlsDowngrade = "starttls-downgrade"
    case certificateExpired = "certificate-expired"
    case certificateExpiring = "certificate-expiring"
    case certificateNotYetValid = "certificate-not-yet-valid"
    case certificateHostMismatch = "certificate-host-mismatch"
    case certificateNotTrusted = "certificate-not-trusted"
    case tlsHandshakeFailed = "tls-handshake-failed"
    // Resolution failures: never confused with an absent record.
    case dnsError = "dns-error"
    // TLS-RPT report content (RFC 8460 §4), for `lint report` and ingestion.
    case reportInvalid = "report-invalid"
    case reportOddity = "report-oddity"
    case reportFailures = "report-failures"
}

extension Array where Element == Finding {
    /// The worst severity present, or nil when there are no findings.
    public var worstSeverity: Severity? { map(\.severity).max() }

    /// Domain status implied by these findings alone.
    public var status: DomainStatus {
        switch worstSeverity {
        case nil, .info?: .ok
        case .warn?: .warn
        case .crit?: .crit
        }
    }
}
