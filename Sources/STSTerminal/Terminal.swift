import CNcurses
import Foundation
import STSDashboard
import Synchronization

/// How many colours the terminal can show, after `NO_COLOR` has had its say.
public enum ColorMode: String, Sendable, Hashable {
    case none, basic8, palette256
}

/// A signal asked us to stop (SIGINT, SIGTERM, SIGHUP); read by the loop, set by the handler.
///
/// An atomic because it is written from a signal handler, where taking a lock could deadlock.
let pendingStopSignal = Atomic<Int32>(0)

/// True while ncurses owns the screen, so the crash handler knows whether to call `endwin`.
let screenActive = Atomic<Bool>(false)

/// What the terminal reported: a key, a new size, or nothing before the timeout.
public enum TerminalInput: Sendable, Hashable {
    case key(Key)
    case resize(width: Int, height: Int)
    /// Ctrl-L: the screen may be garbled by another program; repaint everything.
    case redraw
}

/// The only ncurses user: owns the screen from ``start(theme:mouse:)`` to ``stop()``.
///
/// Draws a ``Grid`` by writing only the cells that changed since the previous one, and
/// decodes keys (wide characters, function keys, Esc, Shift-Tab, resize, mouse wheel).
/// Single-threaded: create, use and stop it on one thread.
public final class Terminal {
    /// True when the locale is UTF-8: the views then use line-drawing glyphs.
    public let utf8: Bool
    public let colorMode: ColorMode
    public private(set) var theme: Theme
    private var previous: Grid?
    private var pairs: [Role: (attrs: attr_t, pair: Int16)] = [:]
    private var stopped = false

    /// The glyphs the views should use on this terminal.
    public var glyphs: Glyphs { utf8 ? .unicode : .ascii }

    private init(utf8: Bool, colorMode: ColorMode, theme: Theme) {
        self.utf8 = utf8
        self.colorMode = colorMode
        self.theme = theme
    }

    /// Takes over the screen. Signal handlers are installed first so ncurses leaves them alone.
    ///
    /// `environment` is read for `NO_COLOR` (any non-empty value turns colour off).
    public static func start(theme: Theme, mouse: Bool = false,
                             environment: [String: String] = ProcessInfo.processInfo.environment) throws(TerminalError) -> Terminal {
        var locale = setlocale(LC_ALL, "")
        if locale == nil { locale = setlocale(LC_ALL, "C.UTF-8") }
        let codeset = String(cString: sts_codeset())
        let utf8 = codeset.uppercased().replacingOccurrences(of: "-", with: "") == "UTF8"
        guard isatty(STDIN_FILENO) == 1, isatty(STDOUT_FILENO) == 1 else { throw .notATerminal }
        installSignalHandlers()
        guard initscr() != nil else { throw .initFailed(term: environment["TERM"] ?? "(unset)") }
        screenActive.store(true, ordering: .sequentiallyConsistent)
        cbreak()
        noecho()
        nonl()
        keypad(sts_stdscr(), true)
        intrflush(sts_stdscr(), false)
        curs_set(0)
        set_escdelay(25)
        if mouse { _ = sts_enable_mouse() }
        var mode = ColorMode.none
        let noColor = !(environment["NO_COLOR"] ?? "").isEmpty
        if !noColor && has_colors() {
            start_color()
            use_default_colors()
            mode = sts_colors() >= 256 ? .palette256 : (sts_colors() >= 8 ? .basic8 : .none)
        }
        let terminal = Terminal(utf8: utf8, colorMode: mode, theme: theme)
        terminal.apply(theme: theme)
        return terminal
    }

    /// Gives the screen back, as it was: also run on SIGINT/SIGTERM (through the loop) and on crashes (by the handler).
    public func stop() {
        guard !stopped else { return }
        stopped = true
        screenActive.store(false, ordering: .sequentiallyConsistent)
        curs_set(1)
        endwin()
    }

    deinit { stop() }

    /// The screen size now.
    public var size: (width: Int, height: Int) { (Int(sts_cols_of(sts_stdscr())), Int(sts_rows_of(sts_stdscr()))) }

    /// Switches theme: colour pairs are redefined and the next draw repaints every cell.
    public func apply(theme: Theme) {
        self.theme = theme
        let effective = colorMode == .none && !theme.monochrome ? Theme.monochromeFallback : theme
        pairs = [:]
        for (n, role) in Role.allCases.enumerated() {
            let style = effective.style(role)
            var attrs = Self.attributes(style.attributes)
            var pair: Int16 = 0
            if colorMode != .none, n + 1 < Int(sts_color_pairs()) {
                pair = Int16(n + 1)
                init_pair(pair, color(style.foreground), color(style.background))
            }
            // The selection must stay visible when its background is lost: with no colours,
            // or when an 8-colour terminal maps a dark grey to black or the default.
            let lostBackground = colorMode == .none
                || (colorMode == .basic8 && [ThemeColor.default, .index(0)].contains(style.background.basic))
            if role == .selection && lostBackground && !effective.monochrome { attrs |= sts_a_reverse() }
            pairs[role] = (attrs, pair)
        }
        previous = nil
    }

    private func color(_ c: ThemeColor) -> Int16 {
        switch colorMode == .basic8 ? c.basic : c {
        case .default: -1
        case .index(let i): Int16(i)
        }
    }

    static func attributes(_ a: Attributes) -> attr_t {
        var result = sts_a_normal()
        if a.contains(.bold) { result |= sts_a_bold() }
        if a.contains(.reverse) { result |= sts_a_reverse() }
        if a.contains(.underline) { result |= sts_a_underline() }
        if a.contains(.dim) { result |= sts_a_dim() }
        return result
    }

    /// Writes the cells that differ from the last drawn grid, then refreshes once; writes nothing when nothing changed.
    ///
    /// Returns the number of cells written (for tests and benchmarks).
    @discardableResult
    public func draw(_ grid: Grid) -> Int {
        if let previous, previous.width != grid.width || previous.height != grid.height {
            self.previous = nil
        }
        if previous == nil { werase(sts_stdscr()); clearok(sts_stdscr(), true) }
        let changes = Grid.changes(from: previous, to: grid)
        previous = grid
        guard !changes.isEmpty else { return 0 }
        var run: [wchar_t] = []
        var runStart = Point(x: 0, y: 0)
        var runEnd = Point(x: -1, y: -1)
        var runStyle: (Role, Attributes) = (.normal, [])
        func flush() {
            guard !run.isEmpty else { return }
            let style = pairs[runStyle.0] ?? (sts_a_normal(), 0)
            let attrs = style.attrs | Self.attributes(runStyle.1)
            run.withUnsafeBufferPointer { buf in
                _ = sts_put(Int32(runStart.y), Int32(runStart.x), buf.baseAddress, Int32(buf.count), attrs, style.pair)
            }
            run.removeAll(keepingCapacity: true)
        }
        for change in changes {
            let cell = change.cell
            if cell.isContinuation { continue }
            let contiguous = change.point.y == runEnd.y && change.point.x == runEnd.x
            if !contiguous || runStyle.0 != cell.role || runStyle.1 != cell.attributes {
                flush()
                runStart = change.point
                runStyle = (cell.role, cell.attributes)
            }
            let width = TextWidth.of(Character(cell.text))
            if utf8 || cell.text.unicodeScalars.allSatisfy({ $0.isASCII }) {
                for scalar in cell.text.unicodeScalars { run.append(wchar_t(bitPattern: scalar.value)) }
            } else {
                // A non-UTF-8 locale cannot show it: keep the columns, say something is there.
                for _ in 0..<max(1, width) { run.append(wchar_t(UInt8(ascii: "?"))) }
            }
            runEnd = Point(x: change.point.x + max(1, width), y: change.point.y)
        }
        flush()
        wrefresh(sts_stdscr())
        return changes.count
    }

    /// Waits up to `timeoutMilliseconds` for input; nil when none came.
    public func read(timeoutMilliseconds: Int32) -> TerminalInput? {
        wtimeout(sts_stdscr(), timeoutMilliseconds)
        var ch: wint_t = 0
        let rc = wget_wch(sts_stdscr(), &ch)
        if rc == sts_err() { return nil }
        let code = Int32(bitPattern: UInt32(ch))
        if rc == sts_key_code_yes() {
            switch code {
            case sts_key_up(): return .key(.up)
            case sts_key_down(): return .key(.down)
            case sts_key_left(): return .key(.left)
            case sts_key_right(): return .key(.right)
            case sts_key_ppage(): return .key(.pageUp)
            case sts_key_npage(): return .key(.pageDown)
            case sts_key_home(): return .key(.home)
            case sts_key_end(): return .key(.end)
            case sts_key_enter(): return .key(.enter)
            case sts_key_backspace(): return .key(.backspace)
            case sts_key_dc(): return .key(.delete)
            case sts_key_btab(): return .key(.backTab)
            case sts_key_resize():
                let (w, h) = size
                return .resize(width: w, height: h)
            case sts_key_mouse():
                var row: Int32 = 0
                switch sts_mouse_event(&row) {
                case 1: return .key(.up)
                case 2: return .key(.down)
                default: return nil
                }
            case (sts_key_f0() + 1)...(sts_key_f0() + 12): return .key(.function(Int(code - sts_key_f0())))
            default: return nil
            }
        }
        switch code {
        case 9: return .key(.tab)
        case 10, 13: return .key(.enter)
        case 27: return .key(.escape)
        case 8, 127: return .key(.backspace)
        case 12: return .redraw
        case 0..<32: return nil
        default:
            guard let scalar = Unicode.Scalar(UInt32(ch)) else { return nil }
            return .key(.char(Character(scalar)))
        }
    }

    /// Forgets what is on screen, so the next draw repaints every cell.
    public func invalidate() { previous = nil }

    /// The stop signal received since the last call (SIGINT, SIGTERM, SIGHUP), if any.
    public static func takeStopSignal() -> Int32? {
        let s = pendingStopSignal.exchange(0, ordering: .sequentiallyConsistent)
        return s == 0 ? nil : s
    }

    /// SIGINT/SIGTERM/SIGHUP set a flag the loop reads (it then leaves cleanly); crash
    /// signals restore the terminal, then die the way they would have.
    static func installSignalHandlers() {
        for sig in [SIGINT, SIGTERM, SIGHUP] {
            signal(sig) { s in pendingStopSignal.store(s, ordering: .sequentiallyConsistent) }
        }
        for sig in [SIGSEGV, SIGABRT, SIGBUS, SIGILL, SIGFPE, SIGTRAP] {
            signal(sig) { s in
                // endwin is not async-signal-safe, but the process is dying anyway and a
                // terminal left in raw mode with no cursor is worse than the small risk.
                if screenActive.exchange(false, ordering: .sequentiallyConsistent) { endwin() }
                signal(s, SIG_DFL)
                raise(s)
            }
        }
    }
}

/// Why the dashboard could not take over the terminal.
public enum TerminalError: Error, Sendable, Hashable, CustomStringConvertible {
    case notATerminal
    case initFailed(term: String)

    public var description: String {
        switch self {
        case .notATerminal: "the dashboard needs a terminal: standard input and output must be a tty"
        case .initFailed(let term): "ncurses could not start on this terminal (TERM=\(term))"
        }
    }
}
