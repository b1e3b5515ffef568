import Foundation
import STSCore
import STSStore

/// The cache's figures in the Prometheus text exposition format (version 0.0.4), for the node
/// exporter's textfile collector or any scraper.
///
/// Pure: the snapshot in, the text out. Every family has HELP and TYPE lines; label values
/// are escaped as the format requires (backslash, double quote, newline), because domain
/// names are ours but MX host names and report result types come from strangers.
public enum MetricsExposition {
    /// A metric family: name, help, type and samples.
    struct Family {
        var name: String
        var help: String
        var type = "gauge"
        var samples: [(labels: [(String, String)], value: Double)] = []
    }

    public static func render(_ snapshot: MetricsSnapshot) -> String {
        var status = Family(name: "stswatch_domain_status",
                            help: "1 for the domain's latest status (label status: ok, warn, crit, unknown), 0 for the others; a domain never checked is unknown.")
        var code = Family(name: "stswatch_domain_status_code",
                          help: "The latest status as a number, as the exit codes: 0 ok, 1 warn, 2 crit, 3 unknown (also before the first check).")
        var checked = Family(name: "stswatch_domain_checked",
                             help: "1 once the domain has been checked at least once, else 0.")
        var mxExpiry = Family(name: "stswatch_mx_certificate_expiry_days",
                              help: "Days until the MX host's certificate expires (negative once expired), from the latest check.")
        var policyExpiry = Family(name: "stswatch_policy_certificate_expiry_days",
                                  help: "Days until the MTA-STS policy host's certificate expires (negative once expired), from the latest check.")
        var sinceSuccess = Family(name: "stswatch_last_success_age_seconds",
                                  help: "Seconds since the last check of the domain that completed; absent before the first.")
        var failures = Family(name: "stswatch_consecutive_failures",
                              help: "Checks of the domain that failed in a row (0 after a complete check).")
        var reported = Family(name: "stswatch_tlsrpt_failed_sessions",
                              help: "Failed sessions in the stored TLS-RPT reports, by policy domain and result type (shrinks when reports are deleted).")
        let count = Family(name: "stswatch_domains", help: "Watched domains.", samples: [([], Double(snapshot.domains.count))])
        let taken = Family(name: "stswatch_metrics_timestamp_seconds", help: "When these figures were read from the cache (Unix time).",
                           samples: [([], snapshot.takenAt.timeIntervalSince1970.rounded())])

        for d in snapshot.domains {
            let current = d.status ?? .unknown
            for s in DomainStatus.allCases {
                status.samples.append(([("domain", d.name), ("status", s.rawValue)], s == current ? 1 : 0))
            }
            code.samples.append(([("domain", d.name)], Double(current.exitCode)))
            checked.samples.append(([("domain", d.name)], d.status == nil ? 0 : 1))
            var seenMX = Set<String>()
            for cert in d.mxCertificates where seenMX.insert(cert.host).inserted {
                mxExpiry.samples.append(([("domain", d.name), ("mx", cert.host)], rounded(cert.daysLeft)))
            }
            if let cert = d.policyCertificate {
                policyExpiry.samples.append(([("domain", d.name), ("host", cert.host)], rounded(cert.daysLeft)))
            }
            if let age = d.secondsSinceLastSuccess {
                sinceSuccess.samples.append(([("domain", d.name)], age.rounded()))
            }
            failures.samples.append(([("domain", d.name)], Double(d.consecutiveFailures)))
        }
        for r in snapshot.reportFailures {
            reported.samples.append(([("domain", r.domain), ("result_type", r.resultType ?? "")], Double(r.sessions)))
        }
        return [count, status, code, checked, mxExpiry, policyExpiry, sinceSuccess, failures, reported, taken]
            .map(text).joined()
    }

    private static func rounded(_ days: Double) -> Double { (days * 1000).rounded() / 1000 }

    private static func text(_ f: Family) -> String {
        var out = "# HELP \(f.name) \(escapeHelp(f.help))\n# TYPE \(f.name) \(f.type)\n"
        for sample in f.samples {
            out += f.name
            if !sample.labels.isEmpty {
                out += "{" + sample.labels.map { "\($0.0)=\"\(escapeLabel($0.1))\"" }.joined(separator: ",") + "}"
            }
            out += " \(number(sample.value))\n"
        }
        return out
    }

    /// A label value as the format wants it: `\` → `\\`, `"` → `\"`, newline → `\n`.
    public static func escapeLabel(_ value: String) -> String {
        var out = ""
        for ch in value.unicodeScalars {
            switch ch {
            case "\\": out += "\\\\"
            case "\"": out += "\\\""
            case "\n": out += "\\n"
            default: out.unicodeScalars.append(ch)
            }
        }
        return out
    }

    /// HELP text escapes only backslash and newline.
    static func escapeHelp(_ value: String) -> String {
        value.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\n", with: "\\n")
    }

    /// Integers without a fraction, others in Go's float syntax.
    static func number(_ v: Double) -> String {
        if v.isNaN { return "NaN" }
        if v.isInfinite { return v > 0 ? "+Inf" : "-Inf" }
        if v == v.rounded(), abs(v) < 1e15 { return String(Int64(v)) }
        return "\(v)"
    }
}
