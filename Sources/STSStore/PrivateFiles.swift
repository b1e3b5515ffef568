import Foundation

/// Folders and files only their owner can read: the cache holds which domains someone watches,
/// their reports and mail metadata.
///
/// Folders are created 0700 and files 0600 (less when the umask says so). SQLite gives the
/// `-wal` and `-shm` files the mode of the database file, so creating that file first is enough.
/// Existing files and folders keep their modes: an administrator may have shared them on purpose.
enum PrivateFiles {
    struct Failure: Error, CustomStringConvertible {
        var path: String
        var reason: String
        var description: String { "\(path): \(reason)" }
    }

    /// Creates `folder` and any missing parents, each with mode 0700.
    static func createFolder(_ folder: String) throws(Failure) {
        var missing: [String] = []
        var url = URL(fileURLWithPath: folder).standardizedFileURL
        while !FileManager.default.fileExists(atPath: url.path), url.path != "/" {
            missing.append(url.path)
            url.deleteLastPathComponent()
        }
        for path in missing.reversed() where mkdir(path, 0o700) != 0 && errno != EEXIST {
            throw Failure(path: path, reason: String(cString: strerror(errno)))
        }
    }

    /// Creates an empty file with mode 0600 unless `path` exists; never follows a symlink there.
    static func createFile(_ path: String) throws(Failure) {
        let fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0o600)
        if fd >= 0 {
            close(fd)
        } else if errno != EEXIST {
            throw Failure(path: path, reason: String(cString: strerror(errno)))
        }
    }
}
