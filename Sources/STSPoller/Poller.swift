import Foundation
import Logging
import STSCheck
import STSCore
import STSStore
import Synchronization

/// How the poller runs: the schedule, the checks, retention.
public struct PollSettings: Sendable {
    public var schedule = PollSchedule()
    /// Concurrency, per-domain deadline and the judgement's thresholds.
    public var check = CheckSettings()
    /// Raw observations older than this are pruned (events and current state stay).
    public var retention: TimeInterval = 7 * 86_400
    /// How often pruning runs.
    public var pruneEvery: TimeInterval = 3_600
    /// In the continuous loop, never-checked domains beyond this many are spread over the interval.
    public var firstCheckBurst = 256
    /// How long a stopping poller waits for checks in flight before abandoning them.
    public var stopGrace: TimeInterval = 10
    /// How often the idle loop looks for re-check requests and new domains.
    public var wakeInterval: TimeInterval = 1
    /// How long a judged check waits for others to share its transaction: one commit per
    /// batch instead of per check is most of what keeps the store under a tenth of a round.
    /// A SIGKILL loses at most the checks judged in this window and the batch being written.
    public var writeGather: TimeInterval = 0.1
    /// How long an MX probe is shared before it is made again (`[poll] mx_interval`); nil: the poll interval.
    public var mxInterval: TimeInterval?
    /// New SMTP connections to one MX address per minute, at most (`[probe] connections_per_minute`).
    public var connectionsPerMinute = 2
    /// The longest pause after rounds whose writes all failed (disk full, read-only file, busy lock).
    public var writeFailureBackoffMax: TimeInterval = 300

    public init() {}
}

/// Runs rounds of checks and records them: the only steady writer of the store.
///
/// A round takes the re-check requests and the due domains, checks them with bounded
/// concurrency through one ``ProbeCoordinator`` (so each MX address is probed once per round
/// and never by two connections at a time), judges each against its last good state, and
/// hands each result to the writer as soon as it is judged. Writes go through one serial
/// queue, off the cooperative thread pool, in batches gathered over ``PollSettings/writeGather``
/// — a SIGKILL loses only the checks in flight and those judged in the last ~100 ms.
public final class Poller: Sendable {
    public let store: Store
    public let checker: Checker
    public let settings: PollSettings
    let logger: Logger
    let now: @Sendable () -> Date
    let random: @Sendable () -> Double
    let writer: SerialWriter
    /// Shares MX probes across rounds: one probe per MX address per MX interval, whatever the number of domains.
    public let coordinator: ProbeCoordinator
    private let state = Mutex(State())
    private let subscribers = Mutex<[UUID: AsyncStream<PollerStatus>.Continuation]>([:])

    struct State {
        var status = PollerStatus()
        var lastPrune: Date?
    }

    /// - Parameters:
    ///   - now: the clock; defaults to the environment's, which also times the observations.
    ///   - random: draws from 0..<1 for the jitter.
    public init(store: Store, environment: CheckEnvironment, settings: PollSettings, logger: Logger,
                now: (@Sendable () -> Date)? = nil, random: @escaping @Sendable () -> Double = { Double.random(in: 0..<1) }) {
        self.store = store
        self.checker = Checker(environment: environment, settings: settings.check)
        self.settings = settings
        self.logger = logger
        self.now = now ?? environment.now
        self.random = random
        let writer = SerialWriter(store: store, gather: settings.writeGather, clock: { Date() })
        self.writer = writer
        var sharing = ProbeSharing(maxAge: settings.mxInterval ?? settings.schedule.interval,
                                   connectionsPerMinute: settings.connectionsPerMinute)
        sharing.maxBackoff = max(sharing.initialBackoff, 6 * 3600)
        let stored = (try? store.sharedProbes()) ?? []
        self.coordinator = ProbeCoordinator(environment: environment, rules: settings.check.destinations, sharing: sharing,
                                            stored: stored, onProbe: { writer.record(probe: $0) })
    }

    // MARK: Status

    /// The poller's state now.
    public var status: PollerStatus { state.withLock { $0.status } }

    /// Every change of ``status``, starting with the current value; ends when the poller stops.
    public func statusUpdates() -> AsyncStream<PollerStatus> {
        let id = UUID()
        let (stream, continuation) = AsyncStream.makeStream(of: PollerStatus.self, bufferingPolicy: .bufferingNewest(8))
        continuation.yield(status)
        continuation.onTermination = { [weak self] _ in _ = self?.subscribers.withLock { $0.removeValue(forKey: id) } }
        subscribers.withLock { $0[id] = continuation }
        return stream
    }

    private func updateStatus(_ change: (inout PollerStatus) -> Void) {
        let value = state.withLock { s -> PollerStatus in
            change(&s.status)
            return s.status
        }
        for c in subscribers.withLock({ Array($0.values) }) { c.yield(value) }
    }

    // MARK: Rounds

    /// Checks every due domain and every domain with a re-check request, now, and returns.
    ///
    /// For cron and tests: never-checked domains are not spread over the interval. Every
    /// write has finished when it returns.
    @discardableResult
    public func runOnce(stop: PollerStop = PollerStop()) async throws -> RoundReport {
        let requests = try store.takeRecheckRequests()
        let report = try await round(requests: requests, spreadNew: false, stop: stop)
        updateStatus { $0.state = .idle }
        return report
    }

    /// Runs rounds until `stop` is signalled: each due domain when it is due, re-check requests
    /// and newly added domains within about a second.
    ///
    /// On stop it starts no new check, waits ``PollSettings/stopGrace`` for checks in flight,
    /// and returns once every write has finished; nothing is written after it returns.
    public func run(until stop: PollerStop) async {
        logger.info("poller started", metadata: ["db": "\(store.path)"])
        var requests: (all: Bool, domains: [String]) = (false, [])
        var lastVersion = (try? store.dataVersion()) ?? -1
        var failedWriteRounds = 0
        loop: while !stop.isStopped {
            let pending = requests
            requests = (false, [])
            let roundTask = Task { try await self.round(requests: pending, spreadNew: true, stop: stop) }
            let finished = await waitFor(roundTask, stop: stop)
            if !finished {
                logger.notice("stopping: abandoned the checks still in flight after \(Int(settings.stopGrace)) s")
                break loop
            }
            switch await roundTask.result {
            case .failure(let error):
                logger.error("round failed: \(error)")
                if await sleep(seconds: 5, stop: stop) { break loop }
            case .success(let report) where report.recordErrors > 0 && report.checked == 0:
                // Nothing could be written (disk full, read-only file, lock): the domains stay due,
                // and probing them all again at once would only repeat the failure. Back off.
                failedWriteRounds += 1
                let pause = min(settings.writeFailureBackoffMax, 5 * pow(2, Double(min(failedWriteRounds - 1, 16))))
                logger.error("no check of the round could be written; next round in \(Int(pause)) s")
                if await sleep(seconds: pause, stop: stop) { break loop }
            case .success:
                failedWriteRounds = 0
            }
            // Idle until something is due, a re-check is requested, or a domain is added.
            updateStatus { $0.state = .idle }
            while !stop.isStopped {
                do {
                    let version = try store.dataVersion()
                    if version != lastVersion {
                        lastVersion = version
                        requests = try store.takeRecheckRequests()
                        if requests.all || !requests.domains.isEmpty {
                            logger.info("re-check requested: \(requests.all ? "every domain" : requests.domains.joined(separator: ", "))")
                            break
                        }
                    }
                    let next = try store.nextDueAt()
                    updateStatus { $0.nextDue = next }
                    if let next, next <= now() { break }
                    let wait = next.map { min(settings.wakeInterval, max(0.01, $0.timeIntervalSince(now()))) } ?? settings.wakeInterval
                    if await sleep(seconds: wait, stop: stop) { break loop }
                } catch {
                    logger.error("reading the schedule failed: \(error)")
                    if await sleep(seconds: 5, stop: stop) { break loop }
                }
            }
        }
        await writer.close()
        updateStatus { $0.state = .stopped }
        finishSubscribers()
        logger.info("poller stopped")
    }

    private func finishSubscribers() {
        for c in subscribers.withLock({ Array($0.values) }) { c.finish() }
    }

    /// Sleeps in short steps so a stop is noticed quickly; true when stopped.
    private func sleep(seconds: TimeInterval, stop: PollerStop) async -> Bool {
        let end = Date().addingTimeInterval(seconds)
        while !stop.isStopped {
            let left = end.timeIntervalSinceNow
            if left <= 0 { return false }
            try? await Task.sleep(for: .milliseconds(Int(min(left, 0.2) * 1000) + 1))
        }
        return true
    }

    /// Waits for a round; after a stop, no longer than the grace period. True when it finished.
    private func waitFor(_ task: Task<RoundReport, any Error>, stop: PollerStop) async -> Bool {
        let done = Mutex(false)
        let watcher = Task { _ = await task.result; done.withLock { $0 = true } }
        defer { watcher.cancel() }
        while !done.withLock({ $0 }) {
            if let stoppedAt = stop.requestedAt, Date().timeIntervalSince(stoppedAt) > settings.stopGrace { return false }
            try? await Task.sleep(for: .milliseconds(50))
        }
        return true
    }

    /// One round: due domains plus requested ones, checked and recorded one by one.
    func round(requests: (all: Bool, domains: [String]), spreadNew: Bool, stop: PollerStop) async throws -> RoundReport {
        let start = now()
        var report = RoundReport(start: start, end: start)
        let records = Dictionary(try store.domains().map { ($0.name, $0) }, uniquingKeysWith: { a, _ in a })
        var names: [String] = []
        var chosen = Set<String>()
        func take(_ name: String) { if records[name] != nil, chosen.insert(name).inserted { names.append(name) } }
        if requests.all { records.keys.sorted().forEach(take) }
        requests.domains.forEach(take)
        var due = try store.domainsDue(now: start, limit: Int.max / 2).filter { !chosen.contains($0) }
        if spreadNew {
            let new = due.filter { records[$0]?.lastCheckedAt == nil && records[$0]?.nextDueAt == nil }
            if new.count > settings.firstCheckBurst {
                let times = settings.schedule.spreadFirstChecks(count: new.count, burst: settings.firstCheckBurst, now: start)
                let later = Array(zip(new, times).dropFirst(settings.firstCheckBurst))
                let store = self.store
                _ = try await writer.run { for (name, time) in later { try store.schedule(domain: name, nextDue: time) } }
                let moved = Set(later.map(\.0))
                due.removeAll { moved.contains($0) }
                report.spread = later.count
            }
        }
        let fresh = chosen
        due.forEach(take)

        updateStatus {
            $0.state = .running
            $0.lastRoundStart = start
            $0.roundSize = names.count
            $0.roundDone = 0
        }
        let coordinator = self.coordinator
        let connectionsBefore = await coordinator.connectionsPerAddress
        let collected = Tally(report)
        // Each check returns the task recording it; the writes are waited for here, not in the checks' slots.
        var writes: [Task<Void, Never>] = []
        await withTaskGroup(of: Task<Void, Never>.self) { group in
            var pending = names.makeIterator()
            func startNext() -> Bool {
                guard !stop.isStopped, let name = pending.next() else { return false }
                group.addTask {
                    await self.checkAndRecord(name, record: records[name], coordinator: coordinator, fresh: fresh.contains(name), into: collected)
                }
                return true
            }
            for _ in 0..<settings.check.concurrency where !startNext() { break }
            while let write = await group.next() {
                writes.append(write)
                _ = startNext()
            }
        }
        for write in writes { await write.value }
        report = collected.value
        report.abandoned = names.count - report.checked - report.recordErrors
        // The coordinator counts for its whole life; the round reports its own connections.
        report.connectionsPerAddress = await coordinator.connectionsPerAddress.reduce(into: [:]) { delta, entry in
            let made = entry.value - (connectionsBefore[entry.key] ?? 0)
            if made > 0 { delta[entry.key] = made }
        }
        report.pruned = try await pruneIfDue(now: now())
        report.end = now()
        let nextDue = try? store.nextDueAt()
        let finished = report
        let note = await monitorNote()
        updateStatus {
            $0.lastRoundEnd = finished.end
            $0.lastRoundChecked = finished.checked
            $0.nextDue = nextDue
            $0.note = note
        }
        if names.isEmpty && report.pruned == 0 {
            logger.debug("round: nothing due")
        } else {
            logger.info("round: \(report.summary)", metadata: ["next_due": "\(nextDue.map { $0.formatted(.iso8601) } ?? "none")"])
        }
        return report
    }

    /// Checks one domain, judges it against its last good state, and hands the result to the
    /// writer; returns the task that records it.
    ///
    /// The check's concurrency slot is free as soon as the result is judged: waiting for the
    /// writer's next batch (``PollSettings/writeGather``) would otherwise hold up the probes.
    private func checkAndRecord(_ name: String, record: DomainRecord?, coordinator: ProbeCoordinator, fresh: Bool,
                                into report: Tally) async -> Task<Void, Never> {
        let readStart = Date()
        let (current, lastGood) = baseline(name, record: record)
        let readSeconds = Date().timeIntervalSince(readStart)
        let observation = await checker.observe(name, coordinator: coordinator, freshProbes: fresh)
        let assessment = Judge.assess(observation, previous: (lastGood ?? current).map(PreviousState.init),
                                      settings: settings.check.judgement)
        let failed = assessment.status == .unknown
        let events = PollEvents.between(current: current, lastGood: lastGood, new: assessment, failed: failed)
        let nextDue = settings.schedule.nextDue(after: now(), domainInterval: record?.intervalSeconds, failed: failed,
                                                previousFailures: record?.consecutiveFailures ?? 0, random: random())
        let prepared: Store.PreparedCheck
        do {
            prepared = try Store.prepare(observation: observation, assessment: assessment)
        } catch {
            logger.error("\(name): cannot record the check: \(error)")
            report.withLock { $0.recordErrors += 1 }
            return Task {}
        }
        return Task {
            guard let written = await writer.record(CheckRecord(prepared, nextDue: nextDue, failed: failed, events: events)) else {
                return
            }
            do {
                let outcome = try written.result.get()
                logger.debug("\(name): \(assessment.status.rawValue), \(assessment.findings.count) findings, next \(nextDue.formatted(.iso8601))")
                for event in outcome.events {
                    logger.notice("event \(event.domain) \(event.kind.rawValue) [\(event.subject)]: \(event.message)")
                }
                report.withLock {
                    $0.checked += 1
                    $0.statuses[assessment.status, default: 0] += 1
                    $0.events += outcome.events
                    $0.recordSeconds += written.seconds
                    $0.recordCPUSeconds += written.cpuSeconds
                    if written.firstOfBatch { $0.recordTransactions += 1 }
                    $0.readSeconds += readSeconds
                }
                updateStatus { $0.roundDone += 1 }
            } catch {
                logger.error("\(name): cannot record the check: \(error)")
                report.withLock { $0.recordErrors += 1 }
            }
        }
    }

    /// What this monitor cannot see now, for the status line; logged once when it changes.
    private func monitorNote() async -> String? {
        let families = await coordinator.unavailableFamilies.keys.map { $0 == .ipv6 ? "IPv6" : "IPv4" }.sorted()
        let limited = await coordinator.rateLimitedAddresses.count
        var parts = families.map { "no \($0) connectivity from this monitor: its addresses are not probed" }
        if limited > 0 { parts.append("\(limited) MX address\(limited == 1 ? "" : "es") rate-limiting us (backing off)") }
        let note = parts.isEmpty ? nil : parts.joined(separator: "; ")
        if note != status.note {
            if let note { logger.notice("monitor: \(note)") } else { logger.notice("monitor: every address family reachable, no rate limit") }
        }
        return note
    }

    /// The assessment the store shows now, and the latest one from a check that completed.
    ///
    /// After failures the current state is blind; the last good one comes from re-judging the
    /// newest stored observation that did not fail (kept for the retention period).
    func baseline(_ name: String, record: DomainRecord?) -> (current: Assessment?, lastGood: Assessment?) {
        do {
            let current = try store.previousAssessment(domain: name)
            guard let record, record.consecutiveFailures > 0 else { return (current, current) }
            let good = try store.observations(domain: name, limit: 64).first { !$0.failed }
            return (current, good.map { Judge.assess($0.observation, previous: nil, settings: settings.check.judgement) })
        } catch {
            logger.warning("\(name): cannot read the previous state, judging without it: \(error)")
            return (nil, nil)
        }
    }

    /// Deletes old raw observations once per ``PollSettings/pruneEvery``; returns how many.
    private func pruneIfDue(now: Date) async throws -> Int {
        let due = state.withLock { s -> Bool in
            guard s.lastPrune.map({ now.timeIntervalSince($0) >= settings.pruneEvery }) ?? true else { return false }
            s.lastPrune = now
            return true
        }
        guard due else { return 0 }
        let store = self.store, cutoff = now.addingTimeInterval(-settings.retention)
        return try await writer.run {
            try store.prune(probesOlderThan: cutoff)
            return try store.prune(observationsOlderThan: cutoff)
        } ?? 0
    }
}

/// A round's report, filled in by concurrent checks.
final class Tally: Sendable {
    private let report: Mutex<RoundReport>
    init(_ report: RoundReport) { self.report = Mutex(report) }
    var value: RoundReport { report.withLock { $0 } }
    func withLock(_ change: (inout RoundReport) -> Void) { report.withLock { change(&$0) } }
}
