import Foundation
import STSCore

/// What `status` adds to a cached assessment: how fresh it is.
struct CacheNote {
    var consecutiveFailures: Int
    var lastSuccessAt: Date?
}

/// The readable form of an assessment, grouped as MTA-STS, TLS-RPT, MX hosts, findings.
enum AssessmentText {
    /// - Parameter cached: for `status`, which reads the cache: the check's time and how stale it is.
    static func print(_ a: Assessment, now: Date, cached: CacheNote? = nil) {
        let s = Output.safe
        Output.line("\(Output.styled(a.domain, .bold))  \(Output.styled(a.status.rawValue.uppercased(), Output.style(for: a.status)))")
        if let cached {
            var line = "  Checked   \(a.checkedAt.formatted(.iso8601)) (\(DurationText.format(seconds: Int(now.timeIntervalSince(a.checkedAt)))) ago)"
            if cached.consecutiveFailures > 0 {
                line += "; \(cached.consecutiveFailures) failed check\(cached.consecutiveFailures == 1 ? "" : "s") in a row"
                if let good = cached.lastSuccessAt { line += ", last complete \(good.formatted(.iso8601))" }
            }
            Output.line(line)
        }
        let sts = a.mtaSts
        var stsLine = "  MTA-STS   TXT \(sts.txt)"
        if let id = sts.txtID { stsLine += ", id \(s(id))" }
        if let mode = sts.mode { stsLine += ", mode \(mode.rawValue)" }
        if let maxAge = sts.maxAge { stsLine += ", max_age \(maxAge) (\(Duration.seconds(maxAge).humanDays))" }
        Output.line(stsLine)
        if !sts.mx.isEmpty { Output.line("            mx \(sts.mx.map(s).joined(separator: ", "))") }
        if let fetch = sts.fetch {
            var line = "            policy \(s(fetch.url)): \(fetch.result == "ok" ? "fetched" : s(fetch.error ?? fetch.result))"
            if let cert = fetch.cert { line += "; certificate expires in \(cert.daysLeft) days" }
            Output.line(line)
        }
        Output.line("  TLS-RPT   " + (a.tlsRpt.rua.isEmpty ? "TXT \(a.tlsRpt.txt)" : a.tlsRpt.rua.map(s).joined(separator: ", ")))
        if a.mx.isEmpty {
            Output.line("  MX        (none probed)")
        }
        for mx in a.mx {
            var parts = ["\(mx.preference)", s(mx.host)]
            parts.append(mx.addresses.isEmpty ? "(no address)" : mx.addresses.map(s).joined(separator: " "))
            parts.append("STARTTLS \(mx.starttls)")
            if let v = mx.tlsVersion { parts.append(s(v)) }
            if let cert = mx.cert {
                parts.append("cert \(cert.daysLeft)d")
                parts.append(cert.trusted ? "trusted" : "untrusted")
                parts.append(cert.nameMatch ? "name ok" : "name mismatch")
            }
            if let covered = mx.coveredByPolicy { parts.append(covered ? "covered" : "NOT covered") }
            Output.line("  MX        " + parts.joined(separator: "  "))
        }
        if a.findings.isEmpty {
            Output.line("  Findings  none")
        } else {
            Output.line("  Findings")
            a.findings.forEach { Output.line(Output.render($0, indent: "    ")) }
        }
        Output.line()
    }
}
