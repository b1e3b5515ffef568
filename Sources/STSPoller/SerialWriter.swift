import Dispatch
import Foundation
import STSCore
import STSStore
import Synchronization

/// Runs the poller's writes one at a time on a queue of their own, and refuses them once closed.
///
/// SQLite has one writer anyway; a dedicated queue keeps blocking writes off the cooperative
/// thread pool that the probes' tasks need, and `close()` — queued behind the writes already
/// asked for — is the point after which nothing is written, so the lock can be released.
///
/// Checks are recorded in batches: each ``record(_:)`` joins the checks waiting; the first
/// of them queues a drain `gather` seconds later, which stores all that have arrived by then
/// in one transaction (``Store/record(batch:)``). A check waits about `gather` plus the batch
/// ahead of it, a fraction of a second, so a SIGKILL loses only the checks in flight and those
/// judged just before; a busy writer batches more.
final class SerialWriter: Sendable {
    /// The most checks stored in one transaction, so that readers and commands waiting for the
    /// write lock never wait long.
    static let maxBatch = 256

    private let queue = DispatchQueue(label: "stswatch.poller.writer")
    private let open = Mutex(true)
    private let store: Store
    private let clock: @Sendable () -> Date
    private let waiting = Mutex(Waiting())
    /// Checkpoints run here, beside the writes: a PASSIVE checkpoint never blocks a commit, and
    /// its fsyncs no longer stall the writer as a checkpoint inside a commit would.
    private let checkpointQueue = DispatchQueue(label: "stswatch.poller.checkpoint")
    /// A checkpoint is queued or running; when the last one started.
    private let checkpointing = Mutex<(busy: Bool, last: Date?)>((false, nil))
    /// How often the WAL is checkpointed while checks are being written.
    static let checkpointEvery: TimeInterval = 1

    private struct Waiting {
        var checks: [(CheckRecord, CheckedContinuation<Written?, Never>)] = []
        /// Shared MX probes made since the last batch, written with it.
        var probes: [SharedProbe] = []
        /// A drain is queued and has not yet taken the waiting checks.
        var drainQueued = false
    }

    /// How long the first check of a batch waits for others before the batch is written.
    private let gather: DispatchTimeInterval

    init(store: Store, gather: TimeInterval, clock: @escaping @Sendable () -> Date) {
        self.store = store
        self.gather = .microseconds(Int(max(0, gather) * 1e6))
        self.clock = clock
    }

    /// Runs `body` after every earlier write; nil once closed.
    func run<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T? {
        try await timed(body).map(\.0)
    }

    /// As ``run(_:)``, also returning the seconds `body` took.
    func timed<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> (T, Double)? {
        try await withCheckedThrowingContinuation { continuation in
            queue.async {
                guard self.open.withLock({ $0 }) else { return continuation.resume(returning: nil) }
                let start = self.clock()
                do {
                    let value = try body()
                    continuation.resume(returning: (value, self.clock().timeIntervalSince(start)))
                } catch {
                    continuation.resume(throwing: error)
                }
            }
        }
    }

    /// A recorded check.
    struct Written: Sendable {
        var result: Result<RecordOutcome, any Error>
        /// The check's share of its batch's wall and CPU time.
        var seconds: Double
        var cpuSeconds: Double
        /// True for one check of each batch, so that a sum counts transactions.
        var firstOfBatch: Bool
    }

    /// Records one check in the next batch; nil once closed.
    func record(_ check: CheckRecord) async -> Written? {
        await withCheckedContinuation { continuation in
            let queueDrain = waiting.withLock { w -> Bool in
                w.checks.append((check, continuation))
                defer { w.drainQueued = true }
                return !w.drainQueued
            }
            // The drain waits a moment for more checks to join, unless the writer is still busy
            // with the batch before (then they join anyway): one commit for many checks.
            if queueDrain { queue.asyncAfter(deadline: .now() + gather) { self.drain() } }
        }
    }

    /// Keeps a new shared MX probe for the next batch (written even when no check joins it).
    func record(probe: SharedProbe) {
        let queueDrain = waiting.withLock { w -> Bool in
            w.probes.append(probe)
            defer { w.drainQueued = true }
            return !w.drainQueued
        }
        if queueDrain { queue.asyncAfter(deadline: .now() + gather) { self.drain() } }
    }

    /// Stores every waiting check, at most ``maxBatch`` per transaction, with the waiting probes.
    private func drain() {
        var (checks, probes) = waiting.withLock { w in
            defer { w.checks = []; w.probes = []; w.drainQueued = false }
            return (w.checks, w.probes)
        }
        guard open.withLock({ $0 }) else {
            for (_, continuation) in checks { continuation.resume(returning: nil) }
            return
        }
        if checks.isEmpty, !probes.isEmpty {
            // Lost probes cost only a reconnect later; they are never worth stopping for.
            try? store.save(probes: probes)
        }
        for batch in checks.chunked(Self.maxBatch) {
            let start = clock(), cpuStart = Self.threadCPUSeconds()
            let results: [Result<RecordOutcome, any Error>]
            do {
                results = try store.record(batch: batch.map(\.0), probes: probes)
                probes = []
            } catch {
                results = Array(repeating: .failure(error), count: batch.count)
            }
            let share = clock().timeIntervalSince(start) / Double(batch.count)
            let cpuShare = (Self.threadCPUSeconds() - cpuStart) / Double(batch.count)
            for (index, ((_, continuation), result)) in zip(batch, results).enumerated() {
                continuation.resume(returning: Written(result: result, seconds: share, cpuSeconds: cpuShare, firstOfBatch: index == 0))
            }
        }
        checkpointIfDue()
    }

    /// Starts a checkpoint on its own queue when none is running and the last is a second old.
    ///
    /// A failed checkpoint is left for the next (the WAL keeps every commit safe meanwhile,
    /// and ``Store/walAutocheckpointPages`` bounds its growth).
    private func checkpointIfDue() {
        let now = clock()
        let due = checkpointing.withLock { c -> Bool in
            guard !c.busy, c.last.map({ now.timeIntervalSince($0) >= Self.checkpointEvery }) ?? true else { return false }
            c = (true, now)
            return true
        }
        guard due else { return }
        checkpointQueue.async {
            if self.open.withLock({ $0 }) { _ = try? self.store.checkpoint() }
            self.checkpointing.withLock { $0.busy = false }
        }
    }

    /// CPU time of the calling thread (GRDB runs a write on the thread that asks for it).
    static func threadCPUSeconds() -> Double {
        var t = timespec()
        clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t)
        return Double(t.tv_sec) + Double(t.tv_nsec) / 1e9
    }

    /// Waits for the writes and the checkpoint already queued, then refuses any more.
    func close() async {
        await withCheckedContinuation { continuation in
            queue.async {
                self.open.withLock { $0 = false }
                continuation.resume()
            }
        }
        await withCheckedContinuation { continuation in checkpointQueue.async { continuation.resume() } }
    }
}

extension Array {
    /// Consecutive slices of at most `size` elements.
    func chunked(_ size: Int) -> [ArraySlice<Element>] {
        stride(from: 0, to: count, by: size).map { self[$0..<Swift.min($0 + size, count)] }
    }
}
