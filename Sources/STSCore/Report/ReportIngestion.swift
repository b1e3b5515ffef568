import Foundation

/// What the e-mail that carried a report said about itself.
///
/// Kept with the report so a postmaster can find the original message; set when the
/// report came in mail, nil for a report read from a file.
public struct MailMeta: Sendable, Hashable, Codable {
    /// Subject, RFC 2047 encoded words decoded.
    public var subject: String?
    /// From, as display text.
    public var from: String?
    /// The Date header as an instant, when it could be read.
    public var date: Date?
    /// The Date header as sent.
    public var dateText: String?
    /// Message-ID without angle brackets.
    public var messageID: String?

    public init(subject: String? = nil, from: String? = nil, date: Date? = nil, dateText: String? = nil, messageID: String? = nil) {
        self.subject = subject
        self.from = from
        self.date = date
        self.dateText = dateText
        self.messageID = messageID
    }
}

/// Whether a report was new to the store; the store tells reports apart by organization and report-id.
public enum ReportInsertOutcome: Sendable, Hashable {
    case inserted
    case duplicate
}

/// How far an IMAP mailbox has been read, so the next run reads only new mail.
///
/// UIDs only keep their meaning while UIDVALIDITY is unchanged (RFC 9051 §2.3.1.1);
/// when it changes the mailbox is read from the start (duplicates are then dropped by the store).
public struct IMAPMailboxState: Sendable, Hashable, Codable {
    public var uidValidity: UInt32
    /// Highest UID whose message has been dealt with (ingested or rejected).
    public var lastUID: UInt32

    public init(uidValidity: UInt32, lastUID: UInt32) {
        self.uidValidity = uidValidity
        self.lastUID = lastUID
    }
}
