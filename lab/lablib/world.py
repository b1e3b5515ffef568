"""The lab's world as plain data: DNS records, policy hosts, MX servers, scenarios.

Nothing here starts a process or touches the disk: `build_world` turns the
scenario table into a `World` that `render.py` writes out as NSD, nginx,
Postfix and pysrv configuration. Keeping it pure lets the scenario table be
read (and reviewed) as one list.
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass, field, replace

STS_ID = "20260101T000000"
# PREFIX.10.0/24 holds the tarpit's 128 MX addresses, away from the scenario MX hosts in PREFIX.2.0/24.
TARPIT_BLOCK = 10
# Two weeks: RFC 8461 §3.2 asks for "weeks or greater"; clear of any "short" threshold.
MAX_AGE = 1209600


@dataclass
class CertSpec:
    """A leaf certificate to make at start-up.

    issuer: "lab" (trusted by ca_file), "rogue" (a CA nobody trusts) or "self".
    days: validity from now; a negative number makes a certificate that expired
    that many days ago (valid for 30 days before that).
    """

    names: list[str]
    issuer: str = "lab"
    days: int = 90

    def key(self) -> tuple:
        return (tuple(self.names), self.issuer, self.days)


@dataclass
class PolicyHost:
    """An HTTPS server answering for one or more mta-sts host names at one address.

    kind: "nginx" (a static file, or a `return` for redirects) or "silent"
    (a Python listener that accepts TCP and never answers: a timeout).
    """

    names: list[str]
    address: str = ""
    kind: str = "nginx"
    cert: CertSpec | None = None
    body: bytes | None = None  # None: no file, nginx answers 404
    content_type: str = "text/plain"
    charset: str | None = None
    redirect: str | None = None


@dataclass
class MXServer:
    """An SMTP listener at one address.

    kind: "postfix" (a real Postfix smtpd), "python" (lab/servers/pysrv.py
    with `behaviour`), "proxy" (the STARTTLS-stripping attacker in front of
    `upstream`), or "none" (nothing listens: connection refused).

    In a scenario's `mx` list one MXServer stands for one MX host name; the
    builder turns it into one listener per address: `a_records` A addresses
    from the /24 `PREFIX.a_block.0`, then, by `aaaa`, one AAAA address on the
    lab's IPv6 prefix ("lab": listened on by the same kind of server) or in the
    unreachable prefix ("unroutable": published only; nothing can reach it).
    """

    hostname: str
    address: str = ""
    kind: str = "postfix"
    cert: CertSpec | None = None
    behaviour: dict = field(default_factory=dict)
    upstream: str | None = None  # address of the real MX behind a proxy
    bench: bool = False
    a_records: int = 1
    a_block: int = 2
    aaaa: str = ""


@dataclass
class Scenario:
    domain: str
    description: str
    expect_status: str
    expect_codes: list[str]
    # (host name, address or ""): one pair per published A or AAAA address, A first; "" for a name without any.
    mx_hosts: list[tuple[str, str]] = field(default_factory=list)
    policy_host: str | None = None
    policy_address: str | None = None
    # True for scenarios that take a whole domain deadline (the tarpit): lab.json lists them
    # under "slow_scenarios", so tests that check every scenario leave them to their own test.
    slow: bool = False


@dataclass
class World:
    prefix: str
    records: list[tuple[str, str, str]] = field(default_factory=list)  # (owner, type, rdata) in zone syntax
    servfail_zones: list[str] = field(default_factory=list)
    policy_hosts: list[PolicyHost] = field(default_factory=list)
    mx_servers: list[MXServer] = field(default_factory=list)
    scenarios: list[Scenario] = field(default_factory=list)
    bench_domains: list[str] = field(default_factory=list)
    bench_policy_address: str | None = None
    bench_mx_addresses: list[str] = field(default_factory=list)
    # False leaves out every IPv6 scenario, address and route (a kernel with IPv6 off, or --no-ipv6).
    ipv6: bool = True
    # Addresses the lab puts on `lo` for as long as it runs (IPv6 only: all of 127.0.0.0/8 is local already).
    lo_addresses: list[str] = field(default_factory=list)

    @property
    def resolver_address(self) -> str:
        return f"{self.prefix}.0.53"

    @property
    def ipv6_prefix(self) -> str:
        """The lab's own IPv6 /64 (ULA), named after the IPv4 prefix so labs on different prefixes never meet."""
        return ipv6_prefix(self.prefix)

    @property
    def unroutable_prefix(self) -> str:
        """A documentation /64 the lab routes to `unreachable`: connects there fail at once, on the machine."""
        return unroutable_prefix(self.prefix)

    @property
    def unreachable_routes(self) -> list[str]:
        """Prefixes the lab routes to `unreachable` while it runs.

        Both /64s: the documentation one is what the scenarios publish; on the
        lab's own /64 the route catches every address not on `lo`, which would
        otherwise follow the default route out of the machine. Addresses on
        `lo` still work: the local routing table is consulted first.
        """
        return [self.unroutable_prefix, self.ipv6_prefix] if self.ipv6 else []

    @property
    def allow_addresses(self) -> list[str]:
        """Every network a prober must be allowed to connect to for this lab."""
        nets = ["127.0.0.0/8"]
        if self.ipv6:
            nets += ["::1/128", self.ipv6_prefix, self.unroutable_prefix]
        return nets


def _second_octet(prefix: str) -> str:
    """127.88 -> "88": the second octet in decimal digits, used as the text of one IPv6 group."""
    return prefix.split(".")[1]


def ipv6_prefix(prefix: str) -> str:
    return str(ipaddress.IPv6Network(f"fd57:5757:0:{_second_octet(prefix)}::/64"))


def unroutable_prefix(prefix: str) -> str:
    return str(ipaddress.IPv6Network(f"2001:db8:57:{_second_octet(prefix)}::/64"))


def ipv6_host(network: str, suffix: str) -> str:
    """`suffix` ("2:1") inside a /64, in the canonical text every lab file and count uses."""
    net = ipaddress.IPv6Network(network)
    return str(net.network_address + int(ipaddress.IPv6Address("::" + suffix)))


def txt(*strings: str) -> str:
    """One TXT record's rdata in zone-file syntax: each argument is one character-string."""
    out = []
    for s in strings:
        if len(s.encode()) > 255:
            raise ValueError(f"TXT character-string longer than 255 bytes: {s[:40]}...")
        out.append('"' + s.replace("\\", "\\\\").replace('"', '\\"') + '"')
    return " ".join(out)


def policy_text(mode: str, mx: list[str], max_age: int | None = MAX_AGE, eol: str = "\r\n",
                extra: list[str] | None = None) -> bytes:
    lines = ["version: STSv1", f"mode: {mode}"] + [f"mx: {m}" for m in mx]
    if max_age is not None:
        lines.append(f"max_age: {max_age}")
    lines += extra or []
    return (eol.join(lines) + eol).encode()


class _Builder:
    """Hands out addresses and collects records while the scenario table is read."""

    def __init__(self, prefix: str, ipv6: bool = True):
        self.w = World(prefix=prefix, ipv6=ipv6)
        self.next_policy = 1
        self.next_mx = 1
        self.next_in_block: dict[int, int] = {}
        self.next_ipv6 = 1
        self.next_unroutable = 1

    def policy_address(self) -> str:
        if self.next_policy > 254:
            raise ValueError("too many policy hosts for one /24")
        a = f"{self.w.prefix}.1.{self.next_policy}"
        self.next_policy += 1
        return a

    def mx_address(self) -> str:
        if self.next_mx > 254:
            raise ValueError("too many scenario MX hosts for one /24")
        a = f"{self.w.prefix}.2.{self.next_mx}"
        self.next_mx += 1
        return a

    def block_address(self, block: int) -> str:
        """The next address in PREFIX.block.0/24; block 2 is shared with `mx_address`."""
        if block == 2:
            return self.mx_address()
        n = self.next_in_block.get(block, 1)
        if n > 254:
            raise ValueError(f"too many addresses for {self.w.prefix}.{block}.0/24")
        self.next_in_block[block] = n + 1
        return f"{self.w.prefix}.{block}.{n}"

    def ipv6_address(self) -> str:
        """An MX address on the lab's IPv6 prefix, ::2:N like the IPv4 MX hosts' PREFIX.2.N."""
        a = ipv6_host(self.w.ipv6_prefix, f"2:{self.next_ipv6:x}")
        self.next_ipv6 += 1
        self.w.lo_addresses.append(a)
        return a

    def unroutable_address(self) -> str:
        a = ipv6_host(self.w.unroutable_prefix, f"2:{self.next_unroutable:x}")
        self.next_unroutable += 1
        return a

    def rr(self, owner: str, rtype: str, rdata: str) -> None:
        self.w.records.append((owner, rtype, rdata))

    def scenario(self, domain: str, description: str, status: str, codes: list[str], *,
                 sts: list[list[str]] | None = None,
                 tlsrpt: list[list[str]] | None = None,
                 mx: list[MXServer] | None = None,
                 mx_records: list[tuple[int, str]] | None = None,
                 policy: PolicyHost | None = None,
                 policy_mx: list[str] | None = None,
                 mode: str = "enforce",
                 policy_cname: bool = False) -> Scenario:
        """Adds one domain. Defaults give the clean shape; each argument breaks one thing.

        sts/tlsrpt: lists of TXT records (each a list of character-strings); [] publishes none.
        mx: the MX servers (default: one Postfix `mx1.DOMAIN`); mx_records overrides the
        published MX RRset (host names as written, so mixed case survives).
        policy: the policy host (default: nginx serving the clean policy for the MX names).
        """
        d = domain.rstrip(".").lower()
        sts = [[f"v=STSv1; id={STS_ID};"]] if sts is None else sts
        tlsrpt = [[f"v=TLSRPTv1; rua=mailto:tlsrpt@{d}"]] if tlsrpt is None else tlsrpt
        if mx is None:
            mx = [MXServer(hostname=f"mx1.{d}")]
        for record in sts:
            self.rr(f"_mta-sts.{d}.", "TXT", txt(*record))
        for record in tlsrpt:
            self.rr(f"_smtp._tls.{d}.", "TXT", txt(*record))
        sc = Scenario(domain=domain, description=description, expect_status=status, expect_codes=codes)
        for server in mx:
            if server.kind == "unresolvable":
                sc.mx_hosts.append((server.hostname, ""))
                continue
            if server.aaaa not in ("", "lab", "unroutable"):
                raise ValueError(f"{server.hostname}: aaaa={server.aaaa!r}, want '', 'lab' or 'unroutable'")
            if server.kind not in ("python", "none") and (server.a_records != 1 or server.aaaa):
                raise ValueError(f"{server.hostname}: several addresses or an AAAA need kind 'python' or 'none'")
            if server.cert is None and server.kind in ("postfix", "python"):
                server.cert = CertSpec([server.hostname])
            listened = [self.block_address(server.a_block) for _ in range(server.a_records)]
            if server.aaaa == "lab":
                listened.append(self.ipv6_address())
            if server.kind == "proxy":
                # The real MX sits at its own (unpublished) address behind the attacker.
                real = MXServer(hostname=server.hostname, address=self.mx_address(),
                                cert=CertSpec([server.hostname]))
                server.upstream = real.address
                self.w.mx_servers.append(real)
            for address in listened:
                # One listener per address; copies share the CertSpec, so one certificate serves them all.
                self.w.mx_servers.append(replace(server, address=address))
                self.rr(f"{server.hostname}.", "AAAA" if ":" in address else "A", address)
                sc.mx_hosts.append((server.hostname, address))
            if server.aaaa == "unroutable":
                address = self.unroutable_address()
                self.rr(f"{server.hostname}.", "AAAA", address)
                sc.mx_hosts.append((server.hostname, address))
        if mx_records is None:
            mx_records = [(10 * (i + 1), s.hostname + ".") for i, s in enumerate(mx)]
        for pref, host in mx_records:
            self.rr(f"{d}.", "MX", f"{pref} {host}")
        if not mx_records:
            # The name must still exist (NODATA for MX, not NXDOMAIN).
            self.rr(f"{d}.", "A", f"{self.w.prefix}.9.9")
        if sts or policy is not None:
            host = f"mta-sts.{d}"
            if policy is None:
                policy = PolicyHost(names=[host])
            if policy.body is None and policy.redirect is None and not getattr(policy, "_no_body", False):
                names = policy_mx if policy_mx is not None else [s.hostname for s in mx]
                policy.body = policy_text(mode, names)
            if policy.cert is None and policy.kind == "nginx":
                policy.cert = CertSpec([host])
            policy.address = self.policy_address()
            self.w.policy_hosts.append(policy)
            if policy_cname:
                target = f"policy-server.{d}"
                self.rr(f"{host}.", "CNAME", f"{target}.")
                self.rr(f"{target}.", "A", policy.address)
            else:
                self.rr(f"{host}.", "A", policy.address)
            sc.policy_host = host
            sc.policy_address = policy.address
        self.w.scenarios.append(sc)
        return sc


def _no_body(p: PolicyHost) -> PolicyHost:
    p._no_body = True  # type: ignore[attr-defined]
    return p


def build_world(prefix: str = "127.77", bench_domains: int = 0, bench_mx: int = 0, ipv6: bool = True) -> World:
    b = _Builder(prefix, ipv6)
    P = prefix

    # --- the clean reference -------------------------------------------------
    b.scenario("good.test", "clean: enforce, two Postfix MX hosts with valid certificates, TLS-RPT",
               "ok", [], mx=[MXServer("mx1.good.test"), MXServer("mx2.good.test")])

    # --- MTA-STS TXT record ---------------------------------------------------
    b.scenario("no-sts.test", "no _mta-sts TXT record and no policy host (TLS-RPT present)",
               "warn", ["sts-txt-missing"], sts=[])
    b.scenario("bad-id.test", "_mta-sts TXT has an id with characters outside [A-Za-z0-9]",
               "crit", ["sts-txt-invalid"], sts=[["v=STSv1; id=bad_id!;"]])
    b.scenario("multi-txt.test", "two v=STSv1 TXT records at _mta-sts (RFC 8461 §3.1: treat as no policy)",
               "crit", ["sts-txt-multiple"], sts=[[f"v=STSv1; id={STS_ID};"], ["v=STSv1; id=20250101T000000;"]])
    b.scenario("dns-error.test", "SERVFAIL for _mta-sts.dns-error.test (a zone NSD could not load); "
               "everything else resolves", "unknown", ["dns-error"])
    b.w.servfail_zones.append("_mta-sts.dns-error.test.")

    # --- policy fetch ---------------------------------------------------------
    b.scenario("policy-404.test", "policy host answers 404 for /.well-known/mta-sts.txt",
               "crit", ["sts-policy-fetch-error"], policy=_no_body(PolicyHost(names=["mta-sts.policy-404.test"])))
    b.scenario("policy-redirect.test", "policy host answers 301 with a Location (redirects must not be followed)",
               "crit", ["sts-policy-fetch-error"],
               policy=PolicyHost(names=["mta-sts.policy-redirect.test"],
                                 redirect="https://www.policy-redirect.test/.well-known/mta-sts.txt"))
    b.scenario("policy-timeout.test", "policy host accepts TCP and never answers (TLS handshake times out)",
               "crit", ["sts-policy-fetch-error"], policy=PolicyHost(names=["mta-sts.policy-timeout.test"], kind="silent"))
    b.scenario("policy-mediatype.test", "policy served as text/html",
               "crit", ["sts-policy-fetch-error"],
               policy=PolicyHost(names=["mta-sts.policy-mediatype.test"], content_type="text/html"))
    oversize = policy_text("enforce", ["mx1.policy-oversize.test"],
                           extra=[f"x-padding-{i:05d}: " + "a" * 60 for i in range(1200)])
    b.scenario("policy-oversize.test", f"policy body is {len(oversize)} bytes (> 64 KiB)",
               "crit", ["sts-policy-fetch-error"],
               policy=PolicyHost(names=["mta-sts.policy-oversize.test"], body=oversize))
    b.scenario("webpki-untrusted.test", "policy host certificate issued by a CA not in ca_file",
               "crit", ["sts-webpki-invalid"],
               policy=PolicyHost(names=["mta-sts.webpki-untrusted.test"],
                                 cert=CertSpec(["mta-sts.webpki-untrusted.test"], issuer="rogue")))
    b.scenario("webpki-wrongname.test", "policy host certificate names www.webpki-wrongname.test only",
               "crit", ["sts-webpki-invalid"],
               policy=PolicyHost(names=["mta-sts.webpki-wrongname.test"],
                                 cert=CertSpec(["www.webpki-wrongname.test"])))
    b.scenario("webpki-expired.test", "policy host certificate expired 10 days ago",
               "crit", ["sts-webpki-invalid"],
               policy=PolicyHost(names=["mta-sts.webpki-expired.test"],
                                 cert=CertSpec(["mta-sts.webpki-expired.test"], days=-10)))

    # --- policy content -------------------------------------------------------
    b.scenario("policy-invalid.test", "policy lacks max_age", "crit", ["sts-policy-invalid"],
               policy=PolicyHost(names=["mta-sts.policy-invalid.test"],
                                 body=policy_text("enforce", ["mx1.policy-invalid.test"], max_age=None)))
    b.scenario("max-age-short.test", "policy max_age is 3600 (one hour)", "warn", ["sts-max-age-short"],
               policy=PolicyHost(names=["mta-sts.max-age-short.test"],
                                 body=policy_text("enforce", ["mx1.max-age-short.test"], max_age=3600)))
    b.scenario("mx-pattern-unused.test", "policy also lists old-mx.mx-pattern-unused.test, which no MX record names",
               "ok", ["sts-mx-pattern-unused"],
               policy_mx=["mx1.mx-pattern-unused.test", "old-mx.mx-pattern-unused.test"])
    b.scenario("policy-no-txt.test", "a policy is served at mta-sts.policy-no-txt.test but there is no _mta-sts TXT",
               "warn", ["sts-txt-missing"], sts=[],
               policy=PolicyHost(names=["mta-sts.policy-no-txt.test"]))
    b.scenario("policy-cert-expiring.test", "policy host certificate expires in 15 days", "warn",
               ["sts-policy-certificate-expiring"],
               policy=PolicyHost(names=["mta-sts.policy-cert-expiring.test"],
                                 cert=CertSpec(["mta-sts.policy-cert-expiring.test"], days=15)))
    b.scenario("mode-testing.test", "policy mode: testing", "warn", ["sts-mode-testing"], mode="testing")
    b.scenario("mode-none.test", "policy mode: none", "warn", ["sts-mode-none"], mode="none")
    b.scenario("mx-not-covered.test", "MX mx2 is not matched by the policy (enforce: mail to it would be refused)",
               "crit", ["sts-mx-not-covered"],
               mx=[MXServer("mx1.mx-not-covered.test"), MXServer("mx2.mx-not-covered.test")],
               policy_mx=["mx1.mx-not-covered.test"])

    # --- TLS-RPT --------------------------------------------------------------
    b.scenario("no-tlsrpt.test", "no _smtp._tls TXT record", "warn", ["tlsrpt-txt-missing"], tlsrpt=[])
    b.scenario("tlsrpt-invalid.test", "TLS-RPT record without rua", "warn", ["tlsrpt-txt-invalid"],
               tlsrpt=[["v=TLSRPTv1;"]])
    b.scenario("tlsrpt-multi.test", "two v=TLSRPTv1 records", "warn", ["tlsrpt-txt-multiple"],
               tlsrpt=[["v=TLSRPTv1; rua=mailto:a@tlsrpt-multi.test"], ["v=TLSRPTv1; rua=mailto:b@tlsrpt-multi.test"]])

    # --- MX records and reachability -----------------------------------------
    b.scenario("no-mx.test", "no MX records (the name exists: NODATA)", "crit", ["mx-missing"],
               mx=[], policy_mx=["mail.no-mx.test"])
    b.scenario("null-mx.test", "null MX (RFC 7505: MX 0 .): the domain takes no mail", "ok", ["mx-null"],
               mx=[], mx_records=[(0, ".")], sts=[], tlsrpt=[])
    b.scenario("mx-noaddr.test", "the MX host name has no A or AAAA record (NXDOMAIN)", "crit",
               ["mx-resolve-error"], mx=[MXServer("mx1.mx-noaddr.test", kind="unresolvable")])
    b.scenario("mx-unreachable.test", "nothing listens at the MX address (connection refused)", "crit",
               ["mx-unreachable"], mx=[MXServer("mx1.mx-unreachable.test", kind="none")])
    b.scenario("greeting-554.test", "MX greets with 554 (refuses service)", "crit", ["mx-unreachable"],
               mx=[MXServer("mx1.greeting-554.test", kind="python", behaviour={"greeting_code": 554})])
    b.scenario("greeting-421.test", "MX greets with 421 and closes (a rate limit: not the domain's fault, not ok either)",
               "unknown", ["mx-rate-limited", "mx-not-probed"],
               mx=[MXServer("mx1.greeting-421.test", kind="python", behaviour={"greeting_code": 421})])
    b.scenario("never-greets.test", "MX accepts TCP and never sends a greeting (timeout)", "crit",
               ["mx-unreachable"], mx=[MXServer("mx1.never-greets.test", kind="python", behaviour={"never_greet": True})])

    # --- STARTTLS and the MX certificates ------------------------------------
    b.scenario("no-starttls.test", "EHLO reply does not offer STARTTLS", "crit", ["starttls-not-supported"],
               mx=[MXServer("mx1.no-starttls.test", kind="python", behaviour={"starttls": False})])
    b.scenario("downgrade.test", "on-path attacker in front of a real Postfix MX rewrites 250-STARTTLS to "
               "250-XSTART and refuses the STARTTLS command; policy is enforce", "crit", ["starttls-downgrade"],
               mx=[MXServer("mx1.downgrade.test", kind="proxy")])
    b.scenario("starttls-454.test", "STARTTLS is offered but answered 454", "crit", ["tls-handshake-failed"],
               mx=[MXServer("mx1.starttls-454.test", kind="python", behaviour={"starttls_reply": "454"})])
    b.scenario("tls-garbage.test", "after '220 Ready to start TLS' the server sends plain-text garbage",
               "crit", ["tls-handshake-failed"],
               mx=[MXServer("mx1.tls-garbage.test", kind="python", behaviour={"starttls_reply": "garbage"})])
    b.scenario("cert-expired.test", "MX certificate expired 3 days ago", "crit", ["certificate-expired"],
               mx=[MXServer("mx1.cert-expired.test", kind="python", cert=CertSpec(["mx1.cert-expired.test"], days=-3))])
    b.scenario("cert-expiring5.test", "MX certificate expires in 5 days", "crit", ["certificate-expiring"],
               mx=[MXServer("mx1.cert-expiring5.test", kind="python", cert=CertSpec(["mx1.cert-expiring5.test"], days=5))])
    b.scenario("cert-expiring15.test", "MX certificate expires in 15 days", "warn", ["certificate-expiring"],
               mx=[MXServer("mx1.cert-expiring15.test", kind="python",
                            cert=CertSpec(["mx1.cert-expiring15.test"], days=15))])
    b.scenario("cert-wrongname.test", "MX certificate names other.cert-wrongname.test only", "crit",
               ["certificate-host-mismatch"],
               mx=[MXServer("mx1.cert-wrongname.test", kind="python", cert=CertSpec(["other.cert-wrongname.test"]))])
    b.scenario("cert-selfsigned.test", "MX certificate is self-signed", "crit", ["certificate-not-trusted"],
               mx=[MXServer("mx1.cert-selfsigned.test", kind="python",
                            cert=CertSpec(["mx1.cert-selfsigned.test"], issuer="self"))])

    # --- odd but valid: all expected ok -------------------------------------
    b.scenario("txt-split.test", "STS and TLS-RPT TXT records split into several character-strings", "ok", [],
               sts=[["v=STSv1;", f" id={STS_ID[:8]}", f"{STS_ID[8:]};"]],
               tlsrpt=[["v=TLSRPTv1; ", "rua=mailto:tlsrpt@", "txt-split.test"]])
    b.scenario("txt-decoy.test", "unrelated TXT records beside the real ones (SPF-like, v=STSv1x, v=TLSRPTv1x)",
               "ok", [],
               sts=[["v=spf1 -all"], ["v=STSv1x; id=decoy;"], [f"v=STSv1; id={STS_ID};"]],
               tlsrpt=[["v=TLSRPTv1x; rua=mailto:decoy@txt-decoy.test"], ["site-verification=abc123"],
                       ["v=TLSRPTv1; rua=mailto:tlsrpt@txt-decoy.test"]])
    b.scenario("policy-lf.test", "policy lines end in LF only", "ok", [],
               policy=PolicyHost(names=["mta-sts.policy-lf.test"],
                                 body=policy_text("enforce", ["mx1.policy-lf.test"], eol="\n")))
    b.scenario("policy-charset.test", "policy served as 'text/plain; charset=utf-8'", "ok", [],
               policy=PolicyHost(names=["mta-sts.policy-charset.test"], charset="utf-8"))
    b.scenario("greeting-multiline.test", "MX greets with a multi-line 220- greeting", "ok", [],
               mx=[MXServer("mx1.greeting-multiline.test", kind="python",
                            behaviour={"greeting_lines": ["mx1.greeting-multiline.test ESMTP lab",
                                                          "no unsolicited bulk mail", "be nice"]})])
    b.scenario("starttls-last.test", "EHLO reply ends with '250 STARTTLS'", "ok", [],
               mx=[MXServer("mx1.starttls-last.test", kind="python", behaviour={"starttls_last": True})])
    wild_cert = CertSpec(["*.mail.wild.test"])
    b.scenario("wild.test", "policy 'mx: *.mail.wild.test' covers a.mail.wild.test and b.mail.wild.test "
               "(wildcard certificate)", "ok", [],
               mx=[MXServer("a.mail.wild.test", cert=wild_cert), MXServer("b.mail.wild.test", cert=wild_cert)],
               policy_mx=["*.mail.wild.test"])
    b.scenario("Mixed-Case.test", "mixed-case names: the domain as given and the policy's 'mx: mx1.MIXED-case.test' "
               "(NSD answers the MX rdata in lower case)",
               "ok", [], mx=[MXServer("mx1.mixed-case.test")], mx_records=[(10, "MX1.Mixed-Case.TEST.")],
               policy_mx=["mx1.MIXED-case.test"])
    b.scenario("trailing-dot.test.", "the domain is given with a trailing dot", "ok", [])
    b.scenario("cname.test", "mta-sts.cname.test is a CNAME to policy-server.cname.test", "ok", [],
               policy_cname=True)

    # --- IPv6 (left out when the kernel has IPv6 off) -------------------------
    if ipv6:
        b.scenario("v6-dual.test", "MX with an A and an AAAA on the lab's IPv6 prefix, STARTTLS with a valid "
                   "certificate on both", "ok", [],
                   mx=[MXServer("mx1.v6-dual.test", kind="python", aaaa="lab")])
        b.scenario("v6-only.test", "MX with only an AAAA on the lab's IPv6 prefix (no A record), STARTTLS with a "
                   "valid certificate", "ok", [],
                   mx=[MXServer("mx1.v6-only.test", kind="python", a_records=0, aaaa="lab")])
        b.scenario("v6-unroutable.test", f"MX with a working A and an AAAA in {b.w.unroutable_prefix}, which the "
                   "lab routes to 'unreachable' (connect fails at once); with ip_version auto, IPv6 works in the lab (the ULA)",
                   "warn", ["mx-unreachable"],
                   mx=[MXServer("mx1.v6-unroutable.test", kind="python", aaaa="unroutable")])
        b.scenario("v6-unroutable-only.test", f"MX with only an AAAA, in {b.w.unroutable_prefix} (connect fails "
                   "at once with 'no route'): with ip_version auto the lab's other IPv6 addresses work, so this MX is "
                   "unreachable; with ip_version 4 it is not probed and the domain is unknown", "crit", ["mx-unreachable"],
                   mx=[MXServer("mx1.v6-unroutable-only.test", kind="none", a_records=0, aaaa="unroutable")])

    # --- rate limits and tarpits ---------------------------------------------
    b.scenario("ratelimit-greeting.test", "MX greets every connection with '421 4.7.0 Too many connections, try "
               "again later' and closes: a rate limit, so unknown, never unreachable", "unknown", ["mx-rate-limited", "mx-not-probed"],
               mx=[MXServer("mx1.ratelimit-greeting.test", kind="python", behaviour={"rate_limit": "greeting"})])
    b.scenario("ratelimit-ehlo.test", "MX greets with 220, answers EHLO with '421 4.7.0 Rate limit exceeded' and "
               "closes: a rate limit, so unknown, never unreachable", "unknown", ["mx-rate-limited", "mx-not-probed"],
               mx=[MXServer("mx1.ratelimit-ehlo.test", kind="python", behaviour={"rate_limit": "ehlo"})])
    b.scenario("ratelimit-after-first.test", "the first connection in every 600 s window gets a normal session "
               "(STARTTLS, valid certificate), later ones the 421 greeting; ok for the first check only "
               "(stswatch-lab ctl reset-rate-limit opens a new window)", "ok", [],
               mx=[MXServer("mx1.ratelimit-after-first.test", kind="python",
                            behaviour={"rate_limit": "after-first", "rate_limit_window": 600})])
    tarpit_names = [f"mx{i}.tarpit.test" for i in range(1, 17)]
    # One certificate for all 16 names: no client ever gets far enough to see it, and each costs an openssl run.
    tarpit_cert = CertSpec(tarpit_names)
    tarpit = [MXServer(name, kind="python", a_records=8, a_block=TARPIT_BLOCK, cert=tarpit_cert,
                       behaviour={"stall": True, "stall_seconds": 300}) for name in tarpit_names]
    b.scenario("tarpit.test", "16 MX hosts with 8 A addresses each; all 128 accept TCP and never greet (closed "
               "after 300 s): every probe times out, and checking it must not hold up other domains",
               "crit", ["mx-unreachable"], mx=tarpit)
    # Every probe of it waits for a timeout: tests that check all scenarios leave it to the tarpit's own test.
    b.w.scenarios[-1].slow = True

    if bench_domains:
        _add_bench(b, bench_domains, bench_mx or 1)
    return b.w


def bench_domain_name(i: int) -> str:
    return f"d{i:05d}.bench.test"


def _add_bench(b: _Builder, n: int, m: int) -> None:
    """N domains sharing M Python MX hosts and one nginx address for all policy hosts."""
    if n > 99999:
        raise ValueError(f"--bench-domains {n}: at most 99999")
    if m > 1000:
        raise ValueError(f"--bench-mx {m}: at most 1000")
    P = b.w.prefix
    b.w.bench_policy_address = f"{P}.3.1"
    mx_names = []
    for k in range(m):
        addr = f"{P}.{4 + k // 250}.{1 + k % 250}"
        name = f"mx{k + 1}.bench.test"
        mx_names.append(name)
        b.w.bench_mx_addresses.append(addr)
        b.rr(f"{name}.", "A", addr)
    bench_cert = CertSpec(mx_names)
    for k, name in enumerate(mx_names):
        b.w.mx_servers.append(MXServer(hostname=name, address=b.w.bench_mx_addresses[k], kind="python",
                                       cert=bench_cert, bench=True))
    names = []
    for i in range(1, n + 1):
        d = bench_domain_name(i)
        b.w.bench_domains.append(d)
        names.append(f"mta-sts.{d}")
        b.rr(f"_mta-sts.{d}.", "TXT", txt(f"v=STSv1; id={STS_ID};"))
        b.rr(f"_smtp._tls.{d}.", "TXT", txt(f"v=TLSRPTv1; rua=mailto:tlsrpt@{d}"))
        b.rr(f"{d}.", "MX", f"10 {mx_names[(i - 1) % m]}.")
        b.rr(f"mta-sts.{d}.", "A", b.w.bench_policy_address)
    body = policy_text("enforce", ["*.bench.test"])
    for start in range(0, n, 500):
        chunk = names[start:start + 500]
        b.w.policy_hosts.append(PolicyHost(names=chunk, address=b.w.bench_policy_address,
                                           cert=CertSpec(chunk), body=body))
