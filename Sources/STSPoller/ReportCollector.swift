import Foundation
import Logging
import STSCore
import STSIngest
import STSStore
import Synchronization

/// Where the poller reads TLS-RPT reports from (`[reports]` in the configuration file).
public struct ReportSourceSettings: Sendable {
    /// Files, folders, mbox files and Maildirs (`maildir =` and `path =`).
    public var paths: [String] = []
    /// IMAP mailboxes (`imap =`), all logged into with the one password.
    public var mailboxes: [IMAPSource] = []
    /// Where the IMAP password is read from, at each round (so a rotated password is picked up).
    public var password: IMAPPassword = .environment(IMAPPassword.defaultVariable)
    /// Time between two readings of every source (`interval`, default 15 minutes).
    public var interval: TimeInterval = 900
    /// A source that failed is tried again after this long (at most ``interval``).
    public var retryAfter: TimeInterval = 60

    public init() {}

    public var isEmpty: Bool { paths.isEmpty && mailboxes.isEmpty }
}

/// What one reading of the report sources did, per source.
public struct ReportRoundReport: Sendable {
    public var sources: [(name: String, summary: IngestSummary)] = []
    /// Sources that could not be read to the end (their error is in the summary's `stoppedEarly`).
    public var failed: [String] { sources.filter { $0.summary.stoppedEarly != nil }.map(\.name) }
}

/// Reads the configured report sources into the store on their own schedule, beside the checks.
///
/// Each source is read on its own: a path that vanished, a mailbox that refuses the
/// password or a server that is down is logged and tried again after
/// ``ReportSourceSettings/retryAfter``, while the other sources and the checks go on.
/// Writes go through the poller's writer queue, so the poller stays the one writer.
public final class ReportCollector: Sendable {
    let poller: Poller
    public let settings: ReportSourceSettings
    let environment: [String: String]
    /// When each source is next due, by name; a source absent is due now.
    private let due = Mutex<[String: Date]>([:])

    public init(poller: Poller, settings: ReportSourceSettings,
                environment: [String: String] = ProcessInfo.processInfo.environment) {
        self.poller = poller
        self.settings = settings
        self.environment = environment
    }

    private var logger: Logger { poller.logger }

    /// Reads every source that is due now (all of them on the first call) and returns what each did.
    @discardableResult
    public func runOnce(now: Date = Date()) async -> ReportRoundReport {
        var report = ReportRoundReport()
        let sink = WriterSink(store: poller.store, writer: poller.writer)
        let ingester = Ingester(sink: sink, onEvent: { [logger] event in
            switch event {
            case .problem(let problem): logger.warning("report rejected: \(problem.description.sanitizedForTerminal)")
            case .note(let text): logger.notice("reports: \(text.sanitizedForTerminal)")
            case .report: break
            }
        })
        for path in settings.paths where isDue(path, now: now) {
            let summary: IngestSummary
            if FileManager.default.fileExists(atPath: path) {
                summary = await ingester.ingest(paths: [path])
            } else {
                var missing = IngestSummary()
                missing.stoppedEarly = "\(path): no such file or folder"
                summary = missing
            }
            finish(path, summary, now: now, into: &report)
        }
        if settings.mailboxes.contains(where: { isDue($0.stateKey, now: now) }) {
            var password: String?
            do {
                let (value, warning) = try settings.password.read(environment: environment)
                if let warning { logger.warning("reports: \(warning)") }
                password = value
            } catch {
                for mailbox in settings.mailboxes where isDue(mailbox.stateKey, now: now) {
                    var failed = IngestSummary()
                    failed.stoppedEarly = error.description
                    finish(mailbox.stateKey, failed, now: now, into: &report)
                }
            }
            if let password {
                for mailbox in settings.mailboxes where isDue(mailbox.stateKey, now: now) {
                    let summary = await ingester.ingest(imap: mailbox, password: password, state: sink)
                    finish(mailbox.stateKey, summary, now: now, into: &report)
                }
            }
        }
        return report
    }

    /// Reads the sources whenever they are due until `stop` is signalled.
    public func run(until stop: PollerStop) async {
        guard !settings.isEmpty else { return }
        while !stop.isStopped {
            await runOnce(now: Date())
            let next = due.withLock { $0.values.min() } ?? Date().addingTimeInterval(settings.interval)
            while !stop.isStopped && Date() < next {
                try? await Task.sleep(for: .milliseconds(Int(min(0.2, max(0.01, next.timeIntervalSinceNow)) * 1000)))
            }
        }
    }

    private func isDue(_ name: String, now: Date) -> Bool {
        due.withLock { $0[name].map { $0 <= now } ?? true }
    }

    /// Logs a source's counts and schedules its next reading: soon after a failure, else after the interval.
    private func finish(_ name: String, _ summary: IngestSummary, now: Date, into report: inout ReportRoundReport) {
        report.sources.append((name, summary))
        let counts = "read \(summary.read), new \(summary.new), duplicate \(summary.duplicate), rejected \(summary.rejected)"
        let safeName = name.sanitizedForTerminal
        let retry = min(settings.retryAfter, settings.interval)
        if let stopped = summary.stoppedEarly {
            logger.error("reports \(safeName): \(counts); failed: \(stopped.sanitizedForTerminal); retrying in \(Int(retry)) s")
            due.withLock { $0[name] = now.addingTimeInterval(retry) }
        } else {
            logger.info("reports \(safeName): \(counts)")
            due.withLock { $0[name] = now.addingTimeInterval(settings.interval) }
        }
    }
}

/// The store as a report sink whose writes go through the poller's writer queue.
struct WriterSink: ReportSink, IMAPStateStore {
    let store: Store
    let writer: SerialWriter

    struct Stopped: Error, CustomStringConvertible {
        var description: String { "the poller is stopping; nothing more is written" }
    }

    func insertReport(_ decoded: ReportDecodeResult, raw: Data, source: String, message: MailMeta?) async throws -> ReportInsertOutcome {
        let item = ReportInsertion(decoded, raw: raw, source: source, message: message, receivedAt: Date())
        return try await insertReports([item])[0]
    }

    func insertReports(_ batch: [ReportInsertion]) async throws -> [ReportInsertOutcome] {
        let store = self.store
        guard let outcomes = try await writer.run({ try store.insertReports(batch) }) else { throw Stopped() }
        return outcomes
    }

    func imapState(mailbox: String) async throws -> IMAPMailboxState? {
        try store.imapState(mailbox: mailbox)
    }

    func setIMAPState(_ state: IMAPMailboxState, mailbox: String) async throws {
        let store = self.store
        guard try await writer.run({ try store.setIMAPState(state, mailbox: mailbox) }) != nil else { throw Stopped() }
    }
}
