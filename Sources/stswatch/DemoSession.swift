import ArgumentParser
import Foundation
import STSCore
import STSDemo
import STSLab
import STSStore

/// The self-contained demo: the loopback lab, a fresh demo database with every scenario domain,
/// and generated TLS-RPT reports, so a newcomer sees every pane and status with no internet.
struct DemoSession {
    /// The demo's own prefix, away from a lab started by hand (127.77) and the test suites' (127.140–199).
    static let prefix = "127.77"

    let lab: Lab
    let databasePath: String
    /// For the status line when the dashboard opens.
    let message: String

    static func defaultDatabasePath() -> String {
        let env = ProcessInfo.processInfo.environment
        let base = env["XDG_DATA_HOME"].flatMap { $0.isEmpty ? nil : $0 } ?? (NSHomeDirectory() + "/.local/share")
        return base + "/stswatch/demo.sqlite"
    }

    /// Starts the lab, recreates the demo database, and points the probes at the lab.
    ///
    /// Exits non-zero with an explanation when not root: the lab binds ports 25, 53 and 443.
    static func start(config: inout AppConfig) throws -> DemoSession {
        guard geteuid() == 0 else {
            Output.error("""
                the demo needs root: it starts a lab of DNS, HTTPS and SMTP servers on ports 53, 443 and 25 \
                of \(prefix).0.0/16 (loopback). Run it as root (sudo), or watch your own domains: \
                `stswatch add example.com`, then `stswatch`.
                """)
            throw ExitCode(ExitStatus.ioError)
        }
        // Only the lab installed beside this executable: never one from the working directory or
        // the environment, since it runs as root (see Lab.installedScript).
        let script: String
        switch Lab.installedScript() {
        case .success(let path): script = path
        case .failure(let error):
            Output.error("cannot start the demo: \(error)")
            throw ExitCode(ExitStatus.ioError)
        }
        FileHandle.standardError.write(Data("stswatch: starting the demo lab on \(prefix).x (a few seconds)…\n".utf8))
        let lab: Lab
        do {
            lab = try Lab.start(prefix: prefix, script: script, systemPath: true)
        } catch {
            Output.error("cannot start the demo lab: \(error)")
            throw ExitCode(ExitStatus.ioError)
        }
        let path = defaultDatabasePath()
        do {
            for suffix in ["", "-wal", "-shm"] { try? FileManager.default.removeItem(atPath: path + suffix) }
            let store = try Store(path: path, mode: .readWrite)
            let scenarios = lab.manifest.scenarios
            _ = try store.addDomains(scenarios.map(\.domain))
            let domains = scenarios.map { s in
                DemoDomain(domain: DomainName.canonical(s.domain), expectedCodes: s.expectCodes,
                           mxHosts: s.mxHosts.map { (host: DomainName.canonical($0.host), address: $0.address) })
            }
            let now = Date()
            for raw in DemoReports.generate(for: domains, now: now) {
                _ = try store.insertReport(TLSReport.decode(raw), raw: raw, source: "stswatch demo (generated)", message: nil, receivedAt: now)
            }
        } catch {
            lab.stop()
            Output.error("cannot prepare the demo database \(path): \(error)")
            throw ExitCode(ExitStatus.ioError)
        }
        // The lab's servers, not the world's: its resolver and CA, and short bounds so dead servers resolve quickly.
        config.probe.resolver = lab.manifest.resolver
        config.probe.caFile = lab.manifest.caFile
        // The lab lives on loopback, which the probes refuse unless told otherwise.
        config.check.destinations.allowed += lab.manifest.allowAddresses.compactMap(AddressRange.init)
        config.probe.timeout = .seconds(5)
        config.probe.connectTimeout = .seconds(3)
        config.probe.dnsTimeout = .seconds(3)
        config.probe.smtpPort = 25
        config.check.domainDeadline = .seconds(30)
        return DemoSession(lab: lab, databasePath: path,
                           message: "demo: \(lab.manifest.scenarios.count) lab domains on \(prefix).x, generated reports; your own: stswatch add DOMAIN")
    }

    func stop() {
        lab.stop()
    }
}
