/// A key press, as the terminal backend decodes it.
public enum Key: Sendable, Hashable, CustomStringConvertible {
    case char(Character)
    case up, down, left, right
    case pageUp, pageDown, home, end
    case enter, escape, backspace, delete, tab, backTab
    case function(Int)

    public var description: String {
        switch self {
        case .char(" "): "Space"
        case .char(let c): String(c)
        case .up: "↑"
        case .down: "↓"
        case .left: "←"
        case .right: "→"
        case .pageUp: "PgUp"
        case .pageDown: "PgDn"
        case .home: "Home"
        case .end: "End"
        case .enter: "Enter"
        case .escape: "Esc"
        case .backspace: "Backspace"
        case .delete: "Del"
        case .tab: "Tab"
        case .backTab: "Shift-Tab"
        case .function(let n): "F\(n)"
        }
    }

    /// The key's name on screen: arrows need a UTF-8 locale, so ASCII terminals get words.
    public func label(ascii: Bool) -> String {
        guard ascii else { return description }
        switch self {
        case .up: return "Up"
        case .down: return "Down"
        case .left: return "Left"
        case .right: return "Right"
        case .char(let c) where !c.isASCII: return "?"
        default: return description
        }
    }
}

extension Key: ExpressibleByExtendedGraphemeClusterLiteral {
    public init(extendedGraphemeClusterLiteral value: Character) { self = .char(value) }
}

/// Everything a key can ask the dashboard to do.
public enum Action: String, Sendable, Hashable, CaseIterable {
    case up, down, pageUp, pageDown, top, bottom
    case nextPane, previousPane
    case drillDown, back
    case filter, cycleSort, problemsOnly
    case recheckSelected, recheckAll
    case addDomain, removeDomain
    case nextTheme, help, quit
}

/// One key binding: the keys, what they do, and the words the help screen shows.
public struct Binding: Sendable, Hashable {
    public var keys: [Key]
    public var action: Action
    public var help: String
    /// A word or two for the footer; nil keeps the binding out of it (only in the help overlay).
    public var hint: String?

    public init(keys: [Key], action: Action, help: String, hint: String? = nil) {
        self.keys = keys
        self.action = action
        self.help = help
        self.hint = hint
    }

    /// The keys as the help screen writes them: `j ↓` (`j Down` on an ASCII terminal).
    public func keyText(ascii: Bool) -> String { keys.map { $0.label(ascii: ascii) }.joined(separator: " ") }
}

/// The dashboard's panes, in Tab order.
public enum Pane: String, Sendable, Hashable, CaseIterable {
    case domains, detail, failures

    public var title: String {
        switch self {
        case .domains: "Domains"
        case .detail: "Detail"
        case .failures: "Failures"
        }
    }
}

/// The key tables. Dispatch, the help overlay, the footer and the README all read these.
public enum KeyBindings {
    /// Keys that work in every pane; a pane's own table is consulted first.
    public static let global: [Binding] = [
        Binding(keys: ["k", .up], action: .up, help: "move up / scroll up"),
        Binding(keys: ["j", .down], action: .down, help: "move down / scroll down"),
        Binding(keys: [.pageUp, "b"], action: .pageUp, help: "page up"),
        Binding(keys: [.pageDown, " "], action: .pageDown, help: "page down"),
        Binding(keys: ["g", .home], action: .top, help: "go to the top"),
        Binding(keys: ["G", .end], action: .bottom, help: "go to the bottom"),
        Binding(keys: [.tab], action: .nextPane, help: "next pane", hint: "pane"),
        Binding(keys: [.backTab], action: .previousPane, help: "previous pane"),
        Binding(keys: ["r"], action: .recheckSelected, help: "re-check the selected domain", hint: "re-check"),
        Binding(keys: ["R"], action: .recheckAll, help: "re-check all domains"),
        Binding(keys: ["t"], action: .nextTheme, help: "next theme"),
        Binding(keys: ["?", .function(1)], action: .help, help: "show or hide this help", hint: "help"),
        Binding(keys: ["q"], action: .quit, help: "quit", hint: "quit"),
    ]

    public static let domains: [Binding] = [
        Binding(keys: [.enter, .right, "l"], action: .drillDown, help: "show the domain's detail", hint: "detail"),
        Binding(keys: ["/"], action: .filter, help: "filter domains by text", hint: "filter"),
        Binding(keys: ["s"], action: .cycleSort, help: "sort: status, name, expiry, failures", hint: "sort"),
        Binding(keys: ["p"], action: .problemsOnly, help: "show only domains with problems", hint: "problems"),
        Binding(keys: ["a"], action: .addDomain, help: "add a domain", hint: "add"),
        Binding(keys: ["d", .delete], action: .removeDomain, help: "remove the selected domain (asks first)"),
        Binding(keys: [.escape], action: .back, help: "clear the filter"),
    ]

    public static let detail: [Binding] = [
        Binding(keys: [.enter, "f"], action: .drillDown, help: "show the domain's report failures", hint: "failures"),
        Binding(keys: [.escape, .backspace, .left, "h"], action: .back, help: "back to the domains", hint: "back"),
    ]

    public static let failures: [Binding] = [
        Binding(keys: [.enter, .right, "l"], action: .drillDown, help: "open a group, its reports, one report", hint: "open"),
        Binding(keys: [.escape, .backspace, .left, "h"], action: .back, help: "back up one level", hint: "back"),
        Binding(keys: ["/"], action: .filter, help: "filter failure groups by text"),
    ]

    public static func table(for pane: Pane) -> [Binding] {
        switch pane {
        case .domains: domains
        case .detail: detail
        case .failures: failures
        }
    }

    /// The action a key triggers in a pane: the pane's table first, then the global one.
    public static func action(for key: Key, in pane: Pane) -> Action? {
        for binding in table(for: pane) + global where binding.keys.contains(key) { return binding.action }
        return nil
    }

    /// The README's key table, generated so it cannot drift from the code.
    public static func markdown() -> String {
        var out = "| Pane | Keys | Action |\n|---|---|---|\n"
        func rows(_ name: String, _ table: [Binding]) {
            for b in table {
                let keys = b.keys.map { "`\($0.description == "|" ? "\\|" : $0.description)`" }.joined(separator: " ")
                out += "| \(name) | \(keys) | \(b.help) |\n"
            }
        }
        rows("all", global)
        for pane in Pane.allCases { rows(pane.title, table(for: pane)) }
        return out
    }
}
