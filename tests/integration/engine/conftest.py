# Copyright: rsp.dnssec contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt)
"""Fixtures for the engine / parent / observation tests: real SoftHSM2 tokens,
real knotd processes on 127.0.0.1 (ports 15400-15599), a lab parent zone.

* ``token``: the shared ``softhsm`` token (a fresh SoftHSM2 token in its own
  SOFTHSM2_CONF); ``token.keygen`` makes key pairs with ``pkcs11-tool`` (opensc).
* ``knot_factory``: starts knotd instances from a list of zones; each has its
  own rundir, storage, KASP database and control socket under ``tmp_path``
  and is stopped at the end of the test.
* ``signer``: a knotd signing ``example.`` with a manual policy rendered by the
  adapter and a PKCS#11 keystore on ``token`` (no keys yet).
* ``lab``: ``signer`` plus a parent knotd serving a signed lab root ``.``
  (software keys), which delegates ``example.`` and accepts TSIG updates.
"""

from __future__ import annotations

import base64
import os
import random
import secrets
import shutil
import socket
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import dns.message
import dns.name
import dns.query
import dns.rdatatype
import dns.zone
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))  # engine_helpers, whatever the rootdir layout

from engine_helpers import LAB_TTL, ROOT_ZONE

from ansible_collections.rsp.dnssec.plugins.module_utils.dnssec.engine.knot import (
    KnotAdapter,
    render_keystore,
    render_policy,
)
from ansible_collections.rsp.dnssec.plugins.module_utils.dnssec.observe import Server

PORT_RANGE = (15400, 15599)
SOFTHSM_MODULE = "/usr/lib/softhsm/libsofthsm2.so"
TOOLS = {"knotd": "knot", "knotc": "knot", "keymgr": "knot", "softhsm2-util": "softhsm2",
         "pkcs11-tool": "opensc", "ldns-verify-zone": "ldnsutils"}


def require_tools() -> None:
    """Fail (not skip: a missing daemon must not look like a green run)."""
    missing = [f"{tool} (apt package {package})" for tool, package in TOOLS.items()
               if shutil.which(tool) is None and not os.path.exists(f"/usr/sbin/{tool}")]
    if missing:
        pytest.fail("these tests need " + ", ".join(missing) + ": install them (tools/setup.sh)")


def free_port(address: str = "127.0.0.1") -> int:
    """A port in PORT_RANGE free for UDP and TCP on ``address`` (random start:
    concurrent test runs rarely collide; knotd start failures are retried)."""
    ports = list(range(PORT_RANGE[0], PORT_RANGE[1] + 1))
    random.shuffle(ports)
    for port in ports:
        try:
            with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as udp, \
                    socket.socket(socket.AF_INET, socket.SOCK_STREAM) as tcp:
                udp.bind((address, port))
                tcp.bind((address, port))
                return port
        except OSError:
            continue
    raise RuntimeError(f"no free port in {PORT_RANGE} on {address}")


@dataclass
class Token:
    """The shared ``softhsm`` token (tests/integration/conftest.py) plus key
    generation with ``pkcs11-tool`` and a listing of the token's private keys."""

    hsm: object  # helpers.SoftHSM

    @property
    def label(self) -> str:
        return self.hsm.label

    @property
    def pin(self) -> str:
        return self.hsm.pin

    @property
    def module(self) -> str:
        return self.hsm.module

    @property
    def env(self) -> dict[str, str]:
        return dict(self.hsm.env)

    def run(self, *argv: str) -> subprocess.CompletedProcess:
        return subprocess.run(argv, env={**os.environ, **self.env}, capture_output=True, text=True,
                              timeout=60, check=True)

    def keygen(self, hsm_id: str, algorithm: int = 13) -> str:
        key_type = {8: "rsa:2048", 13: "EC:prime256v1", 14: "EC:secp384r1"}[algorithm]
        self.run("pkcs11-tool", "--module", self.module, "--token-label", self.label, "--login",
                 "--pin", self.pin, "--keypairgen", "--key-type", key_type, "--id", hsm_id,
                 "--label", f"k{hsm_id}", "--usage-sign")
        return hsm_id

    def object_ids(self) -> list[str]:
        """CKA_IDs of the private keys on the token (what Knot must never destroy)."""
        out = self.run("pkcs11-tool", "--module", self.module, "--token-label", self.label, "--login",
                       "--pin", self.pin, "--list-objects", "--type", "privkey").stdout
        return sorted(line.split()[-1] for line in out.splitlines() if line.strip().startswith("ID:"))


@pytest.fixture
def token(softhsm) -> Token:
    require_tools()
    return Token(softhsm)


@dataclass
class Knot:
    """One knotd process with its own directories, on 127.0.0.1 and a high port."""

    directory: Path
    port: int
    config_text: str
    env: dict[str, str] = field(default_factory=dict)
    process: subprocess.Popen | None = None

    @property
    def config(self) -> Path:
        return self.directory / "knot.conf"

    @property
    def server(self) -> Server:
        return Server("127.0.0.1", self.port)

    def knotc(self, *args: str, check: bool = True) -> subprocess.CompletedProcess:
        return subprocess.run(["knotc", "-c", str(self.config), "-t", "20", *args], capture_output=True,
                              text=True, env={**os.environ, **self.env}, timeout=60, check=check)

    def keymgr(self, *args: str, check: bool = True) -> subprocess.CompletedProcess:
        return subprocess.run(["keymgr", "-c", str(self.config), *args], capture_output=True, text=True,
                              env={**os.environ, **self.env}, timeout=60, check=check)

    def adapter(self, **kwargs) -> KnotAdapter:
        return KnotAdapter(str(self.config), env=self.env, timeout=kwargs.pop("timeout", 30), **kwargs)

    def start(self) -> None:
        self.config.write_text(self.config_text)
        check = self.knotc("conf-check", check=False)
        assert check.returncode == 0, f"knot.conf rejected: {check.stdout} {check.stderr}\n{self.config_text}"
        log = open(self.directory / "knotd.out", "ab")  # noqa: SIM115 (lives as long as the process)
        self.process = subprocess.Popen(["knotd", "-c", str(self.config)], stdout=log, stderr=log,
                                        env={**os.environ, **self.env})
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"knotd exited: {(self.directory / 'knotd.out').read_text()}")
            if self.knotc("status", check=False).returncode == 0:
                return
            time.sleep(0.1)
        raise RuntimeError("knotd did not come up within 20 s")

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.knotc("stop", check=False)
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(5)

    def log(self) -> str:
        path = self.directory / "knot.log"
        return path.read_text() if path.exists() else ""

    def wait_serial_change(self, zone: str, before: int | None, timeout: float = 20) -> int:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            serial = self.serial(zone)
            if serial is not None and serial != before:
                return serial
            time.sleep(0.1)
        raise AssertionError(f"serial of {zone} stayed {before} for {timeout} s\n{self.log()[-3000:]}")

    def serial(self, zone: str) -> int | None:
        request = dns.message.make_query(zone, "SOA")
        try:
            response = dns.query.udp(request, "127.0.0.1", port=self.port, timeout=2)
        except Exception:
            return None
        for rrset in response.answer:
            if rrset.rdtype == dns.rdatatype.SOA:
                return rrset[0].serial
        return None

    def axfr(self, zone: str) -> dns.zone.Zone:
        transfer = dns.query.xfr("127.0.0.1", zone, port=self.port, timeout=10, relativize=False)
        return dns.zone.from_xfr(transfer, relativize=False)


def knot_config(directory: Path, port: int, *, zones: str, policies: str = "", keystores: str = "",
                extra: str = "", listen: tuple[str, ...] = ("127.0.0.1",)) -> str:
    listen_lines = "    listen: [" + ", ".join(f"{address}@{port}" for address in listen) + "]"
    return f"""server:
    rundir: {directory}/run
{listen_lines}
    background-workers: 1
    tcp-workers: 1
    udp-workers: 1
log:
  - target: {directory}/knot.log
    any: info
database:
    storage: {directory}/storage
    kasp-db: {directory}/kasp
    journal-db: {directory}/journal
    timer-db: {directory}/timers
control:
    listen: {directory}/run/knot.sock
{keystores}{policies}{extra}
template:
  - id: default
    storage: {directory}/storage
    file: "%s.zone"
    zonefile-sync: -1
    journal-content: all
    zonefile-load: difference-no-serial
    semantic-checks: on

zone:
{zones}"""


@pytest.fixture
def knot_factory(tmp_path):
    started: list[Knot] = []

    def create(name: str, *, zones: str, zone_files: dict[str, str], env: dict[str, str] | None = None,
               policies: str = "", keystores: str = "", extra: str = "",
               listen: tuple[str, ...] = ("127.0.0.1",)) -> Knot:
        for attempt in range(5):
            directory = tmp_path / f"{name}{attempt or ''}"
            for sub in ("run", "storage", "kasp"):
                (directory / sub).mkdir(parents=True, exist_ok=True)
            for zone, text in zone_files.items():
                (directory / "storage" / f"{zone.rstrip('.')}.zone").write_text(text)
            port = free_port()
            text = knot_config(directory, port, zones=zones, policies=policies, keystores=keystores,
                               extra=extra, listen=listen)
            knot = Knot(directory, port, text, dict(env or {}))
            try:
                knot.start()
            except RuntimeError:
                knot.stop()
                if attempt == 4:
                    raise
                continue
            started.append(knot)
            return knot
        raise AssertionError("unreachable")

    yield create
    for knot in started:
        knot.stop()


CHILD_ZONE = f"""$TTL {LAB_TTL}
@       SOA ns1.example. hostmaster.example. 1 {LAB_TTL} {LAB_TTL} 3600 {LAB_TTL}
@       NS  ns1.example.
ns1     A   127.0.0.1
www     A   192.0.2.80
mail    AAAA 2001:db8::25
sub     NS  ns.sub.example.
ns.sub  A   192.0.2.53
"""

LAB_POLICY = dict(dnskey_ttl=LAB_TTL, zone_max_ttl=LAB_TTL, rrsig_lifetime=600, rrsig_refresh=300,
                  rrsig_pre_refresh=10, propagation_delay=1)


@pytest.fixture
def signer(token, knot_factory) -> Knot:
    """knotd signing example. (manual policy, PKCS#11 keystore on ``token``), no keys yet."""
    keystores = "keystore:\n" + render_keystore("hsm", token.label, token.pin, token.module)
    policies = "policy:\n" + render_policy("rsp-lab", keystore="hsm", **LAB_POLICY)
    policies += "  - id: automatic\n"  # software keys: Knot may generate them
    extra = ("acl:\n  - id: local-transfer\n    address: 127.0.0.0/8\n    action: transfer\n")
    zones = ("  - domain: example.\n    dnssec-signing: on\n    dnssec-policy: rsp-lab\n"
             "    acl: local-transfer\n"
             "  - domain: auto.example.\n    dnssec-signing: on\n    dnssec-policy: automatic\n"
             "  - domain: plain.example.\n")
    files = {"example.": CHILD_ZONE,
             "auto.example.": CHILD_ZONE.replace("example.", "auto.example."),
             "plain.example.": CHILD_ZONE.replace("example.", "plain.example.")}
    return knot_factory("signer", zones=zones, zone_files=files, env=token.env, policies=policies,
                        keystores=keystores, extra=extra)


@dataclass
class Lab:
    signer: Knot
    parent: Knot
    token: Token
    tsig_name: str
    tsig_secret: str

    def parent_anchor(self):
        """The lab root's DNSKEY RRset (the trust anchor), as served."""
        request = dns.message.make_query(".", "DNSKEY", want_dnssec=True)
        response = dns.query.tcp(request, "127.0.0.1", port=self.parent.port, timeout=5)
        return response.find_rrset(response.answer, dns.name.root, 1, dns.rdatatype.DNSKEY)


@pytest.fixture
def lab(signer, token, knot_factory) -> Lab:
    tsig_name = "rsp-parent-update."
    tsig_secret = base64.b64encode(secrets.token_bytes(32)).decode()
    extra = (f"key:\n  - id: {tsig_name}\n    algorithm: hmac-sha256\n    secret: {tsig_secret}\n"
             f"acl:\n  - id: ds-update\n    key: {tsig_name}\n    action: update\n"
             "  - id: local-transfer\n    address: 127.0.0.0/8\n    action: transfer\n")
    policies = ("policy:\n  - id: lab-root\n    algorithm: ecdsap256sha256\n"
                f"    dnskey-ttl: {LAB_TTL}\n    zone-max-ttl: {LAB_TTL}\n    ksk-lifetime: 0\n"
                "    zsk-lifetime: 0\n    nsec3: off\n    rrsig-lifetime: 600\n    rrsig-refresh: 300\n"
                "    rrsig-pre-refresh: 10\n    propagation-delay: 1\n")
    zones = ("  - domain: .\n    dnssec-signing: on\n    dnssec-policy: lab-root\n"
             "    acl: [ds-update, local-transfer]\n")
    parent = knot_factory("parent", zones=zones, zone_files={".": ROOT_ZONE}, policies=policies,
                          extra=extra, listen=("127.0.0.1", "127.0.0.2"))
    parent.wait_serial_change(".", None)
    return Lab(signer, parent, token, tsig_name, tsig_secret)
