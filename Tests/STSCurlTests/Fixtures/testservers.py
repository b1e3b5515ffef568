#!/usr/bin/env python3
"""Scriptable loopback servers for the STSCurl tests.

Reads a JSON plan (path in argv[1]) listing listeners, binds each to an
ephemeral port, prints one JSON line {name: port} and serves until its
standard input closes (the test process ended). Every socket has a timeout,
so no thread outlives a stuck peer for long.

Listener kinds:
  https   TLS HTTP/1.1; the response is chosen by the Host header's scenario label
          (mta-sts.<label>.test); cert/key give the certificate.
  smtp    greeting, EHLO reply, STARTTLS behaviour from the plan.
  silent  accepts and never says anything.
  closed  a port that was bound then closed: connections are refused.
"""
import json
import os
import socket
import ssl
import sys
import threading

PEER_TIMEOUT = 30
POLICY = (b"version: STSv1\r\nmode: enforce\r\nmx: mx.clean.test\r\n"
          b"mx: *.backup.test\r\nmax_age: 86400\r\n")


def read_until(conn, marker, limit=65536):
    data = b""
    while marker not in data:
        chunk = conn.recv(4096)
        if not chunk:
            return None
        data += chunk
        if len(data) > limit:
            return None
    return data


def http_response(label):
    """(status line, headers, body, chunked) for a scenario label."""
    big = b"x" * 100_000
    table = {
        "clean": ("200 OK", {"Content-Type": "text/plain"}, POLICY, False),
        "charset": ("200 OK", {"Content-Type": "text/plain; charset=utf-8"}, POLICY, False),
        "uppercase": ("200 OK", {"Content-Type": "TEXT/Plain ; Charset=UTF-8"}, POLICY, False),
        "notfound": ("404 Not Found", {"Content-Type": "text/plain"}, b"no policy here\n", False),
        "moved": ("301 Moved Permanently",
                  {"Content-Type": "text/html", "Location": "https://www.moved.test/policy.txt"},
                  b"<a>moved</a>", False),
        "html": ("200 OK", {"Content-Type": "text/html"}, POLICY, False),
        "notype": ("200 OK", {}, POLICY, False),
        "big": ("200 OK", {"Content-Type": "text/plain"}, big, False),
        "bigchunked": ("200 OK", {"Content-Type": "text/plain"}, big, True),
    }
    return table.get(label, ("500 Internal Server Error", {"Content-Type": "text/plain"},
                             b"unknown scenario\n", False))


def serve_https(conn, spec, context):
    try:
        tls = context.wrap_socket(conn, server_side=True)
    except (ssl.SSLError, OSError):
        return  # clients that reject the certificate end the handshake
    with tls:
        request = read_until(tls, b"\r\n\r\n")
        if request is None:
            return
        host = ""
        for line in request.split(b"\r\n")[1:]:
            name, _, value = line.partition(b":")
            if name.strip().lower() == b"host":
                host = value.strip().decode("ascii", "replace")
        labels = host.split(":")[0].split(".")
        label = labels[1] if len(labels) >= 3 and labels[0] == "mta-sts" else ""
        status, headers, body, chunked = http_response(label)
        head = "HTTP/1.1 %s\r\n" % status
        for name, value in headers.items():
            head += "%s: %s\r\n" % (name, value)
        head += "Connection: close\r\n"
        if chunked:
            head += "Transfer-Encoding: chunked\r\n\r\n"
            tls.sendall(head.encode())
            for start in range(0, len(body), 8192):
                piece = body[start:start + 8192]
                try:
                    tls.sendall(b"%x\r\n%s\r\n" % (len(piece), piece))
                except OSError:
                    return  # the client stopped reading at its limit
            tls.sendall(b"0\r\n\r\n")
        else:
            head += "Content-Length: %d\r\n\r\n" % len(body)
            try:
                tls.sendall(head.encode() + body)
            except OSError:
                return


def send_lines(conn, lines):
    conn.sendall("".join(line + "\r\n" for line in lines).encode())


def serve_smtp(conn, spec, context):
    """One SMTP session as the plan scripts it; returns when the client leaves."""
    if spec.get("never_greet"):
        read_until(conn, b"\x00never")
        return
    send_lines(conn, spec["greeting"])
    stream = conn
    buffer = b""
    tls_active = False
    while True:
        while b"\r\n" not in buffer:
            chunk = stream.recv(4096)
            if not chunk:
                return
            buffer += chunk
            if len(buffer) > 8192:
                return
        line, _, buffer = buffer.partition(b"\r\n")
        verb = line.split(b" ")[0].upper()
        if verb in (b"EHLO", b"HELO"):
            send_lines(stream, spec["ehlo_tls"] if tls_active else spec["ehlo"])
        elif verb == b"STARTTLS" and not tls_active:
            send_lines(stream, [spec.get("starttls_reply", "220 2.0.0 ready to start TLS")])
            if not spec.get("starttls_reply", "220").startswith("220"):
                continue
            if spec.get("after_starttls") == "garbage":
                stream.sendall(b"this is not a TLS server hello\r\n" * 4)
                read_until(stream, b"\x00never")
                return
            try:
                stream = context.wrap_socket(conn, server_side=True)
            except (ssl.SSLError, OSError):
                return
            tls_active = True
            buffer = b""
        elif verb == b"QUIT":
            log_event(spec, "quit")
            send_lines(stream, ["221 2.0.0 bye"])
            return
        else:
            send_lines(stream, ["502 5.5.2 command not recognised"])


EVENTS = {}
EVENTS_LOCK = threading.Lock()


def log_event(spec, event):
    with EVENTS_LOCK:
        EVENTS.setdefault(spec["name"], []).append(event)


def handle(conn, spec, context):
    conn.settimeout(PEER_TIMEOUT)
    try:
        if spec["kind"] == "https":
            serve_https(conn, spec, context)
        elif spec["kind"] == "smtp":
            serve_smtp(conn, spec, context)
        elif spec["kind"] == "silent":
            read_until(conn, b"\x00never")
    except OSError:
        pass
    finally:
        try:
            conn.close()
        except OSError:
            pass


def accept_loop(listener, spec, context):
    while True:
        try:
            conn, _ = listener.accept()
        except OSError:
            return
        threading.Thread(target=handle, args=(conn, spec, context), daemon=True).start()


def tls_context(spec):
    if "cert" not in spec:
        return None
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(spec["cert"], spec["key"])
    context.set_alpn_protocols(["http/1.1"])
    return context


def main():
    with open(sys.argv[1]) as plan_file:
        plan = json.load(plan_file)
    ports = {}
    for spec in plan["listeners"]:
        listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind((plan["address"], 0))
        ports[spec["name"]] = listener.getsockname()[1]
        if spec["kind"] == "closed":
            listener.close()
            continue
        listener.listen(256)
        threading.Thread(target=accept_loop, args=(listener, spec, tls_context(spec)), daemon=True).start()
    print(json.dumps(ports), flush=True)
    # Serve until the test process closes our stdin; answer "events NAME" queries meanwhile.
    for line in sys.stdin:
        words = line.split()
        if len(words) == 2 and words[0] == "events":
            with EVENTS_LOCK:
                print(json.dumps(EVENTS.get(words[1], [])), flush=True)
    os._exit(0)


if __name__ == "__main__":
    main()
