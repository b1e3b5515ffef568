import Foundation
import GRDB
import STSCore

/// What recording one check did.
public struct RecordOutcome: Sendable, Hashable {
    /// The changes since the previous check, as appended to the history; empty for a first check.
    public var events: [DomainEvent]
    /// The row id of the stored raw observation.
    public var observationID: Int64
}

/// A domain's latest judgement, as the dashboard and `status` read it.
public struct StoredState: Sendable, Hashable {
    public var assessment: Assessment
    public var checkedAt: Date
    /// Checks that failed in a row up to this one (0 when the latest check completed).
    public var consecutiveFailures: Int
    /// The last check that completed, which may be older than ``checkedAt`` after failures.
    public var lastSuccessAt: Date?
}

/// A domain's latest state from the sortable columns alone, without decoding the assessment.
///
/// What a list of 10,000 domains needs, about fifteen times cheaper to read than
/// ``StoredState``; the detail view then reads one domain's full assessment.
public struct StateSummary: Sendable, Hashable {
    public var domain: String
    public var status: DomainStatus
    public var checkedAt: Date
    public var mode: Policy.Mode?
    public var tlsrptPresent: Bool
    /// The soonest MX certificate expiry seen.
    public var mxCertNotAfter: Date?
    public var policyCertNotAfter: Date?
    public var findingCount: Int
    public var consecutiveFailures: Int
    public var nextDueAt: Date?
}

/// A current finding and how long it has been there.
public struct StoredFinding: Sendable, Hashable {
    public var finding: Finding
    /// The first check of the current unbroken run that raised it.
    public var firstSeen: Date
    /// The latest check that raised it (the domain's latest check).
    public var lastSeen: Date
}

/// A stored raw observation.
public struct StoredObservation: Sendable, Hashable {
    public var id: Int64
    public var observation: DomainObservation
    public var failed: Bool
    /// SHA-256 of the policy body as fetched, hex; nil when no body arrived.
    public var policySHA256: String?
}

extension Store {
    /// Stores one check in a single transaction: the raw observation, the new current state,
    /// the findings with their first/last-seen times, the events since the previous check, and
    /// the schedule. Returns the events.
    ///
    /// Findings are keyed by domain, code and subject. One seen again keeps its `first_seen`
    /// and moves `last_seen`; one no longer raised is deleted — its disappearance is history
    /// the events (status and certificate changes) already tell, and the current table stays
    /// small. `failed` says the check itself failed (deadline, resolver down): it counts
    /// toward ``DomainRecord/consecutiveFailures`` and leaves `last_success_at` alone; the
    /// assessment, which then says `unknown` where it could not see, still replaces the
    /// current state, because showing the old state as current would hide the outage.
    ///
    /// `events`, when given, is stored instead of `DomainEvent.between(current, assessment)`:
    /// the poller compares details with the last check that completed, so an outage does
    /// not read as the MX set vanishing and coming back.
    @discardableResult
    public func record(observation: DomainObservation, assessment: Assessment, nextDue: Date, failed: Bool,
                       events givenEvents: [DomainEvent]? = nil) throws -> RecordOutcome {
        let domain = assessment.domain
        guard DomainName.canonical(observation.domain) == domain else {
            throw StoreError.domainMismatch(observation: observation.domain, assessment: assessment.domain)
        }
        let observationJSON = try StoreJSON.encode(observation)
        let assessmentJSON = try StoreJSON.encode(assessment)
        let policyHash = observation.policyFetch?.body.map { SHA256.hex(Array($0.utf8)) }
        let checkedAt = assessment.checkedAt.unix

        return try pool.write { db in
            guard try Bool.fetchOne(db, sql: "SELECT EXISTS (SELECT 1 FROM domain WHERE name = ?)", arguments: [domain])! else {
                throw StoreError.unknownDomain(domain)
            }
            let events = try givenEvents ?? DomainEvent.between(Self.currentAssessment(db, domain: domain), assessment)

            try db.execute(sql: "INSERT INTO observation (domain, observed_at, failed, policy_sha256, json) VALUES (?, ?, ?, ?, ?)",
                           arguments: [domain, observation.observedAt.unix, failed, policyHash, observationJSON])
            let observationID = db.lastInsertedRowID

            let mxExpiry = assessment.mx.compactMap { $0.cert?.notAfter.unix }.min()
            try db.execute(sql: """
                INSERT INTO current_state (domain, observation_id, checked_at, status, mode, tlsrpt_present,
                                           mx_cert_not_after, policy_cert_not_after, finding_count, assessment)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                ON CONFLICT (domain) DO UPDATE SET
                    observation_id = excluded.observation_id, checked_at = excluded.checked_at,
                    status = excluded.status, mode = excluded.mode, tlsrpt_present = excluded.tlsrpt_present,
                    mx_cert_not_after = excluded.mx_cert_not_after, policy_cert_not_after = excluded.policy_cert_not_after,
                    finding_count = excluded.finding_count, assessment = excluded.assessment
                """, arguments: [domain, observationID, checkedAt, assessment.status.rawValue, assessment.mtaSts.mode?.rawValue,
                                 assessment.tlsRpt.txt == "present", mxExpiry, assessment.mtaSts.fetch?.cert?.notAfter.unix,
                                 assessment.findings.count, assessmentJSON])

            try Self.replaceFindings(db, domain: domain, findings: assessment.findings, at: checkedAt)

            for event in events {
                try db.execute(sql: "INSERT INTO event (domain, at, kind, subject, severity, message) VALUES (?, ?, ?, ?, ?, ?)",
                               arguments: [domain, event.at.unix, event.kind.rawValue, event.subject, event.severity.rawValue, event.message])
            }
            try db.execute(sql: """
                UPDATE domain SET last_checked_at = ?, next_due_at = ?,
                    consecutive_failures = CASE WHEN ? THEN consecutive_failures + 1 ELSE 0 END,
                    last_success_at = CASE WHEN ? THEN last_success_at ELSE ? END
                WHERE name = ?
                """, arguments: [checkedAt, nextDue.unix, failed, failed, checkedAt, domain])
            return RecordOutcome(events: events, observationID: observationID)
        }
    }

    /// Upserts the current findings and deletes those no longer raised.
    ///
    /// Two findings of one check with the same code and subject are one row: the first,
    /// which the judgement orders worst first, is kept.
    static func replaceFindings(_ db: Database, domain: String, findings: [Finding], at: Double) throws {
        var keep: [String: Set<String>] = [:]
        var position = 0
        for finding in findings {
            guard keep[finding.code.rawValue, default: []].insert(finding.subject).inserted else { continue }
            try db.execute(sql: """
                INSERT INTO finding (domain, code, subject, position, severity, message, first_seen, last_seen)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?)
                ON CONFLICT (domain, code, subject) DO UPDATE SET
                    position = excluded.position, severity = excluded.severity, message = excluded.message,
                    last_seen = max(last_seen, excluded.last_seen), first_seen = min(first_seen, excluded.first_seen)
                """, arguments: [domain, finding.code.rawValue, finding.subject, position, finding.severity.rawValue,
                                 finding.message, at, at])
            position += 1
        }
        let existing = try Row.fetchAll(db, sql: "SELECT code, subject FROM finding WHERE domain = ?", arguments: [domain])
        for row in existing {
            let code: String = row["code"], subject: String = row["subject"]
            if keep[code]?.contains(subject) != true {
                try db.execute(sql: "DELETE FROM finding WHERE domain = ? AND code = ? AND subject = ?", arguments: [domain, code, subject])
            }
        }
    }

    static func currentAssessment(_ db: Database, domain: String) throws -> Assessment? {
        guard let json = try String.fetchOne(db, sql: "SELECT assessment FROM current_state WHERE domain = ?", arguments: [domain]) else {
            return nil
        }
        return try StoreJSON.decode(Assessment.self, json, table: "current_state", key: domain)
    }

    /// The latest stored assessment of a domain, for `PreviousState(_:)` and event derivation.
    public func previousAssessment(domain: String) throws -> Assessment? {
        let name = try Self.normalize(domain)
        return try pool.read { db in try Self.currentAssessment(db, domain: name) }
    }

    // MARK: Reads

    /// The latest state of the given domains (nil: all), by name; domains never checked are left out.
    public func currentAssessments(domains: [String]? = nil) throws -> [StoredState] {
        let names = try domains.map { try Self.normalize($0) }
        return try pool.read { db in
            let sql = """
                SELECT s.domain, s.checked_at, s.assessment, d.consecutive_failures, d.last_success_at
                FROM current_state s JOIN domain d ON d.name = s.domain
                """
            let rows: [Row]
            if let names {
                // A temporary list rather than a long IN (...): SQLite caps bound parameters.
                rows = try names.chunked(500).flatMap { chunk in
                    try Row.fetchAll(db, sql: sql + " WHERE s.domain IN (\(databaseQuestionMarks(count: chunk.count)))",
                                     arguments: StatementArguments(chunk))
                }.sorted { ($0["domain"] as String) < ($1["domain"] as String) }
            } else {
                rows = try Row.fetchAll(db, sql: sql + " ORDER BY s.domain")
            }
            return try rows.map { row in
                let name: String = row["domain"]
                return StoredState(assessment: try StoreJSON.decode(Assessment.self, row["assessment"], table: "current_state", key: name),
                                   checkedAt: Date(unix: row["checked_at"]),
                                   consecutiveFailures: row["consecutive_failures"],
                                   lastSuccessAt: (row["last_success_at"] as Double?).map(Date.init(unix:)))
            }
        }
    }

    /// Every checked domain's state from the denormalised columns, by name.
    public func stateSummaries() throws -> [StateSummary] {
        try pool.read { db in
            try Row.fetchAll(db, sql: """
                SELECT s.domain, s.status, s.checked_at, s.mode, s.tlsrpt_present, s.mx_cert_not_after,
                       s.policy_cert_not_after, s.finding_count, d.consecutive_failures, d.next_due_at
                FROM current_state s JOIN domain d ON d.name = s.domain ORDER BY s.domain
                """).map { row in
                let name: String = row["domain"]
                let modeText: String? = row["mode"]
                return StateSummary(domain: name, status: try Self.status(row["status"], table: "current_state", key: name),
                                    checkedAt: Date(unix: row["checked_at"]), mode: modeText.flatMap(Policy.Mode.init(rawValue:)),
                                    tlsrptPresent: row["tlsrpt_present"],
                                    mxCertNotAfter: (row["mx_cert_not_after"] as Double?).map(Date.init(unix:)),
                                    policyCertNotAfter: (row["policy_cert_not_after"] as Double?).map(Date.init(unix:)),
                                    findingCount: row["finding_count"], consecutiveFailures: row["consecutive_failures"],
                                    nextDueAt: (row["next_due_at"] as Double?).map(Date.init(unix:)))
            }
        }
    }

    /// The domain's current findings in the judgement's order (worst first).
    public func findings(domain: String) throws -> [StoredFinding] {
        let name = try Self.normalize(domain)
        return try pool.read { db in
            try Row.fetchAll(db, sql: """
                SELECT code, subject, severity, message, first_seen, last_seen FROM finding
                WHERE domain = ? ORDER BY position
                """, arguments: [name]).map { row in
                let codeText: String = row["code"], severityText: String = row["severity"], subject: String = row["subject"]
                guard let code = FindingCode(rawValue: codeText) else {
                    throw StoreError.corruptRow(table: "finding", key: "\(name) \(codeText) \(subject)", detail: "unknown finding code")
                }
                guard let severity = Severity(rawValue: severityText) else {
                    throw StoreError.corruptRow(table: "finding", key: "\(name) \(codeText) \(subject)", detail: "unknown severity '\(severityText)'")
                }
                return StoredFinding(finding: Finding(code: code, severity: severity, subject: subject, message: row["message"]),
                                     firstSeen: Date(unix: row["first_seen"]), lastSeen: Date(unix: row["last_seen"]))
            }
        }
    }

    /// History, newest first: for one domain or all, since a time or ever, at most `limit` events.
    public func events(domain: String? = nil, since: Date? = nil, limit: Int = 1000) throws -> [DomainEvent] {
        let name = try domain.map { try Self.normalize($0) }
        return try pool.read { db in
            try Row.fetchAll(db, sql: """
                SELECT id, domain, at, kind, subject, severity, message FROM event
                WHERE (?1 IS NULL OR domain = ?1) AND (?2 IS NULL OR at >= ?2)
                ORDER BY at DESC, id DESC LIMIT ?3
                """, arguments: [name, since?.unix, max(0, limit)]).map { row in
                let id: Int64 = row["id"], kindText: String = row["kind"], severityText: String = row["severity"]
                guard let kind = DomainEvent.Kind(rawValue: kindText), let severity = Severity(rawValue: severityText) else {
                    throw StoreError.corruptRow(table: "event", key: "\(id)", detail: "unknown kind '\(kindText)' or severity '\(severityText)'")
                }
                return DomainEvent(domain: row["domain"], at: Date(unix: row["at"]), kind: kind, subject: row["subject"],
                                   message: row["message"], severity: severity)
            }
        }
    }

    /// The raw observations of a domain, newest first.
    public func observations(domain: String, limit: Int = 10) throws -> [StoredObservation] {
        let name = try Self.normalize(domain)
        return try pool.read { db in
            try Row.fetchAll(db, sql: """
                SELECT id, failed, policy_sha256, json FROM observation WHERE domain = ?
                ORDER BY observed_at DESC, id DESC LIMIT ?
                """, arguments: [name, max(0, limit)]).map { row in
                let id: Int64 = row["id"]
                return StoredObservation(id: id,
                                         observation: try StoreJSON.decode(DomainObservation.self, row["json"], table: "observation", key: "\(id)"),
                                         failed: row["failed"], policySHA256: row["policy_sha256"])
            }
        }
    }

    // MARK: Retention

    /// Deletes raw observations older than `date`, except each domain's latest (which the
    /// current state points at); returns how many went. Events and current state stay.
    @discardableResult
    public func prune(observationsOlderThan date: Date) throws -> Int {
        try pool.write { db in
            try db.execute(sql: """
                DELETE FROM observation WHERE observed_at < ?
                AND id NOT IN (SELECT observation_id FROM current_state WHERE observation_id IS NOT NULL)
                """, arguments: [date.unix])
            return db.changesCount
        }
    }
}

extension Array {
    /// Consecutive slices of at most `size` elements.
    func chunked(_ size: Int) -> [ArraySlice<Element>] {
        stride(from: 0, to: count, by: size).map { self[$0..<Swift.min($0 + size, count)] }
    }
}
