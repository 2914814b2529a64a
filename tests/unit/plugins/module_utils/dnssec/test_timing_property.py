# Copyright: rsp.dnssec contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt)
"""Property tests of the rollover planner against a simulated resolver cache.

For random valid policies, keys, propagation and observation delays and late
executors, every combination of DS, DNSKEY and RRSIG RRsets that a validating
resolver could hold at any instant of any rollover method must validate
(``chain_sim`` states the model and the rules). Deliberately wrong plans must
be caught.
"""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from ansible_collections.rsp.dnssec.plugins.module_utils.dnssec import timing
from ansible_collections.rsp.dnssec.plugins.module_utils.dnssec.policy import Policy
from ansible_collections.rsp.dnssec.tests.unit.plugins.module_utils.dnssec import chain_sim

ALGORITHMS = (8, 13, 14, 15, 16)
PROPERTY = settings(max_examples=100, deadline=None,
                    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])


@st.composite
def policies(draw, safety: bool = True) -> Policy:
    """Random valid policies with TTLs and delays of seconds to minutes."""
    dnskey_ttl = draw(st.integers(1, 600), label="dnskey_ttl")
    max_zone_ttl = draw(st.integers(dnskey_ttl, 1800), label="max_zone_ttl")
    margin = st.integers(0, 30) if safety else st.just(0)
    return Policy.from_dict({
        "profile": "lab",
        "algorithm": draw(st.sampled_from(ALGORITHMS), label="algorithm"),
        "zsk_lifetime": 0, "ksk_lifetime": 0, "csk_lifetime": 0,
        "dnskey_ttl": dnskey_ttl,
        "max_zone_ttl": max_zone_ttl,
        "ds_ttl": draw(st.integers(1, 1800), label="ds_ttl"),
        "soa": {"ttl": draw(st.integers(1, max_zone_ttl), label="soa_ttl"),
                "minimum": draw(st.integers(1, 900), label="soa_minimum"),
                "refresh": 30, "retry": 10, "expire": 3600},
        "propagation_delay": draw(st.integers(0, 60), label="Dprp"),
        "parent_propagation_delay": draw(st.integers(0, 60), label="DprpP"),
        "registration_delay": draw(st.integers(0, 120), label="Dreg"),
        "signing_delay": draw(st.integers(0, 60), label="Dsgn"),
        "publish_safety": draw(margin, label="Ipsafety"),
        "retire_safety": draw(margin, label="Irsafety"),
        "emergency": {"dnskey_ttl": draw(st.integers(1, dnskey_ttl), label="emergency_dnskey_ttl")},
        "signature_refresh": "1d", "signature_validity": "3d", "signature_safety": 60,
    })


@st.composite
def plans(draw, methods: tuple = tuple(timing.METHODS), safety: bool = True) -> timing.Plan:
    """A random plan: method, policy, algorithms, key tags, standby keys."""
    policy = draw(policies(safety=safety))
    method = draw(st.sampled_from(methods), label="method")
    alg = policy.algorithm
    tags = iter(draw(st.lists(st.integers(0, 65535), min_size=8, max_size=8, unique=True), label="tags"))

    def key(name: str, role: str, algorithm: int = alg, **extra) -> timing.Key:
        return timing.Key(name, next(tags), algorithm, role, **extra)

    def split_or_csk(prefix: str, algorithm: int) -> list:
        if draw(st.booleans(), label=f"{prefix} uses a CSK"):
            return [key(f"{prefix}c", "csk", algorithm)]
        return [key(f"{prefix}k", "ksk", algorithm), key(f"{prefix}z", "zsk", algorithm)]

    standby, new_standby = [], []
    if method == timing.CSK_DOUBLE_KSK:
        current, new = [key("c1", "csk")], [key("c2", "csk")]
    elif method == timing.ALGORITHM_CONSERVATIVE:
        new_alg = draw(st.sampled_from([a for a in ALGORITHMS if a != alg]), label="new algorithm")
        current, new = split_or_csk("old", alg), split_or_csk("new", new_alg)
        if draw(st.booleans(), label="old standby"):
            standby = [key("s1", "ksk")]
        if draw(st.booleans(), label="new standby"):
            new_standby = [key("s2", "ksk", new_alg)]
    else:
        current = [key("k1", "ksk"), key("z1", "zsk")]
        role = "zsk" if method == timing.ZSK_PRE_PUBLISH else "ksk"
        new = [] if method == timing.EMERGENCY_STANDBY else [key("n1", role)]
        if method == timing.EMERGENCY_STANDBY or draw(st.booleans(), label="standby"):
            seen = draw(st.one_of(st.none(), st.integers(-4000, 0)), label="standby DS observed at")
            standby = [key("s1", "ksk", ds_observed=seen)]
        if method == timing.EMERGENCY_STANDBY and draw(st.booleans(), label="next standby"):
            new_standby = [key("s2", "ksk")]
    return timing.plan(method, policy, {"current": current, "new": new, "standby": standby,
                                        "new_standby": new_standby}, 0)


def world(data: st.DataObject, plan: timing.Plan) -> chain_sim.Delays:
    """Adversarial delays, drawn as the run needs them: observations late by
    anything up to several TTLs (propagation slower than the policy says),
    hidden instances lagging up to the propagation delay, late executors."""
    p = plan.policy
    slow = 3 * (max(p["ds_ttl"], p["max_zone_ttl"], p["dnskey_ttl"]) + p["propagation_delay"]
                + p["parent_propagation_delay"]) + 10
    return chain_sim.Delays(
        observe=lambda step, rrset: data.draw(st.one_of(st.just(0), st.integers(0, slow)),
                                              label=f"observe {rrset} after step {step + 1}"),
        lag=lambda step, rrset, bound: data.draw(st.integers(0, bound),
                                                 label=f"lag {rrset} after step {step + 1}"),
        late=lambda step: data.draw(st.one_of(st.just(0), st.integers(0, 300)),
                                    label=f"executor late for step {step + 1}"))


@pytest.mark.parametrize("method", list(timing.METHODS))
@PROPERTY
@given(data=st.data())
def test_the_chain_of_trust_always_validates(method: str, data: st.DataObject) -> None:
    plan = data.draw(plans(methods=(method,)), label="plan")
    run = chain_sim.execute(plan, world(data, plan))
    assert chain_sim.check(run) >= len(plan.steps)
    assert set(plan.after["current"]) == set(plan.final.dnskey)


def _next_plan(data: st.DataObject, first: timing.Plan) -> timing.Plan:
    """A second rollover that starts from where ``first`` ended."""
    keys = first.keys
    current = [keys[i] for i in first.after["current"]]
    standby = [keys[i] for i in first.after["standby"]]
    roles = {k.role for k in current}
    tags = {k.tag for k in keys.values()}
    tag = next(t for t in range(1, 65536) if t not in tags)
    alg = next(iter({k.algorithm for k in current}))
    kind = data.draw(st.sampled_from(["csk"] if "csk" in roles else ["zsk", "ksk", "emergency_ksk"]),
                     label="second rollover")
    role = {"csk": "csk", "zsk": "zsk"}.get(kind, "ksk")
    new = [timing.Key("second", tag, alg, role)]
    policy = Policy.from_dict(first.policy)
    if kind == "emergency_ksk" and standby:
        method, new = timing.EMERGENCY_STANDBY, []
    elif kind == "emergency_ksk":
        method = timing.EMERGENCY_DOUBLE_KSK
    else:
        method = kind
    return timing.plan(method, policy, {"current": current, "new": new, "standby": standby}, 0)


@settings(max_examples=100, deadline=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(first=plans(), data=st.data())
def test_rollovers_back_to_back_keep_the_chain(first: timing.Plan, data: st.DataObject) -> None:
    second = _next_plan(data, first)
    run = chain_sim.execute([first, second], world(data, first))
    chain_sim.check(run)


def _ttl_of(plan: timing.Plan, index: int) -> int:
    """The largest TTL the gates of step ``index`` wait for."""
    before = plan.initial if index < 2 else plan.steps[index - 2].target
    ttls = {timing.GATE_DNSKEY: before.dnskey_ttl, timing.GATE_RRSIG: chain_sim.ttl_sig(plan.policy),
            timing.GATE_DS: plan.policy["ds_ttl"], timing.GATE_NONE: 0}
    return max(ttls[g.kind] for g in plan.steps[index].gates)


def test_the_property_catches_an_interval_shortened_by_a_ttl() -> None:
    """The same property, run on plans where one real step waits one TTL less,
    must find a resolver that fails: the property is not vacuous."""
    found = []

    @settings(max_examples=300, deadline=None, database=None, phases=(Phase.generate,),
              suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
    @given(plan=plans(safety=False), data=st.data())
    def property_on_wrong_plans(plan: timing.Plan, data: st.DataObject) -> None:
        index = data.draw(st.integers(1, len(plan.steps) - 2), label="shortened step")
        wrong = chain_sim.shorten(plan, index, _ttl_of(plan, index))
        try:
            chain_sim.check(chain_sim.execute(wrong, world(data, wrong)))
        except chain_sim.ChainBroken as exc:
            found.append(str(exc))
            raise

    with pytest.raises(chain_sim.ChainBroken):
        property_on_wrong_plans()
    assert any("RFC" in text for text in found)
