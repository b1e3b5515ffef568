import Foundation
import STSCore
import Synchronization

/// What the poller is doing, for the dashboard's status line.
public struct PollerStatus: Sendable, Hashable {
    public enum State: String, Sendable, Hashable {
        /// Taking the lock, opening the store.
        case starting
        /// Waiting for the next due domain or a re-check request.
        case idle
        case running
        case stopped
    }

    public var state: State = .starting
    public var lastRoundStart: Date?
    public var lastRoundEnd: Date?
    /// Domains checked by the last finished round.
    public var lastRoundChecked = 0
    /// While running: domains in this round and how many are recorded so far.
    public var roundSize = 0
    public var roundDone = 0
    /// The earliest next check over all domains, as the store says after the last round.
    public var nextDue: Date?
    /// What this monitor cannot see, said once rather than as a warning on every domain:
    /// an address family it cannot reach, MX addresses backing off after a rate limit.
    public var note: String?

    public init() {}
}

/// What one round did, for the log, `poll --once` and the benchmark.
public struct RoundReport: Sendable {
    public var start: Date
    public var end: Date
    /// Domains recorded, and how many of each status.
    public var checked = 0
    public var statuses: [DomainStatus: Int] = [:]
    public var events: [DomainEvent] = []
    /// Domains whose result could not be stored (the error is logged).
    public var recordErrors = 0
    /// Never-checked domains moved later in the interval instead of checked now.
    public var spread = 0
    /// Checks left unrecorded because the poller was told to stop.
    public var abandoned = 0
    /// Seconds spent inside `Store.record` (summed over writes, which are serial): wall time,
    /// including waits for a CPU while the probes' threads run.
    public var recordSeconds: Double = 0
    /// CPU seconds the writer's thread spent inside `Store.record`.
    public var recordCPUSeconds: Double = 0
    /// Transactions the checks were recorded in (one per batch).
    public var recordTransactions = 0
    /// Seconds spent reading previous states (summed over concurrent reads).
    public var readSeconds: Double = 0
    public var pruned = 0
    /// Probes that went out per MX address, from the round's ``ProbeCoordinator``.
    public var connectionsPerAddress: [String: Int] = [:]

    public var seconds: Double { end.timeIntervalSince(start) }

    /// "12 domains in 3.2 s: 9 ok, 2 warn, 1 crit; 3 events".
    public var summary: String {
        let counts = DomainStatus.allCases.compactMap { s in statuses[s].map { "\($0) \(s.rawValue)" } }
        var text = "\(checked) domain\(checked == 1 ? "" : "s") in \(String(format: "%.1f", seconds)) s"
        if !counts.isEmpty { text += ": " + counts.joined(separator: ", ") }
        text += "; \(events.count) event\(events.count == 1 ? "" : "s")"
        if spread > 0 { text += "; \(spread) new domains spread over the interval" }
        if recordErrors > 0 { text += "; \(recordErrors) not stored" }
        if abandoned > 0 { text += "; \(abandoned) abandoned at stop" }
        if pruned > 0 { text += "; pruned \(pruned) old observations" }
        return text
    }
}

/// Asks a running poller to stop: it starts no new check, waits a grace period for those in
/// flight, records what finished and returns.
public final class PollerStop: Sendable {
    private let requested = Mutex<Date?>(nil)

    public init() {}

    public func stop(at now: Date = Date()) {
        requested.withLock { if $0 == nil { $0 = now } }
    }

    public var isStopped: Bool { requested.withLock { $0 != nil } }
    var requestedAt: Date? { requested.withLock { $0 } }
}
