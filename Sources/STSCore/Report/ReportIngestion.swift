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
///
/// Each case carries the sink's id of the stored report (for a duplicate, the one already
/// held), so a caller can open what it just stored without searching for it.
public enum ReportInsertOutcome: Sendable, Hashable {
    case inserted(Int64)
    case duplicate(Int64)
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

/// Where decoded reports go: the store satisfies it, tests use an in-memory one.
///
/// Declared here, beside the types it speaks, so the ingest path and the store meet without
/// either depending on the other: the store stays free of mail and IMAP code, and the
/// ingest path can be measured against an in-memory sink. A sink drops a report it
/// already holds (same organization and report-id, or the same bytes) and says so.
public protocol ReportSink: Sendable {
    /// Stores one report; `raw` is the report's JSON as sent (after decompression),
    /// `source` names where it came from, `message` describes the carrying e-mail.
    func insertReport(_ decoded: ReportDecodeResult, raw: Data, source: String, message: MailMeta?) async throws -> ReportInsertOutcome
    /// Stores several reports, an outcome per report in order.
    ///
    /// When it throws, a store that commits per batch has stored none of them; the default
    /// (one by one) may have stored those before the failing one, which then count again
    /// as duplicates on the next run.
    ///
    /// Ingestion hands reports over in batches so that a store can commit once per batch
    /// instead of once per report (the commit, not the insert, is what costs).
    func insertReports(_ batch: [ReportInsertion]) async throws -> [ReportInsertOutcome]
}

extension ReportSink {
    /// Stores reports one by one; a sink that can share one transaction among them does better.
    public func insertReports(_ batch: [ReportInsertion]) async throws -> [ReportInsertOutcome] {
        var outcomes: [ReportInsertOutcome] = []
        for item in batch {
            outcomes.append(try await insertReport(item.decoded, raw: item.raw, source: item.source, message: item.message))
        }
        return outcomes
    }
}

/// One report to store, as a batch for ``ReportSink/insertReports(_:)`` holds them.
public struct ReportInsertion: Sendable {
    public var decoded: ReportDecodeResult
    /// The report's JSON exactly as received (after decompression).
    public var raw: Data
    /// Where it came from: a file path, or an IMAP mailbox and UID.
    public var source: String
    /// The carrying e-mail, nil for a report read from a file.
    public var message: MailMeta?
    public var receivedAt: Date

    public init(_ decoded: ReportDecodeResult, raw: Data, source: String, message: MailMeta?, receivedAt: Date) {
        self.decoded = decoded
        self.raw = raw
        self.source = source
        self.message = message
        self.receivedAt = receivedAt
    }
}

/// Remembers how far each IMAP mailbox has been read.
public protocol IMAPStateStore: Sendable {
    /// The saved state for `mailbox` (an IMAP source's state key), or nil before the first run.
    func imapState(mailbox: String) async throws -> IMAPMailboxState?
    /// Saves the state for `mailbox`; called after each message is dealt with.
    func setIMAPState(_ state: IMAPMailboxState, mailbox: String) async throws
}
