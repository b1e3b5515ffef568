import Foundation
import Testing
@testable import STSDashboard

/// Compares a rendered grid with `Snapshots/NAME.txt` (text layer, then the role layer).
///
/// Set `STSWATCH_RECORD_SNAPSHOTS=1` to write the files instead; a missing file fails,
/// so a new view cannot pass by recording itself silently.
func assertSnapshot(_ grid: Grid, named name: String, file: String = #filePath, sourceLocation: SourceLocation = #_sourceLocation) {
    let dir = URL(fileURLWithPath: file).deletingLastPathComponent().appendingPathComponent("Snapshots")
    let url = dir.appendingPathComponent("\(name).txt")
    let rendered = "size \(grid.width)x\(grid.height)\n" + grid.text + "\n--- roles (see Role.code) ---\n" + grid.roleText + "\n"
    if ProcessInfo.processInfo.environment["STSWATCH_RECORD_SNAPSHOTS"] == "1" {
        try? FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        do { try rendered.write(to: url, atomically: true, encoding: .utf8) } catch {
            Issue.record("cannot write snapshot \(url.path): \(error)", sourceLocation: sourceLocation)
        }
        return
    }
    guard let stored = try? String(contentsOf: url, encoding: .utf8) else {
        Issue.record("no snapshot \(url.path); run with STSWATCH_RECORD_SNAPSHOTS=1 to record it", sourceLocation: sourceLocation)
        return
    }
    if stored != rendered {
        let a = stored.split(separator: "\n", omittingEmptySubsequences: false)
        let b = rendered.split(separator: "\n", omittingEmptySubsequences: false)
        let firstDiff = zip(a, b).enumerated().first { $0.element.0 != $0.element.1 }?.offset ?? min(a.count, b.count)
        let expected = firstDiff < a.count ? String(a[firstDiff]) : "(end)"
        let actual = firstDiff < b.count ? String(b[firstDiff]) : "(end)"
        Issue.record("snapshot \(name) differs at line \(firstDiff + 1):\n expected: \(expected)\n actual:   \(actual)\n(re-record with STSWATCH_RECORD_SNAPSHOTS=1 if the change is intended)",
                     sourceLocation: sourceLocation)
    }
}

/// A cell holding something a terminal would act on rather than print.
func isUnsafe(_ scalar: Unicode.Scalar) -> Bool {
    let v = scalar.value
    return v < 0x20 || (0x7F...0x9F).contains(v) || v == 0x061C || v == 0x200E || v == 0x200F
        || (0x202A...0x202E).contains(v) || (0x2066...0x2069).contains(v)
}
