import STSCore

/// The history a check appends, with outages kept from looking like configuration changes.
///
/// A check that fails (a resolver timeout, an unreachable network) sees nothing, and comparing
/// blindness with the previous state reports the MX set "removed", certificates "changed" and
/// TLS-RPT "gone" — then all of it back again when the network returns. So the status change
/// is always reported against what the store shows now, while everything else is compared
/// with the last check that completed, and a failed check adds nothing but its status change.
public enum PollEvents {
    /// The events to record for `new`.
    /// - Parameters:
    ///   - current: the assessment the store shows now (nil before the first check).
    ///   - lastGood: the latest assessment of a check that completed, if any.
    ///   - failed: whether `new` comes from a failed check.
    public static func between(current: Assessment?, lastGood: Assessment?, new: Assessment, failed: Bool) -> [DomainEvent] {
        guard let current else { return [] }
        let statusChanges = DomainEvent.between(current, new).filter { $0.kind == .statusChanged }
        if failed { return statusChanges }
        let details = DomainEvent.between(lastGood ?? current, new).filter { $0.kind != .statusChanged }
        return statusChanges + details
    }
}
