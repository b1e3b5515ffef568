import Foundation
import Testing
@testable import STSStore

/// The cache says which domains someone watches and holds their reports: only its owner reads it.
@Suite struct PermissionTests {
    func mode(_ path: String) throws -> Int {
        var info = stat()
        guard lstat(path, &info) == 0 else { throw PermissionError(path: path) }
        return Int(info.st_mode) & 0o777
    }

    struct PermissionError: Error { var path: String }

    @Test func newFoldersAre0700AndFiles0600() throws {
        let folder = try TempFolder()
        // Two missing folders, under the umask a shell usually has.
        let previous = umask(0o022)
        defer { umask(previous) }
        let db = folder.url.appendingPathComponent("a/b/stswatch.sqlite").path
        let lock = try WriterLock.acquire(for: db)
        defer { lock.release() }
        let store = try Store(path: db)
        _ = try store.addDomains(["example.com"])
        for dir in ["a", "a/b"] {
            #expect(try mode(folder.path(dir)) == 0o700, "\(dir)")
        }
        for suffix in ["", "-wal", "-shm", ".lock"] {
            #expect(FileManager.default.fileExists(atPath: db + suffix), "\(suffix) missing")
            #expect(try mode(db + suffix) == 0o600, "stswatch.sqlite\(suffix)")
        }
    }

    /// A symlink planted where the lock file goes is not followed.
    @Test func lockFileDoesNotFollowASymlink() throws {
        let folder = try TempFolder()
        let db = folder.path("stswatch.sqlite")
        let target = folder.path("elsewhere")
        _ = FileManager.default.createFile(atPath: target, contents: Data("keep".utf8))
        try FileManager.default.createSymbolicLink(atPath: db + ".lock", withDestinationPath: target)
        #expect(throws: WriterLock.Failure.self) { _ = try WriterLock.acquire(for: db) }
        #expect(try String(contentsOfFile: target, encoding: .utf8) == "keep")
    }
}
