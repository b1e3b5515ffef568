import Foundation
import STSCore

/// Which address families the probes use (`--ip-version`, `[probe] ip_version`).
public enum IPVersionPreference: String, Sendable, CaseIterable {
    /// Both, except a family this monitor turns out not to reach.
    case auto
    case v4 = "4"
    case v6 = "6"
}

/// Where the probes may connect: the address families, and the non-global space opted into.
public struct DestinationRules: Sendable {
    public var ipVersion: IPVersionPreference
    /// Non-global ranges the probes may still connect to (the lab, the demo, internal deployments).
    public var allowed: [AddressRange]

    public init(ipVersion: IPVersionPreference = .auto, allowed: [AddressRange] = []) {
        self.ipVersion = ipVersion
        self.allowed = allowed
    }

    /// Why `address` must not be probed, or nil when it may.
    public func skip(_ address: String) -> ProbeSkip? {
        guard let ip = IPAddress(address) else { return nil }  // the prober explains a malformed address
        let target = ip.mappedIPv4 ?? ip
        switch (ipVersion, target.family) {
        case (.v4, .ipv6), (.v6, .ipv4): return .ipVersionDisabled
        default: break
        }
        if !target.isGlobal && !allowed.contains(where: { $0.contains(target) || $0.contains(ip) }) {
            return .addressNotGlobal
        }
        return nil
    }
}

/// How MX probes are shared across rounds when the coordinator outlives one run (the poller).
public struct ProbeSharing: Sendable {
    /// A probe younger than this is reused instead of connecting again (`[poll] mx_interval`).
    public var maxAge: TimeInterval
    /// New SMTP connections to one address per minute, at most (`[probe] connections_per_minute`).
    public var connectionsPerMinute: Int
    /// The first back-off after a 421/4xx; it doubles with each refusal in a row, up to `maxBackoff`.
    public var initialBackoff: TimeInterval = 300
    public var maxBackoff: TimeInterval = 6 * 3600
    /// How long an MX host's A/AAAA answers are shared (libunbound's own cache honours TTLs behind this).
    public var addressCacheSeconds: TimeInterval = 60
    /// While a family is unavailable, one probe over it is let through this often, to notice recovery.
    public var familyRetry: TimeInterval = 900

    public init(maxAge: TimeInterval, connectionsPerMinute: Int = 2) {
        self.maxAge = maxAge
        self.connectionsPerMinute = max(1, connectionsPerMinute)
    }
}

/// Shares MX work across domains, and keeps probing polite and honest about what this host can see.
///
/// Thousands of domains share a handful of MX hosts, and large providers rate-limit: each
/// (host, address) is probed once per run (one-shot `check`), or — with ``ProbeSharing``, for the
/// poller — once per MX interval across rounds, with concurrent requests for a stale probe
/// coalesced into one connection. At most one connection is open to an address at a time, and
/// at most `connectionsPerMinute` are started per minute. A `421`/`4xx` at the greeting or EHLO
/// backs the address off (exponentially) and keeps its last good probe, marked stale. An address
/// family that fails everywhere while the other works is treated as unavailable from this monitor.
public actor ProbeCoordinator {
    private let environment: CheckEnvironment
    private let rules: DestinationRules
    private let sharing: ProbeSharing?
    private let onProbe: (@Sendable (SharedProbe) -> Void)?
    private var addressLookups: [String: (at: Date, task: Task<(DNSOutcome<String>, DNSOutcome<String>), Never>)] = [:]
    private var entries: [ProbeKey: Entry] = [:]
    private var inflight: [ProbeKey: Inflight] = [:]
    private var nextGeneration = 0
    private var rateLimits: [String: RateLimitState] = [:]
    private var recentConnections: [String: [Date]] = [:]
    private var addressGates: [String: AsyncGate] = [:]
    private var families: [IPAddress.Family: FamilyHealth] = [:]
    /// How many connections actually went out, per address (for benchmarks and tests).
    public private(set) var connectionsPerAddress: [String: Int] = [:]

    struct ProbeKey: Hashable {
        var host: String
        var address: String
    }

    /// A probe under way and how many checks wait for it: when every one of them has given up
    /// (their domains' deadlines passed), the probe is cancelled and its transfer aborted.
    struct Inflight {
        var task: Task<SMTPProbe, Never>
        var waiters: Int
        var generation: Int
    }

    struct Entry {
        var latest: SMTPProbe?
        var lastGood: SMTPProbe?
        var refusals = 0
    }

    /// What this monitor has seen of one address family.
    struct FamilyHealth {
        var lastSuccess: Date?
        /// Addresses that failed to connect since the family's last success.
        var failing: Set<String> = []
        var unavailableSince: Date?
        var lastScout: Date?
    }

    /// - Parameters:
    ///   - sharing: nil for one run (`check`): each probe is made once and kept for the coordinator's life.
    ///   - stored: probes kept by an earlier process (the store), reused while fresh.
    ///   - onProbe: called with each new probe, for the store.
    public init(environment: CheckEnvironment, rules: DestinationRules = DestinationRules(), sharing: ProbeSharing? = nil,
                stored: [SharedProbe] = [], onProbe: (@Sendable (SharedProbe) -> Void)? = nil) {
        self.environment = environment
        self.rules = rules
        self.sharing = sharing
        self.onProbe = onProbe
        let now = environment.clock.now()
        for shared in stored {
            let key = ProbeKey(host: shared.probe.host, address: shared.probe.address)
            entries[key] = Entry(latest: shared.probe, lastGood: shared.lastGood, refusals: shared.refusals)
            if let limit = shared.probe.rateLimited, limit.retryAfter > now { rateLimits[shared.probe.address] = limit }
        }
    }

    /// Address families this monitor cannot use now, with the time that was decided.
    public var unavailableFamilies: [IPAddress.Family: Date] {
        families.compactMapValues(\.unavailableSince)
    }

    /// Addresses backing off after a polite refusal, until when.
    public var rateLimitedAddresses: [String: Date] {
        let now = environment.clock.now()
        return rateLimits.filter { $0.value.retryAfter > now }.mapValues(\.retryAfter)
    }

    /// A and AAAA of an MX host: looked up once per run, or shared for a minute across rounds.
    public func addresses(of host: String) async -> (ipv4: DNSOutcome<String>, ipv6: DNSOutcome<String>) {
        let now = environment.clock.now()
        if let cached = addressLookups[host],
           sharing.map({ now.timeIntervalSince(cached.at) < $0.addressCacheSeconds }) ?? true {
            return await cached.task.value
        }
        let resolver = environment.resolver
        let task = Task {
            async let v4 = resolver.ipv4(host)
            async let v6 = resolver.ipv6(host)
            return await (v4, v6)
        }
        addressLookups[host] = (now, task)
        return await task.value
    }

    /// The STARTTLS probe of `host` at `address`: reused while fresh, else made (once for all who ask).
    ///
    /// - Parameter fresh: a re-check asked by a person: connect again even if the stored probe is
    ///   young (still one connection at a time, within the budget, and never during a back-off).
    public func probe(host: String, address: String, fresh: Bool = false) async -> SMTPProbe {
        let key = ProbeKey(host: host, address: address)
        if inflight[key] != nil { return await join(key) }
        if let skip = rules.skip(address) {
            return SMTPProbe(host: host, address: address, outcome: .notProbed(skip))
        }
        let now = environment.clock.now()
        let entry = entries[key]
        if let latest = entry?.latest {
            guard let sharing else { return latest }
            if !fresh, let at = latest.probedAt, now.timeIntervalSince(at) < sharing.maxAge { return latest }
        }
        if sharing != nil, let limit = rateLimits[address], now < limit.retryAfter {
            return Self.staleView(lastGood: entry?.lastGood, limit: limit, host: host, address: address, at: now)
        }
        if let family = IPAddress(address)?.family, rules.ipVersion == .auto, var health = families[family],
           health.unavailableSince != nil {
            let retry = sharing?.familyRetry ?? .infinity
            guard let last = health.lastScout, now.timeIntervalSince(last) < retry else {
                health.lastScout = now  // let this one through to notice a recovery
                families[family] = health
                return await start(key)
            }
            return SMTPProbe(host: host, address: address, outcome: .notProbed(.familyUnavailable), probedAt: now)
        }
        return await start(key)
    }

    /// True when `address`'s family has been found unusable from this monitor.
    public func familyUnavailable(for address: String) -> Bool {
        guard rules.ipVersion == .auto, let family = IPAddress(address)?.family else { return false }
        return families[family]?.unavailableSince != nil
    }

    private func start(_ key: ProbeKey) async -> SMTPProbe {
        let gate = addressGates[key.address] ?? AsyncGate()
        addressGates[key.address] = gate
        let prober = environment.prober
        let task = Task {
            await gate.enter()
            let raw: SMTPProbe
            if await self.waitForBudget(key.address) {
                raw = await prober.probe(host: key.host, address: key.address)
            } else {
                raw = SMTPProbe(host: key.host, address: key.address, outcome: .timeout(stage: "waiting for a connection slot"))
            }
            await gate.leave()
            return self.finish(key, raw, abandoned: Task.isCancelled)
        }
        nextGeneration += 1
        inflight[key] = Inflight(task: task, waiters: 0, generation: nextGeneration)
        return await join(key)
    }

    /// Waits for the probe under way for `key`; a waiter cancelled (its deadline passed) stops
    /// waiting at once, and the last one to leave cancels the probe.
    private func join(_ key: ProbeKey) async -> SMTPProbe {
        guard var flight = inflight[key] else { return await probe(host: key.host, address: key.address) }
        flight.waiters += 1
        inflight[key] = flight
        let generation = flight.generation, task = flight.task
        return await withTaskCancellationHandler {
            await task.value
        } onCancel: {
            Task { await self.leave(key, generation: generation) }
        }
    }

    private func leave(_ key: ProbeKey, generation: Int) {
        guard var flight = inflight[key], flight.generation == generation else { return }
        flight.waiters -= 1
        inflight[key] = flight
        if flight.waiters <= 0 { flight.task.cancel() }
    }

    /// Waits until a new connection to `address` fits the per-minute budget, and counts it;
    /// false when the probe was cancelled meanwhile.
    private func waitForBudget(_ address: String) async -> Bool {
        let perMinute = sharing?.connectionsPerMinute ?? Int.max
        while true {
            if Task.isCancelled { return false }
            let now = environment.clock.now()
            var times = recentConnections[address, default: []].filter { now.timeIntervalSince($0) < 60 }
            if times.count < perMinute {
                times.append(now)
                recentConnections[address] = times
                connectionsPerAddress[address, default: 0] += 1
                return true
            }
            recentConnections[address] = times
            // Only one probe per address runs at a time (the gate), so nobody else takes this slot.
            try? await environment.clock.sleep(until: times[0].addingTimeInterval(60))
        }
    }

    private func finish(_ key: ProbeKey, _ raw: SMTPProbe, abandoned: Bool) -> SMTPProbe {
        inflight[key] = nil
        let now = environment.clock.now()
        var probe = raw
        probe.probedAt = now
        // Cut short because nobody waited any more: it says nothing about the server.
        if abandoned { return probe }
        var entry = entries[key] ?? Entry()
        if let sharing, probe.isPoliteRefusal {
            entry.refusals += 1
            let delay = min(sharing.maxBackoff, sharing.initialBackoff * pow(2, Double(min(entry.refusals - 1, 30))))
            let reply: String = {
                if case .refused(_, let reply) = probe.outcome { return String(reply.prefix(200)) }
                return ""
            }()
            let limit = RateLimitState(reply: reply.split(whereSeparator: \.isNewline).first.map(String.init) ?? reply,
                                       since: rateLimits[key.address]?.since ?? now, retryAfter: now.addingTimeInterval(delay))
            rateLimits[key.address] = limit
            probe = Self.staleView(lastGood: entry.lastGood, limit: limit, host: key.host, address: key.address, at: now)
        } else {
            rateLimits[key.address] = nil
            entry.refusals = 0
            entry.lastGood = probe
            noteReachability(probe)
        }
        entry.latest = probe
        entries[key] = entry
        onProbe?(SharedProbe(probe: probe, lastGood: entry.lastGood, refusals: entry.refusals))
        return probe
    }

    /// What domains see while an address backs off: its last good probe marked stale, or a skip.
    private static func staleView(lastGood: SMTPProbe?, limit: RateLimitState, host: String, address: String, at now: Date) -> SMTPProbe {
        if var view = lastGood {
            view.rateLimited = limit
            return view
        }
        return SMTPProbe(host: host, address: address, outcome: .notProbed(.rateLimited), probedAt: now, rateLimited: limit)
    }

    /// Learns from a connection attempt whether its address family works from this monitor.
    ///
    /// A family is declared unavailable when a global address of it has no route at all (an
    /// IPv4-only host), or when two or more of its addresses failed to connect since its last
    /// success while the other family connected more recently.
    private func noteReachability(_ probe: SMTPProbe) {
        guard rules.ipVersion == .auto, let ip = IPAddress(probe.address) else { return }
        let family = ip.family
        let now = environment.clock.now()
        var health = families[family] ?? FamilyHealth()
        switch probe.outcome {
        case .notProbed:
            return
        case .connectFailed:
            health.failing.insert(probe.address)
            let other = families[family == .ipv4 ? .ipv6 : .ipv4]
            let otherWorks = other?.lastSuccess.map { theirs in health.lastSuccess.map { theirs > $0 } ?? true } ?? false
            let noRoute = probe.connectFailure == .noRoute && ip.isGlobal
            // A family that worked within the hour still works: its failures are the MX hosts' own.
            let neverWorked = health.lastSuccess.map { now.timeIntervalSince($0) > 3600 } ?? true
            if health.unavailableSince == nil, noRoute || (otherWorks && neverWorked && health.failing.count >= 2) {
                health.unavailableSince = now
                health.lastScout = now  // the next try over this family comes after `familyRetry`
            }
        default:
            health.lastSuccess = now
            health.failing = []
            health.unavailableSince = nil
        }
        families[family] = health
    }
}

/// A FIFO async mutex: callers wait their turn without blocking a thread.
actor AsyncGate {
    private var busy = false
    private var waiters: [CheckedContinuation<Void, Never>] = []

    func enter() async {
        if !busy {
            busy = true
            return
        }
        await withCheckedContinuation { waiters.append($0) }
    }

    func leave() {
        if waiters.isEmpty {
            busy = false
        } else {
            waiters.removeFirst().resume()
        }
    }
}
