import Foundation
import STSCore
import Testing
@testable import STSDNS

// Lookups through the real resolver against a real NSD on loopback. The zones live
// under `.test` on purpose: libunbound's built-in `test.` local zone would answer
// NXDOMAIN for all of them unless the resolver turns it transparent.

let bulkCount = 2000

/// The address the bulk zone gives name `b<i>`.
func bulkAddress(_ i: Int) -> String { "10.\(i / 65536).\(i / 256 % 256).\(i % 256)" }

let mainZone = """
$ORIGIN stswatch.test.
$TTL 300
@        SOA   ns hostmaster 1 3600 600 86400 300
@        NS    ns
ns       A     127.0.0.1
; In-zone exchange first: NSD compresses it in the packet, so this case shows
; whether libunbound hands the rdata back decompressed.
@        MX    10 mx1
@        MX    20 mx.elsewhere.test.
nullmx   MX    0 .
split    TXT   "v=STSv1; " "id=20240101"
multi    TXT   "first"
multi    TXT   "second" "part"
multi    TXT   "third"
binary   TXT   "\\255\\254ok"
empty    TXT   ""
mx1      A     192.0.2.1
mx1      A     192.0.2.2
mx1      AAAA  2001:db8::1
v6       AAAA  2001:db8:0:0:0:0:0:10
alias    CNAME alias2
alias2   CNAME mx1
dangling CNAME gone
a.ent    A     192.0.2.9

"""

let bulkZone = "$ORIGIN bulk.test.\n$TTL 300\n@ SOA ns hostmaster 1 3600 600 86400 300\n@ NS ns\nns A 127.0.0.1\n"
    + (0..<bulkCount).map { "b\($0) A \(bulkAddress($0))\n" }.joined()

/// One NSD for the whole suite; each test makes its own resolver, so caches never mix.
let sharedNSD = Result { try NSDServer(zones: ["stswatch.test": mainZone, "bulk.test": bulkZone, "broken.test": nil]) }

func server() throws -> NSDServer { try sharedNSD.get() }

func resolver(timeout: Duration = .seconds(5)) throws -> Resolver {
    try Resolver(upstream: server().upstream, timeout: timeout)
}

/// What a lookup should give: an exact outcome (records compared as sets), or a failure whose reason contains every fragment.
enum Expect<Record: Sendable & Hashable & Codable>: Sendable {
    case outcome(DNSOutcome<Record>)
    case failure([String])

    func check(_ actual: DNSOutcome<Record>, _ question: String, sourceLocation: SourceLocation = #_sourceLocation) {
        switch (self, actual) {
        case (.outcome(.records(let want)), .records(let got)):
            #expect(Set(got) == Set(want), "\(question)", sourceLocation: sourceLocation)
            #expect(got.count == want.count, "\(question): duplicates", sourceLocation: sourceLocation)
        case (.outcome(let want), _):
            #expect(actual == want, "\(question)", sourceLocation: sourceLocation)
        case (.failure(let fragments), .failed(let reason)):
            for fragment in fragments {
                #expect(reason.contains(fragment), "\(question): reason \"\(reason)\" lacks \"\(fragment)\"",
                        sourceLocation: sourceLocation)
            }
        case (.failure, _):
            Issue.record("\(question): expected a failure, got \(actual)", sourceLocation: sourceLocation)
        }
    }
}

@Suite("Resolver against NSD")
struct ResolverTests {
    @Test("TXT", arguments: [
        ("split.stswatch.test", Expect.outcome(.records([TXTRecord(strings: ["v=STSv1; ", "id=20240101"])]))),
        ("multi.stswatch.test.", .outcome(.records([TXTRecord("first"), TXTRecord(strings: ["second", "part"]),
                                                    TXTRecord("third")]))),
        ("binary.stswatch.test", .outcome(.records([TXTRecord("\u{FFFD}\u{FFFD}ok")]))),
        ("empty.stswatch.test", .outcome(.records([TXTRecord("")]))),
        ("SPLIT.StsWatch.Test", .outcome(.records([TXTRecord(strings: ["v=STSv1; ", "id=20240101"])]))),
        ("mx1.stswatch.test", .outcome(.noRecords)),
        ("ent.stswatch.test", .outcome(.noRecords)),
        ("nothere.stswatch.test", .outcome(.nameDoesNotExist)),
        ("deeper.nothere.stswatch.test.", .outcome(.nameDoesNotExist)),
        ("x.broken.test", .failure(["x.broken.test TXT", "SERVFAIL"])),
        ("x.notserved.test", .failure(["x.notserved.test TXT", "SERVFAIL"])),
        ("bad..name.stswatch.test", .failure(["bad..name.stswatch.test TXT", "syntax"])),
        ("split\u{0}.evil.test", .failure(["NUL"])),
    ] as [(String, Expect<TXTRecord>)])
    func txt(name: String, expect: Expect<TXTRecord>) async throws {
        expect.check(try await resolver().txt(name), "TXT \(name)")
    }

    @Test("MX", arguments: [
        ("stswatch.test", Expect.outcome(.records([MXRecord(preference: 10, exchange: "mx1.stswatch.test."),
                                                  MXRecord(preference: 20, exchange: "mx.elsewhere.test.")]))),
        ("nullmx.stswatch.test.", .outcome(.records([MXRecord(preference: 0, exchange: ".")]))),
        ("split.stswatch.test", .outcome(.noRecords)),
        ("nothere.stswatch.test", .outcome(.nameDoesNotExist)),
        ("broken.test", .failure(["broken.test MX", "SERVFAIL"])),
    ] as [(String, Expect<MXRecord>)])
    func mx(name: String, expect: Expect<MXRecord>) async throws {
        expect.check(try await resolver().mx(name), "MX \(name)")
    }

    @Test("A", arguments: [
        ("mx1.stswatch.test", Expect.outcome(.records(["192.0.2.1", "192.0.2.2"]))),
        ("alias.stswatch.test", .outcome(.records(["192.0.2.1", "192.0.2.2"]))),
        ("v6.stswatch.test", .outcome(.noRecords)),
        ("dangling.stswatch.test", .outcome(.nameDoesNotExist)),
        ("b1234.bulk.test", .outcome(.records([bulkAddress(1234)]))),
        ("x.broken.test", .failure(["SERVFAIL"])),
    ] as [(String, Expect<String>)])
    func ipv4(name: String, expect: Expect<String>) async throws {
        expect.check(try await resolver().ipv4(name), "A \(name)")
    }

    @Test("AAAA", arguments: [
        ("mx1.stswatch.test", Expect.outcome(.records(["2001:db8::1"]))),
        ("v6.stswatch.test", .outcome(.records(["2001:db8::10"]))),
        ("alias.stswatch.test", .outcome(.records(["2001:db8::1"]))),
        ("split.stswatch.test", .outcome(.noRecords)),
        ("nothere.stswatch.test", .outcome(.nameDoesNotExist)),
    ] as [(String, Expect<String>)])
    func ipv6(name: String, expect: Expect<String>) async throws {
        expect.check(try await resolver().ipv6(name), "AAAA \(name)")
    }

    @Test("a CNAME chain reports the canonical name; a direct answer reports none")
    func canonicalName() async throws {
        let dns = try resolver()
        let chased = await dns.resolve("alias.stswatch.test", .a)
        #expect(chased.canonicalName == "mx1.stswatch.test.")
        #expect(chased.dnssec == .insecure)
        let direct = await dns.resolve("mx1.stswatch.test", .a)
        #expect(direct.canonicalName == nil)
        #expect(direct.outcome.recordsIfAnswered?.count == 2)
    }

    @Test("failures for some names do not stop later lookups through the same upstream")
    func failuresDoNotPoisonTheUpstream() async throws {
        let dns = try resolver()
        for name in ["x.broken.test", "x.notserved.test", "y.broken.test", "y.notserved.test"] {
            Expect<TXTRecord>.failure(["SERVFAIL"]).check(await dns.txt(name), "TXT \(name)")
        }
        Expect.outcome(.records([TXTRecord(strings: ["v=STSv1; ", "id=20240101"])]))
            .check(await dns.txt("split.stswatch.test"), "TXT split after failures")
        Expect.outcome(.nameDoesNotExist).check(await dns.mx("nothere.stswatch.test"), "MX nothere after failures")
    }

    @Test("a server that never answers gives a bounded 'timed out' failure")
    func timeout() async throws {
        let silent = try SilentServer()
        let dns = try Resolver(upstream: silent.upstream, timeout: .milliseconds(700))
        Expect<TXTRecord>.failure(["_mta-sts.silent.test TXT", "timed out after 700 ms"])
            .check(await dns.txt("_mta-sts.silent.test"), "TXT via silent server")
        // Several at once, so the deadline queue handles more than its head.
        await withTaskGroup(of: DNSOutcome<String>.self) { group in
            for i in 0..<20 { group.addTask { await dns.ipv4("h\(i).silent.test") } }
            for await outcome in group {
                Expect<String>.failure(["timed out"]).check(outcome, "A via silent server")
            }
        }
    }

    @Test("cancelling the task answers 'cancelled' rather than waiting out the timeout")
    func cancellation() async throws {
        let silent = try SilentServer()
        // A timeout far beyond the test's own: if cancellation did not work, the
        // outcome would be "timed out" (after a minute), not "cancelled".
        let dns = try Resolver(upstream: silent.upstream, timeout: .seconds(60))
        let task = Task { await dns.mx("cancel.silent.test") }
        try await Task.sleep(for: .milliseconds(100))
        task.cancel()
        Expect<MXRecord>.failure(["cancel.silent.test MX", "cancelled"]).check(await task.value, "MX cancelled")
    }

    @Test("the resolver keeps working after a lookup was cancelled")
    func lookupAfterCancel() async throws {
        let dns = try resolver()
        let task = Task { await dns.txt("split.stswatch.test") }
        task.cancel()
        _ = await task.value  // either answered or cancelled, depending on the race
        Expect.outcome(.records(["192.0.2.1", "192.0.2.2"])).check(await dns.ipv4("mx1.stswatch.test"), "A after cancel")
    }

    @Test("2,000 concurrent lookups are all answered correctly")
    func burst() async throws {
        let dns = try resolver(timeout: .seconds(20))
        let clock = ContinuousClock()
        let start = clock.now
        let wrong = await withTaskGroup(of: String?.self) { group in
            for i in 0..<bulkCount {
                group.addTask {
                    let outcome = await dns.ipv4("b\(i).bulk.test")
                    return outcome == .records([bulkAddress(i)]) ? nil : "b\(i): \(outcome)"
                }
            }
            var wrong: [String] = []
            for await problem in group { if let problem { wrong.append(problem) } }
            return wrong
        }
        let elapsed = start.duration(to: clock.now)
        #expect(wrong.isEmpty, "\(wrong.count) wrong, first: \(wrong.prefix(3))")
        let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
        print("STSDNS burst: \(bulkCount) lookups in \(String(format: "%.3f", seconds)) s, "
              + "\(Int(Double(bulkCount) / seconds)) queries/s (figure only, not asserted)")
    }

    @Test("an IPv6 upstream in [ADDRESS]:PORT form")
    func ipv6Upstream() async throws {
        // ::1 has one address, so the port keeps parallel runs apart.
        let nsd = try NSDServer(zones: ["stswatch.test": mainZone], address: "::1", port: 20000 + Int(getpid()) % 20000)
        defer { nsd.stop() }
        #expect(nsd.upstream.hasPrefix("[::1]:"))
        let dns = try Resolver(upstream: nsd.upstream)
        Expect.outcome(.records([MXRecord(preference: 10, exchange: "mx1.stswatch.test."),
                                 MXRecord(preference: 20, exchange: "mx.elsewhere.test.")]))
            .check(await dns.mx("stswatch.test"), "MX over IPv6")
    }

    @Test("without an upstream, names from /etc/hosts resolve")
    func systemConfiguration() async throws {
        // Pick an IPv4 entry from the hosts file itself, so the test states no machine-specific answer.
        let hosts = try String(contentsOfFile: "/etc/hosts", encoding: .utf8)
        var entry: [String]?
        for line in hosts.split(whereSeparator: \.isNewline) {
            let content = line.prefix { $0 != "#" }
            let fields: [String] = content.split(whereSeparator: \.isWhitespace).map(String.init)
            if fields.count >= 2, fields[0].split(separator: ".").count == 4 {
                entry = fields
                break
            }
        }
        let fields = try #require(entry, "/etc/hosts has no IPv4 entry to test with")
        let dns = try Resolver(upstream: nil, timeout: .seconds(5))
        let outcome = await dns.ipv4(fields[1])
        #expect(outcome.recordsIfAnswered?.contains(fields[0]) == true, "A \(fields[1]) from /etc/hosts: \(String(describing: outcome))")
    }
}
