import Foundation

/// Splits an mbox file into its messages.
///
/// A message starts at a line beginning `From ` that opens the file or follows an
/// empty line (the mboxrd and mboxo writers both leave one). Body lines that began
/// with `From ` were written as `>From `; one `>` is removed from every `>…>From `
/// line (mboxrd), which for the base64 attachments reports travel in changes nothing.
public enum Mbox {
    /// Byte ranges of each message in `bytes`, without its `From ` line and the separating empty line.
    public static func messageRanges(_ bytes: UnsafeRawBufferPointer) -> [Range<Int>] {
        var ranges: [Range<Int>] = []
        var start: Int?  // start of the current message body (after its From_ line)
        var lineStart = 0
        var previousLineEmpty = true
        var lastContentEnd = 0  // end of the last line that was not the separating empty line
        let count = bytes.count
        while lineStart < count {
            var lineEnd = lineStart
            while lineEnd < count && bytes[lineEnd] != 0x0A { lineEnd += 1 }
            let next = min(lineEnd + 1, count)
            var contentEnd = lineEnd
            if contentEnd > lineStart && bytes[contentEnd - 1] == 0x0D { contentEnd -= 1 }
            let isEmpty = contentEnd == lineStart
            if previousLineEmpty && isFromLine(bytes, lineStart, contentEnd) {
                if let start { ranges.append(start..<max(start, lastContentEnd)) }
                start = next
                lastContentEnd = next
            } else if !isEmpty {
                lastContentEnd = next
            }
            previousLineEmpty = isEmpty
            lineStart = next
        }
        if let start { ranges.append(start..<max(start, lastContentEnd)) }
        return ranges
    }

    private static func isFromLine(_ bytes: UnsafeRawBufferPointer, _ start: Int, _ end: Int) -> Bool {
        let from: [UInt8] = Array("From ".utf8)
        guard end - start >= from.count else { return false }
        for (offset, byte) in from.enumerated() where bytes[start + offset] != byte { return false }
        return true
    }

    /// The message with one `>` removed from each `>From `, `>>From `, … line.
    public static func unquote(_ message: UnsafeRawBufferPointer) -> Data {
        var output = Data(capacity: message.count)
        var lineStart = 0
        let count = message.count
        while lineStart < count {
            var lineEnd = lineStart
            while lineEnd < count && message[lineEnd] != 0x0A { lineEnd += 1 }
            let next = min(lineEnd + 1, count)
            var cursor = lineStart
            while cursor < next && message[cursor] == UInt8(ascii: ">") { cursor += 1 }
            let quoted = cursor > lineStart && isFromLine(message, cursor, next)
            let copyFrom = quoted ? lineStart + 1 : lineStart
            output.append(contentsOf: UnsafeRawBufferPointer(rebasing: message[copyFrom..<next]))
            lineStart = next
        }
        return output
    }

    /// The messages of an mbox held in memory, unquoted.
    public static func messages(_ data: Data) -> [Data] {
        data.withUnsafeBytes { raw in
            messageRanges(raw).map { unquote(UnsafeRawBufferPointer(rebasing: raw[$0])) }
        }
    }
}
