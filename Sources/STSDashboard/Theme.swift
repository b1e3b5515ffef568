import Foundation

/// A terminal colour: the terminal's default, or an index in the 256-colour palette.
public enum ThemeColor: Sendable, Hashable, CustomStringConvertible {
    case `default`
    case index(UInt8)

    /// The eight basic names and their `bright-` forms, in palette order.
    static let names = ["black", "red", "green", "yellow", "blue", "magenta", "cyan", "white"]

    /// Reads `default`, a colour name (`red`, `bright-red`, `grey`) or an index 0–255.
    public init?(parsing text: String) {
        let t = text.lowercased()
        if t == "default" || t == "-" { self = .default; return }
        if let n = Int(t) {
            guard (0...255).contains(n) else { return nil }
            self = .index(UInt8(n))
            return
        }
        if let i = Self.names.firstIndex(of: t) { self = .index(UInt8(i)); return }
        if t.hasPrefix("bright-"), let i = Self.names.firstIndex(of: String(t.dropFirst(7))) { self = .index(UInt8(i + 8)); return }
        if t == "grey" || t == "gray" { self = .index(8); return }
        return nil
    }

    public var description: String {
        switch self {
        case .default: "default"
        case .index(let i) where i < 8: Self.names[Int(i)]
        case .index(let i) where i < 16: "bright-" + Self.names[Int(i) - 8]
        case .index(let i): String(i)
        }
    }

    /// The nearest of the eight basic colours, for terminals that have only those.
    public var basic: ThemeColor {
        guard case .index(let i) = self else { return self }
        if i < 8 { return self }
        if i < 16 { return .index(i - 8) }
        if i >= 232 { return .index(i < 244 ? 0 : 7) }  // grey ramp
        let c = Int(i) - 16
        let r = c / 36, g = (c / 6) % 6, b = c % 6
        let bits = (r >= 3 ? 1 : 0) | (g >= 3 ? 2 : 0) | (b >= 3 ? 4 : 0)
        return .index(UInt8(bits))
    }
}

/// How one role looks: foreground, background and attributes.
public struct Style: Sendable, Hashable {
    public var foreground: ThemeColor
    public var background: ThemeColor
    public var attributes: Attributes
    public init(_ foreground: ThemeColor = .default, _ background: ThemeColor = .default, _ attributes: Attributes = []) {
        self.foreground = foreground
        self.background = background
        self.attributes = attributes
    }
}

/// Box-drawing and marker characters: Unicode when the locale is UTF-8, ASCII otherwise.
public struct Glyphs: Sendable, Hashable {
    public var horizontal: String
    public var vertical: String
    public var topLeft: String
    public var topRight: String
    public var bottomLeft: String
    public var bottomRight: String
    public var breadcrumb: String
    public var ellipsis: String
    public var arrowUp: String
    public var arrowDown: String
    public var arrow: String

    public static let unicode = Glyphs(horizontal: "─", vertical: "│", topLeft: "┌", topRight: "┐", bottomLeft: "└",
                                       bottomRight: "┘", breadcrumb: " › ", ellipsis: "…", arrowUp: "↑", arrowDown: "↓", arrow: "→")
    public static let ascii = Glyphs(horizontal: "-", vertical: "|", topLeft: "+", topRight: "+", bottomLeft: "+",
                                     bottomRight: "+", breadcrumb: " > ", ellipsis: "~", arrowUp: "^", arrowDown: "v", arrow: "->")
}

/// A problem in a theme file that did not stop it loading: `file:line: problem`.
public struct ThemeWarning: Sendable, Hashable, CustomStringConvertible {
    public var file: String
    public var line: Int
    public var problem: String
    public var description: String { "\(file):\(line): \(problem)" }
}

/// Why a theme could not be loaded at all.
public enum ThemeError: Error, Sendable, Hashable, CustomStringConvertible {
    case notFound(name: String, searched: [String])
    case unreadable(path: String, reason: String)
    case unsupportedVersion(file: String, line: Int, version: String)
    case missingVersion(file: String)

    public var description: String {
        switch self {
        case .notFound(let name, let searched):
            "theme \"\(name)\" not found (looked in \(searched.isEmpty ? "no directories" : searched.joined(separator: ", ")))"
        case .unreadable(let path, let reason): "cannot read theme \(path): \(reason)"
        case .unsupportedVersion(let file, let line, let version): "\(file):\(line): theme format version \(version) is not supported (this build reads version 1)"
        case .missingVersion(let file): "\(file): no \"version = 1\" line before the first role"
        }
    }
}

/// Maps every semantic role to a style; views never name colours.
///
/// Defaults live in code (``Theme/dark``); a theme file overlays them, so a file that
/// names only three roles still gives a complete theme.
public struct Theme: Sendable, Hashable {
    public var name: String
    public var styles: [Role: Style]
    /// True when the theme is meant to use attributes only (the monochrome theme).
    public var monochrome: Bool

    public init(name: String, styles: [Role: Style], monochrome: Bool = false) {
        self.name = name
        self.styles = styles
        self.monochrome = monochrome
    }

    public func style(_ role: Role) -> Style { styles[role] ?? Theme.dark.styles[role] ?? Style() }

    /// The built-in default: light text on the terminal's dark background.
    public static let dark = Theme(name: "dark", styles: [
        .normal: Style(),
        .dim: Style(.index(8)),
        .title: Style(.index(15), .index(24), [.bold]),
        .header: Style(.index(14), .default, [.bold]),
        .border: Style(.index(8)),
        .selection: Style(.index(15), .index(238), [.bold]),
        .statusOK: Style(.index(2)),
        .statusWarn: Style(.index(11), .default, [.bold]),
        .statusCrit: Style(.index(9), .default, [.bold]),
        .statusUnknown: Style(.index(13)),
        .keyHint: Style(.index(14), .default, [.bold]),
        .error: Style(.index(15), .index(1), [.bold]),
        .message: Style(.index(10)),
        .tabActive: Style(.index(0), .index(14), [.bold]),
        .tabInactive: Style(.index(250), .index(24)),
        .statusBar: Style(.index(252), .index(236)),
        .input: Style(.index(15), .index(237), [.underline]),
        .overlay: Style(.index(15), .index(235)),
        .liveCause: Style(.index(11), .default, [.underline]),
    ])

    /// Parses a theme file's text over the built-in defaults.
    ///
    /// Format version 1 (see themes/README.md): `#` comments, `version = 1` first, then
    /// `name = TEXT`, `monochrome = yes|no`, and `ROLE = FG BG [ATTR[,ATTR…]]` lines.
    public static func parse(_ text: String, file: String) throws(ThemeError) -> (theme: Theme, warnings: [ThemeWarning]) {
        var theme = Theme.dark
        theme.name = ((file as NSString).lastPathComponent as NSString).deletingPathExtension
        var warnings: [ThemeWarning] = []
        var sawVersion = false
        for (index, raw) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let lineNumber = index + 1
            var line = Substring(raw)
            if let hash = line.firstIndex(of: "#") { line = line[..<hash] }
            let trimmed = line.trimmingCharacters(in: .whitespacesAndNewlines)
            if trimmed.isEmpty { continue }
            func warn(_ problem: String) { warnings.append(ThemeWarning(file: file, line: lineNumber, problem: problem)) }
            guard let eq = trimmed.firstIndex(of: "=") else { warn("expected KEY = VALUE, got \"\(trimmed)\""); continue }
            let key = trimmed[..<eq].trimmingCharacters(in: .whitespaces).lowercased()
            let value = trimmed[trimmed.index(after: eq)...].trimmingCharacters(in: .whitespaces)
            if key == "version" {
                guard value == "1" else { throw .unsupportedVersion(file: file, line: lineNumber, version: value) }
                sawVersion = true
                continue
            }
            guard sawVersion else { throw .missingVersion(file: file) }
            switch key {
            case "name":
                theme.name = value
            case "monochrome":
                switch value.lowercased() {
                case "yes", "true": theme.monochrome = true
                case "no", "false": theme.monochrome = false
                default: warn("monochrome must be yes or no, got \"\(value)\"")
                }
            default:
                guard let role = Role(rawValue: key) else {
                    warn("unknown role \"\(key)\" (known: \(Role.allCases.map(\.rawValue).joined(separator: ", ")))")
                    continue
                }
                switch parseStyle(value) {
                case .success(let style): theme.styles[role] = style
                case .failure(let problem): warn("\(key): \(problem.message)")
                }
            }
        }
        if !sawVersion { throw .missingVersion(file: file) }
        return (theme, warnings)
    }

    struct StyleProblem: Error { var message: String }

    /// Reads `FG BG [ATTRS]`; attributes are comma-separated, or `none`.
    static func parseStyle(_ value: String) -> Result<Style, StyleProblem> {
        let words = value.split(whereSeparator: { $0 == " " || $0 == "\t" }).map(String.init)
        guard (2...3).contains(words.count) else {
            return .failure(StyleProblem(message: "expected FOREGROUND BACKGROUND [ATTRIBUTES], got \"\(value)\""))
        }
        guard let fg = ThemeColor(parsing: words[0]) else { return .failure(StyleProblem(message: "unknown colour \"\(words[0])\" (a name, bright-NAME, default, or 0–255)")) }
        guard let bg = ThemeColor(parsing: words[1]) else { return .failure(StyleProblem(message: "unknown colour \"\(words[1])\" (a name, bright-NAME, default, or 0–255)")) }
        var attributes: Attributes = []
        if words.count == 3, words[2].lowercased() != "none" {
            for a in words[2].lowercased().split(separator: ",") {
                switch a {
                case "bold": attributes.insert(.bold)
                case "reverse": attributes.insert(.reverse)
                case "underline": attributes.insert(.underline)
                case "dim": attributes.insert(.dim)
                default: return .failure(StyleProblem(message: "unknown attribute \"\(a)\" (bold, reverse, underline, dim, none)"))
                }
            }
        }
        return .success(Style(fg, bg, attributes))
    }

    /// Loads a theme by name (`NAME.theme` in `searchPaths`) or by path (anything with a `/` or ending `.theme`).
    public static func load(nameOrPath: String, searchPaths: [String]) throws(ThemeError) -> (theme: Theme, warnings: [ThemeWarning]) {
        let candidates: [String]
        if nameOrPath.contains("/") || nameOrPath.hasSuffix(".theme") {
            candidates = [nameOrPath]
        } else {
            candidates = searchPaths.map { ($0 as NSString).appendingPathComponent(nameOrPath + ".theme") }
        }
        guard let path = candidates.first(where: { FileManager.default.fileExists(atPath: $0) }) else {
            if nameOrPath == "dark" || nameOrPath == "default" { return (Theme.dark, []) }
            throw .notFound(name: nameOrPath, searched: nameOrPath.contains("/") ? candidates : searchPaths)
        }
        let text: String
        do {
            text = try String(contentsOfFile: path, encoding: .utf8)
        } catch {
            throw .unreadable(path: path, reason: "\(error.localizedDescription)")
        }
        return try parse(text, file: path)
    }

    /// Every theme in the search paths, by name, in the order a `t` cycle shows them (default first).
    public static func loadAll(searchPaths: [String]) -> (themes: [Theme], warnings: [String]) {
        var seen = Set<String>(), themes: [Theme] = [], warnings: [String] = []
        for dir in searchPaths {
            guard let names = try? FileManager.default.contentsOfDirectory(atPath: dir) else { continue }
            for file in names.sorted() where file.hasSuffix(".theme") {
                let name = String(file.dropLast(6))
                guard seen.insert(name).inserted else { continue }
                do {
                    let (theme, w) = try parse(String(contentsOfFile: (dir as NSString).appendingPathComponent(file), encoding: .utf8),
                                               file: (dir as NSString).appendingPathComponent(file))
                    themes.append(theme)
                    warnings += w.map(\.description)
                } catch {
                    warnings.append("\(error)")
                }
            }
        }
        if !themes.contains(where: { $0.name == "dark" }) { themes.insert(.dark, at: 0) }
        themes.sort { ($0.name == "dark" ? 0 : 1, $0.name) < ($1.name == "dark" ? 0 : 1, $1.name) }
        return (themes, warnings)
    }
}

extension Theme {
    /// What a colour theme falls back to on a terminal without colours (or with `NO_COLOR`).
    public static let monochromeFallback = Theme(name: "monochrome", styles: [
        .normal: Style(),
        .dim: Style(.default, .default, [.dim]),
        .title: Style(.default, .default, [.bold]),
        .header: Style(.default, .default, [.bold, .underline]),
        .border: Style(.default, .default, [.dim]),
        .selection: Style(.default, .default, [.reverse]),
        .statusOK: Style(),
        .statusWarn: Style(.default, .default, [.bold]),
        .statusCrit: Style(.default, .default, [.bold, .reverse]),
        .statusUnknown: Style(.default, .default, [.underline]),
        .keyHint: Style(.default, .default, [.bold]),
        .error: Style(.default, .default, [.bold, .reverse]),
        .message: Style(.default, .default, [.bold]),
        .tabActive: Style(.default, .default, [.reverse, .bold]),
        .tabInactive: Style(.default, .default, [.underline]),
        .statusBar: Style(.default, .default, [.reverse]),
        .input: Style(.default, .default, [.underline]),
        .overlay: Style(),
        .liveCause: Style(.default, .default, [.bold, .underline]),
    ], monochrome: true)
}
