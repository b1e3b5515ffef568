import CCurl
import Foundation
import STSCore

/// Fetches MTA-STS policies (RFC 8461 §3.3) with libcurl.
///
/// The policy host's name is never given to the system resolver: the caller
/// resolves `mta-sts.DOMAIN` through its own DNS adapter and passes the
/// addresses, which curl is told to use for that name (CURLOPT_RESOLVE), so SNI
/// and the certificate's name check still concern `mta-sts.DOMAIN`.
public struct PolicyFetcher: Sendable {
    public struct Configuration: Sendable {
        /// Time to establish the TCP connection (per address tried).
        public var connectTimeout: Duration = .seconds(10)
        /// Time for the whole fetch: connect, TLS, request and body.
        public var totalTimeout: Duration = .seconds(30)
        /// Largest body accepted; RFC 8461 §3.3 suggests senders bound it, 64 KiB is ample for a policy.
        public var maxBodySize: Int = 64 * 1024
        /// PEM file of trust anchors to use instead of the system store (tests, private CAs).
        public var caFile: String?
        /// TCP port actually connected to; the URL (and so the Host header) keeps 443.
        public var port: Int = 443
        public var userAgent: String = "stswatch"

        public init(connectTimeout: Duration = .seconds(10), totalTimeout: Duration = .seconds(30),
                    maxBodySize: Int = 64 * 1024, caFile: String? = nil, port: Int = 443) {
            self.connectTimeout = connectTimeout
            self.totalTimeout = totalTimeout
            self.maxBodySize = maxBodySize
            self.caFile = caFile
            self.port = port
        }
    }

    public var configuration: Configuration
    private let workers: BlockingWorkers

    public init(configuration: Configuration = .init(), workers: BlockingWorkers = .shared) {
        self.configuration = configuration
        self.workers = workers
    }

    /// The policy URL for a policy domain, e.g. `https://mta-sts.example.com/.well-known/mta-sts.txt`.
    public static func policyURL(domain: String) -> String {
        "https://mta-sts.\(domain)/.well-known/mta-sts.txt"
    }

    /// Fetches the policy of `domain`, connecting to `addresses` (literal IPv4/IPv6) of `mta-sts.domain` in turn.
    public func fetch(domain: String, addresses: [String]) async -> PolicyFetch {
        let configuration = configuration
        return await workers.run { cancellation in
            Self.fetchBlocking(domain: domain, addresses: addresses, configuration: configuration, cancellation: cancellation)
        }
    }

    /// The blocking fetch; runs on a worker thread.
    static func fetchBlocking(domain rawDomain: String, addresses: [String], configuration: Configuration,
                              cancellation: TransferCancellation = TransferCancellation()) -> PolicyFetch {
        guard let domain = NetworkName.hostName(rawDomain) else {
            return PolicyFetch(url: policyURL(domain: rawDomain),
                               failure: .other("'\(rawDomain)' is not a valid domain name"))
        }
        let host = "mta-sts.\(domain)"
        let url = policyURL(domain: domain)
        var literals: [String] = []
        for address in addresses {
            guard let literal = NetworkName.literalAddress(address) else {
                return PolicyFetch(url: url, failure: .other("\(host): '\(address)' is not an IP address"))
            }
            literals.append(literal)
        }
        guard !literals.isEmpty else {
            return PolicyFetch(url: url, failure: .resolve("\(host): no addresses to connect to"))
        }

        let transfer = PolicyTransfer(limit: configuration.maxBodySize)
        let recorder = TLSRecorder(ownTrust: false, caFile: nil)
        guard recorder.useSharedTrust(caFile: configuration.caFile) else {
            return PolicyFetch(url: url, failure: .tls("\(host): cannot load the trust anchors (\(configuration.caFile ?? "the system's CA store"))"))
        }
        let handle: EasyHandle
        do {
            handle = try EasyHandle()
            try handle.set(CURLOPT_URL, url, "URL")
            try handle.set(CURLOPT_PROTOCOLS_STR, "https", "PROTOCOLS_STR")
            try handle.set(CURLOPT_REDIR_PROTOCOLS_STR, "https", "REDIR_PROTOCOLS_STR")
            try handle.set(CURLOPT_FOLLOWLOCATION, 0, "FOLLOWLOCATION")
            try handle.set(CURLOPT_RESOLVE, list: ["\(host):\(configuration.port):\(literals.joined(separator: ","))"], "RESOLVE")
            if configuration.port != 443 {
                try handle.set(CURLOPT_CONNECT_TO, list: ["\(host):443:\(host):\(configuration.port)"], "CONNECT_TO")
            }
            try handle.set(CURLOPT_SSL_VERIFYPEER, 1, "SSL_VERIFYPEER")
            try handle.set(CURLOPT_SSL_VERIFYHOST, 2, "SSL_VERIFYHOST")
            // The shared store replaces curl's: curl loads nothing per connection.
            try handle.set(CURLOPT_CAINFO, pointer: nil, "CAINFO")
            try handle.set(CURLOPT_CAPATH, pointer: nil, "CAPATH")
            try recorder.install(on: handle)
            try handle.set(CURLOPT_CONNECTTIMEOUT_MS, milliseconds: configuration.connectTimeout, "CONNECTTIMEOUT_MS")
            try handle.set(CURLOPT_TIMEOUT_MS, milliseconds: configuration.totalTimeout, "TIMEOUT_MS")
            // MAXFILESIZE acts on Content-Length; the write callback bounds the rest.
            try handle.set(CURLOPT_MAXFILESIZE, configuration.maxBodySize, "MAXFILESIZE")
            try handle.set(CURLOPT_USERAGENT, configuration.userAgent, "USERAGENT")
            try handle.set(CURLOPT_WRITEDATA, context: transfer, "WRITEDATA")
            try handle.check(stsc_setopt_write(handle.raw, CURLOPT_WRITEFUNCTION, policyWrite), "WRITEFUNCTION")
            try handle.abort(when: cancellation)
        } catch {
            return PolicyFetch(url: url, failure: .other("\(host): \(error)"))
        }

        let code = curl_easy_perform(handle.raw)
        if code == CURLE_ABORTED_BY_CALLBACK {
            return PolicyFetch(url: url, failure: .timeout("\(host): abandoned at the check's deadline"), tls: recorder.session(host: host))
        }
        let status = handle.long(CURLINFO_RESPONSE_CODE)
        let contentType = handle.string(CURLINFO_CONTENT_TYPE)
        var fetch = PolicyFetch(url: url, httpStatus: status == 0 ? nil : status, contentType: contentType,
                                tls: recorder.session(host: host))

        if let failure = failure(code: code, status: status, handle: handle, recorder: recorder,
                                 transfer: transfer, host: host, configuration: configuration) {
            fetch.failure = failure
            return fetch
        }
        guard isPlainText(contentType) else {
            fetch.failure = .mediaType(contentType)
            return fetch
        }
        guard let body = String(validating: transfer.body, as: UTF8.self) else {
            fetch.failure = .other("\(host): policy body is not valid UTF-8")
            return fetch
        }
        fetch.body = body
        return fetch
    }

    /// Why the transfer failed, in RFC 8461 terms, or nil when it produced a 200 body within bounds.
    private static func failure(code: CURLcode, status: Int, handle: EasyHandle, recorder: TLSRecorder,
                                transfer: PolicyTransfer, host: String, configuration: Configuration) -> PolicyFetchFailure? {
        // The certificate verdict first: nothing from an unverified host counts.
        if recorder.sawCertificates && !recorder.verdict.trusted {
            let verdict = recorder.verdict
            return .tls("\(host): certificate not trusted: \(verdict.reason) (X509 verify code \(verdict.code))")
        }
        if (300...399).contains(status) {
            return .redirect(status: status, location: handle.string(CURLINFO_REDIRECT_URL))
        }
        if status != 0 && status != 200 {
            return .httpStatus(status)
        }
        if transfer.exceededLimit || code == CURLE_FILESIZE_EXCEEDED {
            return .bodyTooLarge(limit: configuration.maxBodySize)
        }
        if code == CURLE_OK { return nil }
        let message = "\(host): \(handle.message(for: code))"
        switch code {
        case CURLE_COULDNT_RESOLVE_HOST:
            return .resolve(message)
        case CURLE_COULDNT_CONNECT:
            return .connect(message)
        case CURLE_OPERATION_TIMEDOUT:
            return .timeout(message)
        case CURLE_PEER_FAILED_VERIFICATION, CURLE_SSL_CONNECT_ERROR, CURLE_SSL_CERTPROBLEM, CURLE_SSL_CIPHER,
             CURLE_SSL_CACERT_BADFILE, CURLE_SSL_ISSUER_ERROR, CURLE_SSL_PINNEDPUBKEYNOTMATCH,
             CURLE_SSL_INVALIDCERTSTATUS, CURLE_SSL_SHUTDOWN_FAILED, CURLE_SSL_ENGINE_INITFAILED:
            return .tls(message)
        default:
            return .other(message)
        }
    }

    /// RFC 8461 §3.3: the media type must be text/plain; parameters such as charset are allowed.
    static func isPlainText(_ contentType: String?) -> Bool {
        guard let contentType else { return false }
        let type = contentType.split(separator: ";", maxSplits: 1, omittingEmptySubsequences: false).first ?? ""
        return type.trimmingCharacters(in: .whitespaces).lowercased() == "text/plain"
    }
}

/// Body collected by the write callback, bounded by `limit`.
///
/// Only the transfer's thread touches it, inside curl_easy_perform.
final class PolicyTransfer {
    let limit: Int
    var body: [UInt8] = []
    var exceededLimit = false
    init(limit: Int) { self.limit = limit }
}

/// CURLOPT_WRITEFUNCTION: appends to the body; returning less than given makes curl stop (CURLE_WRITE_ERROR).
private let policyWrite: curl_write_callback = { data, size, count, context in
    guard let data, let context else { return 0 }
    let transfer = Unmanaged<PolicyTransfer>.fromOpaque(context).takeUnretainedValue()
    let length = size * count
    if transfer.body.count + length > transfer.limit {
        transfer.exceededLimit = true
        return 0
    }
    data.withMemoryRebound(to: UInt8.self, capacity: length) {
        transfer.body.append(contentsOf: UnsafeBufferPointer(start: $0, count: length))
    }
    return length
}
