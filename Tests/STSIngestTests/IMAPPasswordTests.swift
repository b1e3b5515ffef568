import Foundation
import STSTestSupport
import Testing
@testable import STSIngest

/// Where the IMAP password comes from: the environment or a one-line file, with readable refusals.
@Suite struct IMAPPasswordTests {
    @Test(arguments: [
        ("secret\n", 0o600, "secret", false),
        ("secret\r\n", 0o600, "secret", false),
        ("sp ace pass", 0o600, "sp ace pass", false),
        ("secret\n", 0o644, "secret", true),
    ])
    func fileIsReadAsOneLine(contents: String, mode: Int, password: String, warns: Bool) throws {
        let dir = try TempDir()
        let path = try dir.write("pw", Data(contents.utf8))
        chmod(path, mode_t(mode))
        let (value, warning) = try IMAPPassword.file(path).read(environment: [:])
        #expect(value == password)
        #expect((warning != nil) == warns)
        if let warning { #expect(warning.contains(path) && !warning.contains(password)) }
    }

    @Test(arguments: [
        ("", "is empty"),
        ("\n", "is empty"),
        ("one\ntwo\n", "more than one line"),
        (String(repeating: "x", count: 5000), "more than a password"),
    ])
    func badFilesAreRefusedWithoutEchoingThem(contents: String, reason: String) throws {
        let dir = try TempDir()
        let path = try dir.write("pw", Data(contents.utf8))
        #expect {
            try IMAPPassword.file(path).read(environment: [:])
        } throws: { error in
            let text = "\(error)"
            return text.contains(reason) && text.contains(path) && (contents.count < 3 || !text.contains(contents))
        }
    }

    @Test func environmentVariable() throws {
        #expect(try IMAPPassword.environment("PW").read(environment: ["PW": "s3cret"]).password == "s3cret")
        #expect(throws: IMAPPasswordError.self) { try IMAPPassword.environment("PW").read(environment: [:]) }
        #expect(throws: IMAPPasswordError.self) { try IMAPPassword.environment("PW").read(environment: ["PW": ""]) }
        #expect(throws: IMAPPasswordError.self) { try IMAPPassword.file("/nonexistent/pw").read(environment: [:]) }
    }
}
