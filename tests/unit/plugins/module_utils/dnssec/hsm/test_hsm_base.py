# Copyright: rsp.dnssec contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt)
"""hsm/base.py, hsm/profiles.py and the pure parts of the PKCS#11 provider."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ansible_collections.rsp.dnssec.plugins.module_utils.dnssec.algorithms import ALGORITHMS, lookup
from ansible_collections.rsp.dnssec.plugins.module_utils.dnssec.hsm import base, profiles
from ansible_collections.rsp.dnssec.plugins.module_utils.dnssec.hsm.pkcs11_generic import (
    CKM_NUMBERS,
    Pkcs11Provider,
    _oid_from_params,
)


@pytest.mark.parametrize(("oid", "der"), [
    ("1.2.840.10045.3.1.7", "06082a8648ce3d030107"),  # prime256v1 (RFC 5480)
    ("1.3.132.0.34", "06052b81040022"),  # secp384r1
    ("1.3.101.112", "06032b6570"),  # Ed25519 (RFC 8410)
    ("1.3.101.113", "06032b6571"),  # Ed448
])
def test_der_oid_known_answers(oid, der):
    assert base.der_oid(oid).hex() == der
    assert _oid_from_params(bytes.fromhex(der)) == oid


@given(st.lists(st.integers(0, 2**40), min_size=1, max_size=8), st.integers(0, 2), st.integers(0, 39))
def test_der_oid_round_trip(arcs, first, second):
    dotted = ".".join(str(a) for a in [first, second, *arcs])
    assert _oid_from_params(base.der_oid(dotted)) == dotted


def test_curve_name_params():
    assert base.der_printable("edwards25519") == b"\x13\x0cedwards25519"
    assert _oid_from_params(base.der_printable("edwards25519")) == "1.3.101.112"
    assert _oid_from_params(base.der_printable("edwards448")) == "1.3.101.113"


def test_der_octet_string_content():
    assert base.der_octet_string_content(b"\x04\x03abc") == b"abc"
    long = bytes(200)
    assert base.der_octet_string_content(b"\x04\x81\xc8" + long) == long
    assert base.der_octet_string_content(b"\x04\x05abc") is None  # length disagrees
    assert base.der_octet_string_content(b"\x03\x03abc") is None  # not an OCTET STRING


def test_unwrap_ec_point_by_profile_mode():
    point = b"\x04" + bytes(range(64))
    wrapped = b"\x04\x41" + point
    assert base.unwrap_ec_point(wrapped, 65, "der") == point
    assert base.unwrap_ec_point(wrapped, 65, "auto") == point
    assert base.unwrap_ec_point(point, 65, "auto") == point  # raw, exactly the raw size
    assert base.unwrap_ec_point(point, 65, "raw") == point
    ed = bytes(range(32))
    assert base.unwrap_ec_point(b"\x04\x20" + ed, 32, "auto") == ed
    # a raw P-384 point whose X starts with 0x5f looks like DER by length: "auto" trusts the size
    tricky = b"\x04\x5f" + bytes(95)
    assert base.unwrap_ec_point(tricky, 97, "auto") == tricky


def test_every_allowed_algorithm_has_a_scheme():
    assert set(base.SCHEMES) == {n for n, a in ALGORITHMS.items() if a.allowed}
    for number, scheme in base.SCHEMES.items():
        assert set(scheme.mechanisms) <= set(CKM_NUMBERS)
        assert (scheme.key_type == "RSA") == (ALGORITHMS[number].family == "rsa")
        assert bool(scheme.prehash) == (ALGORITHMS[number].family == "ec")
    with pytest.raises(base.MechanismUnsupported, match="no PKCS#11 scheme"):
        base.scheme_for(5)


def test_keypair_algorithms_and_description():
    rsa = base.KeyPair(b"\x01", "k", "RSA", 2048)
    assert rsa.algorithms() == (8, 10) and rsa.describe() == "RSA-2048 key id 01 label 'k'"
    p256 = base.KeyPair(b"\xab", "k", "EC", 256, "1.2.840.10045.3.1.7")
    assert p256.algorithms() == (13,) and "ECDSA P-256" in p256.describe()
    ed448 = base.KeyPair(b"\xab", "k", "EC_EDWARDS", 448, "1.3.101.113")
    assert ed448.algorithms() == (16,)


def test_profiles_detect_and_get():
    assert profiles.detect("/usr/lib/softhsm/libsofthsm2.so") is profiles.SOFTHSM2
    assert profiles.detect("/opt/vendor/libvendor.so") is profiles.GENERIC
    assert profiles.detect("/opt/x/libp11.so", manufacturer="SoftHSM") is profiles.SOFTHSM2
    assert profiles.get("auto", "/usr/lib/softhsm/libsofthsm2.so") is profiles.SOFTHSM2
    assert profiles.get("generic", "/usr/lib/softhsm/libsofthsm2.so") is profiles.GENERIC
    with pytest.raises(ValueError, match="unknown HSM profile 'luna'"):
        profiles.get("luna")
    assert profiles.SOFTHSM2.can_initialize and not profiles.GENERIC.can_initialize


# A vendor HSM cannot run here: this stand-in only answers the mechanism list.
class MechanismListOnly(Pkcs11Provider):
    def __init__(self, offered: dict[int, tuple[int, int, int]], profile=profiles.GENERIC) -> None:
        super().__init__("/opt/vendor/libvendor-pkcs11.so", profile)
        self.offered = offered

    def mechanisms(self, token):
        return self.offered


TOKEN = base.TokenInfo("dnssec", "0001", "Vendor", "HSM 9000", 7, 0x40D)
GEN, SIGN = 0x10000, 0x800


def _all_but(*names: str, sizes: dict | None = None) -> dict:
    sizes = sizes or {}
    return {number: (*sizes.get(name, (0, 0)), GEN | SIGN) for name, number in CKM_NUMBERS.items()
            if name not in names}


def test_capabilities_name_the_missing_mechanism():
    provider = MechanismListOnly(_all_but("EDDSA"))
    capabilities = provider.capabilities(TOKEN)
    assert [n for n, c in capabilities.items() if c.supported] == [8, 10, 13, 14]
    assert capabilities[15].missing == ("EDDSA",)
    with pytest.raises(base.MechanismUnsupported) as error:
        provider.check_algorithm(TOKEN, lookup(15))
    message = str(error.value)
    assert "algorithm 15 (ED25519)" in message
    assert "needs CKM_EC_EDWARDS_KEY_PAIR_GEN and CKM_EDDSA" in message
    assert "does not offer CKM_EDDSA" in message


def test_capabilities_check_key_sizes():
    sizes = {"RSA_PKCS_KEY_PAIR_GEN": (1024, 2048), "EC_EDWARDS_KEY_PAIR_GEN": (255, 255),
             "EC_KEY_PAIR_GEN": (256, 521)}
    provider = MechanismListOnly(_all_but(sizes=sizes))
    assert provider.capabilities(TOKEN, bits=2048)[8].supported
    assert not provider.capabilities(TOKEN, bits=4096)[8].supported
    assert "key sizes 1024-2048 only, not 4096" in provider.capabilities(TOKEN, bits=4096)[8].detail
    capabilities = provider.capabilities(TOKEN)
    assert capabilities[15].supported is False  # asks for 256 bits, the token says 255..255
    assert capabilities[16].supported is False
    lenient = MechanismListOnly(_all_but(sizes=sizes), profiles.Profile("lenient", check_key_sizes=False))
    assert lenient.capabilities(TOKEN)[16].supported


def test_capabilities_need_the_right_flags():
    offered = _all_but()
    offered[CKM_NUMBERS["ECDSA"]] = (0, 0, GEN)  # listed, but not for signing
    capabilities = MechanismListOnly(offered).capabilities(TOKEN)
    assert not capabilities[13].supported and "without the CKF_SIGN flag" in capabilities[13].detail


def test_find_token_messages():
    class Tokens(MechanismListOnly):
        def tokens(self):
            return [TOKEN, base.TokenInfo("dnssec", "0002", "Vendor", "HSM", 8, 0x40D),
                    base.TokenInfo("other", "0003", "Vendor", "HSM", 9, 0x40D)]

    provider = Tokens({})
    with pytest.raises(base.TokenNotFound) as error:
        provider.find_token(label="missing")
    assert ("tokens present: 'dnssec' (serial 0001), 'dnssec' (serial 0002), 'other' (serial 0003)"
            in str(error.value))
    with pytest.raises(base.TokenAmbiguous, match=r"2 tokens with label 'dnssec'.*serial"):
        provider.find_token(label="dnssec")
    assert provider.find_token(label="dnssec", serial="0002").slot_id == 8
    with pytest.raises(base.PinRejected, match="requires a login"):
        provider.require_login(TOKEN, None)
