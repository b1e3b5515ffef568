import Foundation

/// Times and numbers as the dashboard prints them: UTC, fixed width, no locale.
///
/// Hand-written rather than a `DateFormatter` so snapshots are the same on every machine.
public enum Format {
    static func parts(_ date: Date) -> (y: Int, mo: Int, d: Int, h: Int, mi: Int, s: Int) {
        let t = Int(date.timeIntervalSince1970.rounded(.down))
        let days = t >= 0 ? t / 86_400 : (t - 86_399) / 86_400
        let secs = t - days * 86_400
        let z = days + 719_468
        let era = (z >= 0 ? z : z - 146_096) / 146_097
        let doe = z - era * 146_097
        let yoe = (doe - doe / 1460 + doe / 36524 - doe / 146_096) / 365
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100)
        let mp = (5 * doy + 2) / 153
        let d = doy - (153 * mp + 2) / 5 + 1
        let m = mp < 10 ? mp + 3 : mp - 9
        return (yoe + era * 400 + (m <= 2 ? 1 : 0), m, d, secs / 3600, secs % 3600 / 60, secs % 60)
    }

    static func two(_ n: Int) -> String { n < 10 ? "0\(n)" : "\(n)" }

    /// `2026-09-21`
    public static func day(_ date: Date) -> String {
        let p = parts(date)
        return "\(p.y)-\(two(p.mo))-\(two(p.d))"
    }

    /// `2026-09-21 14:03`
    public static func minute(_ date: Date) -> String {
        let p = parts(date)
        return "\(p.y)-\(two(p.mo))-\(two(p.d)) \(two(p.h)):\(two(p.mi))"
    }

    /// `14:03:07`
    public static func clock(_ date: Date) -> String {
        let p = parts(date)
        return "\(two(p.h)):\(two(p.mi)):\(two(p.s))"
    }

    /// A short duration: `45s`, `12m`, `3h`, `4d`.
    public static func duration(_ seconds: TimeInterval) -> String {
        let s = Int(abs(seconds).rounded(.down))
        if s < 60 { return "\(s)s" }
        if s < 3600 { return "\(s / 60)m" }
        if s < 86_400 { return "\(s / 3600)h" }
        return "\(s / 86_400)d"
    }

    /// `5m ago`, or `in 5m` for the future.
    public static func relative(_ date: Date, now: Date) -> String {
        let d = now.timeIntervalSince(date)
        return d >= 0 ? "\(duration(d)) ago" : "in \(duration(-d))"
    }

    /// A count with thousands separated: `1,204`.
    public static func grouped(_ n: Int) -> String {
        let digits = Array(String(abs(n)))
        var out = ""
        for (i, d) in digits.enumerated() {
            if i > 0 && (digits.count - i) % 3 == 0 { out.append(",") }
            out.append(d)
        }
        return (n < 0 ? "-" : "") + out
    }

    /// A count in at most about six columns: `999`, `12.3k`, `4.5M`.
    public static func count(_ n: Int) -> String {
        if n < 10_000 { return String(n) }
        if n < 1_000_000 { return String(format: "%.1fk", Double(n) / 1000) }
        return String(format: "%.1fM", Double(n) / 1_000_000)
    }

    /// A share as a percentage: `0.4%`, `12%`, `100%`.
    public static func percent(_ rate: Double) -> String {
        let p = rate * 100
        if p > 0 && p < 10 { return String(format: "%.1f%%", p) }
        return String(format: "%.0f%%", p)
    }

    /// `04-01..04-07`: a short period, or `?` for an unknown end.
    public static func period(_ start: Date?, _ end: Date?) -> String {
        let s = start.map { String(day($0).dropFirst(5)) } ?? "?"
        let e = end.map { String(day($0).dropFirst(5)) } ?? "?"
        return s == e ? s : "\(s)..\(e)"
    }
}
