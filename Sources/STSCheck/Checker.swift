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
        let coordinator = coordinator ?? ProbeCoordinator(environment: environment)
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
    public func observe(_ domain: String, coordinator: ProbeCoordinator) async -> DomainObservation {
        let name = DomainName.canonical(domain)
        let partial = PartialObservation(domain: name)
        let work = Task { await gather(name, into: partial, coordinator: coordinator) }
        let finished = await race(work: work, deadline: settings.domainDeadline)
        if !finished { work.cancel() }
        let seconds = settings.domainDeadline.components.seconds
        return await partial.snapshot(at: environment.now(), unfinished: finished ? nil : "not finished within the \(seconds) s deadline")
    }

    /// Waits for `work` or the deadline, whichever comes first; true when the work finished.
    private func race(work: Task<Void, Never>, deadline: Duration) async -> Bool {
        let first = FirstOf()
        let timer = Task {
            try? await Task.sleep(for: deadline)
            await first.settle(false)
        }
        Task {
            await work.value
            await first.settle(true)
        }
        let result = await first.value
        timer.cancel()
        return result
    }

    private func gather(_ domain: String, into partial: PartialObservation, coordinator: ProbeCoordinator) async {
        // The three branches are independent: the policy fetch and the MX probes run side by side.
        async let policy: Void = gatherPolicy(domain, into: partial)
        async let mx: Void = gatherMX(domain, into: partial, coordinator: coordinator)
        async let tlsrpt: Void = partial.setTLSRPT(await environment.resolver.txt("_smtp._tls.\(domain)"))
        _ = await (policy, mx, tlsrpt)
    }

    private func gatherPolicy(_ domain: String, into partial: PartialObservation) async {
        let sts = await environment.resolver.txt("_mta-sts.\(domain)")
        await partial.setSTS(sts)
        // Senders fetch only when the TXT RRset has a v=STSv1 record. We also look when it has none,
        // to tell a postmaster who published a policy but forgot the record; that costs one lookup
        // of mta-sts.DOMAIN, which does not exist for most domains without MTA-STS.
        if case .failed = sts { return }
        await partial.setFetch(await fetchPolicy(domain))
    }

    private func gatherMX(_ domain: String, into partial: PartialObservation, coordinator: ProbeCoordinator) async {
        let mx = await environment.resolver.mx(domain)
        await partial.setMX(mx)
        guard case .records(let records) = mx else { return }
        var seen: Set<String> = []
        let hosts = records.filter { record in
            let host = DomainName.canonical(record.exchange)
            return !host.isEmpty && host != "." && seen.insert(host).inserted
        }.prefix(settings.maxMXHosts)
        await withTaskGroup(of: Void.self) { group in
            for record in hosts {
                group.addTask { await partial.addHost(await observeHost(record, coordinator: coordinator)) }
            }
        }
    }

    private func fetchPolicy(_ domain: String) async -> PolicyFetch {
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
        return await environment.fetcher.fetch(domain: domain, addresses: addresses)
    }

    private func observeHost(_ record: MXRecord, coordinator: ProbeCoordinator) async -> MXObservation {
        let host = DomainName.canonical(record.exchange)
        let (v4, v6) = await coordinator.addresses(of: host)
        let addresses = ((v4.recordsIfAnswered ?? []) + (v6.recordsIfAnswered ?? [])).prefix(settings.maxAddressesPerHost)
        let probes = await withTaskGroup(of: (Int, SMTPProbe).self) { group in
            for (index, address) in addresses.enumerated() {
                group.addTask { (index, await coordinator.probe(host: host, address: address)) }
            }
            var results: [(Int, SMTPProbe)] = []
            for await r in group { results.append(r) }
            return results.sorted { $0.0 < $1.0 }.map(\.1)
        }
        return MXObservation(record: record, ipv4: v4, ipv6: v6, probes: probes)
    }
}

/// What has been seen of one domain so far; on a deadline, the rest is recorded as failed.
actor PartialObservation {
    let domain: String
    private var sts: DNSOutcome<TXTRecord>?
    private var tlsrpt: DNSOutcome<TXTRecord>?
    private var mx: DNSOutcome<MXRecord>?
    private var fetch: PolicyFetch?
    private var hosts: [MXObservation] = []

    init(domain: String) { self.domain = domain }

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
            for record in records where !done.contains(DomainName.canonical(record.exchange)) {
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
