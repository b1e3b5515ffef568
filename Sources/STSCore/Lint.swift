/// Checks of artefacts a postmaster is about to publish: a policy file, a TXT RRset.
///
/// The same rules the live judgement applies, without any network.
public enum Lint {
    /// How one MX host fares against a policy's patterns.
    public struct Coverage: Sendable, Hashable, Codable {
        public var host: String
        public var covered: Bool
        /// The first pattern that covers the host.
        public var pattern: String?
    }

    public struct PolicyResult: Sendable, Hashable {
        public var policy: Policy?
        public var warnings: [PolicyWarning]
        public var coverage: [Coverage]
        public var findings: [Finding]
        /// Valid when the policy parses and every given MX host is covered.
        public var valid: Bool { policy != nil && coverage.allSatisfy(\.covered) }
    }

    /// Lints a policy body, optionally against the MX hosts it must cover.
    public static func policy(bytes: [UInt8], name: String, mx hosts: [String]) -> PolicyResult {
        let parsed: PolicyParseResult
        do {
            parsed = try Policy.parse(bytes: bytes)
        } catch {
            let finding = Finding(code: .stsPolicyInvalid, severity: .crit, subject: name,
                                  message: "\(error); senders would reject this policy")
            return PolicyResult(policy: nil, warnings: [], coverage: [], findings: [finding])
        }
        let policy = parsed.policy
        var findings = parsed.warnings.map {
            Finding(code: .stsPolicyLenient, severity: .info, subject: name, message: $0.description)
        }
        switch policy.mode {
        case .testing:
            findings.append(Finding(code: .stsModeTesting, severity: .warn, subject: name,
                                    message: "mode is testing: senders report failures but still deliver without TLS"))
        case .none:
            findings.append(Finding(code: .stsModeNone, severity: .warn, subject: name,
                                    message: "mode is none: this withdraws the policy"))
        case .enforce:
            break
        }
        if policy.mode != .none && policy.maxAge < JudgementSettings().shortMaxAge {
            findings.append(Finding(code: .stsMaxAgeShort, severity: .warn, subject: name,
                                    message: "max_age \(policy.maxAge) s is under a day; RFC 8461 recommends weeks"))
        }
        let coverage = hosts.map { host in
            let pattern = policy.mx.first { $0.matches(host) }
            return Coverage(host: DomainName.canonical(host), covered: pattern != nil, pattern: pattern?.pattern)
        }
        for c in coverage where !c.covered {
            let severity: Severity = policy.mode == .enforce ? .crit : .warn
            findings.append(Finding(code: .stsMxNotCovered, severity: severity, subject: c.host,
                                    message: policy.mode == .enforce
                                        ? "not covered by any mx pattern: senders that honour MTA-STS will refuse to deliver to \(c.host)"
                                        : "not covered by any mx pattern: in enforce mode senders would refuse to deliver to \(c.host)"))
        }
        return PolicyResult(policy: policy, warnings: parsed.warnings, coverage: coverage, findings: findings)
    }

    /// A linted TXT RRset: the sender's verdict and what it costs.
    public struct RecordResult<Record: Hashable & Sendable, ParseError: Error & Hashable & Sendable>: Sendable, Hashable {
        public var verdict: RecordVerdict<Record, ParseError>
        public var findings: [Finding]
        public var valid: Bool { verdict.record != nil }
    }

    /// Lints the records of an `_mta-sts` RRset (each string one record).
    public static func stsRecords(_ records: [String]) -> RecordResult<STSRecord, STSRecord.ParseError> {
        let verdict = STSRecordVerdict.evaluate(records.map { TXTRecord($0) })
        return RecordResult(verdict: verdict, findings: findings(verdict, subject: "_mta-sts", version: "v=STSv1",
                                                                  codes: (.stsTxtMissing, .stsTxtMultiple, .stsTxtInvalid),
                                                                  cost: "senders would see no MTA-STS policy"))
    }

    /// Lints the records of a `_smtp._tls` RRset (each string one record).
    public static func tlsrptRecords(_ records: [String]) -> RecordResult<TLSRPTRecord, TLSRPTRecord.ParseError> {
        let verdict = TLSRPTRecordVerdict.evaluate(records.map { TXTRecord($0) })
        return RecordResult(verdict: verdict, findings: findings(verdict, subject: "_smtp._tls", version: "v=TLSRPTv1",
                                                                  codes: (.tlsrptTxtMissing, .tlsrptTxtMultiple, .tlsrptTxtInvalid),
                                                                  cost: "senders would send no reports"))
    }

    private static func findings<R, E>(_ verdict: RecordVerdict<R, E>, subject: String, version: String,
                                       codes: (missing: FindingCode, multiple: FindingCode, invalid: FindingCode),
                                       cost: String) -> [Finding] {
        switch verdict {
        case .absent:
            [Finding(code: codes.missing, severity: .crit, subject: subject, message: "no record begins with \"\(version)\": \(cost)")]
        case .multiple(let texts):
            [Finding(code: codes.multiple, severity: .crit, subject: subject, message: "\(texts.count) records begin with \"\(version)\": \(cost)")]
        case .invalid(let text, let error):
            [Finding(code: codes.invalid, severity: .crit, subject: subject, message: "\"\(text)\": \(error)")]
        case .valid:
            []
        }
    }
}
