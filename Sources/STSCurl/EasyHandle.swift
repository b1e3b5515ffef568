import CCurl
import Foundation

/// One libcurl easy handle with typed option setters; used by one thread at a time.
final class EasyHandle {
    /// An option curl refused: a programming error or an out-of-memory condition, never the network.
    struct SetupError: Error, CustomStringConvertible {
        var option: String
        var message: String
        var description: String { "curl refused option \(option): \(message)" }
    }

    let raw: UnsafeMutableRawPointer
    private let errorBuffer: UnsafeMutablePointer<CChar>
    private var lists: [UnsafeMutablePointer<curl_slist>] = []
    /// Objects curl holds raw pointers to (callback contexts, the TLS record): released only after
    /// curl_easy_cleanup, so no callback can see a freed context whatever order locals die in.
    private var attached: [AnyObject] = []

    init() throws(SetupError) {
        CurlGlobal.ensureInitialized()
        guard let handle = curl_easy_init() else {
            throw SetupError(option: "curl_easy_init", message: "no handle (out of memory?)")
        }
        raw = handle
        errorBuffer = .allocate(capacity: Int(CURL_ERROR_SIZE) + 1)
        errorBuffer.initialize(repeating: 0, count: Int(CURL_ERROR_SIZE) + 1)
        try check(stsc_setopt_pointer(raw, CURLOPT_ERRORBUFFER, errorBuffer), "ERRORBUFFER")
        // Threads and timeouts: never let curl use signals.
        try set(CURLOPT_NOSIGNAL, 1, "NOSIGNAL")
        // Never let an environment proxy variable reroute a probe.
        try set(CURLOPT_PROXY, "", "PROXY")
    }

    deinit {
        curl_easy_cleanup(raw)
        for list in lists { curl_slist_free_all(list) }
        errorBuffer.deallocate()
    }

    func check(_ code: CURLcode, _ option: String) throws(SetupError) {
        guard code == CURLE_OK else {
            throw SetupError(option: option, message: String(cString: curl_easy_strerror(code)))
        }
    }

    func set(_ option: CURLoption, _ value: Int, _ name: String) throws(SetupError) {
        try check(stsc_setopt_long(raw, option, value), name)
    }

    func set(_ option: CURLoption, _ value: String, _ name: String) throws(SetupError) {
        // curl copies string options (CURLOPT_* strings are strdup'ed since 7.17).
        try check(value.withCString { stsc_setopt_string(raw, option, $0) }, name)
    }

    func set(_ option: CURLoption, milliseconds duration: Duration, _ name: String) throws(SetupError) {
        try set(option, max(1, duration.milliseconds), name)
    }

    func set(_ option: CURLoption, list: [String], _ name: String) throws(SetupError) {
        var head: UnsafeMutablePointer<curl_slist>?
        for item in list {
            guard let next = curl_slist_append(head, item) else {
                if let head { curl_slist_free_all(head) }
                throw SetupError(option: name, message: "curl_slist_append failed")
            }
            head = next
        }
        guard let head else { return }
        lists.append(head)
        try check(stsc_setopt_slist(raw, option, head), name)
    }

    func set(_ option: CURLoption, pointer: UnsafeMutableRawPointer?, _ name: String) throws(SetupError) {
        try check(stsc_setopt_pointer(raw, option, pointer), name)
    }

    /// Passes `context` to curl as a callback's user pointer and keeps it alive as long as the handle.
    func set(_ option: CURLoption, context: AnyObject, _ name: String) throws(SetupError) {
        attached.append(context)
        try set(option, pointer: Unmanaged.passUnretained(context).toOpaque(), name)
    }

    /// Keeps `object` alive until after curl_easy_cleanup.
    func attach(_ object: AnyObject) { attached.append(object) }

    func long(_ info: CURLINFO) -> Int {
        var value = 0
        _ = stsc_getinfo_long(raw, info, &value)
        return value
    }

    func string(_ info: CURLINFO) -> String? {
        var value: UnsafeMutablePointer<CChar>?
        guard stsc_getinfo_string(raw, info, &value) == CURLE_OK, let value else { return nil }
        return String(cString: value)
    }

    /// curl's message for the last failure, or its generic text for `code`.
    func message(for code: CURLcode) -> String {
        let detail = String(cString: errorBuffer)
        return detail.isEmpty ? String(cString: curl_easy_strerror(code)) : detail
    }
}

extension Duration {
    /// Whole milliseconds, rounded up, for curl's `_MS` options.
    var milliseconds: Int {
        let (seconds, attoseconds) = components
        return Int(seconds) * 1000 + Int((attoseconds + 999_999_999_999_999) / 1_000_000_000_000_000)
    }
}

/// Host names and literal addresses as curl option strings accept them.
enum NetworkName {
    /// Lower-cased, without a trailing dot, and only letters, digits, hyphens,
    /// underscores and dots: the name goes into option strings where ':' or ',' would be read as syntax.
    static func hostName(_ raw: String) -> String? {
        var name = raw.lowercased()
        if name.hasSuffix(".") { name.removeLast() }
        guard !name.isEmpty, name.utf8.count <= 253,
              name.utf8.allSatisfy({ $0 == 0x2E || $0 == 0x2D || $0 == 0x5F || (0x30...0x39).contains($0) || (0x61...0x7A).contains($0) }),
              !name.hasPrefix("."), !name.contains("..")
        else { return nil }
        return name
    }

    /// A literal IPv4 or IPv6 address, bracketed for IPv6 as curl's RESOLVE and CONNECT_TO want; nil otherwise.
    static func literalAddress(_ raw: String) -> String? {
        var v4 = in_addr()
        if inet_pton(AF_INET, raw, &v4) == 1 { return raw }
        var v6 = in6_addr()
        if inet_pton(AF_INET6, raw, &v6) == 1 { return "[\(raw)]" }
        return nil
    }
}
