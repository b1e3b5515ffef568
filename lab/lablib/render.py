"""Writes a `World` out as configuration for NSD, nginx, Postfix and pysrv."""

from __future__ import annotations

import grp
import json
import os
import pwd

from .certs import CertFactory
from .world import World


def write_nsd(world: World, d: str) -> str:
    """One `test.` zone with every record, plus one unloadable zone per SERVFAIL name."""
    os.makedirs(d, exist_ok=True)
    ns = world.resolver_address
    lines = [
        "$ORIGIN test.",
        "$TTL 60",
        "@ SOA ns.test. hostmaster.test. 1 3600 600 86400 60",
        "@ NS ns.test.",
        f"ns A {ns}",
    ]
    lines += [f"{owner} {rtype} {rdata}" for owner, rtype, rdata in world.records]
    with open(os.path.join(d, "test.zone"), "w") as f:
        f.write("\n".join(lines) + "\n")
    with open(os.path.join(d, "servfail.zone"), "w") as f:
        f.write("; deliberately not a zone file: NSD answers SERVFAIL for a zone it cannot load\n"
                "this is not a resource record !\n")
    conf = f"""\
server:
  ip-address: {ns}@53
  username: ""
  database: ""
  zonesdir: "{d}"
  zonelistfile: "{d}/zone.list"
  xfrdfile: "{d}/xfrd.state"
  pidfile: "{d}/nsd.pid"
  logfile: "{d}/nsd.log"
  verbosity: 0
  server-count: 1
  tcp-count: 200
  hide-version: yes
  minimal-responses: yes
  refuse-any: yes
  rrl-ratelimit: 0
  rrl-whitelist-ratelimit: 0
remote-control:
  control-enable: no
zone:
  name: "test."
  zonefile: "test.zone"
"""
    for z in world.servfail_zones:
        conf += f'zone:\n  name: "{z}"\n  zonefile: "servfail.zone"\n'
    path = os.path.join(d, "nsd.conf")
    with open(path, "w") as f:
        f.write(conf)
    return path


def write_nginx(world: World, d: str, certs: CertFactory) -> str:
    os.makedirs(d, exist_ok=True)
    for sub in ("tmp", "www"):
        os.makedirs(os.path.join(d, sub), exist_ok=True)
    servers = []
    bench_default_done = False
    for i, host in enumerate(world.policy_hosts):
        if host.kind != "nginx":
            continue
        root = os.path.join(d, "www", f"h{i:04d}")
        if host.body is not None:
            # Bench hosts all serve the same bytes: write once per distinct body is not worth the code.
            os.makedirs(os.path.join(root, ".well-known"), exist_ok=True)
            with open(os.path.join(root, ".well-known", "mta-sts.txt"), "wb") as f:
                f.write(host.body)
        cert = certs.request(host.cert)
        default = ""
        if host.address == world.bench_policy_address:
            if not bench_default_done:
                default = " default_server"
                bench_default_done = True
        else:
            default = " default_server"
        if host.redirect:
            location = f"return 301 {host.redirect};"
        else:
            ctype = host.content_type
            location = f'default_type "{ctype}";'
            if host.charset:
                location += f" charset {host.charset}; charset_types {ctype};"
        servers.append(f"""\
  server {{
    listen {host.address}:443 ssl{default};
    server_name {' '.join(host.names)};
    ssl_certificate {cert};
    ssl_certificate_key {certs.leaf_key};
    root {root};
    location = /.well-known/mta-sts.txt {{ {location} }}
    location / {{ return 404; }}
  }}
""")
    conf = f"""\
user root root;
worker_processes 1;
daemon off;
master_process on;
pid {d}/nginx.pid;
error_log {d}/error.log warn;
events {{ worker_connections 4096; }}
http {{
  log_format lab '$server_addr $ssl_server_name $status';
  access_log {d}/access.log lab;
  client_body_temp_path {d}/tmp/body;
  proxy_temp_path {d}/tmp/proxy;
  fastcgi_temp_path {d}/tmp/fastcgi;
  uwsgi_temp_path {d}/tmp/uwsgi;
  scgi_temp_path {d}/tmp/scgi;
  server_names_hash_max_size 131072;
  server_names_hash_bucket_size 128;
  types {{ }}
  default_type text/plain;
  server_tokens off;
  keepalive_timeout 10s;
  client_header_timeout 10s;
  ssl_protocols TLSv1.2 TLSv1.3;
  ssl_session_cache shared:lab:10m;
{''.join(servers)}}}
"""
    path = os.path.join(d, "nginx.conf")
    with open(path, "w") as f:
        f.write(conf)
    return path


def postfix_servers(world: World):
    return [s for s in world.mx_servers if s.kind == "postfix"]


def write_postfix(world: World, d: str, queue: str, certs: CertFactory) -> str:
    """A private Postfix instance: main.cf, master.cf with one smtpd per MX address, a queue tree.

    The queue lives outside DIR (in /tmp) because Postfix daemons run as the
    `postfix` user and DIR may sit inside a directory only root can enter.
    """
    os.makedirs(d, exist_ok=True)
    pf = pwd.getpwnam("postfix")
    postdrop = grp.getgrnam("postdrop").gr_gid
    os.chmod(queue, 0o755)
    for sub in ("pid",):
        os.makedirs(os.path.join(queue, sub), exist_ok=True)
    for sub in ("private", "public", "maildrop", "incoming", "active", "deferred", "defer", "bounce", "flush",
                "hold", "corrupt", "trace", "saved", "data"):
        p = os.path.join(queue, sub)
        os.makedirs(p, exist_ok=True)
        os.chown(p, pf.pw_uid, postdrop if sub in ("public", "maildrop") else pf.pw_gid)
        os.chmod(p, 0o710 if sub == "public" else 0o730 if sub == "maildrop" else 0o700)
    main = f"""\
compatibility_level = 3.6
queue_directory = {queue}
data_directory = {queue}/data
mail_owner = postfix
setgid_group = postdrop
myhostname = mx.lab.test
mydomain = lab.test
mydestination =
inet_interfaces = all
inet_protocols = ipv4
mynetworks = 127.0.0.0/8
smtpd_banner = $myhostname ESMTP stswatch-lab
smtpd_peername_lookup = no
smtpd_client_connection_count_limit = 0
smtpd_client_connection_rate_limit = 0
smtpd_tls_security_level = may
smtpd_tls_loglevel = 0
smtpd_tls_session_cache_database =
smtpd_recipient_restrictions = reject
smtpd_relay_restrictions = reject
alias_maps =
alias_database =
local_recipient_maps =
biff = no
maillog_file = {d}/postfix.log
maillog_file_prefixes = {d}
default_process_limit = 200
smtpd_timeout = 30s
"""
    lines = [
        "# service type private unpriv chroot wakeup maxproc command",
        "postlog unix-dgram n - n - 1 postlogd",
        "tlsmgr unix - - n 1000? 1 tlsmgr",
        "anvil unix - - n - 1 anvil",
        "rewrite unix - - n - - trivial-rewrite",
        "cleanup unix n - n - 0 cleanup",
        "proxymap unix - - n - - proxymap",
        "bounce unix - - n - 0 bounce",
        "defer unix - - n - 0 bounce",
        "trace unix - - n - 0 bounce",
        "verify unix - - n - 1 verify",
        "scache unix - - n - 1 scache",
    ]
    for s in postfix_servers(world):
        cert = certs.request(s.cert)
        lines.append(f"{s.address}:25 inet n - n - - smtpd -o syslog_name=labmx-{s.address} "
                     f"-o myhostname={s.hostname} -o smtpd_tls_cert_file={cert} "
                     f"-o smtpd_tls_key_file={certs.leaf_key}")
    with open(os.path.join(d, "main.cf"), "w") as f:
        f.write(main)
    with open(os.path.join(d, "master.cf"), "w") as f:
        f.write("\n".join(lines) + "\n")
    open(os.path.join(d, "postfix.log"), "a").close()
    return d


def write_pysrv(world: World, d: str, certs: CertFactory) -> str:
    """Configuration for lab/servers/pysrv.py: scripted SMTP, the attacker proxy, silent HTTPS."""
    listeners = []
    for s in world.mx_servers:
        if s.kind == "python":
            listeners.append({"kind": "smtp", "address": s.address, "port": 25, "hostname": s.hostname,
                              "cert": certs.request(s.cert), "key": certs.leaf_key, "behaviour": s.behaviour,
                              "bench": s.bench})
        elif s.kind == "proxy":
            listeners.append({"kind": "strip-proxy", "address": s.address, "port": 25, "upstream": s.upstream,
                              "upstream_port": 25})
    for h in world.policy_hosts:
        if h.kind == "silent":
            listeners.append({"kind": "silent", "address": h.address, "port": 443})
    conf = {"control": os.path.join(d, "pysrv.sock"), "commands": os.path.join(d, "commands.sock"),
            "listeners": listeners}
    os.makedirs(d, exist_ok=True)
    path = os.path.join(d, "pysrv.json")
    with open(path, "w") as f:
        json.dump(conf, f, indent=1)
    return path


def tcp_listeners(world: World) -> list[tuple[str, int]]:
    """Every TCP address:port the lab listens on (for the in-use check and readiness)."""
    out = set()
    for h in world.policy_hosts:
        out.add((h.address, 443))
    for s in world.mx_servers:
        if s.kind != "none":
            out.add((s.address, 25))
    out.add((world.resolver_address, 53))
    return sorted(out)


def all_addresses(world: World) -> list[tuple[str, int]]:
    """Also the addresses where nothing must listen (mx-unreachable): they must be free too.

    Addresses in the unreachable prefix are not among them: nothing can bind there.
    """
    out = set(tcp_listeners(world))
    for s in world.mx_servers:
        out.add((s.address, 25))
    return sorted(out)
