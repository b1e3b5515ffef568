import Foundation
import GRDB
import STSCore

/// What recording one check did.
public struct RecordOutcome: Sendable, Hashable {
    /// The changes since the previous check, as appended to the history; empty for a first check.
    public var events: [DomainEvent]
    /// The row id of the stored raw observation (an earlier row when this check saw the same).
    public var observationID: Int64
    /// False when the observation equalled the domain's latest stored one and only that row's
    /// ``StoredObservation/lastSeen`` and ``StoredObservation/seenCount`` moved.
    public var storedNewObservation: Bool
}

/// One check to record, as the poller hands it to ``Store/record(batch:)``.
public struct CheckRecord: Sendable {
    public var prepared: Store.PreparedCheck
    public var nextDue: Date
    public var failed: Bool
    /// Stored instead of the events derived from the current state, when given.
    public var events: [DomainEvent]?

    public init(_ prepared: Store.PreparedCheck, nextDue: Date, failed: Bool, events: [DomainEvent]? = nil) {
        self.prepared = prepared
        self.nextDue = nextDue
        self.failed = failed
        self.events = events
    }
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

/// A stored raw observation: one run of checks that all saw the same thing.
public struct StoredObservation: Sendable, Hashable {
    public var id: Int64
    /// As first seen: its `observedAt` is the first check of the run.
    public var observation: DomainObservation
    public var failed: Bool
    /// The latest check that saw the same (equal to `observation.observedAt` for a run of one).
    public var lastSeen: Date
    /// How many checks saw it.
    public var seenCount: Int
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
        try record(Self.prepare(observation: observation, assessment: assessment), nextDue: nextDue, failed: failed, events: givenEvents)
    }

    /// A check encoded for storage, made before the write: the JSON encoding and hashing are
    /// most of the CPU cost of a record, and done here they run in the caller's concurrent
    /// task rather than in the one writer's critical path.
    public struct PreparedCheck: Sendable {
        let observation: DomainObservation
        let assessment: Assessment
        let observationJSON: String
        let assessmentJSON: String
        let policyHash: String?
        /// ``Store/contentHash(of:)``: equal for checks that saw the same.
        let contentHash: String
    }

    /// Encodes a check for ``record(_:nextDue:failed:events:)``; checks that the two halves name one domain.
    public static func prepare(observation: DomainObservation, assessment: Assessment) throws -> PreparedCheck {
        guard DomainName.canonical(observation.domain) == assessment.domain else {
            throw StoreError.domainMismatch(observation: observation.domain, assessment: assessment.domain)
        }
        return PreparedCheck(observation: observation, assessment: assessment,
                             observationJSON: try StoreJSON.encode(observation), assessmentJSON: try StoreJSON.encode(assessment),
                             policyHash: observation.policyFetch?.body.map { SHA256.hex(Array($0.utf8)) },
                             contentHash: try contentHash(of: observation))
    }

    /// SHA-256 of what an observation says, leaving out what differs between checks that saw
    /// the same thing: the time; the SMTP banners (`greeting`, `ehlo`), in which large
    /// providers put a per-connection id (`220 mx.google.com ESMTP 1a2b…- gsmtp`); and the order
    /// of DNS answers and of MX hosts and probes, which follows resolver rotation and which
    /// probe finished first. A run keeps its first check's observation as it was.
    static func contentHash(of observation: DomainObservation) throws -> String {
        var o = observation
        o.observedAt = Date(timeIntervalSince1970: 0)
        o.stsTXT = sorted(o.stsTXT) { $0.strings.lexicographicallyPrecedes($1.strings) }
        o.tlsrptTXT = sorted(o.tlsrptTXT) { $0.strings.lexicographicallyPrecedes($1.strings) }
        o.mx = sorted(o.mx) { ($0.preference, $0.exchange) < ($1.preference, $1.exchange) }
        o.mxHosts = o.mxHosts.map { host in
            var h = host
            h.ipv4 = sorted(h.ipv4, by: <)
            h.ipv6 = sorted(h.ipv6, by: <)
            h.probes = h.probes.map { probe in
                var p = probe
                p.greeting = []
                p.ehlo = []
                // Shared probes carry their own time; a back-off only its presence.
                p.probedAt = nil
                p.rateLimited = p.rateLimited.map { RateLimitState(reply: $0.reply, since: .init(timeIntervalSince1970: 0),
                                                                   retryAfter: .init(timeIntervalSince1970: 0)) }
                return p
            }.sorted { ($0.address, $0.port) < ($1.address, $1.port) }
            return h
        }.sorted { ($0.record.preference, $0.record.exchange) < ($1.record.preference, $1.record.exchange) }
        return SHA256.hex(Array(try StoreJSON.encode(o).utf8))
    }

    private static func sorted<R>(_ outcome: DNSOutcome<R>, by less: (R, R) -> Bool) -> DNSOutcome<R> {
        if case .records(let records) = outcome { return .records(records.sorted(by: less)) }
        return outcome
    }

    /// Stores a prepared check, as ``record(observation:assessment:nextDue:failed:events:)`` does.
    @discardableResult
    public func record(_ prepared: PreparedCheck, nextDue: Date, failed: Bool, events givenEvents: [DomainEvent]? = nil) throws -> RecordOutcome {
        try pool.write { db in
            try Self.recordOne(db, CheckRecord(prepared, nextDue: nextDue, failed: failed, events: givenEvents))
        }
    }

    /// Stores several checks in one transaction; each one's outcome, or why it was refused.
    ///
    /// One commit for many checks is what lets a writer keep up with a round of thousands of
    /// domains: a commit costs far more than the rows it carries. The batch is atomic (a crash
    /// keeps all of it or none); within it each check runs in a savepoint, so one refused check
    /// (a domain removed meanwhile) does not take the others with it. Errors of the
    /// transaction itself (disk full, busy timeout) are thrown and nothing is stored.
    public func record(batch: [CheckRecord], probes: [SharedProbe] = []) throws -> [Result<RecordOutcome, any Error>] {
        guard !batch.isEmpty || !probes.isEmpty else { return [] }
        return try pool.write { db in
            try Self.save(probes: probes, db)
            var results: [Result<RecordOutcome, any Error>] = []
            results.reserveCapacity(batch.count)
            for item in batch {
                var outcome: Result<RecordOutcome, any Error>!
                do {
                    // A throw rolls back to the savepoint, undoing this check alone.
                    try db.inSavepoint {
                        outcome = .success(try Self.recordOne(db, item))
                        return .commit
                    }
                } catch let error as StoreError {
                    outcome = .failure(error)
                } catch let error as DatabaseError where error.resultCode == .SQLITE_CONSTRAINT {
                    outcome = .failure(error)
                }
                results.append(outcome)
            }
            return results
        }
    }

    /// One check, inside the caller's transaction.
    static func recordOne(_ db: Database, _ item: CheckRecord) throws -> RecordOutcome {
        let prepared = item.prepared, failed = item.failed
        let observation = prepared.observation, assessment = prepared.assessment
        let domain = assessment.domain
        let checkedAt = assessment.checkedAt.unix
        let observedAt = observation.observedAt.unix

        guard try Bool.fetchOne(db.cachedStatement(sql: "SELECT EXISTS (SELECT 1 FROM domain WHERE name = ?)"), arguments: [domain])! else {
            throw StoreError.unknownDomain(domain)
        }
        let events = try item.events ?? DomainEvent.between(Self.currentAssessment(db, domain: domain), assessment)

        // The same as the latest stored observation (apart from its time): extend that run.
        let latest = try Row.fetchOne(db.cachedStatement(sql: """
            SELECT o.id, o.content_sha256, o.failed, o.observed_at FROM current_state s
            JOIN observation o ON o.id = s.observation_id WHERE s.domain = ?
            """), arguments: [domain])
        let observationID: Int64
        let storedNew: Bool
        if let latest, (latest["content_sha256"] as String?) == prepared.contentHash, (latest["failed"] as Bool) == failed,
           (latest["observed_at"] as Double) <= observedAt {
            observationID = latest["id"]
            storedNew = false
            try db.cachedStatement(sql: """
                UPDATE observation SET last_seen_at = max(last_seen_at, ?), seen_count = seen_count + 1 WHERE id = ?
                """).execute(arguments: [observedAt, observationID])
        } else {
            try db.cachedStatement(sql: """
                INSERT INTO observation (domain, observed_at, last_seen_at, failed, policy_sha256, content_sha256, json)
                VALUES (?, ?, ?, ?, ?, ?, ?)
                """).execute(arguments: [domain, observedAt, observedAt, failed, prepared.policyHash, prepared.contentHash,
                                         prepared.observationJSON])
            observationID = db.lastInsertedRowID
            storedNew = true
        }

        let mxExpiry = assessment.mx.compactMap { $0.cert?.notAfter.unix }.min()
        try db.cachedStatement(sql: """
            INSERT INTO current_state (domain, observation_id, checked_at, status, mode, tlsrpt_present,
                                       mx_cert_not_after, policy_cert_not_after, finding_count, assessment)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
            ON CONFLICT (domain) DO UPDATE SET
                observation_id = excluded.observation_id, checked_at = excluded.checked_at,
                status = excluded.status, mode = excluded.mode, tlsrpt_present = excluded.tlsrpt_present,
                mx_cert_not_after = excluded.mx_cert_not_after, policy_cert_not_after = excluded.policy_cert_not_after,
                finding_count = excluded.finding_count, assessment = excluded.assessment
            """).execute(arguments: [domain, observationID, checkedAt, assessment.status.rawValue, assessment.mtaSts.mode?.rawValue,
                                     assessment.tlsRpt.txt == "present", mxExpiry, assessment.mtaSts.fetch?.cert?.notAfter.unix,
                                     assessment.findings.count, prepared.assessmentJSON])

        try Self.replaceFindings(db, domain: domain, findings: assessment.findings, at: checkedAt)
        try db.cachedStatement(sql: "DELETE FROM domain_mx WHERE domain = ?").execute(arguments: [domain])
        let insertHost = try db.cachedStatement(sql: "INSERT OR IGNORE INTO domain_mx (domain, host) VALUES (?, ?)")
        for host in Set(assessment.mx.map(\.host)) where !host.isEmpty {
            try insertHost.execute(arguments: [domain, host])
        }

        let insertEvent = try db.cachedStatement(sql: "INSERT INTO event (domain, at, kind, subject, severity, message) VALUES (?, ?, ?, ?, ?, ?)")
        for event in events {
            try insertEvent.execute(arguments: [domain, event.at.unix, event.kind.rawValue, event.subject, event.severity.rawValue, event.message])
        }
        try db.cachedStatement(sql: """
            UPDATE domain SET last_checked_at = ?, next_due_at = ?,
                consecutive_failures = CASE WHEN ? THEN consecutive_failures + 1 ELSE 0 END,
                last_success_at = CASE WHEN ? THEN last_success_at ELSE ? END
            WHERE name = ?
            """).execute(arguments: [checkedAt, item.nextDue.unix, failed, failed, checkedAt, domain])
        return RecordOutcome(events: events, observationID: observationID, storedNewObservation: storedNew)
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
            try db.cachedStatement(sql: """
                INSERT INTO finding (domain, code, subject, position, severity, message, first_seen, last_seen)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?)
                ON CONFLICT (domain, code, subject) DO UPDATE SET
                    position = excluded.position, severity = excluded.severity, message = excluded.message,
                    last_seen = max(last_seen, excluded.last_seen), first_seen = min(first_seen, excluded.first_seen)
                """).execute(arguments: [domain, finding.code.rawValue, finding.subject, position, finding.severity.rawValue,
                                         finding.message, at, at])
            position += 1
        }
        let existing = try Row.fetchAll(db.cachedStatement(sql: "SELECT code, subject FROM finding WHERE domain = ?"), arguments: [domain])
        for row in existing {
            let code: String = row["code"], subject: String = row["subject"]
            if keep[code]?.contains(subject) != true {
                try db.cachedStatement(sql: "DELETE FROM finding WHERE domain = ? AND code = ? AND subject = ?").execute(arguments: [domain, code, subject])
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

    /// Each domain's stored assessment as JSON text, by name, one row at a time and without
    /// decoding it: for `status --json`, which turns the text into its output directly rather
    /// than decoding and re-encoding thousands of assessments.
    ///
    /// `domains` nil: every watched domain from one snapshot, including those never checked
    /// (`status` and `json` nil). Otherwise the named domains that are watched, in no set order.
    /// The text is as stored: keys sorted, dates in seconds since 1970.
    public func forEachAssessmentJSON(domains: [String]? = nil,
                                      _ body: (_ domain: String, _ status: DomainStatus?, _ json: String?) throws -> Void) throws {
        let names = try domains.map { try $0.map { try Self.normalize($0) } }
        try pool.read { db in
            let sql = "SELECT d.name, s.status, s.assessment FROM domain d LEFT JOIN current_state s ON s.domain = d.name"
            func each(_ cursor: RowCursor) throws {
                while let row = try cursor.next() {
                    let name: String = row[0]
                    let statusText: String? = row[1]
                    try body(name, try statusText.map { try Self.status($0, table: "current_state", key: name) }, row[2])
                }
            }
            if let names {
                for chunk in names.chunked(500) {
                    try each(try Row.fetchCursor(db, sql: sql + " WHERE d.name IN (\(databaseQuestionMarks(count: chunk.count)))",
                                                 arguments: StatementArguments(chunk)))
                }
            } else {
                try each(try Row.fetchCursor(db, sql: sql + " ORDER BY d.name"))
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
                SELECT id, failed, policy_sha256, last_seen_at, seen_count, json FROM observation WHERE domain = ?
                ORDER BY observed_at DESC, id DESC LIMIT ?
                """, arguments: [name, max(0, limit)]).map { row in
                let id: Int64 = row["id"]
                return StoredObservation(id: id,
                                         observation: try StoreJSON.decode(DomainObservation.self, row["json"], table: "observation", key: "\(id)"),
                                         failed: row["failed"], lastSeen: Date(unix: row["last_seen_at"]), seenCount: row["seen_count"],
                                         policySHA256: row["policy_sha256"])
            }
        }
    }

    // MARK: Retention

    /// Deletes raw observations last seen before `date`, except each domain's latest (which the
    /// current state points at); returns how many went. Events and current state stay.
    ///
    /// A run still being seen is kept however long ago it began: `observed_at < date` (indexed)
    /// narrows the candidates and `last_seen_at` decides.
    @discardableResult
    public func prune(observationsOlderThan date: Date) throws -> Int {
        try pool.write { db in
            try db.execute(sql: """
                DELETE FROM observation WHERE observed_at < ?1 AND last_seen_at < ?1
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
