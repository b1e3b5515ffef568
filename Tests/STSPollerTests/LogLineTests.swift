import Foundation
import Logging
import STSCore
import STSPoller
import Testing

/// Remote text in log lines (EHLO lines, report fields, `mailto:` addresses) is written inert.
@Suite struct LogLineTests {
    @Test func controlAndInvisibleCharactersAreEscaped() throws {
        let folder = try TempFolder()
        let path = folder.url.appendingPathComponent("poll.log").path
        let sink = try LineLogHandler.Sink(path: path)
        let logger = Logger(label: "test.log") { LineLogHandler(label: $0, sink: sink, level: .debug) }
        logger.warning("mx said \u{1B}]0;owned\u{7}hello\r\u{1B}[2Jbye\u{9B}31m\u{202E}gro.live\u{200B}",
                       metadata: ["rua": "mailto:a\u{1B}[31m@example.com\nX-Injected: 1"])
        let text = try String(contentsOfFile: path, encoding: .utf8)
        let lines = text.split(separator: "\n", omittingEmptySubsequences: false)
        #expect(lines.count == 2 && lines[1].isEmpty, "one line: \(text.debugDescription)")
        #expect(!text.unicodeScalars.dropLast().contains { $0.isControlOrInvisible }, "\(text.debugDescription)")
        #expect(text.contains(#"mx said \u{1B}]0;owned\u{7}hello\r\u{1B}[2Jbye\u{9B}31m\u{202E}gro.live\u{200B}"#), "\(text)")
        #expect(text.contains(#"rua=mailto:a\u{1B}[31m@example.com\nX-Injected: 1"#), "\(text)")
    }
}
