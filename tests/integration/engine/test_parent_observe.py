# Copyright: rsp.dnssec contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt)
"""Parent adapters and observations against a real lab parent (knotd serving a
signed ``.``) and a real signer (knotd + SoftHSM2 serving ``example.``)."""

from __future__ import annotations

import json
import time

import dns.dnssec
import pytest
from engine_helpers import ROOT_ZONE, served_ds, validate_delegation, wait_for

from ansible_collections.rsp.dnssec.plugins.module_utils.dnssec.engine.base import KeyTimers
from ansible_collections.rsp.dnssec.plugins.module_utils.dnssec.observe import (
    Server,
    discover_parent_servers,
    discover_zone_servers,
    ds_tuple,
    observe_dnskey,
    observe_ds,
    observe_rrsig_validity,
    observe_soa,
)
from ansible_collections.rsp.dnssec.plugins.module_utils.dnssec.parent.base import (
    ParentRefused,
    ParentUnreachable,
)
from ansible_collections.rsp.dnssec.plugins.module_utils.dnssec.parent.dynupdate import DynUpdateParent
from ansible_collections.rsp.dnssec.plugins.module_utils.dnssec.parent.manual import ManualParent

ZONE = "example."
KSK1, KSK2, ZSK = "b1b2c3d4e5f60001", "b1b2c3d4e5f60002", "b1b2c3d4e5f60003"


@pytest.fixture
def signed(lab):
    """example. signed with KSK1 + ZSK; KSK2 generated and published (not signing)."""
    for hsm_id in (KSK1, KSK2, ZSK):
        lab.token.keygen(hsm_id)
    adapter = lab.signer.adapter()
    now = int(time.time())
    adapter.import_key(ZONE, KSK1, 13, "ksk", 256, KeyTimers(publish=now, ready=now, active=now))
    adapter.import_key(ZONE, ZSK, 13, "zsk", 256, KeyTimers(publish=now, active=now))
    adapter.import_key(ZONE, KSK2, 13, "ksk", 256, KeyTimers(publish=now))
    adapter.apply(ZONE)
    wait_for(lambda: lab.signer.serial(ZONE), what="example. served")
    return adapter


def dynupdate(lab, **kwargs) -> DynUpdateParent:
    return DynUpdateParent(lab.parent.server, lab.tsig_name, lab.tsig_secret, ds_ttl=5,
                           servers=kwargs.pop("servers", [lab.parent.server]), **kwargs)


def test_observations_of_the_signed_zone(lab, signed):
    keys = {k.key_id: k for k in signed.list_keys(ZONE)}
    clock_values = iter([1000.0, 2000.0])
    soa = observe_soa(ZONE, [lab.signer.server, "127.0.0.1@1"], timeout=1, clock=lambda: next(clock_values))
    assert soa[0].ok and soa[0].value["serial"] == lab.signer.serial(ZONE) and soa[0].when == 1000.0
    assert soa[0].server == f"127.0.0.1#{lab.signer.port}"
    # Nothing listens on port 1: a failed observation, recorded, with a hint.
    assert not soa[1].ok and "no answer from 127.0.0.1#1 within 1 s" in soa[1].error
    assert "dig @127.0.0.1 -p 1 example. SOA" in soa[1].error

    (dnskey,) = observe_dnskey(ZONE, [lab.signer.server])
    assert {k["tag"] for k in dnskey.value["keys"]} == {k.tag for k in keys.values()}
    # Knot signs the DNSKEY RRset with every published KSK, active or not.
    assert dnskey.value["signed_by"] == sorted([keys[KSK1].tag, keys[KSK2].tag])
    assert keys[KSK2].signing(time.time()) and keys[KSK2].state(time.time()) == "published"
    assert dnskey.value["ttl"] == 5
    (rrsig,) = observe_rrsig_validity(ZONE, [lab.signer.server], names=["www"], rdtypes=["A", "SOA"])
    assert rrsig.ok and rrsig.value["signatures"] >= 2 and 500 < rrsig.value["min_remaining"] <= 600
    # The parent does not serve example. itself: not authoritative, said so.
    (wrong,) = observe_dnskey(ZONE, [lab.parent.server])
    assert not wrong.ok and "not authoritative for example." in wrong.error
    json.dumps([o.to_dict() for o in (*soa, dnskey, rrsig, wrong)])  # records are JSON


def test_discovery_of_parent_servers(lab):
    parent, servers = discover_parent_servers(ZONE, [lab.parent.server], port=lab.parent.port)
    assert parent == "."
    assert servers == [Server("127.0.0.1", lab.parent.port, "ns1.root-servers.lab."),
                       Server("127.0.0.2", lab.parent.port, "ns2.root-servers.lab.")]
    # Both discovered addresses really are the parent (knotd listens on both).
    assert all(o.ok for o in observe_ds(ZONE, servers))
    zone_servers = discover_zone_servers(ZONE, [lab.parent.server], port=lab.signer.port)
    assert zone_servers == [Server("127.0.0.1", lab.signer.port, "ns1.example.")]


def test_dynupdate_double_ds_and_chain_of_trust(lab, signed):
    keys = {k.key_id: k for k in signed.list_keys(ZONE)}
    ds1 = signed.ds_records(ZONE, KSK1)
    ds2 = signed.ds_records(ZONE, KSK2)
    parent = dynupdate(lab, resolvers=None)
    assert served_ds(lab.parent.port, ZONE) == []
    status = parent.status(ZONE, ds1)
    assert not status.satisfied and "seen on 0 of 1 parent servers" in status.text

    # Check mode decides without sending.
    dry = dynupdate(lab, check_mode=True)
    result = dry.submit(ZONE, ds1)
    assert result.changed and result.text.startswith("would update")
    assert served_ds(lab.parent.port, ZONE) == []

    result = parent.submit(ZONE, ds1, change_id="CHG-1")
    assert result.changed and result.added[0]["key_tag"] == keys[KSK1].tag and result.submitted_at
    assert parent.submit(ZONE, ds1).changed is False
    wait_for(lambda: parent.status(ZONE, ds1).satisfied, what="DS on the parent")
    validate_delegation(lab.parent.port, lab.signer.port, ZONE)

    # Double-DS: both DS, then only the new one; the chain validates throughout.
    tracking = None
    status = parent.status(ZONE, ds1 + ds2)
    assert not status.satisfied and f"lacks DS {keys[KSK2].tag}/13/2" not in status.text
    assert parent.submit(ZONE, ds1 + ds2).changed
    status = wait_for(lambda: (s := parent.status(ZONE, ds1 + ds2, previous=tracking)).satisfied and s,
                      what="both DS")
    tracking = status.tracking
    assert status.satisfied_since is not None and "holding since" in status.text
    validate_delegation(lab.parent.port, lab.signer.port, ZONE)
    again = parent.status(ZONE, ds1 + ds2, previous=tracking)
    assert again.satisfied_since == status.satisfied_since  # "since" survives across runs

    # Swap the KSK in the child, then withdraw the old DS.
    now = int(time.time())
    signed.set_timers(ZONE, KSK2, {"active": now})
    signed.set_timers(ZONE, KSK1, {"retire": now})
    before = lab.signer.serial(ZONE)
    signed.apply(ZONE)
    lab.signer.wait_serial_change(ZONE, before)
    validate_delegation(lab.parent.port, lab.signer.port, ZONE)
    result = parent.submit(ZONE, ds2)
    assert result.changed and [d["key_tag"] for d in result.removed] == [keys[KSK1].tag]
    wait_for(lambda: parent.status(ZONE, ds2, absent=ds1).satisfied, what="old DS gone")
    assert {ds_tuple(d) for d in served_ds(lab.parent.port, ZONE)} == {ds_tuple(d) for d in ds2}
    validate_delegation(lab.parent.port, lab.signer.port, ZONE)


def test_two_of_three_parent_servers(lab, signed, knot_factory):
    """A third parent server that lags (serves an old copy of the root zone)."""
    stale = knot_factory("stale-root", zones="  - domain: .\n", zone_files={".": ROOT_ZONE})
    stale.wait_serial_change(".", None)
    ds1 = signed.ds_records(ZONE, KSK1)
    servers = [lab.parent.server, Server("127.0.0.2", lab.parent.port), stale.server]
    parent = dynupdate(lab, servers=servers)
    parent.submit(ZONE, ds1)
    tag = ds1[0].key_tag
    status = wait_for(lambda: (s := parent.status(ZONE, ds1)).tracking["first_seen"] and len(
        s.tracking["first_seen"]) == 2 and s, what="two servers")
    assert not status.satisfied
    assert f"DS {tag}/13/2 seen on 2 of 3 parent servers; waiting for 127.0.0.1#{stale.port}" in status.text
    assert f"127.0.0.1#{stale.port}: serves DS none" in status.text
    assert status.satisfied_since is None


def test_dynupdate_errors(lab, signed):
    ds1 = signed.ds_records(ZONE, KSK1)
    wrong_secret = DynUpdateParent(lab.parent.server, lab.tsig_name, "d3Jvbmctc2VjcmV0LXdyb25nLXNlY3JldA==",
                                   servers=[lab.parent.server])
    with pytest.raises(ParentRefused, match=r"rejected TSIG key rsp-parent-update\.|NOTAUTH"):
        wrong_secret.submit(ZONE, ds1)
    assert served_ds(lab.parent.port, ZONE) == []
    with pytest.raises(ParentRefused, match=r"no delegation \(NS\) for other\.example\."):
        dynupdate(lab).submit("other.example.", ds1)
    unreachable = DynUpdateParent("127.0.0.1@1", lab.tsig_name, lab.tsig_secret, servers=["127.0.0.1@1"],
                                  timeout=0.5)
    with pytest.raises(ParentUnreachable, match="does not answer"):
        unreachable.submit(ZONE, ds1)
    with pytest.raises(ParentUnreachable, match="cannot find the zone that holds"):
        DynUpdateParent("127.0.0.1@1", lab.tsig_name, lab.tsig_secret, timeout=0.5).status(ZONE, ds1)


def test_manual_parent_writes_artefact_then_observes(lab, signed, tmp_path):
    keys = {k.key_id: k for k in signed.list_keys(ZONE)}
    ds1 = signed.ds_records(ZONE, KSK1, [2, 4])
    manual = ManualParent(str(tmp_path / "submissions"), ds_ttl=86400, resolvers=[lab.parent.server],
                          port=lab.parent.port)
    dry = ManualParent(str(tmp_path / "submissions"), resolvers=[lab.parent.server], port=lab.parent.port,
                       check_mode=True)
    assert dry.submit(ZONE, ds1, change_id="CHG 7").changed and not (tmp_path / "submissions").exists()

    result = manual.submit(ZONE, ds1, change_id="CHG 7")
    assert result.changed and "written to" in result.text
    txt, js = result.artefacts
    assert txt.endswith("example.CHG_7.ds.txt")
    with open(txt) as handle:
        lines = [line for line in handle.read().splitlines() if not line.startswith(";")]
    assert lines == [f"example. 86400 IN DS {d.key_tag} 13 {d.digest_type} {d.digest.upper()}" for d in ds1]
    with open(js) as handle:
        document = json.load(handle)
    assert document["change_id"] == "CHG 7" and document["remove"] == []
    assert {d["key_tag"] for d in document["add"]} == {keys[KSK1].tag}
    again = manual.submit(ZONE, ds1, change_id="CHG 7")
    assert not again.changed and "already written" in again.text

    status = manual.status(ZONE, ds1, previous={"submitted_at": result.submitted_at})
    assert not status.satisfied and "seen on 0 of 2 parent servers" in status.text
    assert "submitted" in status.text and "(manual)" in status.text

    # The parent operator publishes it (here: by dynamic update); the manual adapter sees it.
    dynupdate(lab).submit(ZONE, ds1)
    status = wait_for(lambda: (s := manual.status(ZONE, ds1)).satisfied and s, what="manual DS seen")
    assert len(status.observations) == 2
    assert not manual.submit(ZONE, ds1, change_id="CHG 8").changed  # already served: nothing to write
    assert dns.dnssec  # dnspython's DNSSEC module is what validates the chain above
