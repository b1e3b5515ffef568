#!/usr/bin/env python3
"""Scripted servers for the misbehaving corners of the lab, in one asyncio process.

- "smtp": an SMTP server with STARTTLS whose faults are switched on by a
  `behaviour` dict (see SMTPBehaviour); also serves the benchmark MX hosts.
- "strip-proxy": an on-path attacker in front of a real MX that hides
  STARTTLS in the EHLO reply (250-STARTTLS -> 250-XSTART) and refuses the
  STARTTLS command itself.
- "silent": accepts TCP and never answers (a policy host that times out).

Listening addresses may be IPv4 or IPv6. Connections are counted per
listening address; a Unix socket (`control` in the config) answers every
connection with the counts as JSON, so `stswatch-lab stats` sees exact, live
figures. A second Unix socket (`commands`) takes one command line per
connection and answers one JSON line: `reset-rate-limit [ADDRESS]` opens a new
rate-limit window (see SMTPServer), `counts` repeats the counts.

Input from clients is hostile: lines are capped at 1000 bytes and every
connection has an idle timeout.
"""

import asyncio
import json
import os
import signal
import ssl
import sys
import time
from collections import Counter

MAX_LINE = 1000
IDLE = 30.0
SILENT_HOLD = 120.0
STALL_HOLD = 300.0
RATE_LIMIT_WINDOW = 600.0

# Connections per listening address, kept apart by protocol: "smtp" (SMTP and the proxy) and "https".
# "smtp_open" is a gauge, not a count: SMTP connections open right now (a tarpit shows whether probes let go).
counts: dict[str, Counter] = {"smtp": Counter(), "https": Counter(), "smtp_open": Counter()}
# SMTP servers by listening address, for commands that reach into one (reset-rate-limit).
smtp_servers: dict[str, "SMTPServer"] = {}


class LineTooLong(Exception):
    pass


async def read_line(reader: asyncio.StreamReader, timeout: float = IDLE) -> bytes | None:
    """One CRLF- (or LF-) terminated line without its ending; None at EOF."""
    try:
        line = await asyncio.wait_for(reader.readuntil(b"\n"), timeout)
    except asyncio.IncompleteReadError:
        return None
    except asyncio.LimitOverrunError:
        raise LineTooLong()
    return line.rstrip(b"\r\n")


async def send(writer: asyncio.StreamWriter, *lines: str) -> None:
    writer.write("".join(l + "\r\n" for l in lines).encode())
    await writer.drain()


def reply(code: int, lines: list[str]) -> list[str]:
    """A possibly multi-line reply: `250-a`, `250-b`, `250 c`."""
    return [f"{code}{'-' if i < len(lines) - 1 else ' '}{text}" for i, text in enumerate(lines)]


class SMTPServer:
    """behaviour keys (all optional):
    greeting_code (220), greeting_lines ([hostname ESMTP]), never_greet (False),
    starttls (True: offer it), starttls_last (False: '250 STARTTLS' ends the EHLO reply),
    starttls_reply ("220" | "454" | "garbage"),
    rate_limit: "greeting" (every connection is greeted with TOO_MANY and closed),
        "ehlo" (220, then EHLO/HELO is answered with RATE_EXCEEDED and the connection closed),
        "after-first" (per listening address, the first connection of every rate_limit_window
        seconds, default 600, gets a normal session; the others the TOO_MANY greeting; the
        `reset-rate-limit` command starts a new window at the next connection),
    stall (False: accept, never send a byte, read and drop until the client leaves or
        stall_seconds, default 300, pass).
    """

    TOO_MANY = "421 4.7.0 Too many connections, try again later"
    RATE_EXCEEDED = "421 4.7.0 Rate limit exceeded"

    def __init__(self, conf: dict):
        self.conf = conf
        self.b = conf.get("behaviour") or {}
        self.hostname = conf["hostname"]
        self.ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        self.ctx.load_cert_chain(conf["cert"], conf["key"])
        # Start of the current "after-first" window (monotonic seconds); None: the next connection opens one.
        self.window_start: float | None = None
        smtp_servers[conf["address"]] = self

    def reset_rate_limit(self) -> None:
        self.window_start = None

    def over_rate_limit(self) -> bool:
        """Whether this connection is turned away; the first of a window opens it and passes."""
        mode = self.b.get("rate_limit")
        if mode == "greeting":
            return True
        if mode != "after-first":
            return False
        now = time.monotonic()
        window = float(self.b.get("rate_limit_window", RATE_LIMIT_WINDOW))
        if self.window_start is None or now - self.window_start >= window:
            self.window_start = now
            return False
        return True

    def ehlo_lines(self, arg: str, tls: bool) -> list[str]:
        ext = ["PIPELINING", "SIZE 10240000", "ENHANCEDSTATUSCODES", "8BITMIME"]
        offer = self.b.get("starttls", True) and not tls
        if offer:
            if self.b.get("starttls_last"):
                ext.append("STARTTLS")
            else:
                ext.insert(2, "STARTTLS")
        return reply(250, [f"{self.hostname} greets {arg or 'you'}"] + ext)

    async def handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        address = self.conf["address"]
        counts["smtp"][address] += 1
        counts["smtp_open"][address] += 1
        try:
            await self.session(reader, writer)
        except (LineTooLong, asyncio.TimeoutError, ConnectionError, ssl.SSLError, OSError):
            pass
        finally:
            counts["smtp_open"][address] -= 1
            writer.close()

    async def session(self, reader, writer) -> None:
        b = self.b
        if b.get("never_greet"):
            # Hold the connection open without a word until the client gives up.
            await Silent.drain(reader)
            return
        if b.get("stall"):
            # A tarpit: like never_greet, but held for longer, so only the client's own timeout ends it.
            await Silent.drain(reader, float(b.get("stall_seconds", STALL_HOLD)))
            return
        if self.over_rate_limit():
            await send(writer, self.TOO_MANY)
            return
        code = int(b.get("greeting_code", 220))
        lines = b.get("greeting_lines") or [f"{self.hostname} ESMTP stswatch-lab"]
        if code != 220:
            lines = [f"{self.hostname} {'service not available, closing' if code == 421 else 'no SMTP service here'}"]
        await send(writer, *reply(code, lines))
        if code == 421:
            return
        tls = False
        while True:
            raw = await read_line(reader)
            if raw is None:
                return
            line = raw.decode("ascii", "replace")
            verb, _, arg = line.partition(" ")
            verb = verb.upper()
            if verb == "QUIT":
                await send(writer, "221 2.0.0 Bye")
                return
            if code != 220:
                await send(writer, "503 5.5.1 No SMTP service here")
                continue
            if verb in ("EHLO", "HELO") and b.get("rate_limit") == "ehlo":
                await send(writer, self.RATE_EXCEEDED)
                return
            if verb in ("EHLO", "HELO"):
                if verb == "HELO":
                    await send(writer, f"250 {self.hostname}")
                else:
                    await send(writer, *self.ehlo_lines(arg.strip(), tls))
            elif verb == "STARTTLS" and not tls and b.get("starttls", True):
                how = b.get("starttls_reply", "220")
                if how == "454":
                    await send(writer, "454 4.7.0 TLS not available due to temporary reason")
                    continue
                await send(writer, "220 2.0.0 Ready to start TLS")
                if how == "garbage":
                    writer.write(b"this is not a TLS server hello\r\n" * 8)
                    await writer.drain()
                    return
                await writer.start_tls(self.ctx, ssl_handshake_timeout=IDLE)
                tls = True
            elif verb in ("NOOP", "RSET"):
                await send(writer, "250 2.0.0 OK")
            elif verb in ("MAIL", "RCPT", "DATA", "BDAT", "VRFY", "EXPN"):
                await send(writer, "550 5.7.1 the stswatch lab accepts no mail")
            else:
                await send(writer, "502 5.5.2 Command not recognized")


class StripProxy:
    """The downgrade attacker: relays SMTP to `upstream`, hiding STARTTLS."""

    def __init__(self, conf: dict):
        self.conf = conf

    async def handle(self, creader, cwriter) -> None:
        counts["smtp"][self.conf["address"]] += 1
        try:
            sreader, swriter = await asyncio.wait_for(
                asyncio.open_connection(self.conf["upstream"], self.conf["upstream_port"], limit=MAX_LINE + 2), 5)
        except (OSError, asyncio.TimeoutError):
            cwriter.close()
            return

        async def downstream():
            while (line := await read_line(sreader)) is not None:
                if line[4:].upper() == b"STARTTLS":
                    line = line[:4] + b"XSTART"
                cwriter.write(line + b"\r\n")
                await cwriter.drain()

        async def upstream():
            while (line := await read_line(creader)) is not None:
                if line.strip().upper() == b"STARTTLS":
                    cwriter.write(b"502 5.5.1 Unrecognized command\r\n")
                    await cwriter.drain()
                    continue
                swriter.write(line + b"\r\n")
                await swriter.drain()

        tasks = [asyncio.ensure_future(downstream()), asyncio.ensure_future(upstream())]
        try:
            await asyncio.wait(tasks, return_when=asyncio.FIRST_COMPLETED)
        finally:
            for t in tasks:
                t.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)
            swriter.close()
            cwriter.close()


class Silent:
    def __init__(self, conf: dict):
        self.conf = conf

    async def handle(self, reader, writer) -> None:
        counts["https"][self.conf["address"]] += 1
        try:
            await self.drain(reader)
        finally:
            writer.close()

    @staticmethod
    async def drain(reader, hold: float = SILENT_HOLD) -> None:
        """Reads and drops what arrives until the client leaves or `hold` seconds pass."""
        async def loop():
            while await reader.read(4096):
                pass
        try:
            await asyncio.wait_for(loop(), hold)
        except (asyncio.TimeoutError, OSError):
            pass


def counts_json() -> dict:
    # Zeros are dropped from the gauge so a finished tarpit reads as empty.
    return {k: {a: n for a, n in v.items() if n or k != "smtp_open"} for k, v in counts.items()}


async def control(reader, writer) -> None:
    writer.write(json.dumps(counts_json()).encode())
    await writer.drain()
    writer.close()


def run_command(line: str) -> dict:
    """One command from the `commands` socket; the answer is a JSON object (with "error" on failure)."""
    word, _, arg = line.strip().partition(" ")
    arg = arg.strip()
    if word == "counts":
        return counts_json()
    if word == "reset-rate-limit":
        targets = [s for a, s in smtp_servers.items() if s.b.get("rate_limit") == "after-first" and arg in ("", a)]
        if arg and not targets:
            return {"error": f"no 'after-first' rate-limited SMTP server listens on {arg}"}
        for s in targets:
            s.reset_rate_limit()
        return {"reset": sorted(s.conf["address"] for s in targets)}
    return {"error": f"unknown command {word!r}; known: counts, reset-rate-limit [ADDRESS]"}


async def commands(reader, writer) -> None:
    try:
        line = await read_line(reader, 5)
        answer = run_command(line.decode("utf-8", "replace")) if line is not None else {"error": "no command"}
    except (LineTooLong, asyncio.TimeoutError, OSError):
        answer = {"error": "no command line within 5 s and 1000 bytes"}
    try:
        writer.write(json.dumps(answer).encode() + b"\n")
        await writer.drain()
    except OSError:
        pass
    writer.close()


async def main(path: str) -> None:
    with open(path) as f:
        conf = json.load(f)
    servers = []
    for l in conf["listeners"]:
        handler = {"smtp": SMTPServer, "strip-proxy": StripProxy, "silent": Silent}[l["kind"]](l)
        servers.append(await asyncio.start_server(handler.handle, l["address"], l["port"], reuse_address=True,
                                                  limit=MAX_LINE + 2, backlog=1024))
    for key, serve in (("control", control), ("commands", commands)):
        sock = conf.get(key)
        if not sock:
            continue
        if os.path.exists(sock):
            os.unlink(sock)
        servers.append(await asyncio.start_unix_server(serve, sock, limit=MAX_LINE + 2))
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    print(f"pysrv: {len(conf['listeners'])} listeners ready", file=sys.stderr, flush=True)
    await stop.wait()
    for s in servers:
        s.close()


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit("usage: pysrv.py CONFIG.json")
    asyncio.run(main(sys.argv[1]))
