import Foundation

/// Something that changed about a domain between two checks: the history a postmaster reads at 3 a.m.
public struct DomainEvent: Sendable, Hashable, Codable {
    public enum Kind: String, Sendable, Hashable, Codable, CaseIterable {
        case statusChanged = "status-changed"
        case policyIDChanged = "policy-id-changed"
        /// The policy body changed while the TXT id did not (`sts-policy-id-unchanged`).
        case policyChangedWithoutID = "policy-changed-without-id"
        case modeChanged = "mode-changed"
        case mxSetChanged = "mx-set-changed"
        case certificateChanged = "certificate-changed"
        case starttlsLost = "starttls-lost"
        case starttlsRegained = "starttls-regained"
        case tlsrptChanged = "tlsrpt-changed"
    }

    public var domain: String
    public var at: Date
    public var kind: Kind
    /// The domain, an MX host, or the policy host.
    public var subject: String
    /// What it was and what it is now, in words.
    public var message: String
    public var severity: Severity

    public init(domain: String, at: Date, kind: Kind, subject: String, message: String, severity: Severity) {
        self.domain = domain
        self.at = at
        self.kind = kind
        self.subject = subject
        self.message = message
        self.severity = severity
    }
}

extension DomainEvent {
    /// The changes from `old` to `new`; none when there is no previous check.
    public static func between(_ old: Assessment?, _ new: Assessment) -> [DomainEvent] {
        guard let old else { return [] }
        var events: [DomainEvent] = []
        func add(_ kind: Kind, _ subject: String, _ message: String, _ severity: Severity) {
            events.append(DomainEvent(domain: new.domain, at: new.checkedAt, kind: kind, subject: subject,
                                      message: message, severity: severity))
        }
        if old.status != new.status {
            let worse = new.status > old.status
            add(.statusChanged, new.domain, "status \(old.status.rawValue) → \(new.status.rawValue)", worse ? (new.status == .crit ? .crit : .warn) : .info)
        }
        let oldID = old.mtaSts.txtID, newID = new.mtaSts.txtID
        if oldID != newID, oldID != nil || newID != nil {
            add(.policyIDChanged, "_mta-sts.\(new.domain)", "policy id \(oldID ?? "(none)") → \(newID ?? "(none)")", .info)
        }
        if let oldPolicy = old.mtaSts.policy, let newPolicy = new.mtaSts.policy, oldPolicy != newPolicy,
           oldID != nil, oldID == newID {
            add(.policyChangedWithoutID, "mta-sts.\(new.domain)", "the policy changed but its id \(newID ?? "") did not: senders keep the stale copy", .warn)
        }
        if let a = old.mtaSts.mode, let b = new.mtaSts.mode, a != b {
            add(.modeChanged, new.domain, "mode \(a.rawValue) → \(b.rawValue)", b == .enforce ? .info : .warn)
        }
        let oldHosts = Set(old.mx.map(\.host)), newHosts = Set(new.mx.map(\.host))
        if oldHosts != newHosts, !(oldHosts.isEmpty && newHosts.isEmpty) {
            let added = newHosts.subtracting(oldHosts).sorted(), removed = oldHosts.subtracting(newHosts).sorted()
            var parts: [String] = []
            if !added.isEmpty { parts.append("added \(added.joined(separator: ", "))") }
            if !removed.isEmpty { parts.append("removed \(removed.joined(separator: ", "))") }
            add(.mxSetChanged, new.domain, "MX hosts " + parts.joined(separator: "; "), .info)
        }
        let oldByHost = Dictionary(old.mx.map { ($0.host, $0) }, uniquingKeysWith: { a, _ in a })
        for mx in new.mx {
            guard let before = oldByHost[mx.host] else { continue }
            if let a = before.cert, let b = mx.cert, a.sha256 != b.sha256 {
                let renewed = b.notAfter > a.notAfter
                add(.certificateChanged, mx.host,
                    "certificate \(renewed ? "renewed" : "replaced"): now expires \(b.notAfter.formatted(.iso8601)) (was \(a.notAfter.formatted(.iso8601)))",
                    renewed ? .info : .warn)
            }
            let had = before.starttls == "offered", has = mx.starttls == "offered"
            if had && (mx.starttls == "not-offered" || mx.starttls == "mixed") {
                add(.starttlsLost, mx.host, "STARTTLS no longer offered (was offered at the previous check)", .crit)
            } else if !had && (before.starttls == "not-offered" || before.starttls == "mixed") && has {
                add(.starttlsRegained, mx.host, "STARTTLS offered again", .info)
            }
        }
        if let a = old.mtaSts.fetch?.cert, let b = new.mtaSts.fetch?.cert, a.sha256 != b.sha256 {
            add(.certificateChanged, "mta-sts.\(new.domain)", "policy host certificate changed: now expires \(b.notAfter.formatted(.iso8601))", .info)
        }
        if old.tlsRpt.rua != new.tlsRpt.rua || old.tlsRpt.txt != new.tlsRpt.txt {
            add(.tlsrptChanged, "_smtp._tls.\(new.domain)",
                "TLS-RPT \(old.tlsRpt.txt) \(old.tlsRpt.rua.joined(separator: ",")) → \(new.tlsRpt.txt) \(new.tlsRpt.rua.joined(separator: ","))", .info)
        }
        return events
    }
}

extension PreviousState {
    /// What a stored assessment tells the next judgement.
    public init(_ assessment: Assessment) {
        self.init(stsID: assessment.mtaSts.txtID, policy: assessment.mtaSts.policy,
                  starttlsOffered: Set(assessment.mx.filter { $0.starttls == "offered" }.map(\.host)))
    }
}
