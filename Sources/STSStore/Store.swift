import Foundation
import GRDB
import STSCore

/// The SQLite cache: monitored domains, their latest judgement, history and TLS-RPT reports.
///
/// One file opened as a WAL `DatabasePool`, so the poller writes while the dashboard and
/// commands read without waiting. Every query is a named method; no SQL leaves this target.
/// The poller is meant to be the only steady writer (it holds a ``WriterLock``); commands
/// make small writes (adding domains, asking for a re-check) and wait out the poller's
/// transactions through the busy timeout.
public final class Store: Sendable {
    /// How a store is opened.
    public enum Mode: Sendable, Hashable {
        /// Creates the file and folder if needed and runs pending migrations.
        case readWrite
        /// Never writes: the file must exist with the current schema. For dashboards and reporting commands.
        case readOnly
    }

    /// The database file.
    public let path: String
    public let mode: Mode
    let pool: DatabasePool
    /// A connection of its own for `PRAGMA data_version`, whose value only means something
    /// when compared with an earlier value from the same connection (a pool hands out several).
    private let versionConnection: DatabaseQueue
    /// A connection of its own for ``checkpoint()``, so that copying the WAL into the database
    /// file (and its fsyncs) happens beside the writer rather than inside one of its commits.
    /// Nil for `.readOnly`.
    private let checkpointConnection: DatabaseQueue?

    /// How long a statement waits for another connection's lock before failing.
    public static let busyTimeout: TimeInterval = 5

    /// WAL pages after which a commit checkpoints by itself (SQLite's default is 1,000, 4 MB).
    ///
    /// A checkpoint inside a commit stalls the one writer for two fsyncs; at 1,000 pages a
    /// 10,000-domain round paid that ~80 times. The poller checkpoints from its own connection
    /// (``checkpoint()``) while it writes, so this is the bound for writers that do not.
    public static let walAutocheckpointPages = 16_384

    /// Opens (and for `.readWrite`, creates and migrates) the database at `path`.
    public init(path: String, mode: Mode = .readWrite) throws {
        self.path = path
        self.mode = mode
        var config = Configuration()
        config.busyMode = .timeout(Self.busyTimeout)
        config.foreignKeysEnabled = true
        config.label = "stswatch"
        config.prepareDatabase { db in try db.execute(sql: "PRAGMA wal_autocheckpoint = \(Self.walAutocheckpointPages)") }
        switch mode {
        case .readWrite:
            let folder = URL(fileURLWithPath: path).deletingLastPathComponent().path
            do {
                try PrivateFiles.createFolder(folder)
            } catch {
                throw StoreError.cannotCreateFolder(error.path, reason: error.reason)
            }
            do {
                try PrivateFiles.createFile(path)
            } catch {
                throw StoreError.cannotOpen(path, reason: error.reason)
            }
        case .readOnly:
            guard FileManager.default.fileExists(atPath: path) else { throw StoreError.noDatabase(path) }
            config.readonly = true
        }
        do {
            pool = try DatabasePool(path: path, configuration: config)
        } catch {
            throw StoreError.cannotOpen(path, reason: "\(error)")
        }
        let migrator = Schema.migrator
        let (current, superseded, pending) = try pool.read { db in
            let completed = try migrator.completedMigrations(db)
            return (try migrator.hasCompletedMigrations(db), try migrator.hasBeenSuperseded(db),
                    migrator.migrations.filter { !completed.contains($0) })
        }
        if superseded { throw StoreError.schemaNewer(path) }
        if !current {
            guard mode == .readWrite else { throw StoreError.schemaOutdated(path, pending: pending) }
            try migrator.migrate(pool)
        }
        var versionConfig = Configuration()
        versionConfig.readonly = true
        versionConfig.busyMode = .timeout(Self.busyTimeout)
        versionConfig.label = "stswatch-data-version"
        versionConnection = try DatabaseQueue(path: path, configuration: versionConfig)
        if mode == .readWrite {
            var checkpointConfig = Configuration()
            checkpointConfig.busyMode = .timeout(Self.busyTimeout)
            checkpointConfig.label = "stswatch-checkpoint"
            checkpointConnection = try DatabaseQueue(path: path, configuration: checkpointConfig)
        } else {
            checkpointConnection = nil
        }
    }

    /// Copies the committed WAL pages that no reader needs into the database file, without
    /// blocking the writer (a PASSIVE checkpoint); returns the WAL's pages and those copied.
    ///
    /// For the poller, which runs it on a thread of its own while it writes, so the WAL stays
    /// small and commits never checkpoint. A read-only store does nothing.
    @discardableResult
    public func checkpoint() throws -> (walPages: Int, checkpointed: Int) {
        guard let checkpointConnection else { return (0, 0) }
        return try checkpointConnection.writeWithoutTransaction { db in
            let result = try db.checkpoint(.passive)
            return (result.walFrameCount, result.checkpointedFrameCount)
        }
    }

    /// `$XDG_DATA_HOME/stswatch/stswatch.sqlite`, or `~/.local/share/stswatch/stswatch.sqlite`
    /// when XDG_DATA_HOME is unset, empty or relative (as the XDG Base Directory spec says).
    public static func defaultPath(environment: [String: String] = ProcessInfo.processInfo.environment) -> String {
        let base: String
        if let xdg = environment["XDG_DATA_HOME"], xdg.hasPrefix("/") {
            base = xdg
        } else {
            let home = environment["HOME"].flatMap { $0.isEmpty ? nil : $0 } ?? NSHomeDirectory()
            base = URL(fileURLWithPath: home).appendingPathComponent(".local/share").path
        }
        return URL(fileURLWithPath: base).appendingPathComponent("stswatch/stswatch.sqlite").path
    }

    /// A number that changes whenever any connection, in any process, commits a change.
    ///
    /// Readers in another process call this on a timer: it costs one pragma, and no
    /// ValueObservation can see another process's commits.
    public func dataVersion() throws -> Int {
        try versionConnection.read { db in try Int.fetchOne(db, sql: "PRAGMA data_version") ?? 0 }
    }

    /// The names of the schema migrations applied, oldest first.
    public func appliedMigrations() throws -> [String] {
        try pool.read { db in try Schema.migrator.appliedMigrations(db) }
    }

    /// `PRAGMA integrity_check` and `PRAGMA foreign_key_check`: an empty list means the file is sound.
    public func integrityProblems() throws -> [String] {
        try pool.read { db in
            let integrity = try String.fetchAll(db, sql: "PRAGMA integrity_check").filter { $0 != "ok" }
            let foreign = try Row.fetchAll(db, sql: "PRAGMA foreign_key_check").map { row -> String in
                "foreign key violation in \(row[0] as String? ?? "?") row \(row[1] as Int64? ?? -1) referring to \(row[2] as String? ?? "?")"
            }
            return integrity + foreign
        }
    }
}

/// Why the store could not do what was asked.
public enum StoreError: Error, Sendable, Hashable, CustomStringConvertible {
    case noDatabase(String)
    case cannotCreateFolder(String, reason: String)
    case cannotOpen(String, reason: String)
    case schemaOutdated(String, pending: [String])
    case schemaNewer(String)
    case invalidDomains([String: String])
    case unknownDomain(String)
    case domainMismatch(observation: String, assessment: String)
    case invalidInterval(domain: String, seconds: Int)
    case reportNotFound(Int64)
    case invalidIMAPState(mailbox: String, detail: String)
    case corruptRow(table: String, key: String, detail: String)

    public var description: String {
        switch self {
        case .noDatabase(let path):
            "no database at \(path): it is created when stswatch first runs with write access (the poller, or adding a domain)"
        case .cannotCreateFolder(let folder, let reason):
            "cannot create the folder \(folder) for the database: \(reason)"
        case .cannotOpen(let path, let reason):
            "cannot open the database \(path): \(reason)"
        case .schemaOutdated(let path, let pending):
            "the database \(path) needs schema migrations \(pending.joined(separator: ", ")); open it once with write access (run the poller) to apply them"
        case .schemaNewer(let path):
            "the database \(path) was written by a newer stswatch (it has schema migrations this version does not know); upgrade stswatch"
        case .invalidDomains(let problems):
            problems.keys.sorted().map { "'\($0)' is not a domain name: \(problems[$0]!)" }.joined(separator: "; ")
        case .unknownDomain(let name):
            "\(name) is not a monitored domain"
        case .domainMismatch(let observation, let assessment):
            "the observation is for \(observation) but the assessment is for \(assessment)"
        case .invalidInterval(let domain, let seconds):
            "interval for \(domain) must be positive, not \(seconds) seconds"
        case .reportNotFound(let id):
            "no report with id \(id)"
        case .invalidIMAPState(let mailbox, let detail):
            "IMAP state for \(mailbox): \(detail)"
        case .corruptRow(let table, let key, let detail):
            "\(table) row \(key) cannot be read: \(detail)"
        }
    }
}

// MARK: - Shared helpers

extension Date {
    /// Seconds since 1970, the representation of every time column.
    var unix: Double { timeIntervalSince1970 }
    init(unix: Double) { self.init(timeIntervalSince1970: unix) }
}

/// JSON for the assessment and observation columns.
///
/// Dates as seconds since 1970 so that `json_extract(assessment, '$.checked_at')` reads
/// the same way as the time columns; keys sorted so equal values give equal text.
enum StoreJSON {
    static func encode<T: Encodable>(_ value: T) throws -> String {
        let encoder = JSONEncoder()
        encoder.dateEncodingStrategy = .secondsSince1970
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return String(decoding: try encoder.encode(value), as: UTF8.self)
    }

    static func decode<T: Decodable>(_ type: T.Type, _ text: String, table: String, key: String) throws -> T {
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .secondsSince1970
        do {
            return try decoder.decode(type, from: Data(text.utf8))
        } catch {
            throw StoreError.corruptRow(table: table, key: key, detail: "\(error)")
        }
    }
}

/// The UTC calendar day of an instant, `YYYY-MM-DD`, for the daily report totals.
func utcDay(_ date: Date) -> String {
    var calendar = Calendar(identifier: .gregorian)
    calendar.timeZone = TimeZone(identifier: "UTC")!
    let c = calendar.dateComponents([.year, .month, .day], from: date)
    return String(format: "%04d-%02d-%02d", c.year ?? 1970, c.month ?? 1, c.day ?? 1)
}

// MARK: - For the tests (internal: reachable through `@testable import` only)

extension Store {
    /// Runs raw SQL in a write transaction, so tests can prove the schema refuses bad rows.
    func executeRaw(_ sql: String) throws {
        try pool.write { db in try db.execute(sql: sql) }
    }

    /// How many checks the observation runs account for.
    func checksRecorded() throws -> Int {
        try pool.read { db in try Int.fetchOne(db, sql: "SELECT coalesce(sum(seen_count), 0) FROM observation") ?? 0 }
    }

    /// The number of rows in `table`.
    func rowCount(_ table: String) throws -> Int {
        try pool.read { db in try Int.fetchOne(db, sql: "SELECT count(*) FROM \(table)") ?? 0 }
    }
}
