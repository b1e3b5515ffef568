import Foundation

/// When each domain is next looked at: the interval, its jitter, and the back-off after failures.
///
/// Pure: every function takes the time and the random draw as parameters, so the tests hold
/// both still. Jitter keeps 10,000 domains added together from staying in lock-step forever;
/// back-off keeps a domain whose resolver is down from being hammered yet re-checks it soon.
public struct PollSchedule: Sendable, Hashable {
    /// The normal gap between two checks of a domain (per-domain intervals override it).
    public var interval: TimeInterval
    /// The fraction of the gap added or removed at random: 0.1 spreads a 15-minute interval over 13.5–16.5 minutes.
    public var jitter: Double
    /// The first retry after a failed check.
    public var retryMin: TimeInterval
    /// The longest retry gap; nil means the domain's own interval.
    public var retryMax: TimeInterval?

    public init(interval: TimeInterval = 900, jitter: Double = 0.1, retryMin: TimeInterval = 60, retryMax: TimeInterval? = nil) {
        self.interval = max(1, interval)
        self.jitter = min(max(0, jitter), 0.5)
        self.retryMin = max(1, retryMin)
        self.retryMax = retryMax.map { max(1, $0) }
    }

    /// The gap before the next check, before jitter.
    ///
    /// A good check waits the interval. A failed one waits `retryMin` doubled once per earlier
    /// failure in a row (1, 2, 4, 8 … minutes), capped at `retryMax` or the interval: a
    /// resolver outage is retried quickly at first and then no more often than normal.
    /// - Parameters:
    ///   - domainInterval: the domain's own interval in seconds, nil for the default.
    ///   - failed: whether this check failed (status unknown).
    ///   - previousFailures: failed checks in a row before this one.
    public func gap(domainInterval: Int?, failed: Bool, previousFailures: Int) -> TimeInterval {
        let interval = domainInterval.map { TimeInterval(max(1, $0)) } ?? self.interval
        guard failed else { return interval }
        let cap = min(retryMax ?? interval, interval)
        // 2^30 minutes is already centuries: stop doubling before the Double grows silly.
        let doublings = min(max(0, previousFailures), 30)
        return min(retryMin * pow(2, Double(doublings)), max(cap, retryMin))
    }

    /// When to check next, `gap` after `now`, moved by up to ±`jitter` of the gap.
    /// - Parameter random: a draw from 0..<1 (0.5 is no jitter).
    public func nextDue(after now: Date, domainInterval: Int?, failed: Bool, previousFailures: Int, random: Double) -> Date {
        let base = gap(domainInterval: domainInterval, failed: failed, previousFailures: previousFailures)
        let r = min(max(random, 0), 1)
        return now.addingTimeInterval(base * (1 + jitter * (2 * r - 1)))
    }

    /// Spreads first checks of `count` never-checked domains evenly over one interval from `now`,
    /// keeping the first `burst` of them due at once.
    ///
    /// Without it, 10,000 domains added in one go would be checked in one burst and, with
    /// only ±10% jitter, come back in a burst every interval. `poll --once` does not spread.
    public func spreadFirstChecks(count: Int, burst: Int, now: Date) -> [Date] {
        guard count > 0 else { return [] }
        let immediate = min(max(0, burst), count)
        let rest = count - immediate
        return (0..<count).map { i in
            if i < immediate { return now }
            return now.addingTimeInterval(interval * Double(i - immediate + 1) / Double(rest + 1))
        }
    }
}
