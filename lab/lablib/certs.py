"""Certificates for the lab, made with the openssl CLI at start-up.

Every key is EC P-256 (key generation takes milliseconds). All leaf
certificates share one key: the lab tests names, issuers and dates, never key
separation, and one key saves a process per certificate. openssl runs are
started in parallel batches; `openssl ca` is used only for expired
certificates, because `-days` cannot go backwards in OpenSSL 3.0.
"""

from __future__ import annotations

import os
import subprocess
import time
from datetime import datetime, timedelta, timezone

from .world import CertSpec

OPENSSL_CNF = """\
[req]
distinguished_name = dn
prompt = no
[dn]
CN = unused
[leaf]
basicConstraints = critical,CA:FALSE
keyUsage = critical,digitalSignature
extendedKeyUsage = serverAuth,clientAuth
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid
[self]
basicConstraints = critical,CA:FALSE
keyUsage = critical,digitalSignature
extendedKeyUsage = serverAuth,clientAuth
subjectKeyIdentifier = hash
[ca_ext]
basicConstraints = critical,CA:TRUE
keyUsage = critical,keyCertSign,cRLSign
subjectKeyIdentifier = hash
"""

CA_CNF = """\
[ca]
default_ca = labca
[labca]
database = {db}
new_certs_dir = {newdir}
serial = {serial}
default_md = sha256
policy = anything
unique_subject = no
copy_extensions = copy
[anything]
commonName = supplied
[leaf]
basicConstraints = critical,CA:FALSE
keyUsage = critical,digitalSignature
extendedKeyUsage = serverAuth,clientAuth
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid
"""


class CertError(Exception):
    pass


def _run_all(cmds: list[tuple[list[str], dict | None]], parallel: int = 8) -> None:
    """Runs openssl commands, `parallel` at a time; raises with stderr on the first failure."""
    pending = list(cmds)
    running: list[tuple[subprocess.Popen, list[str]]] = []
    while pending or running:
        while pending and len(running) < parallel:
            argv, env = pending.pop(0)
            p = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                                 env={**os.environ, **(env or {})})
            running.append((p, argv))
        p, argv = running.pop(0)
        _, err = p.communicate(timeout=60)
        if p.returncode != 0:
            for q, _ in running:
                q.kill()
            raise CertError(f"openssl failed ({' '.join(argv[:4])} ...): {err.decode(errors='replace').strip()}")


class CertFactory:
    """Makes the lab CA, a rogue CA and leaf certificates under `directory`."""

    def __init__(self, directory: str, label: str):
        self.dir = directory
        os.makedirs(directory, exist_ok=True)
        self.cnf = os.path.join(directory, "openssl.cnf")
        with open(self.cnf, "w") as f:
            f.write(OPENSSL_CNF)
        self.ca_pem = os.path.join(directory, "ca.pem")
        self.ca_key = os.path.join(directory, "ca.key")
        self.rogue_pem = os.path.join(directory, "rogue-ca.pem")
        self.rogue_key = os.path.join(directory, "rogue-ca.key")
        self.leaf_key = os.path.join(directory, "leaf.key")
        self.label = label
        self._made: dict[tuple, str] = {}
        self._todo: list[tuple[CertSpec, str]] = []

    def make_authorities(self) -> None:
        ec = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes"]
        cmds = []
        for pem, key, cn in ((self.ca_pem, self.ca_key, f"stswatch lab CA {self.label}"),
                             (self.rogue_pem, self.rogue_key, f"stswatch rogue CA {self.label} (untrusted)")):
            cmds.append((["openssl", "req", "-config", self.cnf, "-x509", *ec, "-keyout", key, "-out", pem,
                          "-days", "3650", "-subj", f"/CN={cn}", "-extensions", "ca_ext"], None))
        cmds.append((["openssl", "genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256",
                      "-out", self.leaf_key], None))
        _run_all(cmds)

    def request(self, spec: CertSpec) -> str:
        """Returns the path the certificate for `spec` will have after `make_all`."""
        k = spec.key()
        if k not in self._made:
            path = os.path.join(self.dir, f"leaf-{len(self._made) + 1:04d}.pem")
            self._made[k] = path
            self._todo.append((spec, path))
        return self._made[k]

    def make_all(self) -> None:
        cmds = []
        for n, (spec, path) in enumerate(self._todo):
            san = "subjectAltName=" + ",".join(f"DNS:{name}" for name in spec.names)
            cn = spec.names[0][:64]
            if spec.days < 0:
                cmds.extend(self._expired_cmds(spec, path, n, san, cn))
                continue
            if spec.issuer == "self":
                signer = []
                ext = "self"
            else:
                ca_pem, ca_key = (self.ca_pem, self.ca_key) if spec.issuer == "lab" else (self.rogue_pem, self.rogue_key)
                signer = ["-CA", ca_pem, "-CAkey", ca_key]
                ext = "leaf"
            cmds.append((["openssl", "req", "-config", self.cnf, "-x509", "-new", "-key", self.leaf_key, *signer,
                          "-subj", f"/CN={cn}", "-addext", san, "-extensions", ext,
                          "-days", str(spec.days), "-set_serial", str(1000 + n), "-out", path], None))
        # Expired certificates need a CSR first: run requests, then signatures.
        first = [c for c in cmds if c[1] != "second"]
        second = [(argv, None) for argv, tag in cmds if tag == "second"]
        _run_all(first)
        _run_all(second)
        self._todo.clear()

    def _expired_cmds(self, spec: CertSpec, path: str, n: int, san: str, cn: str):
        if spec.issuer != "lab":
            raise CertError("expired certificates are only made by the lab CA")
        work = os.path.join(self.dir, f"ca-{n}")
        os.makedirs(work, exist_ok=True)
        open(os.path.join(work, "index"), "w").close()
        with open(os.path.join(work, "serial"), "w") as f:
            f.write(f"{5000 + n:04X}\n")
        cnf = os.path.join(work, "ca.cnf")
        with open(cnf, "w") as f:
            f.write(CA_CNF.format(db=os.path.join(work, "index"), newdir=work, serial=os.path.join(work, "serial")))
        now = datetime.now(timezone.utc)
        end = now + timedelta(days=spec.days)
        start = end - timedelta(days=30)
        fmt = "%Y%m%d%H%M%SZ"
        csr = os.path.join(work, "req.csr")
        return [
            (["openssl", "req", "-config", self.cnf, "-new", "-key", self.leaf_key, "-subj", f"/CN={cn}",
              "-addext", san, "-out", csr], None),
            (["openssl", "ca", "-batch", "-notext", "-config", cnf, "-extensions", "leaf", "-cert", self.ca_pem,
              "-keyfile", self.ca_key, "-startdate", start.strftime(fmt), "-enddate", end.strftime(fmt),
              "-in", csr, "-out", path], "second"),
        ]
