import Foundation
import GRDB
import STSCore

/// A stored report's header: the row a report list shows.
public struct ReportRow: Sendable, Hashable {
    public var id: Int64
    /// `organization-name`; nil when the sender left it out.
    public var organization: String?
    public var reportID: String?
    /// `date-range` as sent, and as instants when it could be read.
    public var startText: String?
    public var endText: String?
    public var start: Date?
    public var end: Date?
    /// The report's start, or when it was received if its start cannot be read: what `since` filters compare.
    public var seenAt: Date
    public var contact: String?
    public var receivedAt: Date
    /// Where it came from: a file path, or `imap://…` mailbox and UID.
    public var source: String
    public var mail: MailMeta
    public var totalSuccessful: Int
    public var totalFailed: Int
    /// Canonical policy domains, in report order.
    public var policyDomains: [String]
    public var oddityCount: Int
}

/// A report in full: its header, the decoded content, what was odd about it, and the bytes as received.
public struct StoredReport: Sendable, Hashable {
    public var row: ReportRow
    public var report: TLSReport
    public var oddities: [String]
    public var raw: Data
}

/// Which failure-detail fields to group failures by.
public struct GroupBy: OptionSet, Sendable, Hashable {
    public let rawValue: Int
    public init(rawValue: Int) { self.rawValue = rawValue }
    /// The policy domain the failures were reported for.
    public static let domain = GroupBy(rawValue: 1 << 0)
    public static let resultType = GroupBy(rawValue: 1 << 1)
    /// `receiving-mx-hostname`, canonical.
    public static let mx = GroupBy(rawValue: 1 << 2)
    /// `sending-mta-ip`.
    public static let sendingIP = GroupBy(rawValue: 1 << 3)
    /// The reporting organisation.
    public static let reporter = GroupBy(rawValue: 1 << 4)
    /// Everything: one group per distinct failure, for the dashboard.
    public static let all: GroupBy = [.domain, .resultType, .mx, .sendingIP, .reporter]
}

/// Failed sessions that share the grouped fields, over the reports in range.
public struct FailureGroup: Sendable, Hashable {
    /// The fields this group was formed by; the others are nil.
    public var by: GroupBy
    public var domain: String?
    public var resultType: String?
    public var mx: String?
    public var sendingIP: String?
    public var reporter: String?
    public var sessions: Int
    public var reportCount: Int
    /// The earliest report start and latest report end (or start) in the group.
    public var firstSeen: Date
    public var lastSeen: Date
}

/// Sessions reported for one policy domain on one UTC day.
public struct DailyTotal: Sendable, Hashable {
    public var domain: String
    /// `YYYY-MM-DD`, the UTC day the reports' periods start.
    public var day: String
    public var successful: Int
    public var failed: Int
}

extension Store {
    /// The most sessions one count may claim: above any real traffic, and small enough that
    /// summing millions of them into daily totals cannot overflow. Reports are hostile input.
    static let sessionCountCap = 1 << 40

    static func sessions(_ count: Int?) -> Int { min(max(0, count ?? 0), sessionCountCap) }

    // MARK: Insert

    /// Stores a decoded report with its policies, failure details and daily totals, unless it is already stored.
    ///
    /// A report is a duplicate when its organisation and `report-id` match a stored one
    /// (RFC 8460 §4.4 makes the id unique per sender), or — for a report without an id —
    /// when its raw bytes hash the same. Session counts are stored clamped to
    /// 0…``sessionCountCap``; the raw bytes keep what was sent.
    public func insertReport(_ decoded: ReportDecodeResult, raw: Data, source: String, message: MailMeta?,
                             receivedAt: Date) throws -> ReportInsertOutcome {
        try insertReports([ReportInsertion(decoded, raw: raw, source: source, message: message, receivedAt: receivedAt)])[0]
    }

    /// As ``insertReport(_:raw:source:message:receivedAt:)``, received now: the ``ReportSink`` entry point.
    public func insertReport(_ decoded: ReportDecodeResult, raw: Data, source: String, message: MailMeta?) throws -> ReportInsertOutcome {
        try insertReport(decoded, raw: raw, source: source, message: message, receivedAt: Date())
    }

    /// Stores a batch of reports in one transaction, with an outcome per report in order.
    ///
    /// One commit per report would make the commit (a WAL sync) the cost of ingestion; a
    /// batch shares it. A report that repeats an earlier one of the same batch is a
    /// duplicate of it. All or nothing: if one insert fails, none of the batch is stored.
    public func insertReports(_ batch: [ReportInsertion]) throws -> [ReportInsertOutcome] {
        guard !batch.isEmpty else { return [] }
        // Hashing and JSON encoding happen before the write lock is taken.
        let prepared = try batch.map(PreparedReport.init)
        return try pool.write { db in try prepared.map { try Self.insert($0, db) } }
    }

    /// A report's column values, computed outside the writer.
    struct PreparedReport {
        var item: ReportInsertion
        var organization: String
        var rawHash: String
        var startAt: Date?
        var endAt: Date?
        var seenAt: Date
        var day: String
        var oddities: String
        var policies: [(result: TLSReport.PolicyResult, domain: String?, strings: String?, mxHosts: String, successful: Int, failed: Int)]
        var totalSuccessful: Int
        var totalFailed: Int
        var source: String

        init(_ item: ReportInsertion) throws {
            self.item = item
            let report = item.decoded.report
            organization = report.organizationName ?? ""
            rawHash = SHA256.hex(item.raw)
            startAt = report.dateRange?.start?.date
            endAt = report.dateRange?.end?.date
            if let s = startAt, let e = endAt, e < s { startAt = nil; endAt = nil }
            seenAt = startAt ?? item.receivedAt
            day = utcDay(seenAt)
            oddities = try StoreJSON.encode(item.decoded.oddities)
            policies = try report.policies.map { result in
                let policy = result.policy
                return (result, policy.policyDomain.map(DomainName.canonical),
                        try policy.policyString.map { try StoreJSON.encode($0) },
                        try StoreJSON.encode(policy.mxHost ?? policy.mxHostPattern ?? []),
                        Store.sessions(result.summary.totalSuccessfulSessionCount),
                        Store.sessions(result.summary.totalFailureSessionCount))
            }
            totalSuccessful = policies.reduce(0) { $0 + $1.successful }
            totalFailed = policies.reduce(0) { $0 + $1.failed }
            source = item.source.isEmpty ? "unknown" : item.source
        }
    }

    /// Inserts one prepared report inside the caller's transaction; statements are cached per connection.
    static func insert(_ r: PreparedReport, _ db: Database) throws -> ReportInsertOutcome {
        let report = r.item.decoded.report, message = r.item.message
        let start = report.dateRange?.start, end = report.dateRange?.end
        if let existing = try Int64.fetchOne(db.cachedStatement(sql: """
            SELECT id FROM report WHERE raw_sha256 = ? OR (report_id IS NOT NULL AND organization = ? AND report_id = ?)
            """), arguments: [r.rawHash, r.organization, report.reportID]) {
            return .duplicate(existing)
        }
        try db.cachedStatement(sql: """
            INSERT INTO report (organization, report_id, raw_sha256, start_text, end_text, start_at, end_at, seen_at, day,
                                contact, received_at, source, mail_subject, mail_date, mail_from, mail_message_id,
                                oddities, total_successful, total_failed, raw)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
            """).execute(arguments: [r.organization, report.reportID, r.rawHash, start?.text, end?.text, r.startAt?.unix,
                                     r.endAt?.unix, r.seenAt.unix, r.day, report.contactInfo, r.item.receivedAt.unix, r.source,
                                     message?.subject, message?.dateText, message?.from, message?.messageID, r.oddities,
                                     r.totalSuccessful, r.totalFailed, r.item.raw])
        let reportRowID = db.lastInsertedRowID
        for (position, entry) in r.policies.enumerated() {
            try db.cachedStatement(sql: """
                INSERT INTO report_policy (report, position, day, policy_type, policy_domain, policy_strings, mx_hosts, successful, failed)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
                """).execute(arguments: [reportRowID, position, r.day, entry.result.policy.policyType?.rawValue, entry.domain,
                                         entry.strings, entry.mxHosts, entry.successful, entry.failed])
            let policyRowID = db.lastInsertedRowID
            for detail in entry.result.failureDetails ?? [] {
                try db.cachedStatement(sql: """
                    INSERT INTO report_failure (policy, result_type, sending_mta_ip, receiving_mx_hostname, receiving_mx_helo,
                                                receiving_ip, failed_session_count, additional_information, failure_reason_code)
                    VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
                    """).execute(arguments: [policyRowID, detail.resultType?.rawValue, detail.sendingMTAIP,
                                             detail.receivingMXHostname.map(DomainName.canonical), detail.receivingMXHelo,
                                             detail.receivingIP, Store.sessions(detail.failedSessionCount),
                                             detail.additionalInformation, detail.failureReasonCode])
            }
        }
        return .inserted(reportRowID)
    }

    // MARK: Reads

    static let reportRowColumns = """
        r.id, r.organization, r.report_id, r.start_text, r.end_text, r.start_at, r.end_at, r.seen_at, r.contact,
        r.received_at, r.source, r.mail_subject, r.mail_date, r.mail_from, r.mail_message_id, r.total_successful,
        r.total_failed, json_array_length(r.oddities) AS oddity_count,
        (SELECT json_group_array(policy_domain) FROM (SELECT policy_domain FROM report_policy
            WHERE report = r.id AND policy_domain IS NOT NULL ORDER BY position)) AS domains
        """

    static func reportRow(_ row: Row) throws -> ReportRow {
        let id: Int64 = row["id"], organization: String = row["organization"]
        let domains: [String] = try StoreJSON.decode([String].self, row["domains"], table: "report_policy", key: "report \(id)")
        var seen = Set<String>()
        return ReportRow(id: id, organization: organization.isEmpty ? nil : organization, reportID: row["report_id"],
                         startText: row["start_text"], endText: row["end_text"],
                         start: (row["start_at"] as Double?).map(Date.init(unix:)), end: (row["end_at"] as Double?).map(Date.init(unix:)),
                         seenAt: Date(unix: row["seen_at"]), contact: row["contact"], receivedAt: Date(unix: row["received_at"]),
                         source: row["source"],
                         mail: MailMeta(subject: row["mail_subject"], from: row["mail_from"], dateText: row["mail_date"],
                                       messageID: row["mail_message_id"]),
                         totalSuccessful: row["total_successful"], totalFailed: row["total_failed"],
                         policyDomains: domains.filter { seen.insert($0).inserted }, oddityCount: row["oddity_count"])
    }

    /// Reports naming a policy domain (nil: all), whose period starts at or after `since`, newest first.
    public func reports(domain: String? = nil, since: Date? = nil, limit: Int = 1000) throws -> [ReportRow] {
        let name = try domain.map { try Self.normalize($0) }
        return try pool.read { db in
            try Row.fetchAll(db, sql: """
                SELECT \(Self.reportRowColumns) FROM report r
                WHERE (?1 IS NULL OR EXISTS (SELECT 1 FROM report_policy p WHERE p.report = r.id AND p.policy_domain = ?1))
                  AND (?2 IS NULL OR r.seen_at >= ?2)
                ORDER BY r.seen_at DESC, r.id DESC LIMIT ?3
                """, arguments: [name, since?.unix, max(0, limit)]).map(Self.reportRow)
        }
    }

    /// One report in full, decoded again from the bytes as received.
    public func report(id: Int64) throws -> StoredReport {
        try pool.read { db in
            guard let row = try Row.fetchOne(db, sql: "SELECT \(Self.reportRowColumns), r.raw, r.oddities FROM report r WHERE r.id = ?",
                                             arguments: [id]) else {
                throw StoreError.reportNotFound(id)
            }
            let raw: Data = row["raw"]
            let decoded: ReportDecodeResult
            do {
                decoded = try TLSReport.decode(raw)
            } catch {
                throw StoreError.corruptRow(table: "report", key: "\(id)", detail: "\(error)")
            }
            return StoredReport(row: try Self.reportRow(row), report: decoded.report,
                                oddities: try StoreJSON.decode([String].self, row["oddities"], table: "report", key: "\(id)"),
                                raw: raw)
        }
    }

    /// The SQL expression for each grouping field.
    private static let groupColumns: [(GroupBy, String, String)] = [
        (.domain, "p.policy_domain", "g_domain"),
        (.resultType, "f.result_type", "g_result"),
        (.mx, "f.receiving_mx_hostname", "g_mx"),
        (.sendingIP, "f.sending_mta_ip", "g_ip"),
        (.reporter, "r.organization", "g_reporter"),
    ]

    /// Failed sessions grouped by the chosen fields, for a policy domain (nil: all) since a time, most sessions first.
    public func failureGroups(domain: String? = nil, since: Date? = nil, by: GroupBy = .all) throws -> [FailureGroup] {
        let name = try domain.map { try Self.normalize($0) }
        let chosen = Self.groupColumns.filter { by.contains($0.0) }
        let select = chosen.map { "\($0.1) AS \($0.2)" }
        let groupBy = chosen.isEmpty ? "" : "GROUP BY " + chosen.map(\.2).joined(separator: ", ")
        return try pool.read { db in
            try Row.fetchAll(db, sql: """
                SELECT \((select + [""]).joined(separator: ", "))
                       sum(f.failed_session_count) AS sessions, count(DISTINCT r.id) AS reports,
                       min(r.seen_at) AS first_seen, max(coalesce(r.end_at, r.seen_at)) AS last_seen
                FROM report_failure f JOIN report_policy p ON p.id = f.policy JOIN report r ON r.id = p.report
                WHERE \(name == nil ? "?1 IS NULL" : "p.policy_domain = ?1") AND (?2 IS NULL OR r.seen_at >= ?2)
                \(groupBy)
                HAVING count(*) > 0
                ORDER BY sessions DESC, reports DESC, \(chosen.isEmpty ? "1" : chosen.map(\.2).joined(separator: ", "))
                """, arguments: [name, since?.unix]).map { row in
                let reporter: String? = by.contains(.reporter) ? (row["g_reporter"] as String?) : nil
                return FailureGroup(by: by,
                                    domain: by.contains(.domain) ? row["g_domain"] : nil,
                                    resultType: by.contains(.resultType) ? row["g_result"] : nil,
                                    mx: by.contains(.mx) ? row["g_mx"] : nil,
                                    sendingIP: by.contains(.sendingIP) ? row["g_ip"] : nil,
                                    reporter: reporter.flatMap { $0.isEmpty ? nil : $0 },
                                    sessions: row["sessions"], reportCount: row["reports"],
                                    firstSeen: Date(unix: row["first_seen"]), lastSeen: Date(unix: row["last_seen"]))
            }
        }
    }

    /// The reports that contributed to a failure group, newest first.
    public func reportsForGroup(_ group: FailureGroup, since: Date? = nil, limit: Int = 1000) throws -> [ReportRow] {
        var conditions: [String] = []
        var values: [(any DatabaseValueConvertible)?] = [since?.unix]
        let keys: [GroupBy: String?] = [.domain: group.domain, .resultType: group.resultType, .mx: group.mx,
                                        .sendingIP: group.sendingIP, .reporter: group.reporter ?? ""]
        for (field, column, _) in Self.groupColumns where group.by.contains(field) {
            // `IS` so that a group of failures without, say, a sending IP matches those rows.
            conditions.append("\(column) IS ?")
            values.append(keys[field] ?? nil)
        }
        values.append(max(0, limit))
        let arguments = StatementArguments(values)
        let filter = conditions.isEmpty ? "" : "AND " + conditions.joined(separator: " AND ")
        // A group of one domain starts from that domain's reports (indexed), not from every report.
        let domainReports = group.by.contains(.domain) && group.domain != nil
            ? "AND r.id IN (SELECT report FROM report_policy WHERE policy_domain = \(databaseQuote(group.domain!)))" : ""
        return try pool.read { db in
            try Row.fetchAll(db, sql: """
                SELECT \(Self.reportRowColumns) FROM report r
                WHERE (?1 IS NULL OR r.seen_at >= ?1) \(domainReports) AND EXISTS (
                    SELECT 1 FROM report_failure f JOIN report_policy p ON p.id = f.policy
                    WHERE p.report = r.id \(filter))
                ORDER BY r.seen_at DESC, r.id DESC LIMIT ?
                """, arguments: arguments).map(Self.reportRow)
        }
    }

    /// Sessions per policy domain (nil: all) and UTC day, from `since`'s day on, oldest first.
    public func dailyTotals(domain: String? = nil, since: Date? = nil) throws -> [DailyTotal] {
        let name = try domain.map { try Self.normalize($0) }
        return try pool.read { db in
            try Row.fetchAll(db, sql: """
                SELECT policy_domain, day, successful, failed FROM report_daily
                WHERE (?1 IS NULL OR policy_domain = ?1) AND (?2 IS NULL OR day >= ?2)
                ORDER BY day, policy_domain
                """, arguments: [name, since.map(utcDay)]).map { row in
                DailyTotal(domain: row["policy_domain"], day: row["day"], successful: row["successful"], failed: row["failed"])
            }
        }
    }

    // MARK: IMAP

    /// Where ingestion stopped in `mailbox` (a URL naming server, user and folder), or nil if never read.
    public func imapState(mailbox: String) throws -> IMAPMailboxState? {
        try pool.read { db in
            try Row.fetchOne(db, sql: "SELECT uidvalidity, highest_uid FROM imap_state WHERE mailbox = ?",
                             arguments: [mailbox]).map { row in
                let validity: Int64 = row["uidvalidity"], uid: Int64 = row["highest_uid"]
                guard let v = UInt32(exactly: validity), let u = UInt32(exactly: uid) else {
                    throw StoreError.corruptRow(table: "imap_state", key: mailbox, detail: "UID values out of range")
                }
                return IMAPMailboxState(uidValidity: v, lastUID: u)
            }
        }
    }

    /// Records where ingestion stopped (and when, for a person reading the table); a new
    /// UIDVALIDITY replaces the old one (the mailbox was rebuilt).
    public func setIMAPState(_ state: IMAPMailboxState, mailbox: String) throws {
        guard !mailbox.isEmpty else { throw StoreError.invalidIMAPState(mailbox: mailbox, detail: "the mailbox name is empty") }
        guard state.uidValidity > 0 else {
            throw StoreError.invalidIMAPState(mailbox: mailbox, detail: "UIDVALIDITY must be positive (RFC 3501 §2.3.1.1)")
        }
        try pool.write { db in
            try db.execute(sql: """
                INSERT INTO imap_state (mailbox, uidvalidity, highest_uid, updated_at) VALUES (?, ?, ?, ?)
                ON CONFLICT (mailbox) DO UPDATE SET uidvalidity = excluded.uidvalidity,
                    highest_uid = excluded.highest_uid, updated_at = excluded.updated_at
                """, arguments: [mailbox, Int64(state.uidValidity), Int64(state.lastUID), Date().unix])
        }
    }

    // MARK: Reports meet live state

    /// The current finding that explains a reported failure, if the latest check sees the same problem.
    ///
    /// For example a sender reporting `certificate-expired` for `mx1.example.com` while the
    /// latest check of `example.com` raises `certificate-expired` for that host. MX-level
    /// result types need the finding to be about the reported MX; policy-level ones
    /// (`sts-*`) match any subject. Returns the finding as text, or nil when the current
    /// state does not explain the failure (it may be fixed, or be on the sender's side).
    public func liveCause(domain: String, mx: String?, resultType: String) throws -> String? {
        let name = try Self.normalize(domain)
        guard let codes = Self.causes[resultType] else { return nil }
        let host = mx.map(DomainName.canonical)
        let mxLevel = !resultType.hasPrefix("sts-")
        if mxLevel && host == nil { return nil }
        return try pool.read { db in
            let rows = try Row.fetchAll(db, sql: """
                SELECT code, subject, severity, message FROM finding WHERE domain = ? ORDER BY position
                """, arguments: [name])
            for row in rows {
                let code: String = row["code"], subject: String = row["subject"]
                guard codes.contains(code) else { continue }
                // Per-address findings name "host [address]": the host is what the report names.
                let subjectHost = subject.split(separator: " [", maxSplits: 1).first.map(String.init) ?? subject
                if mxLevel, DomainName.canonical(subjectHost) != host { continue }
                return "\(row["severity"] as String) \(code) [\(subject)]: \(row["message"] as String)"
            }
            return nil
        }
    }

    /// RFC 8460 §4.3 result types and the finding codes that are the same problem seen from our side.
    static let causes: [String: Set<String>] = [
        "starttls-not-supported": [FindingCode.starttlsNotSupported.rawValue, FindingCode.starttlsDowngrade.rawValue],
        "certificate-host-mismatch": [FindingCode.certificateHostMismatch.rawValue],
        "certificate-expired": [FindingCode.certificateExpired.rawValue],
        "certificate-not-trusted": [FindingCode.certificateNotTrusted.rawValue],
        "validation-failure": [FindingCode.tlsHandshakeFailed.rawValue, FindingCode.certificateNotYetValid.rawValue,
                               FindingCode.certificateNotTrusted.rawValue],
        "sts-policy-fetch-error": [FindingCode.stsPolicyFetchError.rawValue],
        "sts-policy-invalid": [FindingCode.stsPolicyInvalid.rawValue],
        "sts-webpki-invalid": [FindingCode.stsWebPKIInvalid.rawValue],
    ]
}

/// The store is where ingested reports go and where IMAP reading state is kept; both
/// protocols live in STSCore, so neither the store nor the ingest path depends on the other.
extension Store: ReportSink, IMAPStateStore {}
/// A string as an SQL literal (single quotes doubled), for the rare clause built from a stored value.
private func databaseQuote(_ text: String) -> String {
    "'" + text.replacingOccurrences(of: "'", with: "''") + "'"
}
