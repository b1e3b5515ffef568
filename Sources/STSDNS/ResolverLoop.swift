import CUnbound
import Foundation
import Synchronization
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// What libunbound returned, copied out of its `ub_result` before that is freed.
struct RawAnswer: Sendable {
    var rcode: Int32
    var haveData: Bool
    var nxdomain: Bool
    var secure: Bool
    var bogus: Bool
    var whyBogus: String?
    var canonicalName: String?
    var rdata: [[UInt8]]
}

enum RawOutcome: Sendable {
    case answered(RawAnswer)
    /// libunbound could not resolve at all (bad name, out of memory, shut down, cancelled).
    case failed(String)
    /// Our own deadline passed first.
    case timedOut
}

/// One lookup between the calling task and the loop thread; its continuation is resumed exactly once.
final class PendingQuery: Sendable {
    let id: UInt64
    let name: String
    let type: Int32
    private let continuation: Mutex<CheckedContinuation<RawOutcome, Never>?>

    init(id: UInt64, name: String, type: Int32, continuation: CheckedContinuation<RawOutcome, Never>) {
        self.id = id
        self.name = name
        self.type = type
        self.continuation = Mutex(continuation)
    }

    /// Resumes the caller unless an earlier answer, timeout or cancellation already did.
    func finish(_ outcome: RawOutcome) {
        continuation.withLock { $0.take() }?.resume(returning: outcome)
    }
}

/// The thread that owns one libunbound context (see ``Resolver``).
final class ResolverLoop: @unchecked Sendable {
    // Why @unchecked Sendable is safe: the fields below the line marked "loop thread
    // only" are read and written solely on the loop thread (`run` and the libunbound
    // callback, which libunbound calls from `ub_process`, i.e. inside `run`). The
    // init stores them before the thread starts (Thread.start is a happens-before
    // edge). Everything other threads touch is immutable (`wakeWrite`, `timeout`,
    // `nextID` is an Atomic) or inside the `inbox` Mutex.

    private enum Request {
        case resolve(PendingQuery)
        case cancel(PendingQuery)
    }

    private struct Inbox {
        var requests: [Request] = []
        /// True while a wake byte is in the pipe and unread; saves a write per query in a burst.
        var wakePending = false
        var stopping = false
    }

    private let inbox = Mutex(Inbox())
    private let nextID = Atomic<UInt64>(1)
    private let wakeRead: Int32
    private let wakeWrite: Int32
    private let timeout: Duration

    // ---- loop thread only ----
    private let ctx: OpaquePointer
    private var inFlight: [UInt64: (asyncID: Int32, query: PendingQuery)] = [:]
    /// Query ids by deadline; deadlines only grow because every query gets the same timeout.
    private var deadlines: [(deadline: ContinuousClock.Instant, id: UInt64)] = []
    private var deadlineHead = 0

    /// Takes ownership of a configured context and starts the loop thread.
    init(ctx: OpaquePointer, timeout: Duration) throws(ResolverError) {
        var fds: [Int32] = [-1, -1]
        guard pipe(&fds) == 0 else { throw .system(step: "pipe", errno: errno) }
        for fd in fds {
            _ = fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK)
            _ = fcntl(fd, F_SETFD, FD_CLOEXEC)
        }
        wakeRead = fds[0]
        wakeWrite = fds[1]
        self.ctx = ctx
        self.timeout = timeout
        let thread = Thread { [self] in run() }
        thread.name = "stswatch-dns"
        thread.start()
    }

    /// Asks the thread to fail what is in flight, free the context and exit.
    func stop() {
        inbox.withLock { $0.stopping = true }
        wake()
    }

    func lookup(name: String, type: Int32) async -> RawOutcome {
        let id = nextID.wrappingAdd(1, ordering: .relaxed).oldValue
        let query = Mutex<PendingQuery?>(nil)
        return await withTaskCancellationHandler {
            await withCheckedContinuation { continuation in
                let pending = PendingQuery(id: id, name: name, type: type, continuation: continuation)
                query.withLock { $0 = pending }
                if Task.isCancelled {
                    pending.finish(.failed("cancelled"))
                    return
                }
                submit(.resolve(pending))
            }
        } onCancel: {
            // If the continuation does not exist yet, the isCancelled check above answers instead.
            guard let pending = query.withLock({ $0 }) else { return }
            pending.finish(.failed("cancelled"))
            submit(.cancel(pending))
        }
    }

    private func submit(_ request: Request) {
        let (accepted, needsWake) = inbox.withLock { box -> (Bool, Bool) in
            guard !box.stopping else { return (false, false) }
            box.requests.append(request)
            let needsWake = !box.wakePending
            box.wakePending = true
            return (true, needsWake)
        }
        if !accepted, case .resolve(let query) = request { query.finish(.failed("resolver is shut down")) }
        if needsWake { wake() }
    }

    private func wake() {
        var byte: UInt8 = 1
        // EAGAIN means the pipe is full of wake bytes already, which wakes the loop just as well.
        _ = write(wakeWrite, &byte, 1)
    }

    // MARK: The loop thread

    private func run() {
        pthread_setspecific(loopKey, Unmanaged.passUnretained(self).toOpaque())
        var fds = [pollfd(fd: ub_fd(ctx), events: Int16(POLLIN), revents: 0),
                   pollfd(fd: wakeRead, events: Int16(POLLIN), revents: 0)]
        while true {
            _ = poll(&fds, nfds_t(fds.count), pollTimeoutMilliseconds())
            // Drain before taking the inbox: a request queued after the take writes a new byte.
            if fds[1].revents != 0 {
                var buffer = [UInt8](repeating: 0, count: 256)
                while read(wakeRead, &buffer, buffer.count) > 0 {}
            }
            let (requests, stopping) = inbox.withLock { box in
                box.wakePending = false
                defer { box.requests.removeAll(keepingCapacity: true) }
                return (box.requests, box.stopping)
            }
            if stopping {
                shutDown(leftover: requests)
                return
            }
            for request in requests {
                switch request {
                case .resolve(let query): start(query)
                case .cancel(let query): cancel(query.id)
                }
            }
            if fds[0].revents != 0 {
                let code = ub_process(ctx)
                if code != 0 { failAll("libunbound: \(String(cString: ub_strerror(code)))") }
            }
            expireDeadlines()
        }
    }

    private func start(_ query: PendingQuery) {
        var asyncID: Int32 = 0
        let tag = UnsafeMutableRawPointer(bitPattern: UInt(query.id))
        let code = ub_resolve_async(ctx, query.name, query.type, Int32(ns_c_in.rawValue), tag, answerCallback, &asyncID)
        guard code == 0 else {
            query.finish(.failed(String(cString: ub_strerror(code))))
            return
        }
        inFlight[query.id] = (asyncID, query)
        deadlines.append((ContinuousClock.now.advanced(by: timeout), query.id))
    }

    /// Called through `answerCallback`, inside `ub_process` on this thread.
    fileprivate func answered(id: UInt64, error: Int32, result: UnsafeMutablePointer<ub_result>?) {
        defer { if let result { ub_resolve_free(result) } }
        // An answer for a query already timed out or cancelled has no one waiting.
        guard let entry = inFlight.removeValue(forKey: id) else { return }
        guard error == 0, let result else {
            entry.query.finish(.failed(String(cString: ub_strerror(error))))
            return
        }
        entry.query.finish(.answered(Self.copy(result.pointee)))
    }

    private func cancel(_ id: UInt64) {
        guard let entry = inFlight.removeValue(forKey: id) else { return }
        // UB_NOID only means the answer is already on its way; `answered` will drop it.
        _ = ub_cancel(ctx, entry.asyncID)
    }

    private func expireDeadlines() {
        let now = ContinuousClock.now
        while deadlineHead < deadlines.count, deadlines[deadlineHead].deadline <= now {
            let id = deadlines[deadlineHead].id
            deadlineHead += 1
            if let entry = inFlight[id] {
                cancel(id)
                entry.query.finish(.timedOut)
            }
        }
        // Compact now and then so the array does not grow for the life of the resolver.
        if deadlineHead > 1024, deadlineHead * 2 > deadlines.count {
            deadlines.removeFirst(deadlineHead)
            deadlineHead = 0
        }
    }

    private func pollTimeoutMilliseconds() -> Int32 {
        // Skip deadlines of queries already answered, so a quiet resolver sleeps long.
        while deadlineHead < deadlines.count, inFlight[deadlines[deadlineHead].id] == nil { deadlineHead += 1 }
        guard deadlineHead < deadlines.count else { return 1000 }
        let remaining = ContinuousClock.now.duration(to: deadlines[deadlineHead].deadline)
        let (seconds, attoseconds) = remaining.components
        let ms = seconds * 1000 + attoseconds / 1_000_000_000_000_000 + 1
        return Int32(max(0, min(ms, 1000)))
    }

    private func failAll(_ reason: String) {
        for (_, entry) in inFlight {
            _ = ub_cancel(ctx, entry.asyncID)
            entry.query.finish(.failed(reason))
        }
        inFlight.removeAll()
    }

    private func shutDown(leftover: [Request]) {
        failAll("resolver is shut down")
        for case .resolve(let query) in leftover { query.finish(.failed("resolver is shut down")) }
        ub_ctx_delete(ctx)
        close(wakeRead)
        close(wakeWrite)
    }

    private static func copy(_ r: ub_result) -> RawAnswer {
        var rdata: [[UInt8]] = []
        if r.havedata != 0, let data = r.data, let lengths = r.len {
            var i = 0
            // `data` is NULL-terminated; `len` runs parallel to it.
            while let item = data[i] {
                let count = Int(lengths[i])
                rdata.append(count > 0 ? Array(UnsafeRawBufferPointer(start: item, count: count)) : [])
                i += 1
            }
        }
        return RawAnswer(
            rcode: r.rcode, haveData: r.havedata != 0, nxdomain: r.nxdomain != 0,
            secure: r.secure != 0, bogus: r.bogus != 0,
            whyBogus: r.why_bogus.map { String(cString: $0) },
            canonicalName: r.canonname.map { String(cString: $0) },
            rdata: rdata)
    }
}

/// Lets the C callback find the loop of the thread it runs on.
///
/// libunbound passes only one pointer of context. It carries the query id, not an
/// object, so an answer arriving after a cancel can never reach freed memory; the loop
/// itself comes from this thread-specific slot, set when its thread starts.
private let loopKey: pthread_key_t = {
    var key = pthread_key_t()
    precondition(pthread_key_create(&key, nil) == 0, "pthread_key_create failed")
    return key
}()

private let answerCallback: ub_callback_type = { tag, error, result in
    guard let slot = pthread_getspecific(loopKey) else {
        if let result { ub_resolve_free(result) }
        return
    }
    let loop = Unmanaged<ResolverLoop>.fromOpaque(slot).takeUnretainedValue()
    loop.answered(id: UInt64(UInt(bitPattern: tag)), error: error, result: result)
}
