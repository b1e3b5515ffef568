import Foundation

/// Writes the metrics file for the node exporter's textfile collector: a new temporary file
/// beside the target, renamed over it, so the collector never reads half a file.
///
/// The folder is often writable by others (a shared collector directory) and the command often
/// runs as root from cron, so the temporary name is unguessable and opened with
/// `O_CREAT | O_EXCL | O_NOFOLLOW`: a file or symlink planted there makes the write fail instead
/// of sending root's output wherever the link points. `rename(2)` replaces a symlink at the
/// target itself, never what it points to.
public enum MetricsFile {
    public struct Failure: Error, Sendable, CustomStringConvertible {
        public var path: String
        public var reason: String
        public var description: String { "\(path): \(reason)" }
    }

    /// Writes `text` to `path` atomically; `temporaryName` (a file name in the same folder) is for tests.
    public static func write(_ text: String, to path: String, temporaryName: String? = nil) throws(Failure) {
        let target = URL(fileURLWithPath: path)
        let name = temporaryName ?? ".\(target.lastPathComponent).\(UUID().uuidString).tmp"
        let temporary = target.deletingLastPathComponent().appendingPathComponent(name).path
        // 0644: the collector runs as another user and must read it.
        let fd = open(temporary, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0o644)
        guard fd >= 0 else {
            throw Failure(path: temporary, reason: "cannot create the temporary file: \(String(cString: strerror(errno)))")
        }
        var bytes = Array(text.utf8)[...]
        while !bytes.isEmpty {
            let n = bytes.withUnsafeBytes { Foundation.write(fd, $0.baseAddress, $0.count) }
            if n < 0 {
                if errno == EINTR { continue }
                let reason = String(cString: strerror(errno))
                close(fd)
                unlink(temporary)
                throw Failure(path: temporary, reason: "cannot write: \(reason)")
            }
            bytes = bytes.dropFirst(n)
        }
        guard close(fd) == 0 else {
            let reason = String(cString: strerror(errno))
            unlink(temporary)
            throw Failure(path: temporary, reason: "cannot write: \(reason)")
        }
        guard rename(temporary, path) == 0 else {
            let reason = String(cString: strerror(errno))
            unlink(temporary)
            throw Failure(path: path, reason: "cannot replace it: \(reason)")
        }
    }
}
