# Copyright: rsp.dnssec contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt)
"""The RFC 7583 planner with exact numbers, computed by hand in each test.

Production policy (see policy.PROFILES): Dprp = DprpP = 3600, Dreg = 0,
Dsgn = 300, Ipsafety = Irsafety = 3600, TTLkey = 3600, TTLds = 86400,
TTLsig = 86400, emergency DNSKEY TTL 300. Lab: Dprp = DprpP = 2, Dreg = 0,
Dsgn = 2, safety margins 2, every TTL 10, emergency DNSKEY TTL 5.
"""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from ansible_collections.rsp.dnssec.plugins.module_utils.dnssec import timing
from ansible_collections.rsp.dnssec.plugins.module_utils.dnssec.policy import Policy
from ansible_collections.rsp.dnssec.tests.unit.plugins.module_utils.dnssec import chain_sim

T0 = 1_700_000_000
KSK = timing.Key("k1", 40144, 13, "ksk", activated=T0 - 300 * 86400)
ZSK = timing.Key("z1", 11111, 13, "zsk", activated=T0 - 80 * 86400)
ZSK2 = timing.Key("z2", 22222, 13, "zsk")
KSK2 = timing.Key("k2", 33333, 13, "ksk")
KSK8 = timing.Key("k8", 44444, 8, "ksk")
ZSK8 = timing.Key("z8", 55555, 8, "zsk")
CSK = timing.Key("c1", 60001, 13, "csk")
CSK2 = timing.Key("c2", 60002, 13, "csk")
STANDBY = timing.Key("s1", 12345, 13, "ksk", ds_observed=T0 - 2 * 86400)
STANDBY2 = timing.Key("s2", 23456, 13, "ksk")


@pytest.fixture(scope="module")
def production() -> Policy:
    return Policy.production()


@pytest.fixture(scope="module")
def lab() -> Policy:
    return Policy.lab()


def offsets(plan: timing.Plan) -> list:
    return [s.earliest - plan.started_at for s in plan.steps]


def waits(plan: timing.Plan) -> list:
    return [{g.kind: g.wait for g in s.gates if g.kind != timing.GATE_NONE} for s in plan.steps]


def tags(entries: list) -> set:
    return {e["key_tag"] for e in entries}


# -- every method, production numbers ----------------------------------------------

def test_zsk_pre_publish_production(production: Policy) -> None:
    plan = timing.plan("zsk", production, {"current": [KSK, ZSK], "new": [ZSK2]}, T0)
    assert plan.method == timing.ZSK_PRE_PUBLISH
    assert [s.name for s in plan.steps] == ["publish", "activate", "remove", "complete"]
    # Ipub = Dprp + TTLkey + Ipsafety = 3600 + 3600 + 3600 = 10800
    # Iret = Dsgn + Dprp + TTLsig + Irsafety = 300 + 3600 + 86400 + 3600 = 93900
    # IretC = Dprp + TTLkey + Irsafety = 10800 (old DNSKEY RRset out of caches)
    assert [s.interval for s in plan.steps] == [0, 10800, 93900, 10800]
    assert offsets(plan) == [0, 10800, 104700, 115500]
    # Gate waits start at the observation: no Dsgn in the RRSIG wait (93600 = 3600 + 86400 + 3600).
    assert waits(plan) == [{}, {timing.GATE_DNSKEY: 10800}, {timing.GATE_RRSIG: 93600},
                           {timing.GATE_DNSKEY: 10800}]
    assert plan.steps[1].interval_formula == "Ipub = Dprp + TTLkey + Ipsafety = 3600 + 3600 + 3600 = 10800 s"
    assert plan.steps[2].interval_formula == ("Iret = Dsgn + Dprp + TTLsig + Irsafety = 300 + 3600 + 86400 + "
                                              "3600 = 93900 s")
    publish, activate, remove = plan.steps[:3]
    assert publish.target == timing.KeySet(("k1", "z1", "z2"), ("k1",), ("z1",), ("k1",), 3600)
    assert activate.changes == {"zone_signers_add": ["z2"], "zone_signers_remove": ["z1"]}
    assert remove.changes == {"dnskey_remove": ["z1"]}
    gate = activate.gates[0]
    assert gate.id == "step2.dnskey" and gate.observes_step == 0
    assert tags(gate.expected["dnskey"]) == {40144, 11111, 22222}
    assert tags(gate.expected["dnskey_signers"]) == {40144}
    assert gate.expected["ttl"] == 3600
    assert tags(remove.gates[0].expected["zone_signers"]) == {22222}
    assert plan.after == {"current": ["k1", "z2"], "standby": [], "retired": ["z1"]}
    assert plan.duration == 115500


def test_ksk_double_ds_is_the_default_ksk_method(production: Policy) -> None:
    plan = timing.plan("ksk", production, {"current": [KSK, ZSK], "new": [KSK2]}, T0)
    assert plan.method == timing.KSK_DOUBLE_DS
    assert [s.name for s in plan.steps] == ["ds-add", "swap-ksk", "ds-remove", "complete"]
    # IpubP = Dreg + DprpP + TTLds + Ipsafety = 0 + 3600 + 86400 + 3600 = 93600
    # IretC = Dprp + TTLkey + Irsafety = 10800; IretP = 0 + 3600 + 86400 + 3600 = 93600
    assert [s.interval for s in plan.steps] == [0, 93600, 10800, 93600]
    assert offsets(plan) == [0, 93600, 104400, 198000]
    assert waits(plan) == [{}, {timing.GATE_DS: 93600}, {timing.GATE_DNSKEY: 10800}, {timing.GATE_DS: 93600}]
    ds_add, swap, ds_remove = plan.steps[:3]
    assert ds_add.target.ds == ("k1", "k2") and ds_add.target.dnskey == ("k1", "z1")
    assert swap.target.dnskey == ("k2", "z1") and swap.target.dnskey_signers == ("k2",)
    assert ds_remove.target.ds == ("k2",)
    assert swap.gates[0].expected["ds"] == [
        {"key_tag": 33333, "algorithm": 13, "key_id": "k2", "digest_type": 2},
        {"key_tag": 40144, "algorithm": 13, "key_id": "k1", "digest_type": 2}]
    assert swap.gates[0].description == "DS RRset {40144/13/2, 33333/13/2} on all parent servers"


def test_ksk_double_ksk(production: Policy) -> None:
    policy = Policy.from_dict({"rollover": {"ksk": "double-ksk"}})
    plan = timing.plan("ksk", policy, {"current": [KSK, ZSK], "new": [KSK2]}, T0)
    assert plan.method == timing.KSK_DOUBLE_KSK
    assert [s.name for s in plan.steps] == ["publish", "ds-swap", "remove", "complete"]
    # IpubC = Dprp + TTLkey + Ipsafety = 10800; IretP = 93600; IretC = 10800
    assert [s.interval for s in plan.steps] == [0, 10800, 93600, 10800]
    assert offsets(plan) == [0, 10800, 104400, 115200]
    publish, swap, remove = plan.steps[:3]
    assert publish.target.dnskey_signers == ("k1", "k2")
    assert swap.changes == {"ds_add": ["k2"], "ds_remove": ["k1"]}
    assert remove.target == timing.KeySet(("k2", "z1"), ("k2",), ("z1",), ("k2",), 3600)


def test_csk_rolls_dnskey_signatures_and_ds_in_one_step(production: Policy) -> None:
    policy = Policy.from_dict({"key_scheme": "csk"})
    plan = timing.plan("csk", policy, {"current": [CSK], "new": [CSK2]}, T0)
    assert [s.name for s in plan.steps] == ["publish", "ds-swap", "remove", "complete"]
    swap, remove = plan.steps[1], plan.steps[2]
    assert swap.changes == {"zone_signers_add": ["c2"], "zone_signers_remove": ["c1"],
                            "ds_add": ["c2"], "ds_remove": ["c1"]}
    # The removal waits for both: max(Iret 93900, IretP 93600) = 93900.
    assert sorted((i.name, i.seconds) for i in remove.intervals) == [("Iret", 93900), ("IretP", 93600)]
    assert remove.interval == 93900
    assert waits(plan)[2] == {timing.GATE_DS: 93600, timing.GATE_RRSIG: 93600}
    assert offsets(plan) == [0, 10800, 104700, 115500]


def test_algorithm_rollover_conservative_order(production: Policy) -> None:
    plan = timing.plan("algorithm", production, {"current": [KSK, ZSK], "new": [KSK8, ZSK8]}, T0)
    names = ["sign-new", "publish-new", "ds-swap", "unpublish-old", "unsign-old", "complete"]
    assert [s.name for s in plan.steps] == names
    sign, publish, swap, unpublish, unsign = plan.steps[:5]
    # RFC 6781 section 4.1.4: signatures first, then DNSKEYs, then DS, then old DNSKEYs, then old signatures.
    assert sign.target == timing.KeySet(("k1", "z1"), ("k1", "k8"), ("z1", "z8"), ("k1",), 3600)
    assert publish.target.dnskey == ("k1", "k8", "z1", "z8")
    assert swap.target.ds == ("k8",)
    assert unpublish.target == timing.KeySet(("k8", "z8"), ("k8",), ("z1", "z8"), ("k8",), 3600)
    assert unsign.target.zone_signers == ("z8",)
    # Isig = Dsgn + Dprp + TTLsig + Ipsafety = 93900 (the DNSKEY RRset also gained an RRSIG: Ipub 10800);
    # Ipub = 10800; IretP = 93600; IretC = 10800; Iret = 93900
    assert [s.interval for s in plan.steps] == [0, 93900, 10800, 93600, 10800, 93900]
    assert offsets(plan) == [0, 93900, 104700, 198300, 209100, 303000]
    assert [[(i.name, i.seconds) for i in s.intervals] for s in plan.steps] == [
        [], [("Ipub", 10800), ("Isig", 93900)], [("Ipub", 10800)], [("IretP", 93600)], [("IretC", 10800)],
        [("Iret", 93900)]]
    assert waits(plan)[1] == {timing.GATE_DNSKEY: 10800, timing.GATE_RRSIG: 93600}


def test_emergency_without_standby_shortens_the_dnskey_ttl(production: Policy) -> None:
    plan = timing.plan("emergency_ksk", production, {"current": [KSK, ZSK], "new": [KSK2]}, T0)
    assert plan.method == timing.EMERGENCY_DOUBLE_KSK
    publish, remove, complete = plan.steps[0], plan.steps[2], plan.steps[3]
    assert publish.target.dnskey_ttl == 300 and publish.changes["dnskey_ttl"] == 300
    assert remove.target.dnskey_ttl == 3600 and remove.target.dnskey == ("k2", "z1")
    # The wait after the first step uses the TTL caches may already hold (3600), not the new 300:
    # IpubC = 3600 + 3600 + 3600 = 10800. DS: 93600. The last wait uses the short TTL:
    # IretC = Dprp + 300 + Irsafety = 3600 + 300 + 3600 = 7500.
    assert [s.interval for s in plan.steps] == [0, 10800, 93600, 7500]
    assert complete.gates[0].expected["ttl"] == 3600
    assert plan.duration == 111900


def test_emergency_with_standby_swaps_at_once(production: Policy) -> None:
    policy = Policy.from_dict({"standby_ksk": True})
    keys = {"current": [KSK, ZSK], "standby": [STANDBY], "new_standby": [STANDBY2]}
    plan = timing.plan("emergency_ksk", policy, keys, T0)
    assert plan.method == timing.EMERGENCY_STANDBY
    assert [s.name for s in plan.steps] == ["activate-standby", "ds-remove", "complete"]
    first, ds_remove = plan.steps[:2]
    assert plan.initial.ds == ("k1", "s1")
    assert first.target == timing.KeySet(("s1", "z1"), ("s1",), ("z1",), ("k1", "s1"), 3600)
    assert ds_remove.target.ds == ("s1", "s2")
    gate = first.gates[0]
    assert gate.kind == timing.GATE_DS and gate.wait == 93600 and gate.observes_step is None
    assert plan.initial_observations[gate.id].satisfied_since == T0 - 2 * 86400
    # The standby's DS was seen two days ago: due at once.
    action = timing.next_action(plan, timing.RolloverState.start(plan), None, T0)
    assert action.due and action.due_at == T0
    assert [s.interval for s in plan.steps] == [0, 10800, 93600]
    assert plan.after == {"current": ["s1", "z1"], "standby": ["s2"], "retired": ["k1"]}


def test_emergency_with_standby_whose_ds_was_never_observed_waits(production: Policy) -> None:
    policy = Policy.from_dict({"standby_ksk": True})
    unseen = replace(STANDBY, ds_observed=None)
    plan = timing.plan("emergency_ksk", policy, {"current": [KSK, ZSK], "standby": [unseen]}, T0)
    state = timing.RolloverState.start(plan)
    action = timing.next_action(plan, state, None, T0)
    assert not action.due and action.due_at is None
    assert [g.id for g in action.observe] == ["step1.ds"]
    action = timing.next_action(plan, state, {"step1.ds": T0 + 60}, T0 + 120)
    assert action.due_at == T0 + 60 + 93600


# -- lab numbers: complete rollovers in about a minute ------------------------------

@pytest.mark.parametrize(("kind", "keys", "intervals"), [
    # Ipub 2+10+2; Iret 2+2+10+2; IretC 2+10+2
    ("zsk", {"current": [KSK, ZSK], "new": [ZSK2]}, [0, 14, 16, 14]),
    # IpubP 0+2+10+2; IretC 14; IretP 14
    ("ksk", {"current": [KSK, ZSK], "new": [KSK2]}, [0, 14, 14, 14]),
    # Isig 16; Ipub 14; IretP 14; IretC 14; Iret 16
    ("algorithm", {"current": [KSK, ZSK], "new": [KSK8, ZSK8]}, [0, 16, 14, 14, 14, 16]),
    # Ipub 14 (old TTL 10); IretP 14; IretC 2 + 5 + 2 (short TTL)
    ("emergency_ksk", {"current": [KSK, ZSK], "new": [KSK2]}, [0, 14, 14, 9]),
])
def test_lab_rollovers_take_seconds(lab: Policy, kind: str, keys: dict, intervals: list) -> None:
    plan = timing.plan(kind, lab, keys, T0)
    assert [s.interval for s in plan.steps] == intervals
    assert plan.duration == sum(intervals)


def test_registration_delay_counts_from_the_submission_not_from_the_observation() -> None:
    policy = Policy.from_dict({"registration_delay": "1d"})
    plan = timing.plan("ksk", policy, {"current": [KSK, ZSK], "new": [KSK2]}, T0)
    swap = plan.steps[1]
    # Dreg + DprpP + TTLds + Ipsafety = 86400 + 3600 + 86400 + 3600 after the DS was submitted ...
    assert swap.interval == 180000
    # ... and DprpP + TTLds + Ipsafety after the DS was seen on every parent server.
    assert swap.gates[0].wait == 93600
    state = timing.RolloverState.start(plan)
    state.record_performed(0, T0)
    assert timing.next_action(plan, state, {"step2.ds": T0 + 600}, T0 + 700).due_at == T0 + 180000
    assert timing.next_action(plan, state, {"step2.ds": T0 + 100000}, T0 + 700).due_at == T0 + 193600


def test_sha384_ds_is_expected_when_the_policy_says_so() -> None:
    policy = Policy.from_dict({"ds_digest": "sha384"})
    plan = timing.plan("ksk", policy, {"current": [KSK, ZSK], "new": [KSK2]}, T0)
    assert {e["digest_type"] for e in plan.steps[1].gates[0].expected["ds"]} == {4}


# -- next_action: what is due, and the words for what it waits for ------------------

@pytest.fixture
def zsk_plan(production: Policy) -> timing.Plan:
    return timing.plan("zsk", production, {"current": [KSK, ZSK], "new": [ZSK2]}, T0)


def test_first_step_is_due_at_the_start(zsk_plan: timing.Plan) -> None:
    state = timing.RolloverState.start(zsk_plan, change_id="CHG-1")
    early = timing.next_action(zsk_plan, state, None, T0 - 1)
    assert not early.due and early.due_at == T0
    assert "the rollover starts at 2023-11-14T22:13:20Z" in early.reason
    action = timing.next_action(zsk_plan, state, None, T0)
    assert action.due and action.index == 0 and action.observe == ()
    assert action.reason == "step 1/4 'publish' is due since 2023-11-14T22:13:20Z: publish DNSKEY 22222/13"


def test_waits_for_the_observation_then_its_wait(zsk_plan: timing.Plan) -> None:
    state = timing.RolloverState.start(zsk_plan)
    state.record_performed(0, T0 + 5)
    action = timing.next_action(zsk_plan, state, None, T0 + 10)
    assert not action.due and action.due_at is None and action.earliest == T0 + 5 + 10800
    assert [g.id for g in action.observe] == ["step2.dnskey"]
    assert ("DNSKEY RRset {11111/13, 22222/13, 40144/13} (TTL 3600, signed by 40144/13) on all authoritative "
            "servers: not seen yet") in action.waiting_for
    # Seen everywhere 100 s after the step: the wait runs from there.
    action = timing.next_action(zsk_plan, state, {"step2.dnskey": T0 + 100}, T0 + 200)
    assert action.due_at == T0 + 100 + 10800 and not action.due
    assert any("seen since 2023-11-14T22:15:00Z; Dprp + TTLkey + Ipsafety (3600 + 3600 + 3600 = 10800 s) "
               "elapse at 2023-11-15T01:15:00Z" in w for w in action.waiting_for)
    assert timing.next_action(zsk_plan, state, {"step2.dnskey": T0 + 100}, T0 + 10900).due


def test_earliest_time_wins_when_the_observation_is_immediate(production: Policy) -> None:
    plan = timing.plan("zsk", production, {"current": [KSK, ZSK], "new": [ZSK2]}, T0)
    state = timing.RolloverState.start(plan)
    state.record_performed(0, T0)
    state.record_performed(1, T0 + 10800)
    # Iret from the step (93900, with Dsgn) beats the wait from the observation (10800 + 60 + 93600).
    action = timing.next_action(plan, state, {"step3.rrsig": T0 + 10800 + 60}, T0 + 10800 + 61)
    assert action.due_at == T0 + 10800 + 93900
    assert action.waiting_for[0] == ("earliest time 2023-11-16T03:18:20Z (Iret = Dsgn + Dprp + TTLsig + "
                                     "Irsafety = 300 + 3600 + 86400 + 3600 = 93900 s, after step 2 performed "
                                     "at 2023-11-15T01:13:20Z)")


def test_partial_observation_is_reported_in_the_observers_words(zsk_plan: timing.Plan) -> None:
    state = timing.RolloverState.start(zsk_plan)
    state.record_performed(0, T0)
    seen = {"first_seen": {"ns1.example (192.0.2.1)": T0 + 3.5}, "satisfied_since": None,
            "text": "DNSKEY RRset [11111, 22222, 40144] seen on 1 of 2 authoritative servers; waiting for "
                    "ns2.example (192.0.2.2)"}
    action = timing.next_action(zsk_plan, state, {"step2.dnskey": seen}, T0 + 10)
    assert action.due_at is None
    assert action.waiting_for[-1].endswith("seen on 1 of 2 authoritative servers; waiting for ns2.example "
                                           "(192.0.2.2)")
    del seen["text"]
    action = timing.next_action(zsk_plan, state, {"step2.dnskey": seen}, T0 + 10)
    assert action.waiting_for[-1].endswith("seen on 1 server(s) since 2023-11-14T22:13:24Z, not yet on all")


def test_an_observation_older_than_the_step_does_not_count(zsk_plan: timing.Plan) -> None:
    state = timing.RolloverState.start(zsk_plan)
    state.record_performed(0, T0 + 50)
    action = timing.next_action(zsk_plan, state, {"step2.dnskey": T0}, T0 + 20000)
    assert not action.due and action.due_at is None and action.observe
    assert "is older than step 1" in action.gates[0].text


def test_observation_times_round_up_and_now_rounds_down(zsk_plan: timing.Plan) -> None:
    state = timing.RolloverState.start(zsk_plan)
    state.record_performed(0, T0)
    state.record_observation("step2.dnskey", {"satisfied_since": T0 + 99.2})
    assert state.observations["step2.dnskey"].satisfied_since == T0 + 100
    assert not timing.next_action(zsk_plan, state, None, T0 + 10900 - 0.5).due
    assert timing.next_action(zsk_plan, state, None, T0 + 10900.0).due


def test_a_whole_rollover_through_json(zsk_plan: timing.Plan) -> None:
    plan_json = zsk_plan.to_json()
    state = timing.RolloverState.start(zsk_plan, change_id="CHG-7")
    now = T0
    for index in range(len(zsk_plan.steps)):
        plan = timing.Plan.from_json(plan_json)
        state = timing.RolloverState.from_dict(json.loads(json.dumps(state.to_dict())))
        action = timing.next_action(plan, state, None, now)
        for gate in action.observe:
            state.record_observation(gate.id, {"satisfied_since": now + 30})
        action = timing.next_action(plan, state, None, now)
        now = max(now, action.due_at)
        assert timing.next_action(plan, state, None, now).due
        assert json.loads(json.dumps(action.to_dict()))["step_name"] == plan.steps[index].name
        state.record_performed(index, now)
    done = timing.next_action(timing.Plan.from_json(plan_json), state, None, now + 1)
    assert done.complete and not done.due
    assert done.reason == f"rollover zsk-pre-publish complete since {timing.format_time(now)}"
    # Each observation comes 30 s after its step. Ipub: the observation wins (30 + 10800); Iret: the
    # earliest time wins (Dsgn 300 > 30: 93900); IretC: the observation wins again (30 + 10800).
    assert now == T0 + 30 + 10800 + 93900 + 30 + 10800
    assert state.change_id == "CHG-7"


def test_state_refuses_inconsistent_records(zsk_plan: timing.Plan) -> None:
    state = timing.RolloverState.start(zsk_plan)
    with pytest.raises(timing.PlanError, match="the next step is 1"):
        state.record_performed(1, T0)
    state.record_performed(0, T0)
    with pytest.raises(timing.PlanError, match="the clock went backwards"):
        state.record_performed(1, T0 - 1)
    other = timing.RolloverState(method=timing.KSK_DOUBLE_DS)
    with pytest.raises(timing.PlanError, match="state file and the plan disagree"):
        timing.next_action(zsk_plan, other, None, T0)
    broken = timing.RolloverState(method=zsk_plan.method, step=2, performed={0: T0})
    with pytest.raises(timing.PlanError, match="has no time for step 2"):
        timing.next_action(zsk_plan, broken, None, T0)


def test_plan_round_trips_through_json(production: Policy) -> None:
    keys = {"current": [KSK, ZSK], "new": [KSK8, ZSK8]}
    plan = timing.plan("algorithm", production, keys, datetime.fromtimestamp(T0, tz=UTC))
    assert plan.started_at == T0
    again = timing.Plan.from_json(plan.to_json())
    assert again == plan
    data = json.loads(plan.to_json())
    assert data["steps"][2]["earliest_at"] == "2023-11-16T03:18:20Z"
    with pytest.raises(timing.PlanError, match="schema"):
        timing.Plan.from_dict(dict(data, schema=99))


def test_changes_in_words(production: Policy) -> None:
    plan = timing.plan("algorithm", production, {"current": [KSK, ZSK], "new": [KSK8, ZSK8]}, T0)
    assert [plan.describe_changes(s) for s in plan.steps] == [
        "sign the DNSKEY RRset with 44444/8; sign the zone with 55555/8",
        "publish DNSKEY 44444/8, 55555/8",
        "add DS 44444/8 at the parent; remove DS 40144/13 from the parent",
        "stop signing the DNSKEY RRset with 40144/13; remove DNSKEY 40144/13, 11111/13",
        "stop signing the zone with 11111/13",
        "no change",
    ]


# -- refusals ----------------------------------------------------------------------

@pytest.mark.parametrize(("kind", "keys", "message"), [
    ("zsk", {"current": [KSK, ZSK]}, "needs exactly one ZSK in keys.new"),
    ("ksk", {"current": [KSK, ZSK], "new": [KSK8]}, "is an algorithm rollover"),
    ("zsk", {"current": [KSK, ZSK], "new": [timing.Key("x", 40144, 13, "zsk")]},
     "same key tag and algorithm"),
    ("algorithm", {"current": [KSK, ZSK], "new": [KSK2, ZSK2]}, "same algorithm 13"),
    ("algorithm", {"current": [KSK, ZSK], "new": [ZSK8]}, "must hold a KSK and a ZSK, or a CSK"),
    ("emergency-ksk-standby", {"current": [KSK, ZSK]}, "no standby KSK whose DS is at the parent"),
    ("emergency-ksk-double-ksk", {"current": [CSK], "new": [CSK2]}, "roll it with kind 'csk'"),
    ("zsk", {"current": [], "new": [ZSK2]}, "no current keys"),
    ("sideways", {"current": [KSK, ZSK]}, "unknown rollover method 'sideways'"),
    ("zsk", {"current": [KSK, ZSK], "new": [ZSK]}, "is in both keys.current and keys.new"),
    ("zsk", {"current": [KSK, ZSK], "next": [ZSK2]}, "unknown entries"),
])
def test_plans_that_cannot_be_made_are_refused(production: Policy, kind: str, keys: dict,
                                               message: str) -> None:
    with pytest.raises(timing.PlanError, match=message):
        timing.plan(kind, production, keys, T0)


@pytest.mark.parametrize(("value", "message"), [
    ({"id": "a", "tag": 1, "algorithm": 13, "role": "sep"}, "role 'sep'"),
    ({"id": "a", "tag": 70000, "algorithm": 13, "role": "ksk"}, "not 0..65535"),
    ({"id": "a", "algorithm": 13, "role": "ksk"}, "lacks 'tag'"),
    ({"id": "", "tag": 1, "algorithm": 13, "role": "ksk"}, "non-empty string"),
])
def test_bad_keys_are_refused(value: dict, message: str) -> None:
    with pytest.raises(timing.PlanError, match=message):
        timing.Key.from_value(value)


def test_times_must_be_aware() -> None:
    with pytest.raises(timing.PlanError, match="no time zone"):
        timing.to_epoch(datetime(2025, 1, 1))
    assert timing.to_epoch(datetime(2025, 1, 1, tzinfo=UTC) + timedelta(seconds=1)) == 1735689601


# -- scheduled rollovers -------------------------------------------------------------

def test_zsk_rollover_is_due_ipub_before_the_lifetime_ends(production: Policy) -> None:
    # Tpub(N+1) = Tact(N) + Lzsk - Ipub = activated + 90 d - 10800 s
    at = ZSK.activated + 90 * 86400 - 10800
    before = timing.rollover_due(production, ZSK, at - 1)
    assert not before.due and before.at == at and before.method == timing.ZSK_PRE_PUBLISH
    due = timing.rollover_due(production, ZSK, at)
    assert due.due and due.reason.startswith("due: ZSK 11111/13 active since 2023-08-26T22:13:20Z, "
                                             "zsk_lifetime 90d: successor takes over at")


def test_ksk_rollover_is_due_the_ds_lead_before_the_lifetime_ends(production: Policy) -> None:
    # Double-DS: the new KSK takes over Dreg + IpubP = 93600 s after the rollover starts.
    assert timing.rollover_due(production, KSK, T0).at == KSK.activated + 365 * 86400 - 93600
    policy = Policy.from_dict({"rollover": {"ksk": "double-ksk"}})
    assert timing.rollover_due(policy, KSK, T0).at == KSK.activated + 365 * 86400 - 10800


def test_no_scheduled_rollover_without_lifetime_or_activation(production: Policy) -> None:
    policy = Policy.from_dict({"ksk_lifetime": 0})
    assert "no scheduled rollover" in timing.rollover_due(policy, KSK, T0).reason
    result = timing.rollover_due(production, replace(ZSK, activated=None), T0)
    assert not result.due and "no activation time" in result.reason


def test_rollover_duration_names_its_intervals(production: Policy, lab: Policy) -> None:
    summary = timing.rollover_duration(production, "zsk")
    assert (summary.total, summary.lead, summary.formula) == (115500, 10800, "Ipub + Iret + IretC")
    assert timing.rollover_duration(lab, "algorithm").total == 74


# -- the simulated resolver on fixed examples -----------------------------------------

def _zero_margin_lab() -> Policy:
    return Policy.from_dict({"profile": "lab", "publish_safety": 0, "retire_safety": 0, "signing_delay": 0,
                             "registration_delay": 0, "propagation_delay": 3, "parent_propagation_delay": 3})


EXAMPLES = {
    timing.ZSK_PRE_PUBLISH: {"current": [KSK, ZSK], "new": [ZSK2]},
    timing.KSK_DOUBLE_DS: {"current": [KSK, ZSK], "new": [KSK2]},
    timing.KSK_DOUBLE_KSK: {"current": [KSK, ZSK], "new": [KSK2]},
    timing.CSK_DOUBLE_KSK: {"current": [CSK], "new": [CSK2]},
    timing.ALGORITHM_CONSERVATIVE: {"current": [KSK, ZSK], "new": [KSK8, ZSK8]},
    timing.EMERGENCY_STANDBY: {"current": [KSK, ZSK], "standby": [STANDBY], "new_standby": [STANDBY2]},
    timing.EMERGENCY_DOUBLE_KSK: {"current": [KSK, ZSK], "new": [KSK2]},
}


@pytest.mark.parametrize("method", list(EXAMPLES))
def test_every_wait_is_exact_to_the_second(method: str) -> None:
    """With zero margins, each real step's wait is exactly long enough: one
    second less and a resolver holds RRsets that do not validate together."""
    plan = timing.plan(method, _zero_margin_lab(), EXAMPLES[method], T0)
    chain_sim.check(chain_sim.execute(plan))
    for index in range(1, len(plan.steps) - 1):
        with pytest.raises(chain_sim.ChainBroken, match="RFC"):
            chain_sim.check(chain_sim.execute(chain_sim.shorten(plan, index, 1)))


@pytest.mark.parametrize("method", list(EXAMPLES))
def test_the_propagation_delay_in_every_wait_is_needed(method: str) -> None:
    """Observations see server addresses, not the anycast instances behind
    them, which may lag by up to the propagation delay: without it in the wait
    after the observation, a lagging instance breaks the chain."""
    policy = _zero_margin_lab()
    plan = timing.plan(method, policy, EXAMPLES[method], T0)
    late_observer = chain_sim.Delays(observe=lambda step, rrset: 100)
    chain_sim.check(chain_sim.execute(plan, late_observer))
    for index in range(1, len(plan.steps) - 1):
        delay = max(policy.propagation_delay, policy.parent_propagation_delay)
        with pytest.raises(chain_sim.ChainBroken):
            chain_sim.check(chain_sim.execute(chain_sim.shorten(plan, index, delay), late_observer))


def test_timers_alone_break_when_propagation_is_slow() -> None:
    """Why gates are observations: a secondary 100 s late (Dprp says 3 s)."""
    plan = timing.plan("zsk", _zero_margin_lab(), EXAMPLES[timing.ZSK_PRE_PUBLISH], T0)
    slow = chain_sim.Delays(observe=lambda step, rrset: 100)
    chain_sim.check(chain_sim.execute(plan, slow))
    with pytest.raises(chain_sim.ChainBroken, match=r"RFC 4035 section 5\.3"):
        chain_sim.check(chain_sim.execute(plan, slow, trust_observations=False))


def test_the_resolver_model_enforces_the_algorithm_signing_rule() -> None:
    """Publishing the new algorithm's DNSKEYs together with its first signatures
    (the liberal order) passes RFC 4035 section 5 but not the rule that every
    algorithm in the DNSKEY RRset signs the zone, which RFC 6781 section 4.1.4's
    conservative order keeps in every cache."""
    policy = _zero_margin_lab()
    plan = timing.plan("algorithm", policy, EXAMPLES[timing.ALGORITHM_CONSERVATIVE], T0)
    sign_and_publish, ds_swap, unpublish, unsign = (plan.steps[i].target for i in (1, 2, 3, 4))
    # The same targets minus the "new RRSIGs first" step, timed by the planner's own rules.
    spec = timing._MethodSpec(steps=[timing._StepSpec(f"s{n}", "", "", target) for n, target in
                                     enumerate((sign_and_publish, ds_swap, unpublish, unsign))],
                              after=plan.after, takeover=0)
    steps = timing._timed_steps(policy, plan.keys, plan.initial, spec, T0)[0]
    liberal = replace(plan, steps=tuple(steps))
    with pytest.raises(chain_sim.ChainBroken,
                       match=r"RFC 4035 section 2\.2: algorithm 8 is in the DNSKEY RRset but the zone "
                             r"data has no RRSIG of it"):
        chain_sim.check(chain_sim.execute(liberal))


def test_the_resolver_model_refuses_a_ds_algorithm_without_signatures() -> None:
    keys = {k.id: k for k in (KSK, ZSK, KSK8, ZSK8)}
    dnskey = (frozenset({"k1", "z1"}), frozenset({"k1"}))
    found = chain_sim.problems(keys, (frozenset({"k1", "k8"}),), dnskey, (frozenset({"z1"}),))
    assert found == ["RFC 6840 section 5.11: algorithm 8 is in the DS RRset but no DS of it matches a DNSKEY "
                     "signing the DNSKEY RRset",
                     "RFC 6840 section 5.11: algorithm 8 is in the DS RRset but the zone data has no RRSIG "
                     "of it"]
    assert chain_sim.problems(keys, (frozenset({"k1"}),), dnskey, (frozenset({"z1"}),)) == []
