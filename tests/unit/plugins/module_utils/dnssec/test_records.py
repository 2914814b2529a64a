# Copyright: rsp.dnssec contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt)
"""records.py: RFC known answers (4509, 6605, 8080), parsing, DS export formats."""

from __future__ import annotations

import base64
import json
from pathlib import Path
from xml.etree import ElementTree

import dns.flags
import dns.message
import dns.name
import dns.rcode
import dns.rdata
import dns.rrset
import pytest
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, ed448, ed25519
from cryptography.hazmat.primitives.asymmetric.utils import encode_dss_signature
from hypothesis import given
from hypothesis import strategies as st

from ansible_collections.rsp.dnssec.plugins.module_utils.dnssec import records
from ansible_collections.rsp.dnssec.plugins.module_utils.dnssec.algorithms import AlgorithmError

HERE = Path(__file__).resolve().parent

# RFC 4509 section 2.3 (the RFC 4034 section 5.4 example key, SHA-256 DS).
RFC4509_DNSKEY = """dskey.example.com. 86400 IN DNSKEY 256 3 5 ( AQOeiiR0GOMYkDshWoSKz9Xz
                                             fwJr1AYtsmx3TGkJaNXVbfi/
                                             2pHm822aJ5iI9BMzNXxeYCmZ
                                             DRD99WYwYqUSdjMmmAphXdvx
                                             egXd/M5+X7OrzKBaMbCVdFLU
                                             Uh6DhweJBjEVv5f2wwjM9Xzc
                                             nOf+EPbtG9DMBmADjFDc2w/r
                                             ljwvFw==
                                             ) ;  key id = 60485"""
RFC4509_DS = "60485 5 2 D4B7D520E7BB5F0F67674A0CCEB1E3E0614B93C4F9E99B8383F6A1E4469DA50A"

# RFC 6605 section 6.1 and 6.2.
P256_DNSKEY = """example.net. 3600 IN DNSKEY 257 3 13 (
        GojIhhXUN/u4v54ZQqGSnyhWJwaubCvTmeexv7bR6edb
        krSqQpF64cYbcB7wNcP+e+MAnLr+Wi9xMWyQLc8NAA== )"""
P256_DS = "55648 13 2 B4C8C1FE2E7477127B27115656AD6256F424625BF5C1E2770CE6D6E37DF61D17"
P256_A = ("www.example.net.", "192.0.2.1")
P256_RRSIG = ("A 13 3 3600 20100909100439 20100812100439 55648 example.net. "
              "qx6wLYqmh+l9oCKTN6qIc+bw6ya+KJ8oMz0YP107epXAyGmt+3SNruPFKG7tZoLBLlUzGGus7ZwmwWep666VCw==")
P384_DNSKEY = """example.net. 3600 IN DNSKEY 257 3 14 (
        xKYaNhWdGOfJ+nPrL8/arkwf2EY3MDJ+SErKivBVSum1
        w/egsXvSADtNJhyem5RCOpgQ6K8X1DRSEkrbYQ+OB+v8
        /uX45NBwY8rp65F6Glur8I/mlVNgF6W/qTI37m40 )"""
P384_DS = ("10771 14 4 72D7B62976CE06438E9C0BF319013CF801F09ECC84B8D7E9495F27E305C6A9B0"
           "563A9B5F4D288405C3008A946DF983D6")
P384_RRSIG = ("A 14 3 3600 20100909102025 20100812102025 10771 example.net. "
              "/L5hDKIvGDyI1fcARX3z65qrmPsVz73QD1Mr5CEqOiLP95hxQouuroGCeZOvzFaxsT8Glr74hbavRKayJNuydCuz"
              "WTSSPdz7wnqXL5bdcJzusdnI0RSMROxxwGipWcJm")

# RFC 8080 section 6, with erratum 4935 (the RRSIG labels field is 2).
RFC8080 = [
    (15, "l02Woi0iS8Aa25FQkUd9RMzZHJpBoRQwAQEX1SxZJA4=",
     "3613 15 2 3AA5AB37EFCE57F737FC1627013FEE07BDF241BD10F3B1964AB55C78E79A304B",
     "oL9krJun7xfBOIWcGHi7mag5/hdZrKWw15jPGrHpjQeRAvTdszaPD+QLs3fx8A4M3e23mRZ9VrbpMngwcrqNAg=="),
    (15, "zPnZ/QwEe7S8C5SPz2OfS5RR40ATk2/rYnE9xHIEijs=",
     "35217 15 2 401781B934E392DE492EC77AE2E15D70F6575A1C0BC59C5275C04EBE80C6614C",
     "zXQ0bkYgQTEFyfLyi9QoiY6D8ZdYo4wyUhVioYZXFdT410QPRITQSqJSnzQoSm5poJ7gD7AQR0O7KuI5k2pcBg=="),
    (16, "3kgROaDjrh0H2iuixWBrc8g2EpBBLCdGzHmn+G2MpTPhpj/OiBVHHSfPodx1FYYUcJKm1MDpJtIA",
     "9713 16 2 6CCF18D5BC5D7FC2FCEB1D59D17321402F2AA8D368048DB93DD811F5CB2B19C7",
     "3cPAHkmlnxcDHMyg7vFC34l0blBhuG1qpwLmjInI8w1CMB29FkEAIJUA0amxWndkmnBZ6SKiwZSAxGILn/NBtOXft0+Gj7FSvOKxE/07+"
     "4RQvE581N3Aj/JtIyaiYVdnYtyMWbSNyGEY2213WKsJlwEA"),
    (16, "kkreGWoccSDmUBGAe7+zsbG6ZAFQp+syPmYUurBRQc3tDjeMCJcVMRDmgcNLp5HlHAMy12VoISsA",
     "38353 16 2 645FF078B3568F5852B70CB60E8E696CC77B75BFAAFFC118CF79CBDA1BA28AF4",
     "E1/oLjSGIbmLny/4fcgM1z4oL6aqo+izT3urCyHyvEp4Sp8Syg1eI+lJ57CSnZqjJP41O/9l4m0AsQ4f7qI1gVnML8vWWiyW2KXhT9kuA"
     "ICUSxv5OWbf81Rq7Yu60npabODB0QFPb/rkW3kUZmQ0YQUA"),
]


# -- known answers -----------------------------------------------------------------------------

def test_rfc4509_keytag_and_sha256_ds():
    key = records.parse_dnskey(RFC4509_DNSKEY)
    assert key.owner == dns.name.from_text("dskey.example.com.")
    assert key.ttl == 86400
    assert key.keytag == 60485
    assert records.rdata_text(key.ds("sha256")) == RFC4509_DS


def test_rfc4034_sha1_ds_is_refused_citing_rfc8624():
    key = records.parse_dnskey(RFC4509_DNSKEY)
    with pytest.raises(AlgorithmError, match=r"RFC 8624 section 3.3.*dnssec-92"):
        key.ds("sha1")
    with pytest.raises(AlgorithmError, match="refused"):
        records.make_ds(key.owner, key.dnskey, 1)


@pytest.mark.parametrize(("text", "digest", "expected"), [
    (P256_DNSKEY, "sha256", P256_DS),
    (P384_DNSKEY, "sha384", P384_DS),
])
def test_rfc6605_ds(text, digest, expected):
    key = records.parse_dnskey(text)
    assert records.rdata_text(key.ds(digest)) == expected
    assert key.keytag == int(expected.split()[0])


@pytest.mark.parametrize(("text", "rrsig", "curve", "hash_", "size"), [
    (P256_DNSKEY, P256_RRSIG, ec.SECP256R1(), hashes.SHA256(), 32),
    (P384_DNSKEY, P384_RRSIG, ec.SECP384R1(), hashes.SHA384(), 48),
])
def test_rfc6605_signature_input_verifies(text, rrsig, curve, hash_, size):
    """signature_input() builds exactly the octets the RFC example signed."""
    key = records.parse_dnskey(text).dnskey
    rrset = dns.rrset.from_text(P256_A[0], 3600, "IN", "A", P256_A[1])
    sig = dns.rdata.from_text("IN", "RRSIG", rrsig)
    data = records.signature_input(rrset, sig)
    numbers = ec.EllipticCurvePublicNumbers(int.from_bytes(key.key[:size], "big"),
                                            int.from_bytes(key.key[size:], "big"), curve)
    r, s = int.from_bytes(sig.signature[:size], "big"), int.from_bytes(sig.signature[size:], "big")
    numbers.public_key().verify(encode_dss_signature(r, s), data, ec.ECDSA(hash_))
    with pytest.raises(InvalidSignature):  # a different RRset does not verify
        other = dns.rrset.from_text(P256_A[0], 3600, "IN", "A", "192.0.2.2")
        numbers.public_key().verify(encode_dss_signature(r, s), records.signature_input(other, sig),
                                    ec.ECDSA(hash_))


@pytest.mark.parametrize(("algorithm", "key", "ds", "signature"), RFC8080)
def test_rfc8080_ds_and_signature(algorithm, key, ds, signature):
    record = records.parse_dnskey(f"example.com. 3600 IN DNSKEY 257 3 {algorithm} {key}")
    assert records.rdata_text(record.ds("sha256")) == ds
    mx = dns.rrset.from_text("example.com.", 3600, "IN", "MX", "10 mail.example.com.")
    sig = dns.rdata.from_text("IN", "RRSIG", f"MX {algorithm} 2 3600 1440021600 1438207200 {record.keytag} "
                                             f"example.com. {signature}")
    public = (ed25519.Ed25519PublicKey if algorithm == 15 else ed448.Ed448PublicKey).from_public_bytes(
        record.dnskey.key)
    public.verify(sig.signature, records.signature_input(mx, sig))


def test_signature_input_wildcard_owner():
    """RFC 4035 section 5.3.2: an owner longer than the labels field is signed as a wildcard."""
    rrset = dns.rrset.from_text("a.b.example.", 300, "IN", "A", "192.0.2.1")
    sig = dns.rdata.from_text("IN", "RRSIG", "A 13 2 300 20300101000000 20200101000000 1 example. AAAA")
    wildcard = dns.rrset.from_text("*.b.example.", 300, "IN", "A", "192.0.2.1")
    assert records.signature_input(rrset, sig) == records.signature_input(wildcard, sig)
    sig3 = sig.replace(labels=3)  # not a wildcard expansion: the owner is signed as it is
    assert records.signature_input(rrset, sig3) != records.signature_input(wildcard, sig3)


# -- public key -> DNSKEY ----------------------------------------------------------------------

def test_rsa_key_data_short_and_long_exponent():
    assert records.rsa_key_data(b"\x00\xc0\x01", 65537) == b"\x03\x01\x00\x01\xc0\x01"
    long_exponent = (1 << 2100) + 1  # 263 octets: RFC 3110 three-octet length form
    data = records.rsa_key_data(0xC001, long_exponent)
    assert data[:3] == b"\x00\x01\x07"
    assert records.split_rsa_key_data(data) == (0xC001, long_exponent)


@given(modulus=st.integers(min_value=3, max_value=1 << 4096), exponent=st.integers(1, 1 << 2200))
def test_rsa_key_data_round_trip(modulus, exponent):
    assert records.split_rsa_key_data(records.rsa_key_data(modulus, exponent)) == (modulus, exponent)


def test_ec_and_eddsa_key_data_sizes():
    point = bytes(range(64))
    assert records.ec_key_data(b"\x04" + point, 13) == point
    assert records.ec_key_data(point, 13) == point
    with pytest.raises(records.RecordError, match="64 octets"):
        records.ec_key_data(point[:-1], 13)
    with pytest.raises(records.RecordError, match="not an ECDSA"):
        records.ec_key_data(point, 15)
    assert records.eddsa_key_data(bytes(57), 16) == bytes(57)
    with pytest.raises(records.RecordError, match="57 octets"):
        records.eddsa_key_data(bytes(32), 16)


def test_key_bits():
    rsa = records.parse_dnskey(RFC4509_DNSKEY)
    assert records.key_bits(5, rsa.dnskey.key) == 1024
    assert records.key_bits(13, bytes(64)) == 256
    assert records.key_bits(16, bytes(57)) == 448


def test_make_dnskey_cds_cdnskey():
    key = records.parse_dnskey(P256_DNSKEY)
    rebuilt = records.make_dnskey(257, 13, key.dnskey.key)
    assert rebuilt.to_wire() == key.dnskey.to_wire()
    cdnskey = records.make_cdnskey(key.dnskey)
    assert cdnskey.rdtype == dns.rdatatype.CDNSKEY and cdnskey.to_wire() == key.dnskey.to_wire()
    cds = records.make_cds(key.owner, key.dnskey, "sha256")
    assert cds.rdtype == dns.rdatatype.CDS and cds.to_wire() == key.ds("sha256").to_wire()
    summary = key.summary(("sha256", "sha384"), ttl=300)
    assert summary["dnskey"].startswith("example.net. 300 IN DNSKEY 257 3 13 GojIhhXUN/u4v54")
    assert summary["ds"][0] == f"example.net. 300 IN DS {P256_DS}"
    assert summary["cds"][0] == f"example.net. 300 IN CDS {P256_DS}"
    assert summary["cdnskey"].split(" CDNSKEY ")[1] == summary["dnskey"].split(" DNSKEY ")[1]
    assert summary["ds"][1].split()[6] == "4"


# -- parsing -----------------------------------------------------------------------------------

KEY = "GojIhhXUN/u4v54ZQqGSnyhWJwaubCvTmeexv7bR6edbkrSqQpF64cYbcB7wNcP+e+MAnLr+Wi9xMWyQLc8NAA=="


@pytest.mark.parametrize(("text", "ttl"), [
    (f"example.net. 3600 IN DNSKEY 257 3 13 {KEY}", 3600),
    (f"example.net. IN 3600 DNSKEY 257 3 13 {KEY}", 3600),
    (f"example.net. DNSKEY 257 3 13 {KEY}", None),
    (f"example.net. 1h IN dnskey 257 3 13 {KEY}", 3600),
    (f"example.net.\t3600\tIN\tDNSKEY\t257 3 13 {KEY[:40]} {KEY[40:]} ; comment", 3600),
])
def test_parse_variants(text, ttl):
    key = records.parse_dnskey(text)
    assert key.owner == dns.name.from_text("example.net.") and key.ttl == ttl and key.keytag == 55648


def test_parse_rdata_only_uses_origin_and_needs_one():
    assert records.parse_dnskey(f"257 3 13 {KEY}", "example.net").keytag == 55648
    with pytest.raises(records.RecordError, match="without an owner name"):
        records.parse_dnskey(f"257 3 13 {KEY}")


def test_parse_many_with_comments_and_blank_lines():
    text = f"; keys\n\n{P256_DNSKEY}\n{P384_DNSKEY}\n"
    assert [k.keytag for k in records.parse_dnskeys(text)] == [55648, 10771]


def test_parse_cdnskey_when_asked():
    key = records.parse_dnskey(f"example.net. CDNSKEY 257 3 13 {KEY}", rdtypes=("CDNSKEY",))
    assert key.dnskey.rdtype == dns.rdatatype.DNSKEY and key.keytag == 55648


@pytest.mark.parametrize(("text", "message"), [
    ("example.net. IN DS 55648 13 2 B4C8", "not a DNSKEY record"),
    (f"example.net. IN DNSKEY 257 3 99 {KEY}", "unknown DNSSEC algorithm number 99"),
    (f"example.net. IN DNSKEY 257 2 13 {KEY}", "protocol must be 3"),
    ("example.net. IN DNSKEY 257 3 13 AAAA", "64 octets"),
    ("example.net. IN DNSKEY 257 3 13 not-base64!", "malformed DNSKEY"),
    ("example.net. IN DNSKEY 257 3", "needs flags, protocol, algorithm and key"),
    (f"example.net. IN DNSKEY ( 257 3 13 {KEY}", "unbalanced parentheses"),
    (f"example.net. bogus IN DNSKEY 257 3 13 {KEY}", "unexpected 'bogus'"),
])
def test_parse_errors_say_what_is_wrong(text, message):
    with pytest.raises(records.RecordError, match=message):
        records.parse_dnskey(text)


def test_parse_dnskey_wants_exactly_one():
    with pytest.raises(records.RecordError, match="expected one DNSKEY record, found 2"):
        records.parse_dnskey(f"{P256_DNSKEY}\n{P384_DNSKEY}")


# -- DS export ---------------------------------------------------------------------------------

def _keys():
    ksk = records.parse_dnskey(P256_DNSKEY)
    zsk = records.key_record("example.net.", 256, 13, ksk.dnskey.key, 3600)
    revoked = records.key_record("example.net.", 385, 14, records.parse_dnskey(P384_DNSKEY).dnskey.key, 3600)
    return ksk, zsk, revoked


def test_delegation_signers_sep_only_revoked_never():
    ksk, zsk, revoked = _keys()
    entries, skipped = records.delegation_signers([ksk, zsk, revoked], ("sha256", "sha384"))
    assert [(e.key.keytag, int(e.ds.digest_type)) for e in entries] == [(55648, 2), (55648, 4)]
    assert skipped == [zsk, revoked]
    entries, skipped = records.delegation_signers([ksk, zsk, revoked, ksk], ("sha256",), include_zsk=True)
    assert [e.key.flags for e in entries] == [257, 256]  # duplicate KSK once, revoked still skipped
    assert skipped == [revoked]


def test_zone_lines_and_json():
    ksk = _keys()[0]
    entries, _skipped = records.delegation_signers([ksk], ("sha256",), ttl=86400)
    assert records.ds_zone_lines(entries) == f"example.net. 86400 IN DS {P256_DS}\n"
    entries_no_ttl, _skipped = records.delegation_signers([ksk], ("sha256",))
    assert records.ds_zone_lines(entries_no_ttl) == f"example.net. IN DS {P256_DS}\n"
    document = json.loads(records.ds_json(entries))
    assert document == {"ds": [{
        "zone": "example.net.", "key_tag": 55648, "algorithm": 13, "digest_type": 2,
        "digest": P256_DS.split()[3], "ds": P256_DS,
        "dnskey": {"flags": 257, "protocol": 3, "algorithm": 13, "public_key": KEY}}]}


def test_secdns_xml_is_valid_rfc5910():
    xmlschema = pytest.importorskip("xmlschema", reason="xmlschema validates the RFC 5910 schema")
    schema = xmlschema.XMLSchema(str(HERE / "secDNS-1.1.xsd"))
    ksk = _keys()[0]
    entries, _skipped = records.delegation_signers([ksk], ("sha256", "sha384"))
    for with_key in (True, False):
        text = records.ds_secdns_xml(entries, include_key_data=with_key)
        schema.validate(text)
        ns = {"s": records.SECDNS_NS}
        root = ElementTree.fromstring(text)
        data = root.findall("s:dsData", ns)
        assert [d.findtext("s:keyTag", namespaces=ns) for d in data] == ["55648", "55648"]
        assert [d.findtext("s:digestType", namespaces=ns) for d in data] == ["2", "4"]
        assert data[0].findtext("s:digest", namespaces=ns) == P256_DS.split()[3]
        assert (data[0].findtext("s:keyData/s:pubKey", namespaces=ns) == KEY) is with_key
    schema.validate(records.ds_secdns_xml(entries, max_sig_life=604800))


def test_secdns_xml_is_per_domain():
    ksk = _keys()[0]
    other = records.key_record("example.org.", 257, 13, ksk.dnskey.key)
    entries, _skipped = records.delegation_signers([ksk, other])
    with pytest.raises(records.RecordError, match="per domain"):
        records.ds_secdns_xml(entries)


# -- answers from a server ---------------------------------------------------------------------

def _response(flags_aa=True, rcode=dns.rcode.NOERROR, with_key=True):
    query = dns.message.make_query("example.net.", "DNSKEY")
    response = dns.message.make_response(query)
    if flags_aa:
        response.flags |= dns.flags.AA
    response.set_rcode(rcode)
    if with_key:
        response.answer.append(dns.rrset.from_text("example.net.", 3600, "IN", "DNSKEY", f"257 3 13 {KEY}"))
    return response


def test_dnskeys_from_answer():
    keys = records.dnskeys_from_answer(_response(), "example.net")
    assert [(k.keytag, k.ttl) for k in keys] == [(55648, 3600)]
    with pytest.raises(records.RecordError, match="not authoritative"):
        records.dnskeys_from_answer(_response(flags_aa=False), "example.net")
    with pytest.raises(records.RecordError, match="NXDOMAIN"):
        records.dnskeys_from_answer(_response(rcode=dns.rcode.NXDOMAIN, with_key=False), "example.net")
    with pytest.raises(records.RecordError, match="no DNSKEY"):
        records.dnskeys_from_answer(_response(with_key=False), "example.net")


def test_rr_text_is_one_line_with_uppercase_digest():
    key = records.parse_dnskey(P384_DNSKEY)
    line = records.rr_text(key.owner, 60, key.ds("sha384"))
    assert "\n" not in line and line == f"example.net. 60 IN DS {P384_DS}"
    assert base64.b64decode(records.rr_text(key.owner, None, key.dnskey).split()[-1]) == key.dnskey.key
