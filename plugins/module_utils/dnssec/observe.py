# Copyright: rsp.dnssec contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt)
"""DNS observations: what each authoritative server really serves (dnspython).

Rollover gates are observations, not assumptions (RFC 7583 section 2: a
rollover step is safe only once the previous RRset has expired from caches,
which starts when *every* authoritative server serves the new one). This
module asks every given server, one by one, and records each answer as an
:class:`Observation` -- what was asked, of which server, when, and what came
back (or the error) -- so that the journal can keep the evidence and a gate can
say in words what it is still waiting for.

* :func:`observe_soa`, :func:`observe_dnskey`, :func:`observe_ds`,
  :func:`observe_rrsig_validity`: one observation per server.
* :func:`discover_parent_servers` / :func:`discover_zone_servers`: NS and
  address discovery (explicit server lists are always allowed instead).
* :func:`dnskey_evidence`, :func:`ds_evidence`, :func:`serial_evidence`: pure
  summaries ("DS 40144/13/2 seen on 2 of 3 parent servers; waiting for ...").
* :func:`track_since`: when a condition was first seen to hold everywhere.
"""

from __future__ import annotations

import ipaddress
import re
import socket
import time
import traceback
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime

try:
    import dns.dnssec
    import dns.exception
    import dns.flags
    import dns.message
    import dns.name
    import dns.query
    import dns.rcode
    import dns.rdataclass
    import dns.rdatatype
except ImportError:
    HAS_DNSPYTHON = False
    DNSPYTHON_IMPORT_ERROR: str | None = traceback.format_exc()
else:
    HAS_DNSPYTHON = True
    DNSPYTHON_IMPORT_ERROR = None

DEFAULT_TIMEOUT = 3.0
EDNS_PAYLOAD = 1232  # RFC 9715 / DNS flag day 2020


class ObservationError(Exception):
    """Observation could not start (bad server spec, nothing discovered...)."""


def iso(when: float | None) -> str | None:
    """Epoch seconds -> "2026-01-31T10:02:11Z" (None stays None)."""
    if when is None:
        return None
    return datetime.fromtimestamp(int(when), tz=UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


@dataclass(frozen=True)
class Server:
    """One DNS server to ask: an IP address, a port, and its name if known."""

    address: str
    port: int = 53
    name: str | None = None

    def __post_init__(self) -> None:
        try:
            ipaddress.ip_address(self.address)
        except ValueError:
            raise ObservationError(f"server address {self.address!r} is not an IP address") from None
        if not 0 < int(self.port) < 65536:
            raise ObservationError(f"server port {self.port!r} is not a port number")

    @property
    def label(self) -> str:
        """"ns1.example.(192.0.2.1#53)" or "127.0.0.1#15400": used in messages and records."""
        where = f"{self.address}#{self.port}"
        return f"{self.name}({where})" if self.name else where

    @classmethod
    def parse(cls, spec: str | Mapping | Server, default_port: int = 53) -> Server:
        """Accept a :class:`Server`, ``{"address": .., "port": .., "name": ..}``, or text:
        ``192.0.2.1``, ``192.0.2.1@5353``, ``192.0.2.1#5353``, ``192.0.2.1:5353``,
        ``[2001:db8::1]:5353``, ``2001:db8::1@5353``, optionally ``name=`` first."""
        if isinstance(spec, Server):
            return spec
        if isinstance(spec, Mapping):
            return cls(str(spec["address"]), int(spec.get("port") or default_port), spec.get("name"))
        text = str(spec).strip()
        name = None
        if "=" in text:
            name, text = text.split("=", 1)
            name = name.strip() or None
        port = default_port
        match = re.fullmatch(r"\[([0-9a-fA-F:.]+)\](?::(\d+))?", text)
        if match:
            address, port = match.group(1), int(match.group(2) or default_port)
        else:
            for sep in ("@", "#"):
                if sep in text:
                    text, port_text = text.rsplit(sep, 1)
                    port = int(port_text)
                    break
            else:
                if text.count(":") == 1:  # v4:port
                    text, port_text = text.split(":", 1)
                    port = int(port_text)
            address = text
        return cls(address.strip(), int(port), name)


def parse_servers(specs: Iterable[str | Mapping | Server], default_port: int = 53) -> list[Server]:
    servers = [Server.parse(spec, default_port) for spec in specs]
    if not servers:
        raise ObservationError("no server to observe: give at least one")
    return servers


@dataclass(frozen=True)
class Observation:
    """One answer (or failure) from one server: what, where, when."""

    what: str  # "soa", "dnskey", "ds", "rrsig", "ns"
    zone: str
    server: str
    when: float
    ok: bool
    value: dict = field(default_factory=dict)
    error: str | None = None

    def to_dict(self) -> dict:
        return {"what": self.what, "zone": self.zone, "server": self.server, "when": self.when,
                "at": iso(self.when), "ok": self.ok, "value": self.value, "error": self.error}

    @classmethod
    def from_dict(cls, data: Mapping) -> Observation:
        return cls(what=data["what"], zone=data["zone"], server=data["server"], when=float(data["when"]),
                   ok=bool(data["ok"]), value=dict(data.get("value") or {}), error=data.get("error"))


# -- asking ------------------------------------------------------------------

def require_dnspython() -> None:
    """Raise a clear error where dnspython is missing (modules report it)."""
    if not HAS_DNSPYTHON:
        raise ObservationError("dnspython is not installed on this host: install the Debian package "
                               "python3-dnspython (or `pip install dnspython`)")


def _name(zone: str | dns.name.Name) -> dns.name.Name:
    require_dnspython()
    return zone if isinstance(zone, dns.name.Name) else dns.name.from_text(zone)


def query(server: Server, qname: str | dns.name.Name, rdtype: str | int, *,
          timeout: float = DEFAULT_TIMEOUT, dnssec: bool = True) -> dns.message.Message:
    """Ask one server (UDP, then TCP when truncated); raise :class:`ObservationError`
    with a message that names the server and says what to check."""
    qname = _name(qname)
    request = dns.message.make_query(qname, rdtype, want_dnssec=dnssec, payload=EDNS_PAYLOAD)
    request.flags &= ~dns.flags.RD
    what = f"{qname} {dns.rdatatype.to_text(dns.rdatatype.RdataType.make(rdtype))}"
    hint = f"check with `dig @{server.address} -p {server.port} {what}`"
    try:
        response = dns.query.udp(request, server.address, timeout=timeout, port=server.port)
        if response.flags & dns.flags.TC:
            response = dns.query.tcp(request, server.address, timeout=timeout, port=server.port)
    except dns.exception.Timeout:
        raise ObservationError(f"no answer from {server.label} within {timeout:g} s for {what}: "
                               f"is the server running and reachable? {hint}") from None
    except (OSError, dns.exception.DNSException) as exc:
        raise ObservationError(f"{server.label} could not be asked {what}: {exc}; {hint}") from None
    return response


def _answer_rrset(response: dns.message.Message, qname: dns.name.Name, rdtype: int):
    for rrset in response.answer:
        if rrset.name == qname and rrset.rdtype == rdtype and rrset.rdclass == dns.rdataclass.IN:
            return rrset
    return None


def _rrsigs(response: dns.message.Message, qname: dns.name.Name, covered: int) -> list:
    found = []
    for rrset in response.answer:
        if rrset.name == qname and rrset.rdtype == dns.rdatatype.RRSIG:
            found.extend(r for r in rrset if r.type_covered == covered)
    return found


def _authoritative_answer(server: Server, zone: dns.name.Name, qname: dns.name.Name, rdtype: int,
                          timeout: float) -> dns.message.Message:
    response = query(server, qname, rdtype, timeout=timeout)
    rcode = response.rcode()
    if rcode == dns.rcode.NXDOMAIN:
        raise ObservationError(f"{server.label} says {qname} does not exist (NXDOMAIN)")
    if rcode != dns.rcode.NOERROR:
        raise ObservationError(f"{server.label} answered {dns.rcode.to_text(rcode)} for {qname} "
                               f"{dns.rdatatype.to_text(rdtype)}: is it configured for zone {zone}?")
    if not response.flags & dns.flags.AA:
        raise ObservationError(f"{server.label} is not authoritative for {zone} (no AA flag in its "
                               f"answer for {qname} {dns.rdatatype.to_text(rdtype)})")
    return response


def _each(servers: Sequence[Server | str], what: str, zone: str, clock: Callable[[], float],
          ask: Callable[[Server], dict]) -> list[Observation]:
    observations = []
    for spec in servers:
        server = Server.parse(spec)
        when = clock()
        try:
            value = ask(server)
            observations.append(Observation(what, zone, server.label, when, True, value))
        except ObservationError as exc:
            observations.append(Observation(what, zone, server.label, when, False, {}, str(exc)))
    return observations


def observe_soa(zone: str, servers: Sequence[Server | str], *, timeout: float = DEFAULT_TIMEOUT,
                clock: Callable[[], float] = time.time) -> list[Observation]:
    """SOA serial of ``zone`` on every server: value ``{"serial": n, "ttl": t}``."""
    apex = _name(zone)

    def ask(server: Server) -> dict:
        response = _authoritative_answer(server, apex, apex, dns.rdatatype.SOA, timeout)
        rrset = _answer_rrset(response, apex, dns.rdatatype.SOA)
        if rrset is None:
            raise ObservationError(f"{server.label} returned no SOA for {apex}")
        return {"serial": int(rrset[0].serial), "ttl": int(rrset.ttl)}

    return _each(servers, "soa", apex.to_text(), clock, ask)


def observe_dnskey(zone: str, servers: Sequence[Server | str], *, timeout: float = DEFAULT_TIMEOUT,
                   clock: Callable[[], float] = time.time) -> list[Observation]:
    """DNSKEY RRset of ``zone`` on every server, with the SOA serial asked just before.

    Value: ``{"serial": n, "ttl": t, "keys": [{"tag", "algorithm", "flags"}...],
    "signed_by": [tag, ...]}`` (``signed_by``: key tags of the RRSIGs over the
    DNSKEY RRset)."""
    apex = _name(zone)

    def ask(server: Server) -> dict:
        soa = _authoritative_answer(server, apex, apex, dns.rdatatype.SOA, timeout)
        soa_rrset = _answer_rrset(soa, apex, dns.rdatatype.SOA)
        response = _authoritative_answer(server, apex, apex, dns.rdatatype.DNSKEY, timeout)
        rrset = _answer_rrset(response, apex, dns.rdatatype.DNSKEY)
        keys = [] if rrset is None else sorted(
            ({"tag": dns.dnssec.key_id(r), "algorithm": int(r.algorithm), "flags": int(r.flags)}
             for r in rrset), key=lambda k: (k["tag"], k["algorithm"]))
        return {"serial": int(soa_rrset[0].serial) if soa_rrset is not None else None,
                "ttl": int(rrset.ttl) if rrset is not None else None, "keys": keys,
                "signed_by": sorted({int(s.key_tag) for s in _rrsigs(response, apex, dns.rdatatype.DNSKEY)})}

    return _each(servers, "dnskey", apex.to_text(), clock, ask)


def ds_tuple(record) -> tuple[int, int, int, str]:
    """(key tag, algorithm, digest type, hex digest) from a DSRecord, a dnspython DS
    rdata, a dict, or text "40144 13 2 ABCD..." / "zone. 3600 IN DS 40144 13 2 ABCD..."."""
    if isinstance(record, tuple | list) and len(record) == 4:
        return int(record[0]), int(record[1]), int(record[2]), str(record[3]).lower()
    if isinstance(record, Mapping):
        return (int(record["key_tag"]), int(record["algorithm"]), int(record["digest_type"]),
                str(record["digest"]).lower())
    if hasattr(record, "key_tag") and hasattr(record, "digest_type"):
        digest = record.digest
        digest = digest.hex() if isinstance(digest, bytes | bytearray) else str(digest)
        return int(record.key_tag), int(record.algorithm), int(record.digest_type), digest.lower()
    tokens = str(record).split()
    if "DS" in tokens:
        tokens = tokens[tokens.index("DS") + 1:]
    if len(tokens) < 4:
        raise ObservationError(f"cannot read a DS record from {record!r}")
    return int(tokens[0]), int(tokens[1]), int(tokens[2]), "".join(tokens[3:]).lower()


def ds_short(ds: tuple[int, int, int, str]) -> str:
    return f"{ds[0]}/{ds[1]}/{ds[2]}"


def observe_ds(zone: str, parent_servers: Sequence[Server | str], *, timeout: float = DEFAULT_TIMEOUT,
               clock: Callable[[], float] = time.time) -> list[Observation]:
    """DS RRset for ``zone`` on every parent server: value ``{"ds": [{key_tag, algorithm,
    digest_type, digest}...], "ttl": t}`` (an empty list when the parent has none)."""
    owner = _name(zone)

    def ask(server: Server) -> dict:
        response = query(server, owner, dns.rdatatype.DS, timeout=timeout)
        rcode = response.rcode()
        if rcode == dns.rcode.NXDOMAIN:
            raise ObservationError(f"{server.label} has no delegation for {owner} (NXDOMAIN)")
        if rcode != dns.rcode.NOERROR:
            raise ObservationError(f"{server.label} answered {dns.rcode.to_text(rcode)} for {owner} DS: "
                                   "is it a server of the parent zone?")
        if not response.flags & dns.flags.AA:
            raise ObservationError(f"{server.label} is not authoritative for the parent of {owner} "
                                   "(no AA flag in its DS answer)")
        rrset = _answer_rrset(response, owner, dns.rdatatype.DS)
        records = [] if rrset is None else sorted(ds_tuple(r) for r in rrset)
        return {"ds": [dict(zip(("key_tag", "algorithm", "digest_type", "digest"), r, strict=True))
                       for r in records],
                "ttl": int(rrset.ttl) if rrset is not None else None}

    return _each(parent_servers, "ds", owner.to_text(), clock, ask)


def observe_rrsig_validity(zone: str, servers: Sequence[Server | str], *,
                           rdtypes: Sequence[str] = ("SOA", "DNSKEY", "NSEC3PARAM"),
                           names: Sequence[str] | None = None, timeout: float = DEFAULT_TIMEOUT,
                           clock: Callable[[], float] = time.time) -> list[Observation]:
    """Minimum remaining RRSIG validity over the given RRsets on every server.

    Value: ``{"min_remaining": seconds, "expires": epoch, "rrset": "example. SOA",
    "signatures": n}``. An RRset that exists but carries no signature makes the
    observation fail (an unsigned answer from a signed zone is a problem)."""
    apex = _name(zone)
    owners = [apex] + [_name(n) if n.endswith(".") else dns.name.from_text(n, apex) for n in (names or ())]

    def ask(server: Server) -> dict:
        now = clock()
        earliest, where, count = None, None, 0
        for owner in owners:
            for rdtype_text in rdtypes:
                rdtype = dns.rdatatype.from_text(rdtype_text)
                response = _authoritative_answer(server, apex, owner, rdtype, timeout)
                if _answer_rrset(response, owner, rdtype) is None:
                    continue
                sigs = _rrsigs(response, owner, rdtype)
                if not sigs:
                    raise ObservationError(f"{server.label} serves {owner} {rdtype_text} without RRSIG")
                for sig in sigs:
                    count += 1
                    if earliest is None or sig.expiration < earliest:
                        earliest, where = int(sig.expiration), f"{owner} {rdtype_text}"
        if earliest is None:
            raise ObservationError(f"{server.label} served none of {', '.join(rdtypes)} at {apex}")
        return {"min_remaining": int(earliest - now), "expires": earliest, "expires_at": iso(earliest),
                "rrset": where, "signatures": count}

    return _each(servers, "rrsig", apex.to_text(), clock, ask)


# -- discovery ---------------------------------------------------------------

def find_zone_apex(name: str, servers: Sequence[Server | str], *,
                   timeout: float = DEFAULT_TIMEOUT) -> str:
    """The apex of the zone that holds ``name`` (its SOA owner), asking ``servers``
    in turn (recursive resolvers, or authoritative servers of an ancestor)."""
    qname = _name(name)
    errors = []
    for spec in servers:
        server = Server.parse(spec)
        try:
            response = query(server, qname, dns.rdatatype.SOA, timeout=timeout, dnssec=False)
        except ObservationError as exc:
            errors.append(str(exc))
            continue
        for section in (response.answer, response.authority):
            for rrset in section:
                if rrset.rdtype == dns.rdatatype.SOA and qname.is_subdomain(rrset.name):
                    return rrset.name.to_text()
        errors.append(f"{server.label} gave no SOA for {qname} ({dns.rcode.to_text(response.rcode())})")
    raise ObservationError(f"cannot find the zone that holds {qname}: " + "; ".join(errors))


def discover_zone_servers(zone: str, servers: Sequence[Server | str], *, port: int = 53,
                          timeout: float = DEFAULT_TIMEOUT) -> list[Server]:
    """The nameservers of ``zone`` (its NS RRset) with their addresses, asking
    ``servers``; each found server is given ``port``. Addresses come from glue
    when present, else from A / AAAA queries to ``servers``."""
    apex = _name(zone)
    asked = [Server.parse(s) for s in servers]
    errors = []
    for server in asked:
        try:
            response = query(server, apex, dns.rdatatype.NS, timeout=timeout, dnssec=False)
        except ObservationError as exc:
            errors.append(str(exc))
            continue
        targets = []
        for section in (response.answer, response.authority):
            for rrset in section:
                if rrset.name == apex and rrset.rdtype == dns.rdatatype.NS:
                    targets.extend(r.target for r in rrset)
        if not targets:
            errors.append(f"{server.label} returned no NS for {apex} ({dns.rcode.to_text(response.rcode())})")
            continue
        glue: dict[dns.name.Name, list[str]] = {}
        for rrset in response.additional:
            if rrset.rdtype in (dns.rdatatype.A, dns.rdatatype.AAAA):
                glue.setdefault(rrset.name, []).extend(r.address for r in rrset)
        found: list[Server] = []
        for target in sorted(set(targets)):
            addresses = glue.get(target) or _addresses(target, asked, timeout)
            if not addresses:
                errors.append(f"no address found for nameserver {target} of {apex}")
            found.extend(Server(a, port, target.to_text()) for a in sorted(set(addresses)))
        if found:
            return found
    raise ObservationError(f"cannot discover the nameservers of {apex}: " + "; ".join(errors)
                           + " (give the server list explicitly instead)")


def _addresses(target: dns.name.Name, servers: Sequence[Server], timeout: float) -> list[str]:
    addresses: list[str] = []
    for rdtype in (dns.rdatatype.A, dns.rdatatype.AAAA):
        for server in servers:
            try:
                response = query(server, target, rdtype, timeout=timeout, dnssec=False)
            except ObservationError:
                continue
            rrset = _answer_rrset(response, target, rdtype)
            if rrset is not None:
                addresses.extend(r.address for r in rrset)
                break
    return addresses


def discover_parent_servers(zone: str, servers: Sequence[Server | str], *, port: int = 53,
                            timeout: float = DEFAULT_TIMEOUT) -> tuple[str, list[Server]]:
    """``(parent apex, its nameservers)`` for ``zone``, asking ``servers``."""
    apex = _name(zone)
    if apex == dns.name.root:
        raise ObservationError("the root zone has no parent")
    parent = find_zone_apex(apex.parent().to_text(), servers, timeout=timeout)
    return parent, discover_zone_servers(parent, servers, port=port, timeout=timeout)


# -- evidence (pure) ---------------------------------------------------------

@dataclass
class Evidence:
    """Does a condition hold on every server? ``text`` says it in words."""

    satisfied: bool
    matching: list[str]
    waiting: dict[str, str]
    text: str
    observed_at: float | None = None

    def to_dict(self) -> dict:
        return {"satisfied": self.satisfied, "matching": self.matching, "waiting": self.waiting,
                "text": self.text, "observed_at": self.observed_at, "observed": iso(self.observed_at)}


def _evidence(observations: Sequence[Observation], what: str, where: str,
              check: Callable[[dict], str | None]) -> Evidence:
    if not observations:
        return Evidence(False, [], {}, f"{what}: no {where} observed yet")
    matching, waiting = [], {}
    for obs in observations:
        problem = obs.error if not obs.ok else check(obs.value)
        if problem:
            waiting[obs.server] = problem
        else:
            matching.append(obs.server)
    total = len(observations)
    observed_at = max(o.when for o in observations)
    if not waiting:
        text = f"{what} seen on all {total} {where} ({iso(observed_at)})"
    else:
        details = "; ".join(f"{s}: {p}" for s, p in waiting.items())
        text = (f"{what} seen on {len(matching)} of {total} {where}; waiting for "
                f"{', '.join(waiting)} ({details})")
    return Evidence(not waiting, matching, waiting, text, observed_at)


def dnskey_evidence(observations: Sequence[Observation], expected_tags: Iterable[int], *,
                    exact: bool = True, absent_tags: Iterable[int] = ()) -> Evidence:
    """Do all servers serve a DNSKEY RRset with ``expected_tags`` (exactly, unless
    ``exact`` is false) and none of ``absent_tags``, all at one SOA serial?"""
    expected, absent = set(expected_tags), set(absent_tags)

    def check(value: dict) -> str | None:
        tags = {k["tag"] for k in value.get("keys", [])}
        if exact and tags != expected:
            return f"serves DNSKEY {sorted(tags)}, not {sorted(expected)}"
        if not expected <= tags:
            return f"lacks DNSKEY {sorted(expected - tags)}"
        if tags & absent:
            return f"still serves DNSKEY {sorted(tags & absent)}"
        return None

    evidence = _evidence(observations, f"DNSKEY RRset {sorted(expected)}", "authoritative servers", check)
    serials = {o.value.get("serial") for o in observations if o.ok}
    if evidence.satisfied and len(serials) > 1:
        evidence.satisfied = False
        evidence.text += f"; but the servers are at different SOA serials {sorted(serials)}"
    return evidence


def ds_evidence(observations: Sequence[Observation], expected: Iterable, *, exact: bool = True,
                absent: Iterable = ()) -> Evidence:
    """Do all parent servers serve the DS RRset ``expected`` (exactly, unless
    ``exact`` is false) and none of ``absent``?"""
    wanted = {ds_tuple(d) for d in expected}
    unwanted = {ds_tuple(d) for d in absent}

    def names(items: Iterable) -> str:
        return ", ".join(sorted(ds_short(d) for d in items)) or "none"

    def check(value: dict) -> str | None:
        served = {ds_tuple(d) for d in value.get("ds", [])}
        if exact and served != wanted:
            return f"serves DS {names(served)}"
        if not wanted <= served:
            return f"lacks DS {names(wanted - served)}"
        if served & unwanted:
            return f"still serves DS {names(served & unwanted)}"
        return None

    label = "DS " + (", ".join(sorted(ds_short(d) for d in wanted)) or "(none)")
    if unwanted:
        label += " without " + ", ".join(sorted(ds_short(d) for d in unwanted))
    return _evidence(observations, label, "parent servers", check)


def serial_evidence(observations: Sequence[Observation], minimum: int | None = None) -> Evidence:
    """Do all servers serve one SOA serial (at least ``minimum``, compared with
    RFC 1982 serial arithmetic)?"""
    serials = [o.value.get("serial") for o in observations if o.ok and o.value.get("serial") is not None]
    target = minimum
    if target is None and serials:
        target = serials[0]
        for serial in serials[1:]:
            if _serial_ge(serial, target):
                target = serial

    def check(value: dict) -> str | None:
        serial = value.get("serial")
        if target is not None and serial != target and not _serial_ge(serial, target):
            return f"at serial {serial}, not yet {target}"
        return None

    evidence = _evidence(observations, f"SOA serial {target}", "servers", check)
    if evidence.satisfied and len(set(serials)) > 1:
        evidence.satisfied = False
        evidence.text = f"servers disagree on the SOA serial: {sorted(set(serials))}"
    return evidence


def _serial_ge(a: int | None, b: int) -> bool:
    """RFC 1982: is serial ``a`` at or after ``b``?"""
    if a is None:
        return False
    return a == b or 0 < (a - b) % 2**32 < 2**31


def track_since(previous: Mapping | None, evidence: Evidence, now: float) -> dict:
    """Carry "since when" across runs.

    Returns ``{"first_seen": {server: t}, "satisfied_since": t | None}``: a
    server's time is when it was first seen matching (kept while it keeps
    matching, dropped when it stops); ``satisfied_since`` is when the last
    server joined, i.e. from when the condition is known to hold everywhere.
    Store the result in the zone state and pass it back next run."""
    before = dict((previous or {}).get("first_seen") or {})
    first_seen = {server: float(before.get(server, evidence.observed_at or now))
                  for server in evidence.matching}
    since = max(first_seen.values()) if evidence.satisfied and first_seen else None
    return {"first_seen": first_seen, "satisfied_since": since, "satisfied_since_at": iso(since),
            "text": evidence.text
            + (f"; holding since {iso(since)}" if since is not None else "")}


def resolve_host(host: str, port: int = 53) -> list[Server]:
    """Addresses of a host name from the system resolver (for explicit server
    names in an inventory); IP literals are returned as they are."""
    try:
        ipaddress.ip_address(host)
        return [Server(host, port)]
    except ValueError:
        pass
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_DGRAM)
    except OSError as exc:
        raise ObservationError(f"cannot resolve server name {host!r}: {exc}") from None
    return [Server(info[4][0], port, host) for info in infos]
