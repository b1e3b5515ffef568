import CZlib
import Foundation

/// Why a compressed TLS-RPT attachment could not be inflated.
public enum GzipError: Error, Sendable, Hashable, CustomStringConvertible {
    /// No bytes at all.
    case empty
    /// The data starts with neither a gzip nor a zlib header; `prefix` is its first bytes in hex.
    case notCompressed(prefix: String)
    /// The input ended before the compressed stream did; `output` bytes had been produced.
    case truncated(output: Int)
    /// zlib found the data malformed (bad header, bad block, CRC or length mismatch).
    case corrupt(String)
    /// A complete member was followed by bytes that do not start another gzip member.
    case trailingData(offset: Int, count: Int)
    /// The output exceeded `limit` bytes: inflating stopped there, so a gzip bomb costs no more memory than that.
    case tooLarge(limit: Int)
    /// zlib failed in some other way (out of memory, version mismatch).
    case zlib(code: Int32, message: String)

    public var description: String {
        switch self {
        case .empty: "gzip: input is empty"
        case .notCompressed(let prefix): "gzip: not gzip or zlib data (starts with \(prefix))"
        case .truncated(let output): "gzip: input ends before the compressed stream does (after \(output) bytes of output)"
        case .corrupt(let message): "gzip: corrupt data: \(message)"
        case .trailingData(let offset, let count): "gzip: \(count) unexpected bytes after the stream at offset \(offset)"
        case .tooLarge(let limit): "gzip: output exceeds the limit of \(limit) bytes"
        case .zlib(let code, let message): "gzip: zlib error \(code): \(message)"
        }
    }
}

/// Inflates gzip (RFC 1952) and zlib (RFC 1950) data with a hard output bound.
///
/// TLS-RPT reports arrive gzip-compressed from anyone on the internet (RFC 8460 §5.2),
/// so the output limit is checked after every small chunk: a bomb is stopped once it
/// passes the limit instead of after it has filled memory.
public enum Gzip {
    /// Bytes inflated per zlib call; also how far past `limit` the output buffer can grow.
    static let chunkSize = 64 * 1024

    /// True when `bytes` start with the gzip magic number and the deflate method (1f 8b 08).
    public static func isGzip(_ bytes: some Collection<UInt8>) -> Bool {
        bytes.starts(with: [0x1f, 0x8b, 0x08])
    }

    /// True when `bytes` start with a valid zlib header (deflate method, header checksum a multiple of 31).
    public static func isZlib(_ bytes: some Collection<UInt8>) -> Bool {
        var iterator = bytes.makeIterator()
        guard let cmf = iterator.next(), let flg = iterator.next() else { return false }
        return cmf & 0x0f == 8 && cmf >> 4 <= 7 && (UInt16(cmf) << 8 | UInt16(flg)) % 31 == 0
    }

    /// Inflates `data`, which may hold several concatenated gzip members, into at most `limit` bytes.
    public static func decompress(_ data: Data, limit: Int) throws(GzipError) -> Data {
        let result: Result<Data, GzipError> = data.withUnsafeBytes { raw in
            Result { () throws(GzipError) in try inflateAll(raw, limit: limit) }
        }
        return try result.get()
    }

    /// Inflates `bytes`, which may hold several concatenated gzip members, into at most `limit` bytes.
    public static func decompress(_ bytes: [UInt8], limit: Int) throws(GzipError) -> Data {
        let result: Result<Data, GzipError> = bytes.withUnsafeBytes { raw in
            Result { () throws(GzipError) in try inflateAll(raw, limit: limit) }
        }
        return try result.get()
    }

    private static func inflateAll(_ input: UnsafeRawBufferPointer, limit: Int) throws(GzipError) -> Data {
        guard let base = input.baseAddress, !input.isEmpty else { throw .empty }
        guard isGzip(input) || isZlib(input) else {
            throw .notCompressed(prefix: input.prefix(8).map { String(format: "%02x", $0) }.joined(separator: " "))
        }
        let limit = max(0, limit)
        let start = UnsafeMutablePointer<Bytef>(mutating: base.assumingMemoryBound(to: Bytef.self))

        // zlib keeps a pointer back to the z_stream and refuses calls made through another
        // address, so the stream lives in memory that never moves (a Swift `var` passed
        // with `&` is not guaranteed a stable address).
        let stream = UnsafeMutablePointer<z_stream>.allocate(capacity: 1)
        stream.initialize(to: z_stream())
        defer { stream.deallocate() }
        let initCode = czlib_inflateInit2(stream, czlib_windowBitsAutoDetect())
        guard initCode == Z_OK else { throw .zlib(code: initCode, message: message(stream, initCode)) }
        defer { inflateEnd(stream) }

        let outBuffer = UnsafeMutablePointer<Bytef>.allocate(capacity: chunkSize)
        defer { outBuffer.deallocate() }

        var output = Data()
        var fed = 0  // bytes of input handed to zlib so far
        stream.pointee.next_in = start
        stream.pointee.avail_in = 0
        while true {
            if stream.pointee.avail_in == 0 && fed < input.count {
                // avail_in is 32 bits wide: feed huge inputs in slices.
                let slice = min(input.count - fed, Int(UInt32.max))
                stream.pointee.next_in = start + fed
                stream.pointee.avail_in = UInt32(slice)
                fed += slice
            }
            // Never ask for more than one byte past the limit: that byte proves it was exceeded.
            let room = min(chunkSize, limit - output.count + 1)
            stream.pointee.next_out = outBuffer
            stream.pointee.avail_out = UInt32(room)
            let code = inflate(stream, Z_NO_FLUSH)
            let produced = room - Int(stream.pointee.avail_out)
            if produced > 0 { output.append(outBuffer, count: produced) }
            if output.count > limit { throw .tooLarge(limit: limit) }
            let consumed = start.distance(to: stream.pointee.next_in)

            switch code {
            case Z_OK:
                continue
            case Z_STREAM_END:
                let rest = input.count - consumed
                if rest == 0 { return output }
                // RFC 1952 §2.2: a gzip file may be several members back to back.
                guard isGzip(UnsafeRawBufferPointer(rebasing: input[consumed...])) else {
                    throw .trailingData(offset: consumed, count: rest)
                }
                let resetCode = inflateReset(stream)
                guard resetCode == Z_OK else { throw .zlib(code: resetCode, message: message(stream, resetCode)) }
            case Z_BUF_ERROR:
                // No progress was possible although there was room for output: the input ran out.
                if stream.pointee.avail_in == 0 && fed == input.count { throw .truncated(output: output.count) }
            case Z_DATA_ERROR:
                throw .corrupt(message(stream, code))
            case Z_NEED_DICT:
                throw .corrupt("the zlib stream needs a preset dictionary")
            default:
                throw .zlib(code: code, message: message(stream, code))
            }
        }
    }

    private static func message(_ stream: UnsafeMutablePointer<z_stream>, _ code: Int32) -> String {
        if let text = stream.pointee.msg { return String(cString: text) }
        if let text = zError(code) { return String(cString: text) }
        return "code \(code)"
    }
}
