import Foundation

/// What a running lab publishes in `DIR/lab.json` (see lab/README.md).
public struct LabManifest: Sendable, Decodable {
    /// The one DNS server the probes must use as their upstream, `ADDRESS:PORT`.
    public var resolver: String
    /// The lab CA's certificate, to trust in place of the system store.
    public var caFile: String
    public var prefix: String
    public var scenarios: [LabScenario]
    /// Scenarios whose check takes a whole domain deadline (the tarpit), kept out of `scenarios`.
    public var slowScenarios: [LabScenario]
    public var benchDomains: [String]
    public var mxAddresses: [String]
    /// The address blocks a prober must be allowed to connect to for this lab (all non-global).
    public var allowAddresses: [String]

    enum CodingKeys: String, CodingKey {
        case resolver, prefix, scenarios
        case slowScenarios = "slow_scenarios"
        case allowAddresses = "allow_addresses"
        case caFile = "ca_file"
        case benchDomains = "bench_domains"
        case mxAddresses = "mx_addresses"
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        resolver = try c.decode(String.self, forKey: .resolver)
        caFile = try c.decode(String.self, forKey: .caFile)
        prefix = try c.decodeIfPresent(String.self, forKey: .prefix) ?? ""
        scenarios = try c.decodeIfPresent([LabScenario].self, forKey: .scenarios) ?? []
        slowScenarios = try c.decodeIfPresent([LabScenario].self, forKey: .slowScenarios) ?? []
        benchDomains = try c.decodeIfPresent([String].self, forKey: .benchDomains) ?? []
        mxAddresses = try c.decodeIfPresent([String].self, forKey: .mxAddresses) ?? []
        allowAddresses = try c.decodeIfPresent([String].self, forKey: .allowAddresses) ?? ["127.0.0.0/8", "::1/128"]
    }
}

/// One scenario domain and what the lab's author expects stswatch to say about it.
public struct LabScenario: Sendable, Decodable {
    public var domain: String
    public var description: String
    public var expectStatus: String
    public var expectCodes: [String]
    /// The scenario's MX hosts and their loopback addresses (empty in manifests that do not list them).
    public var mxHosts: [LabHost]

    enum CodingKeys: String, CodingKey {
        case domain, description
        case expectStatus = "expect_status"
        case expectCodes = "expect_codes"
        case mxHosts = "mx_hosts"
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        domain = try c.decode(String.self, forKey: .domain)
        description = try c.decode(String.self, forKey: .description)
        expectStatus = try c.decode(String.self, forKey: .expectStatus)
        expectCodes = try c.decode([String].self, forKey: .expectCodes)
        mxHosts = try c.decodeIfPresent([LabHost].self, forKey: .mxHosts) ?? []
    }
}

/// A host of the lab and the address it listens on.
public struct LabHost: Sendable, Decodable {
    public var host: String
    /// Nil for a host whose name deliberately has no address.
    public var address: String?
}

public enum LabError: Error, CustomStringConvertible {
    case scriptNotFound([String])
    /// No trustworthy lab beside the executable: each path tried, with why it was passed over.
    case notInstalled(executable: String, tried: [String])
    case exited(status: Int32, log: String)
    case notReady(seconds: Int, log: String)
    case badManifest(path: String, reason: String)
    case stats(String)

    public var description: String {
        switch self {
        case .stats(let output):
            "lab: stswatch-lab stats gave no connection counts: \(output)"
        case .scriptNotFound(let tried):
            "lab: cannot find lab/stswatch-lab (tried \(tried.joined(separator: ", "))); set STSWATCH_LAB"
        case .notInstalled(let executable, let tried):
            """
            lab: no lab installed beside \(executable) (\(tried.joined(separator: "; "))); \
            install lab/ at ../share/stswatch/lab relative to the executable, or run the binary built in the source tree
            """
        case .exited(let status, let log):
            "lab: exited with status \(status) before it was ready\n\(log)"
        case .notReady(let seconds, let log):
            "lab: not ready after \(seconds) s\n\(log)"
        case .badManifest(let path, let reason):
            "lab: \(path): \(reason)"
        }
    }
}

/// A running lab: real DNS, HTTPS and SMTP servers on loopback, started by `lab/stswatch-lab run`.
///
/// The lab process watches our PID, so it stops even if this process dies without calling ``stop()``.
public final class Lab: Sendable {
    public let manifest: LabManifest
    public let directory: URL
    private let process: ChildProcess

    /// Starts a lab and waits until it has written its manifest.
    /// `script` is the lab to run (the product passes ``installedScript()``); nil finds it with
    /// ``locateScript()``, for tests and benchmarks. With `systemPath` the lab runs with a fixed
    /// system `PATH`, so neither its interpreter nor its servers come from the caller's `PATH`.
    public static func start(prefix: String = "127.77", benchDomains: Int = 0, benchMX: Int = 10,
                             directory: URL? = nil, readyTimeout: Int = 120,
                             script: String? = nil, systemPath: Bool = false) throws -> Lab {
        let script = try script ?? locateScript()
        let dir = directory ?? FileManager.default.temporaryDirectory
            .appendingPathComponent("stswatch-lab-\(ProcessInfo.processInfo.processIdentifier)-\(UUID().uuidString.prefix(8))")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        let manifestURL = dir.appendingPathComponent("lab.json")
        try? FileManager.default.removeItem(at: manifestURL)
        let logURL = dir.appendingPathComponent("lab.log")

        var arguments = [script, "run", "--dir", dir.path, "--prefix", prefix,
                         "--parent-pid", String(ProcessInfo.processInfo.processIdentifier)]
        if benchDomains > 0 {
            arguments += ["--bench-domains", String(benchDomains), "--bench-mx", String(benchMX)]
        }
        // Through ChildProcess: the lab and its servers live as long as this process, so they must
        // not inherit a pipe some other thread has open (see ChildProcess), and must get SIGTERM. A
        // group of its own, as before: the lab decides when to stop (our exit, or our SIGTERM).
        var environment: [String: String]?
        if systemPath {
            var env = ProcessInfo.processInfo.environment
            env["PATH"] = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
            environment = env
        }
        let process = try ChildProcess(arguments, environment: environment, stdout: .file(logURL.path), stderr: .sameAsOutput,
                                       newProcessGroup: true)

        let deadline = Date().addingTimeInterval(TimeInterval(readyTimeout))
        while !FileManager.default.fileExists(atPath: manifestURL.path) {
            if let status = process.exitStatus {
                throw LabError.exited(status: status.code, log: readLog(logURL))
            }
            if Date() > deadline {
                process.terminate(grace: 30)
                throw LabError.notReady(seconds: readyTimeout, log: readLog(logURL))
            }
            Thread.sleep(forTimeInterval: 0.05)
        }
        let manifest: LabManifest
        do {
            manifest = try JSONDecoder().decode(LabManifest.self, from: Data(contentsOf: manifestURL))
        } catch {
            process.terminate(grace: 30)
            throw LabError.badManifest(path: manifestURL.path, reason: "\(error)")
        }
        return Lab(manifest: manifest, directory: dir, process: process)
    }

    private init(manifest: LabManifest, directory: URL, process: ChildProcess) {
        self.manifest = manifest
        self.directory = directory
        self.process = process
    }

    deinit { stop() }

    /// One lab per process, started on first use, for every test suite that needs it.
    ///
    /// Its prefix (127.140–127.199, by process id) keeps it away from the default 127.77 of a lab
    /// started by hand and from a lab of a previous run that is still shutting down.
    public static let shared: Result<Lab, LabError> = Result { () throws(LabError) in
        do {
            return try Lab.start(prefix: "127.\(140 + getpid() % 60)")
        } catch let error as LabError {
            throw error
        } catch {
            throw LabError.badManifest(path: "lab", reason: "\(error)")
        }
    }

    /// Stops every server of the lab and waits for it to exit (a minute at most, then SIGKILL).
    public func stop() {
        guard process.isRunning else { return }
        process.terminate(grace: 60)
    }

    /// The scenario for a domain, if the lab defines one (slow ones included).
    public func scenario(_ domain: String) -> LabScenario? {
        (manifest.scenarios + manifest.slowScenarios).first { $0.domain == domain }
    }

    /// SMTP connections the lab's servers received, per address: the servers' own count,
    /// independent of the prober's bookkeeping (`stswatch-lab stats`).
    ///
    /// The output goes through a file, not a pipe: a pipe's write end inherited by a server
    /// started meanwhile would keep a read to end-of-file waiting for ever.
    public func smtpConnections() throws -> [String: Int] {
        try stats("smtp_connections")
    }

    /// SMTP connections the lab's scripted servers hold open right now, per address.
    public func smtpOpenConnections() throws -> [String: Int] {
        try stats("smtp_open_connections")
    }

    private func stats(_ key: String) throws -> [String: Int] {
        let out = directory.appendingPathComponent("stats-\(UUID().uuidString).json")
        FileManager.default.createFile(atPath: out.path, contents: nil)
        defer { try? FileManager.default.removeItem(at: out) }
        let handle = try FileHandle(forWritingTo: out)
        let stats = Process()
        stats.executableURL = URL(fileURLWithPath: try Lab.locateScript())
        stats.arguments = ["stats", "--dir", directory.path]
        stats.standardOutput = handle
        try stats.run()
        let deadline = Date().addingTimeInterval(30)
        while stats.isRunning && Date() < deadline { Thread.sleep(forTimeInterval: 0.02) }
        if stats.isRunning { stats.terminate() }
        try handle.close()
        let data = try Data(contentsOf: out)
        guard let object = try JSONSerialization.jsonObject(with: data) as? [String: Any],
              let smtp = object[key] as? [String: Any] else {
            throw LabError.stats(String(decoding: data.prefix(300), as: UTF8.self))
        }
        return smtp.compactMapValues { ($0 as? NSNumber)?.intValue }
    }

    /// Finds `lab/stswatch-lab` for tests and benchmarks: `$STSWATCH_LAB`, then upward from this
    /// executable and from this source file. Never for the product, which runs code as root:
    /// it uses ``installedScript(executable:)``.
    public static func locateScript() throws -> String {
        var tried: [String] = []
        if let explicit = ProcessInfo.processInfo.environment["STSWATCH_LAB"] {
            if FileManager.default.isExecutableFile(atPath: explicit) { return explicit }
            tried.append(explicit)
        }
        let starts = [
            URL(fileURLWithPath: CommandLine.arguments.first ?? ".").deletingLastPathComponent(),
            URL(fileURLWithPath: #filePath).deletingLastPathComponent(),
        ]
        for start in starts {
            var dir = start.standardizedFileURL
            for _ in 0..<8 {
                let candidate = dir.appendingPathComponent("lab/stswatch-lab").path
                if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
                tried.append(candidate)
                dir.deleteLastPathComponent()
            }
        }
        throw LabError.scriptNotFound(tried)
    }

    /// The lab installed beside the executable, and only there: `BINDIR/../share/stswatch/lab/stswatch-lab`,
    /// or the source tree a SwiftPM build ran in (`ROOT/.build/TRIPLE/CONFIG/stswatch`, with
    /// `ROOT/Package.swift`). Never the working directory or the environment: the demo runs as root.
    ///
    /// The script, and every folder above it, must be owned by root or by the executable's owner and
    /// writable by no one else (a root-owned sticky folder such as /tmp is allowed): whoever could change
    /// the lab could as well change the binary. `executable` (a real path) is for tests.
    public static func installedScript(executable: String? = nil) -> Result<String, LabError> {
        let exe = executable ?? currentExecutable()
        var owner = stat()
        guard stat(exe, &owner) == 0 else { return .failure(.notInstalled(executable: exe, tried: ["cannot stat the executable"])) }
        let binDir = URL(fileURLWithPath: exe).deletingLastPathComponent()
        var candidates = [binDir.appendingPathComponent("../share/stswatch/lab/stswatch-lab").standardizedFileURL.path]
        for up in [3, 2] {
            var root = binDir
            for _ in 0..<(up - 1) { root.deleteLastPathComponent() }
            root = root.deletingLastPathComponent().standardizedFileURL
            if FileManager.default.fileExists(atPath: root.appendingPathComponent("Package.swift").path) {
                candidates.append(root.appendingPathComponent("lab/stswatch-lab").path)
            }
        }
        var tried: [String] = []
        for candidate in candidates {
            if let reason = untrusted(candidate, owners: [0, owner.st_uid]) {
                tried.append("\(candidate): \(reason)")
            } else {
                return .success(candidate)
            }
        }
        return .failure(.notInstalled(executable: exe, tried: tried))
    }

    /// Why `path` cannot be trusted to run as root, or nil when it can.
    static func untrusted(_ path: String, owners: Set<uid_t>) -> String? {
        var info = stat()
        guard lstat(path, &info) == 0 else { return "absent" }
        guard info.st_mode & S_IFMT == S_IFREG else { return "not a regular file" }
        guard info.st_mode & 0o111 != 0 else { return "not executable" }
        guard owners.contains(info.st_uid) else { return "owned by uid \(info.st_uid)" }
        guard info.st_mode & 0o022 == 0 else { return "writable by group or others" }
        var dir = URL(fileURLWithPath: path).deletingLastPathComponent()
        while true {
            guard lstat(dir.path, &info) == 0 else { return "\(dir.path) cannot be read" }
            guard owners.contains(info.st_uid) else { return "\(dir.path) is owned by uid \(info.st_uid)" }
            let sticky = info.st_mode & S_ISVTX != 0 && info.st_uid == 0
            guard info.st_mode & 0o022 == 0 || sticky else { return "\(dir.path) is writable by group or others" }
            if dir.path == "/" { return nil }
            dir.deleteLastPathComponent()
        }
    }

    /// This process's executable, symlinks resolved.
    static func currentExecutable() -> String {
        #if os(Linux)
        if let path = try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe") { return path }
        #endif
        let argv0 = Bundle.main.executablePath ?? CommandLine.arguments[0]
        return URL(fileURLWithPath: argv0).resolvingSymlinksInPath().path
    }

    private static func readLog(_ url: URL) -> String {
        let text = (try? String(contentsOf: url, encoding: .utf8)) ?? ""
        return String(text.suffix(4000))
    }
}
