# Copyright: rsp.dnssec contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt)
"""Small helpers of the HSM / DS export tests."""

from __future__ import annotations

import dns.dnssec
import dns.name
import dns.rdata
import dns.rrset

from ansible_collections.rsp.dnssec.plugins.module_utils.dnssec.records import signature_input

ALGORITHMS = (8, 10, 13, 14, 15, 16)
PRIVATE_KEY_POLICY = {"token": True, "private": True, "sensitive": True, "always_sensitive": True,
                      "extractable": False, "never_extractable": True, "local": True, "sign": True,
                      "decrypt": False, "unwrap": False, "derive": False}


def hsm_args(softhsm, **kwargs) -> dict:
    """The token options every HSM task needs."""
    return {"token_label": softhsm.label, "pin": softhsm.pin, **kwargs}


def key_task(name: str, softhsm, **options) -> dict:
    """A task ``name`` running rsp.dnssec.hsm_key on the test token with ``options``."""
    return {"name": name, "rsp.dnssec.hsm_key": hsm_args(softhsm, **options)}


def supported_algorithms(softhsm) -> dict[int, str]:
    """Algorithm -> '' if the token can do it, else why not (asked of the token, not assumed)."""
    answer = softhsm.probe("capabilities")
    return {int(n): ("" if c["supported"] else c["why"]) for n, c in answer["capabilities"].items()}


def sign_and_validate(softhsm, keys: dict | list[dict], python=None) -> None:
    """Sign a test RRset through PKCS#11 with each key (the library's mechanism); validate with dnspython.

    ``keys`` are hsm_key results (key_id, algorithm, keytag, dnskey, zone); one
    probe process signs for all of them. A tampered RRset must then fail
    validation, so the check cannot pass vacuously.
    """
    keys = [keys] if isinstance(keys, dict) else list(keys)
    cases = []
    for key in keys:
        zone = dns.name.from_text(key["zone"])
        rrset = dns.rrset.from_text(dns.name.from_text("www", zone), 300, "IN", "A", "192.0.2.1", "192.0.2.2")
        rrsig = dns.rdata.from_text("IN", "RRSIG", f"A {key['algorithm']} {len(zone)} 300 20380101000000 "
                                                   f"20200101000000 {key['keytag']} {zone} AAAA")
        cases.append((key, zone, rrset, rrsig))
    answer = softhsm.probe("sign", python=python, items=[
        {"key_id": key["key_id"], "algorithm": key["algorithm"], "data": signature_input(rrset, rrsig).hex()}
        for key, _zone, rrset, rrsig in cases])
    assert "signatures" in answer, answer
    for (key, zone, rrset, rrsig), signature in zip(cases, answer["signatures"], strict=True):
        rrsig = rrsig.replace(signature=bytes.fromhex(signature))
        dnskey = dns.rrset.from_text_list(zone, 300, "IN", "DNSKEY", [key["dnskey"].split(" DNSKEY ", 1)[1]])
        sigset = dns.rrset.from_rdata(rrset.name, 300, rrsig)
        dns.dnssec.validate(rrset, sigset, {zone: dnskey})
        tampered = dns.rrset.from_text(rrset.name, 300, "IN", "A", "192.0.2.1", "192.0.2.3")
        try:
            dns.dnssec.validate(tampered, sigset, {zone: dnskey})
        except dns.dnssec.ValidationFailure:
            continue
        raise AssertionError(f"{key['label']}: a tampered RRset validated: the signature check proves nothing")
