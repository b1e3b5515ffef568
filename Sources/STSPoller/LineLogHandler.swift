import Foundation
import Logging
import STSCore
import Synchronization

/// A swift-log handler writing one line per message to standard error or a file.
///
/// The poller never writes to a terminal a dashboard owns: a dashboard running the poller in
/// process routes it to a file (`--log-file`); `stswatch poll` in the foreground, and under
/// systemd, logs to standard error, which the journal collects. Lines carry a UTC timestamp,
/// the level and the metadata sorted by key, so two runs can be compared with diff.
public struct LineLogHandler: LogHandler {
    /// Where the lines go, shared by every logger made from one bootstrap.
    public final class Sink: Sendable {
        private let handle = Mutex<FileHandle?>(nil)
        private let toStandardError: Bool

        /// Appends to `path`, creating it (mode 0640); nil means standard error.
        public init(path: String?) throws(LogFileError) {
            guard let path else {
                toStandardError = true
                return
            }
            toStandardError = false
            let fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0o640)
            guard fd >= 0 else { throw LogFileError(path: path, reason: String(cString: strerror(errno))) }
            let h = FileHandle(fileDescriptor: fd, closeOnDealloc: true)
            handle.withLock { $0 = h }
        }

        func write(_ line: String) {
            let data = Data(line.utf8)
            if toStandardError {
                FileHandle.standardError.write(data)
            } else {
                // One write(2) per line on an O_APPEND descriptor: lines from concurrent tasks never interleave.
                handle.withLock { try? $0?.write(contentsOf: data) }
            }
        }
    }

    public struct LogFileError: Error, Sendable, CustomStringConvertible {
        public var path: String
        public var reason: String
        public var description: String { "cannot open the log file \(path): \(reason)" }
    }

    public var logLevel: Logger.Level
    public var metadata: Logger.Metadata = [:]
    public var metadataProvider: Logger.MetadataProvider?
    private let label: String
    private let sink: Sink

    public init(label: String, sink: Sink, level: Logger.Level = .info) {
        self.label = label
        self.sink = sink
        self.logLevel = level
    }

    public subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    public func log(event: LogEvent) {
        var all = metadata
        if let provided = metadataProvider?.get() { all.merge(provided) { _, new in new } }
        if let extra = event.metadata { all.merge(extra) { _, new in new } }
        var line = "\(Self.timestamp(Date())) \(event.level.rawValue.uppercased()) \(label): \(event.message)"
        if !all.isEmpty {
            line += " " + all.keys.sorted().map { "\($0)=\(all[$0]!)" }.joined(separator: " ")
        }
        sink.write(Self.escaped(line) + "\n")
    }

    /// `text` as one inert line: line breaks and tabs as `\n`, `\r`, `\t`, every other control or
    /// invisible character (ESC, BEL, C1, bidi overrides, zero-width) as `\u{XXXX}`.
    ///
    /// Messages carry remote text (EHLO lines, report fields, `mailto:` addresses): a log file read
    /// with `tail` or `less -R` on a terminal must not obey it, and one event stays one line.
    static func escaped(_ text: String) -> String {
        guard text.unicodeScalars.contains(where: \.isControlOrInvisible) else { return text }
        var out = ""
        out.reserveCapacity(text.utf8.count + 16)
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            default:
                if scalar.isControlOrInvisible {
                    out += "\\u{" + String(scalar.value, radix: 16, uppercase: true) + "}"
                } else {
                    out.unicodeScalars.append(scalar)
                }
            }
        }
        return out
    }

    static func timestamp(_ date: Date) -> String {
        date.formatted(Date.ISO8601FormatStyle(includingFractionalSeconds: true))
    }
}
