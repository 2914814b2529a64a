# Copyright: rsp.dnssec contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt)
"""The executor with in-memory stand-ins for the engine, HSM, servers and parent
(``executor_fakes``): every method runs to completion with the engine and the
parent matching each step's key set; runs killed at every crash point converge;
disagreements stop; check mode changes nothing."""

from __future__ import annotations

import json
import os

import pytest

from ansible_collections.rsp.dnssec.plugins.module_utils.dnssec import timing
from ansible_collections.rsp.dnssec.plugins.module_utils.dnssec.journal import StateDisagreement, ZoneJournal
from ansible_collections.rsp.dnssec.plugins.module_utils.dnssec.lifecycle.executor import (
    CRASH_POINTS,
    ExecutorError,
    Lifecycle,
    Settings,
)
from ansible_collections.rsp.dnssec.plugins.module_utils.dnssec.policy import Policy
from ansible_collections.rsp.dnssec.tests.unit.plugins.module_utils.dnssec.executor_fakes import (
    Clock,
    FakeEngine,
    FakeHSM,
    FakeObserver,
    FakeParent,
    SimulatedCrash,
    crash_at,
    no_crash,
)

LAB = {"profile": "lab", "dnskey_ttl": 2, "ds_ttl": 2, "max_zone_ttl": 2,
       "soa": {"ttl": 2, "refresh": 30, "retry": 10, "expire": 3600, "minimum": 2},
       "propagation_delay": 1, "parent_propagation_delay": 1, "signing_delay": 1, "publish_safety": 1,
       "retire_safety": 1, "emergency": {"dnskey_ttl": 2}}
ZONE = "example."


class World:
    """One signer's world: engine, HSM, servers, parent and state directory, surviving 'crashes'."""

    def __init__(self, tmp_path, zones=(ZONE,), policy: dict | None = None) -> None:
        self.clock = Clock()
        self.hsm = FakeHSM()
        self.engine = FakeEngine(self.hsm, zones, self.clock)
        self.observer = FakeObserver(self.engine, self.clock)
        self.parent = FakeParent(self.clock)
        self.state_dir = str(tmp_path / "state")
        self.policy = Policy.from_dict(policy or LAB)

    def lifecycle(self, *, check_mode: bool = False, crash=no_crash, policy: Policy | None = None,
                  retention: int = 3600, change_id: str = "CHG-1") -> Lifecycle:
        self.engine.check_mode = check_mode
        self.parent.check_mode = check_mode
        settings = Settings(state_dir=self.state_dir, policy=policy or self.policy, change_id=change_id,
                            check_mode=check_mode, retention=retention, lock_timeout=1)
        return Lifecycle(settings, self.engine, observer=self.observer, parent=self.parent, hsm=self.hsm,
                         clock=self.clock, crash=crash)

    def bring_up(self, zone: str = ZONE, **kwargs) -> dict:
        result = self.lifecycle(**kwargs).zone_keys(zone)
        self.parent.ds[zone] = {(d["key_tag"], d["algorithm"], d["digest_type"], d["digest"])
                                for d in result["ds_records"]}
        return result

    def state(self, zone: str = ZONE) -> dict:
        return ZoneJournal(os.path.join(self.state_dir, "zones"), zone).load()

    def journal(self, zone: str = ZONE) -> list[dict]:
        return ZoneJournal(os.path.join(self.state_dir, "zones"), zone).records()

    def snapshot(self, zone: str = ZONE) -> str:
        files = sorted(os.listdir(os.path.join(self.state_dir, "zones"))) \
            if os.path.isdir(os.path.join(self.state_dir, "zones")) else []
        contents = {}
        for name in files:
            if not name.endswith(".lock"):
                with open(os.path.join(self.state_dir, "zones", name), "rb") as handle:
                    contents[name] = handle.read().decode()
        return json.dumps({"files": contents, "engine": {k: v.to_dict() for k, v in self.engine.zones[zone].items()},
                           "archive": sorted(self.engine.archive[zone]), "hsm": sorted(self.hsm.keys),
                           "ds": sorted(map(list, self.parent.ds.get(zone, set()))), "applied": self.engine.applied},
                          sort_keys=True)

    def assert_matches_plan(self, zone: str = ZONE) -> None:
        """The engine's keys and the parent's DS are exactly the last performed step's key set."""
        rollover = self.state(zone).get("rollover")
        if not rollover or rollover.get("status") != "running" or rollover.get("performing"):
            return
        plan = timing.Plan.from_dict(rollover["plan"])
        progress = timing.RolloverState.from_dict(rollover["progress"])
        target = plan.initial if progress.step == 0 else plan.steps[progress.step - 1].target
        functions = self.engine.functions(zone)
        for key_id, key in plan.keys.items():
            expected = (key_id in target.dnskey, key_id in target.dnskey_signers and key.role != "zsk",
                        key_id in target.zone_signers and key.role != "ksk")
            got = functions.get(key_id, (False, False, False))
            assert got == expected, f"key {key.label} ({key.role}) does {got}, step {progress.step} wants {expected}"
        served = {d[0] for d in self.parent.ds.get(zone, set())}
        assert served == {plan.keys[i].tag for i in target.ds}

    def drive(self, zones=(ZONE,), rounds: int = 200, **kwargs) -> dict:
        """Advance every zone once a (fake) second until no rollover runs."""
        results = {}
        for _round in range(rounds):
            for zone in zones:
                results[zone] = self.lifecycle(**kwargs).rollover(zone, "advance")
                self.assert_matches_plan(zone)
            if all(r.get("method") is None or r.get("complete") for r in results.values()):
                return results
            self.clock.advance(1)
        raise AssertionError(f"rollover did not complete: {results}")


@pytest.fixture
def world(tmp_path) -> World:
    return World(tmp_path)


def roles(world: World, zone: str = ZONE, use: str = "current") -> dict:
    return {e["role"]: e for e in world.state(zone)["keys"].values() if e.get("use") == use
            and e["status"] == "active"}


# -- zone_keys --------------------------------------------------------------------------------


def test_zone_keys_new_zone_check_then_real_then_unchanged(world):
    dry = world.lifecycle(check_mode=True).zone_keys(ZONE)
    assert dry["changed"] and {k["role"] for k in dry["would_create"]} == {"ksk", "zsk"}
    assert world.hsm.generated == 0 and not world.engine.zones[ZONE] and not os.path.exists(world.state_dir)

    result = world.bring_up()
    assert result["changed"] and world.hsm.generated == 2
    current = roles(world)
    assert set(current) == {"ksk", "zsk"}
    functions = world.engine.functions(ZONE)
    assert functions[current["ksk"]["hsm_id"]] == (True, True, False)
    assert functions[current["zsk"]["hsm_id"]] == (True, False, True)
    assert [r.split()[3:6] for r in result["ds"]] == [["DS", str(current["ksk"]["tag"]), "13"]]
    assert [r["step"] for r in world.journal()] == ["keys-decided", "keys-imported"]

    before = world.snapshot()
    for check_mode in (True, False):
        again = world.lifecycle(check_mode=check_mode).zone_keys(ZONE)
        assert not again["changed"], again
    assert world.snapshot() == before
    assert world.hsm.generated == 2 and world.engine.applied == 1


def test_zone_keys_csk_scheme_with_standby(tmp_path):
    world = World(tmp_path, policy={**LAB, "key_scheme": "csk", "standby_ksk": True})
    world.bring_up()
    current, standby = roles(world), roles(world, use="standby")
    assert set(current) == {"csk"} and set(standby) == {"ksk"}
    functions = world.engine.functions(ZONE)
    assert functions[current["csk"]["hsm_id"]] == (True, True, True)
    assert functions[standby["ksk"]["hsm_id"]] == (False, False, False)  # DS at the parent, not published
    assert len(world.parent.ds[ZONE]) == 2


def test_zone_keys_leaves_a_running_rollover_alone(world):
    world.bring_up()
    world.lifecycle().rollover(ZONE, "start", "zsk")
    before = world.snapshot()
    result = world.lifecycle(policy=Policy.from_dict({**LAB, "algorithm": 8})).zone_keys(ZONE)
    assert not result["changed"] and "rollover is in progress" in result["notes"][0]
    assert world.snapshot() == before


def test_zone_keys_reports_an_algorithm_change_without_doing_it(world):
    world.bring_up()
    result = world.lifecycle(policy=Policy.from_dict({**LAB, "algorithm": 8})).zone_keys(ZONE)
    assert not result["changed"]
    assert any("rollover method algorithm" in note for note in result["notes"])


def test_wrong_pin_changes_nothing(world):
    world.hsm.pin_ok = False
    results, failed = world.lifecycle().run([ZONE], world.lifecycle().zone_keys)
    assert failed == [ZONE] and "PIN was rejected" in results[ZONE]["msg"]
    assert not world.engine.zones[ZONE]
    assert not any(e.get("status") for e in world.state()["keys"].values())


def test_unknown_zone_and_stopped_engine(world):
    lifecycle = world.lifecycle()
    results, failed = lifecycle.run(["nowhere.", ZONE], lifecycle.zone_keys)
    assert failed == ["nowhere."] and "not configured" in results["nowhere."]["msg"]
    assert results[ZONE]["changed"]  # the other zone still ran
    world.engine.running = False
    results, failed = lifecycle.run([ZONE], lambda z: lifecycle.rollover(z, "advance"))
    assert failed == [ZONE] and "not running" in results[ZONE]["msg"]


# -- rollovers ---------------------------------------------------------------------------------


METHODS = [
    ("zsk", {}, timing.ZSK_PRE_PUBLISH),
    ("ksk", {}, timing.KSK_DOUBLE_DS),
    ("ksk", {"rollover": {"ksk": "double-ksk"}}, timing.KSK_DOUBLE_KSK),
    ("csk", {"key_scheme": "csk"}, timing.CSK_DOUBLE_KSK),
    ("algorithm", {"algorithm": 8}, timing.ALGORITHM_CONSERVATIVE),
    ("algorithm", {"algorithm": 8, "key_scheme": "csk"}, timing.ALGORITHM_CONSERVATIVE),
    ("emergency_ksk", {"standby_ksk": True}, timing.EMERGENCY_STANDBY),
    ("emergency_ksk", {}, timing.EMERGENCY_DOUBLE_KSK),
]


@pytest.mark.parametrize(("kind", "overrides", "method"), METHODS, ids=[m[2] + str(i) for i, m in enumerate(METHODS)])
def test_every_method_runs_to_completion(tmp_path, kind, overrides, method):
    start_policy = {**LAB, **{k: v for k, v in overrides.items() if k != "algorithm"}}
    world = World(tmp_path, policy=start_policy)
    world.bring_up()
    before = {e["hsm_id"] for e in world.state()["keys"].values()}
    policy = Policy.from_dict({**start_policy, **overrides})
    started = world.lifecycle(policy=policy).rollover(ZONE, "start", kind)
    assert started["method"] == method and started["changed"]
    assert started["performed"] or method == timing.EMERGENCY_STANDBY
    world.assert_matches_plan()
    assert world.drive()[ZONE]["complete"]
    final = world.lifecycle().rollover(ZONE, "advance")
    assert final["method"] is None and f"last: {method}" in final["reason"] and not final["changed"]
    state = world.state()
    assert state["rollover"] is None and state["history"][-1]["method"] == method
    entries = state["keys"]
    retired = [e for e in entries.values() if e.get("use") == "retired"]
    assert retired and all(e["status"] == "archived" for e in retired)
    assert {e["hsm_id"] for e in retired} <= before
    assert set(entries) <= set(world.hsm.keys)  # no key ever deleted from the HSM by a rollover
    assert all(e["hsm_id"] in world.engine.archive[ZONE] for e in retired)
    current = [e for e in entries.values() if e.get("use") == "current"]
    expected_alg = overrides.get("algorithm", 13)
    assert {e["algorithm"] for e in current} == {expected_alg}
    assert not {e["hsm_id"] for e in current} & {e["hsm_id"] for e in retired}
    functions = world.engine.functions(ZONE)
    for entry in current:
        role = entry["role"]
        assert functions[entry["hsm_id"]] == (True, role != "zsk", role != "ksk")
    served = {d[0] for d in world.parent.ds[ZONE]}
    sep = {e["tag"] for e in entries.values() if e.get("use") in ("current", "standby") and e["role"] != "zsk"
           and e["status"] == "active"}
    assert served == sep
    steps = [r["step"] for r in world.journal()]
    assert steps.count("rollover-start") == 1 and [s for s in steps if s.startswith("step")][-1].endswith("complete")
    assert all(r["change_id"] == "CHG-1" for r in world.journal())
    # Nothing due any more: a second run changes nothing, in check mode or not.
    before = world.snapshot()
    for check_mode in (True, False):
        assert not world.lifecycle(check_mode=check_mode).rollover(ZONE, "advance")["changed"]
    assert json.loads(world.snapshot())["engine"] == json.loads(before)["engine"]


def test_algorithm_there_and_back_on_one_zone(world):
    """13 -> 8 -> 13: the second rollover starts from the state the first one left
    (archived algorithm-13 keys, algorithm-8 keys current)."""
    world.bring_up()
    for algorithm in (8, 13):
        policy = Policy.from_dict({**LAB, "algorithm": algorithm})
        assert world.lifecycle(policy=policy).rollover(ZONE, "start", "algorithm")["method"] == \
            timing.ALGORITHM_CONSERVATIVE
        assert world.drive()[ZONE]["complete"]
        current = [e for e in world.state()["keys"].values() if e.get("use") == "current"]
        assert {e["algorithm"] for e in current} == {algorithm} and len(current) == 2
    entries = world.state()["keys"].values()
    assert sorted(e["algorithm"] for e in entries if e["status"] == "archived") == [8, 8, 13, 13]
    assert len(world.state()["history"]) == 2 and len(world.hsm.keys) == 6
    assert {d[1] for d in world.parent.ds[ZONE]} == {13}


def test_algorithm_rollover_plan_for_an_engine_without_ksk_presigning(world):
    world.bring_up()
    result = world.lifecycle(policy=Policy.from_dict({**LAB, "algorithm": 8})).rollover(ZONE, "start", "algorithm")
    plan = timing.Plan.from_dict(world.state()["rollover"]["plan"])
    first = plan.steps[0].target
    assert first.dnskey_signers == plan.initial.dnskey_signers  # Knot: a KSK signs only while published
    assert len(first.zone_signers) == 2
    assert result["step_name"] == "publish-new"


def test_start_is_idempotent_and_check_mode_generates_nothing(world):
    world.bring_up()
    before = world.snapshot()
    dry = world.lifecycle(check_mode=True).rollover(ZONE, "start", "ksk")
    assert dry["changed"] and dry["method"] == timing.KSK_DOUBLE_DS and len(dry["steps"]) == 4
    assert "placeholder" in dry["actions"][0]
    assert world.snapshot() == before and world.hsm.generated == 2
    first = world.lifecycle().rollover(ZONE, "start", "ksk")
    assert first["changed"] and world.hsm.generated == 3 and world.parent.updates == 1
    snapshot = world.snapshot()
    for check_mode in (True, False):
        again = world.lifecycle(check_mode=check_mode).rollover(ZONE, "start", "ksk")
        assert not again["changed"] and "already running" in again["notes"][0]
        assert again["blocking"] and again["due"] is False
    assert json.loads(world.snapshot())["engine"] == json.loads(snapshot)["engine"]
    with pytest.raises(ExecutorError, match="a ksk-double-ds rollover is running"):
        world.lifecycle().rollover(ZONE, "start", "zsk")


def test_status_reports_the_blocking_gate_in_words(world):
    world.bring_up()
    old_ds = set(world.parent.ds[ZONE])
    world.parent.lagging["192.0.2.54#53"] = old_ds  # one parent server does not publish the new DS
    world.lifecycle().rollover(ZONE, "start", "ksk")
    world.clock.advance(30)
    before = world.snapshot()
    status = world.lifecycle().rollover(ZONE, "status")
    assert world.snapshot() == before
    assert not status["changed"] and status["step"] == 2 and status["step_name"] == "swap-ksk"
    assert "DS RRset {" in status["blocking"] and "on all parent servers" in status["blocking"]
    assert "seen on 1 of 2 parent servers; waiting for 192.0.2.54#53" in status["blocking"]
    assert status["due_at"] is None and status["next_earliest"].endswith("Z")
    del world.parent.lagging["192.0.2.54#53"]
    assert world.drive()[ZONE]["complete"]


def test_emergency_without_standby_and_a_shorter_ttl_is_refused_before_any_change(world):
    world.bring_up()
    before = world.snapshot()
    policy = Policy.from_dict({**LAB, "dnskey_ttl": 2, "emergency": {"dnskey_ttl": 1}})
    with pytest.raises(ExecutorError, match=r"takes the DNSKEY TTL from its configuration"):
        world.lifecycle(policy=policy).rollover(ZONE, "start", "emergency_ksk", standby=False)
    assert world.snapshot() == before and world.hsm.generated == 2


def test_parent_unreachable_changes_nothing(world):
    world.bring_up()
    world.lifecycle().rollover(ZONE, "start", "ksk")
    world.parent.reachable = False
    # step 2 does not need the parent to change, step 3 does: run until it would.
    for _attempt in range(30):
        world.clock.advance(1)
        lifecycle = world.lifecycle()
        results, failed = lifecycle.run([ZONE], lambda z, lc=lifecycle: lc.rollover(z, "advance"))
        if failed:
            break
    assert failed == [ZONE] and "does not answer" in results[ZONE]["msg"]
    assert "nothing was changed" in results[ZONE]["msg"]
    state = world.state()
    assert "performing" not in state["rollover"]
    world.parent.reachable = True
    assert world.drive()[ZONE]["complete"]


def test_manual_parent_reports_the_ds_to_submit(world):
    world.bring_up()
    world.parent.name = "manual"
    world.parent.publish = False  # the submission waits for a human (IANA)
    world.lifecycle().rollover(ZONE, "start", "ksk")
    world.clock.advance(5)
    result = world.lifecycle().rollover(ZONE, "advance")
    assert result["step_name"] == "swap-ksk" and len(result["ds_to_submit"]) == 2
    assert all(" IN DS " in line for line in result["ds_to_submit"])
    assert "seen on 0 of 2 parent servers" in result["blocking"]
    world.parent.ds[ZONE] = world.parent.submitted[ZONE]  # published by the parent at last
    world.parent.publish = True  # and from now on at once
    assert world.drive()[ZONE]["complete"]


def test_scheduled_zsk_rollover_starts_by_itself(tmp_path):
    world = World(tmp_path, policy={**LAB, "zsk_lifetime": 60})
    world.bring_up()
    first = world.lifecycle().rollover(ZONE, "advance")
    assert first["method"] is None and first["scheduled_rollovers"][0]["kind"] == "zsk"
    world.clock.advance(60)
    started = world.lifecycle().rollover(ZONE, "advance")
    assert started["method"] == timing.ZSK_PRE_PUBLISH and started["scheduled"]["due"]
    assert world.state()["rollover"]["scheduled"] is True


# -- the state and the engine disagreeing -------------------------------------------------------


def test_a_timer_changed_by_hand_stops_the_zone(world):
    world.bring_up()
    zsk = roles(world)["zsk"]["hsm_id"]
    world.engine.zones[ZONE][zsk] = world.engine.zones[ZONE][zsk].__class__(
        **{**world.engine.zones[ZONE][zsk].__dict__,
           "timers": world.engine.zones[ZONE][zsk].timers.replace({"retire": int(world.clock()) + 60})})
    before = world.snapshot()
    with pytest.raises(StateDisagreement) as error:
        world.lifecycle().rollover(ZONE, "start", "zsk")
    assert f"id {zsk}" in str(error.value) and "changed by hand" in str(error.value)
    assert "never guesses" in str(error.value)
    assert world.snapshot() == before


def test_a_key_added_by_hand_stops_the_zone(world):
    world.bring_up()
    world.hsm.keys["ff" * 16] = {"tag": 4242, "algorithm": 13, "role": "zsk"}
    from ansible_collections.rsp.dnssec.plugins.module_utils.dnssec.engine.base import KeyTimers
    world.engine.import_key(ZONE, "ff" * 16, 13, "zsk", 256, KeyTimers(publish=1))
    with pytest.raises(StateDisagreement, match="does not know"):
        world.lifecycle().zone_keys(ZONE)


# -- crash safety ------------------------------------------------------------------------------


def _scenario(world: World, point: str):
    """Run until ``point`` is reached in a flow that passes it; return the flow to re-run."""
    if point in ("key-generated", "key-imported") and world.engine.zones[ZONE] == {}:
        return lambda lc: lc.zone_keys(ZONE)
    if point == "hsm-destroyed":
        return lambda lc: lc.purge(ZONE)
    return lambda lc: lc.rollover(ZONE, "advance")


@pytest.mark.parametrize("point", CRASH_POINTS)
def test_killed_at_every_point_converges(world, point):
    if point in ("key-generated", "key-imported"):
        flow = _scenario(world, point)
        with pytest.raises(SimulatedCrash):
            flow(world.lifecycle(crash=crash_at(point)))
        assert world.state()["keys"], "the keys were decided before the crash"
        world.bring_up()
        assert world.hsm.generated == 2 and len(world.engine.zones[ZONE]) == 2
        assert all(e["status"] == "active" for e in world.state()["keys"].values())
        return
    world.bring_up()
    world.lifecycle().rollover(ZONE, "start", "ksk")  # Double-DS: parent and engine steps, archive at the end
    crashed = False
    for _attempt in range(200):
        hook = crash_at(point)
        try:
            if point == "hsm-destroyed":
                world.lifecycle().rollover(ZONE, "advance")
                world.lifecycle(crash=hook, retention=0).purge(ZONE)
            else:
                world.lifecycle(crash=hook).rollover(ZONE, "advance")
        except SimulatedCrash:
            crashed = True
            break
        world.clock.advance(1)
    assert crashed, f"the flow never reached {point}"
    keys_before = set(world.hsm.keys)
    if point != "hsm-destroyed":
        assert world.state()["rollover"].get("performing") or point == "key-archived"
    # The next run finishes what was begun, and the rollover completes; the chain held throughout.
    if point == "hsm-destroyed":
        result = world.lifecycle(retention=0).purge(ZONE)
        assert result["destroyed"]
        assert all(e["status"] != "archived" for e in world.state()["keys"].values())
        return
    world.drive()
    assert set(world.hsm.keys) == keys_before  # nothing generated twice, nothing lost
    state = world.state()
    assert state["rollover"] is None
    assert len([e for e in state["keys"].values() if e["status"] == "active"]) == 2


def test_killed_while_starting_a_rollover_resumes_the_same_keys(world):
    world.bring_up()
    with pytest.raises(SimulatedCrash):
        world.lifecycle(crash=crash_at("key-generated")).rollover(ZONE, "start", "zsk")
    assert world.state()["rollover"]["status"] == "preparing" and world.hsm.generated == 3
    status = world.lifecycle().rollover(ZONE, "status")
    assert "being prepared" in status["reason"]
    result = world.lifecycle().rollover(ZONE, "advance")
    assert result["method"] == timing.ZSK_PRE_PUBLISH and world.hsm.generated == 3
    assert world.drive()[ZONE]["complete"] and world.hsm.generated == 3


# -- purge -------------------------------------------------------------------------------------


def test_purge_only_after_the_retention_period(world):
    world.bring_up()
    world.lifecycle().rollover(ZONE, "start", "zsk")
    world.drive()
    retired = [e["hsm_id"] for e in world.state()["keys"].values() if e["status"] == "archived"]
    assert len(retired) == 1
    kept = world.lifecycle(retention=3600).purge(ZONE)
    assert not kept["changed"] and kept["kept"][0]["hsm_id"] == retired[0] and retired[0] in world.hsm.keys
    world.clock.advance(3600)
    dry = world.lifecycle(retention=3600, check_mode=True).purge(ZONE)
    assert dry["changed"] and retired[0] in world.hsm.keys
    done = world.lifecycle(retention=3600).purge(ZONE)
    assert done["changed"] and done["destroyed"] == retired and retired[0] not in world.hsm.keys
    assert world.state()["keys"][retired[0]]["status"] == "destroyed"
    assert [r["step"] for r in world.journal()][-2:] == ["purge-begin", "purge"]
    assert not world.lifecycle(retention=3600).purge(ZONE)["changed"]


# -- zone status ---------------------------------------------------------------------------------


def test_zone_status_names_a_broken_chain(world):
    world.bring_up()
    status = world.lifecycle().zone_status(ZONE)
    assert status["problems"] == [] and len(status["keys"]) == 2 and status["rollover"] is None
    world.parent.ds[ZONE] = {(1, 13, 2, "00" * 32)}
    problems = world.lifecycle().zone_status(ZONE)["problems"]
    assert any("chain of trust is BROKEN" in p for p in problems)
    assert any("stale DS" in p for p in problems)
