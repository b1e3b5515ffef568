import Foundation
import STSLab
import Testing

/// `stswatch check` end to end: the real binary against the lab's real servers.
@Suite(.timeLimit(.minutes(3)))
struct CheckCLITests {
    func check(_ domains: [String], json: Bool = true) throws -> CLI.Result {
        let lab = try Lab.shared.get()
        return try CLI.run(["check"] + (json ? ["--json"] : []) + ["--resolver", lab.manifest.resolver,
                            "--allow-addresses", lab.manifest.allowAddresses.joined(separator: ","),
                            "--ca-file", lab.manifest.caFile, "--timeout", "5s"] + domains, timeout: 120)
    }

    /// The real internet's rule by default: the lab's loopback MX is refused, and says so; the
    /// options opt in, and bad ones are named.
    @Test func nonGlobalAddressesNeedAllowAddresses() throws {
        let lab = try Lab.shared.get()
        let refused = try CLI.run(["check", "--json", "--resolver", lab.manifest.resolver, "--ca-file", lab.manifest.caFile,
                                   "--timeout", "5s", "good.test"], timeout: 120)
        let codes = try lines(refused).first?["findings"].flatMap { $0 as? [[String: Any]] }?.compactMap { $0["code"] as? String } ?? []
        #expect(codes.contains("mx-address-not-global"), "\(refused.stdout)")
        #expect(try lines(try check(["good.test"])).first?["status"] as? String == "ok")
        let bad = try CLI.run(["check", "--allow-addresses", "127.0.0.0/8,nonsense", "good.test"], timeout: 60)
        #expect(bad.status == 64)
        #expect(bad.stderr.contains("\"nonsense\" is not an address or CIDR block"), "\(bad.stderr)")
        let version = try CLI.run(["check", "--ip-version", "5", "good.test"], timeout: 60)
        #expect(version.status == 64)
        #expect(version.stderr.contains("--ip-version must be 4, 6 or auto"), "\(version.stderr)")
    }

    func lines(_ r: CLI.Result) throws -> [[String: Any]] {
        try r.stdout.split(separator: "\n").map {
            try #require(JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any])
        }
    }

    /// Monitoring-plugin exit codes: the worst status over all domains.
    @Test(arguments: [
        (["good.test"], Int32(0)),
        (["good.test", "no-tlsrpt.test"], 1),
        (["no-tlsrpt.test", "cert-expired.test", "good.test"], 2),
        (["dns-error.test"], 3),
        (["good.test", "dns-error.test", "cert-expired.test"], 2),   // crit outranks unknown
        (["no-tlsrpt.test", "dns-error.test"], 3),                      // unknown outranks warn
    ] as [([String], Int32)])
    func exitStatusIsTheWorst(domains: [String], status: Int32) throws {
        let r = try check(domains)
        #expect(r.status == status, "\(r.stdout)\(r.stderr)")
        #expect(try lines(r).count == domains.count)
    }

    @Test func jsonCarriesTheDocumentedFields() throws {
        let r = try check(["good.test"])
        let object = try #require(try lines(r).first)
        #expect(object["domain"] as? String == "good.test")
        #expect(object["status"] as? String == "ok")
        #expect(object["findings"] as? [Any] != nil)
        let sts = try #require(object["mta_sts"] as? [String: Any])
        #expect(sts["mode"] as? String == "enforce")
        #expect(sts["txt_id"] as? String != nil)
        #expect((sts["max_age"] as? Int ?? 0) > 0)
        #expect((sts["mx"] as? [String])?.isEmpty == false)
        let fetch = try #require(sts["fetch"] as? [String: Any])
        #expect(fetch["result"] as? String == "ok")
        let rpt = try #require(object["tls_rpt"] as? [String: Any])
        #expect((rpt["rua"] as? [String])?.first?.hasPrefix("mailto:") == true)
        let mx = try #require((object["mx"] as? [[String: Any]])?.first)
        #expect(mx["starttls"] as? String == "offered")
        #expect(mx["covered_by_policy"] as? Bool == true)
        #expect((mx["addresses"] as? [String])?.isEmpty == false)
        #expect(mx["preference"] as? Int != nil)
        #expect((mx["tls_version"] as? String)?.hasPrefix("TLSv1") == true)
        let cert = try #require(mx["cert"] as? [String: Any])
        #expect(cert["trusted"] as? Bool == true)
        #expect(cert["name_match"] as? Bool == true)
        #expect((cert["days_left"] as? Int ?? 0) > 30)
        #expect(cert["not_after"] as? String != nil)
        #expect(cert["issuer"] as? String != nil)
        #expect((cert["names"] as? [String])?.isEmpty == false)
    }

    @Test func downgradeIsSaidPlainly() throws {
        let r = try check(["downgrade.test"], json: false)
        #expect(r.status == 2)
        #expect(r.stdout.contains("starttls-downgrade"))
        #expect(r.stdout.contains("downgrade attack"))
        #expect(!r.stdout.contains("\u{1B}["), "no colour when NO_COLOR is set")
    }

    @Test func textIsGroupedBySection() throws {
        let r = try check(["mx-not-covered.test"], json: false)
        #expect(r.status == 2)
        for heading in ["MTA-STS", "TLS-RPT", "MX", "Findings", "sts-mx-not-covered", "NOT covered"] {
            #expect(r.stdout.contains(heading), "missing \(heading) in \(r.stdout)")
        }
    }

    @Test func badArgumentsAreUsageErrors() throws {
        let r = try CLI.run(["check", "not a domain"])
        #expect(r.status == 64)
        #expect(r.stderr.contains("not a domain"))
        let t = try CLI.run(["check", "--timeout", "soon", "example.test"])
        #expect(t.status == 64)
    }

    @Test func deadResolverIsUnknownNotMissing() throws {
        // Nothing answers DNS on this loopback port: every lookup fails, nothing may read as "absent".
        let r = try CLI.run(["check", "--json", "--resolver", "127.0.0.1:9", "--timeout", "2s", "good.test"], timeout: 60)
        #expect(r.status == 3, "\(r.stdout)\(r.stderr)")
        let object = try #require(try lines(r).first)
        let codes = (object["findings"] as? [[String: Any]] ?? []).compactMap { $0["code"] as? String }
        #expect(codes.contains("dns-error"))
        #expect(!codes.contains("sts-txt-missing"))
        #expect(!codes.contains("mx-missing"))
    }
}
