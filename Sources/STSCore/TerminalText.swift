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
            case 0x00...0x1F, 0x7F, 0x80...0x9F:
                break
            case 0x200E, 0x200F, 0x061C, 0x202A...0x202E, 0x2066...0x2069:
                break
            default:
                result.append(scalar)
            }
        }
        return String(result)
    }
}

private enum EscapeState {
    case text, afterEscape, controlSequence, controlString
}
