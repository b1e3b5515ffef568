import Foundation
import STSLab
import Synchronization

/// The loopback servers and PKI the STSCurl tests run against, started once per test process.
///
/// The servers are `Fixtures/testservers.py` (scripted HTTPS and SMTP peers,
/// a silent port and a closed port) on 127.66.0.1, with certificates made by
/// ``TestPKI``. The script exits when this process closes its standard input,
/// so nothing outlives the test run.
final class TestLab: Sendable {
    static let address = "127.66.0.1"
    /// Started on first use; a failure to start fails every test that needs it, with the reason.
    static let shared: Result<TestLab, LabError> = Result { () throws(LabError) in try TestLab() }

    struct LabError: Error, CustomStringConvertible {
        var description: String
    }

    let pki: TestPKI
    let ports: [String: Int]
    let good: TestPKI.Issued
    let selfSigned: TestPKI.Issued
    /// The script, with pipes on its stdin (closing it stops the servers) and stdout, for event queries.
    /// A `ChildProcess`: it lives as long as the test process and must not hold other tests' pipes.
    private let process: ChildProcess
    /// Held from a question to its answer, so two tests' questions do not interleave.
    private let questions = Mutex(())

    private init() throws(LabError) {
        do {
            let directory = FileManager.default.temporaryDirectory
                .appendingPathComponent("stscurl-tests-\(getpid())-\(UUID().uuidString.prefix(8))")
            try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
            let now = Date()
            let pki = try TestPKI(directory: directory, now: now)
            let labels = ["clean", "charset", "uppercase", "notfound", "moved", "html", "notype", "big", "bigchunked"]
            let good = try pki.issue(file: "good", dnsNames: labels.map { "mta-sts.\($0).test" } + ["mx.clean.test"],
                                     by: pki.trusted, notBefore: now - 86400, notAfter: now + 90 * 86400)
            let untrusted = try pki.issue(file: "untrusted", dnsNames: ["mta-sts.clean.test"], by: pki.untrusted,
                                          notBefore: now - 86400, notAfter: now + 90 * 86400,
                                          includeIssuerInChain: false)
            let wrongName = try pki.issue(file: "wrongname", dnsNames: ["www.other.test"], by: pki.trusted,
                                          notBefore: now - 86400, notAfter: now + 90 * 86400)
            let expired = try pki.issue(file: "expired", dnsNames: ["mta-sts.clean.test"], by: pki.trusted,
                                        notBefore: now - 60 * 86400, notAfter: now - 30 * 86400)
            let selfSigned = try pki.issue(file: "selfsigned", dnsNames: ["mx.selfsigned.test"], by: nil,
                                           notBefore: now - 86400, notAfter: now + 90 * 86400)
            func tls(_ issued: TestPKI.Issued) -> [String: Any] { ["cert": issued.chainFile, "key": issued.keyFile] }
            func smtp(_ name: String, greeting: [String] = ["220 mx.clean.test ESMTP stswatch-test"],
                      ehlo: [String] = ["250-mx.clean.test", "250-PIPELINING", "250-SIZE 10240000", "250 STARTTLS"],
                      extra: [String: Any] = [:], cert: TestPKI.Issued = good) -> [String: Any] {
                ["name": name, "kind": "smtp", "greeting": greeting, "ehlo": ehlo,
                 "ehlo_tls": ["250-mx.clean.test", "250 PIPELINING"]].merging(tls(cert)) { a, _ in a }
                    .merging(extra) { _, b in b }
            }
            let listeners: [[String: Any]] = [
                ["name": "https-good", "kind": "https"].merging(tls(good)) { a, _ in a },
                ["name": "https-untrusted", "kind": "https"].merging(tls(untrusted)) { a, _ in a },
                ["name": "https-wrongname", "kind": "https"].merging(tls(wrongName)) { a, _ in a },
                ["name": "https-expired", "kind": "https"].merging(tls(expired)) { a, _ in a },
                ["name": "silent", "kind": "silent"],
                ["name": "closed", "kind": "closed"],
                smtp("smtp-clean"),
                // Used by one test only, so its QUIT count is not shared with concurrent tests.
                smtp("smtp-quit"),
                smtp("smtp-multigreet",
                     greeting: ["220-mx.clean.test ESMTP", "220-this server is for tests", "220 ready"],
                     ehlo: ["250-mx.clean.test", "250-STARTTLS", "250 8BITMIME"]),
                smtp("smtp-nostarttls", ehlo: ["250-mx.clean.test", "250-PIPELINING", "250 8BITMIME"]),
                smtp("smtp-554", greeting: ["554 5.7.1 no SMTP service here"]),
                smtp("smtp-ehlo550", ehlo: ["550 5.7.1 go away"]),
                smtp("smtp-starttls454", extra: ["starttls_reply": "454 4.7.0 TLS not available due to local problem"]),
                smtp("smtp-nevergreet", extra: ["never_greet": true]),
                smtp("smtp-garbage", extra: ["after_starttls": "garbage"]),
                smtp("smtp-selfsigned", cert: selfSigned),
            ]
            let plan = directory.appendingPathComponent("plan.json")
            try JSONSerialization.data(withJSONObject: ["address": Self.address, "listeners": listeners])
                .write(to: plan)

            let script = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
                .appendingPathComponent("Fixtures/testservers.py")
            let process = try ChildProcess(["/usr/bin/env", "python3", script.path, plan.path],
                                           stdin: .pipe, stdout: .pipe, stderr: .inherit)
            let line = try process.readLine(timeout: 30)
            guard let ports = try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Int]
            else { throw LabError(description: "testservers.py did not report its ports: \(line)") }
            self.pki = pki
            self.ports = ports
            self.good = good
            self.selfSigned = selfSigned
            self.process = process
        } catch let error as LabError {
            throw error
        } catch {
            throw LabError(description: "could not start the test lab: \(error)")
        }
    }

    /// The port of a listener named in the plan.
    func port(_ name: String) -> Int {
        guard let port = ports[name] else { fatalError("no listener named \(name) in the test plan") }
        return port
    }

    /// What a scripted server recorded (e.g. "quit" when a client said QUIT); empty if the script does not answer in 10 s.
    func events(_ name: String) -> [String] {
        questions.withLock { _ in
            guard (try? process.write(Data("events \(name)\n".utf8))) != nil,
                  let line = try? process.readLine(timeout: 10),
                  let events = try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String]
            else { return [] }
            return events
        }
    }
}

extension TestLab {
    /// The lab, or a test failure naming why it could not start.
    static func get() throws -> TestLab { try shared.get() }
}
