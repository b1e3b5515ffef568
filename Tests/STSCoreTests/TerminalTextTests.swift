import Foundation
import Testing
import STSCore

@Suite struct TerminalTextTests {
    @Test(arguments: [
        ("plain ascii", "plain ascii"),
        ("", ""),
        ("Grüße, 日本語, emoji 📬", "Grüße, 日本語, emoji 📬"),
        // C0 controls, DEL and C1 controls vanish; line breaks and tabs become one space.
        ("a\u{0}b\u{7}c\u{8}d\u{7F}e", "abcde"),
        ("line1\r\nline2\tend", "line1 line2 end"),
        ("a\u{85}b\u{2028}c", "a b c"),
        ("x\u{80}y\u{8F}z\u{9A}", "xyz"),
        ("\u{9F}apc string\u{9C}after", "after"),
        // CSI sequences: colours, cursor movement, screen clearing.
        ("\u{1B}[31mred\u{1B}[0m", "red"),
        ("\u{1B}[2J\u{1B}[1;1Hhome", "home"),
        ("\u{1B}[?1049hscreen", "screen"),
        ("\u{9B}31mc1 csi", "c1 csi"),
        // OSC: window title, hyperlinks; ended by BEL or ST.
        ("\u{1B}]0;pwned\u{7}title", "title"),
        ("\u{1B}]8;;https://evil.example\u{1B}\\link\u{1B}]8;;\u{1B}\\", "link"),
        ("\u{9D}0;pwned\u{9C}after", "after"),
        // DCS and other control strings.
        ("\u{1B}Pq#0;2;0;0;0\u{1B}\\ok", "ok"),
        // Two-character escapes (RIS resets the terminal).
        ("\u{1B}cafter reset", "after reset"),
        ("\u{1B}7saved\u{1B}8", "saved"),
        // A lone escape at the end.
        ("trailing\u{1B}", "trailing"),
        // Bidi overrides, embeddings, isolates and marks.
        ("mx.\u{202E}elpmaxe\u{202C}.com", "mx.elpmaxe.com"),
        ("\u{2066}a\u{2067}b\u{2068}c\u{2069}", "abc"),
        ("\u{200E}l\u{200F}r\u{061C}a", "lra"),
        ("\u{202A}\u{202B}\u{202D}x", "x"),
        // Invisible characters: zero-width space, joiners, word joiner, BOM, soft hyphen, tag characters.
        ("pay\u{200B}pal.example", "paypal.example"),
        ("a\u{200C}b\u{200D}c\u{2060}d\u{FEFF}e", "abcde"),
        ("ex\u{AD}ample", "example"),
        ("ok\u{E0001}\u{E0068}\u{E0069}\u{E007F}", "ok"),
        ("\u{2061}\u{2064}\u{206A}\u{206F}\u{180E}\u{34F}x", "x"),
        ("\u{115F}\u{3164}\u{FFA0}\u{1D173}y", "y"),
    ])
    func removesWhatATerminalWouldObey(input: String, expected: String) {
        #expect(input.sanitizedForTerminal == expected)
    }

    @Test func sanitizingIsIdempotent() {
        let hostile = "\u{1B}[31m\u{202E}evil\u{7}\r\nnext\u{1B}]0;t\u{7}"
        #expect(hostile.sanitizedForTerminal.sanitizedForTerminal == hostile.sanitizedForTerminal)
        #expect(!hostile.sanitizedForTerminal.unicodeScalars.contains { $0.value < 0x20 || $0.value == 0x7F })
    }

    @Test(arguments: [
        ("short", 10, "short"),
        ("exactly10!", 10, "exactly10!"),
        ("eleven char", 10, "eleven ch…"),
        ("日本語のテキスト", 4, "日本語…"),
        ("", 3, ""),
        ("abc", 1, "…"),
    ])
    func clipsWithAnEllipsis(input: String, limit: Int, expected: String) {
        #expect(input.clipped(to: limit) == expected)
        #expect(input.clipped(to: limit).count <= limit)
    }

    @Test func longFieldsAreClippedAfterSanitising() {
        let long = "\u{1B}[31m" + String(repeating: "x", count: 1_000_000)
        let shown = long.sanitizedForTerminal(limit: 200)
        #expect(shown.count == 200 && shown.hasSuffix("…") && shown.hasPrefix("xxx"))
    }

    /// JSON keeps every value exact (a decoder gets the original back) and carries nothing a terminal obeys.
    @Test func jsonEscapesWhatATerminalWouldObey() throws {
        struct Value: Codable, Equatable { var text: String }
        let original = Value(text: "a\u{1B}[2J\u{7F}\u{9B}31m\u{202E}b\u{200B}\u{AD}\u{E0041}é日本")
        let json = JSONText.escapingInvisible(Array(try JSONEncoder().encode(original)))
        let text = String(decoding: json, as: UTF8.self)
        #expect(!text.unicodeScalars.contains { $0.isControlOrInvisible }, "\(text.debugDescription)")
        #expect(text.contains(#"\u007f\u009b31m\u202eb\u200b\u00ad\udb40\udc41é日本"#), "\(text)")
        #expect(try JSONDecoder().decode(Value.self, from: Data(json)) == original)
    }
}
