import CCurl
import Foundation
import STSCore
import Synchronization

/// Why an IMAP step failed; each case names the server and the step.
public enum IMAPError: Error, Sendable, Hashable, CustomStringConvertible {
    /// The configuration cannot be used (bad host or mailbox name).
    case configuration(String)
    /// Connecting, TLS or logging in failed (curl's message).
    case connect(String)
    case timeout(String)
    /// The server answered NO or BAD: the command and the server's text.
    case refused(command: String, text: String)
    /// The server's answer could not be read as IMAP, or broke a bound.
    case protocolViolation(String)
    /// The connection failed while a command was running.
    case connectionLost(String)

    public var description: String {
        switch self {
        case .configuration(let text): "IMAP: \(text)"
        case .connect(let text): "IMAP: cannot connect: \(text)"
        case .timeout(let text): "IMAP: timed out: \(text)"
        case .refused(let command, let text): "IMAP: server refused \(command): \(text)"
        case .protocolViolation(let text): "IMAP: unexpected answer: \(text)"
        case .connectionLost(let text): "IMAP: connection lost: \(text)"
        }
    }
}

/// A read-only IMAP session over TLS, through libcurl.
///
/// libcurl logs in (it does IMAPS, SASL and certificate checks well), then hands
/// over the connection (CONNECT_ONLY) and the commands are spoken here. That is
/// because curl's own fetch uses SELECT and `BODY[]`, which set `\Seen`, and its
/// custom-command path drops the literal that carries a message body. Only
/// `EXAMINE` (read-only) and `UID FETCH … BODY.PEEK[]` are sent, so nothing on the
/// server changes. Every step has a deadline and every answer a size bound.
public final class IMAPConnection: Sendable {
    public struct Configuration: Sendable {
        public var host: String
        public var port: Int
        public var user: String
        public var password: String
        /// PEM trust anchors instead of the system store (tests, private CAs). Certificates are always verified.
        public var caFile: String?
        public var connectTimeout: Duration
        /// Time for one command and its whole answer (a large message included).
        public var commandTimeout: Duration
        /// Largest answer accepted for one command; a message literal must fit in it.
        public var maxResponseBytes: Int

        public init(host: String, port: Int = 993, user: String, password: String, caFile: String? = nil,
                    connectTimeout: Duration = .seconds(15), commandTimeout: Duration = .seconds(120),
                    maxResponseBytes: Int = (32 << 20) + (64 << 10)) {
            self.host = host
            self.port = port
            self.user = user
            self.password = password
            self.caFile = caFile
            self.connectTimeout = connectTimeout
            self.commandTimeout = commandTimeout
            self.maxResponseBytes = maxResponseBytes
        }
    }

    /// What EXAMINE told of a mailbox.
    public struct MailboxStatus: Sendable, Hashable {
        public var uidValidity: UInt32
        public var exists: Int
        public var uidNext: UInt32?
    }

    /// A message's UID and its size as the server reports it (RFC822.SIZE).
    public struct MessageSize: Sendable, Hashable {
        public var uid: UInt32
        public var size: Int
    }

    private let session: Mutex<IMAPSession?>
    private let workers: BlockingWorkers
    private let server: String

    private init(session: sending IMAPSession, workers: BlockingWorkers, server: String) {
        self.session = Mutex(session)
        self.workers = workers
        self.server = server
    }

    /// Connects over TLS and logs in.
    public static func connect(_ configuration: Configuration, workers: BlockingWorkers = .shared) async throws(IMAPError) -> IMAPConnection {
        let result: Result<IMAPConnection, IMAPError> = await workers.run {
            do throws(IMAPError) {
                let session = try IMAPSession(configuration)
                return .success(IMAPConnection(session: session, workers: workers, server: session.server))
            } catch {
                return .failure(error)
            }
        }
        return try result.get()
    }

    /// Opens `mailbox` read-only.
    public func examine(_ mailbox: String) async throws(IMAPError) -> MailboxStatus {
        try await run { session throws(IMAPError) in try session.examine(mailbox) }
    }

    /// UIDs and sizes of the messages with UID `from` or above, in UID order.
    public func messageSizes(fromUID from: UInt32) async throws(IMAPError) -> [MessageSize] {
        try await run { session throws(IMAPError) in try session.messageSizes(from: max(1, from)) }
    }

    /// The raw message with `uid`, read without setting `\Seen`.
    public func fetchMessage(uid: UInt32) async throws(IMAPError) -> Data {
        try await run { session throws(IMAPError) in try session.fetch(uid: uid) }
    }

    /// Says goodbye and closes the connection; later calls fail.
    public func logout() async {
        let _: Result<Void, IMAPError> = await workers.run { [self] in
            let closing = session.withLock { value -> IMAPSession? in
                let current = value
                value = nil
                return current
            }
            closing?.logout()
            return .success(())
        }
    }

    private func run<T: Sendable>(_ body: @escaping @Sendable (IMAPSession) throws(IMAPError) -> T) async throws(IMAPError) -> T {
        let server = server
        let result: Result<T, IMAPError> = await workers.run { [self] in
            session.withLock { value -> Result<T, IMAPError> in
                guard let current = value else { return .failure(.connectionLost("\(server): session closed")) }
                do throws(IMAPError) {
                    return .success(try body(current))
                } catch {
                    // After a failure the connection's position in the stream is unknown: never reuse it.
                    if case .refused = error {} else { value = nil }
                    return .failure(error)
                }
            }
        }
        return try result.get()
    }
}

/// One logged-in connection; used by one thread at a time (under IMAPConnection's mutex).
final class IMAPSession {
    let server: String
    private let handle: EasyHandle
    private let socket: curl_socket_t
    private let configuration: IMAPConnection.Configuration
    private var buffer: [UInt8] = []
    private var position = 0
    private var nextTag = 1

    /// One response: its text lines (without CRLF) and the literals between them.
    struct Response {
        var text: [UInt8] = []
        var literals: [Data] = []
        var line: String { String(decoding: text, as: UTF8.self) }
    }

    init(_ configuration: IMAPConnection.Configuration) throws(IMAPError) {
        self.configuration = configuration
        let host: String
        if let literal = NetworkName.literalAddress(configuration.host) {
            host = literal
        } else if let name = NetworkName.hostName(configuration.host) {
            host = name
        } else {
            throw .configuration("'\(configuration.host)' is not a host name or address")
        }
        guard (1...65535).contains(configuration.port) else { throw .configuration("port \(configuration.port) is out of range") }
        server = "\(host):\(configuration.port)"
        do {
            handle = try EasyHandle()
            try handle.set(CURLOPT_URL, "imaps://\(host):\(configuration.port)/", "URL")
            // Only IMAP over TLS: a password never crosses the network in the clear.
            try handle.set(CURLOPT_PROTOCOLS_STR, "imaps", "PROTOCOLS_STR")
            try handle.set(CURLOPT_USERNAME, configuration.user, "USERNAME")
            try handle.set(CURLOPT_PASSWORD, configuration.password, "PASSWORD")
            try handle.set(CURLOPT_SSL_VERIFYPEER, 1, "SSL_VERIFYPEER")
            try handle.set(CURLOPT_SSL_VERIFYHOST, 2, "SSL_VERIFYHOST")
            if let caFile = configuration.caFile {
                try handle.set(CURLOPT_CAINFO, caFile, "CAINFO")
                try handle.set(CURLOPT_CAPATH, pointer: nil, "CAPATH")
            }
            try handle.set(CURLOPT_CONNECTTIMEOUT_MS, milliseconds: configuration.connectTimeout, "CONNECTTIMEOUT_MS")
            try handle.set(CURLOPT_TIMEOUT_MS, milliseconds: configuration.connectTimeout + configuration.commandTimeout, "TIMEOUT_MS")
            try handle.set(CURLOPT_CONNECT_ONLY, 1, "CONNECT_ONLY")
        } catch {
            throw .configuration(error.description)
        }
        let code = curl_easy_perform(handle.raw)
        guard code == CURLE_OK else {
            let message = "\(server): \(handle.message(for: code))"
            throw code == CURLE_OPERATION_TIMEDOUT ? .timeout(message) : .connect(message)
        }
        var active: curl_socket_t = -1
        guard stsc_getinfo_socket(handle.raw, &active) == CURLE_OK, active >= 0 else {
            throw .connect("\(server): no socket after login")
        }
        socket = active
    }

    // MARK: Commands

    func examine(_ mailbox: String) throws(IMAPError) -> IMAPConnection.MailboxStatus {
        let name = try quoted(mailbox)
        let (responses, _) = try command("EXAMINE \(name)", label: "EXAMINE \(name)")
        var validity: UInt32?
        var exists = 0
        var uidNext: UInt32?
        for response in responses {
            let line = response.line
            if let value = Self.bracketed(line, "UIDVALIDITY") { validity = value }
            if let value = Self.bracketed(line, "UIDNEXT") { uidNext = value }
            let words = line.split(separator: " ")
            if words.count >= 3, words[0] == "*", words[2].uppercased() == "EXISTS", let count = Int(words[1]) { exists = count }
        }
        guard let validity else { throw .protocolViolation("\(server): EXAMINE \(name) gave no UIDVALIDITY") }
        return IMAPConnection.MailboxStatus(uidValidity: validity, exists: exists, uidNext: uidNext)
    }

    func messageSizes(from: UInt32) throws(IMAPError) -> [IMAPConnection.MessageSize] {
        let (responses, _) = try command("UID FETCH \(from):* (UID RFC822.SIZE)", label: "UID FETCH \(from):*")
        var sizes: [UInt32: Int] = [:]
        for response in responses {
            guard let items = Self.fetchItems(response.line) else { continue }
            guard let uidText = items["UID"], let uid = UInt32(uidText), let sizeText = items["RFC822.SIZE"], let size = Int(sizeText) else { continue }
            // "n:*" also names the highest message when every UID is below n (RFC 9051 §6.4.9).
            if uid >= from { sizes[uid] = size }
        }
        return sizes.keys.sorted().map { IMAPConnection.MessageSize(uid: $0, size: sizes[$0]!) }
    }

    func fetch(uid: UInt32) throws(IMAPError) -> Data {
        let (responses, _) = try command("UID FETCH \(uid) BODY.PEEK[]", label: "UID FETCH \(uid)")
        for response in responses {
            guard let items = Self.fetchItems(response.line), items["UID"] == String(uid), let body = response.literals.first else { continue }
            return body
        }
        throw .protocolViolation("\(server): no message with UID \(uid) in the answer")
    }

    func logout() {
        _ = try? command("LOGOUT", label: "LOGOUT", timeout: .seconds(2))
    }

    // MARK: Protocol

    /// Sends one tagged command and reads every response up to its tagged completion.
    private func command(_ text: String, label: String, timeout: Duration? = nil) throws(IMAPError) -> ([Response], String) {
        let tag = "S\(nextTag)"
        nextTag += 1
        let deadline = ContinuousClock.now + (timeout ?? configuration.commandTimeout)
        try send(Array("\(tag) \(text)\r\n".utf8), deadline: deadline, label: label)
        var responses: [Response] = []
        var total = 0
        while true {
            let response = try readResponse(deadline: deadline, label: label, budget: configuration.maxResponseBytes - total)
            total += response.text.count + response.literals.reduce(0) { $0 + $1.count }
            let line = response.line
            if line.hasPrefix(tag + " ") {
                let status = line.dropFirst(tag.count + 1)
                if status.uppercased().hasPrefix("OK") { return (responses, String(status)) }
                throw .refused(command: label, text: String(String(status).sanitizedForTerminal.prefix(300)))
            }
            if line.hasPrefix("* BYE") {
                throw .connectionLost("\(server): server said \(String(line.sanitizedForTerminal.prefix(200)))")
            }
            responses.append(response)
        }
    }

    private func send(_ bytes: [UInt8], deadline: ContinuousClock.Instant, label: String) throws(IMAPError) {
        var offset = 0
        while offset < bytes.count {
            var sent = 0
            let code = bytes[offset...].withUnsafeBytes { curl_easy_send(handle.raw, $0.baseAddress, $0.count, &sent) }
            if code == CURLE_AGAIN {
                try wait(for: Int16(POLLOUT), deadline: deadline, label: label)
                continue
            }
            guard code == CURLE_OK else { throw .connectionLost("\(server): sending \(label): \(handle.message(for: code))") }
            offset += sent
        }
    }

    /// Reads one response: a line, and when it ends in a literal `{n}`, the n bytes and the rest of the response.
    private func readResponse(deadline: ContinuousClock.Instant, label: String, budget: Int) throws(IMAPError) -> Response {
        var response = Response()
        var used = 0
        while true {
            let line = try readLine(deadline: deadline, label: label)
            used += line.count
            guard used <= budget else { throw .protocolViolation("\(server): answer to \(label) exceeds \(configuration.maxResponseBytes) bytes") }
            response.text += line
            guard let size = Self.literalSize(line) else { return response }
            guard size <= budget - used else {
                throw .protocolViolation("\(server): answer to \(label) announces \(size) bytes, over the limit of \(configuration.maxResponseBytes)")
            }
            response.literals.append(try readBytes(size, deadline: deadline, label: label))
            used += size
        }
    }

    /// The n of a line ending in `{n}` or `{n+}`.
    static func literalSize(_ line: [UInt8]) -> Int? {
        guard line.last == UInt8(ascii: "}"), let open = line.lastIndex(of: UInt8(ascii: "{")) else { return nil }
        var digits = line[(open + 1)..<(line.count - 1)]
        if digits.last == UInt8(ascii: "+") { digits = digits.dropLast() }
        guard !digits.isEmpty, digits.count <= 12, digits.allSatisfy({ (0x30...0x39).contains($0) }) else { return nil }
        return Int(String(decoding: digits, as: UTF8.self))
    }

    private func readLine(deadline: ContinuousClock.Instant, label: String) throws(IMAPError) -> [UInt8] {
        var searched = 0  // bytes after `position` known to hold no newline (fill may move `position`)
        while true {
            if let newline = buffer[(position + searched)...].firstIndex(of: 0x0A) {
                var end = newline
                if end > position && buffer[end - 1] == 0x0D { end -= 1 }
                let line = Array(buffer[position..<end])
                position = newline + 1
                return line
            }
            searched = buffer.count - position
            guard searched <= 64 * 1024 else {
                throw .protocolViolation("\(server): a line of the answer to \(label) is longer than 64 KiB")
            }
            try fill(deadline: deadline, label: label)
        }
    }

    private func readBytes(_ count: Int, deadline: ContinuousClock.Instant, label: String) throws(IMAPError) -> Data {
        var data = Data(capacity: count)
        while data.count < count {
            if position == buffer.count { try fill(deadline: deadline, label: label) }
            let take = min(count - data.count, buffer.count - position)
            data.append(contentsOf: buffer[position..<(position + take)])
            position += take
        }
        return data
    }

    /// Receives more bytes into the buffer, waiting at most until `deadline`.
    private func fill(deadline: ContinuousClock.Instant, label: String) throws(IMAPError) {
        if position > 0 && position == buffer.count {
            buffer.removeAll(keepingCapacity: true)
            position = 0
        } else if position > 256 * 1024 {
            buffer.removeFirst(position)
            position = 0
        }
        var chunk = [UInt8](repeating: 0, count: 64 * 1024)
        while true {
            var received = 0
            let code = chunk.withUnsafeMutableBytes { curl_easy_recv(handle.raw, $0.baseAddress, $0.count, &received) }
            if code == CURLE_AGAIN {
                try wait(for: Int16(POLLIN), deadline: deadline, label: label)
                continue
            }
            guard code == CURLE_OK else { throw .connectionLost("\(server): reading the answer to \(label): \(handle.message(for: code))") }
            guard received > 0 else { throw .connectionLost("\(server): closed the connection during \(label)") }
            buffer += chunk[..<received]
            return
        }
    }

    private func wait(for events: Int16, deadline: ContinuousClock.Instant, label: String) throws(IMAPError) {
        let left = deadline - ContinuousClock.now
        guard left > .zero else { throw .timeout("\(server): \(label)") }
        var descriptor = pollfd(fd: socket, events: events, revents: 0)
        let ready = poll(&descriptor, 1, Int32(min(Int(Int32.max), max(1, left.milliseconds))))
        if ready == 0 { throw .timeout("\(server): \(label)") }
    }

    // MARK: Parsing

    /// A mailbox name as an IMAP quoted string; names outside printable ASCII (modified UTF-7) are refused.
    private func quoted(_ mailbox: String) throws(IMAPError) -> String {
        guard !mailbox.isEmpty, mailbox.utf8.count <= 1000, mailbox.utf8.allSatisfy({ (0x20...0x7E).contains($0) }) else {
            throw .configuration("mailbox name '\(mailbox.sanitizedForTerminal)' must be printable ASCII")
        }
        return "\"" + mailbox.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"") + "\""
    }

    /// The number in `[KEY n]` of a response line.
    static func bracketed(_ line: String, _ key: String) -> UInt32? {
        guard let range = line.range(of: "[\(key) ") else { return nil }
        let digits = line[range.upperBound...].prefix { $0.isASCII && $0.isNumber }
        return UInt32(digits)
    }

    /// `* n FETCH (NAME value NAME value …)` as NAME → value for atom values; nil for other lines.
    static func fetchItems(_ line: String) -> [String: String]? {
        let words = line.split(separator: " ", omittingEmptySubsequences: true)
        guard words.count >= 3, words[0] == "*", Int(words[1]) != nil, words[2].uppercased() == "FETCH" else { return nil }
        guard let open = line.firstIndex(of: "(") else { return nil }
        let tokens = line[line.index(after: open)...].split(whereSeparator: { $0 == " " || $0 == "(" || $0 == ")" })
        var items: [String: String] = [:]
        var index = 0
        while index + 1 < tokens.count {
            let name = tokens[index].uppercased()
            if name == "UID" || name == "RFC822.SIZE" {
                items[name] = String(tokens[index + 1])
                index += 2
            } else {
                index += 1
            }
        }
        return items
    }
}
