import Foundation
import STSCore
import STSGzip
import STSMIME

/// What one part of a mail gave: a report, or why the part that looked like one was not.
public enum PartResult: Sendable {
    case report(FoundReport, part: String)
    case problem(part: String, reason: String)
}

/// Picks TLS-RPT reports out of an e-mail.
///
/// RFC 8460 §5.3 asks for `multipart/report; report-type=tlsrpt` with one
/// `application/tlsrpt+gzip` or `+json` part. Real senders also use
/// `application/gzip`, `application/x-gzip`, `application/json`,
/// `application/octet-stream` with a `.gz` or `.json` name, add parts before or
/// after, or forward the report as an attached message; all of those are accepted.
/// A part is a candidate by its type, its file name, or (for octet-stream) its
/// content; text and other attachments are not reports and are left alone.
public enum ReportPicker {
    static let reportTypes: Set<String> = [
        "application/tlsrpt+gzip", "application/tlsrpt+json", "application/tlsrpt",
        "application/gzip", "application/x-gzip", "application/gzip-compressed", "application/x-gzip-compressed",
        "application/json",
    ]

    /// True when `part` should be read as a report.
    public static func isCandidate(_ part: MailPart) -> Bool {
        if reportTypes.contains(part.contentType) { return true }
        let name = (part.filename ?? part.parameters["name"] ?? "").lowercased()
        if name.hasSuffix(".json") || name.hasSuffix(".json.gz") || name.hasSuffix(".gz") { return true }
        if part.contentType == "application/octet-stream" {
            return Gzip.isGzip(part.body) || ReportPayload.startsLikeJSON(part.body)
        }
        return false
    }

    /// Every report in `mail`, or problems naming the parts that failed; a mail with no candidate part is one problem.
    public static func reports(in mail: MailMessage, limits: ReportLimits) -> [PartResult] {
        var results: [PartResult] = []
        for part in mail.parts where isCandidate(part) {
            let label = describe(part)
            switch ReportPayload.decode(part.body, limits: limits) {
            case .success(let found): results.append(.report(found, part: label))
            case .failure(let error): results.append(.problem(part: label, reason: error.description))
            }
        }
        if results.isEmpty {
            let types = mail.parts.map(\.contentType)
            var reason = "no TLS-RPT report in the message (parts: \(types.isEmpty ? "none" : types.joined(separator: ", ")))"
            if !mail.notes.isEmpty { reason += "; " + mail.notes.joined(separator: "; ") }
            results.append(.problem(part: "", reason: reason))
        }
        return results
    }

    /// `part 2 (application/gzip, "x.json.gz")`
    static func describe(_ part: MailPart) -> String {
        var text = "part \(part.position) (\(part.contentType)"
        if let name = part.filename ?? part.parameters["name"] {
            text += ", \"" + TerminalSafe.clip(name, 120) + "\""
        }
        return text + ")"
    }

    /// The mail's own description, for the store.
    public static func meta(_ mail: MailMessage) -> MailMeta {
        MailMeta(subject: mail.subject, from: mail.from, date: mail.date, dateText: mail.dateText, messageID: mail.messageID)
    }
}

/// Keeps names from mail short and free of escape sequences before they reach a log line.
enum TerminalSafe {
    static func clip(_ text: String, _ limit: Int) -> String {
        let cleaned = text.sanitizedForTerminal
        return cleaned.count <= limit ? cleaned : String(cleaned.prefix(limit)) + "…"
    }
}
