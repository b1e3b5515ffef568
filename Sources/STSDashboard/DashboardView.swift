import Foundation
import STSCore

/// Renders the whole screen from the state: a pure function, tested as text.
public enum DashboardView {
    public static func render(_ state: DashboardState, glyphs: Glyphs) -> Grid {
        var grid = Grid(width: state.width, height: state.height)
        guard let layout = state.layout else {
            tooSmall(state, into: &grid)
            return grid
        }
        tabs(state, into: &grid, rect: layout.tabs, glyphs: glyphs)
        switch state.pane {
        case .domains: DomainsView.render(state, into: &grid, rect: layout.body, glyphs: glyphs)
        case .detail: DetailView.render(state, into: &grid, rect: layout.body, glyphs: glyphs)
        case .failures: FailuresView.render(state, into: &grid, rect: layout.body, glyphs: glyphs)
        }
        footer(state, into: &grid, rect: layout.footer, ascii: glyphs == .ascii)
        statusLine(state, into: &grid, rect: layout.status)
        if state.mode == .help { helpOverlay(state, into: &grid, rect: layout.body, glyphs: glyphs) }
        return grid
    }

    /// Below 80×24: say so, as far as the screen allows; never crash, even at 0×0.
    static func tooSmall(_ state: DashboardState, into grid: inout Grid) {
        guard state.width > 0, state.height > 0 else { return }
        let text = "stswatch needs a terminal of at least \(Layout.minimumWidth)x\(Layout.minimumHeight); this one is \(state.width)x\(state.height). Enlarge it, or press q to quit."
        let lines = TextWidth.wordWrap(text, to: state.width)
        let top = max(0, (state.height - lines.count) / 2)
        for (i, line) in lines.enumerated() where top + i < state.height {
            grid.put(line, x: max(0, (state.width - TextWidth.of(line)) / 2), y: top + i, role: .error)
        }
    }

    static func tabs(_ state: DashboardState, into grid: inout Grid, rect: Rect, glyphs: Glyphs) {
        grid.fill(rect, with: Cell(" ", role: .tabInactive))
        var x = rect.x
        x += grid.put(" stswatch ", x: x, y: rect.y, role: .title, attributes: [.bold])
        for pane in Pane.allCases {
            var label = pane.title
            if pane == .domains {
                // Where the selection is, and how many rows the filter leaves of all.
                let total = state.snapshot.domains.count
                let position = state.selectedIndex.map { "\($0 + 1)/" } ?? ""
                label += " " + position + (state.rows.count == total ? "\(total)" : "\(state.rows.count) of \(total)")
            }
            if pane == .detail, let d = state.selectedDomain { label += ": " + TextWidth.clip(d, to: rect.width >= 120 ? 40 : 20, ellipsis: glyphs.ellipsis) }
            x += grid.put(" \(label) ", x: x + 1, y: rect.y, role: pane == state.pane ? .tabActive : .tabInactive) + 1
        }
        // The date goes first when space is short; the time stays.
        for clock in [" \(Format.minute(state.now)) UTC ", " \(String(Format.minute(state.now).dropFirst(11))) UTC "] {
            let cw = TextWidth.of(clock)
            if x + cw < rect.maxX {
                grid.put(clock, x: rect.maxX - cw, y: rect.y, role: .tabInactive)
                break
            }
        }
    }

    /// Key hints from the binding tables, or the open prompt.
    static func footer(_ state: DashboardState, into grid: inout Grid, rect: Rect, ascii: Bool) {
        switch state.mode {
        case .filter:
            let text = state.pane == .failures ? state.failures.filter : state.filter
            grid.draw([Span("Filter: ", .keyHint), Span(text + "_", .input), Span("   Enter keeps it, Esc clears it", .dim)], in: rect)
            return
        case .addPrompt(let text):
            grid.draw([Span("Add domain: ", .keyHint), Span(text + "_", .input), Span("   Enter adds, Esc cancels", .dim)], in: rect)
            return
        case .confirmRemove(let domain):
            grid.draw([Span("Remove \(domain) and its history? ", .error), Span(" y ", .keyHint), Span("yes  "), Span(" n ", .keyHint), Span("no")], in: rect)
            return
        case .help, .normal:
            break
        }
        var line: Line = []
        for b in KeyBindings.table(for: state.pane) + KeyBindings.global {
            guard let hint = b.hint else { continue }
            line.append(Span(b.keys[0].label(ascii: ascii), .keyHint))
            line.append(Span(" " + hint + "  ", .dim))
        }
        grid.draw(line, in: rect)
    }

    /// Poller state, last round, next due, counts by status, and the latest message.
    ///
    /// An error takes the room of everything but the poller state: at 3 a.m. it is the news.
    static func statusLine(_ state: DashboardState, into grid: inout Grid, rect: Rect) {
        grid.fill(rect, with: Cell(" ", role: .statusBar))
        let p = state.snapshot.poller
        var line: Line = []
        switch p.mode {
        case .embedded: line.append(Span(" poller: running", .statusBar))
        case .external(let pid): line.append(Span(" poller: pid \(pid)", .statusBar))
        case .stopped: line.append(Span(" poller: STOPPED", .statusWarn, [.bold]))
        }
        let message: Span? = {
            if let m = state.message { return Span(m.text, m.isError ? .error : .message) }
            if let e = p.lastError { return Span("poller: " + e, .error) }
            if let n = p.note { return Span(n, .message) }
            return nil
        }()
        if message?.role != .error {
            if message == nil {
                if let last = p.lastRound { line.append(Span("  last \(Format.relative(last, now: state.now))", .statusBar)) }
                if let next = p.nextDue { line.append(Span("  next \(Format.relative(next, now: state.now))", .statusBar)) }
            }
            let counts = state.snapshot.countsByStatus
            line.append(Span("  ", .statusBar))
            for status in [DomainStatus.crit, .warn, .unknown, .ok] {
                let n = counts[status] ?? 0
                line.append(Span(" \(n) \(status.rawValue) ", n > 0 && status != .ok ? Role.of(status) : .statusBar, n > 0 && status == .crit ? [.bold] : []))
            }
        }
        let used = grid.draw(line, in: rect)
        if let message {
            let room = rect.width - used - 3
            if room > 0 {
                let text = " " + TextWidth.clip(message.text, to: room) + " "
                grid.put(text, x: rect.maxX - TextWidth.of(text), y: rect.y, role: message.role)
            }
        }
    }

    /// The help overlay, generated from the same tables as dispatch and the footer.
    ///
    /// Two columns (this pane's keys, then the keys that work everywhere) so the whole
    /// table fits at 80×24; a long help text is clipped there, and whole from 120 columns.
    static func helpOverlay(_ state: DashboardState, into grid: inout Grid, rect: Rect, glyphs: Glyphs) {
        let ascii = glyphs == .ascii
        func column(_ title: String, _ table: [Binding], keyWidth: Int) -> [Line] {
            [[Span(title, .header)]] + table.map { b in
                [Span(TextWidth.pad(b.keyText(ascii: ascii), to: keyWidth, ellipsis: glyphs.ellipsis), .keyHint), Span(b.help, .overlay)]
            }
        }
        let keyWidth = 12
        let left = column("Keys in \(state.pane.title)", KeyBindings.table(for: state.pane), keyWidth: keyWidth)
        let right = column("Keys everywhere", KeyBindings.global, keyWidth: keyWidth)
        let lineWidth: ([Line]) -> Int = { lines in lines.map { $0.reduce(0) { $0 + TextWidth.of($1.text) } }.max() ?? 0 }
        let columnWidth = min(max(lineWidth(left), lineWidth(right)), max(0, (rect.width - 7) / 2))
        let rows = max(left.count, right.count) + 2
        let box = rect.centred(width: columnWidth * 2 + 7, height: rows + 2)
        grid.fill(box, with: Cell(" ", role: .overlay))
        grid.box(box, title: "Help", glyphs: glyphs)
        let inner = Rect(x: box.x + 2, y: box.y + 1, width: columnWidth, height: box.height - 2)
        grid.draw(lines: left, from: 0, in: inner)
        grid.draw(lines: right, from: 0, in: Rect(x: inner.maxX + 3, y: inner.y, width: columnWidth, height: inner.height))
        if box.height > 3 {
            grid.put("any key closes this help", x: box.x + 2, y: box.maxY - 2, role: .dim, limit: box.width - 4)
        }
    }
}
