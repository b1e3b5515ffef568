"""The lab's IPv6 addresses on `lo` and its `unreachable` routes: added at start, removed at stop.

IPv4 needs none of this (all of 127.0.0.0/8 is local on Linux). For IPv6 the
lab adds single /128 addresses from its own ULA /64 to `lo` (with `nodad`, so
they are usable at once) and routes two /64s to `unreachable`: the
documentation prefix its unroutable scenarios publish, and the rest of its ULA
/64. Either would otherwise follow the machine's default route out of eth0;
with the route a connect fails at once with EHOSTUNREACH and no packet leaves.

Adding is idempotent: an address or route left behind by a lab that was
killed together with its reaper is adopted, not an error. Removing what is
already gone is not an error either, so the lab and its reaper may both try.
"""

from __future__ import annotations

import ipaddress
import subprocess


class LoopbackError(Exception):
    pass


def ipv6_available() -> bool:
    """Whether `lo` can carry IPv6 (containers often start with it switched off)."""
    try:
        with open("/proc/sys/net/ipv6/conf/lo/disable_ipv6") as f:
            return f.read().strip() == "0"
    except OSError:
        return False


def _ip(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(["ip", "-6", *args], capture_output=True, text=True, timeout=10)


def lo_ipv6_addresses() -> set[str]:
    """Every IPv6 address on `lo` right now, in canonical text (from /proc, no process started)."""
    out = set()
    try:
        with open("/proc/net/if_inet6") as f:
            for line in f:
                parts = line.split()
                if len(parts) >= 6 and parts[5] == "lo":
                    out.add(str(ipaddress.IPv6Address(int(parts[0], 16))))
    except OSError:
        pass
    return out


def unreachable_routes() -> set[str]:
    """Prefixes routed to `unreachable` in the main table, in canonical text."""
    r = _ip("route", "show", "type", "unreachable")
    out = set()
    for line in r.stdout.splitlines():
        words = line.split()
        # "unreachable 2001:db8:57:88::/64 dev lo metric 1024 ..." (older ip omit the type word).
        for w in words[:2]:
            if "/" in w or ":" in w:
                try:
                    out.add(str(ipaddress.IPv6Network(w if "/" in w else w + "/128")))
                except ValueError:
                    pass
                break
    return out


def add_address(address: str) -> None:
    r = _ip("addr", "add", f"{address}/128", "dev", "lo", "nodad")
    if r.returncode != 0 and address not in lo_ipv6_addresses():
        raise LoopbackError(f"cannot add {address}/128 to lo: {r.stderr.strip()}")


def add_unreachable_route(prefix: str) -> None:
    r = _ip("route", "add", "unreachable", prefix)
    if r.returncode != 0 and prefix not in unreachable_routes():
        raise LoopbackError(f"cannot route {prefix} to unreachable: {r.stderr.strip()}")


def remove_address(address: str) -> str | None:
    """Removes one address from `lo`; returns a complaint, or None when it is gone (or never was there)."""
    r = _ip("addr", "del", f"{address}/128", "dev", "lo")
    if r.returncode != 0 and address in lo_ipv6_addresses():
        return f"cannot remove {address} from lo: {r.stderr.strip()}"
    return None


def remove_unreachable_route(prefix: str) -> str | None:
    r = _ip("route", "del", "unreachable", prefix)
    if r.returncode != 0 and prefix in unreachable_routes():
        return f"cannot remove the unreachable route {prefix}: {r.stderr.strip()}"
    return None


def set_up(routes: list[str], addresses: list[str]) -> None:
    """Routes first: from the moment an address of the /64 exists, its neighbours must not leak."""
    for prefix in routes:
        add_unreachable_route(prefix)
    for address in addresses:
        add_address(address)


def tear_down(routes: list[str], addresses: list[str]) -> list[str]:
    """Addresses first, routes last (the reverse of set_up); returns complaints, empty when all is gone."""
    problems = [p for a in addresses if (p := remove_address(a))]
    problems += [p for r in routes if (p := remove_unreachable_route(r))]
    return problems
