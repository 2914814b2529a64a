# Copyright: rsp.dnssec contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt)
"""The rollover tests' lab: the modules ``zone_keys``, ``rollover`` and
``zone_status`` run by ``ansible-playbook`` against localhost, on real daemons
on loopback (ports 15600-15799):

* a SoftHSM2 token (``softhsm`` of tests/integration/conftest.py);
* the signer: knotd with a ``manual: on`` policy and a PKCS#11 keystore on
  that token, signing the test zones and notifying the secondary;
* the secondary: knotd transferring every zone from the signer (the rollover
  gates must see both at one serial);
* the parent: knotd serving a signed lab root ``.`` on 127.0.0.1 and ::1 (two
  parent servers), delegating every test zone and accepting DS updates signed
  with TSIG.

The knotd plumbing (``knot_factory``, ``token``, configuration rendering) is the
engine tests' (tests/integration/engine/conftest.py), loaded here under its
own name with this area's port range.
"""

from __future__ import annotations

import base64
import importlib.util
import json
import os
import secrets
import subprocess
import sys
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import dns.message
import dns.query
import dns.rdatatype

HERE = Path(__file__).resolve().parent
ENGINE = HERE.parent / "engine"
sys.path.insert(0, str(ENGINE))

_spec = importlib.util.spec_from_file_location("rsp_rollover_engine_fixtures", ENGINE / "conftest.py")
engine_fixtures = importlib.util.module_from_spec(_spec)
sys.modules[_spec.name] = engine_fixtures
_spec.loader.exec_module(engine_fixtures)
engine_fixtures.PORT_RANGE = (15600, 15799)  # this area's ports (the engine tests use 15400-15599)

from engine_helpers import ldns_verify, validate_delegation, validate_zone  # noqa: E402

from ansible_collections.rsp.dnssec.plugins.module_utils.dnssec.engine.knot import (  # noqa: E402
    render_keystore,
    render_policy,
)

TTL = 2
# The collection's policy for the lab zones: lab profile, TTLs of 2 s, delays of 1 s,
# so Ipub = IretC = IpubP = IretP = 1 + 2 + 1 = 4 s and Isig = Iret = 1 + 1 + 2 + 1 = 5 s.
POLICY = {
    "profile": "lab",
    "dnskey_ttl": TTL,
    "ds_ttl": TTL,
    "max_zone_ttl": TTL,
    "soa": {"ttl": TTL, "refresh": 30, "retry": 10, "expire": 3600, "minimum": TTL},
    "propagation_delay": 1,
    "parent_propagation_delay": 1,
    "signing_delay": 1,
    "publish_safety": 1,
    "retire_safety": 1,
    "emergency": {"dnskey_ttl": TTL},
}
KNOT_POLICY = {"dnskey_ttl": TTL, "zone_max_ttl": TTL, "rrsig_lifetime": 10800, "rrsig_refresh": 5400,
               "rrsig_pre_refresh": 60, "propagation_delay": 1}


def zone_text(zone: str, delegations: int = 12) -> str:
    """A small zone: apex, a few hosts, some insecure delegations with glue (NSEC3 has work to do)."""
    lines = [f"$ORIGIN {zone}", f"$TTL {TTL}",
             f"@ SOA ns1 hostmaster 1 30 10 3600 {TTL}", "@ NS ns1", "ns1 A 127.0.0.1",
             "www A 192.0.2.80", "mail AAAA 2001:db8::25", "@ MX 10 mail", '@ TXT "rsp.dnssec rollover lab"']
    for n in range(delegations):
        lines += [f"d{n} NS ns.d{n}", f"ns.d{n} A 192.0.2.{n + 1}"]
    return "\n".join(lines) + "\n"


def root_text(zones: list[str]) -> str:
    lines = [f"$TTL {TTL}", f". SOA ns1.root-servers.lab. hostmaster.lab. 1 {TTL} {TTL} 3600 {TTL}",
             ". NS ns1.root-servers.lab.", "ns1.root-servers.lab. A 127.0.0.1"]
    for zone in zones:
        lines += [f"{zone} NS ns1.{zone}", f"ns1.{zone} A 127.0.0.1"]
    return "\n".join(lines) + "\n"


@dataclass
class RolloverLab:
    """The daemons, the token, and how to run the modules against them."""

    zones: list[str]
    token: object
    signer: object
    secondary: object
    parent: object
    tsig_name: str
    tsig_secret: str
    directory: Path
    playbook: object
    runs: list = field(default_factory=list)

    @property
    def state_dir(self) -> Path:
        return self.directory / "state"

    @property
    def artifacts_dir(self) -> Path:
        return self.directory / "ds-submissions"

    @property
    def authoritatives(self) -> list[str]:
        return [f"127.0.0.1@{self.signer.port}", f"127.0.0.1@{self.secondary.port}"]

    def parent_spec(self, **overrides) -> dict:
        spec = {"type": "dynupdate", "server": f"127.0.0.1@{self.parent.port}",
                "servers": [f"127.0.0.1@{self.parent.port}", f"[::1]:{self.parent.port}"],
                "tsig_name": self.tsig_name, "tsig_secret": self.tsig_secret, "ds_ttl": TTL}
        spec.update(overrides)
        return spec

    def params(self, zones, *, policy: dict | None = None, hsm: bool = True, **extra) -> dict:
        params = {"zones": list(zones), "knot_config": str(self.signer.config), "state_dir": str(self.state_dir),
                  "authoritatives": self.authoritatives, "engine_timeout": 30, "dns_timeout": 2}
        if policy is not False:
            params["policy"] = policy or POLICY
        if hsm:
            params.update(hsm_module=self.token.module, hsm_token_label=self.token.label, hsm_pin=self.token.pin)
        params.update(extra)
        return params

    def zone_keys(self, zones, **params) -> dict:
        return {"name": "zone_keys", "rsp.dnssec.zone_keys": self.params(zones, **params)}

    def rollover(self, zones, action: str = "advance", **params) -> dict:
        params.setdefault("parent", self.parent_spec())
        return {"name": "rollover", "rsp.dnssec.rollover": self.params(zones, action=action, **params)}

    def zone_status(self, zones, **params) -> dict:
        params.setdefault("parent_servers", self.parent_spec()["servers"])
        base = self.params(zones, hsm=False, **params)
        return {"name": "zone_status", "rsp.dnssec.zone_status": base}

    def run(self, *tasks, check: bool = False, env: dict | None = None):
        """Run tasks (one playbook); returns the PlaybookRun (not asserted)."""
        run = self.playbook(list(tasks), check=check, env=env)
        self.runs.append(run)
        return run

    def ok(self, *tasks, check: bool = False, env: dict | None = None):
        return self.run(*tasks, check=check, env=env).assert_ok()

    # -- looking at the result ---------------------------------------------------------------

    def state(self, zone: str) -> dict:
        path = self.state_dir / "zones" / f"{zone.rstrip('.')}.state.json"
        return json.loads(path.read_text()) if path.exists() else {}

    def journal(self, zone: str) -> list[dict]:
        path = self.state_dir / "zones" / f"{zone.rstrip('.')}.journal.jsonl"
        if not path.exists():
            return []
        return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]

    def knot_keys(self, zone: str) -> list[dict]:
        out = self.signer.keymgr("-j", zone, "list").stdout
        return json.loads(out) if out.strip() else []

    def hsm_ids(self) -> list[str]:
        return self.token.object_ids()

    def snapshot(self, zones) -> dict:
        """Everything a run could change: state files, journals, Knot keys, HSM objects, parent DS."""
        files = {}
        zones_dir = self.state_dir / "zones"
        if zones_dir.exists():
            files = {p.name: p.read_bytes() for p in sorted(zones_dir.iterdir()) if not p.name.endswith(".lock")}
        return {"files": files, "knot": {z: self.knot_keys(z) for z in zones}, "hsm": self.hsm_ids(),
                "parent": {z: sorted(r.to_text() for r in self.parent_ds(z)) for z in zones}}

    def parent_ds(self, zone: str) -> list:
        request = dns.message.make_query(zone, "DS", want_dnssec=True)
        response = dns.query.tcp(request, "127.0.0.1", port=self.parent.port, timeout=5)
        return [rr for rrset in response.answer if rrset.rdtype == dns.rdatatype.DS for rr in rrset]

    def validate(self, zone: str, tmp: Path) -> dict:
        """The chain of trust from the lab root's key to the zone, on the signer
        and on the secondary; every RRset of the signer's AXFR validated from the
        parent's DS (dnspython) and by ldns-verify-zone."""
        ds = self.parent_ds(zone)
        assert ds, f"the parent serves no DS for {zone}"
        validate_delegation(self.parent.port, self.signer.port, zone)
        validate_delegation(self.parent.port, self.secondary.port, zone)
        content = self.signer.axfr(zone)
        found = validate_zone(content, zone, trusted_ds=ds)
        ldns_verify(content, tmp / f"{zone.rstrip('.')}.axfr")
        assert found["nsec3param"] == [(1, 0, 0, b"")], found["nsec3param"]  # RFC 9276: 0 iterations, no salt
        return found

    def wait_secondary(self, zones, timeout: float = 20) -> None:
        deadline = time.monotonic() + timeout
        for zone in zones:
            while self.secondary.serial(zone) != self.signer.serial(zone):
                assert time.monotonic() < deadline, f"the secondary did not catch up with {zone}"
                time.sleep(0.1)


def _secondary_zones(zones: list[str]) -> str:
    return "".join(f"  - domain: {z}\n    master: signer\n    acl: notify-from-signer\n" for z in zones)


def submit_ds(lab: RolloverLab, zone: str, ds_lines: list[str]) -> None:
    """What the operator does with zone_keys' DS for a new zone: here, a TSIG update to the lab parent."""
    lines = [f"server 127.0.0.1 {lab.parent.port}", "zone .", f"update delete {zone} DS"]
    lines += [f"update add {' '.join([*line.split()[:1], str(TTL), *line.split()[2:]])}" for line in ds_lines]
    lines += ["send", ""]
    key = f"hmac-sha256:{lab.tsig_name}:{lab.tsig_secret}"
    done = subprocess.run(["nsupdate", "-y", key], input="\n".join(lines), capture_output=True, text=True,
                          timeout=30, check=False)
    assert done.returncode == 0, f"nsupdate failed: {done.stdout} {done.stderr}"


def pin_file(lab: RolloverLab, mode: int = 0o440) -> str:
    path = lab.directory / "hsm.pin"
    path.write_text(lab.token.pin + "\n")
    os.chmod(path, mode)
    return str(path)


def wait_until(epoch_text: str | None, *, limit: float = 30) -> None:
    """Sleep until an ISO time the module reported (plus a second), at most ``limit`` s."""
    if not epoch_text:
        time.sleep(1)
        return
    when = datetime.strptime(epoch_text, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC).timestamp()
    time.sleep(min(max(when - time.time() + 1.0, 0.2), limit))


def make_lab(zones: list[str], *, token, knot_factory, playbook, tmp_path: Path) -> RolloverLab:
    """Start the signer, the secondary and the parent for ``zones``."""
    keystores = "keystore:\n" + render_keystore("hsm", token.label, token.pin, token.module)
    policies = "policy:\n" + render_policy("rsp-lab", keystore="hsm", **KNOT_POLICY)
    acl = "acl:\n  - id: local-transfer\n    address: [127.0.0.0/8, ::1]\n    action: transfer\n"
    signer_zones = "".join(f"  - domain: {z}\n    dnssec-signing: on\n    dnssec-policy: rsp-lab\n"
                           f"    acl: local-transfer\n" for z in zones)
    signer = knot_factory("signer", zones=signer_zones, zone_files={z: zone_text(z) for z in zones},
                          env=token.env, policies=policies, keystores=keystores, extra=acl)
    secondary_extra = (f"remote:\n  - id: signer\n    address: 127.0.0.1@{signer.port}\n"
                       "acl:\n  - id: notify-from-signer\n    address: 127.0.0.0/8\n    action: notify\n")
    secondary = knot_factory("secondary", zones=_secondary_zones(zones), zone_files={},
                             extra=secondary_extra)
    # Now that the secondary's port is known: the signer notifies it.
    signer.config_text = signer.config_text.replace(
        "acl:\n", f"remote:\n  - id: secondary\n    address: 127.0.0.1@{secondary.port}\nacl:\n", 1)
    signer.config_text = signer.config_text.replace("    acl: local-transfer\n",
                                                    "    acl: local-transfer\n    notify: secondary\n")
    signer.config.write_text(signer.config_text)
    signer.knotc("reload")
    tsig_name = "rsp-parent-update."
    tsig_secret = base64.b64encode(secrets.token_bytes(32)).decode()
    parent_extra = (f"key:\n  - id: {tsig_name}\n    algorithm: hmac-sha256\n    secret: {tsig_secret}\n"
                    f"acl:\n  - id: ds-update\n    key: {tsig_name}\n    action: update\n")
    parent_policy = ("policy:\n  - id: lab-root\n    algorithm: ecdsap256sha256\n"
                     f"    dnskey-ttl: {TTL}\n    zone-max-ttl: {TTL}\n    ksk-lifetime: 0\n"
                     "    zsk-lifetime: 0\n    nsec3: off\n    rrsig-lifetime: 10800\n"
                     "    rrsig-refresh: 5400\n    propagation-delay: 1\n")
    parent = knot_factory("parent", zones="  - domain: .\n    dnssec-signing: on\n    dnssec-policy: lab-root\n"
                          "    acl: ds-update\n", zone_files={".": root_text(zones)}, policies=parent_policy,
                          extra=parent_extra, listen=("127.0.0.1", "::1"))
    parent.wait_serial_change(".", None)
    return RolloverLab(zones, token, signer, secondary, parent, tsig_name, tsig_secret, tmp_path,
                       playbook)
