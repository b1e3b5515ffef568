import Foundation
import STSCore
@testable import STSStore
import STSStoreFixtures
import Testing

@Suite struct DomainTests {
    @Test func addNormalisesAndStoresIDNAsALabels() throws {
        let temp = try TempFolder()
        let store = try Store(path: temp.databasePath)
        #expect(try store.addDomains(["Bücher.Example.", "example.COM", " example.org "], now: t0)
                == ["xn--bcher-kva.example", "example.com", "example.org"])
        // The same domains in another spelling are not added twice.
        #expect(try store.addDomains(["xn--bcher-kva.example", "EXAMPLE.com"]) == [])
        let records = try store.domains()
        #expect(records.map(\.name) == ["example.com", "example.org", "xn--bcher-kva.example"])
        #expect(records.allSatisfy { $0.addedAt == t0 && $0.status == nil && $0.nextDueAt == nil && $0.consecutiveFailures == 0 })
    }

    @Test func badNamesAreNamedAndNothingIsAdded() throws {
        let temp = try TempFolder()
        let store = try Store(path: temp.databasePath)
        let error = #expect(throws: StoreError.self) { try store.addDomains(["good.example", "bad..example", "-x.example"]) }
        let text = error?.description ?? ""
        #expect(text.contains("'bad..example'") && text.contains("empty label"), "\(text)")
        #expect(text.contains("'-x.example'") && text.contains("hyphen"), "\(text)")
        #expect(!text.contains("good.example"))
        #expect(try store.domains().isEmpty)
    }

    @Test func removeReturnsWhatWasThere() throws {
        let temp = try TempFolder()
        let store = try Store(path: temp.databasePath)
        try store.addDomains(["a.example", "b.example"])
        #expect(try store.removeDomains(["A.example", "c.example"]) == ["a.example"])
        #expect(try store.domains().map(\.name) == ["b.example"])
    }

    @Test func intervalsAndScheduling() throws {
        let temp = try TempFolder()
        let store = try Store(path: temp.databasePath)
        try store.addDomains(["a.example", "b.example", "c.example", "d.example"])
        try store.setInterval(domain: "b.example", seconds: 600)
        #expect(throws: StoreError.invalidInterval(domain: "b.example", seconds: 0)) { try store.setInterval(domain: "b.example", seconds: 0) }
        #expect(throws: StoreError.unknownDomain("z.example")) { try store.setInterval(domain: "z.example", seconds: 60) }
        #expect(try store.domains().first { $0.name == "b.example" }?.intervalSeconds == 600)
        try store.setInterval(domain: "b.example", seconds: nil)
        #expect(try store.domains().first { $0.name == "b.example" }?.intervalSeconds == nil)

        try store.schedule(domain: "a.example", nextDue: t0.addingTimeInterval(100))
        try store.schedule(domain: "b.example", nextDue: t0.addingTimeInterval(-50))
        try store.schedule(domain: "c.example", nextDue: t0.addingTimeInterval(-10))
        #expect(throws: StoreError.unknownDomain("z.example")) { try store.schedule(domain: "z.example", nextDue: t0) }
        // Never-checked first, then the most overdue; a.example is not yet due.
        #expect(try store.domainsDue(now: t0, limit: 10) == ["d.example", "b.example", "c.example"])
        #expect(try store.domainsDue(now: t0, limit: 2) == ["d.example", "b.example"])
        #expect(try store.domainsDue(now: t0.addingTimeInterval(100), limit: 10).contains("a.example"))
        #expect(try store.nextDueAt() == Date(unix: 0))
        try store.schedule(domain: "d.example", nextDue: t0.addingTimeInterval(5))
        #expect(try store.nextDueAt() == t0.addingTimeInterval(-50))
    }

    @Test func recheckRequestsAreTakenOnce() throws {
        let temp = try TempFolder()
        let store = try Store(path: temp.databasePath)
        try store.addDomains(["a.example", "b.example"])
        #expect(try store.takeRecheckRequests() == (false, []))
        try store.requestRecheck(domain: "B.example")
        try store.requestRecheck(domain: "a.example")
        try store.requestRecheck(domain: "b.example")
        #expect(throws: StoreError.unknownDomain("c.example")) { try store.requestRecheck(domain: "c.example") }
        let first = try store.takeRecheckRequests()
        #expect(first.all == false && first.domains == ["b.example", "a.example"])
        #expect(try store.takeRecheckRequests() == (false, []))
        try store.requestRecheck(domain: nil)
        try store.requestRecheck(domain: "a.example")
        let second = try store.takeRecheckRequests()
        #expect(second.all && second.domains == ["a.example"])
    }
}
