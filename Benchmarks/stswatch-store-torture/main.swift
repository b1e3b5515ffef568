// Records checks in a loop until killed, printing each committed sequence number:
// the SIGKILL-consistency test kills it mid-write and checks what is left.
//
//   stswatch-store-torture DATABASE [SECONDS] [BATCH]
//
// Stops by itself after SECONDS (default 60) so a test that dies cannot leave it running.
// With BATCH > 1 it records BATCH checks per transaction (`Store.record(batch:)`, as the
// poller does) and prints their numbers after the commit; BATCH must divide 20.
import Foundation
import STSCore
import STSStore
import STSStoreFixtures

let arguments = CommandLine.arguments
guard arguments.count >= 2 else {
    FileHandle.standardError.write(Data("usage: stswatch-store-torture DATABASE [SECONDS]\n".utf8))
    exit(64)
}
let path = arguments[1]
let limit = arguments.count > 2 ? (TimeInterval(arguments[2]) ?? 60) : 60
let batchSize = arguments.count > 3 ? max(1, Int(arguments[3]) ?? 1) : 1
let domainCount = 20
guard domainCount % batchSize == 0 else {
    FileHandle.standardError.write(Data("stswatch-store-torture: BATCH must divide \(domainCount)\n".utf8))
    exit(64)
}
/// The instant of record number `n`: one second apart, so a reader can tell which record it sees.
let base = Date(timeIntervalSince1970: 1_800_000_000)

do {
    let lock = try WriterLock.acquire(for: path, program: "stswatch-store-torture")
    let store = try Store(path: path)
    let names = (0..<domainCount).map { ObservationFixture.population(index: $0, round: 0, at: base, epoch: base).domain }
    try store.addDomains(names)
    let deadline = Date().addingTimeInterval(limit)
    var n = 0
    while Date() < deadline {
        // Within a batch every check is of a different domain, so each is judged against the stored state.
        var batch: [CheckRecord] = []
        for k in n..<(n + batchSize) {
            let fixture = ObservationFixture.population(index: k % domainCount, round: k / domainCount, at: base.addingTimeInterval(TimeInterval(k)), epoch: base)
            let previous = try store.previousAssessment(domain: fixture.domain)
            let (observation, assessment) = fixture.assess(previous: previous)
            batch.append(CheckRecord(try Store.prepare(observation: observation, assessment: assessment),
                                     nextDue: observation.observedAt.addingTimeInterval(3600), failed: false))
        }
        if batchSize == 1 {
            try store.record(batch[0].prepared, nextDue: batch[0].nextDue, failed: false)
        } else {
            for result in try store.record(batch: batch) { _ = try result.get() }
        }
        // Unbuffered and after the commit: every number printed is committed before anyone reads it.
        let line = Array((n..<(n + batchSize)).map { "\($0)\n" }.joined().utf8)
        _ = line.withUnsafeBytes { write(1, $0.baseAddress, $0.count) }
        n += batchSize
    }
    withExtendedLifetime(lock) {}
} catch {
    FileHandle.standardError.write(Data("stswatch-store-torture: \(error)\n".utf8))
    exit(1)
}
