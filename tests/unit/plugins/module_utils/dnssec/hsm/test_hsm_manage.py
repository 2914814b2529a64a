# Copyright: rsp.dnssec contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt)
"""hsm/manage.py: request validation and the present / absent decisions.

The decisions are pure: an in-memory session stands in for the token here
(the integration tests run the same rules against a real SoftHSM2 token).
"""

from __future__ import annotations

import pytest

from ansible_collections.rsp.dnssec.plugins.module_utils.dnssec.hsm import base, manage
from ansible_collections.rsp.dnssec.plugins.module_utils.dnssec.records import parse_dnskey

P256 = "1.2.840.10045.3.1.7"
P256_KEY = bytes.fromhex(
    "1a88c8861bd437fbb8bf9e1950a1929f2856270a6e6c2bd399e7b1bfb6d1e9e75b92b4aa42917ae1c61b701ef035c3fe7be300"
    "9cbafe5a2f71316c902dcf0d00")


class MemorySession(base.Session):
    def __init__(self, pairs=()):
        self.pairs = list(pairs)
        self.token = base.TokenInfo("t", "1", "m", "m", 0, 0)

    def find_keypairs(self, key_id=None, label=None):
        return [p for p in self.pairs if (key_id is not None and p.key_id == key_id)
                or (key_id is None and p.label == label)]

    def list_keypairs(self):
        return list(self.pairs)

    def generate(self, spec):
        raise AssertionError("plan() must not generate")

    def destroy(self, pair):
        raise AssertionError("plan() must not destroy")

    def sign(self, pair, algorithm, data):
        raise AssertionError("not used")

    def count_objects(self):
        return {}


def pair(key_id="aa", label="example-ksk-13", key_type="EC", bits=256, curve=P256, **kwargs):
    return base.KeyPair(bytes.fromhex(key_id), label, key_type, bits, curve, P256_KEY, **kwargs)


def request(**kwargs):
    return manage.key_request({"label": "example-ksk-13", "algorithm": 13, "zone": "example.", **kwargs})


# -- validation --------------------------------------------------------------------------------

@pytest.mark.parametrize(("params", "message"), [
    ({"algorithm": 5}, r"refused for signing: RFC 8624 section 3.1"),
    ({"algorithm": 7}, r"refused for signing: RFC 8624"),
    ({"algorithm": "GOST"}, "unknown DNSSEC algorithm"),
    ({"algorithm": 99}, "unknown DNSSEC algorithm number 99"),
    ({"algorithm": 8, "bits": 1024}, "below 2048 bits are refused"),
    ({"algorithm": 8, "bits": 8192}, "above 4096 bits are refused"),
    ({"algorithm": 13, "bits": 256}, "bits applies to RSA only"),
    ({"digests": ["sha256", "sha1"]}, "dnssec-92"),
    ({"key_id": "xyz"}, "not a CKA_ID in hex"),
    ({"key_id": "abc"}, "not a CKA_ID in hex"),
    ({"role": "kzk"}, "role must be one of"),
    ({"ttl": -1}, "outside 0..2147483647"),
    ({"label": " "}, "label is required"),
])
def test_request_errors(params, message):
    with pytest.raises(manage.RequestError, match=message):
        manage.key_request({"label": "k", **params})


def test_request_defaults_and_normalisation():
    r = manage.key_request({"label": "k", "key_id": "0A:1B", "zone": "example", "digests": ["SHA-384", 2]},
                           {"algorithm": "ed25519", "role": "zsk", "ttl": 60})
    assert (r.key_id, r.zone, r.digests, r.algorithm.number, r.flags, r.ttl) == \
        (b"\x0a\x1b", "example.", ("sha384", "sha256"), 15, 256, 60)
    assert manage.key_request({"label": "k", "algorithm": 8}).bits == 2048
    assert manage.parse_key_id("0x00ff") == b"\x00\xff"
    assert manage.key_request({"label": "k", "algorithm": 5, "state": "absent"}).algorithm.number == 5


# -- present -----------------------------------------------------------------------------------

def test_create_when_neither_id_nor_label_exists():
    plan = manage.plan(MemorySession(), request())
    assert plan.action == "create" and len(plan.key_id) == manage.KEY_ID_BYTES
    plan = manage.plan(MemorySession(), request(key_id="c0ffee"))
    assert plan.action == "create" and plan.key_id == bytes.fromhex("c0ffee")
    assert manage.would_create(plan)["key_id"] == "c0ffee"


def test_keep_by_id_or_label():
    existing = pair()
    assert manage.plan(MemorySession([existing]), request(key_id="aa")).action == "keep"
    kept = manage.plan(MemorySession([existing]), request())
    assert kept.action == "keep" and kept.key_id == existing.key_id
    described = manage.describe(existing, request(digests=["sha256", "sha384"]))
    record = parse_dnskey(described["dnskey"])
    assert record.flags == 257 and record.algorithm == 13 and described["keytag"] == record.keytag
    assert len(described["ds"]) == 2 and described["key_id"] == "aa"


@pytest.mark.parametrize(("existing", "params", "message"), [
    (pair(key_type="EC_EDWARDS", bits=255, curve="1.3.101.112"), {},
     "refusing to replace an existing HSM key"),
    (pair(key_type="RSA", bits=2048, curve=""), {}, "refusing to replace an existing HSM key"),
    (pair(key_type="RSA", bits=4096, curve=""), {"algorithm": 8}, r"has 4096 bits, not 2048.*bits: 4096"),
    (pair(label="other"), {"key_id": "aa"}, "exists with label 'other'"),
    (pair(key_id="bb"), {"key_id": "aa"}, "already names key id bb, not the requested key_id aa"),
    (pair(has_private=False), {}, "only the public key"),
])
def test_present_refusals(existing, params, message):
    with pytest.raises((base.KeyConflict, base.KeyIncomplete), match=message):
        manage.plan(MemorySession([existing]), request(**params))


def test_rsa_key_serves_8_and_10():
    rsa = pair(key_type="RSA", bits=2048, curve="")
    assert manage.plan(MemorySession([rsa]), request(algorithm=10)).action == "keep"
    assert manage.plan(MemorySession([rsa]), request(algorithm=8)).action == "keep"


def test_ambiguous_label_lists_the_ids():
    session = MemorySession([pair("aa"), pair("bb")])
    with pytest.raises(base.KeyAmbiguous, match=r"names 2 key pairs \(CKA_IDs aa, bb\): give key_id"):
        manage.plan(session, request())
    assert manage.plan(session, request(key_id="bb")).pair.key_id == b"\xbb"


# -- absent ------------------------------------------------------------------------------------

def test_absent():
    session = MemorySession([pair()])
    assert manage.plan(MemorySession(), request(state="absent")).action == "none"
    with pytest.raises(base.KeyConflict, match=r"irreversible.*force: true"):
        manage.plan(session, request(state="absent"))
    assert manage.plan(session, request(state="absent", force=True)).action == "destroy"
    with pytest.raises(base.KeyConflict, match="does not name exactly"):
        manage.plan(session, manage.key_request({"label": "x", "key_id": "aa", "state": "absent",
                                                 "force": True}))
    with pytest.raises(base.KeyAmbiguous, match="which one to destroy"):
        manage.plan(MemorySession([pair("aa"), pair("bb")]), request(state="absent", force=True))


def test_algorithm_for_pair():
    assert manage.algorithm_for_pair(pair()).number == 13
    rsa = pair(key_type="RSA", bits=2048, curve="")
    with pytest.raises(base.KeyConflict, match="could be algorithm 8 or 10"):
        manage.algorithm_for_pair(rsa)
    assert manage.algorithm_for_pair(rsa, "RSASHA512").number == 10
    with pytest.raises(base.KeyConflict, match="cannot be algorithm 15"):
        manage.algorithm_for_pair(pair(), 15)
