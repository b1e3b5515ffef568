import Foundation

extension ReportDecodeResult {
    /// The report as findings: one `report-oddity` per oddity, then the report's failures.
    public func findings() -> [Finding] {
        let subject = report.displayName
        return oddities.map { Finding(code: .reportOddity, severity: .info, subject: subject, message: $0) }
            + report.findings()
    }
}

extension TLSReport {
    /// One `report-failures` finding per policy and result type that saw failed sessions.
    ///
    /// Severity follows what the failures cost: under an enforced MTA-STS policy or a
    /// DANE (TLSA) policy a failed session means the sender held the mail back (`crit`);
    /// under a testing policy or none, the mail most likely went out unprotected (`warn`).
    public func findings() -> [Finding] {
        let reporter = (organizationName ?? contactInfo ?? "a reporter").sanitizedForTerminal
        let when = periodText
        var findings: [Finding] = []
        for entry in policies where entry.failedSessions > 0 || entry.failureDetailsSum > 0 {
            let subject = (entry.policy.policyDomain ?? displayName).sanitizedForTerminal
            let (severity, consequence) = Self.consequence(of: entry.policy)
            var groups = entry.failuresByResultType.filter { $0.sessions > 0 }
            // Failures the summary counts but no detail explains still deserve a line.
            let unexplained = entry.failedSessions - entry.failureDetailsSum
            if unexplained > 0 { groups.append((resultType: nil, sessions: unexplained)) }
            for group in groups {
                let kind = group.resultType?.rawValue.sanitizedForTerminal
                    ?? (entry.failureDetails == nil ? "no details given" : "result type not given")
                let hosts = Self.receivers(entry.failureDetails ?? [], resultType: group.resultType)
                let plural = group.sessions == 1 ? "session" : "sessions"
                var message = "\(reporter) saw \(group.sessions) failed \(plural) (\(kind))"
                if !hosts.isEmpty { message += " to \(hosts)" }
                if let when { message += " \(when)" }
                message += "; \(consequence)"
                findings.append(Finding(code: .reportFailures, severity: severity, subject: subject, message: message))
            }
        }
        return findings
    }

    /// "Google Inc. report 2024-…": names the report in oddity findings.
    public var displayName: String {
        let who = organizationName ?? "unknown reporter"
        let id = reportID.map { " report \($0)" } ?? ""
        return (who + id).sanitizedForTerminal
    }

    /// "on 2024-02-17" or "from 2024-02-22 to 2024-02-24", nil when the dates were unreadable.
    var periodText: String? {
        guard let start = dateRange?.start?.date else { return nil }
        guard var end = dateRange?.end?.date, end > start else { return "from \(utcDayString(start))" }
        // A range ending exactly at midnight (Mail.ru) covers the day before.
        if end.timeIntervalSince1970.truncatingRemainder(dividingBy: 86_400) == 0 { end -= 1 }
        let first = utcDayString(start), last = utcDayString(end)
        return first == last ? "on \(first)" : "from \(first) to \(last)"
    }

    private static func consequence(of policy: Policy) -> (Severity, String) {
        switch policy.policyType {
        case .sts?:
            switch policy.stsMode {
            case "enforce"?:
                return (.crit, "the MTA-STS policy is enforced, so that mail was held back")
            case nil:
                return (.warn, "the report does not give the policy's mode, so that mail was either held back or sent without verified TLS")
            default:
                return (.warn, "the MTA-STS policy is not enforced, so that mail was likely sent without verified TLS")
            }
        case .tlsa?:
            return (.crit, "DANE requires a verified TLS session, so that mail was held back")
        case .noPolicyFound?:
            return (.warn, "no policy applied, so that mail was likely sent without TLS")
        default:
            return (.warn, "the policy type is unknown, so what happened to that mail is unclear")
        }
    }

    /// The receiving MX hosts (or addresses) named by the details of one result type, at most three.
    private static func receivers(_ details: [FailureDetail], resultType: ResultType?) -> String {
        var seen = Set<String>()
        var names: [String] = []
        for detail in details where detail.resultType == resultType {
            let name = [detail.receivingMXHostname, detail.receivingIP].compactMap { $0 }.first { !$0.isEmpty }
            if let name, seen.insert(name).inserted { names.append(name.sanitizedForTerminal) }
        }
        guard names.count > 3 else { return names.joined(separator: ", ") }
        return names.prefix(3).joined(separator: ", ") + " and \(names.count - 3) more"
    }
}
