import Foundation
import STSCore
import STSCurl
import STSDNS

extension Resolver: DNSResolving {}
extension PolicyFetcher: PolicyFetching {}
extension SMTPProber: SMTPProbing {}

/// Where and how the real probes run: resolver, trust store, timeouts.
public struct ProbeSettings: Sendable {
    /// `ADDRESS[:PORT]` of the DNS server to ask; nil uses the system's resolv.conf.
    public var resolver: String?
    /// PEM trust anchors instead of the system store (private CAs, the lab).
    public var caFile: String?
    public var dnsTimeout: Duration = .seconds(5)
    public var connectTimeout: Duration = .seconds(10)
    /// Bound on one HTTPS fetch or one SMTP reply.
    public var timeout: Duration = .seconds(30)
    public var smtpPort: Int = 25
    public var ehloName: String = "stswatch.invalid"

    public init(resolver: String? = nil, caFile: String? = nil) {
        self.resolver = resolver
        self.caFile = caFile
    }
}

extension CheckEnvironment {
    /// The real adapters: libunbound for DNS, libcurl for HTTPS and SMTP.
    public static func live(_ settings: ProbeSettings) throws -> CheckEnvironment {
        initializeLibcurl()
        let resolver = try Resolver(upstream: settings.resolver, timeout: settings.dnsTimeout)
        let fetcher = PolicyFetcher(configuration: .init(connectTimeout: settings.connectTimeout,
                                                         totalTimeout: settings.timeout, caFile: settings.caFile))
        let prober = SMTPProber(configuration: .init(port: settings.smtpPort, connectTimeout: settings.connectTimeout,
                                                     replyTimeout: settings.timeout, totalTimeout: settings.timeout * 2,
                                                     ehloName: settings.ehloName, caFile: settings.caFile))
        return CheckEnvironment(resolver: resolver, fetcher: fetcher, prober: prober)
    }
}
