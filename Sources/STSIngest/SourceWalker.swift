import Foundation

/// Finds the files to read under the paths given on the command line.
///
/// A folder is read recursively in name order; names starting with a dot are
/// skipped (editor and mail-server bookkeeping). A Maildir (a folder with `cur/`
/// and `new/`) is read as one mailbox: `cur/` and `new/` hold messages, `tmp/`
/// holds deliveries in progress and is ignored, and Maildir++ subfolders
/// (`.Name/`) are mailboxes too. Symbolic links to folders are not followed, so
/// a link loop cannot make a run endless. Nothing is ever written.
enum SourceWalker {
    struct File: Sendable, Hashable {
        var path: String
        /// From a Maildir: the file is one message whatever its first bytes.
        var isMaildirMessage: Bool
    }

    static func collect(_ paths: [String]) -> (files: [File], problems: [IngestProblem]) {
        var files: [File] = []
        var problems: [IngestProblem] = []
        for path in paths {
            var info = stat()
            guard stat(path, &info) == 0 else {
                problems.append(IngestProblem(source: path, reason: "cannot read: \(String(cString: strerror(errno)))"))
                continue
            }
            if info.st_mode & S_IFMT == S_IFDIR {
                walkFolder(path, files: &files, problems: &problems)
            } else {
                files.append(File(path: path, isMaildirMessage: false))
            }
        }
        return (files, problems)
    }

    static func isMaildir(_ path: String) -> Bool {
        kind(join(path, "cur")) == .folder && kind(join(path, "new")) == .folder
    }

    private static func walkFolder(_ path: String, files: inout [File], problems: inout [IngestProblem]) {
        if isMaildir(path) {
            walkMaildir(path, files: &files, problems: &problems)
            return
        }
        guard let names = list(path, problems: &problems) else { return }
        for name in names where !name.hasPrefix(".") {
            let child = join(path, name)
            switch kind(child) {
            case .folder: walkFolder(child, files: &files, problems: &problems)
            case .file: files.append(File(path: child, isMaildirMessage: false))
            case .other: break
            }
        }
    }

    private static func walkMaildir(_ path: String, files: inout [File], problems: inout [IngestProblem]) {
        for sub in ["cur", "new"] {
            let folder = join(path, sub)
            guard let names = list(folder, problems: &problems) else { continue }
            for name in names where !name.hasPrefix(".") {
                let child = join(folder, name)
                if kind(child) == .file { files.append(File(path: child, isMaildirMessage: true)) }
            }
        }
        guard let names = list(path, problems: &problems) else { return }
        for name in names where name.hasPrefix(".") && name != "." && name != ".." {
            let child = join(path, name)
            if kind(child) == .folder && isMaildir(child) { walkMaildir(child, files: &files, problems: &problems) }
        }
    }

    private enum Kind { case file, folder, other }

    /// What `path` is, without following a link to a folder (a link to a file is followed).
    private static func kind(_ path: String) -> Kind {
        var info = stat()
        guard lstat(path, &info) == 0 else { return .other }
        switch info.st_mode & S_IFMT {
        case S_IFDIR: return .folder
        case S_IFREG: return .file
        case S_IFLNK:
            var target = stat()
            guard stat(path, &target) == 0, target.st_mode & S_IFMT == S_IFREG else { return .other }
            return .file
        default: return .other
        }
    }

    private static func list(_ path: String, problems: inout [IngestProblem]) -> [String]? {
        do {
            return try FileManager.default.contentsOfDirectory(atPath: path).sorted()
        } catch {
            problems.append(IngestProblem(source: path, reason: "cannot list folder: \(error.localizedDescription)"))
            return nil
        }
    }

    private static func join(_ folder: String, _ name: String) -> String {
        folder.hasSuffix("/") ? folder + name : folder + "/" + name
    }
}
