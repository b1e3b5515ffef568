import Foundation
import STSLab

/// A real Dovecot IMAP server on a loopback address, started by the test that needs it.
///
/// Private config directory, `ssl = required` with a certificate made by the openssl
/// CLI (its IP SAN is the loopback address, so the name check is real), a
/// passwd-file user, and a Maildir in a temporary folder.
public final class Dovecot: Sendable {
    public let dir: TempDir
    public let address: String
    public let port = 19993
    public let user = "reports"
    public let password = "correct horse \(UUID().uuidString.prefix(8))"
    public let maildir: String
    public let caFile: String
    public let config: String
    private let mailOwner: (uid: uid_t, gid: gid_t)
    /// The master, run in the foreground (-F) as our child so it can be stopped by its own pid.
    /// A `ChildProcess`: it holds no test's pipe open and starts with SIGTERM unblocked.
    private let master: ChildProcess

    public init() throws {
        dir = try TempDir()
        // A loopback address of our own: no port clash with other servers on this machine.
        address = "127.66.1.\(Int.random(in: 2...250))"
        maildir = dir.path + "/mail/\(user)/Maildir"
        caFile = dir.path + "/cert.pem"
        config = dir.path + "/dovecot.conf"
        for sub in ["cur", "new", "tmp"] { try dir.mkdir("mail/\(user)/Maildir/\(sub)") }
        try dir.mkdir("run")
        try Self.run("/usr/bin/openssl", ["req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", dir.path + "/key.pem",
                                          "-out", caFile, "-days", "2", "-subj", "/CN=stswatch test imap",
                                          "-addext", "subjectAltName=IP:\(address)"])
        try dir.write("passwd", Data("\(user):{PLAIN}\(password)::::::\n".utf8))
        let root = getuid() == 0
        // Dovecot refuses to give mail processes UID 0: as root, mail belongs to nobody.
        mailOwner = root ? (65534, 65534) : (getuid(), getgid())
        let me = String(cString: getpwuid(getuid()).pointee.pw_name)
        let userdb = root ? "uid=nobody gid=nogroup" : "uid=\(getuid()) gid=\(getgid())"
        let nonRoot = root ? "" : "default_login_user = \(me)\ndefault_internal_user = \(me)\n"
        try dir.write("dovecot.conf", Data("""
        base_dir = \(dir.path)/run
        state_dir = \(dir.path)/state
        log_path = \(dir.path)/dovecot.log
        protocols = imap
        listen = \(address)
        \(nonRoot)ssl = required
        ssl_cert = <\(caFile)
        ssl_key = <\(dir.path)/key.pem
        auth_mechanisms = plain
        mail_location = maildir:\(dir.path)/mail/%u/Maildir
        passdb {
          driver = passwd-file
          args = scheme=PLAIN username_format=%u \(dir.path)/passwd
        }
        userdb {
          driver = static
          args = \(userdb) home=\(dir.path)/mail/%u
        }
        service imap-login {
          chroot =
          inet_listener imap {
            port = 0
          }
          inet_listener imaps {
            address = \(address)
            port = \(port)
            ssl = yes
          }
        }
        service anvil {
          chroot =
        }

        """.utf8))
        try Self.chownMail(in: dir, to: mailOwner)
        master = try ChildProcess(["/usr/sbin/dovecot", "-F", "-c", config], newProcessGroup: true)
        do {
            try waitUntilListening(timeout: 10)
        } catch {
            stop()
            throw error
        }
    }

    deinit { stop() }

    /// Stops the master by its pid (it stops its own children) and waits for it to go.
    ///
    /// SIGTERM, two seconds' grace, then SIGKILL to its process group: dovecot's own children
    /// exit when they lose the master anyway.
    public func stop() {
        master.terminate(grace: 2)
    }

    /// Delivers a message as an MDA would: written in tmp/, then renamed into new/.
    public func deliver(_ message: Data, name: String) throws {
        let unique = "\(Int(Date().timeIntervalSince1970)).\(name).stswatch-test"
        let temporary = maildir + "/tmp/" + unique
        try message.write(to: URL(fileURLWithPath: temporary))
        try FileManager.default.moveItem(atPath: temporary, toPath: maildir + "/new/" + unique)
        try chownMail()
    }

    /// Gives the mailbox a new UIDVALIDITY, as a restored or recreated mailbox would have.
    public func changeUIDValidity(to value: UInt32) throws {
        try Self.run("/usr/bin/doveadm", ["-c", config, "mailbox", "update", "-u", user, "--uid-validity", String(value), "INBOX"])
    }

    /// The flags of every message file (the letters after ":2,"), by file name.
    public func flagLetters() throws -> [String] {
        var result: [String] = []
        for sub in ["cur", "new"] {
            for name in try FileManager.default.contentsOfDirectory(atPath: maildir + "/" + sub) {
                result.append(name.components(separatedBy: ":2,").dropFirst().first ?? "")
            }
        }
        return result
    }

    public var log: String { (try? String(contentsOfFile: dir.path + "/dovecot.log", encoding: .utf8)) ?? "" }

    private func chownMail() throws { try Self.chownMail(in: dir, to: mailOwner) }

    private static func chownMail(in dir: TempDir, to owner: (uid: uid_t, gid: gid_t)) throws {
        guard getuid() == 0 else { return }
        let base = dir.path + "/mail"
        chown(base, owner.uid, owner.gid)
        for path in try FileManager.default.subpathsOfDirectory(atPath: base) {
            chown(base + "/" + path, owner.uid, owner.gid)
        }
    }

    private func waitUntilListening(timeout: TimeInterval) throws {
        let deadline = Date().addingTimeInterval(timeout)
        while Date() < deadline {
            let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
            var target = sockaddr_in()
            target.sin_family = sa_family_t(AF_INET)
            target.sin_port = in_port_t(port).bigEndian
            inet_pton(AF_INET, address, &target.sin_addr)
            let connected = withUnsafePointer(to: &target) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
            }
            close(fd)
            if connected == 0 { return }
            usleep(50_000)
        }
        throw SupportError(description: "dovecot did not listen on \(address):\(port) within \(timeout) s; log: \(log)")
    }

    /// Runs a tool to completion (bounded: 30 s), failing with its output when it fails.
    public static func run(_ tool: String, _ arguments: [String]) throws {
        try runCommand([tool] + arguments, timeout: 30)
    }
}
