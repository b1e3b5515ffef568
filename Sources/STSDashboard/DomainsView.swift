import Foundation
import STSCore

/// The domains list: one row per domain, worst first by default.
public enum DomainsView {
    static let columns = [
        Column("STATUS", width: 7),
        Column("DOMAIN", width: 20, flexible: true),
        Column("MODE", width: 7, priority: 5),
        Column("TLSRPT", width: 6, priority: 4),
        Column("MX CERT", width: 7, alignRight: true, priority: 6),
        Column("FAIL 7d", width: 7, alignRight: true, priority: 7),
        Column("RATE", width: 5, alignRight: true, priority: 3),
        Column("CHECKED", width: 7, alignRight: true, priority: 8),
    ]

    /// The status badge: four letters, so colour is never the only signal.
    public static func badge(_ row: DomainRow) -> String {
        guard row.isChecked else { return "----" }
        switch row.status {
        case .ok: return " OK "
        case .warn: return "WARN"
        case .crit: return "CRIT"
        case .unknown: return "UNKN"
        }
    }

    static func cells(_ row: DomainRow, now: Date) -> [Span] {
        let a = row.assessment
        let expiry: Span = {
            guard let d = row.soonestMXExpiryDays else { return Span("-", .dim) }
            let role: Role = d < 7 ? .statusCrit : (d < 21 ? .statusWarn : .normal)
            return Span("\(d)d", role)
        }()
        let rpt: Span = {
            if let s = row.summary, a == nil { return s.tlsRptPresent ? Span("yes") : Span("no", .statusWarn) }
            guard let t = a?.tlsRpt.txt else { return Span("-", .dim) }
            return t == "present" ? Span("yes") : Span(t == "absent" ? "no" : t, .statusWarn)
        }()
        let mode: Span = {
            guard let m = a?.mtaSts.mode ?? row.summary?.mode else { return Span("-", .dim) }
            return Span(m.rawValue, m == .enforce ? .normal : .statusWarn)
        }()
        return [
            Span(" " + badge(row), Role.of(row.isChecked ? row.status : nil), [.bold]),
            Span(row.domain),
            mode,
            rpt,
            expiry,
            row.reportFailures7d > 0 ? Span(Format.count(row.reportFailures7d), .statusWarn) : Span("0", .dim),
            row.failureRate.map { Span(Format.percent($0), $0 > 0 ? .statusWarn : .dim) } ?? Span("-", .dim),
            row.checkedAt.map { Span(Format.duration(now.timeIntervalSince($0)), .dim) } ?? Span("never", .statusUnknown),
        ]
    }

    public static func render(_ state: DashboardState, into grid: inout Grid, rect: Rect, glyphs: Glyphs) {
        guard !rect.isEmpty else { return }
        let fitted = Column.fit(columns, into: rect.width)
        var header = columns
        header[0].title = "STATUS"
        let sortColumn: Int = switch state.sort {
        case .status: 0
        case .name: 1
        case .expiry: 4
        case .failures: 5
        }
        header[sortColumn].title += glyphs.arrowDown
        grid.draw(Column.header(header, fitted: fitted, ellipsis: glyphs.ellipsis), in: rect.row(0))
        let list = Rect(x: rect.x, y: rect.y + 1, width: rect.width, height: rect.height - 1)
        if state.rows.isEmpty {
            let why = state.snapshot.domains.isEmpty ? "No domains watched yet. Press a to add one."
                : "No domain matches" + (state.filter.isEmpty ? "" : " \"\(state.filter)\"") + (state.problemsOnly ? " among those with problems" : "") + ". Esc clears the filter, p shows all."
            grid.put(why, x: list.x + 2, y: list.y + 1, role: .dim, limit: list.width - 2)
            return
        }
        let selected = state.selectedIndex
        for r in 0..<list.height {
            let i = state.domainsScroll + r
            guard i < state.rows.count else { break }
            let line = Column.row(cells(state.rows[i], now: state.now), columns: columns, fitted: fitted, ellipsis: glyphs.ellipsis)
            let rowRect = list.row(r)
            grid.draw(line, in: rowRect)
            if i == selected {
                // Keep the badge in its status colour: the selection must not hide the verdict.
                let badgeWidth = fitted.first.map { $0.index == 0 ? $0.width + 1 : 0 } ?? 0
                grid.paint(Rect(x: rowRect.x + badgeWidth, y: rowRect.y, width: rowRect.width - badgeWidth, height: 1), role: .selection)
            }
        }
    }
}
