# Copyright: rsp.dnssec contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt)
"""Rollover gates: what the planner expects, compared with what the DNS serves.

A gate of the planner (:class:`..timing.Gate`) names what every server must
serve (``expected``). The functions here turn observations into an
:class:`..observe.Evidence` -- does it hold on every server, and if not, what
each server serves instead -- which :func:`..observe.track_since` then turns
into "since when". They are pure: observations in, evidence out.

:class:`ZoneObserver` asks the servers: the DNSKEY RRset on every
authoritative server (RFC 7583 section 3.3: the new DNSKEY RRset must be
served everywhere before its TTL can start running out of caches), and for
the zone signatures a transfer of the whole zone from the primary plus the SOA
serial of every authoritative server (the zone is completely re-signed by
exactly the expected keys, and every server serves that version).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Mapping, Sequence

try:
    import dns.exception
    import dns.name
    import dns.query
    import dns.rdatatype
    import dns.zone
except ImportError:  # observe.require_dnspython() reports it
    pass

from ansible_collections.rsp.dnssec.plugins.module_utils.dnssec.observe import (
    DEFAULT_TIMEOUT,
    Evidence,
    Observation,
    ObservationError,
    Server,
    _serial_ge,
    observe_dnskey,
    observe_rrsig_validity,
    observe_soa,
    require_dnspython,
)

# RRsets at the apex signed by the key-signing keys, not by the zone's signers.
_KEY_SIGNED = ("DNSKEY", "CDS", "CDNSKEY")


def label(tag: int, algorithm: int) -> str:
    """``"40144/13"``."""
    return f"{tag}/{algorithm}"


def _pairs(entries: Iterable[Mapping]) -> set[tuple[int, int]]:
    return {(int(e["key_tag"]), int(e["algorithm"])) for e in entries}


def _names(pairs: Iterable[tuple[int, int]]) -> str:
    return ", ".join(label(t, a) for t, a in sorted(pairs, key=lambda p: (p[1], p[0]))) or "none"


def summarise(observations: Sequence[Observation], what: str, where: str,
              check: Callable[[Observation], str | None]) -> Evidence:
    """Evidence from per-server observations: ``check`` returns None when a
    server serves what is expected, else what it serves instead."""
    if not observations:
        return Evidence(False, [], {}, f"{what}: no {where} observed yet")
    matching, waiting = [], {}
    for obs in observations:
        problem = obs.error if not obs.ok else check(obs)
        if problem:
            waiting[obs.server] = problem
        else:
            matching.append(obs.server)
    total = len(observations)
    observed_at = max(o.when for o in observations)
    if not waiting:
        return Evidence(True, matching, {}, f"{what} seen on all {total} {where}", observed_at)
    details = "; ".join(f"{server}: {problem}" for server, problem in waiting.items())
    return Evidence(False, matching, waiting, f"{what} seen on {len(matching)} of {total} {where}; waiting "
                    f"for {', '.join(waiting)} ({details})", observed_at)


def dnskey_gate_evidence(observations: Sequence[Observation], expected: Mapping) -> Evidence:
    """Gate ``dnskey_rrset_on_all_authoritatives``: every server serves a DNSKEY
    RRset of exactly ``expected["dnskey"]``, signed by exactly
    ``expected["dnskey_signers"]``, with TTL ``expected["ttl"]``, and all
    servers are at one SOA serial."""
    keys = _pairs(expected.get("dnskey") or ())
    signers = {int(e["key_tag"]) for e in expected.get("dnskey_signers") or ()}
    ttl = expected.get("ttl")

    def check(obs: Observation) -> str | None:
        value = obs.value
        served = {(int(k["tag"]), int(k["algorithm"])) for k in value.get("keys") or ()}
        if served != keys:
            return f"serves DNSKEY {{{_names(served)}}}"
        signed = set(value.get("signed_by") or ())
        if signed != signers:
            return f"DNSKEY RRset signed by {', '.join(str(t) for t in sorted(signed)) or 'nothing'}"
        if ttl is not None and value.get("ttl") != int(ttl):
            return f"DNSKEY TTL {value.get('ttl')}, not {ttl}"
        return None

    sign_names = ", ".join(str(t) for t in sorted(signers)) or "none"
    evidence = summarise(observations, f"DNSKEY RRset {{{_names(keys)}}} signed by {sign_names}",
                         "authoritative servers", check)
    serials = {o.value.get("serial") for o in observations if o.ok}
    if evidence.satisfied and len(serials) > 1:
        evidence.satisfied = False
        evidence.text += f"; but the servers are at different SOA serials {sorted(serials)}"
    return evidence


def zone_signature_summary(zone: dns.zone.Zone, origin: str) -> dict:
    """Who signs what in a transferred zone: ``{"serial", "rrsets", "signers":
    {"tag/alg": number of RRsets}, "by_rrset": {"owner TYPE": {(tag, alg)...}}}``,
    leaving out the apex RRsets signed by the key-signing keys (DNSKEY, CDS,
    CDNSKEY)."""
    require_dnspython()
    apex = dns.name.from_text(origin)
    by_rrset: dict[str, set] = {}
    for owner, node in zone.nodes.items():
        name = owner if owner.is_absolute() else owner.derelativize(apex)
        for rdataset in node.rdatasets:
            if rdataset.rdtype != dns.rdatatype.RRSIG:
                continue
            for sig in rdataset:
                covered = dns.rdatatype.to_text(sig.type_covered)
                if name == apex and covered in _KEY_SIGNED:
                    continue
                by_rrset.setdefault(f"{name} {covered}", set()).add((int(sig.key_tag), int(sig.algorithm)))
    signers: dict[str, int] = {}
    for pairs in by_rrset.values():
        for pair in pairs:
            signers[label(*pair)] = signers.get(label(*pair), 0) + 1
    soa = zone.get_rdataset(apex, dns.rdatatype.SOA)
    return {"serial": int(soa[0].serial) if soa else None, "rrsets": len(by_rrset), "signers": signers,
            "by_rrset": by_rrset}


def zone_signers_check(summary: Mapping, expected: Mapping) -> str | None:
    """None when every signed RRset of ``summary`` is signed by exactly the
    expected zone signers, else what differs (first RRset that differs, and how many)."""
    wanted = _pairs(expected.get("zone_signers") or ())
    wrong = {rrset: pairs for rrset, pairs in (summary.get("by_rrset") or {}).items()
             if set(map(tuple, pairs)) != wanted}
    if not summary.get("rrsets"):
        return "the transferred zone has no signed RRset"
    if not wrong:
        return None
    rrset, pairs = sorted(wrong.items())[0]
    return (f"{len(wrong)} of {summary['rrsets']} RRsets not (yet) signed by exactly {{{_names(wanted)}}}, "
            f"e.g. {rrset} by {{{_names(set(map(tuple, pairs)))}}}")


def rrsig_gate_evidence(transfer: Observation, soas: Sequence[Observation], expected: Mapping) -> Evidence:
    """Gate ``rrsigs_on_all_authoritatives``: the zone transferred from the
    primary is signed by exactly ``expected["zone_signers"]`` (every signed
    RRset) and every authoritative server serves that serial or a later one."""
    wanted = _pairs(expected.get("zone_signers") or ())
    what = f"zone RRSIGs by exactly {{{_names(wanted)}}}"
    if not transfer.ok:
        return Evidence(False, [], {transfer.server: transfer.error or "transfer failed"},
                        f"{what}: cannot transfer the zone from {transfer.server}: {transfer.error}",
                        transfer.when)
    problem = zone_signers_check(transfer.value, expected)
    if problem:
        return Evidence(False, [], {transfer.server: problem},
                        f"{what}: the zone at serial {transfer.value.get('serial')} on {transfer.server} has "
                        f"{problem}", transfer.when)
    serial = transfer.value.get("serial")

    def check(obs: Observation) -> str | None:
        served = obs.value.get("serial")
        if not _serial_ge(served, serial):
            return f"at serial {served}, not yet {serial}"
        return None

    evidence = summarise(soas, f"{what} (serial {serial})", "authoritative servers", check)
    evidence.observed_at = max([transfer.when, *(o.when for o in soas)])
    return evidence


class ZoneObserver:
    """Ask the zone's authoritative servers (the signer and every secondary).

    ``authoritatives``: the servers whose answers decide the gates;
    ``transfer``: where the whole zone is transferred from to check its
    signatures (default: the first authoritative server, normally the signer).
    """

    def __init__(self, authoritatives: Sequence, transfer=None, *, timeout: float = DEFAULT_TIMEOUT,
                 clock: Callable[[], float] = time.time) -> None:
        self.authoritatives = [Server.parse(s) for s in authoritatives]
        if not self.authoritatives:
            raise ObservationError("no authoritative server to observe: give at least the signer")
        self.transfer = Server.parse(transfer) if transfer else self.authoritatives[0]
        self.timeout = timeout
        self.clock = clock

    def dnskey(self, zone: str, *, signer_only: bool = False) -> list[Observation]:
        """The DNSKEY RRset on every authoritative server (or on the first, the signer, only)."""
        servers = self.authoritatives[:1] if signer_only else self.authoritatives
        return observe_dnskey(zone, servers, timeout=self.timeout, clock=self.clock)

    def soa(self, zone: str) -> list[Observation]:
        return observe_soa(zone, self.authoritatives, timeout=self.timeout, clock=self.clock)

    def rrsig_validity(self, zone: str) -> list[Observation]:
        return observe_rrsig_validity(zone, self.authoritatives, timeout=self.timeout, clock=self.clock)

    def zone_signatures(self, zone: str) -> Observation:
        """Transfer the zone (AXFR) and summarise who signs it."""
        require_dnspython()
        server = self.transfer
        when = self.clock()
        try:
            transfer = dns.query.xfr(server.address, zone, port=server.port, timeout=self.timeout * 10,
                                     lifetime=self.timeout * 40, relativize=False)
            content = dns.zone.from_xfr(transfer, relativize=False)
        except (dns.exception.DNSException, OSError, EOFError) as exc:
            text = str(exc) or exc.__class__.__name__
            if "REFUSED" in text.upper() or "NOTAUTH" in text.upper():
                text += (" (allow zone transfers from this host on the signer, e.g. Knot acl action transfer "
                         "for 127.0.0.1, or name another server with transfer_server)")
            return Observation("rrsig", zone, server.label, when, False, {},
                               f"zone transfer of {zone} from {server.label} failed: {text}")
        summary = zone_signature_summary(content, zone)
        value = {"serial": summary["serial"], "rrsets": summary["rrsets"], "signers": summary["signers"],
                 "by_rrset": {k: sorted(v) for k, v in summary["by_rrset"].items()}}
        return Observation("rrsig", zone, server.label, when, True, value)
