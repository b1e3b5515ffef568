import ArgumentParser
import Foundation
import STSCore
import STSGzip

struct LintReport: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "report",
        abstract: "Check a TLS-RPT aggregate report (RFC 8460 §4), plain JSON or gzip.",
        discussion: """
            Gzip is detected by content, whatever the file is called. Oddities real senders produce \
            (mx-host as a string, date-times without a time zone, totals that do not add up) are \
            listed but do not make the report invalid; only something that is not a TLS-RPT report does.
            """)

    @Argument(help: "The report file (.json or gzip), or - for standard input.")
    var file: String

    @OptionGroup var options: LintOptions

    /// Compressed input and its decompressed form are both bounded, so a gzip bomb cannot fill memory.
    static let compressedLimit = 16 << 20

    func run() throws {
        try runLint {
            var bytes = try readInput(file, limit: Self.compressedLimit)
            let name = file == "-" ? "(stdin)" : file
            if Gzip.isGzip(bytes) {
                do {
                    bytes = Array(try Gzip.decompress(bytes, limit: ReportLimits.default.maxBytes))
                } catch {
                    return report(invalid: "\(name): \(error)")
                }
            }
            let decoded: ReportDecodeResult
            do {
                decoded = try TLSReport.decode(bytes)
            } catch {
                return report(invalid: "\(name): \(error)")
            }
            let findings = decoded.findings()
            if options.json {
                try Output.jsonLine(ReportLintJSON(input: file, valid: true, report: decoded.report,
                                                   oddities: decoded.oddities, error: nil, findings: findings))
            } else {
                printHuman(decoded, name: name, findings: findings)
            }
            return true
        }
    }

    private func report(invalid message: String) -> Bool {
        let finding = Finding(code: .reportInvalid, severity: .crit, subject: file, message: message)
        if options.json {
            try? Output.jsonLine(ReportLintJSON(input: file, valid: false, report: nil, oddities: [],
                                                error: message, findings: [finding]))
        } else {
            Output.line(Output.styled("not a usable TLS-RPT report", .crit))
            Output.line(Output.render(finding))
        }
        return false
    }

    private func printHuman(_ decoded: ReportDecodeResult, name: String, findings: [Finding]) {
        let r = decoded.report
        let s = Output.safe
        Output.line("\(s(name)): \(Output.styled("TLS-RPT report", .ok)) from \(s(r.organizationName ?? "(no organization-name)"))")
        Output.line("  report-id  \(s(r.reportID ?? "(none)"))")
        if let range = r.dateRange {
            Output.line("  period     \(s(range.start?.text ?? "?")) to \(s(range.end?.text ?? "?"))")
        }
        if let contact = r.contactInfo { Output.line("  contact    \(s(contact))") }
        Output.line("  sessions   \(r.totalSuccessful) successful, \(r.totalFailed) failed")
        for (i, p) in r.policies.enumerated() {
            let type = p.policy.policyType?.rawValue ?? "(no policy-type)"
            let domain = p.policy.policyDomain ?? "(no policy-domain)"
            Output.line("  policy \(i + 1)   \(s(type)) \(s(domain)): \(p.successfulSessions) ok, \(p.failedSessions) failed")
            for detail in p.failureDetails ?? [] {
                var parts = ["\(detail.failedSessionCount ?? 0) × \(detail.resultType?.rawValue ?? "?")"]
                if let mx = detail.receivingMXHostname { parts.append("mx \(mx)") }
                if let ip = detail.receivingIP { parts.append("at \(ip)") }
                if let ip = detail.sendingMTAIP, !ip.isEmpty { parts.append("from \(ip)") }
                if let code = detail.failureReasonCode { parts.append("(\(code))") }
                Output.line("             \(s(parts.joined(separator: " ")))")
            }
        }
        findings.forEach { Output.line(Output.render($0)) }
    }
}

struct ReportLintJSON: Encodable {
    var input: String
    var valid: Bool
    /// The report under the RFC's field names.
    var report: TLSReport?
    var oddities: [String]
    var error: String?
    var findings: [Finding]
}
