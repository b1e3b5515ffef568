/// A run of text in one role.
public struct Span: Sendable, Hashable {
    public var text: String
    public var role: Role
    public var attributes: Attributes
    public init(_ text: String, _ role: Role = .normal, _ attributes: Attributes = []) {
        self.text = text
        self.role = role
        self.attributes = attributes
    }
}

/// A line of spans: what scrollable panes are made of.
public typealias Line = [Span]

extension Grid {
    /// Draws spans left to right within `rect`'s first row; returns the columns used.
    @discardableResult
    public mutating func draw(_ line: Line, in rect: Rect) -> Int {
        guard !rect.isEmpty else { return 0 }
        var x = rect.x
        for span in line {
            let room = rect.maxX - x
            if room <= 0 { break }
            x += put(span.text, x: x, y: rect.y, role: span.role, attributes: span.attributes, limit: room)
        }
        return x - rect.x
    }

    /// Draws lines from `first` into `rect`, one per row.
    public mutating func draw(lines: [Line], from first: Int, in rect: Rect) {
        guard !rect.isEmpty else { return }
        for row in 0..<rect.height {
            let i = first + row
            guard i >= 0, i < lines.count else { break }
            draw(lines[i], in: rect.row(row))
        }
    }

    /// A box border around `rect` with an optional title in the top edge.
    public mutating func box(_ rect: Rect, title: String = "", glyphs: Glyphs, role: Role = .border) {
        guard rect.width >= 2, rect.height >= 2 else { return }
        let h = String(repeating: glyphs.horizontal, count: rect.width - 2)
        put(glyphs.topLeft + h + glyphs.topRight, x: rect.x, y: rect.y, role: role)
        put(glyphs.bottomLeft + h + glyphs.bottomRight, x: rect.x, y: rect.maxY - 1, role: role)
        for y in (rect.y + 1)..<(rect.maxY - 1) {
            put(glyphs.vertical, x: rect.x, y: y, role: role)
            put(glyphs.vertical, x: rect.maxX - 1, y: y, role: role)
        }
        if !title.isEmpty { put(" \(title) ", x: rect.x + 2, y: rect.y, role: .title, limit: rect.width - 4) }
    }
}

/// A column of a table: fixed or flexible width, and how important it is when space runs out.
public struct Column: Sendable, Hashable {
    public var title: String
    public var width: Int
    /// Flexible columns share what the fixed ones leave, in proportion to `width` (their minimum).
    public var flexible: Bool
    public var alignRight: Bool
    /// Lower numbers are dropped first when the table does not fit.
    public var priority: Int

    public init(_ title: String, width: Int, flexible: Bool = false, alignRight: Bool = false, priority: Int = 9) {
        self.title = title
        self.width = width
        self.flexible = flexible
        self.alignRight = alignRight
        self.priority = priority
    }

    /// Which columns to show and how wide, for a total width (one space between columns).
    public static func fit(_ columns: [Column], into total: Int) -> [(index: Int, width: Int)] {
        var shown = Array(columns.indices)
        func needed() -> Int { shown.reduce(0) { $0 + columns[$1].width } + max(0, shown.count - 1) }
        while needed() > total, shown.count > 1,
              let drop = shown.filter({ columns[$0].priority < 9 }).min(by: { (columns[$0].priority, -$0) < (columns[$1].priority, -$1) }) {
            shown.removeAll { $0 == drop }
        }
        var widths = shown.map { columns[$0].width }
        let spare = total - needed()
        let flex = shown.indices.filter { columns[shown[$0]].flexible }
        if spare > 0, !flex.isEmpty {
            let weight = flex.reduce(0) { $0 + max(1, widths[$1]) }
            var given = 0
            for (n, i) in flex.enumerated() {
                let extra = n == flex.count - 1 ? spare - given : spare * max(1, widths[i]) / weight
                widths[i] += extra
                given += extra
            }
        }
        return zip(shown, widths).map { ($0, $1) }
    }

    /// One table row as a line: cells padded to the fitted widths.
    public static func row(_ cells: [Span], columns: [Column], fitted: [(index: Int, width: Int)], ellipsis: String) -> Line {
        var line: Line = []
        for (n, (index, width)) in fitted.enumerated() {
            if n > 0 { line.append(Span(" ")) }
            let cell = index < cells.count ? cells[index] : Span("")
            line.append(Span(TextWidth.pad(cell.text, to: width, alignRight: columns[index].alignRight, ellipsis: ellipsis),
                             cell.role, cell.attributes))
        }
        return line
    }

    /// The header line of a table.
    public static func header(_ columns: [Column], fitted: [(index: Int, width: Int)], ellipsis: String) -> Line {
        row(columns.map { Span($0.title, .header) }, columns: columns, fitted: fitted, ellipsis: ellipsis)
    }
}
