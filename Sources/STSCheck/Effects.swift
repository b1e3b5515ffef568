import Foundation
import STSCore

/// Answers the DNS questions a sender asks, keeping absent apart from failed.
public protocol DNSResolving: Sendable {
    func txt(_ name: String) async -> DNSOutcome<TXTRecord>
    func mx(_ name: String) async -> DNSOutcome<MXRecord>
    func ipv4(_ name: String) async -> DNSOutcome<String>
    func ipv6(_ name: String) async -> DNSOutcome<String>
}

/// Fetches `https://mta-sts.DOMAIN/.well-known/mta-sts.txt` from already-resolved addresses.
public protocol PolicyFetching: Sendable {
    func fetch(domain: String, addresses: [String]) async -> PolicyFetch
}

/// Probes one MX host at one address for STARTTLS.
public protocol SMTPProbing: Sendable {
    func probe(host: String, address: String) async -> SMTPProbe
}

/// The effects a check needs, injected so tests can aim them at the lab.
public struct CheckEnvironment: Sendable {
    public var resolver: any DNSResolving
    public var fetcher: any PolicyFetching
    public var prober: any SMTPProbing
    /// Times observations, probe ages, budgets and deadlines; the core never reads a clock.
    public var clock: any CheckClock

    public init(resolver: any DNSResolving, fetcher: any PolicyFetching, prober: any SMTPProbing,
                clock: any CheckClock = SystemClock()) {
        self.resolver = resolver
        self.fetcher = fetcher
        self.prober = prober
        self.clock = clock
    }

    /// The clock as a closure, for code that only reads the time.
    public var now: @Sendable () -> Date {
        let clock = clock
        return { clock.now() }
    }
}
