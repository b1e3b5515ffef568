import Foundation
import STSCore
import STSMIME

/// Bounds on what one ingest run accepts: every input comes from strangers.
public struct IngestLimits: Sendable, Hashable {
    /// Largest report file or single e-mail, in bytes, before decompression.
    public var maxMessageBytes: Int
    /// Largest mbox file; it is mapped, not read, and each message in it must also fit ``maxMessageBytes``.
    public var maxMboxBytes: Int
    /// Bounds on the JSON after decompression; its `maxBytes` is also the gzip output limit (the bomb guard).
    public var report: ReportLimits
    /// Nesting and part-count bounds for e-mail.
    public var mimeDepth: Int
    public var mimeParts: Int
    /// Most reports handed to the sink in one run; the rest wait for the next run. Nil for no limit.
    public var maxReportsPerRun: Int?

    public init(maxMessageBytes: Int = 32 << 20, maxMboxBytes: Int = 16 << 30, report: ReportLimits = .default,
                mimeDepth: Int = 16, mimeParts: Int = 256, maxReportsPerRun: Int? = nil) {
        self.maxMessageBytes = maxMessageBytes
        self.maxMboxBytes = maxMboxBytes
        self.report = report
        self.mimeDepth = mimeDepth
        self.mimeParts = mimeParts
        self.maxReportsPerRun = maxReportsPerRun
    }

    public static let `default` = IngestLimits()

    var mime: MIMELimits {
        MIMELimits(maxMessageBytes: maxMessageBytes, maxDepth: mimeDepth, maxParts: mimeParts)
    }
}

/// An input that was skipped, and why; the run goes on without it.
public struct IngestProblem: Sendable, Hashable, CustomStringConvertible {
    /// The file, message or part: `path`, `path message 3`, `imaps://… UID 17`, with ` part 2 (…)` when inside a mail.
    public var source: String
    public var reason: String

    public init(source: String, reason: String) {
        self.source = source
        self.reason = reason
    }

    public var description: String { "\(source): \(reason)" }
}

/// What one run did.
public struct IngestSummary: Sendable, Hashable {
    /// Inputs examined: report files and e-mail messages.
    public var read = 0
    /// Reports the sink had not seen.
    public var new = 0
    /// Reports the sink already held.
    public var duplicate = 0
    /// Inputs or report parts skipped as malformed, hostile or not reports.
    public var rejected = 0
    /// Why each rejected input was skipped, in the order met (at most ``problemListLimit`` kept).
    public var problems: [IngestProblem] = []
    /// Set when the run stopped early (store failure, connection lost, per-run limit reached).
    public var stoppedEarly: String?

    public static let problemListLimit = 10_000

    public init() {}

    /// Adds another run's counts and problems (e.g. files, then a mailbox).
    public mutating func add(_ other: IngestSummary) {
        read += other.read
        new += other.new
        duplicate += other.duplicate
        rejected += other.rejected
        problems += other.problems.prefix(max(0, Self.problemListLimit - problems.count))
        if stoppedEarly == nil { stoppedEarly = other.stoppedEarly }
    }

    mutating func record(_ problem: IngestProblem) {
        rejected += 1
        if problems.count < Self.problemListLimit { problems.append(problem) }
    }
}

/// Progress as it happens, for a log or a status line.
public enum IngestEvent: Sendable, Hashable {
    /// A report reached the sink.
    case report(source: String, organization: String?, reportID: String?, outcome: ReportInsertOutcome)
    case problem(IngestProblem)
    /// Something worth telling that is not a problem with an input (e.g. UIDVALIDITY changed).
    case note(String)
}
