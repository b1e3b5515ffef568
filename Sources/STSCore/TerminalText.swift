extension String {
    /// This text made safe to print on a terminal: control characters, escape
    /// sequences and bidirectional overrides removed.
    ///
    /// Report fields, EHLO lines and policy files come from strangers. Printed raw, an
    /// escape sequence can retitle the window, move the cursor or hide text, and a bidi
    /// override can make `evil.example` read as something else ("Trojan Source").
    /// Tabs and line breaks become a single space so one field stays on one line.
    public var sanitizedForTerminal: String {
        var result = String.UnicodeScalarView()
        var state = EscapeState.text
        for scalar in unicodeScalars {
            switch state {
            case .text:
                break
            case .afterEscape:
                // ESC [ and ESC ] open sequences with parameters; ESC P, X, ^, _ open strings
                // ended by ST; any other character completes a two-character escape.
                switch scalar {
                case "[": state = .controlSequence
                case "]", "P", "X", "^", "_": state = .controlString
                default: state = .text
                }
                continue
            case .controlSequence:
                // ECMA-48: parameter and intermediate bytes 0x20–0x3F, ended by a final byte 0x40–0x7E.
                if (0x40...0x7E).contains(scalar.value) || !(0x20...0x3F).contains(scalar.value) { state = .text }
                continue
            case .controlString:
                // Ended by BEL, ST (U+009C) or ESC \ ; an ESC here starts that terminator.
                switch scalar.value {
                case 0x07, 0x9C: state = .text
                case 0x1B: state = .afterEscape
                default: break
                }
                continue
            }
            switch scalar.value {
            case 0x1B: state = .afterEscape
            case 0x9B: state = .controlSequence  // C1 CSI
            case 0x90, 0x98, 0x9D, 0x9E, 0x9F: state = .controlString  // C1 DCS, SOS, OSC, PM, APC
            case 0x09, 0x0A, 0x0B, 0x0C, 0x0D, 0x85, 0x2028, 0x2029:
                if result.last != " " { result.append(" ") }
            default:
                if !scalar.isControlOrInvisible { result.append(scalar) }
            }
        }
        return String(result)
    }

    /// This text sanitised for a terminal and cut to `limit` characters, the cut marked with "…".
    ///
    /// A report's field can be megabytes long; one field stays one readable line.
    public func sanitizedForTerminal(limit: Int) -> String {
        sanitizedForTerminal.clipped(to: limit)
    }

    /// At most `limit` characters: the first `limit - 1` and "…" when the text is longer.
    public func clipped(to limit: Int) -> String {
        guard limit > 0 else { return "" }
        var end = startIndex
        for _ in 0..<limit {
            guard end != endIndex else { return self }
            end = index(after: end)
        }
        guard end != endIndex else { return self }
        return String(self[..<index(before: end)]) + "…"
    }
}

extension Unicode.Scalar {
    /// True for a scalar a terminal obeys or draws as nothing: C0 and C1 controls, DEL, bidi
    /// controls, zero-width and other invisible format characters, tag characters, the soft hyphen.
    ///
    /// Each can make two different strings look alike on screen (`pay\u{200B}pal.example`), hide
    /// text or reorder it; none belongs in a host name, report field or log line.
    public var isControlOrInvisible: Bool {
        switch value {
        case 0x00...0x1F, 0x7F, 0x80...0x9F: true
        // Soft hyphen, combining grapheme joiner, Arabic letter mark, Hangul fillers, Khmer inherent vowels.
        case 0xAD, 0x34F, 0x61C, 0x115F, 0x1160, 0x17B4, 0x17B5, 0x3164, 0xFFA0: true
        // Mongolian free variation selectors and vowel separator.
        case 0x180B...0x180F: true
        // Zero-width space, non-joiner, joiner; left-to-right and right-to-left marks.
        case 0x200B...0x200F: true
        // Line and paragraph separators are handled as line breaks by the sanitiser; here invisible.
        case 0x2028, 0x2029: true
        // Bidi embeddings and overrides; word joiner and invisible operators; isolates; deprecated format controls.
        case 0x202A...0x202E, 0x2060...0x2064, 0x2066...0x206F: true
        // Byte-order mark (zero-width no-break space), interlinear annotation controls.
        case 0xFEFF, 0xFFF9...0xFFFB: true
        // Shorthand format controls, musical symbol formatting, tag characters.
        case 0x1BCA0...0x1BCA3, 0x1D173...0x1D17A, 0xE0000...0xE007F: true
        default: false
        }
    }
}

/// JSON that is lossless and safe to print.
public enum JSONText {
    /// `json` (UTF-8 JSON text) with every control or invisible character written as a `\u` escape.
    ///
    /// `JSONEncoder` escapes C0 controls but writes DEL, C1 controls (U+009B is a CSI), bidi
    /// overrides and zero-width characters as they are: `stswatch reports --json` on a terminal
    /// would obey them. An escape keeps the value exact for a script (`jq` decodes it) and inert
    /// on a screen. Outside strings JSON is ASCII, so the rewrite can only touch string contents.
    public static func escapingInvisible(_ json: [UInt8]) -> [UInt8] {
        guard json.contains(where: { $0 >= 0x7F }) else { return json }
        var out: [UInt8] = []
        out.reserveCapacity(json.count + 16)
        func hex(_ unit: UInt16) {
            let digits = Array("0123456789abcdef".utf8)
            out.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "u"),
                                    digits[Int(unit >> 12)], digits[Int(unit >> 8 & 0xF)],
                                    digits[Int(unit >> 4 & 0xF)], digits[Int(unit & 0xF)]])
        }
        for scalar in String(decoding: json, as: UTF8.self).unicodeScalars {
            if scalar.value >= 0x7F, scalar.isControlOrInvisible {
                UTF16.encode(scalar) { hex($0) }
            } else {
                out.append(contentsOf: UTF8.encode(scalar)!)
            }
        }
        return out
    }
}

private enum EscapeState {
    case text, afterEscape, controlSequence, controlString
}
