# Copyright: rsp.dnssec contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt)
"""The Knot adapter against a real knotd + SoftHSM2 token (Knot 3.2 here, 3.4 on trixie)."""

from __future__ import annotations

import subprocess
import time

import dns.dnssec
import dns.rdatatype
import pytest
from engine_helpers import ldns_verify, validate_zone, wait_for

from ansible_collections.rsp.dnssec.plugins.module_utils.dnssec.engine.base import (
    EngineCommandFailed,
    EngineError,
    EngineNotRunning,
    EngineRefused,
    EngineTimeout,
    KeyTimers,
    ZoneUnknown,
)
from ansible_collections.rsp.dnssec.plugins.module_utils.dnssec.engine.knot import (
    KnotAdapter,
    archive_zone,
    render_policy,
)
from ansible_collections.rsp.dnssec.plugins.module_utils.dnssec.observe import (
    observe_dnskey,
    observe_rrsig_validity,
)

ZONE = "example."
KSK, ZSK, ZSK2 = "a1b2c3d4e5f60001", "a1b2c3d4e5f60002", "a1b2c3d4e5f60003"


def bring_up(signer, token) -> tuple[KnotAdapter, int]:
    """KSK + ZSK generated in the HSM, imported active, zone signed."""
    for hsm_id in (KSK, ZSK):
        token.keygen(hsm_id)
    adapter = signer.adapter()
    now = int(time.time())
    key, changed = adapter.import_key(ZONE, KSK, 13, "ksk", 256,
                                      KeyTimers(publish=now, ready=now, active=now))
    assert changed and key.tag and key.role == "ksk"
    zsk, changed = adapter.import_key(ZONE, ZSK, 13, "zsk", 256, KeyTimers(publish=now, active=now))
    assert changed and zsk.role == "zsk"
    adapter.apply(ZONE)
    wait_for(lambda: signer.serial(ZONE), what="example. to be served")
    return adapter, now


def test_import_sign_validate_and_ds(signer, token, tmp_path):
    adapter, now = bring_up(signer, token)
    keys = {k.key_id: k for k in adapter.list_keys(ZONE)}
    assert set(keys) == {KSK, ZSK}
    assert keys[KSK].state(now) == "active" and keys[KSK].published(now) and keys[KSK].signing(now)
    assert keys[KSK].timers.publish == now and keys[KSK].timers.retire is None
    assert keys[ZSK].timers.ready is None  # not defaulted to "now" by keymgr

    zone = signer.axfr(ZONE)
    result = validate_zone(zone, ZONE)
    assert result["dnskey_tags"] == sorted([keys[KSK].tag, keys[ZSK].tag])
    assert result["dnskey_signers"] == [keys[KSK].tag]
    assert result["zone_signers"] == [keys[ZSK].tag]
    # RFC 9276: NSEC3, hash 1, no opt-out, 0 iterations, empty salt.
    assert result["nsec3param"] == [(1, 0, 0, b"")]
    ldns_verify(zone, tmp_path / "example.axfr")

    # The DS the adapter reads from Knot is the DS of the key Knot serves.
    served = {dns.dnssec.key_id(k): k for k in zone.get_rdataset(ZONE, dns.rdatatype.DNSKEY)}
    for digest_type in (2, 4):
        (ds,) = adapter.ds_records(ZONE, KSK, [digest_type])
        expected = dns.dnssec.make_ds(ZONE, served[keys[KSK].tag], digest_type)
        assert ds.rdata_text() == expected.to_text().lower()
    dnskey_text = adapter.dnskey_record(ZONE, KSK).split()
    assert dnskey_text[:2] == [ZONE, "DNSKEY"]
    assert "".join(dnskey_text[5:]) == "".join(served[keys[KSK].tag].to_text().split()[3:])

    # Second import: nothing changes; a different role is refused, not applied.
    assert adapter.import_key(ZONE, KSK, 13, "ksk", 256, KeyTimers(publish=now))[1] is False
    with pytest.raises(EngineRefused, match="re-importing would silently replace"):
        adapter.import_key(ZONE, KSK, 13, "zsk", 256, KeyTimers(publish=now))
    assert {k.key_id: k for k in adapter.list_keys(ZONE)} == keys
    # An id that is not on the token: said so, nothing registered.
    with pytest.raises(EngineCommandFailed, match="no key with CKA_ID a1b2c3d4e5f6ffff"):
        adapter.import_key(ZONE, "a1b2c3d4e5f6ffff", 13, "zsk", 256, KeyTimers(publish=now))
    assert len(adapter.list_keys(ZONE)) == 2


def test_text_listing_matches_json(signer, token):
    adapter, _now = bring_up(signer, token)
    assert adapter.version() == subprocess.run(["knotd", "-V"], capture_output=True, text=True,
                                               check=True).stdout.split()[-1]
    from_json = adapter.list_keys(ZONE)
    assert adapter.json_output is True
    text_adapter = signer.adapter(json_output=False)
    from_text = text_adapter.list_keys(ZONE)
    assert from_text == from_json
    assert not any("-j" in cmd for cmd in text_adapter.commands)


def test_zsk_swap_archive_keeps_hsm_object(signer, token, tmp_path):
    adapter, now = bring_up(signer, token)
    token.keygen(ZSK2)
    tags = {k.key_id: k.tag for k in adapter.list_keys(ZONE)}

    # Pre-publish the new ZSK (check mode first: decided, nothing changed).
    dry = signer.adapter(check_mode=True)
    assert dry.import_key(ZONE, ZSK2, 13, "zsk", 256, KeyTimers(publish=now)) == (None, True)
    assert ZSK2 not in {k.key_id for k in adapter.list_keys(ZONE)}
    new, changed = adapter.import_key(ZONE, ZSK2, 13, "zsk", 256, KeyTimers(publish=now))
    assert changed and new.state(now) == "published" and not new.signing(now)
    before = signer.serial(ZONE)
    adapter.apply(ZONE)
    signer.wait_serial_change(ZONE, before)
    obs = observe_dnskey(ZONE, [signer.server])
    assert obs[0].ok and {k["tag"] for k in obs[0].value["keys"]} == {tags[KSK], tags[ZSK], new.tag}

    # Swap: new ZSK signs, old one stays published without signing; idempotent.
    t = int(time.time())
    swap_new = adapter.timers_for(adapter.key_by_id(ZONE, ZSK2), published=True, signs=True, at=t)
    swap_old = adapter.timers_for(adapter.key_by_id(ZONE, ZSK), published=True, signs=False, at=t)
    assert (swap_new, swap_old) == ({"active": t}, {"retire": t})
    assert adapter.set_timers(ZONE, ZSK2, swap_new) is True
    assert adapter.set_timers(ZONE, ZSK2, swap_new) is False
    assert adapter.set_timers(ZONE, ZSK, swap_old) is True
    before = signer.serial(ZONE)
    adapter.apply(ZONE)
    signer.wait_serial_change(ZONE, before)
    result = validate_zone(signer.axfr(ZONE), ZONE)
    assert result["zone_signers"] == [new.tag]
    assert tags[ZSK] in result["dnskey_tags"]
    # What Knot serves is what key_usage() predicts from the timers.
    keys, now2 = adapter.list_keys(ZONE), time.time()
    assert result["dnskey_tags"] == sorted(k.tag for k in keys if k.published(now2))
    assert result["zone_signers"] == sorted(k.tag for k in keys if k.role == "zsk" and k.signing(now2))
    assert result["dnskey_signers"] == sorted(k.tag for k in keys if k.role == "ksk" and k.signing(now2))
    rrsig = observe_rrsig_validity(ZONE, [signer.server])[0]
    assert rrsig.ok and 0 < rrsig.value["min_remaining"] <= 600

    # Remove: refused until the collection says the key is archived.
    with pytest.raises(EngineRefused, match="has not archived"):
        adapter.set_timers(ZONE, ZSK, {"remove": t + 1})
    with pytest.raises(EngineRefused, match="still retired"):
        adapter.archive_key(ZONE, ZSK, int(time.time()))
    assert adapter.set_timers(ZONE, ZSK, {"remove": t + 1}, archived=True) is True
    time.sleep(max(0.0, t + 1.2 - time.time()))
    before = signer.serial(ZONE)
    adapter.apply(ZONE)
    signer.wait_serial_change(ZONE, before)
    result = validate_zone(signer.axfr(ZONE), ZONE)
    assert tags[ZSK] not in result["dnskey_tags"]
    # Knot did not delete the removed key under manual: on.
    assert ZSK in {k.key_id for k in adapter.list_keys(ZONE)}
    assert ZSK in token.object_ids()

    # Archive: out of the zone's key set, HSM object kept, idempotent.
    assert adapter.archive_key(ZONE, ZSK, int(time.time())) is True
    assert ZSK not in {k.key_id for k in adapter.list_keys(ZONE)}
    assert [k.key_id for k in adapter.archived_keys(ZONE)] == [ZSK]
    assert ZSK in token.object_ids()
    assert adapter.archive_key(ZONE, ZSK, int(time.time())) is False
    assert archive_zone(ZONE) == "example.rsp-archive.invalid."
    # The zone still signs and validates afterwards.
    adapter.apply(ZONE)
    ldns_verify(signer.axfr(ZONE), tmp_path / "after-archive.zone")
    assert sorted(token.object_ids()) == sorted([KSK, ZSK, ZSK2])

    # After retention the collection destroys the HSM object itself, then
    # drops the archive record; refused while the object may still exist.
    with pytest.raises(EngineRefused, match="after its HSM object was destroyed"):
        adapter.forget_archived(ZONE, ZSK)
    for kind in ("privkey", "pubkey"):
        token.run("pkcs11-tool", "--module", token.module, "--token-label", token.label, "--login",
                  "--pin", token.pin, "--delete-object", "--type", kind, "--id", ZSK)
    assert adapter.forget_archived(ZONE, ZSK, hsm_object_destroyed=True) is True
    assert adapter.archived_keys(ZONE) == []
    assert adapter.forget_archived(ZONE, ZSK, hsm_object_destroyed=True) is False
    assert sorted(token.object_ids()) == sorted([KSK, ZSK2])


def test_errors_are_clear(signer, token, tmp_path):
    adapter, _now = bring_up(signer, token)
    with pytest.raises(ZoneUnknown, match=r"zone nosuch\.example\. is not configured in Knot"):
        adapter.list_keys("nosuch.example.")
    with pytest.raises(EngineRefused, match="without manual: on"):
        adapter.list_keys("auto.example.")
    with pytest.raises(ZoneUnknown, match="does not sign it"):
        adapter.list_keys("plain.example.")
    with pytest.raises(EngineError, match="Knot has no key with id a1b2 "):
        adapter.set_timers(ZONE, "a1b2", {"publish": 1})

    # A command that hangs: the adapter gives up and says what to check.
    slow = tmp_path / "slow-keymgr"
    slow.write_text("#!/bin/sh\nsleep 30\n")
    slow.chmod(0o755)
    hanging = signer.adapter(timeout=0.5)
    hanging.keymgr = str(slow)
    hanging._checked_zones.add(ZONE)
    with pytest.raises(EngineTimeout, match=r"did not finish within 0.5 s"):
        hanging.list_keys(ZONE)

    signer.stop()
    with pytest.raises(EngineNotRunning, match="systemctl status knot"):
        signer.adapter().list_keys(ZONE)
    missing = KnotAdapter(str(signer.config), keymgr="/nonexistent/keymgr")
    with pytest.raises(Exception, match="install the Debian package 'knot'"):
        missing.version()


def test_rendered_policy_is_accepted_by_knot(tmp_path):
    text = render_policy("prod", keystore="hsm", algorithm=8, dnskey_ttl=3600, zone_max_ttl=86400)
    conf = tmp_path / "knot.conf"
    conf.write_text("keystore:\n  - id: hsm\n    backend: pkcs11\n"
                    "    config: \"pkcs11:token=x;pin-value=1 /usr/lib/softhsm/libsofthsm2.so\"\n"
                    f"policy:\n{text}zone:\n  - domain: example.\n    dnssec-signing: on\n"
                    "    dnssec-policy: prod\n")
    result = subprocess.run(["knotc", "-c", str(conf), "conf-check"], capture_output=True, text=True,
                            check=False)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "manual: on" in text and "nsec3-salt-length: 0" in text and "algorithm: rsasha256" in text
    with pytest.raises(ValueError, match="RFC 9276"):
        render_policy("bad", nsec3_iterations=10)
    with pytest.raises(Exception, match="RFC 8624"):
        render_policy("bad", algorithm=5)


def test_keymgr_delete_destroys_the_hsm_object(signer, token):
    """Why the adapter never runs `keymgr delete` on a key it has not shared
    first: Knot removes the key from the KASP database AND destroys its PKCS#11
    objects. If a Knot release stops doing that, this test says so."""
    adapter, now = bring_up(signer, token)
    victim = token.keygen("a1b2c3d4e5f6dead")
    adapter.import_key(ZONE, victim, 13, "zsk", 256, KeyTimers(publish=now))
    assert victim in token.object_ids()
    signer.keymgr(ZONE, "delete", f"id={victim}")
    assert victim not in token.object_ids()
    assert sorted(token.object_ids()) == sorted([KSK, ZSK])
