import STSCore

/// Shares MX work across the domains of one run, and keeps probing polite.
///
/// Thousands of domains share a handful of MX hosts, and large providers rate-limit:
/// each MX host is resolved once and each (host, address) probed once per run, and
/// at most one connection is open to the same address at any moment.
public actor ProbeCoordinator {
    private let environment: CheckEnvironment
    private var addressLookups: [String: Task<(DNSOutcome<String>, DNSOutcome<String>), Never>] = [:]
    private var probes: [ProbeKey: Task<SMTPProbe, Never>] = [:]
    private var addressGates: [String: AsyncGate] = [:]
    /// How many probes actually went out, per address (for the benchmark and tests).
    public private(set) var connectionsPerAddress: [String: Int] = [:]

    struct ProbeKey: Hashable {
        var host: String
        var address: String
    }

    public init(environment: CheckEnvironment) {
        self.environment = environment
    }

    /// A and AAAA of an MX host, looked up once per run.
    public func addresses(of host: String) async -> (ipv4: DNSOutcome<String>, ipv6: DNSOutcome<String>) {
        if let task = addressLookups[host] { return await task.value }
        let resolver = environment.resolver
        let task = Task {
            async let v4 = resolver.ipv4(host)
            async let v6 = resolver.ipv6(host)
            return await (v4, v6)
        }
        addressLookups[host] = task
        return await task.value
    }

    /// The STARTTLS probe of `host` at `address`, made once per run, one connection per address at a time.
    public func probe(host: String, address: String) async -> SMTPProbe {
        let key = ProbeKey(host: host, address: address)
        if let task = probes[key] { return await task.value }
        let gate = addressGates[address] ?? AsyncGate()
        addressGates[address] = gate
        let prober = environment.prober
        let task = Task {
            await gate.enter()
            let result = await prober.probe(host: host, address: address)
            await gate.leave()
            return result
        }
        probes[key] = task
        connectionsPerAddress[address, default: 0] += 1
        return await task.value
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
