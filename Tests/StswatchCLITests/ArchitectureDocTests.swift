import Foundation
import STSLab
import Testing

/// docs/ARCHITECTURE.md's target tables and Package.swift name the same targets.
///
/// The package's targets come from `swift package dump-package` (the manifest as SwiftPM reads
/// it, not a guess from its text); the document's from every Markdown table whose first column
/// is headed `target`, each backticked name in that column (`CZlib` / `STSGzip` is two).
@Suite(.timeLimit(.minutes(5)))
struct ArchitectureDocTests {
    @Test func everyTargetIsInTheArchitectureTablesAndNoOther() throws {
        let root = try Self.packageRoot()
        let package = try Self.packageTargets(root)
        let documented = try Self.documentedTargets(root.appendingPathComponent("docs/ARCHITECTURE.md"))
        try #require(!package.isEmpty && !documented.isEmpty)

        let undocumented = package.subtracting(documented).sorted()
        let unknown = documented.subtracting(package).sorted()
        #expect(undocumented.isEmpty,
                "targets of Package.swift missing from docs/ARCHITECTURE.md's target tables: \(undocumented.joined(separator: ", "))")
        #expect(unknown.isEmpty,
                "docs/ARCHITECTURE.md's target tables name targets Package.swift does not have: \(unknown.joined(separator: ", "))")
    }

    /// The parser finds names in every `| target |` table and nowhere else.
    @Test func tablesAreReadByTheirFirstColumn() {
        let text = """
        | target | kind |
        |---|---|
        | `CZlib` / `STSGzip` | adapter, with `Gzip` mentioned |
        | `stswatch` | executable |

        | table | holds |
        |---|---|
        | `domain` | not a target |

        Prose naming `NotATarget`.

        | target | kind | tests |
        |---|---|---|
        | `STSCoreTests` | tests |
        """
        #expect(Self.targetNames(inMarkdown: text) == ["CZlib", "STSGzip", "stswatch", "STSCoreTests"])
    }

    /// The folder with Package.swift above this file.
    static func packageRoot() throws -> URL {
        var dir = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        while dir.path != "/" {
            if FileManager.default.fileExists(atPath: dir.appendingPathComponent("Package.swift").path) { return dir }
            dir.deleteLastPathComponent()
        }
        throw DocError(description: "no Package.swift above \(#filePath)")
    }

    /// Target names from `swift package dump-package`.
    ///
    /// A scratch path of its own: `swift test` may hold the lock on the package's usual one.
    static func packageTargets(_ root: URL) throws -> Set<String> {
        let scratch = FileManager.default.temporaryDirectory.appendingPathComponent("stswatch-dump-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: scratch) }
        let dump = try ChildProcess.run(["swift", "package", "dump-package", "--package-path", root.path,
                                         "--scratch-path", scratch.path], timeout: 240)
        guard dump.status == .exited(0) else {
            throw DocError(description: "swift package dump-package: \(dump.status): \(String(decoding: dump.stderr, as: UTF8.self))")
        }
        guard let object = try JSONSerialization.jsonObject(with: dump.stdout) as? [String: Any],
              let targets = object["targets"] as? [[String: Any]] else {
            throw DocError(description: "swift package dump-package printed no targets: \(dump.text.prefix(500))")
        }
        return Set(targets.compactMap { $0["name"] as? String })
    }

    static func documentedTargets(_ file: URL) throws -> Set<String> {
        Set(targetNames(inMarkdown: try String(contentsOf: file, encoding: .utf8)))
    }

    /// Backticked names in the first column of tables whose header's first cell is `target`, in order.
    static func targetNames(inMarkdown text: String) -> [String] {
        var names: [String] = []
        var inTargetTable = false
        var previousWasTableLine = false
        for rawLine in text.split(separator: "\n", omittingEmptySubsequences: false) {
            let line = rawLine.trimmingCharacters(in: .whitespaces)
            guard line.hasPrefix("|") else {
                inTargetTable = false
                previousWasTableLine = false
                continue
            }
            let cells = line.split(separator: "|", omittingEmptySubsequences: false).dropFirst()
            let first = cells.first.map { $0.trimmingCharacters(in: .whitespaces) } ?? ""
            defer { previousWasTableLine = true }
            if !previousWasTableLine {
                // A header row starts a table.
                inTargetTable = first == "target"
                continue
            }
            guard inTargetTable, !first.allSatisfy({ $0 == "-" || $0 == ":" }) else { continue }
            let parts = first.split(separator: "`", omittingEmptySubsequences: false)
            // Odd-numbered pieces are inside backticks.
            names += parts.enumerated().filter { $0.offset % 2 == 1 }.map { String($0.element) }
        }
        return names
    }

    struct DocError: Error, CustomStringConvertible { var description: String }
}
