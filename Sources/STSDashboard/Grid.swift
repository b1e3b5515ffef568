import STSCore

/// What a cell means, not how it looks: the theme maps each role to colours and attributes.
///
/// Views ask for `.statusCrit` or `.selection`; a monochrome theme can then show the
/// same screen with bold and reverse alone.
public enum Role: String, Sendable, Hashable, CaseIterable, Codable {
    case normal
    case dim
    case title
    case header
    case border
    case selection
    case statusOK = "status-ok"
    case statusWarn = "status-warn"
    case statusCrit = "status-crit"
    case statusUnknown = "status-unknown"
    case keyHint = "key-hint"
    case error
    case message
    case tabActive = "tab-active"
    case tabInactive = "tab-inactive"
    case statusBar = "status-bar"
    case input
    case overlay
    case liveCause = "live-cause"

    /// One character per role for the colour layer of text snapshots.
    public var code: Character {
        switch self {
        case .normal: "."
        case .dim: "d"
        case .title: "T"
        case .header: "H"
        case .border: "b"
        case .selection: "S"
        case .statusOK: "o"
        case .statusWarn: "w"
        case .statusCrit: "c"
        case .statusUnknown: "u"
        case .keyHint: "k"
        case .error: "E"
        case .message: "m"
        case .tabActive: "A"
        case .tabInactive: "a"
        case .statusBar: "s"
        case .input: "i"
        case .overlay: "O"
        case .liveCause: "L"
        }
    }

    /// The role that shows a domain status.
    public static func of(_ status: DomainStatus?) -> Role {
        switch status {
        case .ok?: .statusOK
        case .warn?: .statusWarn
        case .crit?: .statusCrit
        case .unknown?, nil: .statusUnknown
        }
    }

    /// The role that shows a finding or event severity.
    public static func of(_ severity: Severity) -> Role {
        switch severity {
        case .info: .normal
        case .warn: .statusWarn
        case .crit: .statusCrit
        }
    }
}

/// Terminal attributes a cell adds on top of its role's style (emphasis inside a line).
public struct Attributes: OptionSet, Sendable, Hashable {
    public let rawValue: UInt8
    public init(rawValue: UInt8) { self.rawValue = rawValue }
    public static let bold = Attributes(rawValue: 1)
    public static let reverse = Attributes(rawValue: 2)
    public static let underline = Attributes(rawValue: 4)
    public static let dim = Attributes(rawValue: 8)
}

/// One screen position: a grapheme, the role it is drawn in, and extra attributes.
///
/// A wide character (CJK, most emoji) occupies its cell and the next; the next holds
/// an empty `text` and is never written to the terminal on its own.
public struct Cell: Sendable, Hashable {
    public var text: String
    public var role: Role
    public var attributes: Attributes

    public init(_ text: String, role: Role = .normal, attributes: Attributes = []) {
        self.text = text
        self.role = role
        self.attributes = attributes
    }

    public static let blank = Cell(" ")
    /// True for the right half of a wide character.
    public var isContinuation: Bool { text.isEmpty }
}

/// A cell position.
public struct Point: Sendable, Hashable, Comparable {
    public var x: Int
    public var y: Int
    public init(x: Int, y: Int) {
        self.x = x
        self.y = y
    }
    public static func < (a: Point, b: Point) -> Bool { (a.y, a.x) < (b.y, b.x) }
}

/// A rectangle of cells; layout helpers never produce negative sizes.
public struct Rect: Sendable, Hashable {
    public var x: Int
    public var y: Int
    public var width: Int
    public var height: Int

    public init(x: Int, y: Int, width: Int, height: Int) {
        self.x = x
        self.y = y
        self.width = max(0, width)
        self.height = max(0, height)
    }

    public var isEmpty: Bool { width == 0 || height == 0 }
    public var maxX: Int { x + width }
    public var maxY: Int { y + height }

    /// The top `rows` rows and the rest.
    public func splitTop(_ rows: Int) -> (top: Rect, rest: Rect) {
        let r = min(max(0, rows), height)
        return (Rect(x: x, y: y, width: width, height: r), Rect(x: x, y: y + r, width: width, height: height - r))
    }

    /// The bottom `rows` rows and the rest.
    public func splitBottom(_ rows: Int) -> (rest: Rect, bottom: Rect) {
        let r = min(max(0, rows), height)
        return (Rect(x: x, y: y, width: width, height: height - r), Rect(x: x, y: y + height - r, width: width, height: r))
    }

    /// This rectangle shrunk by `n` cells on every side.
    public func inset(_ n: Int) -> Rect { Rect(x: x + n, y: y + n, width: width - 2 * n, height: height - 2 * n) }

    /// A rectangle of at most the given size centred in this one.
    public func centred(width w: Int, height h: Int) -> Rect {
        let cw = min(w, width), ch = min(h, height)
        return Rect(x: x + (width - cw) / 2, y: y + (height - ch) / 2, width: cw, height: ch)
    }

    /// Row `i` of this rectangle as a one-row rectangle.
    public func row(_ i: Int) -> Rect { Rect(x: x, y: y + i, width: width, height: i < height && i >= 0 ? 1 : 0) }
}

/// One changed cell: what the terminal must write at `point`.
public struct CellChange: Sendable, Hashable {
    public var point: Point
    public var cell: Cell
}

/// An off-screen screen: views render here, the terminal backend copies the differences out.
///
/// Kept free of terminal code so every view can be tested as text, at any size.
public struct Grid: Sendable, Hashable {
    public let width: Int
    public let height: Int
    public private(set) var cells: [Cell]

    public init(width: Int, height: Int, fill: Cell = .blank) {
        self.width = max(0, width)
        self.height = max(0, height)
        cells = Array(repeating: fill, count: self.width * self.height)
    }

    public var bounds: Rect { Rect(x: 0, y: 0, width: width, height: height) }

    public subscript(x: Int, y: Int) -> Cell {
        get { cells[y * width + x] }
        set { cells[y * width + x] = newValue }
    }

    func contains(x: Int, y: Int) -> Bool { x >= 0 && y >= 0 && x < width && y < height }

    /// Fills a rectangle (clipped to the grid) with one cell.
    public mutating func fill(_ rect: Rect, with cell: Cell = .blank) {
        let x0 = max(0, rect.x), x1 = min(width, rect.maxX), y0 = max(0, rect.y), y1 = min(height, rect.maxY)
        guard x0 < x1, y0 < y1 else { return }
        for y in y0..<y1 { for x in x0..<x1 { cells[y * width + x] = cell } }
    }

    /// Sets the role of every cell in a rectangle, keeping the text (selection bars).
    public mutating func paint(_ rect: Rect, role: Role, attributes: Attributes = []) {
        let x0 = max(0, rect.x), x1 = min(width, rect.maxX), y0 = max(0, rect.y), y1 = min(height, rect.maxY)
        guard x0 < x1, y0 < y1 else { return }
        for y in y0..<y1 {
            for x in x0..<x1 {
                cells[y * width + x].role = role
                cells[y * width + x].attributes.formUnion(attributes)
            }
        }
    }

    /// Writes text from (x, y), never past `limit` columns nor the grid's edge; returns the columns used.
    ///
    /// Every string passes through ``Swift/String/sanitizedForTerminal`` here, the one
    /// place text enters the screen, so a report field can never smuggle an escape
    /// sequence or a bidi override to the terminal. A wide character that would be cut
    /// in half is replaced by a space.
    @discardableResult
    public mutating func put(_ text: String, x: Int, y: Int, role: Role = .normal, attributes: Attributes = [],
                             limit: Int = .max) -> Int {
        guard y >= 0, y < height, x < width, limit > 0 else { return 0 }
        let end = min(width, limit == .max ? width : x.addingReportingOverflow(limit).partialValue)
        var col = x
        for ch in TextWidth.safe(text) {
            let w = TextWidth.of(ch)
            if w == 0 { continue }
            if col + w > end {
                if col < end, col >= 0 { cells[y * width + col] = Cell(" ", role: role, attributes: attributes) ; col += 1 }
                break
            }
            if col >= 0 {
                clearWideNeighbours(x: col, y: y, width: w)
                cells[y * width + col] = Cell(String(ch), role: role, attributes: attributes)
                if w == 2 { cells[y * width + col + 1] = Cell("", role: role, attributes: attributes) }
            }
            col += w
        }
        return max(0, col - x)
    }

    /// Keeps wide characters whole: overwriting half of one blanks the other half.
    private mutating func clearWideNeighbours(x: Int, y: Int, width w: Int) {
        let base = y * width
        if cells[base + x].isContinuation, x > 0 { cells[base + x - 1].text = " " }
        let after = x + w
        if after < width, cells[base + after].isContinuation { cells[base + after].text = " " }
    }

    /// The cells of `next` that differ from `previous`, in screen order.
    ///
    /// The terminal backend writes exactly these; equal grids give an empty list, so an
    /// idle dashboard writes nothing. A different size means everything changed.
    public static func changes(from previous: Grid?, to next: Grid) -> [CellChange] {
        var result: [CellChange] = []
        let same = previous.map { $0.width == next.width && $0.height == next.height } ?? false
        for y in 0..<next.height {
            for x in 0..<next.width {
                let i = y * next.width + x
                let cell = next.cells[i]
                if same, let previous, previous.cells[i] == cell { continue }
                // The right half of a wide character is drawn by writing its left half.
                if cell.isContinuation, x > 0, result.last?.point != Point(x: x - 1, y: y) {
                    result.append(CellChange(point: Point(x: x - 1, y: y), cell: next.cells[i - 1]))
                }
                result.append(CellChange(point: Point(x: x, y: y), cell: cell))
            }
        }
        return result
    }

    /// The text layer: one line per row, continuation cells omitted, trailing spaces kept.
    public var text: String {
        var lines: [String] = []
        for y in 0..<height {
            var line = ""
            for x in 0..<width where !self[x, y].isContinuation { line += self[x, y].text }
            lines.append(line)
        }
        return lines.joined(separator: "\n")
    }

    /// The colour layer: one role code per column (see ``Role/code``).
    public var roleText: String {
        var lines: [String] = []
        for y in 0..<height {
            lines.append(String((0..<width).map { self[$0, y].role.code }))
        }
        return lines.joined(separator: "\n")
    }
}
