# Copyright: rsp.dnssec contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt)
"""DNSSEC algorithm and DS digest tables (RFC 8624, RFC 8080, RFC 6605).

The single place that knows which DNSKEY algorithms and DS digest types the
collection will sign / publish with, and which it refuses (and why).
"""

from __future__ import annotations

from dataclasses import dataclass


class AlgorithmError(ValueError):
    """An algorithm or digest type that is unknown or refused by policy."""


@dataclass(frozen=True)
class Algorithm:
    """One DNSKEY algorithm (IANA "DNS Security Algorithm Numbers")."""

    number: int
    mnemonic: str
    family: str  # "rsa", "ec" (ECDSA), "eddsa"; "" for refused legacy algorithms
    hash_name: str  # hash used by the signature ("" for EdDSA: the curve hashes)
    curve: str = ""  # "P-256", "P-384", "Ed25519", "Ed448"
    signing: str = ""  # RFC 8624 section 3.1 "DNSSEC Signing" recommendation
    allowed: bool = False  # may the collection sign with it?


# RFC 8624 section 3.1 (DNSKEY algorithm recommendations, signing column).
ALGORITHMS: dict[int, Algorithm] = {
    a.number: a
    for a in (
        Algorithm(1, "RSAMD5", "rsa", "md5", signing="MUST NOT"),
        Algorithm(3, "DSA", "", "sha1", signing="MUST NOT"),
        Algorithm(5, "RSASHA1", "rsa", "sha1", signing="NOT RECOMMENDED"),
        Algorithm(6, "DSA-NSEC3-SHA1", "", "sha1", signing="MUST NOT"),
        Algorithm(7, "RSASHA1-NSEC3-SHA1", "rsa", "sha1", signing="NOT RECOMMENDED"),
        Algorithm(8, "RSASHA256", "rsa", "sha256", signing="MUST", allowed=True),
        Algorithm(10, "RSASHA512", "rsa", "sha512", signing="NOT RECOMMENDED", allowed=True),
        Algorithm(12, "ECC-GOST", "", "gost", signing="MUST NOT"),
        Algorithm(13, "ECDSAP256SHA256", "ec", "sha256", "P-256", "MUST", True),
        Algorithm(14, "ECDSAP384SHA384", "ec", "sha384", "P-384", "MAY", True),
        Algorithm(15, "ED25519", "eddsa", "", "Ed25519", "RECOMMENDED", True),
        Algorithm(16, "ED448", "eddsa", "", "Ed448", "MAY", True),
    )
}

# RFC 8624 section 3.3 (DS and CDS digest types, "DNSSEC Delegation" column).
DIGESTS: dict[str, int] = {"sha256": 2, "sha384": 4}
REFUSED_DIGESTS: dict[str, tuple[int, str]] = {
    "sha1": (1, "RFC 8624 section 3.3: SHA-1 MUST NOT be used to create DS records "
                "(ICANN RST dnssec-92 fails a zone whose DS uses digest type 1)"),
    "gost": (3, "RFC 8624 section 3.3: GOST R 34.11-94 MUST NOT be used for DS"),
}


def lookup(value: int | str) -> Algorithm:
    """Return the :class:`Algorithm` for a number ("13", 13) or a mnemonic.

    Mnemonics are matched case-insensitively and also without dashes
    ("ecdsap256sha256", "ED25519", "rsasha1-nsec3-sha1").
    """
    text = str(value).strip()
    if text.isdigit():
        number = int(text)
        if number in ALGORITHMS:
            return ALGORITHMS[number]
        raise AlgorithmError(f"unknown DNSSEC algorithm number {number} "
                             f"(known: {', '.join(str(n) for n in ALGORITHMS)})")
    wanted = text.upper().replace("_", "-")
    for algorithm in ALGORITHMS.values():
        if wanted in (algorithm.mnemonic, algorithm.mnemonic.replace("-", "")):
            return algorithm
    raise AlgorithmError(
        f"unknown DNSSEC algorithm {value!r} (known: "
        + ", ".join(f"{a.number} {a.mnemonic}" for a in ALGORITHMS.values()) + ")")


def signing_algorithm(value: int | str) -> Algorithm:
    """Return the algorithm if the collection may sign with it, else raise.

    RFC 8624 section 3.1: 1, 3, 6 and 12 MUST NOT be used for signing; 5 and 7
    (SHA-1) are NOT RECOMMENDED and refused here (ICANN RST dnssec-91 requires
    algorithm 8 or above).
    """
    algorithm = lookup(value)
    if not algorithm.allowed:
        raise AlgorithmError(
            f"algorithm {algorithm.number} ({algorithm.mnemonic}) is refused for signing: "
            f"RFC 8624 section 3.1 says {algorithm.signing} for DNSSEC signing; "
            "use 13 (ECDSAP256SHA256, the default), 8, 14, 15 or 16")
    return algorithm


def digest_type(value: int | str) -> int:
    """Return the DS digest type number for "sha256"/"sha384"/2/4; refuse SHA-1 and GOST."""
    text = str(value).strip().lower().replace("-", "")
    by_number = {number: name for name, number in DIGESTS.items()}
    refused_by_number = {number: (name, why) for name, (number, why) in REFUSED_DIGESTS.items()}
    if text.isdigit():
        number = int(text)
        if number in by_number:
            return number
        if number in refused_by_number:
            raise AlgorithmError(f"DS digest type {number} ({refused_by_number[number][0]}) "
                                 f"is refused: {refused_by_number[number][1]}")
        raise AlgorithmError(f"unknown DS digest type {number} (use sha256 or sha384)")
    if text in DIGESTS:
        return DIGESTS[text]
    if text in REFUSED_DIGESTS:
        raise AlgorithmError(f"DS digest {value!r} is refused: {REFUSED_DIGESTS[text][1]}")
    raise AlgorithmError(f"unknown DS digest {value!r} (use sha256 or sha384)")
