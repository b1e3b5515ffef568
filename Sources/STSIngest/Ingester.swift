import Foundation
import STSCore

/// Reads TLS-RPT reports from files, mail folders and IMAP, and hands them to a sink.
///
/// Files and messages are examined in parallel (decompression and parsing are the
/// cost); the sink is called from one loop, one report at a time, because the store
/// behind it is a single writer. A bad input becomes an ``IngestProblem`` and the
/// run goes on; only a failing sink (or a lost IMAP connection) stops it early.
/// Sources are only ever read.
public struct Ingester: Sendable {
    public var sink: any ReportSink
    public var limits: IngestLimits
    /// Files or messages examined at once.
    public var concurrency: Int
    /// Told of each report stored and each problem, as they happen.
    public var onEvent: (@Sendable (IngestEvent) -> Void)?

    public init(sink: any ReportSink, limits: IngestLimits = .default,
                concurrency: Int = ProcessInfo.processInfo.activeProcessorCount,
                onEvent: (@Sendable (IngestEvent) -> Void)? = nil) {
        self.sink = sink
        self.limits = limits
        self.concurrency = max(1, concurrency)
        self.onEvent = onEvent
    }

    /// Ingests report files, e-mail files, mbox files, folders and Maildirs.
    public func ingest(paths: [String]) async -> IngestSummary {
        var summary = IngestSummary()
        let (files, walkProblems) = SourceWalker.collect(paths)
        for problem in walkProblems { reject(problem, into: &summary) }

        var queue: [Examine.Work] = files.map { .file($0) }
        var next = 0
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
                    await deliver(outcome.units, into: &summary)
                }
            }
        }
        return summary
    }

    /// Hands units to the sink in order; false when the run must stop.
    @discardableResult
    func deliver(_ units: [Examine.Unit], into summary: inout IngestSummary) async -> Bool {
        for unit in units {
            switch unit {
            case .problem(let problem):
                reject(problem, into: &summary)
            case .report(let found, let source, let message):
                if let cap = limits.maxReportsPerRun, summary.new + summary.duplicate >= cap {
                    summary.stoppedEarly = "stopped after \(cap) reports (the per-run limit); the rest wait for the next run"
                    return false
                }
                do {
                    let outcome = try await sink.insertReport(found.decoded, raw: found.json, source: source, message: message)
                    switch outcome {
                    case .inserted: summary.new += 1
                    case .duplicate: summary.duplicate += 1
                    }
                    let report = found.decoded.report
                    onEvent?(.report(source: source, organization: report.organizationName, reportID: report.reportID, outcome: outcome))
                } catch {
                    summary.stoppedEarly = "storing the report from \(source) failed: \(error)"
                    onEvent?(.note(summary.stoppedEarly!))
                    return false
                }
            }
        }
        return true
    }

    func reject(_ problem: IngestProblem, into summary: inout IngestSummary) {
        summary.record(problem)
        onEvent?(.problem(problem))
    }
}
