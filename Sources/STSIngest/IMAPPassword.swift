import Foundation

/// Where an IMAP password comes from: an environment variable or a file, never the command line.
///
/// Arguments are visible to every local user through `ps` and `/proc/PID/cmdline`; the
/// environment and a file readable by the owner alone are not.
public enum IMAPPassword: Sendable, Hashable, CustomStringConvertible {
    case environment(String)
    case file(String)

    /// The variable read when nothing else is said.
    public static let defaultVariable = "STSWATCH_IMAP_PASSWORD"

    /// Passwords longer than this are refused: a wrong file was named.
    public static let maxFileBytes = 4096

    public var description: String {
        switch self {
        case .environment(let name): "environment variable \(name)"
        case .file(let path): "password file \(path)"
        }
    }

    /// Reads the password; a file's one trailing newline (CRLF or LF) is dropped, as editors add one.
    ///
    /// - Returns: the password, and a warning when the file can be read by group or others.
    public func read(environment: [String: String] = ProcessInfo.processInfo.environment) throws(IMAPPasswordError) -> (password: String, warning: String?) {
        switch self {
        case .environment(let name):
            guard let value = environment[name] else { throw IMAPPasswordError(source: self, reason: "is not set") }
            guard !value.isEmpty else { throw IMAPPasswordError(source: self, reason: "is empty") }
            return (value, nil)
        case .file(let path):
            var info = stat()
            guard stat(path, &info) == 0 else {
                throw IMAPPasswordError(source: self, reason: "cannot be read: \(String(cString: strerror(errno)))")
            }
            guard info.st_mode & S_IFMT == S_IFREG else { throw IMAPPasswordError(source: self, reason: "is not a regular file") }
            guard Int(info.st_size) <= Self.maxFileBytes else {
                throw IMAPPasswordError(source: self, reason: "is \(info.st_size) bytes, more than a password (\(Self.maxFileBytes))")
            }
            guard let data = FileManager.default.contents(atPath: path) else {
                throw IMAPPasswordError(source: self, reason: "cannot be read")
            }
            var text = String(decoding: data.prefix(Self.maxFileBytes), as: UTF8.self)
            if text.hasSuffix("\r\n") { text.removeLast(1) } else if text.hasSuffix("\n") || text.hasSuffix("\r") { text.removeLast() }
            guard !text.isEmpty else { throw IMAPPasswordError(source: self, reason: "is empty") }
            guard !text.contains(where: { $0.isNewline }) else {
                throw IMAPPasswordError(source: self, reason: "holds more than one line")
            }
            let exposed = info.st_mode & (S_IRWXG | S_IRWXO) != 0
            return (text, exposed ? "\(path) can be read by other users; chmod 600 it" : nil)
        }
    }
}

public struct IMAPPasswordError: Error, Sendable, Hashable, CustomStringConvertible {
    public var source: IMAPPassword
    public var reason: String
    public var description: String { "IMAP password: \(source) \(reason)" }
}
