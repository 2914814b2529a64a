# Copyright: rsp.dnssec contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt)
"""The HSM provider interface: what every PKCS#11 backend offers the modules.

A provider is used as a context manager; entering it takes the per-host
PKCS#11 lock (see :mod:`.lock`) and loads the module, leaving it releases the
lock. Everything in between (token lookup, login, key search, generation,
signing) happens under the lock.

Pure data lives here too: which PKCS#11 key type and mechanisms each DNSSEC
algorithm needs (:data:`SCHEMES`), and the error classes whose messages the
modules show to the operator as they are.
"""

from __future__ import annotations

import abc
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field

from ansible_collections.rsp.dnssec.plugins.module_utils.dnssec.algorithms import Algorithm

# -- errors (the message is for the operator: what is wrong, what to do) -----------------------


class HSMError(Exception):
    """An HSM operation failed; ``str(error)`` is the complete message for the operator."""


class LibraryError(HSMError):
    """The PKCS#11 module path is missing or is not a PKCS#11 module."""


class TokenNotFound(HSMError):
    """No token with that label / serial (the message lists the tokens present)."""


class TokenAmbiguous(HSMError):
    """Several tokens carry that label (the message lists their serials)."""


class PinRejected(HSMError):
    """The token rejected the PIN (or the PIN is locked)."""


class TokenFull(HSMError):
    """The token has no room for another object."""


class MechanismUnsupported(HSMError):
    """The token lacks a mechanism (or key size) the DNSSEC algorithm needs."""


class KeyConflict(HSMError):
    """A key with that id / label exists but differs from what was asked (never replaced)."""


class KeyAmbiguous(HSMError):
    """Several key pairs carry that label (the message lists their CKA_IDs)."""


class KeyIncomplete(HSMError):
    """Only one half (public or private) of a key pair exists."""


class LockTimeout(HSMError):
    """The per-host PKCS#11 lock stayed busy for longer than the timeout."""


class NotSupported(HSMError):
    """The provider cannot do this (e.g. initialise a token on a vendor HSM)."""


# -- algorithm -> PKCS#11 key type and mechanisms ------------------------------------------------


@dataclass(frozen=True)
class Scheme:
    """How one DNSSEC algorithm is done through PKCS#11 (names without the CKM_ / CKK_ prefix)."""

    algorithm: int
    key_type: str  # CKK_RSA, CKK_EC, CKK_EC_EDWARDS
    keygen: str  # key pair generation mechanism
    sign: str  # signing mechanism
    prehash: str = ""  # hashlib name when the mechanism signs a digest (CKM_ECDSA)
    curve_oid: str = ""  # namedCurve OID for CKA_EC_PARAMS
    curve_name: str = ""  # PKCS#11 3.0 curve name (PrintableString form of CKA_EC_PARAMS)
    key_bits: int = 0  # size asked of CK_MECHANISM_INFO (0: RSA, the requested modulus size)

    @property
    def mechanisms(self) -> tuple[str, str]:
        return (self.keygen, self.sign)


# RSA/SHA-256 signs with CKM_SHA256_RSA_PKCS (RFC 5702); python-pkcs11's RSA default (SHA-512)
# would sign and then fail validation. ECDSA hashes in Python and signs with CKM_ECDSA, whose
# raw r||s output is the DNSSEC signature format (RFC 6605 section 4). EdDSA (RFC 8080) uses
# CKM_EDDSA on CKK_EC_EDWARDS keys whose CKA_EC_PARAMS is the curve OID (RFC 8410).
SCHEMES: dict[int, Scheme] = {
    8: Scheme(8, "RSA", "RSA_PKCS_KEY_PAIR_GEN", "SHA256_RSA_PKCS"),
    10: Scheme(10, "RSA", "RSA_PKCS_KEY_PAIR_GEN", "SHA512_RSA_PKCS"),
    13: Scheme(13, "EC", "EC_KEY_PAIR_GEN", "ECDSA", "sha256", "1.2.840.10045.3.1.7", "prime256v1", 256),
    14: Scheme(14, "EC", "EC_KEY_PAIR_GEN", "ECDSA", "sha384", "1.3.132.0.34", "secp384r1", 384),
    15: Scheme(15, "EC_EDWARDS", "EC_EDWARDS_KEY_PAIR_GEN", "EDDSA", "", "1.3.101.112", "edwards25519", 256),
    16: Scheme(16, "EC_EDWARDS", "EC_EDWARDS_KEY_PAIR_GEN", "EDDSA", "", "1.3.101.113", "edwards448", 448),
}

CURVE_NAMES = {"1.2.840.10045.3.1.7": "ECDSA P-256", "1.3.132.0.34": "ECDSA P-384",
               "1.3.101.112": "Ed25519", "1.3.101.113": "Ed448"}
CURVE_BITS = {"1.2.840.10045.3.1.7": 256, "1.3.132.0.34": 384, "1.3.101.112": 255, "1.3.101.113": 448}

RSA_MIN_BITS = 2048  # RFC 8624 section 3.1 / NIST SP 800-131A: below 2048 is refused
RSA_MAX_BITS = 4096
RSA_DEFAULT_BITS = 2048


def scheme_for(algorithm: int) -> Scheme:
    try:
        return SCHEMES[int(algorithm)]
    except KeyError:
        raise MechanismUnsupported(f"algorithm {algorithm} has no PKCS#11 scheme: the collection signs "
                                   f"with {', '.join(str(n) for n in SCHEMES)}") from None


def der_oid(dotted: str) -> bytes:
    """DER encoding of an OBJECT IDENTIFIER (X.690 section 8.19): the CKA_EC_PARAMS namedCurve."""
    arcs = [int(part) for part in dotted.split(".")]
    body = bytes([40 * arcs[0] + arcs[1]])
    for arc in arcs[2:]:
        chunk = [arc & 0x7F]
        arc >>= 7
        while arc:
            chunk.append(0x80 | (arc & 0x7F))
            arc >>= 7
        body += bytes(reversed(chunk))
    return bytes([0x06, len(body)]) + body


def der_printable(text: str) -> bytes:
    """DER PrintableString (the PKCS#11 3.0 curve-name form of CKA_EC_PARAMS for Edwards curves)."""
    data = text.encode("ascii")
    return bytes([0x13, len(data)]) + data


def der_octet_string_content(data: bytes) -> bytes | None:
    """Content of a DER OCTET STRING, or None if ``data`` is not exactly one OCTET STRING."""
    if len(data) < 2 or data[0] != 0x04:
        return None
    length, offset = data[1], 2
    if length & 0x80:
        count = length & 0x7F
        if count == 0 or count > 4 or len(data) < 2 + count:
            return None
        length = int.from_bytes(data[2:2 + count], "big")
        offset = 2 + count
    if offset + length != len(data):
        return None
    return data[offset:]


def unwrap_ec_point(point: bytes, raw_size: int, mode: str = "auto") -> bytes:
    """CKA_EC_POINT -> the raw point (0x04||X||Y for ECDSA, the key itself for EdDSA).

    PKCS#11 2.40 wraps the point in a DER OCTET STRING (SoftHSM does); some
    modules return it raw. ``mode`` is the profile's ``ec_point``: "der", "raw"
    or "auto" (raw when the size is exactly the raw size).
    """
    point = bytes(point)
    if mode == "raw" or (mode == "auto" and len(point) == raw_size):
        return point
    return der_octet_string_content(point) or point


# -- what a provider reports ------------------------------------------------------------------


@dataclass(frozen=True)
class TokenInfo:
    """A token as PKCS#11 describes it (CK_TOKEN_INFO). Slot ids are not identities."""

    label: str
    serial: str
    manufacturer: str
    model: str
    slot_id: int
    flags: int
    initialized: bool = True
    login_required: bool = True
    write_protected: bool = False

    def as_dict(self) -> dict:
        return {"label": self.label, "serial": self.serial, "manufacturer": self.manufacturer,
                "model": self.model, "initialized": self.initialized,
                "login_required": self.login_required, "write_protected": self.write_protected}

    def describe(self) -> str:
        return f"'{self.label}' (serial {self.serial or '-'})"


@dataclass(frozen=True)
class Capability:
    """Can this token do this DNSSEC algorithm? If not, ``missing`` names what it lacks."""

    algorithm: int
    supported: bool
    mechanisms: tuple[str, ...]
    missing: tuple[str, ...] = ()
    detail: str = ""


@dataclass(frozen=True)
class KeyPair:
    """A key pair on a token, identified by its CKA_ID."""

    key_id: bytes
    label: str
    key_type: str  # "RSA", "EC", "EC_EDWARDS" or the raw CKK number as text
    bits: int  # RSA modulus bits; curve size for EC / EdDSA (256, 384, 255, 448)
    curve_oid: str = ""
    public_key: bytes = b""  # DNSKEY key field for the matching algorithm family ("" when unreadable)
    private_attributes: dict = field(default_factory=dict)
    has_public: bool = True
    has_private: bool = True

    @property
    def id_hex(self) -> str:
        return self.key_id.hex()

    def algorithms(self) -> tuple[int, ...]:
        """DNSSEC algorithms this key material can serve (an RSA key serves 8 and 10)."""
        return tuple(number for number, scheme in SCHEMES.items()
                     if scheme.key_type == self.key_type
                     and (scheme.curve_oid == self.curve_oid or scheme.key_type == "RSA"))

    def describe(self) -> str:
        if self.key_type == "RSA":
            what = f"RSA-{self.bits}"
        else:
            what = CURVE_NAMES.get(self.curve_oid, f"{self.key_type} {self.curve_oid}")
        return f"{what} key id {self.id_hex} label '{self.label}'"


@dataclass(frozen=True)
class KeySpec:
    """What to generate: algorithm, RSA size, CKA_LABEL, CKA_ID."""

    algorithm: Algorithm
    label: str
    key_id: bytes
    bits: int = 0

    @property
    def scheme(self) -> Scheme:
        return scheme_for(self.algorithm.number)


# -- the interface ----------------------------------------------------------------------------


class Session(abc.ABC):
    """A logged-in (or public) session on one token. Only valid inside the provider context."""

    token: TokenInfo

    @abc.abstractmethod
    def find_keypairs(self, key_id: bytes | None = None, label: str | None = None) -> list[KeyPair]:
        """Key pairs whose CKA_ID (or, without ``key_id``, CKA_LABEL) matches; halves included."""

    @abc.abstractmethod
    def list_keypairs(self) -> list[KeyPair]:
        """Every key pair (and lone half) visible in this session, by CKA_ID."""

    @abc.abstractmethod
    def generate(self, spec: KeySpec) -> KeyPair:
        """Generate a token key pair: private key private, sensitive, never extractable, sign only."""

    @abc.abstractmethod
    def destroy(self, pair: KeyPair) -> None:
        """Destroy both halves of ``pair`` (irreversible)."""

    @abc.abstractmethod
    def sign(self, pair: KeyPair, algorithm: int, data: bytes) -> bytes:
        """Sign ``data`` as DNSSEC ``algorithm`` needs it; returns the RRSIG signature field."""

    @abc.abstractmethod
    def count_objects(self) -> dict[str, int]:
        """Objects visible in this session, by class."""


class Provider(abc.ABC):
    """One PKCS#11 module (library) on this host."""

    name = "abstract"

    def __init__(self, module_path: str) -> None:
        self.module_path = module_path

    @abc.abstractmethod
    def __enter__(self) -> Provider: ...

    @abc.abstractmethod
    def __exit__(self, *exc_info) -> None: ...

    @abc.abstractmethod
    def tokens(self) -> list[TokenInfo]:
        """Every initialised token the module shows."""

    def find_token(self, label: str | None = None, serial: str | None = None) -> TokenInfo:
        """The token with that label and/or serial; never by slot number (slots get renumbered)."""
        present = self.tokens()
        matches = [t for t in present if (label is None or t.label == label)
                   and (serial is None or t.serial == serial)]
        wanted = " and ".join(part for part in (f"label '{label}'" if label is not None else "",
                                                f"serial '{serial}'" if serial is not None else "") if part)
        if not matches:
            listing = ", ".join(t.describe() for t in present) or "none"
            raise TokenNotFound(f"token with {wanted} not found in PKCS#11 module {self.module_path} "
                                f"(tokens present: {listing})")
        if len(matches) > 1:
            raise TokenAmbiguous(f"{len(matches)} tokens with {wanted} in {self.module_path}: "
                                 + ", ".join(t.describe() for t in matches)
                                 + "; name the token by its serial as well")
        return matches[0]

    @abc.abstractmethod
    def capabilities(self, token: TokenInfo, bits: int = RSA_DEFAULT_BITS) -> dict[int, Capability]:
        """For every DNSSEC algorithm in :data:`SCHEMES`: can this token do it (from its mechanism list)?"""

    def require_login(self, token: TokenInfo, pin: str | None) -> None:
        """Fail before any session when the token needs a PIN and none was given."""
        if pin is None and token.login_required:
            raise PinRejected(f"token {token.describe()} requires a login: give its user PIN "
                              "(pin, from the vault, or pin_file)")

    def check_algorithm(self, token: TokenInfo, algorithm: Algorithm, bits: int = RSA_DEFAULT_BITS) -> None:
        """Raise :class:`MechanismUnsupported` naming the mechanism the token lacks."""
        capability = self.capabilities(token, bits).get(algorithm.number)
        if capability is None:
            scheme_for(algorithm.number)
            return
        if not capability.supported:
            needs = " and ".join(f"CKM_{m}" for m in capability.mechanisms)
            lacks = ", ".join(f"CKM_{m}" for m in capability.missing)
            raise MechanismUnsupported(
                f"token {token.describe()} in {self.module_path} cannot do algorithm {algorithm.number} "
                f"({algorithm.mnemonic}): it needs {needs}; the token "
                + (f"does not offer {lacks}" if lacks else capability.detail)
                + ". Choose an algorithm the token supports (see rsp.dnssec.hsm_token's 'algorithms') "
                "or another token")

    @abc.abstractmethod
    @contextmanager
    def session(self, token: TokenInfo, pin: str | None, rw: bool = False) -> Iterator[Session]:
        """Open a session on ``token`` and log in with ``pin`` when the token wants a login.

        Without a PIN the session is public: only public objects are visible.
        """

    def init_token(self, label: str, pin: str, so_pin: str) -> TokenInfo:
        raise NotSupported(f"the {self.name} provider cannot initialise tokens: create token '{label}' "
                           "with the HSM vendor's tools (the collection initialises SoftHSM2 tokens only)")

    def delete_token(self, token: TokenInfo) -> None:
        raise NotSupported(f"the {self.name} provider cannot delete tokens: token {token.describe()} "
                           "must be removed with the HSM vendor's tools")

    @property
    def can_initialize(self) -> bool:
        return False


def describe_ids(pairs: Sequence[KeyPair]) -> str:
    return ", ".join(p.id_hex or "(empty CKA_ID)" for p in pairs)
