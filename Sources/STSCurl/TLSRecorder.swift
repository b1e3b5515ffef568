import CCurl
import Crypto
import Foundation
import Synchronization
import STSCore
import X509

/// Owns the C record that OpenSSL's certificate callback fills in during one transfer.
///
/// The record is heap-allocated so its address stays fixed while curl holds it
/// (CURLOPT_SSL_CTX_DATA); it is used by one thread at a time, the one running the transfer.
final class TLSRecorder {
    let record: UnsafeMutablePointer<stsc_tls_record>
    private let trustFile: UnsafeMutablePointer<CChar>?

    /// - Parameter ownTrust: verify against a fresh store (from `caFile`, or OpenSSL's default
    ///   paths) rather than curl's, for transfers that run curl with VERIFYPEER 0.
    init(ownTrust: Bool, caFile: String?) {
        record = .allocate(capacity: 1)
        record.initialize(to: stsc_tls_record())
        trustFile = caFile.map { strdup($0) }
        record.pointee.own_trust = ownTrust ? 1 : 0
        record.pointee.trust_file = UnsafePointer(trustFile)
    }

    /// Verifies against the process's shared store for `caFile` (the system's when nil), loaded
    /// once; false when it cannot be loaded (then ``trustLoadFailed`` is set too).
    @discardableResult
    func useSharedTrust(caFile: String?) -> Bool {
        guard let store = SharedTrustStores.store(caFile: caFile) else {
            record.pointee.trust_load_failed = 1
            return false
        }
        sharedStore = store
        record.pointee.shared_store = store
        return true
    }

    /// The shared store this record holds a reference to.
    private var sharedStore: OpaquePointer?

    deinit {
        if let sharedStore { X509_STORE_free(sharedStore) }
        stsc_tls_record_clear(record)
        record.deinitialize(count: 1)
        record.deallocate()
        free(trustFile)
    }

    func install(on handle: EasyHandle) throws(EasyHandle.SetupError) {
        handle.attach(self)
        try handle.check(stsc_install_tls_recorder(handle.raw, record), "SSL_CTX_FUNCTION")
    }

    /// True once the peer's certificate chain reached verification.
    var sawCertificates: Bool { record.pointee.verified != 0 }

    var trustLoadFailed: Bool { record.pointee.trust_load_failed != 0 }

    var verdict: ChainVerdict {
        let code = record.pointee.verify_code
        let text = X509_verify_cert_error_string(code).map { String(cString: $0) } ?? "unknown verify result"
        return ChainVerdict(trusted: code == X509_V_OK, code: Int(code), reason: text)
    }

    /// Names kept per certificate in what is stored: a 5,000-name certificate would otherwise be
    /// written into every check of every domain that uses the host.
    static let maxStoredNames = 256

    /// The session as far as it got, or nil when no certificate arrived; certificates keep at most
    /// ``maxStoredNames`` names, always those matching `host`.
    func session(host: String) -> TLSSessionInfo? {
        guard sawCertificates else { return nil }
        let r = record.pointee
        let version = withUnsafeBytes(of: r.version) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
        let cipher = withUnsafeBytes(of: r.cipher) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
        var chain: [CertificateInfo] = []
        withUnsafeBytes(of: r.chain_der) { derPointers in
            withUnsafeBytes(of: r.chain_len) { lengths in
                let pointers = derPointers.bindMemory(to: UnsafeMutablePointer<UInt8>?.self)
                let lens = lengths.bindMemory(to: Int32.self)
                for index in 0..<Int(r.chain_count) {
                    guard let base = pointers[index] else { continue }
                    let der = Array(UnsafeBufferPointer(start: base, count: Int(lens[index])))
                    chain.append(CertificateInfo(der: der).keepingNames(atMost: Self.maxStoredNames, for: host))
                }
            }
        }
        return TLSSessionInfo(version: version, cipher: cipher, chain: chain, verdict: verdict)
    }
}

extension CertificateInfo {
    /// Parses one DER certificate with swift-certificates.
    ///
    /// A certificate OpenSSL accepted but swift-certificates rejects is still
    /// reported (with its fingerprint and the parse error as subject), with both
    /// dates at the epoch so it can never pass for a valid one.
    public init(der: [UInt8]) {
        let fingerprint = hex(SHA256.hash(data: der))
        // Thousands of domains share a few MX and policy-host certificates: parse each once.
        if let known = ParsedCertificates.shared.get(fingerprint) {
            self = known
            return
        }
        defer { ParsedCertificates.shared.put(fingerprint, self) }
        do {
            let certificate = try Certificate(derEncoded: der)
            var names: [String] = []
            if let san = try? certificate.extensions.subjectAlternativeNames {
                for name in san {
                    if case .dnsName(let dnsName) = name { names.append(dnsName) }
                }
            }
            var commonName: String?
            for rdn in certificate.subject {
                for attribute in rdn where attribute.type == .RDNAttributeType.commonName {
                    commonName = String(describing: attribute.value)
                }
            }
            self.init(subject: String(describing: certificate.subject),
                      issuer: String(describing: certificate.issuer),
                      dnsNames: names, commonName: commonName,
                      notBefore: certificate.notValidBefore, notAfter: certificate.notValidAfter,
                      sha256: fingerprint)
        } catch {
            let epoch = Date(timeIntervalSince1970: 0)
            self.init(subject: "unparseable certificate: \(error)", issuer: "", dnsNames: [],
                      notBefore: epoch, notAfter: epoch, sha256: fingerprint)
        }
    }
}

/// Trust stores loaded once per file (or the system's default paths) and shared by every handshake.
///
/// curl 7.88 makes a new SSL context per connection and loads the CA file into it: with the
/// system bundle (~140 certificates) that was milliseconds per policy fetch, more than the
/// handshake. A store is reloaded after ``maxAge`` so an updated bundle is noticed by a
/// poller that runs for months. OpenSSL's stores are reference-counted and thread-safe.
enum SharedTrustStores {
    static let maxAge: Duration = .seconds(3600)
    /// Stores by file ("" for the default paths), as pointer bit patterns (the Mutex needs Sendable values).
    private static let stores = Mutex<[String: (store: UInt, loaded: ContinuousClock.Instant)]>([:])

    /// A new reference to the store for `caFile`; the caller frees it with X509_STORE_free.
    static func store(caFile: String?) -> OpaquePointer? {
        let key = caFile ?? ""
        return stores.withLock { table -> OpaquePointer? in
            if let entry = table[key], ContinuousClock.now - entry.loaded < maxAge,
               let store = OpaquePointer(bitPattern: entry.store) {
                X509_STORE_up_ref(store)
                return store
            }
            guard let loaded = caFile.map({ $0.withCString { stsc_load_store($0) } }) ?? stsc_load_store(nil) else { return nil }
            if let old = table[key].flatMap({ OpaquePointer(bitPattern: $0.store) }) { X509_STORE_free(old) }
            table[key] = (UInt(bitPattern: Int(bitPattern: UnsafeRawPointer(loaded))), ContinuousClock.now)
            X509_STORE_up_ref(loaded)
            return loaded
        }
    }
}

/// Lower-case hex of bytes, without a formatter call per byte.
func hex<Bytes: Sequence>(_ bytes: Bytes) -> String where Bytes.Element == UInt8 {
    let digits = Array("0123456789abcdef".utf8)
    var out: [UInt8] = []
    for b in bytes {
        out.append(digits[Int(b >> 4)])
        out.append(digits[Int(b & 0x0F)])
    }
    return String(decoding: out, as: UTF8.self)
}

/// Certificates already parsed, by SHA-256 of their DER: a fingerprint names the bytes, so a hit
/// is the same certificate. Bounded; emptied when full, which costs only re-parsing.
final class ParsedCertificates: Sendable {
    static let shared = ParsedCertificates()
    static let capacity = 4096
    private let byFingerprint = Mutex<[String: CertificateInfo]>([:])

    func get(_ fingerprint: String) -> CertificateInfo? { byFingerprint.withLock { $0[fingerprint] } }

    func put(_ fingerprint: String, _ info: CertificateInfo) {
        byFingerprint.withLock { cache in
            if cache.count >= Self.capacity { cache.removeAll(keepingCapacity: true) }
            cache[fingerprint] = info
        }
    }
}

/// OpenSSL verify results that ``ChainVerdict/code`` commonly carries, read from OpenSSL's headers
/// so callers and tests need not repeat C constants.
public enum OpenSSLVerifyCode {
    public static let ok = Int(X509_V_OK)
    public static let certificateExpired = Int(X509_V_ERR_CERT_HAS_EXPIRED)
    public static let certificateNotYetValid = Int(X509_V_ERR_CERT_NOT_YET_VALID)
    /// The leaf is self-signed and not a trust anchor.
    public static let selfSignedLeaf = Int(X509_V_ERR_DEPTH_ZERO_SELF_SIGNED_CERT)
    /// The chain ends in a self-signed certificate that is not a trust anchor.
    public static let selfSignedInChain = Int(X509_V_ERR_SELF_SIGNED_CERT_IN_CHAIN)
    /// The issuer of a certificate in the chain was neither sent nor trusted.
    public static let unknownIssuer = Int(X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT_LOCALLY)
}
