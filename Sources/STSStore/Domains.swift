import Foundation
import GRDB
import STSCore

/// A monitored domain and its schedule, as `stswatch domains` and the poller see it.
public struct DomainRecord: Sendable, Hashable {
    /// Canonical form: lower-case, A-labels for internationalised names.
    public var name: String
    public var addedAt: Date
    /// The per-domain check interval in seconds, or nil to use the configured default.
    public var intervalSeconds: Int?
    /// Nil until the poller schedules it: a new domain is due at once.
    public var nextDueAt: Date?
    public var lastCheckedAt: Date?
    /// The last check that completed (``Store/record(observation:assessment:nextDue:failed:)`` with `failed: false`).
    public var lastSuccessAt: Date?
    /// The status of the latest check, nil before the first.
    public var status: DomainStatus?
    /// Checks that failed in a row, for the poller's back-off.
    public var consecutiveFailures: Int
}

extension Store {
    // MARK: Domains

    /// Adds domains to watch, validating every name first; returns the names newly added, canonical.
    ///
    /// Names are stored as `DomainName.normalize` gives them (an IDN in its A-label form),
    /// so `Bücher.example` and `xn--bcher-kva.example` are one domain. Nothing is added when
    /// any name is invalid, and the error lists each bad name with its problem.
    @discardableResult
    public func addDomains(_ names: [String], now: Date = Date()) throws -> [String] {
        let canonical = try Self.normalize(names)
        return try pool.write { db in
            var added: [String] = []
            for name in canonical {
                try db.execute(sql: "INSERT INTO domain (name, added_at) VALUES (?, ?) ON CONFLICT (name) DO NOTHING",
                               arguments: [name, now.unix])
                if db.changesCount > 0 { added.append(name) }
            }
            return added
        }
    }

    /// Stops watching domains, with their state, findings, events and observations; returns the names removed.
    @discardableResult
    public func removeDomains(_ names: [String]) throws -> [String] {
        let canonical = try Self.normalize(names)
        return try pool.write { db in
            var removed: [String] = []
            for name in canonical {
                try db.execute(sql: "DELETE FROM domain WHERE name = ?", arguments: [name])
                if db.changesCount > 0 { removed.append(name) }
            }
            return removed
        }
    }

    /// Every monitored domain with its schedule and latest status, by name.
    public func domains() throws -> [DomainRecord] {
        try pool.read { db in
            try Row.fetchAll(db, sql: """
                SELECT d.name, d.added_at, d.interval_seconds, d.next_due_at, d.last_checked_at, d.last_success_at,
                       d.consecutive_failures, s.status
                FROM domain d LEFT JOIN current_state s ON s.domain = d.name
                ORDER BY d.name
                """).map { row in
                let name: String = row["name"]
                let statusText: String? = row["status"]
                return DomainRecord(name: name, addedAt: Date(unix: row["added_at"]),
                                    intervalSeconds: row["interval_seconds"],
                                    nextDueAt: (row["next_due_at"] as Double?).map(Date.init(unix:)),
                                    lastCheckedAt: (row["last_checked_at"] as Double?).map(Date.init(unix:)),
                                    lastSuccessAt: (row["last_success_at"] as Double?).map(Date.init(unix:)),
                                    status: try statusText.map { try Self.status($0, table: "current_state", key: name) },
                                    consecutiveFailures: row["consecutive_failures"])
            }
        }
    }

    /// Sets (or with nil, clears) a domain's own check interval.
    public func setInterval(domain: String, seconds: Int?) throws {
        let name = try Self.normalize(domain)
        if let seconds, seconds <= 0 { throw StoreError.invalidInterval(domain: name, seconds: seconds) }
        try pool.write { db in
            try db.execute(sql: "UPDATE domain SET interval_seconds = ? WHERE name = ?", arguments: [seconds, name])
            if db.changesCount == 0 { throw StoreError.unknownDomain(name) }
        }
    }

    // MARK: Scheduling

    /// Domains whose next check is due at `now`, never-checked ones first, then the most overdue.
    public func domainsDue(now: Date, limit: Int) throws -> [String] {
        try pool.read { db in
            try String.fetchAll(db, sql: """
                SELECT name FROM domain
                WHERE next_due_at IS NULL OR next_due_at <= ?
                ORDER BY next_due_at IS NOT NULL, next_due_at, name
                LIMIT ?
                """, arguments: [now.unix, max(0, limit)])
        }
    }

    /// When the domain should next be checked, as the poller computed it.
    public func schedule(domain: String, nextDue: Date) throws {
        let name = try Self.normalize(domain)
        try pool.write { db in
            try db.execute(sql: "UPDATE domain SET next_due_at = ? WHERE name = ?", arguments: [nextDue.unix, name])
            if db.changesCount == 0 { throw StoreError.unknownDomain(name) }
        }
    }

    /// The earliest next-due time over all domains, so the poller knows how long it may sleep.
    public func nextDueAt() throws -> Date? {
        try pool.read { db in
            if try Bool.fetchOne(db, sql: "SELECT EXISTS (SELECT 1 FROM domain WHERE next_due_at IS NULL)") == true {
                return Date(unix: 0)
            }
            return try Double.fetchOne(db, sql: "SELECT min(next_due_at) FROM domain").map(Date.init(unix:))
        }
    }

    // MARK: Re-check requests

    /// Asks the poller to check `domain` (nil: every domain) as soon as it can.
    public func requestRecheck(domain: String?, now: Date = Date()) throws {
        let name = try domain.map { try Self.normalize($0) }
        try pool.write { db in
            if let name, try !Bool.fetchOne(db, sql: "SELECT EXISTS (SELECT 1 FROM domain WHERE name = ?)", arguments: [name])! {
                throw StoreError.unknownDomain(name)
            }
            try db.execute(sql: "INSERT INTO recheck_request (domain, requested_at) VALUES (?, ?)", arguments: [name, now.unix])
        }
    }

    /// Removes and returns the pending re-check requests, in one transaction so none is lost or taken twice.
    public func takeRecheckRequests() throws -> (all: Bool, domains: [String]) {
        try pool.write { db in
            let rows = try Row.fetchAll(db, sql: "SELECT domain FROM recheck_request ORDER BY id")
            try db.execute(sql: "DELETE FROM recheck_request")
            var all = false, seen = Set<String>(), domains: [String] = []
            for row in rows {
                if let name = row["domain"] as String? {
                    if seen.insert(name).inserted { domains.append(name) }
                } else {
                    all = true
                }
            }
            return (all, domains)
        }
    }

    // MARK: Helpers

    static func normalize(_ names: [String]) throws -> [String] {
        var problems: [String: String] = [:], out: [String] = [], seen = Set<String>()
        for name in names {
            do {
                let canonical = try DomainName.normalize(name.trimmingCharacters(in: .whitespaces))
                if seen.insert(canonical).inserted { out.append(canonical) }
            } catch {
                problems[name] = error.description
            }
        }
        if !problems.isEmpty { throw StoreError.invalidDomains(problems) }
        return out
    }

    static func normalize(_ name: String) throws -> String {
        try normalize([name])[0]
    }

    static func status(_ text: String, table: String, key: String) throws -> DomainStatus {
        guard let status = DomainStatus(rawValue: text) else {
            throw StoreError.corruptRow(table: table, key: key, detail: "unknown status '\(text)'")
        }
        return status
    }
}
