import Foundation
import STSCore

/// Reads TLS-RPT reports from files, mail folders and IMAP, and hands them to a sink.
///
/// Files and messages are examined in parallel (decompression and parsing are the
/// cost); the sink is called from one loop, with batches of up to ``batchSize`` reports,
/// because the store behind it is a single writer whose cost is the commit. A bad input becomes an ``IngestProblem`` and the
/// run goes on; only a failing sink (or a lost IMAP connection) stops it early.
/// Sources are only ever read.
public struct Ingester: Sendable {
    public var sink: any ReportSink
    public var limits: IngestLimits
    /// Files or messages examined at once.
    public var concurrency: Int
    /// Reports handed to the sink at once when reading files (IMAP hands over each message's
    /// reports at once, so its saved position never runs ahead of what is stored).
    public var batchSize: Int
    /// Told of each report stored and each problem, as they happen.
    public var onEvent: (@Sendable (IngestEvent) -> Void)?

    public init(sink: any ReportSink, limits: IngestLimits = .default,
                concurrency: Int = ProcessInfo.processInfo.activeProcessorCount, batchSize: Int = 500,
                onEvent: (@Sendable (IngestEvent) -> Void)? = nil) {
        self.sink = sink
        self.limits = limits
        self.concurrency = max(1, concurrency)
        self.batchSize = max(1, batchSize)
        self.onEvent = onEvent
    }

    /// Ingests report files, e-mail files, mbox files, folders and Maildirs.
    public func ingest(paths: [String]) async -> IngestSummary {
        var summary = IngestSummary()
        let (files, walkProblems) = SourceWalker.collect(paths)
        for problem in walkProblems { reject(problem, into: &summary) }

        var queue: [Examine.Work] = files.map { .file($0) }
        var next = 0
        var pending: [Pending] = []
        let limits = limits
        await withTaskGroup(of: Examine.Outcome.self) { group in
            var running = 0
            while true {
                while running < concurrency && next < queue.count && summary.stoppedEarly == nil {
                    let work = queue[next]
                    // Let the queue's memory go as it is consumed (an mbox's items hold its mapping).
                    queue[next] = .file(SourceWalker.File(path: "", isMaildirMessage: false))
                    next += 1
                    running += 1
                    group.addTask { Examine.run(work, limits: limits) }
                }
                guard running > 0, let outcome = await group.next() else { break }
                running -= 1
                summary.read += outcome.read
                queue.append(contentsOf: outcome.more)
                if summary.stoppedEarly == nil {
                    await deliver(outcome.units, pending: &pending, flushAt: batchSize, into: &summary)
                }
            }
        }
        if summary.stoppedEarly == nil { await flush(&pending, into: &summary) }
        return summary
    }

    /// A report examined and waiting for the sink.
    struct Pending {
        var found: FoundReport
        var source: String
        var message: MailMeta?
    }

    /// Rejects problems at once and queues reports, handing the queue to the sink whenever it
    /// holds `flushAt` reports; false when the run must stop.
    @discardableResult
    func deliver(_ units: [Examine.Unit], pending: inout [Pending], flushAt: Int, into summary: inout IngestSummary) async -> Bool {
        for unit in units {
            switch unit {
            case .problem(let problem):
                reject(problem, into: &summary)
            case .report(let found, let source, let message):
                if let cap = limits.maxReportsPerRun, summary.new + summary.duplicate + pending.count >= cap {
                    guard await flush(&pending, into: &summary) else { return false }
                    summary.stoppedEarly = "stopped after \(cap) reports (the per-run limit); the rest wait for the next run"
                    return false
                }
                pending.append(Pending(found: found, source: source, message: message))
                if pending.count >= flushAt {
                    guard await flush(&pending, into: &summary) else { return false }
                }
            }
        }
        return true
    }

    /// Hands the queued reports to the sink as one batch; false (and the run stopped) when the sink fails.
    @discardableResult
    func flush(_ pending: inout [Pending], into summary: inout IngestSummary) async -> Bool {
        guard !pending.isEmpty else { return true }
        let batch = pending
        pending.removeAll(keepingCapacity: true)
        let now = Date()
        let outcomes: [ReportInsertOutcome]
        do {
            outcomes = try await sink.insertReports(batch.map {
                ReportInsertion($0.found.decoded, raw: $0.found.json, source: $0.source, message: $0.message, receivedAt: now)
            })
        } catch {
            let sources = batch.count == 1 ? batch[0].source : "\(batch[0].source) and \(batch.count - 1) more"
            summary.stoppedEarly = "storing the reports from \(sources) failed: \(error)"
            onEvent?(.note(summary.stoppedEarly!))
            return false
        }
        for (item, outcome) in zip(batch, outcomes) {
            switch outcome {
            case .inserted: summary.new += 1
            case .duplicate: summary.duplicate += 1
            }
            let report = item.found.decoded.report
            onEvent?(.report(source: item.source, organization: report.organizationName, reportID: report.reportID, outcome: outcome))
        }
        return true
    }

    func reject(_ problem: IngestProblem, into summary: inout IngestSummary) {
        summary.record(problem)
        onEvent?(.problem(problem))
    }
}
