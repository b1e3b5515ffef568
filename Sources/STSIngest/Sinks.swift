import Foundation
import STSCore

/// Where decoded reports go: the store satisfies it, tests use an in-memory one.
///
/// A protocol so the ingest path does not depend on the store's target and can be
/// measured on its own; the store is expected to drop a report it already holds
/// (same organization and report-id) and say so.
public protocol ReportSink: Sendable {
    /// Stores one report; `raw` is the report's JSON as sent (after decompression),
    /// `source` names where it came from, `message` describes the carrying e-mail.
    func insertReport(_ decoded: ReportDecodeResult, raw: Data, source: String, message: MailMeta?) async throws -> ReportInsertOutcome
}

/// Remembers how far each IMAP mailbox has been read.
public protocol IMAPStateStore: Sendable {
    /// The saved state for `mailbox` (an ``IMAPSource/stateKey``), or nil before the first run.
    func imapState(mailbox: String) async throws -> IMAPMailboxState?
    /// Saves the state for `mailbox`; called after each message is dealt with.
    func setIMAPState(_ state: IMAPMailboxState, mailbox: String) async throws
}
