import Foundation
import GRDB
import STSCore

/// Everything `stswatch metrics` exposes, read in one transaction so the figures agree.
public struct MetricsSnapshot: Sendable, Hashable {
    public var takenAt: Date
    public var domains: [DomainMetrics]
    /// Failed sessions reported, per policy domain and result type, over every stored report.
    public var reportFailures: [ReportFailureCount]
}

/// One domain's figures.
public struct DomainMetrics: Sendable, Hashable {
    public var name: String
    /// Nil before the first check.
    public var status: DomainStatus?
    public var mxCertificates: [CertificateExpiry]
    public var policyCertificate: CertificateExpiry?
    /// Seconds since the last check that completed; nil if none has.
    public var secondsSinceLastSuccess: Double?
    public var consecutiveFailures: Int
}

/// When a certificate expires, relative to the snapshot.
public struct CertificateExpiry: Sendable, Hashable {
    /// The MX host or the policy host.
    public var host: String
    public var notAfter: Date
    /// Fractional days from the snapshot to `notAfter`; negative once expired.
    public var daysLeft: Double
}

public struct ReportFailureCount: Sendable, Hashable {
    public var domain: String
    /// RFC 8460 result type as sent; nil when the failure detail named none.
    public var resultType: String?
    public var sessions: Int
}

extension Store {
    /// The figures for a metrics scrape at `now`.
    public func metricsSnapshot(now: Date = Date()) throws -> MetricsSnapshot {
        try pool.read { db in
            let rows = try Row.fetchAll(db, sql: """
                SELECT d.name, d.last_success_at, d.consecutive_failures, s.assessment
                FROM domain d LEFT JOIN current_state s ON s.domain = d.name ORDER BY d.name
                """)
            let domains = try rows.map { row -> DomainMetrics in
                let name: String = row["name"]
                let assessment = try (row["assessment"] as String?).map {
                    try StoreJSON.decode(Assessment.self, $0, table: "current_state", key: name)
                }
                func expiry(_ host: String, _ cert: CertificateSummary?) -> CertificateExpiry? {
                    cert.map { CertificateExpiry(host: host, notAfter: $0.notAfter, daysLeft: $0.notAfter.timeIntervalSince(now) / 86_400) }
                }
                return DomainMetrics(
                    name: name, status: assessment?.status,
                    mxCertificates: assessment?.mx.compactMap { expiry($0.host, $0.cert) } ?? [],
                    policyCertificate: assessment.flatMap { expiry("mta-sts.\($0.domain)", $0.mtaSts.fetch?.cert) },
                    secondsSinceLastSuccess: (row["last_success_at"] as Double?).map { now.unix - $0 },
                    consecutiveFailures: row["consecutive_failures"])
            }
            let failures = try Row.fetchAll(db, sql: """
                SELECT p.policy_domain, f.result_type, sum(f.failed_session_count) AS sessions
                FROM report_failure f JOIN report_policy p ON p.id = f.policy
                WHERE p.policy_domain IS NOT NULL
                GROUP BY p.policy_domain, f.result_type ORDER BY p.policy_domain, f.result_type
                """).map { row in
                ReportFailureCount(domain: row["policy_domain"], resultType: row["result_type"], sessions: row["sessions"])
            }
            return MetricsSnapshot(takenAt: now, domains: domains, reportFailures: failures)
        }
    }
}
