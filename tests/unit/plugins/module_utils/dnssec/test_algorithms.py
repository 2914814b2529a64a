# Copyright: rsp.dnssec contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt)
"""algorithms.py: the RFC 8624 table, lookups, refusals."""

from __future__ import annotations

import pytest

from ansible_collections.rsp.dnssec.plugins.module_utils.dnssec.algorithms import (
    ALGORITHMS,
    AlgorithmError,
    digest_type,
    lookup,
    signing_algorithm,
)


@pytest.mark.parametrize(("value", "number"), [
    (13, 13), ("13", 13), (" 8 ", 8), ("ECDSAP256SHA256", 13), ("ecdsap384sha384", 14), ("ED25519", 15),
    ("ed448", 16), ("RSASHA256", 8), ("rsasha512", 10), ("RSASHA1-NSEC3-SHA1", 7),
    ("rsasha1nsec3sha1", 7), ("rsasha1_nsec3_sha1", 7),
])
def test_lookup(value, number):
    assert lookup(value).number == number


@pytest.mark.parametrize("value", [99, "2", "ECDSA", "", "P256"])
def test_lookup_unknown_names_the_known_ones(value):
    with pytest.raises(AlgorithmError, match="unknown DNSSEC algorithm"):
        lookup(value)


@pytest.mark.parametrize("number", [8, 10, 13, 14, 15, 16])
def test_allowed_for_signing(number):
    assert signing_algorithm(number).allowed


@pytest.mark.parametrize("number", [1, 3, 5, 6, 7, 12])
def test_refused_for_signing_cites_rfc8624(number):
    expected = rf"algorithm {number} .*refused for signing: RFC 8624 section 3\.1"
    with pytest.raises(AlgorithmError, match=expected):
        signing_algorithm(number)


def test_table_families_and_curves():
    assert {n for n, a in ALGORITHMS.items() if a.allowed} == {8, 10, 13, 14, 15, 16}
    assert ALGORITHMS[13].curve == "P-256" and ALGORITHMS[14].hash_name == "sha384"
    assert ALGORITHMS[15].family == ALGORITHMS[16].family == "eddsa"


@pytest.mark.parametrize(("value", "number"), [
    ("sha256", 2), ("SHA-256", 2), (2, 2), ("4", 4), ("sha384", 4),
])
def test_digest_type(value, number):
    assert digest_type(value) == number


@pytest.mark.parametrize(("value", "message"), [
    ("sha1", "dnssec-92"), (1, "dnssec-92"), ("SHA-1", "dnssec-92"), ("gost", "GOST"), (3, "GOST"),
    ("md5", "unknown DS digest"), (5, "unknown DS digest type 5"),
])
def test_digest_type_refusals(value, message):
    with pytest.raises(AlgorithmError, match=message):
        digest_type(value)
