import CCurl
import Dispatch
import Foundation
import Synchronization

/// A bounded set of dedicated threads for blocking libcurl transfers.
///
/// A libcurl easy transfer blocks its thread for as long as the network takes.
/// Running hundreds of them on Swift's cooperative pool (one thread per core)
/// would stall every other task, so they run here instead: threads are started
/// on demand up to `maxThreads`, further jobs wait in a queue, and a thread idle
/// for `idleTimeout` exits, so a quiet process holds no threads.
public final class BlockingWorkers: Sendable {
    /// The pool the adapters use unless given another.
    public static let shared = BlockingWorkers(maxThreads: 128)

    public let maxThreads: Int
    private let idleTimeout: DispatchTimeInterval

    private struct State {
        var jobs: [@Sendable () -> Void] = []
        var head = 0
        var threads = 0
        var idle = 0
    }
    private let state = Mutex(State())
    private let wake = DispatchSemaphore(value: 0)

    public init(maxThreads: Int, idleTimeout: Duration = .seconds(5)) {
        precondition(maxThreads > 0, "BlockingWorkers needs at least one thread")
        CurlGlobal.ensureInitialized()
        self.maxThreads = maxThreads
        let (seconds, attoseconds) = idleTimeout.components
        self.idleTimeout = .milliseconds(Int(seconds) * 1000 + Int(attoseconds / 1_000_000_000_000_000))
    }

    /// Runs `body` on one of the pool's threads and returns its result.
    ///
    /// Every job the adapters submit is bounded by its own timeouts.
    public func run<T: Sendable>(_ body: @escaping @Sendable () -> T) async -> T {
        await withCheckedContinuation { (continuation: CheckedContinuation<T, Never>) in
            submit { continuation.resume(returning: body()) }
        }
    }

    /// As ``run(_:)``, and when the calling task is cancelled (a domain's deadline passed) the
    /// job's ``TransferCancellation`` is set, so a transfer that watches it ends at once
    /// instead of holding the thread until its own timeout.
    public func run<T: Sendable>(cancellable body: @escaping @Sendable (TransferCancellation) -> T) async -> T {
        let cancellation = TransferCancellation()
        return await withTaskCancellationHandler {
            await run { body(cancellation) }
        } onCancel: {
            cancellation.cancel()
        }
    }

    private func submit(_ job: @escaping @Sendable () -> Void) {
        let spawn = state.withLock { state -> Bool in
            state.jobs.append(job)
            if state.idle > 0 {
                wake.signal()
                return false
            }
            if state.threads < maxThreads {
                state.threads += 1
                return true
            }
            return false  // a busy thread takes it when done
        }
        if spawn {
            let thread = Thread { [self] in workLoop() }
            thread.name = "stswatch-curl"
            thread.stackSize = 1 << 20
            thread.start()
        }
    }

    private func takeJob(_ state: inout State) -> (@Sendable () -> Void)? {
        guard state.head < state.jobs.count else { return nil }
        let job = state.jobs[state.head]
        state.head += 1
        if state.head > 64 && state.head * 2 > state.jobs.count {
            state.jobs.removeFirst(state.head)
            state.head = 0
        }
        return job
    }

    private func workLoop() {
        while true {
            let job = state.withLock { state -> (@Sendable () -> Void)? in
                if let job = takeJob(&state) { return job }
                state.idle += 1
                return nil
            }
            if let job {
                job()
                continue
            }
            let waited = wake.wait(timeout: .now() + idleTimeout)
            // Whether woken or timed out, look at the queue again under the lock:
            // a job may have been queued just as the wait timed out.
            let next = state.withLock { state -> (job: (@Sendable () -> Void)?, exit: Bool) in
                state.idle -= 1
                if let job = takeJob(&state) { return (job, false) }
                if waited == .timedOut {
                    state.threads -= 1
                    return (nil, true)
                }
                return (nil, false)
            }
            if let job = next.job { job() }
            if next.exit { return }
        }
    }
}

/// Initialises libcurl (and through it OpenSSL) for the process.
///
/// Call it from `main` before starting other threads: `curl_global_init` is only
/// documented thread-safe on builds that report CURL_VERSION_THREADSAFE (Debian's
/// 7.88 does). The adapters also call it lazily, before their first thread starts.
public func initializeLibcurl() {
    CurlGlobal.ensureInitialized()
}

/// `curl_global_init`, run exactly once before any transfer thread starts.
enum CurlGlobal {
    private static let initialized: Bool = {
        curl_global_init(Int(CURL_GLOBAL_DEFAULT)) == CURLE_OK
    }()

    static func ensureInitialized() {
        precondition(initialized, "curl_global_init failed")
    }
}
