// Records checks in a loop until killed, printing each committed sequence number:
// the SIGKILL-consistency test kills it mid-write and checks what is left.
//
//   stswatch-store-torture DATABASE [SECONDS]
//
// Stops by itself after SECONDS (default 60) so a test that dies cannot leave it running.
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
let domainCount = 20
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
        let fixture = ObservationFixture.population(index: n % domainCount, round: n / domainCount, at: base.addingTimeInterval(TimeInterval(n)), epoch: base)
        let previous = try store.previousAssessment(domain: fixture.domain)
        let (observation, assessment) = fixture.assess(previous: previous)
        try store.record(observation: observation, assessment: assessment, nextDue: observation.observedAt.addingTimeInterval(3600), failed: false)
        // Unbuffered and after the commit: every number printed is committed before anyone reads it.
        let line = Array("\(n)\n".utf8)
        _ = line.withUnsafeBytes { write(1, $0.baseAddress, $0.count) }
        n += 1
    }
    withExtendedLifetime(lock) {}
} catch {
    FileHandle.standardError.write(Data("stswatch-store-torture: \(error)\n".utf8))
    exit(1)
}
