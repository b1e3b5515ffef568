import Foundation
import STSLab
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

        // ChildProcess: no inherited descriptors (a test's pipe held by NSD would never reach its
        // end) and SIGTERM unblocked (see STSLab's ChildProcess).
        let nsd = try ChildProcess(["/usr/sbin/nsd", "-d", "-c", "\(dir)/nsd.conf"],
                                   stdout: .file("\(dir)/nsd.log", append: true), stderr: .sameAsOutput)
        // Stops NSD if this test process dies without calling stop(), so no server outlives the run.
        let watchdog = try ChildProcess(["/bin/sh", "-c",
            "while kill -0 \(getpid()) 2>/dev/null && kill -0 \(nsd.pid) 2>/dev/null; do sleep 1; done; kill \(nsd.pid) 2>/dev/null"],
            stdout: .null, stderr: .null)
        children = Mutex([nsd, watchdog])

        let deadline = Date().addingTimeInterval(seconds)
        while true {
            let log = (try? String(contentsOfFile: "\(dir)/nsd.log", encoding: .utf8)) ?? ""
            if log.contains("nsd started") { break }
            if nsd.exitStatus != nil || Date() > deadline {
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
