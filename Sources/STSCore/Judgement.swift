import Foundation

/// Thresholds for the judgement, with the defaults a postmaster expects.
public struct JudgementSettings: Sendable, Hashable, Codable {
    /// A certificate expiring within this many days is a warning.
    public var warnDays: Int = 21
    /// Within this many days it is critical: renewal has evidently failed.
    public var critDays: Int = 7
    /// A `max_age` below this (one day) makes the policy easy to outlast for an attacker.
    public var shortMaxAge: Int = 86_400
    public init(warnDays: Int = 21, critDays: Int = 7) {
        self.warnDays = warnDays
        self.critDays = critDays
    }
}

/// What the previous check saw, for findings that are about change.
public struct PreviousState: Sendable, Hashable, Codable {
    public var stsID: String?
    public var policy: Policy?
    /// MX hosts that offered STARTTLS last time.
    public var starttlsOffered: Set<String>
    public init(stsID: String?, policy: Policy?, starttlsOffered: Set<String>) {
        self.stsID = stsID
        self.policy = policy
        self.starttlsOffered = starttlsOffered
    }
}

/// Turns observations into findings and a status, as a sender honouring MTA-STS would see the domain.
public enum Judge {
    public static func assess(_ observation: DomainObservation, previous: PreviousState? = nil,
                              settings: JudgementSettings = JudgementSettings()) -> Assessment {
        var j = Judging(observation: observation, previous: previous, settings: settings)
        return j.run()
    }
}

/// The state of one judgement while it runs.
private struct Judging {
    let o: DomainObservation
    let previous: PreviousState?
    let settings: JudgementSettings
    let domain: String
    var findings: [Finding] = []
    /// A lookup that matters failed: the domain cannot be called ok.
    var undetermined = false

    init(observation: DomainObservation, previous: PreviousState?, settings: JudgementSettings) {
        o = observation
        self.previous = previous
        self.settings = settings
        domain = DomainName.canonical(observation.domain)
    }

    mutating func add(_ code: FindingCode, _ severity: Severity, _ subject: String, _ message: String) {
        findings.append(Finding(code: code, severity: severity, subject: subject, message: message))
    }

    mutating func run() -> Assessment {
        let sts = judgeSTSRecord()
        var (mtaSts, policy) = judgePolicy(record: sts)
        // Senders apply the policy only when the TXT record is valid (RFC 8461 §3.1).
        let effectiveMode: Policy.Mode? = (sts.record != nil) ? policy?.mode : nil
        let tlsRpt = judgeTLSRPT()
        let mx = judgeMX(policy: policy, effectiveMode: effectiveMode)
        mtaSts.policy = policy
        let worst = findings.worstSeverity
        let status: DomainStatus = worst == .crit ? .crit : (undetermined ? .unknown : findings.status)
        let ordered = findings.enumerated().sorted { a, b in
            a.element.severity != b.element.severity ? a.element.severity > b.element.severity : a.offset < b.offset
        }.map(\.element)
        return Assessment(domain: domain, status: status, checkedAt: o.observedAt, findings: ordered,
                          mtaSts: mtaSts, tlsRpt: tlsRpt, mx: mx)
    }

    // MARK: MTA-STS record

    mutating func judgeSTSRecord() -> STSRecordVerdict {
        let name = "_mta-sts.\(domain)"
        switch o.stsTXT {
        case .failed(let reason):
            undetermined = true
            add(.dnsError, .warn, name, "TXT lookup failed (\(reason)); senders that cannot resolve it skip MTA-STS until they can, so protection is uncertain")
            return .absent
        case .noRecords, .nameDoesNotExist:
            let published = o.policyFetch?.body != nil
            add(.stsTxtMissing, .warn, name, published
                ? "no MTA-STS TXT record, though a policy is published: senders never fetch it, so mail is not protected against STARTTLS downgrade"
                : "no MTA-STS TXT record: senders deliver in cleartext if an attacker strips STARTTLS")
            return .absent
        case .records(let records):
            let verdict = STSRecordVerdict.evaluate(records)
            switch verdict {
            case .absent:
                add(.stsTxtMissing, .warn, name, "no TXT record begins with \"v=STSv1\" (\(records.count) other record\(records.count == 1 ? "" : "s")): senders see no MTA-STS")
            case .multiple(let texts):
                add(.stsTxtMultiple, .crit, name, "\(texts.count) records begin with \"v=STSv1\"; senders must then assume there is no policy (RFC 8461 §3.1), so MTA-STS protection is off")
            case .invalid(let text, let error):
                add(.stsTxtInvalid, .crit, name, "\"\(text)\": \(error); senders ignore an invalid record, so MTA-STS protection is off")
            case .valid:
                break
            }
            return verdict
        }
    }

    // MARK: Policy

    mutating func judgePolicy(record: STSRecordVerdict) -> (MTASTSSummary, Policy?) {
        let txtState: String = {
            if case .failed = o.stsTXT { return "error" }
            switch record {
            case .absent: return "absent"
            case .multiple: return "multiple"
            case .invalid: return "invalid"
            case .valid: return "present"
            }
        }()
        var summary = MTASTSSummary(txt: txtState, txtID: record.record?.id, mode: nil, maxAge: nil, mx: [], fetch: nil, policy: nil)
        guard let fetch = o.policyFetch else { return (summary, nil) }
        let host = "mta-sts.\(domain)"
        // Fetch problems cost mail protection only when senders would look for the policy.
        let intended = record.record != nil
        let cost = intended ? Severity.crit : .warn
        var fetchSummary = FetchSummary(url: fetch.url, result: "ok", httpStatus: fetch.httpStatus,
                                        contentType: fetch.contentType, error: nil, cert: nil, body: fetch.body)
        if let leaf = fetch.tls?.leaf, let verdict = fetch.tls?.verdict {
            fetchSummary.cert = certificateSummary(leaf, verdict: verdict, host: host)
        }
        if let failure = fetch.failure {
            (fetchSummary.result, fetchSummary.error) = describe(failure)
        }
        summary.fetch = fetchSummary

        if let failure = fetch.failure {
            // Without a TXT record senders never fetch, so a missing policy host costs nothing more.
            if record == .absent { return (summary, nil) }
            let text = describe(failure).1
            if case .tls = failure {
                add(.stsWebPKIInvalid, cost, host, "policy host certificate is not valid for \(host): \(text)"
                    + (intended ? "; senders cannot fetch the policy, so mail is not protected" : ""))
            } else {
                add(.stsPolicyFetchError, cost, host, "cannot fetch \(fetch.url): \(text)"
                    + (intended ? "; new senders see no policy and cached ones stop being protected when it expires" : ""))
            }
            return (summary, nil)
        }
        if let cert = fetchSummary.cert { judgePolicyHostCertificate(cert, host: host) }
        guard let body = fetch.body else { return (summary, nil) }
        let parsed: PolicyParseResult
        do {
            parsed = try Policy.parse(body)
        } catch {
            add(.stsPolicyInvalid, cost, fetch.url, "\(error); senders reject the policy, so mail is not protected")
            return (summary, nil)
        }
        let policy = parsed.policy
        summary.mode = policy.mode
        summary.maxAge = policy.maxAge
        summary.mx = policy.mx.map(\.pattern)
        // Without a TXT record senders never apply the policy: show it, judge nothing by it.
        if record == .absent { return (summary, nil) }
        if !parsed.warnings.isEmpty {
            add(.stsPolicyLenient, .info, fetch.url, "accepted leniently: " + parsed.warnings.map(\.description).joined(separator: "; "))
        }
        switch policy.mode {
        case .testing:
            add(.stsModeTesting, .warn, domain, "mode is testing: senders report failures but still deliver, even when an attacker strips STARTTLS")
        case .none:
            add(.stsModeNone, .warn, domain, "mode is none: the policy is withdrawn and mail is not protected")
        case .enforce:
            break
        }
        if policy.mode != .none && policy.maxAge < settings.shortMaxAge {
            add(.stsMaxAgeShort, .warn, domain, "max_age \(policy.maxAge) s is under a day; RFC 8461 recommends weeks, so senders forget the policy quickly")
        }
        if let previous, let id = record.record?.id, previous.stsID == id,
           let old = previous.policy, old != policy {
            add(.stsPolicyIdUnchanged, .warn, "_mta-sts.\(domain)", "the policy changed but the TXT id \"\(id)\" did not: senders keep their cached copy until max_age runs out; change the id")
        }
        return (summary, policy)
    }

    mutating func judgePolicyHostCertificate(_ cert: CertificateSummary, host: String) {
        if cert.daysLeft < settings.critDays {
            add(.stsPolicyCertExpiring, .crit, host, "policy host certificate expires in \(cert.daysLeft) day\(cert.daysLeft == 1 ? "" : "s"); after that senders cannot fetch the policy")
        } else if cert.daysLeft < settings.warnDays {
            add(.stsPolicyCertExpiring, .warn, host, "policy host certificate expires in \(cert.daysLeft) days")
        }
    }

    func describe(_ failure: PolicyFetchFailure) -> (String, String) {
        switch failure {
        case .resolve(let r): ("resolve", "cannot resolve the policy host: \(r)")
        case .connect(let r): ("connect", "cannot connect: \(r)")
        case .timeout(let r): ("timeout", "timed out: \(r)")
        case .tls(let r): ("tls", r)
        case .redirect(let status, let location):
            ("redirect", "HTTP \(status) redirect to \(location ?? "(no Location)"), which RFC 8461 §3.3 forbids following")
        case .httpStatus(let s): ("http-status", "HTTP status \(s); only 200 is accepted")
        case .mediaType(let t): ("media-type", "media type \(t.map { "\"\($0)\"" } ?? "missing"); it must be text/plain")
        case .bodyTooLarge(let limit): ("too-large", "the body exceeds \(limit) bytes")
        case .addressNotGlobal(let r): ("not-global", r)
        case .other(let r): ("error", r)
        }
    }

    // MARK: TLS-RPT

    mutating func judgeTLSRPT() -> TLSRPTSummary {
        let name = "_smtp._tls.\(domain)"
        switch o.tlsrptTXT {
        case .failed(let reason):
            undetermined = true
            add(.dnsError, .warn, name, "TXT lookup failed (\(reason)); senders cannot find where to send TLS reports")
            return TLSRPTSummary(txt: "error", rua: [])
        case .noRecords, .nameDoesNotExist:
            add(.tlsrptTxtMissing, .warn, name, "no TLS-RPT record: senders' TLS failures toward this domain go unreported")
            return TLSRPTSummary(txt: "absent", rua: [])
        case .records(let records):
            switch TLSRPTRecordVerdict.evaluate(records) {
            case .absent:
                add(.tlsrptTxtMissing, .warn, name, "no TXT record begins with \"v=TLSRPTv1\": TLS failures go unreported")
                return TLSRPTSummary(txt: "absent", rua: [])
            case .multiple(let texts):
                add(.tlsrptTxtMultiple, .warn, name, "\(texts.count) records begin with \"v=TLSRPTv1\"; senders then send no reports (RFC 8460 §3)")
                return TLSRPTSummary(txt: "multiple", rua: [])
            case .invalid(let text, let error):
                add(.tlsrptTxtInvalid, .warn, name, "\"\(text)\": \(error); senders send no reports")
                return TLSRPTSummary(txt: "invalid", rua: [])
            case .valid(let record):
                return TLSRPTSummary(txt: "present", rua: record.rua.map(\.description))
            }
        }
    }

    // MARK: MX hosts

    mutating func judgeMX(policy: Policy?, effectiveMode: Policy.Mode?) -> [MXSummary] {
        switch o.mx {
        case .failed(let reason):
            undetermined = true
            add(.dnsError, .warn, domain, "MX lookup failed (\(reason)); senders cannot deliver until it resolves")
            return []
        case .nameDoesNotExist:
            add(.mxMissing, .crit, domain, "the domain does not exist (NXDOMAIN): no mail can be delivered")
            return []
        case .noRecords:
            // RFC 5321 §5.1 implicit MX: senders deliver to the domain itself, which the policy must cover.
            if let policy, policy.mode != .none, !policy.covers(host: domain) {
                let enforced = effectiveMode == .enforce
                add(.mxMissing, enforced ? .crit : .warn, domain,
                    "no MX records, so senders deliver to \(domain) itself (implicit MX), which no mx pattern of the policy covers"
                        + (enforced ? ": senders that honour MTA-STS will refuse to deliver" : ""))
            } else {
                add(.mxMissing, .warn, domain, "no MX records: senders fall back to the domain's own address (implicit MX)")
            }
            return []
        case .records(let records):
            if records.count == 1, DomainName.canonical(records[0].exchange).isEmpty || records[0].exchange == "." {
                add(.mxNullMX, .info, domain, "null MX (RFC 7505): the domain accepts no mail, so it needs neither MTA-STS nor TLS-RPT")
                // Protection of mail that is never accepted costs nothing when absent.
                findings.removeAll { $0.code == .stsTxtMissing || $0.code == .tlsrptTxtMissing }
                return []
            }
        }
        let hosts = o.mxHosts.sorted { ($0.record.preference, $0.record.exchange) < ($1.record.preference, $1.record.exchange) }
        var summaries: [MXSummary] = []
        var deadHosts = 0
        var unprobedHosts = 0
        for host in hosts {
            let (summary, dead, unprobed) = judgeHost(host, policy: policy, effectiveMode: effectiveMode)
            summaries.append(summary)
            if dead { deadHosts += 1 }
            if unprobed { unprobedHosts += 1 }
        }
        if !hosts.isEmpty && unprobedHosts == hosts.count {
            // No MX could be seen from this monitor: the domain cannot be called ok, nor blamed.
            undetermined = true
        }
        if let policy {
            for pattern in policy.mx where !hosts.contains(where: { pattern.matches($0.record.exchange) }) {
                add(.stsMxPatternUnused, .info, domain, "policy pattern \"\(pattern)\" matches none of the MX hosts")
            }
        }
        if !hosts.isEmpty && deadHosts > 0 && deadHosts + unprobedHosts == hosts.count {
            // Every MX failed: escalate what was judged per host, since no mail arrives at all.
            for i in findings.indices where [.mxUnreachable, .mxResolveError].contains(findings[i].code) {
                findings[i].severity = .crit
            }
        }
        return summaries
    }

    /// Severity of a TLS problem on an MX, by what senders will do about it.
    func tlsSeverity(covered: Bool, mode: Policy.Mode?, withoutPolicy: Severity) -> Severity {
        switch mode {
        case .enforce?: covered ? .crit : .warn
        case .testing?: .warn
        case .none?, nil: withoutPolicy
        }
    }

    /// Judges one MX host: `dead` when every probe failed to reach it, `unprobed` when none could be made.
    mutating func judgeHost(_ host: MXObservation, policy: Policy?, effectiveMode: Policy.Mode?) -> (MXSummary, dead: Bool, unprobed: Bool) {
        let name = DomainName.canonical(host.record.exchange)
        let covered = policy.map { $0.covers(host: name) }
        if let policy, covered == false, policy.mode != .none {
            let patterns = policy.mx.map(\.pattern).joined(separator: ", ")
            if effectiveMode == .enforce {
                add(.stsMxNotCovered, .crit, name, "not covered by the policy's mx patterns (\(patterns)): senders that honour MTA-STS will refuse to deliver to \(name)")
            } else {
                add(.stsMxNotCovered, .warn, name, "not covered by the policy's mx patterns (\(patterns)): in enforce mode senders would refuse to deliver to \(name)")
            }
        }
        let addresses = (host.ipv4.recordsIfAnswered ?? []) + (host.ipv6.recordsIfAnswered ?? [])
        var summary = MXSummary(host: name, preference: host.record.preference, addresses: addresses,
                                starttls: "unresolved", tlsVersion: nil, cipher: nil, cert: nil,
                                coveredByPolicy: covered, probes: [])
        if addresses.isEmpty {
            let reasons = [host.ipv4, host.ipv6].compactMap { outcome -> String? in
                if case .failed(let r) = outcome { return r } else { return nil }
            }
            let why = reasons.isEmpty ? "has no A or AAAA record" : "address lookup failed (\(reasons.joined(separator: "; ")))"
            add(.mxResolveError, .warn, name, "\(why): senders cannot deliver to this MX")
            return (summary, true, false)
        }
        let isCovered = covered ?? false
        var states: Set<String> = []
        var reachable = 0
        var answered = 0
        var reportedCertificate = false
        for probe in host.probes {
            let subject = probe.address == name ? name : "\(name) [\(probe.address)]"
            var probeSummary = ProbeSummary(address: probe.address, result: "", detail: nil, probedAt: probe.probedAt,
                                            staleSince: probe.rateLimited?.since)
            if let limit = probe.rateLimited {
                let kept = probe.probedAt.map { " the probe from \(iso($0)) is shown until then" } ?? " nothing earlier is known"
                add(.mxRateLimited, .info, subject,
                    "answered \"\(limit.reply)\" (a rate limit): stswatch backs off until \(iso(limit.retryAfter));" + kept
                    + ". This is the server limiting this monitor, not a fault senders see")
            } else if probe.isPoliteRefusal, case .refused(let stage, let reply) = probe.outcome {
                states.insert("rate-limited")
                probeSummary.result = "rate-limited"
                probeSummary.detail = "\(stage): \(reply)"
                summary.probes.append(probeSummary)
                add(.mxRateLimited, .info, subject,
                    "answered \"\(reply)\" at \(stage) (a rate limit or temporary refusal); probe again later. This is not a fault senders see")
                continue
            }
            switch probe.outcome {
            case .notProbed(let skip):
                states.insert("not-probed")
                probeSummary.result = "not-probed"
                probeSummary.detail = describe(skip, address: probe.address)
                if skip == .addressNotGlobal {
                    answered += 1
                    add(.mxAddressNotGlobal, .warn, subject,
                        "\(probe.address) is not a global address (loopback, private, link-local or reserved): senders on the internet cannot deliver there, and stswatch does not connect to it unless allowed (--allow-addresses)")
                }
            case .connectFailed(let reason):
                answered += 1
                states.insert("unreachable")
                probeSummary.result = "unreachable"
                probeSummary.detail = reason
                add(.mxUnreachable, .warn, subject, "cannot connect to port \(probe.port): \(reason); senders try the next MX or queue the mail")
            case .timeout(let stage):
                answered += 1
                states.insert("timeout")
                probeSummary.result = "timeout"
                probeSummary.detail = stage
                add(.mxUnreachable, .warn, subject, "timed out during \(stage); senders try the next MX or queue the mail")
            case .refused(let stage, let reply):
                answered += 1
                states.insert("refused")
                probeSummary.result = "refused"
                probeSummary.detail = "\(stage): \(reply)"
                add(.mxUnreachable, .warn, subject, "refused the session at \(stage) (\"\(reply)\"); this is a refusal, not a missing STARTTLS")
            case .starttlsNotOffered:
                answered += 1
                reachable += 1
                states.insert("not-offered")
                probeSummary.result = "not-offered"
                judgeMissingSTARTTLS(probe, name: name, subject: subject, covered: isCovered, mode: effectiveMode)
            case .tlsFailed(let reason):
                answered += 1
                reachable += 1
                states.insert("failed")
                probeSummary.result = "failed"
                probeSummary.detail = reason
                add(.tlsHandshakeFailed, tlsSeverity(covered: isCovered, mode: effectiveMode, withoutPolicy: .warn), subject,
                    "STARTTLS offered but the TLS handshake failed (\(reason))" + consequence(covered: isCovered, mode: effectiveMode))
            case .tls(let session):
                answered += 1
                reachable += 1
                states.insert("offered")
                probeSummary.result = "offered"
                probeSummary.detail = "\(session.version) \(session.cipher)"
                summary.tlsVersion = summary.tlsVersion ?? session.version
                summary.cipher = summary.cipher ?? session.cipher
                if let leaf = session.leaf {
                    let cert = certificateSummary(leaf, verdict: session.verdict, host: name)
                    // One certificate verdict per host: the same problems on every address would only repeat.
                    if summary.cert == nil { summary.cert = cert }
                    if !reportedCertificate || summary.cert?.sha256 != cert.sha256 {
                        judgeCertificate(cert, subject: reportedCertificate ? subject : name, covered: isCovered, mode: effectiveMode)
                        reportedCertificate = true
                    }
                }
            }
            summary.probes.append(probeSummary)
        }
        summary.starttls = states.count == 1 ? states.first! : (states.isEmpty ? "unprobed" : "mixed")
        if !host.probes.isEmpty && answered == 0 {
            // Nothing was learnt about this host from here (IPv6-only MX on an IPv4-only monitor,
            // a rate limit with nothing earlier kept): it is not the domain's fault, and not ok either.
            let why = Set(summary.probes.compactMap(\.detail)).sorted().joined(separator: "; ")
            add(.mxNotProbed, .info, name, "no address of this MX could be probed from this monitor (\(why)); its STARTTLS state is unknown")
            return (summary, false, true)
        }
        return (summary, reachable == 0 && !host.probes.isEmpty, false)
    }

    func describe(_ skip: ProbeSkip, address: String) -> String {
        let family = IPAddress(address)?.family == .ipv6 ? "IPv6" : "IPv4"
        switch skip {
        case .ipVersionDisabled: return "not probed (\(family == "IPv6" ? "IPv4" : "IPv6") only)"
        case .familyUnavailable: return "not probed: no \(family) connectivity from this monitor"
        case .addressNotGlobal: return "not probed: not a global address"
        case .rateLimited: return "not probed: rate-limited, nothing earlier kept"
        }
    }

    mutating func judgeMissingSTARTTLS(_ probe: SMTPProbe, name: String, subject: String, covered: Bool, mode: Policy.Mode?) {
        add(.starttlsNotSupported, tlsSeverity(covered: covered, mode: mode, withoutPolicy: .warn), subject,
            "does not offer STARTTLS: mail to it travels in cleartext" + consequence(covered: covered, mode: mode))
        let mangled = probe.ehlo.first { line in
            let upper = line.uppercased()
            return upper.contains("START") && !upper.hasSuffix(" STARTTLS") && !upper.hasSuffix("-STARTTLS")
        }
        let lostOffer = previous?.starttlsOffered.contains(name) ?? false
        if mangled != nil || lostOffer {
            var evidence: [String] = []
            if let mangled { evidence.append("the EHLO reply has \"\(mangled)\" where STARTTLS should be") }
            if lostOffer { evidence.append("it offered STARTTLS at the previous check") }
            add(.starttlsDowngrade, .crit, subject,
                "STARTTLS is being stripped, which is what a downgrade attack looks like: " + evidence.joined(separator: " and ")
                + (mode == .enforce && covered ? "; MTA-STS senders will refuse delivery rather than send in cleartext"
                   : "; senders without an enforced MTA-STS policy deliver in cleartext"))
        }
    }

    func consequence(covered: Bool, mode: Policy.Mode?) -> String {
        switch mode {
        case .enforce? where covered: "; senders that honour MTA-STS will refuse to deliver to it"
        case .testing? where covered: "; in enforce mode senders would refuse to deliver to it"
        default: ""
        }
    }

    mutating func judgeCertificate(_ cert: CertificateSummary, subject: String, covered: Bool, mode: Policy.Mode?) {
        let refuse = consequence(covered: covered, mode: mode)
        let severity = tlsSeverity(covered: covered, mode: mode, withoutPolicy: .info)
        let now = o.observedAt
        var datesExplainDistrust = false
        if cert.notAfter <= now {
            datesExplainDistrust = true
            add(.certificateExpired, severity, subject, "certificate expired \(iso(cert.notAfter)) (\(-cert.daysLeft) days ago)" + refuse)
        } else if cert.notBefore > now {
            datesExplainDistrust = true
            add(.certificateNotYetValid, severity, subject, "certificate is not valid until \(iso(cert.notBefore))" + refuse)
        } else if cert.daysLeft < settings.critDays {
            let s: Severity = mode == nil || mode == Policy.Mode.none ? .warn : (covered ? .crit : .warn)
            add(.certificateExpiring, s, subject, "certificate expires in \(cert.daysLeft) day\(cert.daysLeft == 1 ? "" : "s") (\(iso(cert.notAfter))); renewal has evidently failed")
        } else if cert.daysLeft < settings.warnDays {
            add(.certificateExpiring, .warn, subject, "certificate expires in \(cert.daysLeft) days (\(iso(cert.notAfter)))")
        }
        if !cert.nameMatch {
            add(.certificateHostMismatch, severity, subject,
                "certificate names (\(cert.names.isEmpty ? "no subjectAltName DNS names" : cert.names.joined(separator: ", "))) do not match the MX host" + refuse)
        }
        if !cert.trusted && !datesExplainDistrust {
            add(.certificateNotTrusted, severity, subject, "certificate is not trusted (\(cert.verifyResult)); issuer \(cert.issuer)" + refuse)
        }
    }

    func certificateSummary(_ leaf: CertificateInfo, verdict: ChainVerdict, host: String) -> CertificateSummary {
        let seconds = leaf.notAfter.timeIntervalSince(o.observedAt)
        let days = Int((seconds / 86_400).rounded(.down))
        return CertificateSummary(subject: leaf.subject, names: leaf.dnsNames, issuer: leaf.issuer,
                                  notBefore: leaf.notBefore, notAfter: leaf.notAfter, daysLeft: days,
                                  trusted: verdict.trusted, verifyResult: verdict.reason,
                                  nameMatch: CertificateName.matches(host: host, dnsNames: leaf.dnsNames),
                                  sha256: leaf.sha256)
    }

    func iso(_ date: Date) -> String {
        date.formatted(.iso8601)
    }
}
