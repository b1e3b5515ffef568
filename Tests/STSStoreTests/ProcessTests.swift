import Foundation
import STSLab
import STSCore
@testable import STSStore
import STSStoreFixtures
import Testing

/// The store across processes and threads: the writer lock, SIGKILL in mid-write, readers during writes.
@Suite(.serialized) struct ProcessTests {
    @Test func secondAcquirerIsToldWhoHoldsTheLock() throws {
        let temp = try TempFolder()
        let path = temp.databasePath
        let lock = try WriterLock.acquire(for: path, now: t0)
        #expect(lock.holder.pid == getpid())
        // flock locks belong to an open file, so even this process cannot take it twice.
        let error = #expect(throws: WriterLock.Failure.self) { try WriterLock.acquire(for: path) }
        let text = error?.description ?? ""
        #expect(text.contains("database \(path) is being written by stswatch poller pid \(getpid()) on host \(ProcessInfo.processInfo.hostName) since 2026-"), "\(text)")
        // Another process cannot take it either: util-linux flock(1) fails with -n.
        #expect(try run("/usr/bin/flock", ["-n", path + ".lock", "true"]) == 1)
        lock.release()
        #expect(try run("/usr/bin/flock", ["-n", path + ".lock", "true"]) == 0)
        let again = try WriterLock.acquire(for: path)
        again.release()
    }

    @Test func aKilledHolderReleasesTheLock() throws {
        let temp = try TempFolder()
        let path = temp.databasePath
        try FileManager.default.createDirectory(atPath: temp.path("db"), withIntermediateDirectories: true)
        // The shell takes the lock on fd 9 and then becomes `sleep`, so one process (this pid) holds it.
        let holder = try Child("/bin/sh", ["-c", #"exec 9>>"$0" && flock -n 9 && echo locked && exec sleep 30"#, path + ".lock"],
                               output: temp.path("holder.out"))
        try holder.waitFor(timeout: 10) { $0.contains("locked") }
        let error = #expect(throws: WriterLock.Failure.self) { try WriterLock.acquire(for: path) }
        #expect(error == .held(database: path, holder: nil), "\(String(describing: error))")
        #expect(error?.description.contains("another process") == true)
        #expect(holder.kill9() == .signalled(SIGKILL))
        let lock = try WriterLock.acquire(for: path)
        lock.release()
    }

    /// Batch 1 is `record` per check; batch 10 is `record(batch:)`, as the poller writes.
    @Test(arguments: [1, 10])
    func sigkillMidWriteLeavesASoundDatabaseWithItsCommits(batch: Int) throws {
        let temp = try TempFolder()
        let path = temp.databasePath
        let writer = try Child(productPath("stswatch-store-torture"), [path, "60", "\(batch)"], output: temp.path("torture.out"))
        // Let it commit a few hundred checks, then kill it at an arbitrary point of a transaction.
        try writer.waitFor(timeout: 60) { $0.split(separator: "\n").count >= 300 }
        // While it runs, it holds the writer lock, and a second writer is told who it is.
        let error = #expect(throws: WriterLock.Failure.self) { try WriterLock.acquire(for: path) }
        guard case .held(path, let holder?) = error else { Issue.record("\(String(describing: error))"); return }
        #expect(holder.pid == writer.process.pid && holder.program == "stswatch-store-torture")
        #expect(error?.description.contains("is being written by stswatch-store-torture pid \(holder.pid) on host ") == true)
        #expect(writer.kill9() == .signalled(SIGKILL))
        let printed = writer.output.split(separator: "\n").compactMap { Int($0) }
        let last = try #require(printed.last)

        let store = try Store(path: path, mode: .readOnly)
        #expect(try store.integrityProblems() == [])
        // The helper checks domain n % 20 at base + n seconds: the last printed check must be there.
        let base = Date(timeIntervalSince1970: 1_800_000_000)
        let domain = ObservationFixture.population(index: last % 20, round: 0, at: base, epoch: base).domain
        let state = try #require(try store.currentAssessments(domains: [domain]).first)
        #expect(state.checkedAt >= base.addingTimeInterval(Double(last)), "check \(last) was reported committed but is missing")
        // Every committed check is counted once in the observation runs (the batch in flight may have
        // committed unprinted), and a batch is all there or not at all.
        let recorded = try store.checksRecorded()
        #expect(recorded == last + 1 || recorded == last + 1 + batch, "\(recorded) checks stored after \(last + 1) printed")
        #expect(recorded % batch == 0, "a batch of \(batch) was split: \(recorded) checks stored")
        // Unchanged observations were not stored again: the population repeats most domains each round.
        #expect(try store.rowCount("observation") < recorded / 2)
        // The kernel released the dead writer's lock.
        let lock = try WriterLock.acquire(for: path)
        lock.release()
        // And a writer can carry on from where it stopped.
        let resumed = try Store(path: path)
        try check(resumed, fixture(domain, at: base.addingTimeInterval(1e6)))
    }

    @Test func readersSeeConsistentStatesWhileTheWriterCommits() async throws {
        let temp = try TempFolder()
        let path = temp.databasePath
        let writer = try Store(path: path)
        let names = (0..<50).map { "d\($0).example" }
        try writer.addDomains(names)
        let reader = try Store(path: path, mode: .readOnly)
        let startVersion = try reader.dataVersion()

        let readTask = Task.detached { () throws -> (reads: Int, counts: [Int]) in
            var counts: [Int] = []
            let deadline = Date().addingTimeInterval(30)
            while Date() < deadline {
                let states = try reader.currentAssessments()
                // Each state is whole: it decodes and its findings table agrees in count.
                for state in states.prefix(3) {
                    #expect(state.assessment.domain.hasSuffix(".example"))
                }
                counts.append(states.count)
                if states.count == names.count { break }
            }
            return (counts.count, counts)
        }
        for round in 0..<4 {
            for (i, name) in names.enumerated() {
                try check(writer, fixture(name, at: t0.addingTimeInterval(Double(round * 100 + i))) { f in
                    if (i + round) % 4 == 0 { f.tlsrptTXT = .noRecords }
                })
            }
        }
        let (reads, counts) = try await readTask.value
        #expect(reads > 0)
        #expect(counts == counts.sorted(), "a reader saw the number of checked domains go down: \(counts)")
        #expect(try reader.currentAssessments().count == names.count)
        #expect(try reader.dataVersion() != startVersion, "data_version must move when another connection commits")
        let settled = try reader.dataVersion()
        _ = try reader.currentAssessments()
        #expect(try reader.dataVersion() == settled, "reading must not move data_version")
    }
}
