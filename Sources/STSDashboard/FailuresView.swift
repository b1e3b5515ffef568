import Foundation
import STSCore

/// Reported failures: groups, then the reports behind one, then one report in full.
public enum FailuresView {
    static let groupColumns = [
        Column("PERIOD", width: 12, priority: 4),
        Column("DOMAIN", width: 14, flexible: true, priority: 6),
        Column("RESULT", width: 18, flexible: true),
        Column("RECEIVING MX", width: 14, flexible: true, priority: 8),
        Column("SENDING IP", width: 15, priority: 2),
        Column("REPORTER", width: 10, flexible: true, priority: 7),
        Column("SESSIONS", width: 8, alignRight: true),
        Column("LAST", width: 5, alignRight: true, priority: 5),
        Column("!", width: 1, priority: 8),
    ]

    static let reportColumns = [
        Column("RECEIVED", width: 16, priority: 5),
        Column("PERIOD", width: 12),
        Column("REPORTER", width: 14, flexible: true),
        Column("REPORT ID", width: 16, flexible: true, priority: 4),
        Column("OK", width: 7, alignRight: true, priority: 6),
        Column("FAILED", width: 7, alignRight: true),
    ]

    /// The breadcrumb: where the drill-down is.
    public static func breadcrumb(_ f: FailuresState, glyphs: Glyphs) -> [String] {
        var parts = ["Failures", f.scope ?? "all domains"]
        switch f.level {
        case .groups: break
        case .reports(let g):
            parts.append(groupTitle(g))
        case .report(let g, let r):
            parts.append(groupTitle(g))
            parts.append("report " + (r.reportID ?? r.id))
        }
        return parts
    }

    static func groupTitle(_ g: FailureGroup) -> String {
        "\(g.resultType)" + (g.receivingMX.map { " at \($0)" } ?? "") + " from \(g.reporter)"
    }

    public static func render(_ state: DashboardState, into grid: inout Grid, rect: Rect, glyphs: Glyphs) {
        guard !rect.isEmpty else { return }
        let f = state.failures
        let crumbs = breadcrumb(f, glyphs: glyphs)
        var crumbLine: Line = []
        for (n, c) in crumbs.enumerated() {
            if n > 0 { crumbLine.append(Span(glyphs.breadcrumb, .dim)) }
            crumbLine.append(Span(c, n == crumbs.count - 1 ? .title : .header))
        }
        if !f.filter.isEmpty || state.mode == .filter { crumbLine.append(Span("  filter: \(f.filter)", .dim)) }
        grid.draw(crumbLine, in: rect.row(0))
        let body = Rect(x: rect.x, y: rect.y + 1, width: rect.width, height: rect.height - 1)
        switch f.level {
        case .groups:
            renderGroups(state, into: &grid, rect: body, glyphs: glyphs)
        case .reports(let group):
            renderReports(state, group: group, into: &grid, rect: body, glyphs: glyphs)
        case .report:
            guard let report = f.report else {
                grid.put("loading…", x: body.x + 2, y: body.y + 1, role: .dim)
                return
            }
            // Laid out by the reducer (`clampAll`) when the report or width changed; never per frame.
            let cached = f.reportLines.flatMap { $0.reportID == report.id && $0.width == body.width ? $0.lines : nil }
            let lines = cached ?? ReportView.lines(report, width: body.width, glyphs: glyphs)
            grid.draw(lines: lines, from: f.reportLine, in: body)
            DetailView.scrollMarker(into: &grid, rect: body, first: f.reportLine, total: lines.count, glyphs: glyphs)
        }
    }

    static func split(_ rect: Rect) -> (list: Rect, summary: Rect) {
        let (list, summary) = rect.splitBottom(Layout.groupSummaryRows)
        return (list, summary)
    }

    static func renderGroups(_ state: DashboardState, into grid: inout Grid, rect: Rect, glyphs: Glyphs) {
        let f = state.failures
        // One domain: its name is in the breadcrumb, so the column goes.
        let showDomain = f.scope == nil
        let columns = showDomain ? groupColumns : groupColumns.enumerated().filter { $0.offset != 1 }.map(\.element)
        let fitted = Column.fit(columns, into: rect.width)
        let (list, summary) = split(rect)
        grid.draw(Column.header(columns, fitted: fitted, ellipsis: glyphs.ellipsis), in: list.row(0))
        let rowsRect = Rect(x: list.x, y: list.y + 1, width: list.width, height: list.height - 1)
        let groups = f.visibleGroups
        if groups.isEmpty {
            let text = f.loading ? "loading…" : (f.groups.isEmpty ? "No failures reported" + (f.scope.map { " for \($0)" } ?? "") + "." : "No failure group matches \"\(f.filter)\".")
            grid.put(text, x: rowsRect.x + 2, y: rowsRect.y + 1, role: .dim, limit: rowsRect.width - 2)
            return
        }
        let selected = groups.firstIndex { $0.id == f.groupSelection }
        for r in 0..<rowsRect.height {
            let i = f.groupScroll + r
            guard i < groups.count else { break }
            let g = groups[i]
            var cells = [
                Span(Format.period(g.periodStart, g.periodEnd), .dim),
                Span(g.domain),
                Span(g.resultType, .statusWarn),
                Span(g.receivingMX ?? "-"),
                Span(g.sendingIP ?? "-", .dim),
                Span(g.reporter),
                Span(Format.count(g.sessions), .statusWarn),
                Span(g.lastSeen.map { Format.duration(state.now.timeIntervalSince($0)) } ?? "-", .dim),
                g.liveCause == nil ? Span(" ") : Span("!", .liveCause, [.bold]),
            ]
            if !showDomain { cells.remove(at: 1) }
            grid.draw(Column.row(cells, columns: columns, fitted: fitted, ellipsis: glyphs.ellipsis), in: rowsRect.row(r))
            if i == selected { grid.paint(rowsRect.row(r), role: .selection) }
        }
        if let selected { renderGroupSummary(groups[selected], into: &grid, rect: summary, glyphs: glyphs, now: state.now) }
    }

    /// Four lines about one group, with the live cause when the latest check explains it.
    static func renderGroupSummary(_ g: FailureGroup, into grid: inout Grid, rect: Rect, glyphs: Glyphs, now: Date) {
        guard rect.height >= 1 else { return }
        grid.put(String(repeating: glyphs.horizontal, count: rect.width), x: rect.x, y: rect.y, role: .border)
        let seen = "first seen \(g.firstSeen.map(Format.minute) ?? "?")  last seen \(g.lastSeen.map(Format.minute) ?? "?")"
        grid.draw([Span(g.domain, .title), Span("  \(g.resultType)", .statusWarn), Span("  \(Format.count(g.sessions)) sessions"),
                   Span("  from \(g.sendingIP ?? "?") to \(g.receivingMX ?? "?")", .dim)], in: rect.row(1))
        grid.draw([Span("reporter \(g.reporter)  "), Span(seen, .dim), Span("  \(g.reportCount) report\(g.reportCount == 1 ? "" : "s")")], in: rect.row(2))
        if let cause = g.liveCause {
            grid.draw([Span("live cause: ", .liveCause, [.bold]), Span(cause, .liveCause)], in: rect.row(3))
        } else {
            grid.draw([Span("live cause: none found by the latest check", .dim)], in: rect.row(3))
        }
    }

    static func renderReports(_ state: DashboardState, group: FailureGroup, into grid: inout Grid, rect: Rect, glyphs: Glyphs) {
        let f = state.failures
        let fitted = Column.fit(reportColumns, into: rect.width)
        let (list, summary) = split(rect)
        grid.draw(Column.header(reportColumns, fitted: fitted, ellipsis: glyphs.ellipsis), in: list.row(0))
        let rowsRect = Rect(x: list.x, y: list.y + 1, width: list.width, height: list.height - 1)
        if f.reports.isEmpty {
            grid.put("loading…", x: rowsRect.x + 2, y: rowsRect.y + 1, role: .dim)
        }
        let selected = f.reports.firstIndex { $0.id == f.reportSelection }
        for r in 0..<rowsRect.height {
            let i = f.reportScroll + r
            guard i < f.reports.count else { break }
            let rep = f.reports[i]
            let cells = [
                Span(rep.receivedAt.map(Format.minute) ?? "-", .dim),
                Span(Format.period(rep.periodStart, rep.periodEnd)),
                Span(rep.organization ?? "(no organization)"),
                Span(rep.reportID ?? "-", .dim),
                Span(Format.count(rep.successfulSessions)),
                Span(Format.count(rep.failedSessions), rep.failedSessions > 0 ? .statusWarn : .normal),
            ]
            grid.draw(Column.row(cells, columns: reportColumns, fitted: fitted, ellipsis: glyphs.ellipsis), in: rowsRect.row(r))
            if i == selected { grid.paint(rowsRect.row(r), role: .selection) }
        }
        renderGroupSummary(group, into: &grid, rect: summary, glyphs: glyphs, now: state.now)
    }
}

/// One report in full: every field, the policies, the failure details, then the raw JSON.
public enum ReportView {
    /// Raw JSON beyond this many bytes is not shown: the dashboard must stay quick on a 16 MiB report.
    public static let rawJSONDisplayLimit = 64 << 10

    static func field(_ indent: Int, _ name: String, _ value: String?, _ role: Role = .normal) -> Line {
        [Span(String(repeating: " ", count: indent) + TextWidth.pad(name, to: 31), .dim),
         value.map { Span($0, role) } ?? Span("(absent)", .dim)]
    }

    /// The report's lines at `width` (`glyphs` does not change them, so the reducer's copy serves every theme).
    public static func lines(_ full: FullReport, width: Int, glyphs: Glyphs) -> [Line] {
        let r = full.report
        var out: [Line] = []
        out.append([Span("Report ", .header), Span(r.reportID ?? "(no report-id)", .title)])
        out.append(field(2, "organization-name", r.organizationName))
        out.append(field(2, "contact-info", r.contactInfo))
        func dt(_ d: TLSReport.DateTime?) -> String? {
            guard let d else { return nil }
            return d.text + (d.date == nil ? " (not a date-time)" : (d.zoneAssumedUTC ? " (no zone; read as UTC)" : ""))
        }
        out.append(field(2, "start-datetime", dt(r.dateRange?.start)))
        out.append(field(2, "end-datetime", dt(r.dateRange?.end)))
        out.append(field(2, "source", full.source))
        out.append(field(2, "mail subject", full.mailSubject))
        out.append(field(2, "received", full.receivedAt.map { Format.minute($0) + " UTC" }))
        out.append(field(2, "sessions", "\(r.totalSuccessful) successful, \(r.totalFailed) failed", r.totalFailed > 0 ? .statusWarn : .normal))
        for (n, p) in r.policies.enumerated() {
            out.append([])
            out.append([Span("Policy \(n + 1) of \(r.policies.count)", .header)])
            out.append(field(2, "policy-type", p.policy.policyType?.rawValue))
            out.append(field(2, "policy-domain", p.policy.policyDomain))
            let lines = p.policy.policyLines
            if lines.isEmpty { out.append(field(2, "policy-string", nil)) }
            for (i, l) in lines.enumerated() { out.append(field(2, i == 0 ? "policy-string" : "", l)) }
            if let mx = p.policy.mxHost { out.append(field(2, "mx-host", mx.joined(separator: ", "))) }
            if let mx = p.policy.mxHostPattern { out.append(field(2, "mx-host-pattern", mx.joined(separator: ", "))) }
            out.append(field(2, "total-successful-session-count", p.summary.totalSuccessfulSessionCount.map(String.init)))
            out.append(field(2, "total-failure-session-count", p.summary.totalFailureSessionCount.map(String.init),
                             p.failedSessions > 0 ? .statusWarn : .normal))
            for (k, d) in (p.failureDetails ?? []).enumerated() {
                out.append([Span("  failure \(k + 1): ", .dim), Span(d.resultType?.rawValue ?? "(no result-type)", .statusWarn, [.bold]),
                            Span("  \(d.failedSessionCount.map(String.init) ?? "?") sessions")])
                out.append(field(4, "sending-mta-ip", d.sendingMTAIP))
                out.append(field(4, "receiving-mx-hostname", d.receivingMXHostname))
                out.append(field(4, "receiving-mx-helo", d.receivingMXHelo))
                out.append(field(4, "receiving-ip", d.receivingIP))
                out.append(field(4, "failure-reason-code", d.failureReasonCode))
                if let info = d.additionalInformation {
                    for (i, part) in TextWidth.wordWrap(info, to: max(10, width - 37)).enumerated() {
                        out.append(field(4, i == 0 ? "additional-information" : "", part))
                    }
                } else {
                    out.append(field(4, "additional-information", nil))
                }
            }
        }
        out.append([])
        let bytes = full.rawJSON.utf8.count
        out.append([Span("Raw JSON", .header), Span(" (\(bytes) bytes as received)", .dim)])
        var raw = full.rawJSON
        if bytes > rawJSONDisplayLimit {
            raw = String(decoding: full.rawJSON.utf8.prefix(rawJSONDisplayLimit), as: UTF8.self)
        }
        for line in raw.split(omittingEmptySubsequences: false, whereSeparator: \.isNewline) {
            for part in TextWidth.wrap(String(line), to: max(1, width - 2)) { out.append([Span("  " + part)]) }
        }
        if bytes > rawJSONDisplayLimit {
            out.append([Span("  … \(bytes - rawJSONDisplayLimit) more bytes not shown", .dim)])
        }
        return out
    }
}
