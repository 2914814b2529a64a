# Copyright: rsp.dnssec contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt)
"""Pure parts of the executor: gate evidence from observations, who signs a
transferred zone, engine timers for a key's functions (Knot's rules), the
algorithm-rollover plan for engines whose KSK signs only while published, and
the crash hook."""

from __future__ import annotations

import subprocess
import sys

import dns.rdatatype
import dns.zone
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ansible_collections.rsp.dnssec.plugins.module_utils.dnssec import timing
from ansible_collections.rsp.dnssec.plugins.module_utils.dnssec.engine.base import (
    EngineKey,
    EngineUnsupported,
    KeyTimers,
    key_functions,
    key_usage,
)
from ansible_collections.rsp.dnssec.plugins.module_utils.dnssec.engine.knot import KnotAdapter
from ansible_collections.rsp.dnssec.plugins.module_utils.dnssec.lifecycle.executor import CRASH_ENV
from ansible_collections.rsp.dnssec.plugins.module_utils.dnssec.lifecycle.gates import (
    dnskey_gate_evidence,
    rrsig_gate_evidence,
    zone_signature_summary,
    zone_signers_check,
)
from ansible_collections.rsp.dnssec.plugins.module_utils.dnssec.lifecycle.hsmkeys import new_key, read_pin_file
from ansible_collections.rsp.dnssec.plugins.module_utils.dnssec.observe import Observation
from ansible_collections.rsp.dnssec.plugins.module_utils.dnssec.policy import Policy
from ansible_collections.rsp.dnssec.tests.unit.plugins.module_utils.dnssec import chain_sim
from ansible_collections.rsp.dnssec.tests.unit.plugins.module_utils.dnssec.test_timing_property import (
    plans,
    world,
)

EXPECTED = {"dnskey": [{"key_tag": 111, "algorithm": 13, "key_id": "a"},
                       {"key_tag": 222, "algorithm": 13, "key_id": "b"}],
            "dnskey_signers": [{"key_tag": 111, "algorithm": 13, "key_id": "a"}], "ttl": 3600}


def dnskey_obs(server: str, tags=(111, 222), signed=(111,), ttl=3600, serial=7, ok=True) -> Observation:
    value = {"serial": serial, "ttl": ttl, "keys": [{"tag": t, "algorithm": 13, "flags": 256} for t in tags],
             "signed_by": list(signed)}
    return Observation("dnskey", "example.", server, 1000.0, ok, value if ok else {},
                       None if ok else f"no answer from {server} within 3 s")


# -- DNSKEY gate -------------------------------------------------------------------------------


def test_dnskey_gate_holds_when_every_server_serves_it():
    evidence = dnskey_gate_evidence([dnskey_obs("a#53"), dnskey_obs("b#53")], EXPECTED)
    assert evidence.satisfied and evidence.text == ("DNSKEY RRset {111/13, 222/13} signed by 111 seen on all 2 "
                                                    "authoritative servers")


@pytest.mark.parametrize(("observation", "words"), [
    (dnskey_obs("b#53", tags=(111,)), "b#53: serves DNSKEY {111/13}"),
    (dnskey_obs("b#53", signed=(111, 333)), "b#53: DNSKEY RRset signed by 111, 333"),
    (dnskey_obs("b#53", ttl=300), "b#53: DNSKEY TTL 300, not 3600"),
    (dnskey_obs("b#53", ok=False), "b#53: no answer from b#53 within 3 s"),
])
def test_dnskey_gate_says_which_server_serves_what(observation, words):
    evidence = dnskey_gate_evidence([dnskey_obs("a#53"), observation], EXPECTED)
    assert not evidence.satisfied
    assert "seen on 1 of 2 authoritative servers; waiting for b#53" in evidence.text
    assert words in evidence.text


def test_dnskey_gate_needs_one_serial():
    evidence = dnskey_gate_evidence([dnskey_obs("a#53", serial=7), dnskey_obs("b#53", serial=8)], EXPECTED)
    assert not evidence.satisfied and "different SOA serials [7, 8]" in evidence.text


# -- zone signatures ---------------------------------------------------------------------------


ZONE_TEXT = """$ORIGIN example.
@ 60 IN SOA ns hostmaster 5 30 10 3600 60
@ 60 IN RRSIG SOA 13 1 60 20300101000000 20200101000000 {z} example. AAAA
@ 60 IN NS ns
@ 60 IN RRSIG NS 13 1 60 20300101000000 20200101000000 {z} example. AAAA
@ 60 IN DNSKEY 257 3 13 AAAA
@ 60 IN RRSIG DNSKEY 13 1 60 20300101000000 20200101000000 {k} example. AAAA
ns 60 IN A 192.0.2.1
ns 60 IN RRSIG A 13 2 60 20300101000000 20200101000000 {ns} example. AAAA
"""


def transfer(z=22222, k=11111, ns=22222) -> dns.zone.Zone:
    return dns.zone.from_text(ZONE_TEXT.format(z=z, k=k, ns=ns), origin="example.", relativize=False,
                              check_origin=False)


def test_who_signs_the_zone_leaves_out_the_key_signed_apex():
    summary = zone_signature_summary(transfer(), "example.")
    assert summary["serial"] == 5 and summary["rrsets"] == 3
    assert summary["signers"] == {"22222/13": 3}  # the DNSKEY RRset (by the KSK) is not zone data
    expected = {"zone_signers": [{"key_tag": 22222, "algorithm": 13}]}
    assert zone_signers_check(summary, expected) is None
    half = zone_signature_summary(transfer(ns=33333), "example.")
    assert zone_signers_check(half, expected) == ("1 of 3 RRsets not (yet) signed by exactly {22222/13}, e.g. "
                                                  "ns.example. A by {33333/13}")


def test_rrsig_gate_wants_the_signed_serial_on_every_server():
    summary = zone_signature_summary(transfer(), "example.")
    axfr = Observation("rrsig", "example.", "a#53", 1000.0, True, summary)
    soas = [Observation("soa", "example.", s, 1001.0, True, {"serial": n}) for s, n in (("a#53", 5), ("b#53", 4))]
    expected = {"zone_signers": [{"key_tag": 22222, "algorithm": 13}]}
    evidence = rrsig_gate_evidence(axfr, soas, expected)
    assert not evidence.satisfied and "b#53: at serial 4, not yet 5" in evidence.text
    soas[1] = Observation("soa", "example.", "b#53", 1001.0, True, {"serial": 6})
    assert rrsig_gate_evidence(axfr, soas, expected).satisfied
    refused = Observation("rrsig", "example.", "a#53", 1000.0, False, {}, "zone transfer ... REFUSED")
    assert "cannot transfer the zone from a#53" in rrsig_gate_evidence(refused, soas, expected).text


# -- engine timers for a key's functions (Knot's rules) -------------------------------------------


def key(role: str, **timers) -> EngineKey:
    return EngineKey("id", "id", 1, 13, role, timers=KeyTimers(**timers))


@pytest.mark.parametrize(("role", "timers", "want", "changes"), [
    # new keys: unpublished and silent (imported at a rollover's start)
    ("ksk", {}, (False, False, False), {}),
    # at rest / taking over
    ("ksk", {}, (True, True, False), {"publish": 100, "active": 100}),
    ("zsk", {}, (True, False, True), {"publish": 100, "active": 100}),
    ("csk", {}, (True, True, True), {"publish": 100, "active": 100}),
    # ZSK pre-publication: publish, then sign instead of the old one, then remove the old one
    ("zsk", {}, (True, False, False), {"publish": 100}),
    ("zsk", {"publish": 50}, (True, False, True), {"active": 100}),
    ("zsk", {"publish": 10, "active": 10}, (True, False, False), {"retire": 100}),
    ("zsk", {"publish": 10, "active": 10, "retire": 50}, (False, False, False), {"remove": 100}),
    # KSK: retired means out of the DNSKEY RRset at once
    ("ksk", {"publish": 10, "active": 10}, (False, False, False), {"retire": 100}),
    # algorithm rollover: sign unpublished first, keep signing unpublished last
    ("zsk", {}, (False, False, True), {"pre_active": 100}),
    ("zsk", {"pre_active": 50}, (True, False, True), {"publish": 100, "active": 100}),
    ("zsk", {"publish": 10, "active": 10}, (False, False, True), {"post_active": 100}),
    ("zsk", {"publish": 10, "active": 10, "post_active": 50}, (False, False, False), {"remove": 100}),
    ("zsk", {"publish": 10, "active": 10}, (False, False, False), {"remove": 100, "retire": 100}),
    ("csk", {}, (False, False, True), {"pre_active": 100}),
    ("csk", {"publish": 10, "active": 10}, (False, False, True), {"post_active": 100}),
    # CSK rollover: published and signing the DNSKEY RRset, not the zone (yet / any more)
    ("csk", {}, (True, True, False), {"publish": 100}),
    ("csk", {"publish": 10, "active": 10}, (True, True, False), {"retire": 100}),
])
def test_timers_for_functions(role, timers, want, changes):
    engine = KnotAdapter(None)
    k = key(role, **timers)
    got = engine.timers_for_functions(k, published=want[0], signs_dnskey=want[1], signs_zone=want[2], at=100)
    assert got == changes
    after = k.timers.replace(got)
    assert key_functions(role, after, 100) == (want[0], want[1] and role != "zsk", want[2] and role != "ksk")
    assert key_usage(role, after, 100) == (want[0], any(want[1:]))


@pytest.mark.parametrize("want", [(False, True, False), (True, False, False)])
def test_a_knot_ksk_signs_exactly_while_published(want):
    with pytest.raises(EngineUnsupported, match="cannot make a KSK"):
        KnotAdapter(None).timers_for_functions(key("ksk"), published=want[0], signs_dnskey=want[1],
                                               signs_zone=False, at=100)


# -- the algorithm rollover for Knot ---------------------------------------------------------


def _keys_of(plan: timing.Plan) -> timing.RolloverKeys:
    return timing.RolloverKeys(current=tuple(plan.keys[i] for i in plan.initial.dnskey),
                               new=tuple(k for k in plan.keys.values() if k.id.startswith("new")),
                               standby=tuple(k for k in plan.keys.values() if k.id == "s1"),
                               new_standby=tuple(k for k in plan.keys.values() if k.id == "s2"))


def test_algorithm_rollover_without_ksk_presigning_by_example():
    policy = Policy.from_dict({"profile": "lab"})
    keys = {"current": [timing.Key("k13", 1, 13, "ksk"), timing.Key("z13", 2, 13, "zsk")],
            "new": [timing.Key("k8", 3, 8, "ksk"), timing.Key("z8", 4, 8, "zsk")]}
    plan = timing.plan("algorithm", policy, keys, 0, dnskey_presign=False)
    first, second = plan.steps[0], plan.steps[1]
    assert first.changes == {"zone_signers_add": ["z8"]}
    assert second.changes == {"dnskey_add": ["k8", "z8"], "dnskey_signers_add": ["k8"]}
    assert first.title == "add signatures by 4/8 (algorithm 8) beside those of algorithm 13"
    assert [s.name for s in plan.steps] == ["sign-new", "publish-new", "ds-swap", "unpublish-old", "unsign-old",
                                            "complete"]
    assert second.interval == 2 + 2 + 10 + 2  # Isig = Dsgn + Dprp + TTLsig + Ipsafety (lab)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow,
                                                                  HealthCheck.data_too_large])
@given(plan=plans(methods=(timing.ALGORITHM_CONSERVATIVE,)), data=st.data())
def test_algorithm_rollover_without_ksk_presigning_keeps_the_chain(plan, data):
    """The same resolver-cache property as the planner's own tests, for the plan an
    engine gets when its new KSK signs the DNSKEY RRset only once published (Knot)."""
    knot = timing.plan(plan.method, Policy.from_dict(plan.policy), _keys_of(plan), 0, dnskey_presign=False)
    assert knot.steps[0].target.dnskey_signers == plan.initial.dnskey_signers
    chain_sim.check(chain_sim.execute(knot, world(data, knot)))


# -- small helpers ----------------------------------------------------------------------------------


def test_new_keys_get_random_ids_and_readable_labels():
    a, b = (new_key("Example.", "ksk", 13, 2048, 1_800_000_000) for _n in range(2))
    assert a.hsm_id != b.hsm_id and len(a.hsm_id) == 32
    assert a.label == f"example-ksk-13-20270115-{a.hsm_id[:8]}" and a.bits == 0 and a.size == 256
    assert new_key("example.", "zsk", 8, 2048, 0).size == 2048


def test_pin_file_may_be_read_by_the_group_not_by_others(tmp_path):
    path = tmp_path / "hsm.pin"
    path.write_text("1234\n")
    path.chmod(0o440)
    assert read_pin_file(str(path)) == "1234"
    path.chmod(0o444)
    with pytest.raises(Exception, match="open to others"):
        read_pin_file(str(path))


def test_crash_hook_ends_the_process_only_where_asked():
    code = ("from ansible_collections.rsp.dnssec.plugins.module_utils.dnssec.lifecycle.executor import crash_point\n"
            "crash_point('timers-set', 'other.')\nprint('alive', flush=True)\n"
            "crash_point('timers-set', 'example.')\nprint('not reached')\n")
    done = subprocess.run([sys.executable, "-c", code], env={CRASH_ENV: "timers-set@example", "PYTHONPATH":
                          ":".join(sys.path)}, capture_output=True, text=True, timeout=60, check=False)
    assert done.returncode == 1 and done.stdout == "alive\n", done.stderr
