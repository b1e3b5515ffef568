import Foundation

/// One aggregate TLS-RPT report (RFC 8460 §4), as the sender wrote it.
///
/// Fields the RFC requires are still optional here: real senders omit them, and a
/// report missing `contact-info` still tells a postmaster which sessions failed.
/// Absent stays absent, so encoding gives back the sender's fields under the RFC's
/// names. Decode untrusted bytes with ``TLSReport/decode(_:limits:)``, which also
/// lists what was odd about the report.
public struct TLSReport: Sendable, Hashable, Codable {
    public var organizationName: String?
    public var dateRange: DateRange?
    public var contactInfo: String?
    public var reportID: String?
    public var policies: [PolicyResult]

    public init(organizationName: String?, dateRange: DateRange?, contactInfo: String?, reportID: String?,
                policies: [PolicyResult]) {
        self.organizationName = organizationName
        self.dateRange = dateRange
        self.contactInfo = contactInfo
        self.reportID = reportID
        self.policies = policies
    }

    enum CodingKeys: String, CodingKey {
        case organizationName = "organization-name"
        case dateRange = "date-range"
        case contactInfo = "contact-info"
        case reportID = "report-id"
        case policies
    }

    /// Decodes leniently, like ``TLSReport/decode(_:limits:)``, dropping the oddities.
    ///
    /// Kept lenient so a report stored as JSON and read back takes the same path as one
    /// that arrived by mail.
    public init(from decoder: any Decoder) throws {
        let value = try decoder.singleValueContainer().decode(JSONValue.self)
        do {
            self = try ReportReader.read(value).report
        } catch {
            throw DecodingError.dataCorrupted(.init(codingPath: decoder.codingPath, debugDescription: error.description))
        }
    }

    /// The reporting period (RFC 8460 §4.4 `date-range`).
    public struct DateRange: Sendable, Hashable, Codable {
        public var start: DateTime?
        public var end: DateTime?
        public init(start: DateTime?, end: DateTime?) {
            self.start = start
            self.end = end
        }
        enum CodingKeys: String, CodingKey {
            case start = "start-datetime"
            case end = "end-datetime"
        }
    }

    /// One `policies` entry: the policy applied, the session counts and the failures.
    public struct PolicyResult: Sendable, Hashable, Codable {
        public var policy: Policy
        public var summary: Summary
        /// Nil when the sender left `failure-details` out (common when nothing failed).
        public var failureDetails: [FailureDetail]?
        public init(policy: Policy, summary: Summary, failureDetails: [FailureDetail]? = nil) {
            self.policy = policy
            self.summary = summary
            self.failureDetails = failureDetails
        }
        enum CodingKeys: String, CodingKey {
            case policy, summary
            case failureDetails = "failure-details"
        }
    }

    /// The policy the sending MTA applied (RFC 8460 §4.4 `policy`).
    public struct Policy: Sendable, Hashable, Codable {
        public var policyType: PolicyType?
        /// As sent. A TLSA policy is sometimes one string holding a JSON array: see ``policyLines``.
        public var policyString: [String]?
        public var policyDomain: String?
        /// Always a list here; senders following the RFC's example send one string (erratum 6241).
        public var mxHost: [String]?
        /// The pre-RFC draft name for `mx-host`, still sent by some reporters.
        public var mxHostPattern: [String]?
        public init(policyType: PolicyType?, policyString: [String]? = nil, policyDomain: String? = nil,
                    mxHost: [String]? = nil, mxHostPattern: [String]? = nil) {
            self.policyType = policyType
            self.policyString = policyString
            self.policyDomain = policyDomain
            self.mxHost = mxHost
            self.mxHostPattern = mxHostPattern
        }
        enum CodingKeys: String, CodingKey {
            case policyType = "policy-type"
            case policyString = "policy-string"
            case policyDomain = "policy-domain"
            case mxHost = "mx-host"
            case mxHostPattern = "mx-host-pattern"
        }
    }

    /// Session counts for one policy (RFC 8460 §4.4 `summary`).
    public struct Summary: Sendable, Hashable, Codable {
        public var totalSuccessfulSessionCount: Int?
        public var totalFailureSessionCount: Int?
        public init(totalSuccessfulSessionCount: Int?, totalFailureSessionCount: Int?) {
            self.totalSuccessfulSessionCount = totalSuccessfulSessionCount
            self.totalFailureSessionCount = totalFailureSessionCount
        }
        enum CodingKeys: String, CodingKey {
            case totalSuccessfulSessionCount = "total-successful-session-count"
            case totalFailureSessionCount = "total-failure-session-count"
        }
    }

    /// One group of failed sessions (RFC 8460 §4.4 `failure-details`).
    public struct FailureDetail: Sendable, Hashable, Codable {
        public var resultType: ResultType?
        public var sendingMTAIP: String?
        public var receivingMXHostname: String?
        public var receivingMXHelo: String?
        public var receivingIP: String?
        public var failedSessionCount: Int?
        public var additionalInformation: String?
        public var failureReasonCode: String?
        public init(resultType: ResultType?, sendingMTAIP: String? = nil, receivingMXHostname: String? = nil,
                    receivingMXHelo: String? = nil, receivingIP: String? = nil, failedSessionCount: Int?,
                    additionalInformation: String? = nil, failureReasonCode: String? = nil) {
            self.resultType = resultType
            self.sendingMTAIP = sendingMTAIP
            self.receivingMXHostname = receivingMXHostname
            self.receivingMXHelo = receivingMXHelo
            self.receivingIP = receivingIP
            self.failedSessionCount = failedSessionCount
            self.additionalInformation = additionalInformation
            self.failureReasonCode = failureReasonCode
        }
        enum CodingKeys: String, CodingKey {
            case resultType = "result-type"
            case sendingMTAIP = "sending-mta-ip"
            case receivingMXHostname = "receiving-mx-hostname"
            case receivingMXHelo = "receiving-mx-helo"
            case receivingIP = "receiving-ip"
            case failedSessionCount = "failed-session-count"
            case additionalInformation = "additional-information"
            case failureReasonCode = "failure-reason-code"
        }
    }
}

extension TLSReport {
    /// RFC 8460 §4.4 policy types; anything else is kept as sent.
    public enum PolicyType: Sendable, Hashable, Codable, RawRepresentable {
        case sts, tlsa, noPolicyFound
        case other(String)

        public init(rawValue: String) {
            switch rawValue {
            case "sts": self = .sts
            case "tlsa": self = .tlsa
            case "no-policy-found": self = .noPolicyFound
            default: self = .other(rawValue)
            }
        }

        public var rawValue: String {
            switch self {
            case .sts: "sts"
            case .tlsa: "tlsa"
            case .noPolicyFound: "no-policy-found"
            case .other(let value): value
            }
        }

        public init(from decoder: any Decoder) throws {
            self.init(rawValue: try decoder.singleValueContainer().decode(String.self))
        }

        public func encode(to encoder: any Encoder) throws {
            var container = encoder.singleValueContainer()
            try container.encode(rawValue)
        }
    }

    /// RFC 8460 §4.3 result types; anything else is kept as sent.
    public enum ResultType: Sendable, Hashable, Codable, RawRepresentable, CaseIterable {
        // §4.3.1 negotiation failures
        case starttlsNotSupported, certificateHostMismatch, certificateExpired, certificateNotTrusted, validationFailure
        // §4.3.2.1 DANE policy failures
        case tlsaInvalid, dnssecInvalid, daneRequired
        // §4.3.2.2 MTA-STS policy failures
        case stsPolicyFetchError, stsPolicyInvalid, stsWebPKIInvalid
        case other(String)

        /// The result types RFC 8460 defines (without `.other`).
        public static var allCases: [ResultType] {
            [.starttlsNotSupported, .certificateHostMismatch, .certificateExpired, .certificateNotTrusted,
             .validationFailure, .tlsaInvalid, .dnssecInvalid, .daneRequired, .stsPolicyFetchError,
             .stsPolicyInvalid, .stsWebPKIInvalid]
        }

        public init(rawValue: String) {
            self = Self.allCases.first { $0.rawValue == rawValue } ?? .other(rawValue)
        }

        public var rawValue: String {
            switch self {
            case .starttlsNotSupported: "starttls-not-supported"
            case .certificateHostMismatch: "certificate-host-mismatch"
            case .certificateExpired: "certificate-expired"
            case .certificateNotTrusted: "certificate-not-trusted"
            case .validationFailure: "validation-failure"
            case .tlsaInvalid: "tlsa-invalid"
            case .dnssecInvalid: "dnssec-invalid"
            case .daneRequired: "dane-required"
            case .stsPolicyFetchError: "sts-policy-fetch-error"
            case .stsPolicyInvalid: "sts-policy-invalid"
            case .stsWebPKIInvalid: "sts-webpki-invalid"
            case .other(let value): value
            }
        }

        public init(from decoder: any Decoder) throws {
            self.init(rawValue: try decoder.singleValueContainer().decode(String.self))
        }

        public func encode(to encoder: any Encoder) throws {
            var container = encoder.singleValueContainer()
            try container.encode(rawValue)
        }
    }
}

// MARK: - Totals

extension TLSReport {
    /// Successful sessions over all policies, as the summaries state them.
    public var totalSuccessful: Int { policies.reduce(0) { $0.addingSaturated($1.successfulSessions) } }

    /// Failed sessions over all policies, as the summaries state them.
    public var totalFailed: Int { policies.reduce(0) { $0.addingSaturated($1.failedSessions) } }

    /// The distinct policy domains, in report order.
    public var policyDomains: [String] {
        var seen = Set<String>()
        return policies.compactMap(\.policy.policyDomain).filter { seen.insert($0).inserted }
    }
}

extension TLSReport.PolicyResult {
    /// `total-successful-session-count`, zero when absent.
    public var successfulSessions: Int { summary.totalSuccessfulSessionCount ?? 0 }

    /// `total-failure-session-count`, zero when absent.
    public var failedSessions: Int { summary.totalFailureSessionCount ?? 0 }

    /// The sum of `failed-session-count` over `failure-details`; senders do not always match the summary.
    public var failureDetailsSum: Int {
        (failureDetails ?? []).reduce(0) { $0.addingSaturated($1.failedSessionCount ?? 0) }
    }

    /// Failed sessions per result type (nil: the detail named none), largest first, ties in report order.
    public var failuresByResultType: [(resultType: TLSReport.ResultType?, sessions: Int)] {
        var order: [TLSReport.ResultType?] = []
        var sums: [TLSReport.ResultType?: Int] = [:]
        for detail in failureDetails ?? [] {
            if sums[detail.resultType] == nil { order.append(detail.resultType) }
            sums[detail.resultType, default: 0] = sums[detail.resultType, default: 0].addingSaturated(detail.failedSessionCount ?? 0)
        }
        return order.enumerated()
            .sorted { (sums[$0.element]!, -$0.offset) > (sums[$1.element]!, -$1.offset) }
            .map { (resultType: $0.element, sessions: sums[$0.element]!) }
    }
}

extension TLSReport.Policy {
    /// The policy's lines, with a TLSA `policy-string` that arrived as one JSON-encoded
    /// array string unpacked into its records.
    public var policyLines: [String] {
        guard let lines = policyString else { return [] }
        return Self.unpackedJSONArray(lines) ?? lines
    }

    /// The `mode:` of an MTA-STS policy string, when there is one.
    public var stsMode: String? {
        guard policyType == .sts else { return nil }
        for line in policyLines {
            let parts = line.split(separator: ":", maxSplits: 1)
            if parts.count == 2, parts[0].trimmingCharacters(in: .whitespaces) == "mode" {
                return parts[1].trimmingCharacters(in: .whitespaces)
            }
        }
        return nil
    }

    /// The records inside `["[\"3 1 1 ab…\", …]"]`, or nil when `lines` is not that shape.
    static func unpackedJSONArray(_ lines: [String]) -> [String]? {
        guard lines.count == 1, lines[0].first == "[",
              let inner = try? JSONDecoder().decode([String].self, from: Data(lines[0].utf8)) else { return nil }
        return inner
    }
}

extension Int {
    /// Addition that stops at the bounds: counts come from strangers and must not trap.
    func addingSaturated(_ other: Int) -> Int {
        let (sum, overflow) = addingReportingOverflow(other)
        return overflow ? (other > 0 ? .max : .min) : sum
    }
}
