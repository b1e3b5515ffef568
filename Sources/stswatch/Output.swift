import Foundation
import STSCore

/// Where and how the command line writes: JSON for scripts, text (coloured on a terminal) for people.
enum Output {
    static let jsonEncoder: JSONEncoder = {
        let e = JSONEncoder()
        e.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        e.dateEncodingStrategy = .iso8601
        return e
    }()

    /// One JSON value on one line, lossless and safe to print (see ``json(_:)``).
    static func jsonLine(_ value: some Encodable) throws {
        FileHandle.standardOutput.write(Data(try json(value) + [UInt8(ascii: "\n")]))
    }

    /// The one rule for every command's `--json`: strings hold exactly what was received (never
    /// sanitised or clipped), and every control or invisible character is a `\u` escape, so the
    /// output is exact for a script and inert on a terminal.
    static func json(_ value: some Encodable) throws -> [UInt8] {
        JSONText.escapingInvisible(Array(try jsonEncoder.encode(value)))
    }

    static func line(_ text: String = "") {
        print(text)
    }

    /// Writes a message to standard error, prefixed with the program name.
    static func error(_ text: String) {
        FileHandle.standardError.write(Data("stswatch: \(text)\n".utf8))
    }

    /// Colour only for a terminal, and never when NO_COLOR is set (no-color.org).
    static let useColour: Bool = {
        let env = ProcessInfo.processInfo.environment
        if let v = env["NO_COLOR"], !v.isEmpty { return false }
        if env["TERM"] == "dumb" { return false }
        return isatty(STDOUT_FILENO) == 1
    }()

    enum Style: String {
        case ok = "32", warn = "33", crit = "31", unknown = "35", dim = "2", bold = "1"
    }

    static func styled(_ text: String, _ style: Style) -> String {
        useColour ? "\u{1B}[\(style.rawValue)m\(text)\u{1B}[0m" : text
    }

    static func style(for severity: Severity) -> Style {
        switch severity {
        case .info: .dim
        case .warn: .warn
        case .crit: .crit
        }
    }

    static func style(for status: DomainStatus) -> Style {
        switch status {
        case .ok: .ok
        case .warn: .warn
        case .crit: .crit
        case .unknown: .unknown
        }
    }

    /// A finding as one line: severity, code, subject, message (remote text made safe first).
    static func render(_ finding: Finding, indent: String = "  ") -> String {
        let label = styled(finding.severity.rawValue.uppercased().padding(toLength: 4, withPad: " ", startingAt: 0),
                           style(for: finding.severity))
        return "\(indent)\(label) \(finding.code.rawValue) [\(safe(finding.subject))] \(safe(finding.message))"
    }

    /// The longest field text output shows; a longer one ends in "…" (JSON output is never clipped).
    static let fieldLimit = 200

    /// Text from files or the network, stripped of anything a terminal would interpret and
    /// clipped to ``fieldLimit`` characters.
    static func safe(_ text: String) -> String { text.sanitizedForTerminal(limit: fieldLimit) }
}

/// Exit statuses of `lint` and the input helpers (`check` and `status` use ``DomainStatus/exitCode``).
enum ExitStatus {
    static let invalid: Int32 = 1
    /// Usage and I/O errors are 2 or more; ArgumentParser's own usage errors exit 64.
    static let ioError: Int32 = 2
}

/// An error that has already been explained to the user and carries the exit status.
struct CommandFailure: Error {
    var status: Int32
}

/// Reads a whole input file or standard input (`-`), bounded in size.
func readInput(_ path: String, limit: Int) throws -> [UInt8] {
    let handle: FileHandle
    if path == "-" {
        handle = FileHandle.standardInput
    } else {
        guard let h = FileHandle(forReadingAtPath: path) else {
            var isDir: ObjCBool = false
            let why = FileManager.default.fileExists(atPath: path, isDirectory: &isDir)
                ? (isDir.boolValue ? "is a directory" : "cannot be read") : "no such file"
            Output.error("\(path): \(why)")
            throw CommandFailure(status: ExitStatus.ioError)
        }
        handle = h
    }
    defer { if path != "-" { try? handle.close() } }
    var bytes: [UInt8] = []
    while true {
        let chunk: Data
        do {
            chunk = try handle.read(upToCount: 65_536) ?? Data()
        } catch {
            Output.error("\(path): \(error.localizedDescription)")
            throw CommandFailure(status: ExitStatus.ioError)
        }
        if chunk.isEmpty { break }
        bytes.append(contentsOf: chunk)
        if bytes.count > limit {
            Output.error("\(path): larger than \(limit) bytes; refusing to read further")
            throw CommandFailure(status: ExitStatus.invalid)
        }
    }
    return bytes
}
