# Copyright: rsp.dnssec contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt)
"""Validation helpers for the engine tests: what a validating resolver checks."""

from __future__ import annotations

import subprocess
import time

import dns.dnssec
import dns.message
import dns.name
import dns.query
import dns.rdataclass
import dns.rdatatype
import dns.zone

# Lab timing: short TTLs so that a whole rollover step is seconds.
LAB_TTL = 5

ROOT_ZONE = f"""$TTL {LAB_TTL}
.                      SOA ns1.root-servers.lab. hostmaster.lab. 1 {LAB_TTL} {LAB_TTL} 3600 {LAB_TTL}
.                      NS  ns1.root-servers.lab.
.                      NS  ns2.root-servers.lab.
ns1.root-servers.lab.  A   127.0.0.1
ns2.root-servers.lab.  A   127.0.0.2
example.               NS  ns1.example.
ns1.example.           A   127.0.0.1
"""


def validate_zone(zone: dns.zone.Zone, origin: str, *, trusted_ds=None) -> dict:
    """Validate every RRset of an AXFR'd signed zone with dnspython (RFC 4035
    section 5): the DNSKEY RRset by a key matching ``trusted_ds`` (or any
    SEP key when not given), every other authoritative RRset by the DNSKEYs.
    Returns {"dnskey_tags", "dnskey_signers", "zone_signers", "nsec3param"}."""
    name = dns.name.from_text(origin)
    dnskeys = zone.get_rdataset(name, dns.rdatatype.DNSKEY)
    assert dnskeys is not None, f"{origin} has no DNSKEY RRset"
    keyring = {name: dnskeys}
    dnskey_rrset = dns.rrset.from_rdata_list(name, dnskeys.ttl, list(dnskeys))
    dnskey_sigs = zone.get_rdataset(name, dns.rdatatype.RRSIG, dns.rdatatype.DNSKEY)
    sig_rrset = dns.rrset.from_rdata_list(name, dnskey_sigs.ttl, list(dnskey_sigs))
    if trusted_ds is not None:
        anchors = []
        for key in dnskeys:
            for ds in trusted_ds:
                if dns.dnssec.key_id(key) == ds.key_tag and key.algorithm == ds.algorithm \
                        and dns.dnssec.make_ds(name, key, ds.digest_type) == ds:
                    anchors.append(key)
        assert anchors, f"no DNSKEY of {origin} matches the DS {[str(d) for d in trusted_ds]}"
        anchor_set = dns.rrset.from_rdata_list(name, dnskeys.ttl, anchors)
        dns.dnssec.validate(dnskey_rrset, sig_rrset, {name: anchor_set})
    else:
        dns.dnssec.validate(dnskey_rrset, sig_rrset, keyring)
    zone_signers: set[int] = set()
    checked = 0
    delegations = {n for n, node in zone.nodes.items()
                   if n != name and node.get_rdataset(dns.rdataclass.IN, dns.rdatatype.NS)}
    for owner, node in zone.nodes.items():
        below_cut = any(owner.is_subdomain(cut) and owner != cut for cut in delegations)
        for rdataset in node.rdatasets:
            if rdataset.rdtype in (dns.rdatatype.RRSIG, dns.rdatatype.DNSKEY) or below_cut:
                continue
            if owner in delegations and rdataset.rdtype == dns.rdatatype.NS:
                continue  # the delegation NS RRset is not signed (RFC 4035 2.2)
            sigs = node.get_rdataset(dns.rdataclass.IN, dns.rdatatype.RRSIG, rdataset.rdtype)
            assert sigs is not None, f"{owner} {dns.rdatatype.to_text(rdataset.rdtype)} is not signed"
            rrset = dns.rrset.from_rdata_list(owner, rdataset.ttl, list(rdataset))
            dns.dnssec.validate(rrset, dns.rrset.from_rdata_list(owner, sigs.ttl, list(sigs)), keyring)
            zone_signers.update(s.key_tag for s in sigs)
            checked += 1
    assert checked > 5, "too few RRsets validated: the zone looks empty"
    nsec3param = zone.get_rdataset(name, dns.rdatatype.NSEC3PARAM)
    return {"dnskey_tags": sorted(dns.dnssec.key_id(k) for k in dnskeys),
            "dnskey_signers": sorted({s.key_tag for s in dnskey_sigs}),
            "zone_signers": sorted(zone_signers),
            "nsec3param": [(p.algorithm, p.flags, p.iterations, p.salt) for p in (nsec3param or [])]}


def ldns_verify(zone: dns.zone.Zone, path) -> None:
    """``ldns-verify-zone`` on the transferred zone (a second, independent validator)."""
    path.write_text(zone.to_text(relativize=False))
    result = subprocess.run(["ldns-verify-zone", str(path)], capture_output=True, text=True, timeout=120,
                            check=False)
    assert result.returncode == 0, f"ldns-verify-zone failed:\n{result.stdout}\n{result.stderr}"


def wait_for(predicate, timeout: float = 20, interval: float = 0.2, what: str = "condition"):
    deadline = time.monotonic() + timeout
    last = None
    while time.monotonic() < deadline:
        last = predicate()
        if last:
            return last
        time.sleep(interval)
    raise AssertionError(f"timed out after {timeout} s waiting for {what} (last: {last!r})")


def served_ds(server_port: int, zone: str) -> list:
    request = dns.message.make_query(zone, "DS", want_dnssec=True)
    response = dns.query.tcp(request, "127.0.0.1", port=server_port, timeout=5)
    for rrset in response.answer:
        if rrset.rdtype == dns.rdatatype.DS:
            return list(rrset)
    return []


def validate_delegation(parent_port: int, child_port: int, zone: str) -> None:
    """The chain of trust from the lab root's DNSKEY (the trust anchor) to the
    child's DNSKEY RRset: root DNSKEY self-signed, DS RRset signed by the root,
    a child SEP key matching a DS, child DNSKEY RRset signed by that key."""
    root = dns.name.root
    child = dns.name.from_text(zone)

    def ask(port, name, rdtype):
        request = dns.message.make_query(name, rdtype, want_dnssec=True)
        response = dns.query.tcp(request, "127.0.0.1", port=port, timeout=5)
        rrset = response.find_rrset(response.answer, name, dns.rdataclass.IN, rdtype)
        sigs = response.find_rrset(response.answer, name, dns.rdataclass.IN, dns.rdatatype.RRSIG, rdtype)
        return rrset, sigs

    root_keys, root_sigs = ask(parent_port, root, dns.rdatatype.DNSKEY)
    dns.dnssec.validate(root_keys, root_sigs, {root: root_keys})
    ds_rrset, ds_sigs = ask(parent_port, child, dns.rdatatype.DS)
    dns.dnssec.validate(ds_rrset, ds_sigs, {root: root_keys})
    child_keys, child_sigs = ask(child_port, child, dns.rdatatype.DNSKEY)
    secure = [k for k in child_keys for ds in ds_rrset
              if dns.dnssec.key_id(k) == ds.key_tag and dns.dnssec.make_ds(child, k, ds.digest_type) == ds]
    assert secure, "no DNSKEY of the child matches a DS at the parent: the chain is broken"
    dns.dnssec.validate(child_keys, child_sigs,
                        {child: dns.rrset.from_rdata_list(child, child_keys.ttl, secure)})
    soa, soa_sigs = ask(child_port, child, dns.rdatatype.SOA)
    dns.dnssec.validate(soa, soa_sigs, {child: child_keys})
