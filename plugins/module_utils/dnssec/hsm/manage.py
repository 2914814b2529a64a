# Copyright: rsp.dnssec contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt)
"""Key management decisions for ``rsp.dnssec.hsm_key`` (and the HSM path of ``ds_export``).

The rules, in one place:

* A key is identified by its CKA_ID; the label is for humans. ``present`` looks
  for the CKA_ID, else for the label, and generates only when neither exists.
* An existing key is never regenerated or replaced: a CKA_ID or label that
  exists with another algorithm, curve or RSA size fails
  ("refusing to replace an existing HSM key ...").
* A label that names several key pairs is ambiguous: fail and list the ids.
* ``absent`` destroys a pair only with ``force``: it is irreversible.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field

from ansible_collections.rsp.dnssec.plugins.module_utils.dnssec.algorithms import (
    Algorithm,
    AlgorithmError,
    digest_type,
    lookup,
    signing_algorithm,
)
from ansible_collections.rsp.dnssec.plugins.module_utils.dnssec.hsm.base import (
    CURVE_NAMES,
    RSA_DEFAULT_BITS,
    RSA_MAX_BITS,
    RSA_MIN_BITS,
    KeyAmbiguous,
    KeyConflict,
    KeyIncomplete,
    KeyPair,
    KeySpec,
    Session,
    describe_ids,
    scheme_for,
)
from ansible_collections.rsp.dnssec.plugins.module_utils.dnssec.records import (
    ROLE_FLAGS,
    key_record,
)

KEY_ID_BYTES = 16
DEFAULT_TTL = 3600


class RequestError(ValueError):
    """A key request that cannot be valid (bad id, refused algorithm, RSA size...)."""


@dataclass(frozen=True)
class KeyRequest:
    """One key as a task asks for it, validated."""

    label: str
    algorithm: Algorithm
    key_id: bytes | None = None
    bits: int = 0
    zone: str | None = None
    role: str = "ksk"
    ttl: int = DEFAULT_TTL
    digests: tuple[str, ...] = ("sha256",)
    state: str = "present"
    force: bool = False

    @property
    def flags(self) -> int:
        return ROLE_FLAGS[self.role]

    def spec(self, key_id: bytes) -> KeySpec:
        return KeySpec(self.algorithm, self.label, key_id, self.bits)

    def wanted(self) -> str:
        scheme = scheme_for(self.algorithm.number)
        what = f"RSA-{self.bits}" if scheme.key_type == "RSA" else CURVE_NAMES[scheme.curve_oid]
        return f"algorithm {self.algorithm.number} ({self.algorithm.mnemonic}, {what})"


def parse_key_id(value: str | bytes | None) -> bytes | None:
    """Hex CKA_ID ("0a1b...", "0A:1B:...") -> bytes; None stays None."""
    if value is None or value == "":
        return None
    if isinstance(value, bytes):
        return value
    text = str(value).strip().lower().replace(":", "")
    if text.startswith("0x"):
        text = text[2:]
    if not re.fullmatch(r"(?:[0-9a-f]{2}){1,64}", text):
        raise RequestError(f"key_id {value!r} is not a CKA_ID in hex (an even number of hex digits, "
                           "1 to 64 bytes, e.g. 9f86d081884c7d659a2feaa0c55ad015)")
    return bytes.fromhex(text)


def key_request(params: Mapping, defaults: Mapping | None = None) -> KeyRequest:
    """Validate one key's options (``defaults`` fills what ``params`` leaves None)."""
    merged = dict(defaults or {})
    merged.update({k: v for k, v in params.items() if v is not None})
    label = str(merged.get("label") or "").strip()
    if not label:
        raise RequestError("label is required (the key's CKA_LABEL, e.g. example-ksk-13-20260115)")
    state = merged.get("state") or "present"
    try:
        algorithm = (signing_algorithm if state == "present" else lookup)(merged.get("algorithm") or 13)
    except AlgorithmError as exc:
        raise RequestError(str(exc)) from None
    bits = merged.get("bits")
    if state != "present":
        bits = 0  # absent: the key is found by id / label whatever its algorithm
    elif scheme_for(algorithm.number).key_type == "RSA":
        bits = int(bits or RSA_DEFAULT_BITS)
        if bits < RSA_MIN_BITS:
            raise RequestError(f"RSA keys below {RSA_MIN_BITS} bits are refused (got {bits}): RFC 8624 "
                               "section 3.1 and NIST SP 800-131A; use 2048 or more")
        if bits > RSA_MAX_BITS:
            raise RequestError(f"RSA keys above {RSA_MAX_BITS} bits are refused (got {bits}): DNSKEY "
                               "responses grow past safe UDP sizes; use 2048 to 4096")
    else:
        if bits:
            raise RequestError(f"bits applies to RSA only; {algorithm.mnemonic} has a fixed size "
                               f"({CURVE_NAMES[scheme_for(algorithm.number).curve_oid]})")
        bits = 0
    role = str(merged.get("role") or "ksk").lower()
    if role not in ROLE_FLAGS:
        raise RequestError(f"role must be one of {', '.join(ROLE_FLAGS)} (got {role!r})")
    digests = []
    for digest in merged.get("digests") or ["sha256"]:
        try:
            number = digest_type(digest)
        except AlgorithmError as exc:
            raise RequestError(str(exc)) from None
        digests.append({2: "sha256", 4: "sha384"}[number])
    ttl = int(merged.get("ttl") if merged.get("ttl") is not None else DEFAULT_TTL)
    if not 0 <= ttl <= 2**31 - 1:
        raise RequestError(f"ttl {ttl} is outside 0..2147483647 (RFC 2181 section 8)")
    zone = merged.get("zone")
    if zone is not None:
        zone = str(zone).strip()
        zone = zone if zone.endswith(".") else zone + "."
    return KeyRequest(label=label, algorithm=algorithm, key_id=parse_key_id(merged.get("key_id")),
                      bits=bits, zone=zone, role=role, ttl=ttl, digests=tuple(digests), state=state,
                      force=bool(merged.get("force")))


def _refuse(pair: KeyPair, request: KeyRequest, why: str) -> KeyConflict:
    return KeyConflict(
        f"refusing to replace an existing HSM key: {why}: the token holds {pair.describe()}, the task asks "
        f"for {request.wanted()}. The collection never regenerates or replaces a key: choose a new label "
        "(and no key_id), or correct the task to match the existing key"
        + (f" (bits: {pair.bits})" if pair.key_type == "RSA" and request.algorithm.family == "rsa" else "")
        + "; to retire the old key use state: absent with force: true")


def check_compatible(pair: KeyPair, request: KeyRequest) -> None:
    """Fail unless the existing ``pair`` is what ``request`` describes (algorithm, curve, size)."""
    if not (pair.has_public and pair.has_private):
        half = "public" if pair.has_public else "private"
        raise KeyIncomplete(
            f"only the {half} key of key id {pair.id_hex} (label '{pair.label}') exists on the token: "
            "the pair is incomplete (an interrupted generation or a manual deletion); inspect it with "
            "the HSM tools and remove it with state: absent, force: true")
    if request.algorithm.number not in pair.algorithms():
        raise _refuse(pair, request, f"key id {pair.id_hex} has a different algorithm")
    if pair.key_type == "RSA" and pair.bits != request.bits:
        raise _refuse(pair, request, f"key id {pair.id_hex} has {pair.bits} bits, not {request.bits}")


@dataclass
class Plan:
    """What ``present`` / ``absent`` will do for one request."""

    request: KeyRequest
    action: str  # "keep", "create", "destroy", "none" (absent and already gone)
    pair: KeyPair | None = None
    key_id: bytes | None = None
    notes: list[str] = field(default_factory=list)


def plan(session: Session, request: KeyRequest) -> Plan:
    """Decide without changing anything (check mode runs exactly this)."""
    by_id = session.find_keypairs(key_id=request.key_id) if request.key_id is not None else []
    if request.state == "absent":
        return _plan_absent(session, request, by_id)
    if by_id:
        pair = by_id[0]
        if pair.label != request.label:
            raise KeyConflict(
                f"key id {pair.id_hex} exists with label '{pair.label}', not '{request.label}': "
                "the CKA_ID is the key's identity; use its label, or another key_id")
        check_compatible(pair, request)
        return Plan(request, "keep", pair, pair.key_id)
    by_label = session.find_keypairs(label=request.label)
    if len(by_label) > 1:
        raise KeyAmbiguous(f"label '{request.label}' names {len(by_label)} key pairs (CKA_IDs "
                           f"{describe_ids(by_label)}): give key_id to say which one")
    if by_label:
        pair = by_label[0]
        if request.key_id is not None:
            raise KeyConflict(
                f"label '{request.label}' already names key id {pair.id_hex}, not the requested key_id "
                f"{request.key_id.hex()}: refusing to create a second key with the same label; use "
                f"key_id {pair.id_hex} or another label")
        check_compatible(pair, request)
        return Plan(request, "keep", pair, pair.key_id)
    key_id = request.key_id if request.key_id is not None else os.urandom(KEY_ID_BYTES)
    while request.key_id is None and session.find_keypairs(key_id=key_id):
        key_id = os.urandom(KEY_ID_BYTES)  # practically never: 128 random bits
    return Plan(request, "create", None, key_id)


def _plan_absent(session: Session, request: KeyRequest, by_id: list[KeyPair]) -> Plan:
    if request.key_id is not None:
        pairs = by_id
        if pairs and pairs[0].label != request.label:
            raise KeyConflict(f"key id {pairs[0].id_hex} has label '{pairs[0].label}', not "
                              f"'{request.label}': refusing to destroy a key the task does not name exactly")
    else:
        pairs = session.find_keypairs(label=request.label)
        if len(pairs) > 1:
            raise KeyAmbiguous(f"label '{request.label}' names {len(pairs)} key pairs (CKA_IDs "
                               f"{describe_ids(pairs)}): give key_id to say which one to destroy")
    if not pairs:
        return Plan(request, "none")
    pair = pairs[0]
    if not request.force:
        raise KeyConflict(f"refusing to destroy {pair.describe()}: destroying an HSM key is irreversible "
                          "(signatures made with it can never be reproduced and a DS pointing at it breaks "
                          "the chain of trust); set force: true once the key is retired everywhere")
    return Plan(request, "destroy", pair, pair.key_id)


def describe(pair: KeyPair, request: KeyRequest) -> dict:
    """The module's view of a key: identity, algorithm, and its DNSKEY / DS / CDS / CDNSKEY."""
    result = {
        "key_id": pair.id_hex,
        "label": pair.label,
        "algorithm": request.algorithm.number,
        "algorithm_mnemonic": request.algorithm.mnemonic,
        "bits": pair.bits,
        "role": request.role,
        "flags": request.flags,
        "private_key": dict(pair.private_attributes),
    }
    if request.zone is not None and pair.public_key:
        record = key_record(request.zone, request.flags, request.algorithm.number, pair.public_key,
                            request.ttl)
        summary = record.summary(request.digests)
        result.update(zone=request.zone, keytag=summary["keytag"], dnskey=summary["dnskey"],
                      ds=summary["ds"], cds=summary["cds"], cdnskey=summary["cdnskey"])
    elif pair.public_key:
        record = key_record(".", request.flags, request.algorithm.number, pair.public_key)
        result.update(zone=None, keytag=record.keytag)
    return result


def would_create(plan_: Plan) -> dict:
    """Check-mode description of the key that would be generated."""
    request = plan_.request
    return {"key_id": request.key_id.hex() if request.key_id is not None else None,
            "label": request.label, "algorithm": request.algorithm.number,
            "algorithm_mnemonic": request.algorithm.mnemonic, "bits": request.bits or None,
            "role": request.role, "flags": request.flags, "zone": request.zone}


def algorithm_for_pair(pair: KeyPair, algorithm: int | str | None = None) -> Algorithm:
    """The DNSSEC algorithm of an existing pair: given, or the one its key type allows (EC, EdDSA)."""
    candidates = pair.algorithms()
    if algorithm is not None:
        chosen = lookup(algorithm)
        if chosen.number not in candidates:
            raise KeyConflict(f"{pair.describe()} cannot be algorithm {chosen.number} ({chosen.mnemonic}); "
                              f"it can be {', '.join(str(c) for c in candidates) or 'none'}")
        return chosen
    if len(candidates) != 1:
        raise KeyConflict(f"{pair.describe()} could be algorithm {' or '.join(str(c) for c in candidates)}: "
                          "say which with 'algorithm'")
    return lookup(candidates[0])
