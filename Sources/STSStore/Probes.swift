import Foundation
import GRDB
import STSCore

/// MX probes shared across domains, rounds and processes (`mx_probe`, `domain_mx`).
extension Store {
    /// Keeps the latest probe of each (host, address), replacing the one before.
    public func save(probes: [SharedProbe]) throws {
        guard !probes.isEmpty else { return }
        try pool.write { db in try Self.save(probes: probes, db) }
    }

    static func save(probes: [SharedProbe], _ db: Database) throws {
        guard !probes.isEmpty else { return }
        let upsert = try db.cachedStatement(sql: """
            INSERT INTO mx_probe (host, address, probed_at, refusals, retry_after, json) VALUES (?, ?, ?, ?, ?, ?)
            ON CONFLICT (host, address) DO UPDATE SET probed_at = excluded.probed_at, refusals = excluded.refusals,
                retry_after = excluded.retry_after, json = excluded.json
            """)
        for shared in probes {
            let probe = shared.probe
            try upsert.execute(arguments: [probe.host, probe.address, (probe.probedAt ?? Date()).unix, shared.refusals,
                                           probe.rateLimited?.retryAfter.unix, try StoreJSON.encode(shared)])
        }
    }

    /// Every stored probe, for a poller starting up: the probes another process made stay shared.
    /// Rows that no longer decode (written by a newer version) are skipped.
    public func sharedProbes(newerThan date: Date? = nil) throws -> [SharedProbe] {
        try pool.read { db in
            let rows = try Row.fetchCursor(db, sql: "SELECT json FROM mx_probe WHERE probed_at >= ?",
                                           arguments: [date?.unix ?? -Double.greatestFiniteMagnitude])
            var out: [SharedProbe] = []
            while let row = try rows.next() {
                let json: String = row["json"]
                if let probe = try? StoreJSON.decode(SharedProbe.self, json, table: "mx_probe", key: "") { out.append(probe) }
            }
            return out
        }
    }

    /// How many domains have each of these MX hosts at their latest check.
    public func domainsSharing(hosts: [String]) throws -> [String: Int] {
        guard !hosts.isEmpty else { return [:] }
        return try pool.read { db in
            var out: [String: Int] = [:]
            let count = try db.cachedStatement(sql: "SELECT count(*) FROM domain_mx WHERE host = ?")
            for host in Set(hosts) { out[host] = try Int.fetchOne(count, arguments: [host]) ?? 0 }
            return out
        }
    }

    /// Drops probes not refreshed since `date` (MX hosts no domain uses any more).
    @discardableResult
    public func prune(probesOlderThan date: Date) throws -> Int {
        try pool.write { db in
            try db.execute(sql: "DELETE FROM mx_probe WHERE probed_at < ?", arguments: [date.unix])
            return db.changesCount
        }
    }
}
