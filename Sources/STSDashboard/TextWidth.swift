import STSCore

/// Display width of text in terminal columns, without the C library's `wcwidth`.
///
/// The dashboard clips and aligns by columns, not characters: a CJK domain name or an
/// emoji in a report takes two columns, a combining accent none. This follows Unicode's
/// East Asian Width (wide and fullwidth ranges) closely enough for terminals, which
/// themselves disagree at the edges.
public enum TextWidth {
    /// Columns taken by one grapheme cluster: 0, 1 or 2.
    public static func of(_ character: Character) -> Int {
        let scalars = character.unicodeScalars
        guard let first = scalars.first else { return 0 }
        if first.value < 0x7F { return first.value < 0x20 ? 0 : 1 }
        if scalars.contains(where: { $0.value == 0xFE0F }) { return 2 }  // emoji presentation
        return of(first)
    }

    /// Columns taken by one scalar standing alone.
    public static func of(_ scalar: Unicode.Scalar) -> Int {
        let v = scalar.value
        if v < 0x20 || (0x7F..<0xA0).contains(v) { return 0 }
        switch scalar.properties.generalCategory {
        case .nonspacingMark, .enclosingMark, .format: return 0
        default: break
        }
        if v == 0x200B { return 0 }
        if isWide(v) { return 2 }
        return 1
    }

    static func isWide(_ v: UInt32) -> Bool {
        switch v {
        case 0x1100...0x115F, 0x231A...0x231B, 0x2329...0x232A, 0x23E9...0x23EC, 0x23F0, 0x23F3,
             0x25FD...0x25FE, 0x2614...0x2615, 0x2648...0x2653, 0x267F, 0x2693, 0x26A1, 0x26AA...0x26AB,
             0x26BD...0x26BE, 0x26C4...0x26C5, 0x26CE, 0x26D4, 0x26EA, 0x26F2...0x26F3, 0x26F5, 0x26FA,
             0x26FD, 0x2705, 0x270A...0x270B, 0x2728, 0x274C, 0x274E, 0x2753...0x2755, 0x2757,
             0x2795...0x2797, 0x27B0, 0x27BF, 0x2B1B...0x2B1C, 0x2B50, 0x2B55,
             0x2E80...0x303E, 0x3041...0x33FF, 0x3400...0x4DBF, 0x4E00...0x9FFF, 0xA000...0xA4CF,
             0xA960...0xA97F, 0xAC00...0xD7A3, 0xF900...0xFAFF, 0xFE10...0xFE19, 0xFE30...0xFE6F,
             0xFF00...0xFF60, 0xFFE0...0xFFE6, 0x16FE0...0x16FE4, 0x17000...0x18AFF, 0x1B000...0x1B2FF,
             0x1F004, 0x1F0CF, 0x1F18E, 0x1F191...0x1F19A, 0x1F200...0x1F251, 0x1F300...0x1F64F,
             0x1F680...0x1F6FF, 0x1F7E0...0x1F7EB, 0x1F90C...0x1F9FF, 0x1FA70...0x1FAFF,
             0x20000...0x2FFFD, 0x30000...0x3FFFD:
            return true
        default:
            return false
        }
    }

    /// Columns taken by a string.
    public static func of(_ text: String) -> Int { text.reduce(0) { $0 + of($1) } }

    /// The text with escape sequences, control characters and bidi overrides removed.
    ///
    /// A fast path skips the sanitizer for plain text, which is nearly all of it.
    public static func safe(_ text: String) -> String {
        let suspicious = text.unicodeScalars.contains { s in
            let v = s.value
            return v < 0x20 || (0x7F...0x9F).contains(v) || v == 0x061C || v == 0x200E || v == 0x200F
                || (0x202A...0x202E).contains(v) || (0x2066...0x2069).contains(v) || v == 0x2028 || v == 0x2029
        }
        return suspicious ? text.sanitizedForTerminal : text
    }

    /// The text cut to at most `width` columns, ending in `ellipsis` when cut.
    public static func clip(_ text: String, to width: Int, ellipsis: String = "…") -> String {
        guard width > 0 else { return "" }
        let text = safe(text)
        if of(text) <= width { return text }
        let ew = of(ellipsis)
        let room = width - ew
        guard room >= 0 else { return String(repeating: ".", count: width) }
        var out = "", used = 0
        for ch in text {
            let w = of(ch)
            if used + w > room { break }
            out.append(ch)
            used += w
        }
        return out + ellipsis
    }

    /// The text padded with spaces (or clipped) to exactly `width` columns.
    public static func pad(_ text: String, to width: Int, alignRight: Bool = false, ellipsis: String = "…") -> String {
        let clipped = clip(text, to: width, ellipsis: ellipsis)
        let fill = String(repeating: " ", count: max(0, width - of(clipped)))
        return alignRight ? fill + clipped : clipped + fill
    }

    /// The text broken into lines of at most `width` columns (hard wrap, for raw JSON and long messages).
    public static func wrap(_ text: String, to width: Int) -> [String] {
        guard width > 0 else { return [] }
        var lines: [String] = [], line = "", used = 0
        for ch in safe(text) {
            let w = of(ch)
            if used + w > width {
                lines.append(line)
                line = ""
                used = 0
            }
            line.append(ch)
            used += w
        }
        lines.append(line)
        return lines
    }

    /// Word-wraps text to `width` columns, breaking long words hard.
    public static func wordWrap(_ text: String, to width: Int) -> [String] {
        guard width > 0 else { return [] }
        var lines: [String] = []
        var line = ""
        for word in safe(text).split(separator: " ", omittingEmptySubsequences: true) {
            let w = String(word)
            let candidate = line.isEmpty ? w : line + " " + w
            if of(candidate) <= width {
                line = candidate
            } else {
                if !line.isEmpty { lines.append(line) }
                if of(w) > width {
                    var parts = wrap(w, to: width)
                    line = parts.removeLast()
                    lines.append(contentsOf: parts)
                } else {
                    line = w
                }
            }
        }
        if !line.isEmpty || lines.isEmpty { lines.append(line) }
        return lines
    }
}
