import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Proof that this process is the database's one poller, held until released or the process ends.
///
/// An advisory `flock` on `DATABASE.lock` rather than a PID file: the kernel drops the lock
/// when the holder exits for any reason, SIGKILL included, so a crash never leaves a stale
/// lock for a human to delete. The file also names the holder (program, pid, host, since)
/// so the second poller's error says who is in the way.
public final class WriterLock: @unchecked Sendable {
    // @unchecked: `fd` is only read or changed while `lock` is held, and the class has no other state.
    private let lock = NSLock()
    private var fd: Int32
    /// The lock file: the database path plus `.lock`.
    public let path: String
    public let holder: Holder

    /// Who holds a lock, as written in the lock file.
    public struct Holder: Sendable, Hashable, Codable, CustomStringConvertible {
        public var program: String
        public var pid: Int32
        public var host: String
        public var since: Date

        public var description: String {
            "\(program) pid \(pid) on host \(host) since \(since.formatted(.iso8601))"
        }
    }

    /// Why the lock could not be taken.
    public enum Failure: Error, Sendable, Hashable, CustomStringConvertible {
        /// Another process holds it; `holder` is nil when the lock file does not say who (a non-stswatch locker).
        case held(database: String, holder: Holder?)
        case cannotOpen(path: String, reason: String)
        case cannotLock(path: String, reason: String)

        public var description: String {
            switch self {
            case .held(let database, let holder?):
                "database \(database) is being written by \(holder)"
            case .held(let database, nil):
                "database \(database) is being written by another process (its lock file names no stswatch holder)"
            case .cannotOpen(let path, let reason):
                "cannot open the lock file \(path): \(reason)"
            case .cannotLock(let path, let reason):
                "cannot lock \(path): \(reason)"
            }
        }
    }

    private init(fd: Int32, path: String, holder: Holder) {
        self.fd = fd
        self.path = path
        self.holder = holder
    }

    /// Takes the writer lock for the database at `dbPath` without waiting, or says who holds it.
    public static func acquire(for dbPath: String, program: String = "stswatch poller", now: Date = Date()) throws(Failure) -> WriterLock {
        let path = dbPath + ".lock"
        // The poller takes the lock before opening the store, which creates the folder: create it here too.
        try? PrivateFiles.createFolder(URL(fileURLWithPath: path).deletingLastPathComponent().path)
        let fd = open(path, O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0o600)
        guard fd >= 0 else { throw .cannotOpen(path: path, reason: String(cString: strerror(errno))) }
        if flock(fd, LOCK_EX | LOCK_NB) != 0 {
            let code = errno
            let holder = readHolder(fd)
            close(fd)
            if code == EWOULDBLOCK { throw .held(database: dbPath, holder: holder) }
            throw .cannotLock(path: path, reason: String(cString: strerror(code)))
        }
        let holder = Holder(program: program, pid: getpid(), host: ProcessInfo.processInfo.hostName, since: now)
        writeHolder(holder, fd: fd)
        return WriterLock(fd: fd, path: path, holder: holder)
    }

    /// Gives the lock up; also done when the object is released or the process ends.
    public func release() {
        lock.lock()
        defer { lock.unlock() }
        guard fd >= 0 else { return }
        // Clear the holder first, so nobody reads a name that no longer holds the lock.
        _ = ftruncate(fd, 0)
        close(fd)
        fd = -1
    }

    deinit { release() }

    private static func writeHolder(_ holder: Holder, fd: Int32) {
        let encoder = JSONEncoder()
        encoder.dateEncodingStrategy = .iso8601
        guard var data = try? encoder.encode(holder) else { return }
        data.append(UInt8(ascii: "\n"))
        _ = ftruncate(fd, 0)
        data.withUnsafeBytes { buffer in _ = pwrite(fd, buffer.baseAddress, buffer.count, 0) }
    }

    /// The holder named in the lock file, read with a size bound (anyone could have written it).
    private static func readHolder(_ fd: Int32) -> Holder? {
        var buffer = [UInt8](repeating: 0, count: 4096)
        let count = buffer.withUnsafeMutableBytes { pread(fd, $0.baseAddress, $0.count, 0) }
        guard count > 0 else { return nil }
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .iso8601
        return try? decoder.decode(Holder.self, from: Data(buffer[0..<count]))
    }
}
