import CCurl
import Foundation
import STSCore

/// Probes one MX host at one address for STARTTLS with libcurl.
///
/// libcurl's SMTP connect-only mode runs greeting, EHLO, STARTTLS, the TLS
/// handshake and the second EHLO in one call, but its error codes blur cases a
/// postmaster must tell apart (a 554 greeting and a garbage greeting are both
/// "weird server reply"; a rejected STARTTLS and a missing one are both
/// "use SSL failed"). So the prober also reads curl's debug stream, which
/// carries every command sent and every reply line received, and decides from
/// that transcript.
public struct SMTPProber: Sendable {
    public struct Configuration: Sendable {
        public var port: Int = 25
        /// Time to establish the TCP connection.
        public var connectTimeout: Duration = .seconds(10)
        /// Time for each server reply, the greeting included. libcurl 7.88 counts it in whole
        /// seconds (CURLOPT_SERVER_RESPONSE_TIMEOUT), so it is rounded up to the next second.
        public var replyTimeout: Duration = .seconds(30)
        /// Time for the whole probe up to the end of the handshake and second EHLO.
        public var totalTimeout: Duration = .seconds(60)
        /// Time allowed for QUIT and its reply once the probe has its answer.
        public var quitTimeout: Duration = .seconds(2)
        /// The name sent in EHLO.
        public var ehloName: String = "stswatch.invalid"
        /// PEM file of trust anchors for the chain verdict instead of the system store.
        public var caFile: String?

        public init(port: Int = 25, connectTimeout: Duration = .seconds(10), replyTimeout: Duration = .seconds(30),
                    totalTimeout: Duration = .seconds(60), ehloName: String = "stswatch.invalid", caFile: String? = nil) {
            self.port = port
            self.connectTimeout = connectTimeout
            self.replyTimeout = replyTimeout
            self.totalTimeout = totalTimeout
            self.ehloName = ehloName
            self.caFile = caFile
        }
    }

    public var configuration: Configuration
    private let workers: BlockingWorkers

    public init(configuration: Configuration = .init(), workers: BlockingWorkers = .shared) {
        self.configuration = configuration
        self.workers = workers
    }

    /// Probes `host` (the MX name, used for SNI) at `address` (a literal IPv4 or IPv6 address).
    public func probe(host: String, address: String) async -> SMTPProbe {
        let configuration = configuration
        return await workers.run { cancellation in
            Self.probeBlocking(host: host, address: address, configuration: configuration, cancellation: cancellation)
        }
    }

    /// The blocking probe; runs on a worker thread.
    static func probeBlocking(host rawHost: String, address: String, configuration: Configuration,
                              cancellation: TransferCancellation = TransferCancellation()) -> SMTPProbe {
        let port = configuration.port
        func result(_ outcome: SMTPProbeOutcome, _ transcript: SMTPTranscript? = nil) -> SMTPProbe {
            SMTPProbe(host: rawHost, address: address, port: port,
                      greeting: transcript?.lines(.greeting) ?? [], ehlo: transcript?.lines(.ehlo) ?? [],
                      outcome: outcome)
        }
        guard let host = NetworkName.hostName(rawHost) else {
            return result(.connectFailed("'\(rawHost)' is not a valid host name"))
        }
        guard let literal = NetworkName.literalAddress(address) else {
            return result(.connectFailed("\(host): '\(address)' is not an IP address"))
        }
        guard let ehloName = NetworkName.hostName(configuration.ehloName) else {
            return result(.connectFailed("EHLO name '\(configuration.ehloName)' is not a valid host name"))
        }
        let place = "\(host) at \(address) port \(port)"

        let transcript = SMTPTranscript()
        // The verdict comes from our own store: curl runs with VERIFYPEER 0 so a bad chain does not
        // end the session (the probe must still see the second EHLO and say QUIT), and the host
        // name is matched by the core.
        let recorder = TLSRecorder(ownTrust: true, caFile: configuration.caFile)
        recorder.useSharedTrust(caFile: configuration.caFile)
        let handle: EasyHandle
        do {
            handle = try EasyHandle()
            try handle.set(CURLOPT_URL, "smtp://\(host):\(port)/\(ehloName)", "URL")
            try handle.set(CURLOPT_PROTOCOLS_STR, "smtp", "PROTOCOLS_STR")
            try handle.set(CURLOPT_RESOLVE, list: ["\(host):\(port):\(literal)"], "RESOLVE")
            try handle.set(CURLOPT_USE_SSL, Int(CURLUSESSL_ALL.rawValue), "USE_SSL")
            try handle.set(CURLOPT_CONNECT_ONLY, 1, "CONNECT_ONLY")
            try handle.set(CURLOPT_SSL_VERIFYPEER, 0, "SSL_VERIFYPEER")
            try handle.set(CURLOPT_SSL_VERIFYHOST, 0, "SSL_VERIFYHOST")
            try recorder.install(on: handle)
            try handle.set(CURLOPT_CONNECTTIMEOUT_MS, milliseconds: configuration.connectTimeout, "CONNECTTIMEOUT_MS")
            try handle.set(CURLOPT_TIMEOUT_MS, milliseconds: configuration.totalTimeout, "TIMEOUT_MS")
            let replySeconds = max(1, (configuration.replyTimeout.milliseconds + 999) / 1000)
            try handle.set(CURLOPT_SERVER_RESPONSE_TIMEOUT, replySeconds, "SERVER_RESPONSE_TIMEOUT")
            try handle.set(CURLOPT_VERBOSE, 1, "VERBOSE")
            try handle.check(stsc_setopt_debug(handle.raw, smtpDebug), "DEBUGFUNCTION")
            try handle.set(CURLOPT_DEBUGDATA, context: transcript, "DEBUGDATA")
            try handle.abort(when: cancellation)
        } catch {
            return result(.connectFailed("\(place): \(error)"))
        }

        let started = ContinuousClock.now
        let code = curl_easy_perform(handle.raw)
        let connected = handle.long(CURLINFO_LOCAL_PORT) != 0 || transcript.receivedAnything
        let message = handle.message(for: code)

        if code == CURLE_OK {
            sendQuit(handle, within: min(configuration.quitTimeout,
                                         configuration.totalTimeout - (ContinuousClock.now - started)))
        }
        return result(outcome(code: code, connected: connected, message: message, host: host, place: place,
                              transcript: transcript, recorder: recorder), transcript)
    }

    /// Decides the outcome from curl's result and the transcript of the dialogue.
    private static func outcome(code: CURLcode, connected: Bool, message: String, host: String, place: String,
                                transcript: SMTPTranscript, recorder: TLSRecorder) -> SMTPProbeOutcome {
        if code == CURLE_OK || (transcript.sent(.ehloAfterTLS) && recorder.sawCertificates) {
            // The handshake completed (a failure after it, in the second EHLO, does not undo that).
            guard let session = recorder.session(host: host) else { return .tlsFailed("\(place): no certificate received") }
            return .tls(session)
        }
        if recorder.trustLoadFailed {
            return .tlsFailed("\(place): could not load trust anchors (\(message))")
        }
        for stage in [SMTPTranscript.Stage.greeting, .ehlo] {
            if let reply = transcript.finalCode(stage), reply >= 400 {
                return .refused(stage: stage.rawValue, reply: transcript.lines(stage).joined(separator: "\n"))
            }
        }
        if transcript.sent(.starttls), let reply = transcript.finalCode(.starttls), reply != 220 {
            return .tlsFailed("\(place): STARTTLS rejected: \(transcript.lines(.starttls).joined(separator: " / "))")
        }
        if code == CURLE_ABORTED_BY_CALLBACK {
            guard connected else { return .connectFailed("\(place): abandoned at the check's deadline") }
            return .timeout(stage: transcript.pendingStage)
        }
        if code == CURLE_OPERATION_TIMEDOUT {
            guard connected else { return .connectFailed("\(place): \(message)") }
            return .timeout(stage: transcript.pendingStage)
        }
        if code == CURLE_USE_SSL_FAILED && !transcript.sent(.starttls) {
            return .starttlsNotOffered
        }
        if transcript.finalCode(.starttls) == 220 {
            return .tlsFailed("\(place): TLS handshake failed: \(message)")
        }
        guard connected else { return .connectFailed("\(place): \(message)") }
        return .connectFailed("\(place): SMTP dialogue failed during \(transcript.pendingStage): \(message)")
    }

    /// Says QUIT and waits briefly for the 221, so the server logs a clean end; the reply changes nothing.
    private static func sendQuit(_ handle: EasyHandle, within budget: Duration) {
        guard budget > .zero else { return }
        var socket: curl_socket_t = -1
        guard stsc_getinfo_socket(handle.raw, &socket) == CURLE_OK, socket >= 0 else { return }
        let deadline = ContinuousClock.now + budget
        func wait(for events: Int16) -> Bool {
            let left = deadline - ContinuousClock.now
            guard left > .zero else { return false }
            var descriptor = pollfd(fd: socket, events: events, revents: 0)
            return poll(&descriptor, 1, Int32(max(1, left.milliseconds))) > 0
        }
        let command = Array("QUIT\r\n".utf8)
        var offset = 0
        while offset < command.count {
            var sent = 0
            let code = command[offset...].withUnsafeBytes { curl_easy_send(handle.raw, $0.baseAddress, $0.count, &sent) }
            if code == CURLE_AGAIN { guard wait(for: Int16(POLLOUT)) else { return }; continue }
            guard code == CURLE_OK else { return }
            offset += sent
        }
        var reply: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 512)
        while reply.count < 4096 {
            var received = 0
            let code = buffer.withUnsafeMutableBytes { curl_easy_recv(handle.raw, $0.baseAddress, $0.count, &received) }
            if code == CURLE_AGAIN { guard wait(for: Int16(POLLIN)) else { return }; continue }
            guard code == CURLE_OK, received > 0 else { return }
            reply += buffer[..<received]
            if reply.last == 0x0A { return }
        }
    }
}

/// The SMTP dialogue as curl's debug stream showed it: commands sent and reply lines received.
///
/// Only the transfer's thread touches it, from inside curl_easy_perform.
final class SMTPTranscript {
    enum Stage: String {
        case greeting
        case ehlo
        case helo
        case starttls
        case ehloAfterTLS = "ehlo-after-tls"
    }

    /// Hostile peers: keep at most this many lines per reply, each at most this many bytes.
    static let maxLines = 100
    static let maxLineBytes = 512

    private(set) var current: Stage = .greeting
    private var replies: [Stage: [String]] = [:]
    private var finished: [Stage: Int] = [:]
    private var commands: Set<Stage> = []
    private(set) var receivedAnything = false

    func lines(_ stage: Stage) -> [String] { replies[stage] ?? [] }
    func finalCode(_ stage: Stage) -> Int? { finished[stage] }
    func sent(_ stage: Stage) -> Bool { commands.contains(stage) }

    /// The step a timeout interrupted.
    var pendingStage: String {
        if current == .starttls, finished[.starttls] == 220 { return "tls-handshake" }
        return current.rawValue
    }

    func commandSent(_ bytes: UnsafeBufferPointer<UInt8>) {
        let verb = String(decoding: bytes.prefix(while: { $0 != 0x20 && $0 != 0x0D && $0 != 0x0A }).prefix(16),
                          as: UTF8.self).uppercased()
        let stage: Stage
        switch verb {
        case "EHLO": stage = commands.contains(.starttls) ? .ehloAfterTLS : .ehlo
        case "HELO": stage = .helo
        case "STARTTLS": stage = .starttls
        default: return
        }
        commands.insert(stage)
        current = stage
    }

    func lineReceived(_ bytes: UnsafeBufferPointer<UInt8>) {
        receivedAnything = true
        var line = Array(bytes.prefix(Self.maxLineBytes))
        while let last = line.last, last == 0x0A || last == 0x0D { line.removeLast() }
        var stageLines = replies[current] ?? []
        if stageLines.count < Self.maxLines {
            stageLines.append(String(decoding: line, as: UTF8.self))
            replies[current] = stageLines
        }
        // RFC 5321 §4.2.1: "xyz-" continues a reply, "xyz " or a bare "xyz" ends it.
        if line.count >= 3, line[0...2].allSatisfy({ (0x30...0x39).contains($0) }),
           line.count == 3 || line[3] == 0x20 {
            finished[current] = Int(String(decoding: line[0...2], as: UTF8.self))
        }
    }
}

/// CURLOPT_DEBUGFUNCTION: feeds commands and reply lines into the transcript.
private let smtpDebug: curl_debug_callback = { _, type, data, size, context in
    guard let data, let context else { return 0 }
    let transcript = Unmanaged<SMTPTranscript>.fromOpaque(context).takeUnretainedValue()
    let bytes = UnsafeBufferPointer(start: UnsafeRawPointer(data).assumingMemoryBound(to: UInt8.self), count: size)
    switch type {
    case CURLINFO_HEADER_IN: transcript.lineReceived(bytes)
    case CURLINFO_HEADER_OUT: transcript.commandSent(bytes)
    default: break
    }
    return 0
}
