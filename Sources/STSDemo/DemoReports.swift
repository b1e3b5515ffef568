import Foundation
import STSCore

/// A domain the demo shows, as the lab describes it: what it is meant to fail at, and its MX hosts.
public struct DemoDomain: Sendable, Hashable {
    public var domain: String
    /// The finding codes the lab expects (`certificate-expired`, `starttls-downgrade`, …).
    public var expectedCodes: [String]
    /// MX host names with their loopback address, if any.
    public var mxHosts: [(host: String, address: String?)]

    public init(domain: String, expectedCodes: [String], mxHosts: [(host: String, address: String?)]) {
        self.domain = domain
        self.expectedCodes = expectedCodes
        self.mxHosts = mxHosts
    }

    public static func == (a: DemoDomain, b: DemoDomain) -> Bool {
        a.domain == b.domain && a.expectedCodes == b.expectedCodes
            && a.mxHosts.map(\.host) == b.mxHosts.map(\.host) && a.mxHosts.map(\.address) == b.mxHosts.map(\.address)
    }

    public func hash(into hasher: inout Hasher) {
        hasher.combine(domain)
        hasher.combine(expectedCodes)
        hasher.combine(mxHosts.map(\.host))
    }
}

/// Generates TLS-RPT aggregate reports (RFC 8460 §4) like those large senders mail daily.
///
/// For the dashboard's demo: a newcomer without real reports still sees report failures,
/// failure groups with the live cause beside them, and a report's raw JSON. Each failure's
/// result type is what a sender would report for the lab scenario's problem (an expired MX
/// certificate is `certificate-expired`, a stripped STARTTLS `starttls-not-supported`, a
/// policy that cannot be fetched `sts-policy-fetch-error`). Counts are pseudo-random but
/// fixed by the domain, day and reporter, so two runs generate the same bytes.
public enum DemoReports {
    /// A sending organisation: the name it signs reports with, its contact, and the addresses it sends from.
    public struct Reporter: Sendable, Hashable {
        public var name: String
        public var contact: String
        public var idPrefix: String
        public var sendingIPs: [String]
        /// Typical sessions per day towards a small domain.
        public var volume: Int
    }

    public static let reporters: [Reporter] = [
        Reporter(name: "Google Inc.", contact: "smtp-tls-reporting@google.com", idPrefix: "google",
                 sendingIPs: ["209.85.220.41", "209.85.220.69"], volume: 420),
        Reporter(name: "Microsoft Corporation", contact: "tlsrpt-noreply@microsoft.com", idPrefix: "microsoft",
                 sendingIPs: ["40.107.22.52", "52.100.167.219"], volume: 260),
        Reporter(name: "Yahoo Inc.", contact: "tlsrpt@yahooinc.com", idPrefix: "yahoo",
                 sendingIPs: ["98.137.65.102"], volume: 90),
    ]

    /// The RFC 8460 §4.3 result type a sender reports for a lab finding code, and whether it names an MX.
    public static func resultType(forFinding code: String) -> (type: String, perMX: Bool)? {
        switch code {
        case "certificate-expired": ("certificate-expired", true)
        case "certificate-host-mismatch": ("certificate-host-mismatch", true)
        case "certificate-not-trusted": ("certificate-not-trusted", true)
        case "starttls-not-supported", "starttls-downgrade": ("starttls-not-supported", true)
        case "tls-handshake-failed": ("validation-failure", true)
        case "sts-policy-fetch-error": ("sts-policy-fetch-error", false)
        case "sts-policy-invalid": ("sts-policy-invalid", false)
        case "sts-webpki-invalid": ("sts-webpki-invalid", false)
        default: nil
        }
    }

    /// Codes that mean no reporter sends reports (no usable TLS-RPT record, or no mail at all).
    static let silent: Set<String> = ["tlsrpt-txt-missing", "tlsrpt-txt-invalid", "mx-missing", "mx-null", "dns-error"]

    /// One report per reporter, domain and UTC day, for the `days` days before `now`'s day; raw JSON bytes.
    public static func generate(for domains: [DemoDomain], now: Date, days: Int = 5) -> [Data] {
        var out: [Data] = []
        let today = floor(now.timeIntervalSince1970 / 86_400) * 86_400
        for d in domains where Set(d.expectedCodes).isDisjoint(with: silent) {
            for dayIndex in 1...max(1, days) {
                let start = Date(timeIntervalSince1970: today - Double(dayIndex) * 86_400)
                for reporter in reporters {
                    var random = SplitMix(seed: fnv1a("\(d.domain)|\(dayIndex)|\(reporter.name)"))
                    out.append(report(for: d, reporter: reporter, dayStart: start, random: &random))
                }
            }
        }
        return out
    }

    static func report(for d: DemoDomain, reporter: Reporter, dayStart: Date, random: inout SplitMix) -> Data {
        let day = isoDay(dayStart)
        let failureTypes = d.expectedCodes.compactMap(resultType(forFinding:))
        let hasPolicy = !d.expectedCodes.contains("sts-txt-missing")
        let total = reporter.volume / 2 + Int(random.next() % UInt64(max(1, reporter.volume)))
        var failures: [[String: Any]] = []
        var failedTotal = 0
        // The problem the scenario has now, seen by this sender on every day of the window.
        for (type, perMX) in failureTypes {
            let hosts: [(host: String, address: String?)] = perMX ? Array(d.mxHosts.prefix(1)) : [(host: "", address: nil)]
            for h in hosts {
                let ip = reporter.sendingIPs[Int(random.next() % UInt64(reporter.sendingIPs.count))]
                let count = 3 + Int(random.next() % UInt64(max(4, total / 4)))
                failedTotal += count
                var detail: [String: Any] = ["result-type": type, "sending-mta-ip": ip, "failed-session-count": count]
                if perMX {
                    detail["receiving-mx-hostname"] = h.host
                    if let a = h.address { detail["receiving-ip"] = a }
                    detail["receiving-mx-helo"] = h.host
                }
                if type == "sts-policy-fetch-error" {
                    detail["additional-information"] = "https://mta-sts.\(d.domain)/.well-known/mta-sts.txt"
                }
                failures.append(detail)
            }
        }
        // A clean domain still meets the odd transient failure, long since gone: no live cause explains it.
        if failureTypes.isEmpty, let first = d.mxHosts.first, dayIndexIsOdd(dayStart), random.next() % 3 == 0 {
            let count = 1 + Int(random.next() % 4)
            failedTotal += count
            var detail: [String: Any] = ["result-type": "validation-failure", "sending-mta-ip": reporter.sendingIPs[0],
                                         "receiving-mx-hostname": first.host, "failed-session-count": count,
                                         "failure-reason-code": "TLS handshake timed out"]
            if let a = first.address { detail["receiving-ip"] = a }
            failures.append(detail)
        }
        var policy: [String: Any] = ["policy-domain": d.domain]
        if hasPolicy {
            policy["policy-type"] = "sts"
            policy["policy-string"] = ["version: STSv1", "mode: enforce"] + d.mxHosts.map { "mx: \($0.host)" } + ["max_age: 604800"]
            policy["mx-host"] = d.mxHosts.map(\.host)
        } else {
            policy["policy-type"] = "no-policy-found"
        }
        var entry: [String: Any] = [
            "policy": policy,
            "summary": ["total-successful-session-count": max(0, total - failedTotal), "total-failure-session-count": failedTotal],
        ]
        if !failures.isEmpty { entry["failure-details"] = failures }
        let report: [String: Any] = [
            "organization-name": reporter.name,
            "date-range": ["start-datetime": "\(day)T00:00:00Z", "end-datetime": "\(day)T23:59:59Z"],
            "contact-info": reporter.contact,
            "report-id": "\(reporter.idPrefix)-\(day)-\(d.domain)",
            "policies": [entry],
        ]
        // Force-try is safe: the dictionary holds only strings, integers, arrays and dictionaries.
        return try! JSONSerialization.data(withJSONObject: report, options: [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes])
    }

    static func dayIndexIsOdd(_ date: Date) -> Bool { Int(date.timeIntervalSince1970 / 86_400) % 2 == 1 }

    static func isoDay(_ date: Date) -> String {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(identifier: "UTC")!
        let c = calendar.dateComponents([.year, .month, .day], from: date)
        return String(format: "%04d-%02d-%02d", c.year!, c.month!, c.day!)
    }

    static func fnv1a(_ text: String) -> UInt64 {
        var h: UInt64 = 0xcbf2_9ce4_8422_2325
        for b in text.utf8 { h = (h ^ UInt64(b)) &* 0x100_0000_01b3 }
        return h
    }
}

/// A small deterministic generator (SplitMix64): the same seed gives the same reports on every machine.
struct SplitMix {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
