# Copyright: rsp.dnssec contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt)
"""DNSKEY, key tag, DS, CDS and CDNSKEY records, and the DS export formats.

Pure functions over dnspython rdata; nothing here talks to an HSM or a server.

* Public key -> DNSKEY key field: RSA (RFC 3110 section 2), ECDSA (RFC 6605
  section 4), EdDSA (RFC 8080 section 3).
* Key tag (RFC 4034 appendix B), DS (RFC 4034 section 5.1.4, SHA-256 RFC 4509,
  SHA-384 RFC 6605; SHA-1 refused, RFC 8624 section 3.3), CDS / CDNSKEY
  (RFC 7344 section 3).
* Parsing DNSKEY text (``owner [TTL] [IN] DNSKEY flags 3 alg key``).
* DS export formats: zone-file lines, JSON (the fields IANA's root zone
  management asks a TLD for: key tag, algorithm, digest type, digest and the
  DNSKEY), and EPP ``secDNS-1.1`` ``dsData`` XML (RFC 5910 section 4).
* The RRSIG signature input (RFC 4034 section 3.1.8.1), so that a signature
  made by an HSM can be checked with dnspython.
"""

from __future__ import annotations

import base64
import json
import struct
import traceback
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

try:
    import dns.exception
    import dns.name
    import dns.rdata
    import dns.rdataclass
    import dns.rdatatype
    import dns.rrset
    import dns.ttl

    DNSPYTHON_IMPORT_ERROR = None
except ImportError:  # modules report it with missing_required_lib("dnspython")
    DNSPYTHON_IMPORT_ERROR = traceback.format_exc()

from ansible_collections.rsp.dnssec.plugins.module_utils.dnssec.algorithms import (
    DIGESTS,
    AlgorithmError,
    digest_type,
    lookup,
)

# RFC 4034 section 2.1.1 (ZONE, SEP) and RFC 5011 section 3 (REVOKE).
FLAG_ZONE = 0x0100
FLAG_REVOKE = 0x0080
FLAG_SEP = 0x0001
ROLE_FLAGS = {"ksk": FLAG_ZONE | FLAG_SEP, "zsk": FLAG_ZONE, "csk": FLAG_ZONE | FLAG_SEP}
PROTOCOL = 3  # RFC 4034 section 2.1.2

SECDNS_NS = "urn:ietf:params:xml:ns:secDNS-1.1"  # RFC 5910 section 4

# Public key sizes in octets: ECDSA X||Y (RFC 6605 section 4), EdDSA (RFC 8080 section 3).
EC_POINT_OCTETS = {13: 64, 14: 96}
EDDSA_KEY_OCTETS = {15: 32, 16: 57}


class RecordError(ValueError):
    """Malformed DNSSEC record text or key material; the message says what and where."""


# -- public key -> DNSKEY key field ------------------------------------------------------------

def _unsigned(value: int | bytes) -> bytes:
    if isinstance(value, int):
        return value.to_bytes(max(1, (value.bit_length() + 7) // 8), "big")
    return bytes(value).lstrip(b"\x00") or b"\x00"


def rsa_key_data(modulus: int | bytes, exponent: int | bytes) -> bytes:
    """RFC 3110 section 2: exponent length (1 octet, or 0 and 2 octets), exponent, modulus."""
    exp = _unsigned(exponent)
    mod = _unsigned(modulus)
    if len(exp) <= 255:
        return bytes([len(exp)]) + exp + mod
    return b"\x00" + struct.pack("!H", len(exp)) + exp + mod


def split_rsa_key_data(key: bytes) -> tuple[int, int]:
    """Inverse of :func:`rsa_key_data`: return (modulus, exponent) as integers."""
    if not key:
        raise RecordError("empty RSA public key")
    if key[0]:
        exp_len, offset = key[0], 1
    else:
        if len(key) < 3:
            raise RecordError("truncated RSA public key")
        exp_len, offset = struct.unpack("!H", key[1:3])[0], 3
    exponent = key[offset:offset + exp_len]
    modulus = key[offset + exp_len:]
    if len(exponent) != exp_len or not modulus:
        raise RecordError("truncated RSA public key (RFC 3110 section 2)")
    return int.from_bytes(modulus, "big"), int.from_bytes(exponent, "big")


def ec_key_data(point: bytes, algorithm: int) -> bytes:
    """RFC 6605 section 4: X||Y. Accepts the SEC 1 uncompressed point (0x04||X||Y) or X||Y."""
    size = EC_POINT_OCTETS.get(int(algorithm))
    if size is None:
        raise RecordError(f"algorithm {algorithm} is not an ECDSA algorithm (13 or 14)")
    point = bytes(point)
    if len(point) == size + 1 and point[0] == 0x04:
        point = point[1:]
    if len(point) != size:
        raise RecordError(f"an algorithm {algorithm} public key is an uncompressed point of {size} octets "
                          f"(X||Y), got {len(point)} octets")
    return point


def eddsa_key_data(key: bytes, algorithm: int) -> bytes:
    """RFC 8080 section 3: the public key itself (32 octets Ed25519, 57 octets Ed448)."""
    size = EDDSA_KEY_OCTETS.get(int(algorithm))
    if size is None:
        raise RecordError(f"algorithm {algorithm} is not an EdDSA algorithm (15 or 16)")
    if len(key) != size:
        raise RecordError(f"an algorithm {algorithm} public key has {size} octets, got {len(key)}")
    return bytes(key)


def key_bits(algorithm: int, key: bytes) -> int:
    """Key size in bits as people name it: RSA modulus bits, 256 / 384 for ECDSA, 255 / 448 for EdDSA."""
    family = lookup(algorithm).family
    if family == "rsa":
        return split_rsa_key_data(key)[0].bit_length()
    return {13: 256, 14: 384, 15: 255, 16: 448}.get(int(algorithm), len(key) * 8)


# -- DNSKEY, key tag, DS, CDS, CDNSKEY ---------------------------------------------------------

def make_dnskey(flags: int, algorithm: int, key: bytes, rdtype: str = "DNSKEY") -> dns.rdata.Rdata:
    """A DNSKEY (or CDNSKEY) rdata: flags, protocol 3, algorithm, key field (RFC 4034 section 2.1)."""
    wire = struct.pack("!HBB", int(flags), PROTOCOL, int(algorithm)) + bytes(key)
    return dns.rdata.from_wire(dns.rdataclass.IN, dns.rdatatype.from_text(rdtype), wire, 0, len(wire))


def keytag(dnskey: dns.rdata.Rdata) -> int:
    """RFC 4034 appendix B key tag (dnspython implements it)."""
    import dns.dnssec  # here, not at the top: it loads cryptography, which most callers never need

    return dns.dnssec.key_id(dnskey)


def domain_name(owner: str | dns.name.Name) -> dns.name.Name:
    """A dnspython name from text (absolute: 'example' is 'example.')."""
    if isinstance(owner, dns.name.Name):
        return owner
    try:
        return dns.name.from_text(str(owner))
    except dns.exception.DNSException as exc:
        raise RecordError(f"{owner!r} is not a domain name: {exc}") from None


def _digest_name(digest: int | str) -> str:
    number = digest_type(digest)  # raises AlgorithmError for SHA-1 / GOST / unknown
    return {v: k for k, v in DIGESTS.items()}[number]


def make_ds(owner: str | dns.name.Name, dnskey: dns.rdata.Rdata, digest: int | str = "sha256",
            rdtype: str = "DS") -> dns.rdata.Rdata:
    """DS (or CDS) rdata for ``dnskey`` at ``owner`` (RFC 4034 section 5.1.4).

    ``digest`` is sha256 (RFC 4509) or sha384 (RFC 6605); SHA-1 and GOST are
    refused (RFC 8624 section 3.3, ICANN RST dnssec-92).
    """
    import dns.dnssec  # see keytag()

    name = _digest_name(digest)
    ds = dns.dnssec.make_ds(domain_name(owner), dnskey, name.upper())
    if rdtype == "DS":
        return ds
    wire = ds.to_wire()
    return dns.rdata.from_wire(dns.rdataclass.IN, dns.rdatatype.from_text(rdtype), wire, 0, len(wire))


def make_cds(owner: str | dns.name.Name, dnskey: dns.rdata.Rdata, digest: int | str = "sha256"):
    """CDS rdata (RFC 7344 section 3.1): the DS rdata under the CDS type."""
    return make_ds(owner, dnskey, digest, rdtype="CDS")


def make_cdnskey(dnskey: dns.rdata.Rdata) -> dns.rdata.Rdata:
    """CDNSKEY rdata (RFC 7344 section 3.2): the DNSKEY rdata under the CDNSKEY type."""
    return make_dnskey(int(dnskey.flags), int(dnskey.algorithm), dnskey.key, rdtype="CDNSKEY")


def rdata_text(rdata: dns.rdata.Rdata) -> str:
    """Presentation form on one line; DS / CDS digests in upper-case hex (as dnssec-dsfromkey prints)."""
    if rdata.rdtype in (dns.rdatatype.DS, dns.rdatatype.CDS):
        return (f"{int(rdata.key_tag)} {int(rdata.algorithm)} {int(rdata.digest_type)} "
                f"{rdata.digest.hex().upper()}")
    if rdata.rdtype in (dns.rdatatype.DNSKEY, dns.rdatatype.CDNSKEY):
        return (f"{int(rdata.flags)} {int(rdata.protocol)} {int(rdata.algorithm)} "
                f"{base64.b64encode(rdata.key).decode()}")
    return rdata.to_text()


def rr_text(owner: str | dns.name.Name, ttl: int | None, rdata: dns.rdata.Rdata) -> str:
    """``owner. TTL IN TYPE rdata`` (TTL left out when None)."""
    parts = [domain_name(owner).to_text()]
    if ttl is not None:
        parts.append(str(int(ttl)))
    parts += ["IN", dns.rdatatype.to_text(rdata.rdtype), rdata_text(rdata)]
    return " ".join(parts)


@dataclass(frozen=True)
class KeyRecord:
    """One DNSKEY with its owner name and TTL (None when the text had none)."""

    owner: dns.name.Name
    ttl: int | None
    dnskey: dns.rdata.Rdata

    @property
    def flags(self) -> int:
        return int(self.dnskey.flags)

    @property
    def algorithm(self) -> int:
        return int(self.dnskey.algorithm)

    @property
    def keytag(self) -> int:
        return keytag(self.dnskey)

    @property
    def is_sep(self) -> bool:
        return bool(self.flags & FLAG_SEP)

    @property
    def is_revoked(self) -> bool:
        return bool(self.flags & FLAG_REVOKE)

    @property
    def zone(self) -> str:
        return self.owner.to_text()

    def text(self) -> str:
        return rr_text(self.owner, self.ttl, self.dnskey)

    def ds(self, digest: int | str = "sha256") -> dns.rdata.Rdata:
        return make_ds(self.owner, self.dnskey, digest)

    def summary(self, digests: Sequence[int | str] = ("sha256",), ttl: int | None = None) -> dict:
        """What a module returns for a key: keytag, DNSKEY, DS, CDS, CDNSKEY in presentation form."""
        ttl = self.ttl if ttl is None else ttl
        return {
            "zone": self.zone,
            "keytag": self.keytag,
            "flags": self.flags,
            "algorithm": self.algorithm,
            "dnskey": rr_text(self.owner, ttl, self.dnskey),
            "ds": [rr_text(self.owner, ttl, make_ds(self.owner, self.dnskey, d)) for d in digests],
            "cds": [rr_text(self.owner, ttl, make_cds(self.owner, self.dnskey, d)) for d in digests],
            "cdnskey": rr_text(self.owner, ttl, make_cdnskey(self.dnskey)),
        }


def key_record(owner: str | dns.name.Name, flags: int, algorithm: int, key: bytes,
               ttl: int | None = None) -> KeyRecord:
    """A :class:`KeyRecord` from its parts (the key field already in DNSKEY format)."""
    return KeyRecord(domain_name(owner), ttl, make_dnskey(flags, algorithm, key))


# -- parsing -----------------------------------------------------------------------------------

def _strip_comment(line: str) -> str:
    out, quoted = [], False
    for char in line:
        if char == '"':
            quoted = not quoted
        if char == ";" and not quoted:
            break
        out.append(char)
    return "".join(out)


def _logical_lines(text: str) -> list[tuple[int, str]]:
    """Join parenthesised continuation lines (RFC 1035 section 5.1); keep the first line number."""
    result: list[tuple[int, str]] = []
    buffer, start, depth = "", 0, 0
    for number, raw in enumerate(str(text).splitlines(), 1):
        line = _strip_comment(raw)
        if not buffer:
            start = number
        depth += line.count("(") - line.count(")")
        buffer += " " + line.replace("(", " ").replace(")", " ")
        if depth <= 0:
            if buffer.strip():
                result.append((start, buffer.strip()))
            buffer, depth = "", 0
    if buffer.strip():
        raise RecordError(f"line {start}: unbalanced parentheses in {buffer.strip()[:60]!r}")
    return result


def _is_ttl(token: str) -> bool:
    try:
        dns.ttl.from_text(token)
    except dns.exception.DNSException:
        return False
    return token[:1].isdigit()


def parse_dnskey(text: str, origin: str | dns.name.Name | None = None, *,
                 rdtypes: Iterable[str] = ("DNSKEY",)) -> KeyRecord:
    """Parse exactly one DNSKEY RR: ``owner [TTL] [IN] DNSKEY flags protocol algorithm key``.

    TTL and class are optional, in either order. Without an owner
    (``flags protocol algorithm key`` or ``DNSKEY flags ...``) ``origin`` is used;
    with neither, :class:`RecordError` says that the owner is missing.
    """
    records = parse_dnskeys(text, origin, rdtypes=rdtypes)
    if len(records) != 1:
        raise RecordError(f"expected one DNSKEY record, found {len(records)} in {str(text)[:80]!r}")
    return records[0]


def parse_dnskeys(text: str, origin: str | dns.name.Name | None = None, *,
                  rdtypes: Iterable[str] = ("DNSKEY",)) -> list[KeyRecord]:
    """Parse any number of DNSKEY RRs (zone-file syntax, comments and parentheses allowed).

    Lines of other types fail: a DS export must not silently ignore input.
    """
    wanted = {t.upper() for t in rdtypes}
    default_owner = domain_name(origin) if origin is not None else None
    records = []
    for number, line in _logical_lines(text):
        tokens = line.split()
        position = next((i for i, token in enumerate(tokens) if token.upper() in wanted), None)
        owner: dns.name.Name | None = None
        ttl: int | None = None
        if position is None:
            if not all(token.isdigit() for token in tokens[:3]):
                raise RecordError(f"line {number}: not a DNSKEY record: {line[:100]!r} (expected "
                                  "'owner [TTL] [IN] DNSKEY flags 3 algorithm base64-key')")
            rdtype, index = "DNSKEY", 0  # bare rdata: flags protocol algorithm key
        else:
            rdtype, index = tokens[position].upper(), position + 1
            for i, token in enumerate(tokens[:position]):
                if token.upper() == "IN":
                    continue
                if ttl is None and _is_ttl(token) and (i > 0 or token.isdigit()):
                    ttl = dns.ttl.from_text(token)
                elif i == 0:
                    owner = domain_name(token)
                else:
                    raise RecordError(f"line {number}: unexpected {token!r} before {rdtype} in "
                                      f"{line[:100]!r} (expected 'owner [TTL] [IN] {rdtype} ...')")
        owner = owner or default_owner
        if owner is None:
            raise RecordError(f"line {number}: DNSKEY without an owner name: {line[:100]!r} "
                              "(write the full record 'zone. 3600 IN DNSKEY ...' or give the zone)")
        rdata_tokens = tokens[index:]
        if len(rdata_tokens) < 4:
            raise RecordError(f"line {number}: a DNSKEY needs flags, protocol, algorithm and key: "
                              f"{line[:100]!r}")
        try:
            rdata = dns.rdata.from_text(dns.rdataclass.IN, dns.rdatatype.from_text(rdtype),
                                        " ".join(rdata_tokens))
        except (dns.exception.DNSException, ValueError) as exc:
            raise RecordError(f"line {number}: malformed DNSKEY {line[:100]!r}: {exc}") from None
        if rdata.protocol != PROTOCOL:
            raise RecordError(f"line {number}: DNSKEY protocol must be 3 (RFC 4034 section 2.1.2), "
                              f"got {rdata.protocol}")
        try:
            lookup(rdata.algorithm)
        except AlgorithmError as exc:
            raise RecordError(f"line {number}: {exc}") from None
        _check_key_field(int(rdata.algorithm), rdata.key, number)
        if rdtype != "DNSKEY":
            rdata = make_dnskey(int(rdata.flags), int(rdata.algorithm), rdata.key)
        records.append(KeyRecord(owner, ttl, rdata))
    return records


def _check_key_field(algorithm: int, key: bytes, number: int) -> None:
    try:
        if algorithm in EC_POINT_OCTETS:
            ec_key_data(key, algorithm)
        elif algorithm in EDDSA_KEY_OCTETS:
            eddsa_key_data(key, algorithm)
        elif lookup(algorithm).family == "rsa":
            split_rsa_key_data(key)
    except RecordError as exc:
        raise RecordError(f"line {number}: {exc}") from None


# -- DS export formats -------------------------------------------------------------------------

@dataclass(frozen=True)
class DelegationSigner:
    """One DS for one DNSKEY: what a parent (IANA, a registry over EPP, the lab parent) needs."""

    key: KeyRecord
    ds: dns.rdata.Rdata
    ttl: int | None = None

    @property
    def zone(self) -> str:
        return self.key.zone

    def line(self) -> str:
        return rr_text(self.key.owner, self.ttl, self.ds)

    def as_dict(self) -> dict:
        """IANA root zone management fields: key tag, algorithm, digest type, digest, DNSKEY."""
        return {
            "zone": self.zone,
            "key_tag": int(self.ds.key_tag),
            "algorithm": int(self.ds.algorithm),
            "digest_type": int(self.ds.digest_type),
            "digest": self.ds.digest.hex().upper(),
            "ds": rdata_text(self.ds),
            "dnskey": {
                "flags": self.key.flags,
                "protocol": int(self.key.dnskey.protocol),
                "algorithm": self.key.algorithm,
                "public_key": base64.b64encode(self.key.dnskey.key).decode(),
            },
        }


def delegation_signers(keys: Iterable[KeyRecord], digests: Sequence[int | str] = ("sha256",), *,
                       include_zsk: bool = False, ttl: int | None = None
                       ) -> tuple[list[DelegationSigner], list[KeyRecord]]:
    """DS for every SEP key (flag 257) and digest; ZSKs only with ``include_zsk``.

    Revoked keys (RFC 5011) never get a DS. Returns (ds list, skipped keys).
    """
    result, skipped, seen = [], [], set()
    for key in keys:
        if key.is_revoked or not (key.is_sep or include_zsk) or not key.flags & FLAG_ZONE:
            skipped.append(key)
            continue
        for digest in digests:
            ds = key.ds(digest)
            marker = (key.owner, ds.to_wire())
            if marker not in seen:
                seen.add(marker)
                result.append(DelegationSigner(key, ds, ttl))
    return result, skipped


def ds_zone_lines(entries: Iterable[DelegationSigner]) -> str:
    """Zone-file lines, one DS per line, newline-terminated."""
    return "".join(entry.line() + "\n" for entry in entries)


def ds_json(entries: Iterable[DelegationSigner]) -> str:
    """A JSON document ``{"ds": [...]}`` with the IANA fields of every DS (stable key order)."""
    return json.dumps({"ds": [entry.as_dict() for entry in entries]}, indent=2) + "\n"


def ds_secdns_xml(entries: Sequence[DelegationSigner], *, include_key_data: bool = True,
                  max_sig_life: int | None = None) -> str:
    """EPP ``secDNS:create`` with one ``secDNS:dsData`` per DS (RFC 5910 section 4.1 and 5.2.1).

    The element goes in the ``<extension>`` of an EPP ``<domain:create>``; for an
    update, the same ``dsData`` elements go inside ``<secDNS:update><secDNS:add>``.
    All entries must belong to one domain (EPP commands are per domain).
    """
    zones = {entry.zone for entry in entries}
    if len(zones) > 1:
        raise RecordError("EPP secDNS data is per domain, got DS for " + ", ".join(sorted(zones)))
    lines = ['<?xml version="1.0" encoding="UTF-8"?>', f'<secDNS:create xmlns:secDNS="{SECDNS_NS}">']
    if max_sig_life is not None:
        lines.append(f"  <secDNS:maxSigLife>{int(max_sig_life)}</secDNS:maxSigLife>")
    for entry in entries:
        lines += ["  <secDNS:dsData>",
                  f"    <secDNS:keyTag>{entry.ds.key_tag}</secDNS:keyTag>",
                  f"    <secDNS:alg>{int(entry.ds.algorithm)}</secDNS:alg>",
                  f"    <secDNS:digestType>{int(entry.ds.digest_type)}</secDNS:digestType>",
                  f"    <secDNS:digest>{entry.ds.digest.hex().upper()}</secDNS:digest>"]
        if include_key_data:
            key = entry.key.dnskey
            lines += ["    <secDNS:keyData>",
                      f"      <secDNS:flags>{int(key.flags)}</secDNS:flags>",
                      f"      <secDNS:protocol>{int(key.protocol)}</secDNS:protocol>",
                      f"      <secDNS:alg>{int(key.algorithm)}</secDNS:alg>",
                      f"      <secDNS:pubKey>{base64.b64encode(key.key).decode()}</secDNS:pubKey>",
                      "    </secDNS:keyData>"]
        lines.append("  </secDNS:dsData>")
    lines.append("</secDNS:create>")
    return "\n".join(lines) + "\n"


def dnskeys_from_answer(response, zone: str | dns.name.Name, server: str = "the server") -> list[KeyRecord]:
    """The DNSKEY RRset of ``zone`` from an authoritative DNS response (dns.message.Message)."""
    import dns.flags
    import dns.rcode

    name = domain_name(zone)
    if response.rcode() != dns.rcode.NOERROR:
        raise RecordError(f"{server} answered {dns.rcode.to_text(response.rcode())} for {name} DNSKEY: "
                          "is it serving the zone?")
    if not response.flags & dns.flags.AA:
        raise RecordError(f"{server} is not authoritative for {name} (no AA flag): ask the signer or a "
                          "secondary that serves the zone")
    keys = []
    for rrset in response.answer:
        if rrset.name == name and rrset.rdtype == dns.rdatatype.DNSKEY:
            keys.extend(KeyRecord(name, rrset.ttl, rdata) for rdata in rrset)
    if not keys:
        raise RecordError(f"{server} serves no DNSKEY for {name}: is the zone signed?")
    return keys


# -- RRSIG signature input ---------------------------------------------------------------------

def signature_input(rrset: dns.rrset.RRset, rrsig: dns.rdata.Rdata) -> bytes:
    """The octets an RRSIG signs (RFC 4034 section 3.1.8.1, canonical form section 6.2).

    RRSIG_RDATA (without the signature, signer name canonical) followed by
    every RR of the set in canonical form and canonical order, with the
    original TTL and the owner reduced to ``rrsig.labels`` (wildcards).
    """
    header = struct.pack("!HBBIIIH", rrsig.type_covered, rrsig.algorithm, rrsig.labels,
                         rrsig.original_ttl, rrsig.expiration, rrsig.inception, rrsig.key_tag)
    data = header + rrsig.signer.canonicalize().to_wire()
    owner = rrset.name.canonicalize()
    if len(owner) - 1 > rrsig.labels:  # RFC 4035 section 5.3.2: wildcard expansion
        owner = dns.name.from_text("*", owner.split(rrsig.labels + 1)[1])
    prefix = owner.to_wire() + struct.pack("!HHI", rrset.rdtype, rrset.rdclass, rrsig.original_ttl)
    for wire in sorted(rdata.to_digestable() for rdata in rrset):
        data += prefix + struct.pack("!H", len(wire)) + wire
    return data
