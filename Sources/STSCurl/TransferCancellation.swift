import CCurl
import Synchronization

/// Set when whoever waits for a transfer has gone (its domain's deadline passed): libcurl's
/// progress callback then aborts the transfer, so no worker thread is left running it.
public final class TransferCancellation: Sendable {
    private let cancelled = Atomic<Bool>(false)

    public init() {}

    public func cancel() { cancelled.store(true, ordering: .relaxed) }
    public var isCancelled: Bool { cancelled.load(ordering: .relaxed) }
}

extension EasyHandle {
    /// Aborts the transfer (CURLE_ABORTED_BY_CALLBACK) soon after `cancellation` is set;
    /// libcurl calls the progress function during connect and transfer, at least once a second.
    func abort(when cancellation: TransferCancellation) throws(SetupError) {
        try set(CURLOPT_NOPROGRESS, 0, "NOPROGRESS")
        try check(stsc_setopt_xferinfo(raw, abortWhenCancelled), "XFERINFOFUNCTION")
        try set(CURLOPT_XFERINFODATA, context: cancellation, "XFERINFODATA")
    }
}

/// CURLOPT_XFERINFOFUNCTION: non-zero aborts the transfer.
private let abortWhenCancelled: curl_xferinfo_callback = { context, _, _, _, _ in
    guard let context else { return 0 }
    return Unmanaged<TransferCancellation>.fromOpaque(context).takeUnretainedValue().isCancelled ? 1 : 0
}
