# Copyright: rsp.dnssec contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt)
"""Knot adapter pieces that need no daemon: keymgr output parsing (outputs
captured from Knot 3.2.6 and 3.4.6), key usage rules, timers_for, rendering."""

from __future__ import annotations

import json

import pytest

from ansible_collections.rsp.dnssec.plugins.module_utils.dnssec.engine.base import (
    EngineKey,
    EngineUnsupported,
    KeyTimers,
    key_usage,
    normalise_hsm_id,
    normalise_zone,
)
from ansible_collections.rsp.dnssec.plugins.module_utils.dnssec.engine.knot import (
    KnotAdapter,
    archive_zone,
    parse_ds_lines,
    parse_keymgr_json,
    parse_keymgr_text,
    render_keystore,
    render_policy,
)

JSON_32 = [{"zone": "example.", "id": "01aa", "ksk": True, "zsk": False, "tag": 58203, "algorithm": 13,
            "size": 256, "public-only": False, "pre-active": 0, "publish": 1796317632, "ready": 0,
            "active": 1796317632, "retire-active": 0, "retire": 0, "post-active": 0, "revoke": 0,
            "remove": 0}]
JSON_34 = [{"zone": "example.", "id": "03cc", "ksk": False, "zsk": True, "tag": 55770, "algorithm": 13,
            "size": 256, "public-only": False, "missing": True, "created": 0, "pre-active": 0,
            "publish": 1796317108, "ready": 0, "active": 1796317108, "retire-active": 0,
            "retire": 1796317408, "post-active": 0, "revoke": 0, "remove": 1796317698}]
EXTENDED_32 = ("01aa ksk=yes zsk=no  tag=58203 algorithm=13 size=256  public-only=no  pre-active=0 "
               "publish=1796317632 ready=0 active=1796317632 retire-active=0 retire=0 post-active=0 "
               "revoke=0 remove=0\n")
EXTENDED_34 = ("03cc ksk=no  zsk=yes tag=55770 algorithm=13 size=256  public-only=no  missing=yes created=0 "
               "pre-active=0 publish=1796317108 ready=0 active=1796317108 retire-active=0 "
               "retire=1796317408 post-active=0 revoke=0 remove=1796317698\n")
BRIEF_32 = ("05ee  5888 ZSK ECDSAP256SHA256 publish=1796317058 active=1796317058 retire=1796317358 "
            "remove=1796317678\n0801  5700 KSK ECDSAP256SHA256 publish=1796317927 active=1796317927\n"
            "0901 41000 CSK RSASHA256/2048 publish=1796317927\n")


def test_json_32_and_text_agree():
    (from_json,) = parse_keymgr_json(json.dumps(JSON_32))
    (from_text,) = parse_keymgr_text(EXTENDED_32)
    assert from_json == from_text == EngineKey(
        key_id="01aa", hsm_id="01aa", tag=58203, algorithm=13, role="ksk", size=256,
        timers=KeyTimers(publish=1796317632, active=1796317632), public_only=False, missing=None)


def test_json_34_and_text_agree():
    (from_json,) = parse_keymgr_json(json.dumps(JSON_34))
    (from_text,) = parse_keymgr_text(EXTENDED_34)
    assert from_json == from_text
    assert from_json.missing is True and from_json.role == "zsk"
    assert from_json.timers.remove == 1796317698 and from_json.state(1796317700) == "removed"


def test_brief_listing():
    zsk, ksk, csk = parse_keymgr_text(BRIEF_32)
    assert (zsk.tag, zsk.role, zsk.timers.retire) == (5888, "zsk", 1796317358)
    assert (ksk.key_id, ksk.role, ksk.algorithm) == ("0801", "ksk", 13)
    assert (csk.role, csk.algorithm, csk.size) == ("csk", 8, 2048)
    assert parse_keymgr_json("") == []


def test_ds_lines():
    text = ("example. DS 58203 13 2 f154957fdb4e4e536f9f8c65d2f99ce6299fdddbbf81dccae52cec98c73ed138\n"
            "example. DS 58203 13 4 0873efef55a98494880b5cebcdd6264db1f76b927516c787a3e8182d0d3c9502"
            "5b3b3cc1dc386a922e01b5843d73d735\n")
    sha256, sha384 = parse_ds_lines(text)
    assert (sha256.key_tag, sha256.digest_type, sha384.digest_type) == (58203, 2, 4)
    assert sha256.short() == "58203/13/2"
    assert sha256.to_text(3600).startswith("example. 3600 IN DS 58203 13 2 f154")


def test_names():
    assert normalise_zone("Example") == "example." and normalise_zone("") == "."
    assert normalise_hsm_id("01:AA") == "01aa" and normalise_hsm_id(b"\x01\xaa") == "01aa"
    with pytest.raises(ValueError, match="not a hex CKA_ID"):
        normalise_hsm_id("xyz")
    assert archive_zone("example.") == "example.rsp-archive.invalid."
    assert archive_zone(".") == "rsp-archive.invalid."


# Knot's rules (zone-keys.c set_key): who is published, who signs.
@pytest.mark.parametrize(("role", "timers", "expected"), [
    ("ksk", {"publish": 10}, (True, True)),  # a published KSK signs DNSKEY, active or not
    ("ksk", {"publish": 10, "active": 10, "retire": 20}, (False, False)),  # retired KSK: withdrawn
    ("zsk", {"publish": 10}, (True, False)),
    ("zsk", {"publish": 10, "active": 10}, (True, True)),
    ("zsk", {"publish": 10, "active": 10, "retire": 20}, (True, False)),  # retired ZSK: still published
    ("zsk", {"pre_active": 10, "publish": 40, "active": 40}, (False, True)),  # new RRSIGs first
    ("zsk", {"publish": 1, "active": 1, "post_active": 20}, (False, True)),  # old RRSIGs out last
    ("zsk", {"publish": 1, "active": 1, "retire": 20, "remove": 25}, (False, False)),
    ("csk", {"publish": 10, "active": 10}, (True, True)),
    ("ksk", {"publish": 1, "active": 1, "revoke": 20}, (True, True)),
    ("zsk", {}, (False, False)),
])
def test_key_usage(role, timers, expected):
    assert key_usage(role, KeyTimers(**timers), 30) == expected


def adapter() -> KnotAdapter:
    return KnotAdapter("/nonexistent/knot.conf")


def test_timers_for_zsk_prepublish_and_swap():
    new = EngineKey("02", "02", 2, 13, "zsk")
    assert adapter().timers_for(new, published=True, signs=False, at=100) == {"publish": 100}
    published = EngineKey("02", "02", 2, 13, "zsk", timers=KeyTimers(publish=100))
    assert adapter().timers_for(published, published=True, signs=False, at=150) == {}
    assert adapter().timers_for(published, published=True, signs=True, at=200) == {"active": 200}
    old = EngineKey("01", "01", 1, 13, "zsk", timers=KeyTimers(publish=1, active=1))
    assert adapter().timers_for(old, published=True, signs=False, at=200) == {"retire": 200}
    assert adapter().timers_for(old, published=False, signs=False, at=300) == {"remove": 300}
    assert adapter().timers_for(old, published=False, signs=True, at=300) == {"post_active": 300}
    fresh = EngineKey("03", "03", 3, 13, "zsk")
    assert adapter().timers_for(fresh, published=False, signs=True, at=50) == {"pre_active": 50}


def test_timers_for_ksk():
    ksk = EngineKey("11", "11", 11, 13, "ksk")
    assert adapter().timers_for(ksk, published=True, signs=True, at=10) == {"publish": 10, "active": 10}
    active = EngineKey("11", "11", 11, 13, "ksk", timers=KeyTimers(publish=10, active=10))
    assert adapter().timers_for(active, published=False, signs=False, at=90) == {"retire": 90}
    with pytest.raises(EngineUnsupported, match="without being in it"):
        adapter().timers_for(ksk, published=False, signs=True, at=10)


def test_render_policy_and_keystore():
    text = render_policy("lab", dnskey_ttl=5, zone_max_ttl=5, rrsig_lifetime=600, rrsig_refresh=300,
                         propagation_delay=1, extra={"delete-delay": 0})
    assert text.splitlines()[:3] == ["  - id: lab", "    manual: on", "    keystore: hsm"]
    for line in ("    nsec3: on", "    nsec3-iterations: 0", "    nsec3-salt-length: 0",
                 "    nsec3-opt-out: off", "    cds-cdnskey-publish: none", "    delete-delay: 0",
                 "    algorithm: ecdsap256sha256"):
        assert line in text.splitlines()
    assert "nsec3-iterations: 1" in render_policy("legacy", nsec3_iterations=1, allow_legacy_nsec3=True)
    with pytest.raises(ValueError, match="RFC 9276"):
        render_policy("x", nsec3_opt_out=True)
    with pytest.raises(ValueError, match="must be shorter than rrsig_lifetime"):
        render_policy("x", rrsig_refresh=100, rrsig_lifetime=50)
    with pytest.raises(ValueError, match="zone_max_ttl \\+ propagation_delay"):
        render_policy("x", rrsig_refresh=3600, zone_max_ttl=86400)
    with pytest.raises(ValueError, match="letters, digits"):
        render_policy("bad id")
    keystore = render_keystore("hsm", "dnssec", "1234")
    assert 'config: "pkcs11:token=dnssec;pin-value=1234 /usr/lib/softhsm/libsofthsm2.so"' in keystore
    with pytest.raises(ValueError, match="PIN"):
        render_keystore("hsm", "dnssec", 'a"b')
