import Foundation
@testable import STSPoller
import Testing

/// The schedule as pure arithmetic: a fixed `now`, fixed random draws.
struct ScheduleTests {
    let now = Date(timeIntervalSince1970: 1_790_000_000)
    let schedule = PollSchedule(interval: 900, jitter: 0.1, retryMin: 60, retryMax: nil)

    @Test(arguments: [
        // (random draw, expected seconds after now) for a good check at the 15-minute default
        (0.5, 900.0), (0.0, 810.0), (1.0, 990.0), (0.25, 855.0), (0.75, 945.0),
    ])
    func goodCheckWaitsTheIntervalWithJitter(random: Double, expected: Double) {
        let next = schedule.nextDue(after: now, domainInterval: nil, failed: false, previousFailures: 0, random: random)
        #expect(abs(next.timeIntervalSince(now) - expected) < 1e-6)
    }

    @Test(arguments: [
        // (failures before this one, gap in seconds): 1, 2, 4, 8 minutes, then capped at the interval
        (0, 60.0), (1, 120.0), (2, 240.0), (3, 480.0), (4, 900.0), (10, 900.0), (1_000, 900.0),
    ])
    func failuresBackOffExponentiallyUpToTheInterval(previousFailures: Int, gap: Double) {
        #expect(schedule.gap(domainInterval: nil, failed: true, previousFailures: previousFailures) == gap)
    }

    @Test func aGoodCheckAfterFailuresReturnsToTheInterval() {
        #expect(schedule.gap(domainInterval: nil, failed: false, previousFailures: 7) == 900)
    }

    @Test(arguments: [
        // (domain interval, failed, previous failures, gap)
        (3_600, false, 0, 3_600.0),   // per-domain interval wins over the default
        (3_600, true, 0, 60.0),
        (3_600, true, 3, 480.0),
        (3_600, true, 9, 900.0),      // capped by retry_max, shorter than the domain interval
        (120, true, 5, 120.0),        // never retried less often than the domain's own interval
        (30, true, 0, 60.0),          // retry_min is a floor even when the interval is shorter
    ])
    func perDomainIntervals(interval: Int, failed: Bool, failures: Int, gap: Double) {
        let s = PollSchedule(interval: 900, jitter: 0.1, retryMin: 60, retryMax: 900)
        #expect(s.gap(domainInterval: interval, failed: failed, previousFailures: failures) == gap)
    }

    @Test func retryMaxCapsTheBackOff() {
        let s = PollSchedule(interval: 3_600, jitter: 0, retryMin: 30, retryMax: 300)
        #expect((0..<12).map { s.gap(domainInterval: nil, failed: true, previousFailures: $0) }
                == [30, 60, 120, 240, 300, 300, 300, 300, 300, 300, 300, 300])
    }

    @Test func jitterStaysWithinItsBoundsForEveryDraw() {
        for i in 0...1_000 {
            let r = Double(i) / 1_000
            let gap = schedule.nextDue(after: now, domainInterval: nil, failed: false, previousFailures: 0, random: r).timeIntervalSince(now)
            #expect(gap >= 810 - 1e-9 && gap <= 990 + 1e-9)
        }
    }

    @Test func settingsAreClamped() {
        let s = PollSchedule(interval: 0, jitter: 3, retryMin: -5, retryMax: 0)
        #expect(s.interval == 1)
        #expect(s.jitter == 0.5)
        #expect(s.retryMin == 1)
        #expect(s.retryMax == 1)
    }

    @Test func firstChecksOfManyNewDomainsAreSpreadOverOneInterval() {
        let times = schedule.spreadFirstChecks(count: 10_000, burst: 256, now: now)
        #expect(times.count == 10_000)
        #expect(times.prefix(256).allSatisfy { $0 == now })
        let later = times.dropFirst(256).map { $0.timeIntervalSince(now) }
        #expect(later.allSatisfy { $0 > 0 && $0 < 900 })
        #expect(later == later.sorted())
        // Evenly: every minute of the interval gets about 1/15 of them.
        for minute in 0..<15 {
            let inMinute = later.filter { $0 >= Double(minute) * 60 && $0 < Double(minute + 1) * 60 }.count
            #expect(abs(inMinute - 9_744 / 15) <= 2, "minute \(minute): \(inMinute)")
        }
    }

    @Test(arguments: [(0, 256), (1, 256), (256, 256), (5, 0)])
    func smallBatchesAreAllDueNowUnlessTheBurstIsZero(count: Int, burst: Int) {
        let times = schedule.spreadFirstChecks(count: count, burst: burst, now: now)
        #expect(times.count == count)
        #expect(times.allSatisfy { burst == 0 ? $0 > now : $0 == now })
    }
}
