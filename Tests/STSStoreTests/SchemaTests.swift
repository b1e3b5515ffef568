import Foundation
import STSCore
@testable import STSStore
import STSStoreFixtures
import Testing

@Suite struct SchemaTests {
    @Test func migratesAnEmptyFileAndCreatesTheFolder() throws {
        let temp = try TempFolder()
        let store = try Store(path: temp.databasePath)
        #expect(FileManager.default.fileExists(atPath: temp.databasePath))
        #expect(try store.appliedMigrations() == ["v1-initial", "v2-observation-runs", "v3-shared-mx-probes"])
        for table in ["domain", "observation", "current_state", "finding", "event", "recheck_request", "report",
                      "report_policy", "report_failure", "report_daily", "imap_state"] {
            #expect(try store.rowCount(table) == 0, "\(table)")
        }
        #expect(try store.integrityProblems().isEmpty)
    }

    @Test func reopeningACurrentSchemaWritesNothing() throws {
        let temp = try TempFolder()
        let writer = try Store(path: temp.databasePath)
        try writer.addDomains(["example.com"])
        let before = try writer.dataVersion()
        _ = try Store(path: temp.databasePath, mode: .readOnly)
        _ = try Store(path: temp.databasePath, mode: .readWrite)
        // data_version moves when another connection commits: reopening must not have committed.
        #expect(try writer.dataVersion() == before)
    }

    @Test func readOnlyRefusesMissingFileAndWrites() throws {
        let temp = try TempFolder()
        #expect(throws: StoreError.noDatabase(temp.databasePath)) { try Store(path: temp.databasePath, mode: .readOnly) }
        #expect(!FileManager.default.fileExists(atPath: temp.databasePath))

        try Store(path: temp.databasePath).addDomains(["example.com"])
        let reader = try Store(path: temp.databasePath, mode: .readOnly)
        #expect(try reader.domains().map(\.name) == ["example.com"])
        let error = #expect(throws: (any Error).self) { try reader.addDomains(["example.org"]) }
        #expect("\(error!)".contains("readonly"), "\(error!)")
    }

    @Test func readOnlyRefusesAnUnmigratedFile() throws {
        let temp = try TempFolder()
        try FileManager.default.createDirectory(atPath: temp.path("db"), withIntermediateDirectories: true)
        #expect(try run("/usr/bin/sqlite3", [temp.databasePath, "PRAGMA journal_mode=WAL; CREATE TABLE other (x);"]) == 0)
        let error = #expect(throws: StoreError.self) { try Store(path: temp.databasePath, mode: .readOnly) }
        #expect(error == .schemaOutdated(temp.databasePath, pending: ["v1-initial", "v2-observation-runs", "v3-shared-mx-probes"]))
        #expect(error?.description.contains("v1-initial") == true)
        // Write access migrates it.
        #expect(try Store(path: temp.databasePath).appliedMigrations() == ["v1-initial", "v2-observation-runs", "v3-shared-mx-probes"])
    }

    @Test func refusesADatabaseFromANewerVersion() throws {
        let temp = try TempFolder()
        try Store(path: temp.databasePath).executeRaw("INSERT INTO grdb_migrations (identifier) VALUES ('v9-future')")
        for mode in [Store.Mode.readOnly, .readWrite] {
            #expect(throws: StoreError.schemaNewer(temp.databasePath)) { try Store(path: temp.databasePath, mode: mode) }
        }
    }

    @Test func defaultPathFollowsXDG() {
        #expect(Store.defaultPath(environment: ["XDG_DATA_HOME": "/data", "HOME": "/home/u"]) == "/data/stswatch/stswatch.sqlite")
        #expect(Store.defaultPath(environment: ["HOME": "/home/u"]) == "/home/u/.local/share/stswatch/stswatch.sqlite")
        // The XDG spec says relative values are invalid and must be ignored.
        #expect(Store.defaultPath(environment: ["XDG_DATA_HOME": "rel", "HOME": "/home/u"]) == "/home/u/.local/share/stswatch/stswatch.sqlite")
    }

    /// Rows that break one rule each, written by raw SQL past the Swift API: the schema must refuse them.
    @Test(arguments: [
        ("upper-case domain", "INSERT INTO domain (name, added_at) VALUES ('Example.org', 0)", "CHECK"),
        ("U-label domain", "INSERT INTO domain (name, added_at) VALUES ('bücher.example', 0)", "CHECK"),
        ("trailing dot", "INSERT INTO domain (name, added_at) VALUES ('example.org.', 0)", "CHECK"),
        ("empty label", "INSERT INTO domain (name, added_at) VALUES ('example..org', 0)", "CHECK"),
        ("empty name", "INSERT INTO domain (name, added_at) VALUES ('', 0)", "CHECK"),
        ("duplicate domain", "INSERT INTO domain (name, added_at) VALUES ('example.com', 0)", "UNIQUE"),
        ("zero interval", "UPDATE domain SET interval_seconds = 0", "CHECK"),
        ("negative failures", "UPDATE domain SET consecutive_failures = -1", "CHECK"),
        ("text in a time column", "UPDATE domain SET added_at = 'yesterday'", "cannot store TEXT value in REAL column"),
        ("observation of unknown domain", "INSERT INTO observation (domain, observed_at, last_seen_at, failed, json) VALUES ('nowhere.test', 0, 0, 0, '{}')", "FOREIGN KEY"),
        ("observation not JSON", "INSERT INTO observation (domain, observed_at, last_seen_at, failed, json) VALUES ('example.com', 0, 0, 0, '{')", "CHECK"),
        ("observation failed flag 2", "INSERT INTO observation (domain, observed_at, last_seen_at, failed, json) VALUES ('example.com', 0, 0, 2, '{}')", "CHECK"),
        ("policy hash not hex", "UPDATE observation SET policy_sha256 = 'xyz'", "CHECK"),
        ("content hash not hex", "UPDATE observation SET content_sha256 = 'xyz'", "CHECK"),
        ("run seen zero times", "UPDATE observation SET seen_count = 0", "CHECK"),
        ("run last seen before it began", "UPDATE observation SET last_seen_at = observed_at - 1", "CHECK"),
        ("unknown status", "UPDATE current_state SET status = 'fine'", "CHECK"),
        ("unknown mode", "UPDATE current_state SET mode = 'strict'", "CHECK"),
        ("state of unknown domain", "INSERT INTO current_state (domain, checked_at, status, tlsrpt_present, finding_count, assessment) VALUES ('nowhere.test', 0, 'ok', 0, 0, '{}')", "FOREIGN KEY"),
        ("finding without state", "INSERT INTO finding (domain, code, subject, position, severity, message, first_seen, last_seen) VALUES ('unchecked.example', 'mx-missing', 'x', 0, 'warn', 'm', 0, 0)", "FOREIGN KEY"),
        ("finding seen before it was first seen", "UPDATE finding SET last_seen = first_seen - 1", "CHECK"),
        ("finding severity", "UPDATE finding SET severity = 'fatal'", "CHECK"),
        ("finding code shape", "UPDATE finding SET code = 'Not A Code'", "CHECK"),
        ("duplicate finding", "INSERT INTO finding SELECT * FROM finding", "UNIQUE"),
        ("event severity", "INSERT INTO event (domain, at, kind, subject, severity, message) VALUES ('example.com', 0, 'status-changed', 's', 'bad', 'm')", "CHECK"),
        ("event of unknown domain", "INSERT INTO event (domain, at, kind, subject, severity, message) VALUES ('nowhere.test', 0, 'status-changed', 's', 'info', 'm')", "FOREIGN KEY"),
        ("recheck of unknown domain", "INSERT INTO recheck_request (domain, requested_at) VALUES ('nowhere.test', 0)", "FOREIGN KEY"),
        ("report seen twice", "INSERT INTO report (organization, report_id, raw_sha256, seen_at, day, received_at, source, oddities, total_successful, total_failed, raw) SELECT organization, report_id, printf('%064d', 1), seen_at, day, received_at, source, oddities, 0, 0, raw FROM report", "UNIQUE"),
        ("report without organisation or id", "INSERT INTO report (organization, raw_sha256, seen_at, day, received_at, source, oddities, total_successful, total_failed, raw) VALUES ('', printf('%064d', 2), 0, '2024-01-01', 0, 'f', '[]', 0, 0, x'00')", "CHECK"),
        ("report day shape", "UPDATE report SET day = '1 Jan 2024'", "CHECK"),
        ("report negative total", "UPDATE report SET total_failed = -5", "CHECK"),
        ("report oddities not a list", "UPDATE report SET oddities = '{}'", "CHECK"),
        ("report range backwards", "UPDATE report SET start_at = 10, end_at = 5", "CHECK"),
        ("policy of unknown report", "INSERT INTO report_policy (report, position, day, mx_hosts, successful, failed) VALUES (999, 0, '2024-01-01', '[]', 0, 0)", "FOREIGN KEY"),
        ("failure negative count", "UPDATE report_failure SET failed_session_count = -1", "CHECK"),
        ("failure of unknown policy", "INSERT INTO report_failure (policy, failed_session_count) VALUES (999, 1)", "FOREIGN KEY"),
        ("UIDVALIDITY zero", "INSERT INTO imap_state VALUES ('imap://x/INBOX', 0, 0, 0)", "CHECK"),
        ("UID beyond 32 bits", "INSERT INTO imap_state VALUES ('imap://x/INBOX', 1, 4294967296, 0)", "CHECK"),
    ])
    func schemaRefuses(rule: String, sql: String, expected: String) throws {
        let temp = try TempFolder()
        let store = try populated(temp)
        let before = try store.dataVersion()
        let error = #expect(throws: (any Error).self, "\(rule)") { try store.executeRaw(sql) }
        #expect("\(error.map { "\($0)" } ?? "")".contains(expected), "\(rule): \(error.map { "\($0)" } ?? "no error")")
        #expect(try store.dataVersion() == before, "\(rule): the failed statement committed something")
    }

    /// The same database, where each rule's valid counterpart is accepted: the refusals above are about the rule.
    @Test func validRowsAreAccepted() throws {
        let temp = try TempFolder()
        let store = try populated(temp)
        try store.executeRaw("INSERT INTO domain (name, added_at, interval_seconds) VALUES ('xn--bcher-kva.example', 0, 60)")
        try store.executeRaw("INSERT INTO event (domain, at, kind, subject, severity, message) VALUES ('example.com', 0, 'status-changed', 's', 'info', 'm')")
        try store.executeRaw("INSERT INTO imap_state VALUES ('imap://x/INBOX', 4294967295, 4294967295, 0)")
        try store.executeRaw("UPDATE finding SET last_seen = first_seen")
        try store.executeRaw("INSERT INTO recheck_request (domain, requested_at) VALUES (NULL, 0)")
        #expect(try store.integrityProblems().isEmpty)
    }

    @Test func removingADomainCascades() throws {
        let temp = try TempFolder()
        let store = try populated(temp)
        try check(store, fixture(at: t0.addingTimeInterval(60)) { $0.certDays["mx1.example.com"] = -1 })
        try store.requestRecheck(domain: "example.com")
        for table in ["observation", "current_state", "finding", "event", "recheck_request"] {
            #expect(try store.rowCount(table) > 0, "\(table)")
        }
        #expect(try store.removeDomains(["EXAMPLE.com."]) == ["example.com"])
        for table in ["observation", "current_state", "finding", "event", "recheck_request"] {
            #expect(try store.rowCount(table) == (table == "current_state" || table == "observation" ? 1 : 0), "\(table)")
        }
        #expect(try store.domains().map(\.name) == ["other.com", "unchecked.example"])
        #expect(try store.integrityProblems().isEmpty)
    }

    /// A database with one of everything: two checked domains (one with findings), a report with a failure.
    func populated(_ temp: TempFolder) throws -> Store {
        let store = try Store(path: temp.databasePath)
        try store.addDomains(["example.com", "other.com", "unchecked.example"])
        try check(store, fixture { $0.tlsrptTXT = .noRecords })
        try check(store, fixture("other.com"))
        let report = #"{"organization-name":"Org","report-id":"r1","date-range":{"start-datetime":"2024-01-01T00:00:00Z","end-datetime":"2024-01-01T23:59:59Z"},"policies":[{"policy":{"policy-type":"sts","policy-domain":"example.com"},"summary":{"total-successful-session-count":1,"total-failure-session-count":2},"failure-details":[{"result-type":"certificate-expired","failed-session-count":2}]}]}"#
        _ = try store.insertReport(TLSReport.decode(Data(report.utf8)), raw: Data(report.utf8), source: "test", message: nil)
        return store
    }
}
