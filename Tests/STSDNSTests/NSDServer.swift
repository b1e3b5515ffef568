import Foundation
import Synchronization

/// A real authoritative DNS server (NSD) on a loopback address, serving zones the test writes.
///
/// A small shell watchdog stops NSD when this test process disappears, so a crashed
/// test run leaves no server behind.
final class NSDServer: Sendable {
    struct Failure: Error, CustomStringConvertible {
        var description: String
    }

    let address: String
    let port: Int
    let directory: URL
    private let children: Mutex<[ChildProcess]>

    /// `ADDRESS:PORT`, the form the resolver and the lab manifest use.
    var upstream: String { address.contains(":") ? "[\(address)]:\(port)" : "\(address):\(port)" }

    /// Addresses 127.66.P.N: P from our PID, N counting up, so parallel tests and
    /// parallel runs by other engineers do not collide (the lab uses 127.77.x).
    private static let counter = Atomic<Int>(10)
    static func freshAddress() -> String {
        let n = counter.wrappingAdd(1, ordering: .relaxed).oldValue
        return "127.66.\(Int(getpid()) % 200 + 20).\(n)"
    }

    /// Starts NSD with `zones` (name → zone file text). A zone whose text is nil is
    /// configured with a file that does not parse, so NSD answers SERVFAIL for it.
    init(zones: [String: String?], address: String? = nil, port: Int = 5300, readyWithin seconds: Double = 15) throws {
        self.address = address ?? Self.freshAddress()
        self.port = port
        directory = FileManager.default.temporaryDirectory
            .appendingPathComponent("stswatch-nsd-\(getpid())-\(UUID().uuidString.prefix(8))")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let dir = directory.path

        var config = """
        server:
          ip-address: \(self.address)@\(port)
          username: ""
          chroot: ""
          database: ""
          zonesdir: "\(dir)"
          pidfile: "\(dir)/nsd.pid"
          xfrdfile: "\(dir)/xfrd.state"
          zonelistfile: "\(dir)/zone.list"
          xfrdir: "\(dir)"
          logfile: "\(dir)/nsd.log"
          server-count: 1
          tcp-count: 200
          verbosity: 1
          # The default response rate limit drops answers under a burst of queries.
          rrl-ratelimit: 0
        remote-control:
          control-enable: no

        """
        for (name, text) in zones.sorted(by: { $0.key < $1.key }) {
            let file = "\(name).zone"
            try (text ?? "this is not a zone file !!!\n").write(
                toFile: "\(dir)/\(file)", atomically: true, encoding: .utf8)
            config += "zone:\n  name: \"\(name)\"\n  zonefile: \"\(file)\"\n"
        }
        try config.write(toFile: "\(dir)/nsd.conf", atomically: true, encoding: .utf8)
        _ = FileManager.default.createFile(atPath: "\(dir)/nsd.log", contents: nil)

        let nsd = try ChildProcess(["/usr/sbin/nsd", "-d", "-c", "\(dir)/nsd.conf"], log: "\(dir)/nsd.log")
        // Stops NSD if this test process dies without calling stop(), so no server outlives the run.
        let watchdog = try ChildProcess(["/bin/sh", "-c",
            "while kill -0 \(getpid()) 2>/dev/null && kill -0 \(nsd.pid) 2>/dev/null; do sleep 1; done; kill \(nsd.pid) 2>/dev/null"],
            log: "/dev/null")
        children = Mutex([nsd, watchdog])

        let deadline = Date().addingTimeInterval(seconds)
        while true {
            let log = (try? String(contentsOfFile: "\(dir)/nsd.log", encoding: .utf8)) ?? ""
            if log.contains("nsd started") { break }
            if nsd.hasExited || Date() > deadline {
                stop()
                throw Failure(description: "NSD on \(self.address)@\(port) did not start within \(seconds) s:\n\(log)")
            }
            Thread.sleep(forTimeInterval: 0.02)
        }
    }

    deinit { stop() }

    func stop() {
        let running = children.withLock { list in
            defer { list = [] }
            return list
        }
        running.forEach { $0.terminate() }
        try? FileManager.default.removeItem(at: directory)
    }
}

/// A loopback DNS "server" that takes queries over UDP and TCP and never answers.
///
/// TCP matters: after UDP timeouts a resolver may retry over TCP, and a refused
/// connection would turn the timeout into a quick SERVFAIL.
final class SilentServer: Sendable {
    let address: String
    let port: Int
    private let sockets: [Int32]

    var upstream: String { "\(address):\(port)" }

    init(port: Int = 5300) throws {
        address = NSDServer.freshAddress()
        self.port = port
        var opened: [Int32] = []
        for kind in [Int32(SOCK_DGRAM.rawValue), Int32(SOCK_STREAM.rawValue)] {
            let fd = socket(AF_INET, kind, 0)
            guard fd >= 0 else { throw NSDServer.Failure(description: "socket: errno \(errno)") }
            opened.append(fd)
            var sin = sockaddr_in()
            sin.sin_family = sa_family_t(AF_INET)
            sin.sin_port = in_port_t(UInt16(port).bigEndian)
            inet_pton(AF_INET, address, &sin.sin_addr)
            let bound = withUnsafePointer(to: &sin) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                    bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
                }
            }
            guard bound == 0 else {
                opened.forEach { close($0) }
                throw NSDServer.Failure(description: "bind \(address):\(port): errno \(errno)")
            }
            if kind == Int32(SOCK_STREAM.rawValue) { _ = listen(fd, 128) }
        }
        sockets = opened
    }

    deinit { sockets.forEach { close($0) } }
}

/// A child process spawned with a clean signal mask.
///
/// Foundation's `Process`, called from a Swift concurrency thread, passes on that
/// thread's mask, in which nearly every signal (SIGTERM and SIGCHLD included) is
/// blocked: the child then ignores `terminate()` and a shell's `wait` never returns.
/// posix_spawn with POSIX_SPAWN_SETSIGMASK gives the child an empty mask instead.
final class ChildProcess: Sendable {
    let pid: pid_t
    private let exited = Mutex(false)

    init(_ argv: [String], log: String) throws {
        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        var empty = sigset_t()
        sigemptyset(&empty)
        posix_spawnattr_setsigmask(&attributes, &empty)
        var defaults = sigset_t()
        sigfillset(&defaults)
        posix_spawnattr_setsigdefault(&attributes, &defaults)
        posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF))

        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 1, log, O_WRONLY | O_APPEND | O_CREAT, 0o644)
        posix_spawn_file_actions_adddup2(&actions, 1, 2)

        let cArguments = argv.map { strdup($0) } + [nil]
        defer { cArguments.forEach { free($0) } }
        var child = pid_t()
        let code = posix_spawn(&child, argv[0], &actions, &attributes, cArguments, environ)
        guard code == 0 else {
            throw NSDServer.Failure(description: "posix_spawn \(argv[0]): \(String(cString: strerror(code)))")
        }
        pid = child
    }

    /// True once the child has exited (and been reaped).
    var hasExited: Bool {
        exited.withLock { done in
            if !done, waitpid(pid, nil, WNOHANG) == pid { done = true }
            return done
        }
    }

    /// SIGTERM, up to five seconds' grace, then SIGKILL; always reaps.
    func terminate() {
        exited.withLock { done in
            guard !done else { return }
            kill(pid, SIGTERM)
            for _ in 0..<250 {
                if waitpid(pid, nil, WNOHANG) == pid { done = true; return }
                usleep(20_000)
            }
            kill(pid, SIGKILL)
            waitpid(pid, nil, 0)
            done = true
        }
    }

    deinit { terminate() }
}
