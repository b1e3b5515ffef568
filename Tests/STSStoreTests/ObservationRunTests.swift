import Foundation
import STSCore
@testable import STSStore
import STSStoreFixtures
import Testing

/// Schema v2: unchanged observations extend a run instead of adding rows; checks recorded in batches.
@Suite struct ObservationRunTests {
    @Test func anUnchangedObservationIsStoredOnceAndItsHistoryStaysAnswerable() throws {
        let temp = try TempFolder()
        let store = try Store(path: temp.databasePath)
        try store.addDomains(["example.com"])
        var stored: [Bool] = []
        for minutes in [0.0, 15, 30] { stored.append(try check(store, fixture(at: t0.addingTimeInterval(minutes * 60))).1.storedNewObservation) }
        // A renewed certificate is a new observation; going back to the old one is new again (it differs from the latest).
        stored.append(try check(store, fixture(at: t0.addingTimeInterval(45 * 60)) { $0.certDays["mx1.example.com"] = 80 }).1.storedNewObservation)
        stored.append(try check(store, fixture(at: t0.addingTimeInterval(60 * 60))).1.storedNewObservation)
        #expect(stored == [true, false, false, true, true])

        let runs = try store.observations(domain: "example.com")
        #expect(runs.map(\.observation.observedAt) == [60, 45, 0].map { t0.addingTimeInterval($0 * 60) })
        #expect(runs.map(\.lastSeen) == [60, 45, 30].map { t0.addingTimeInterval($0 * 60) })
        #expect(runs.map(\.seenCount) == [1, 1, 3])
        #expect(runs[2].observation == fixture().build(), "the run keeps the observation as first seen")
        #expect(try store.checksRecorded() == 5)
        #expect(try store.rowCount("observation") == 3)
        // The current state and its history are those of five checks.
        #expect(try store.currentAssessments().first?.checkedAt == t0.addingTimeInterval(3600))
        #expect(try store.events(domain: "example.com").filter { $0.kind == .certificateChanged }.count == 2)
        #expect(try store.integrityProblems().isEmpty)
    }

    @Test func aFailedCheckStartsARunOfItsOwn() throws {
        let temp = try TempFolder()
        let store = try Store(path: temp.databasePath)
        try store.addDomains(["example.com"])
        try check(store, fixture())
        let (_, outcome) = try check(store, fixture(at: t0.addingTimeInterval(60)), failed: true)
        #expect(outcome.storedNewObservation, "the same data judged a failed check is not the same run")
        #expect(try store.observations(domain: "example.com").map(\.failed) == [true, false])
    }

    @Test func pruneKeepsARunStillBeingSeenAndDropsItOnceSupersededAndOld() throws {
        let temp = try TempFolder()
        let store = try Store(path: temp.databasePath)
        try store.addDomains(["example.com"])
        for hour in 0...10 { try check(store, fixture(at: t0.addingTimeInterval(Double(hour) * 3600))) }
        try check(store, fixture(at: t0.addingTimeInterval(11 * 3600)) { $0.certDays["mx1.example.com"] = 80 })
        // Began at t0 but last seen at t0+10h: younger than a 5-hour cut-off.
        #expect(try store.prune(observationsOlderThan: t0.addingTimeInterval(5 * 3600)) == 0)
        #expect(try store.prune(observationsOlderThan: t0.addingTimeInterval(10.5 * 3600)) == 1)
        #expect(try store.observations(domain: "example.com").map(\.seenCount) == [1])
        #expect(try store.integrityProblems().isEmpty)
    }

    @Test func theContentHashIgnoresTimeBannersAndOrderAndNothingElse() throws {
        func hash(_ f: ObservationFixture, _ change: (inout DomainObservation) -> Void = { _ in }) throws -> String {
            var o = f.build()
            change(&o)
            return try Store.contentHash(of: o)
        }
        let base = try hash(fixture())
        #expect(try hash(fixture(at: t0.addingTimeInterval(123.456))) == base)
        #expect(try hash(fixture { $0.certDays["mx1.example.com"] = 80 }) != base)
        #expect(try hash(fixture { $0.tlsrptTXT = .noRecords }) != base)
        // SMTP banners carry per-connection ids at large providers; the rest of a probe counts.
        #expect(try hash(fixture()) { $0.mxHosts[0].probes[0].greeting = ["220 mx1.example.com ESMTP 1a2b3c - gsmtp"] } == base)
        #expect(try hash(fixture()) { $0.mxHosts[0].probes[0].ehlo = ["250-mx1.example.com at your service, [192.0.2.7]"] } == base)
        #expect(try hash(fixture()) { $0.mxHosts[0].probes[0].port = 2525 } != base)
        #expect(try hash(fixture()) { $0.mxHosts[0].probes[0].outcome = .starttlsNotOffered } != base)
        // The order probes finished in, and the order a resolver rotates answers into, are not news.
        #expect(try hash(fixture()) { $0.mxHosts.reverse() } == base)
        let twoAddresses = try hash(fixture()) { $0.mxHosts[0].ipv4 = .records(["192.0.2.1", "192.0.2.2"]) }
        #expect(try hash(fixture()) { $0.mxHosts[0].ipv4 = .records(["192.0.2.2", "192.0.2.1"]) } == twoAddresses)
        #expect(twoAddresses != base)
        #expect(try hash(fixture()) { if case .records(let r) = $0.mx { $0.mx = .records(r.reversed()) } } == base)
        // Content, not order, of a TXT record's strings.
        #expect(try hash(fixture { $0.tlsrptTXT = .records([TXTRecord(strings: ["v=TLSRPTv1; ", "rua=mailto:a@example.com"])]) })
                != hash(fixture { $0.tlsrptTXT = .records([TXTRecord(strings: ["rua=mailto:a@example.com", "v=TLSRPTv1; "])]) }))
        // The prepared check carries the same hash.
        let (o, a) = fixture(at: t0.addingTimeInterval(900)).assess()
        #expect(try Store.prepare(observation: o, assessment: a).contentHash == base)
    }

    @Test func aBatchStoresEveryGoodCheckAndRefusesOnlyTheBadOne() throws {
        let temp = try TempFolder()
        let store = try Store(path: temp.databasePath)
        let names = (0..<50).map { "d\($0).example" }
        try store.addDomains(names)
        func item(_ name: String, _ at: Date = t0) throws -> CheckRecord {
            let (o, a) = fixture(name, at: at).assess()
            return CheckRecord(try Store.prepare(observation: o, assessment: a), nextDue: at.addingTimeInterval(900), failed: false)
        }
        var batch = try names.map { try item($0) }
        batch.insert(try item("not-watched.example"), at: 25)
        let results = try store.record(batch: batch)
        #expect(results.count == 51)
        for (index, result) in results.enumerated() {
            switch (index, result) {
            case (25, .failure(let error)): #expect(error as? StoreError == .unknownDomain("not-watched.example"))
            case (25, .success): Issue.record("a check of an unwatched domain was stored")
            case (_, .failure(let error)): Issue.record("check \(index) refused: \(error)")
            case (_, .success(let outcome)): #expect(outcome.storedNewObservation)
            }
        }
        #expect(try store.currentAssessments().map(\.assessment.domain) == names.sorted())
        #expect(try store.rowCount("observation") == 50)
        #expect(try store.domains().allSatisfy { $0.nextDueAt == t0.addingTimeInterval(900) })

        // A second batch of the same results extends each run; one refused check leaves nothing behind.
        let again = try store.record(batch: try names.map { try item($0, t0.addingTimeInterval(900)) })
        #expect(again.allSatisfy { (try? $0.get().storedNewObservation) == false })
        #expect(try store.checksRecorded() == 100 && store.rowCount("observation") == 50)
        #expect(try store.record(batch: []).isEmpty)
        #expect(try store.integrityProblems().isEmpty)
    }

    @Test func aVersionOneDatabaseMigratesWithItsDataIntact() throws {
        let temp = try TempFolder()
        try FileManager.default.createDirectory(atPath: temp.path("db"), withIntermediateDirectories: true)
        // A v1 file as v1 wrote it: the schema, GRDB's migration table, and one recorded check.
        let (observation, assessment) = fixture().assess()
        let observationJSON = try StoreJSON.encode(observation), assessmentJSON = try StoreJSON.encode(assessment)
        func quoted(_ text: String) -> String { "'" + text.replacingOccurrences(of: "'", with: "''") + "'" }
        let sql = """
            PRAGMA journal_mode=WAL;
            \(Schema.v1)
            CREATE TABLE grdb_migrations (identifier TEXT NOT NULL PRIMARY KEY);
            INSERT INTO grdb_migrations VALUES ('v1-initial');
            INSERT INTO domain (name, added_at, last_checked_at, last_success_at) VALUES ('example.com', 0, \(t0.unix), \(t0.unix));
            INSERT INTO observation (id, domain, observed_at, failed, policy_sha256, json)
                VALUES (7, 'example.com', \(t0.unix), 0, NULL, \(quoted(observationJSON)));
            INSERT INTO current_state (domain, observation_id, checked_at, status, tlsrpt_present, finding_count, assessment)
                VALUES ('example.com', 7, \(t0.unix), '\(assessment.status.rawValue)', 1, \(assessment.findings.count), \(quoted(assessmentJSON)));
            INSERT INTO event (domain, at, kind, subject, severity, message) VALUES ('example.com', \(t0.unix), 'status-changed', '', 'info', 'ok');
            """
        let script = temp.path("v1.sql")
        try sql.write(toFile: script, atomically: true, encoding: .utf8)
        #expect(try run("/bin/sh", ["-c", "/usr/bin/sqlite3 '\(temp.databasePath)' < '\(script)'"]) == 0)

        #expect(throws: StoreError.schemaOutdated(temp.databasePath, pending: ["v2-observation-runs", "v3-shared-mx-probes"])) {
            try Store(path: temp.databasePath, mode: .readOnly)
        }
        let store = try Store(path: temp.databasePath)
        #expect(try store.appliedMigrations() == ["v1-initial", "v2-observation-runs", "v3-shared-mx-probes"])
        #expect(try store.integrityProblems().isEmpty)
        let runs = try store.observations(domain: "example.com")
        #expect(runs.count == 1)
        #expect(runs.first?.id == 7 && runs.first?.observation == observation && runs.first?.seenCount == 1 && runs.first?.lastSeen == t0)
        #expect(try store.currentAssessments().first?.assessment == assessment)
        #expect(try store.events().count == 1)
        // The current state still points at the migrated row: pruning everything keeps it.
        #expect(try store.prune(observationsOlderThan: t0.addingTimeInterval(1e6)) == 0)
        // A v1 row has no content hash, so the next check starts a run; the one after extends it.
        #expect(try check(store, fixture(at: t0.addingTimeInterval(60))).1.storedNewObservation)
        #expect(try check(store, fixture(at: t0.addingTimeInterval(120))).1.storedNewObservation == false)
        // The rebuilt table keeps v1's rules and adds its own.
        #expect(throws: (any Error).self) { try store.executeRaw("UPDATE observation SET seen_count = 0") }
        #expect(throws: (any Error).self) { try store.executeRaw("UPDATE observation SET last_seen_at = observed_at - 1") }
        #expect(throws: (any Error).self) { try store.executeRaw("UPDATE observation SET json = 'not json'") }
        #expect(throws: (any Error).self) { try store.executeRaw("UPDATE observation SET content_sha256 = 'abc'") }
        try store.removeDomains(["example.com"])
        #expect(try store.rowCount("observation") == 0, "deleting the domain cascades to the rebuilt table")
    }
}
