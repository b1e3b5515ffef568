import CGMime
import Foundation

/// One e-mail as the report picker needs it: a few decoded headers and its leaf parts.
///
/// A value with no GMime objects in it, so the rest of the program never touches
/// the C library and can hold messages across threads.
public struct MailMessage: Sendable, Hashable {
    /// Subject with RFC 2047 encoded words decoded.
    public var subject: String?
    /// The From addresses as display text, encoded words decoded.
    public var from: String?
    /// The Date header as an instant, when it could be read.
    public var date: Date?
    /// The Date header as sent (unfolded), kept because a date that cannot be read is still worth showing.
    public var dateText: String?
    /// Message-ID without its angle brackets.
    public var messageID: String?
    /// Leaf parts in document order, including those of attached messages (message/rfc822).
    public var parts: [MailPart]
    /// Notes on structure that was skipped (parts nested too deep, too many parts).
    public var notes: [String]

    public init(subject: String? = nil, from: String? = nil, date: Date? = nil, dateText: String? = nil,
                messageID: String? = nil, parts: [MailPart] = [], notes: [String] = []) {
        self.subject = subject
        self.from = from
        self.date = date
        self.dateText = dateText
        self.messageID = messageID
        self.parts = parts
        self.notes = notes
    }
}

/// A leaf MIME part with its transfer encoding undone.
public struct MailPart: Sendable, Hashable {
    /// Lower-cased `type/subtype`, e.g. `application/tlsrpt+gzip`; `text/plain` when the part names none.
    public var contentType: String
    /// Content-Type parameters, names lower-cased, RFC 2231 continuations joined.
    public var parameters: [String: String]
    /// Content-Disposition filename, or the Content-Type `name` parameter.
    public var filename: String?
    /// The part's body with base64 or quoted-printable undone.
    public var body: Data
    /// Where the part sits, as IMAP numbers it: "1", "2.1", "2.1.3".
    public var position: String

    public init(contentType: String, parameters: [String: String] = [:], filename: String? = nil, body: Data, position: String) {
        self.contentType = contentType
        self.parameters = parameters
        self.filename = filename
        self.body = body
        self.position = position
    }
}

/// Bounds on a message read from untrusted mail.
public struct MIMELimits: Sendable, Hashable {
    /// Largest raw message accepted, in bytes.
    public var maxMessageBytes: Int
    /// Deepest nesting of multiparts and attached messages followed; deeper parts are skipped and noted.
    public var maxDepth: Int
    /// Most leaf parts kept; later ones are skipped and noted.
    public var maxParts: Int

    public init(maxMessageBytes: Int, maxDepth: Int, maxParts: Int) {
        self.maxMessageBytes = maxMessageBytes
        self.maxDepth = maxDepth
        self.maxParts = maxParts
    }

    /// 32 MiB, 16 levels, 256 parts: a report mail has 2 or 3 parts at depth 1.
    public static let `default` = MIMELimits(maxMessageBytes: 32 << 20, maxDepth: 16, maxParts: 256)
}

/// Why bytes could not be read as a message.
public enum MIMEError: Error, Sendable, Hashable, CustomStringConvertible {
    case empty
    case tooLarge(size: Int, limit: Int)
    /// GMime found no message (no header block).
    case notAMessage

    public var description: String {
        switch self {
        case .empty: "message is empty"
        case .tooLarge(let size, let limit): "message is \(size) bytes, over the limit of \(limit)"
        case .notAMessage: "not an e-mail message (no header block)"
        }
    }
}
