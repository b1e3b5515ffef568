import Foundation
import STSCore

/// Everything known about one domain, as scrollable lines.
public enum DetailView {
    static func field(_ name: String, _ value: String, _ role: Role = .normal) -> Line {
        [Span("  " + TextWidth.pad(name, to: 12)), Span(value, role)]
    }

    static func yesNo(_ b: Bool?) -> Span {
        switch b {
        case true?: Span("yes")
        case false?: Span("NO", .statusCrit)
        case nil: Span("-", .dim)
        }
    }

    /// The detail pane's lines for a width; the count never depends on the glyphs.
    public static func lines(_ row: DomainRow, width: Int, now: Date, glyphs: Glyphs) -> [Line] {
        var out: [Line] = []
        let wrapWidth = max(10, width - 4)
        out.append([Span(row.domain, .title, [.bold]), Span("  "), Span(DomainsView.badge(row), Role.of(row.assessment?.status), [.bold]),
                    Span(row.checkedAt.map { "  checked \(Format.relative($0, now: now)) (\(Format.minute($0)) UTC)" } ?? "  not checked yet", .dim)])
        guard let a = row.assessment else {
            out.append([])
            out.append([Span(row.summary == nil ? "  The first check has not finished. Press r to check now." : "  Loading…", .dim)])
            return out
        }
        out.append([])
        out.append([Span("MTA-STS", .header)])
        let txtRole: Role = a.mtaSts.txt == "present" ? .normal : .statusWarn
        out.append(field("TXT record", a.mtaSts.txt + (a.mtaSts.txtID.map { "  id=\($0)" } ?? ""), txtRole))
        out.append(field("mode", a.mtaSts.mode?.rawValue ?? "-", a.mtaSts.mode == .enforce ? .normal : .statusWarn))
        out.append(field("max_age", a.mtaSts.maxAge.map { "\($0) s (\(Format.duration(TimeInterval($0))))" } ?? "-"))
        out.append(field("mx patterns", a.mtaSts.mx.isEmpty ? "-" : a.mtaSts.mx.joined(separator: ", ")))
        if let fetch = a.mtaSts.fetch {
            let status = fetch.httpStatus.map { " HTTP \($0)" } ?? ""
            out.append(field("fetched", "\(Format.minute(a.checkedAt)) UTC  \(fetch.result)\(status)", fetch.result == "ok" ? .normal : .statusCrit))
            out.append(field("url", fetch.url, .dim))
            if let error = fetch.error {
                for (n, part) in TextWidth.wordWrap(error, to: max(10, wrapWidth - 14)).enumerated() {
                    out.append(field(n == 0 ? "fetch error" : "", part, .statusCrit))
                }
            }
            if let cert = fetch.cert {
                out.append(field("policy cert", "expires in \(cert.daysLeft)d  trusted \(cert.trusted ? "yes" : "NO")  name \(cert.nameMatch ? "ok" : "MISMATCH")",
                                 cert.trusted && cert.nameMatch ? .normal : .statusCrit))
            }
        } else {
            out.append(field("fetched", "not attempted", .dim))
        }
        out.append([])
        out.append([Span("TLS-RPT", .header)])
        out.append(field("TXT record", a.tlsRpt.txt, a.tlsRpt.txt == "present" ? .normal : .statusWarn))
        out.append(field("rua", a.tlsRpt.rua.isEmpty ? "-" : a.tlsRpt.rua.joined(separator: ", ")))
        out.append(field("reports 7d", row.reportSessions7d == 0 ? "none received"
                         : "\(row.reportFailures7d) failed of \(row.reportSessions7d) sessions" + (row.failureRate.map { " (\(Format.percent($0)))" } ?? ""),
                         row.reportFailures7d > 0 ? .statusWarn : .normal))
        out.append([])
        out.append([Span("MX hosts (\(a.mx.count))", .header)])
        let columns = [
            Column("HOST", width: 16, flexible: true),
            Column("PREF", width: 4, alignRight: true),
            Column("STARTTLS", width: 11),
            Column("TLS", width: 7, priority: 5),
            Column("EXPIRES", width: 7, alignRight: true),
            Column("TRUSTED", width: 7),
            Column("NAME", width: 4),
            Column("POLICY", width: 6),
        ]
        let fitted = Column.fit(columns, into: width - 2)
        out.append([Span("  ")] + Column.header(columns, fitted: fitted, ellipsis: glyphs.ellipsis))
        for mx in a.mx {
            let days = mx.cert?.daysLeft
            let cells = [
                Span(mx.host),
                Span(String(mx.preference)),
                Span(mx.starttls, mx.starttls == "offered" ? .statusOK : .statusCrit),
                Span(mx.tlsVersion ?? "-", mx.tlsVersion == nil ? .dim : .normal),
                days.map { Span("\($0)d", $0 < 7 ? .statusCrit : ($0 < 21 ? .statusWarn : .normal)) } ?? Span("-", .dim),
                yesNo(mx.cert?.trusted),
                yesNo(mx.cert?.nameMatch),
                yesNo(mx.coveredByPolicy),
            ]
            out.append([Span("  ")] + Column.row(cells, columns: columns, fitted: fitted, ellipsis: glyphs.ellipsis))
            out.append([Span("      addresses ", .dim), Span(mx.addresses.isEmpty ? "-" : mx.addresses.joined(separator: " "))])
            if let cert = mx.cert {
                out.append([Span("      issuer    ", .dim), Span(cert.issuer)])
            }
            let sharedBy = row.mxSharing[mx.host] ?? 0
            for probe in mx.probes where probe.result != "offered" || probe.probedAt != nil {
                var line: Line = [Span("      \(probe.address) ", .dim)]
                if probe.result != "offered" {
                    line.append(Span(probe.result + (probe.detail.map { ": \($0)" } ?? ""),
                                     probe.result == "not-probed" || probe.result == "rate-limited" ? .dim : .statusWarn))
                    line.append(Span("  "))
                }
                if let at = probe.probedAt {
                    // Probes are shared by every domain on the MX and reused for the MX interval.
                    var note = "probed \(Format.relative(at, now: now))"
                    if sharedBy > 1 { note += ", shared by \(Format.grouped(sharedBy)) domains" }
                    if let stale = probe.staleSince { note += "; rate-limited, stale since \(Format.minute(stale)) UTC" }
                    line.append(Span(note, .dim))
                }
                out.append(line)
            }
        }
        out.append([])
        out.append([Span("Findings (\(a.findings.count))", .header)])
        if a.findings.isEmpty { out.append([Span("  none", .dim)]) }
        for f in a.findings {
            out.append([Span("  "), Span(TextWidth.pad(f.severity.rawValue.uppercased(), to: 5), Role.of(f.severity), [.bold]),
                        Span(f.code.rawValue, .header), Span("  "), Span(f.subject, .dim)])
            for part in TextWidth.wordWrap(f.message, to: max(10, wrapWidth - 6)) {
                out.append([Span("         "), Span(part)])
            }
        }
        out.append([])
        out.append([Span("Recent events (\(row.events.count))", .header)])
        if row.events.isEmpty { out.append([Span("  none", .dim)]) }
        for e in row.events {
            out.append([Span("  " + Format.minute(e.at) + "  ", .dim), Span(TextWidth.pad(e.kind.rawValue, to: 18), Role.of(e.severity)),
                        Span(e.subject + ": ", .dim), Span(e.message)])
        }
        return out
    }

    public static func render(_ state: DashboardState, into grid: inout Grid, rect: Rect, glyphs: Glyphs) {
        guard let row = state.detailRow else {
            grid.put("No domain selected. Tab back to Domains and choose one.", x: rect.x + 2, y: rect.y + 1, role: .dim, limit: rect.width - 2)
            return
        }
        let all = lines(row, width: rect.width, now: state.now, glyphs: glyphs)
        grid.draw(lines: all, from: state.detailScroll, in: rect)
        scrollMarker(into: &grid, rect: rect, first: state.detailScroll, total: all.count, glyphs: glyphs)
    }

    /// "↓ 40%" in the top-right corner when there is more to scroll.
    static func scrollMarker(into grid: inout Grid, rect: Rect, first: Int, total: Int, glyphs: Glyphs) {
        guard total > rect.height, rect.height > 0 else { return }
        let pct = min(100, (first + rect.height) * 100 / max(1, total))
        let text = " \(first > 0 ? glyphs.arrowUp : " ")\(first + rect.height < total ? glyphs.arrowDown : " ") \(pct)% "
        grid.put(text, x: rect.maxX - TextWidth.of(text), y: rect.y, role: .dim)
    }
}
