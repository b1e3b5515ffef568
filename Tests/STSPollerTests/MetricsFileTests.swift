import Foundation
import STSPoller
import Testing

/// `metrics --output` in a folder others can write to, as root from cron.
@Suite struct MetricsFileTests {
    @Test func replacesTheTargetAtomically() throws {
        let folder = try TempFolder()
        let target = folder.url.appendingPathComponent("stswatch.prom").path
        try MetricsFile.write("a 1\n", to: target)
        try MetricsFile.write("a 2\n", to: target)
        #expect(try String(contentsOfFile: target, encoding: .utf8) == "a 2\n")
        #expect(try FileManager.default.contentsOfDirectory(atPath: folder.url.path) == ["stswatch.prom"], "temporary file left behind")
    }

    /// A symlink planted at the temporary name is refused, and what it points to is untouched.
    @Test func plantedSymlinkIsNotFollowed() throws {
        let folder = try TempFolder()
        let victim = folder.url.appendingPathComponent("victim").path
        _ = FileManager.default.createFile(atPath: victim, contents: Data("precious\n".utf8))
        let target = folder.url.appendingPathComponent("stswatch.prom").path
        try FileManager.default.createSymbolicLink(atPath: folder.url.appendingPathComponent(".planted").path,
                                                   withDestinationPath: victim)
        #expect(throws: MetricsFile.Failure.self) { try MetricsFile.write("a 1\n", to: target, temporaryName: ".planted") }
        #expect(try String(contentsOfFile: victim, encoding: .utf8) == "precious\n")
        #expect(!FileManager.default.fileExists(atPath: target))
    }

    /// The temporary name cannot be guessed in advance (the old one was the pid).
    @Test func temporaryNamesAreNotPredictable() throws {
        let folder = try TempFolder()
        let target = folder.url.appendingPathComponent("stswatch.prom").path
        // Every name the old scheme could have used for this process and its neighbours.
        let pid = Int(ProcessInfo.processInfo.processIdentifier)
        for p in (pid - 50)...(pid + 50) {
            try FileManager.default.createSymbolicLink(atPath: folder.url.appendingPathComponent(".stswatch.prom.\(p).tmp").path,
                                                       withDestinationPath: folder.url.appendingPathComponent("victim").path)
        }
        try MetricsFile.write("a 1\n", to: target)
        #expect(!FileManager.default.fileExists(atPath: folder.url.appendingPathComponent("victim").path))
        #expect(try String(contentsOfFile: target, encoding: .utf8) == "a 1\n")
    }
}
