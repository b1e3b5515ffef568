import Foundation
import STSCore

/// How many domains at once, how long each may take, and the judgement's thresholds.
public struct CheckSettings: Sendable {
    public var concurrency: Int
    /// The whole check of one domain; what is unfinished by then counts as failed, so one dead server never stalls the rest.
    public var domainDeadline: Duration
    public var judgement: JudgementSettings
    /// Hostile DNS could list hundreds of MX hosts or addresses; we probe this many at most.
    public var maxMXHosts = 16
    public var maxAddressesPerHost = 8
    /// Probes of one domain running at once: a tarpit with 16 MX × 8 stalling addresses must
    /// not take every worker thread from the domains checked beside it.
    public var maxProbesPerDomain = 8
    /// Address families, and the non-global space the probes may connect to.
    public var destinations = DestinationRules()

    public init(concurrency: Int = 64, domainDeadline: Duration = .seconds(90), judgement: JudgementSettings = JudgementSettings()) {
        self.concurrency = max(1, concurrency)
        self.domainDeadline = domainDeadline
        self.judgement = judgement
    }
}

/// One domain's result: what was seen and what it means.
public struct CheckResult: Sendable {
    public var observation: DomainObservation
    public var assessment: Assessment
}

/// Sees domains the way a sending MTA that honours MTA-STS does, and judges them.
public struct Checker: Sendable {
    public let environment: CheckEnvironment
    public let settings: CheckSettings

    public init(environment: CheckEnvironment, settings: CheckSettings = CheckSettings()) {
        self.environment = environment
        self.settings = settings
    }

    /// Checks many domains concurrently (bounded), sharing MX probes across them.
    ///
    /// Results arrive through `onResult` as each domain finishes; `previous` supplies
    /// what the last check saw, for change findings.
    public func check(_ domains: [String], coordinator: ProbeCoordinator? = nil,
                      previous: @escaping @Sendable (String) async -> PreviousState? = { _ in nil },
                      onResult: @escaping @Sendable (CheckResult) async -> Void) async {
        let coordinator = coordinator ?? ProbeCoordinator(environment: environment, rules: settings.destinations)
        await withTaskGroup(of: Void.self) { group in
            var pending = domains.makeIterator()
            func startNext() -> Bool {
                guard let domain = pending.next() else { return false }
                group.addTask {
                    let observation = await observe(domain, coordinator: coordinator)
                    let assessment = Judge.assess(observation, previous: await previous(observation.domain),
                                                  settings: settings.judgement)
                    await onResult(CheckResult(observation: observation, assessment: assessment))
                }
                return true
            }
            for _ in 0..<settings.concurrency where !startNext() { break }
            while await group.next() != nil { _ = startNext() }
        }
    }

    /// Checks domains and returns the results in the order given.
    public func check(_ domains: [String], coordinator: ProbeCoordinator? = nil,
                      previous: @escaping @Sendable (String) async -> PreviousState? = { _ in nil }) async -> [CheckResult] {
        let collected = ResultCollector()
        await check(domains, coordinator: coordinator, previous: previous) { await collected.add($0) }
        let byDomain = await collected.results
        return domains.compactMap { byDomain[DomainName.canonical($0)] }
    }

    /// Observes one domain within the deadline: what has not finished by then is recorded as failed.
    ///
    /// - Parameter freshProbes: connect to the domain's MX addresses again even if their shared
    ///   probes are young (a re-check a person asked for).
    public func observe(_ domain: String, coordinator: ProbeCoordinator, freshProbes: Bool = false) async -> DomainObservation {
        let name = DomainName.canonical(domain)
        let partial = PartialObservation(domain: name, maxHosts: settings.maxMXHosts)
        let work = Task { await gather(name, into: partial, coordinator: coordinator, fresh: freshProbes) }
        let finished = await race(work: work, deadline: settings.domainDeadline)
        if !finished { work.cancel() }
        let seconds = settings.domainDeadline.components.seconds
        var observation = await partial.snapshot(at: environment.now(), unfinished: finished ? nil : "not finished within the \(seconds) s deadline")
        // A family found unusable from here after this domain's probe failed: not the domain's fault.
        for h in observation.mxHosts.indices {
            for p in observation.mxHosts[h].probes.indices {
                let probe = observation.mxHosts[h].probes[p]
                if case .connectFailed = probe.outcome, await coordinator.familyUnavailable(for: probe.address) {
                    observation.mxHosts[h].probes[p].outcome = .notProbed(.familyUnavailable)
                }
            }
        }
        return observation
    }

    /// Waits for `work` or the deadline by the environment's clock, whichever comes first; true when the work finished.
    private func race(work: Task<Void, Never>, deadline: Duration) async -> Bool {
        let first = FirstOf()
        let clock = environment.clock
        let seconds = Double(deadline.components.seconds) + Double(deadline.components.attoseconds) / 1e18
        let timer = Task {
            do {
                try await clock.sleep(for: seconds)
                await first.settle(false)
            } catch {}
        }
        Task {
            await work.value
            await first.settle(true)
        }
        let result = await first.value
        timer.cancel()
        return result
    }

    private func gather(_ domain: String, into partial: PartialObservation, coordinator: ProbeCoordinator, fresh: Bool) async {
        // The three branches are independent: the policy fetch and the MX probes run side by side.
        async let policy: Void = gatherPolicy(domain, into: partial, coordinator: coordinator)
        async let mx: Void = gatherMX(domain, into: partial, coordinator: coordinator, fresh: fresh)
        async let tlsrpt: Void = partial.setTLSRPT(await environment.resolver.txt("_smtp._tls.\(domain)"))
        _ = await (policy, mx, tlsrpt)
    }

    private func gatherPolicy(_ domain: String, into partial: PartialObservation, coordinator: ProbeCoordinator) async {
        let sts = await environment.resolver.txt("_mta-sts.\(domain)")
        await partial.setSTS(sts)
        // Senders fetch only when the TXT RRset has a v=STSv1 record. We also look when it has none,
        // to tell a postmaster who published a policy but forgot the record; that costs one lookup
        // of mta-sts.DOMAIN, which does not exist for most domains without MTA-STS.
        if case .failed = sts { return }
        await partial.setFetch(await fetchPolicy(domain, coordinator: coordinator))
    }

    private func gatherMX(_ domain: String, into partial: PartialObservation, coordinator: ProbeCoordinator, fresh: Bool) async {
        let mx = await environment.resolver.mx(domain)
        await partial.setMX(mx)
        guard case .records(let records) = mx else { return }
        var seen: Set<String> = []
        let hosts = records.filter { record in
            let host = DomainName.canonical(record.exchange)
            return !host.isEmpty && host != "." && seen.insert(host).inserted
        }.prefix(settings.maxMXHosts)
        let slots = ProbeSlots(settings.maxProbesPerDomain)
        await withTaskGroup(of: Void.self) { group in
            for record in hosts {
                group.addTask { await partial.addHost(await observeHost(record, coordinator: coordinator, slots: slots, fresh: fresh)) }
            }
        }
    }

    private func fetchPolicy(_ domain: String, coordinator: ProbeCoordinator) async -> PolicyFetch {
        let host = "mta-sts.\(domain)"
        let url = "https://\(host)/.well-known/mta-sts.txt"
        async let v4 = environment.resolver.ipv4(host)
        async let v6 = environment.resolver.ipv6(host)
        let (a, aaaa) = await (v4, v6)
        let addresses = (a.recordsIfAnswered ?? []) + (aaaa.recordsIfAnswered ?? [])
        guard !addresses.isEmpty else {
            let reasons = [a, aaaa].compactMap { outcome -> String? in
                switch outcome {
                case .failed(let r): r
                case .nameDoesNotExist: "\(host) does not exist (NXDOMAIN)"
                default: nil
                }
            }
            return PolicyFetch(url: url, failure: .resolve(reasons.first ?? "\(host) has no A or AAAA record"))
        }
        var usable: [String] = []
        var skipped: [(String, ProbeSkip)] = []
        for address in addresses {
            if let skip = settings.destinations.skip(address) {
                skipped.append((address, skip))
            } else if await coordinator.familyUnavailable(for: address) {
                skipped.append((address, .familyUnavailable))
            } else {
                usable.append(address)
            }
        }
        guard !usable.isEmpty else {
            let list = skipped.map(\.0).joined(separator: ", ")
            if skipped.contains(where: { $0.1 == .addressNotGlobal }) {
                return PolicyFetch(url: url, failure: .addressNotGlobal("\(host) resolves only to non-global addresses (\(list)), which senders on the internet cannot reach; stswatch does not connect there unless allowed (--allow-addresses)"))
            }
            return PolicyFetch(url: url, failure: .connect("\(host) has no address this monitor can use (\(list)): \(settings.destinations.ipVersion == .auto ? "address family unavailable here" : "ip-version \(settings.destinations.ipVersion.rawValue) only")"))
        }
        return await environment.fetcher.fetch(domain: domain, addresses: usable)
    }

    private func observeHost(_ record: MXRecord, coordinator: ProbeCoordinator, slots: ProbeSlots, fresh: Bool) async -> MXObservation {
        let host = DomainName.canonical(record.exchange)
        let (v4, v6) = await coordinator.addresses(of: host)
        let ipv4 = Array((v4.recordsIfAnswered ?? []).prefix(settings.maxAddressesPerHost))
        let ipv6 = Array((v6.recordsIfAnswered ?? []).prefix(max(0, settings.maxAddressesPerHost - ipv4.count)))
        // IPv4 first, then IPv6: by the time an IPv6 connect fails, the IPv4 results tell whether
        // it is this monitor that lacks IPv6 rather than the MX.
        var probes: [SMTPProbe] = []
        for family in [ipv4, ipv6] {
            probes += await withTaskGroup(of: (Int, SMTPProbe).self) { group in
                for (index, address) in family.enumerated() {
                    group.addTask {
                        await slots.enter()
                        let probe = await coordinator.probe(host: host, address: address, fresh: fresh)
                        await slots.leave()
                        return (index, probe)
                    }
                }
                var results: [(Int, SMTPProbe)] = []
                for await r in group { results.append(r) }
                return results.sorted { $0.0 < $1.0 }.map(\.1)
            }
        }
        return MXObservation(record: record, ipv4: v4, ipv6: v6, probes: probes)
    }
}

/// A counting semaphore for one domain's probes.
actor ProbeSlots {
    private var free: Int
    private var waiters: [CheckedContinuation<Void, Never>] = []

    init(_ count: Int) { free = max(1, count) }

    func enter() async {
        if free > 0 {
            free -= 1
            return
        }
        await withCheckedContinuation { waiters.append($0) }
    }

    func leave() {
        if waiters.isEmpty { free += 1 } else { waiters.removeFirst().resume() }
    }
}

/// What has been seen of one domain so far; on a deadline, the rest is recorded as failed.
actor PartialObservation {
    let domain: String
    let maxHosts: Int
    private var sts: DNSOutcome<TXTRecord>?
    private var tlsrpt: DNSOutcome<TXTRecord>?
    private var mx: DNSOutcome<MXRecord>?
    private var fetch: PolicyFetch?
    private var hosts: [MXObservation] = []

    init(domain: String, maxHosts: Int) {
        self.domain = domain
        self.maxHosts = maxHosts
    }

    func setSTS(_ v: DNSOutcome<TXTRecord>) { sts = v }
    func setTLSRPT(_ v: DNSOutcome<TXTRecord>) { tlsrpt = v }
    func setMX(_ v: DNSOutcome<MXRecord>) { mx = v }
    func setFetch(_ v: PolicyFetch) { fetch = v }
    func addHost(_ v: MXObservation) { hosts.append(v) }

    func snapshot(at now: Date, unfinished: String?) -> DomainObservation {
        let missing = unfinished ?? "not attempted"
        var hosts = hosts
        // MX hosts whose probes did not finish still appear, as having timed out.
        if unfinished != nil, case .records(let records)? = mx {
            let done = Set(hosts.map { DomainName.canonical($0.record.exchange) })
            // Bounded like the probes: hostile DNS may list thousands of MX records.
            for record in records.prefix(maxHosts) where !done.contains(DomainName.canonical(record.exchange)) {
                hosts.append(MXObservation(record: record, ipv4: .failed(reason: missing), ipv6: .failed(reason: missing), probes: []))
            }
        }
        return DomainObservation(domain: domain, observedAt: now,
                                 stsTXT: sts ?? .failed(reason: missing),
                                 tlsrptTXT: tlsrpt ?? .failed(reason: missing),
                                 mx: mx ?? .failed(reason: missing),
                                 policyFetch: fetch ?? (unfinished != nil && sts != nil
                                     ? PolicyFetch(url: "https://mta-sts.\(domain)/.well-known/mta-sts.txt", failure: .timeout(missing))
                                     : nil),
                                 mxHosts: hosts)
    }
}

/// The first of several racing answers.
actor FirstOf {
    private var result: Bool?
    private var waiters: [CheckedContinuation<Bool, Never>] = []

    func settle(_ value: Bool) {
        guard result == nil else { return }
        result = value
        waiters.forEach { $0.resume(returning: value) }
        waiters.removeAll()
    }

    var value: Bool {
        get async {
            if let result { return result }
            return await withCheckedContinuation { waiters.append($0) }
        }
    }
}

actor ResultCollector {
    var results: [String: CheckResult] = [:]
    func add(_ r: CheckResult) { results[r.observation.domain] = r }
}
