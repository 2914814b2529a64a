# Copyright: rsp.dnssec contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt)
"""A validating resolver's cache, simulated: the oracle of the planner's property tests.

It shares nothing with the planner's timing code. From a plan it takes only
what the executor makes the zone look like after each step (``Step.target``)
and drives the plan exactly as an executor does: ask ``next_action``, feed it
observations, perform the step when it is due.

The world it models
-------------------
* A change made at time ``e`` may be served by some server from ``e`` on; the
  observer sees it on every server address at ``o = e + observe`` (any delay,
  even far beyond the policy's propagation delay), and hidden instances behind
  those addresses (anycast) follow within the propagation delay:
  from ``settled = o + lag`` (``0 <= lag <= Dprp``, or ``DprpP`` at the parent)
  no server serves an older version.
* A resolver fetches each RRset on its own, at any moment, from any server,
  and keeps it for the TTL it was served with (the TTL of that version).
  So at instant ``t`` it may hold version ``v`` of an RRset iff
  ``start(v) <= t < end(v) + ttl(v)``, where ``end(v)`` is the first moment
  every server serves something newer. Any combination of the DS, DNSKEY and
  zone-data (RRSIG) versions it may hold can meet in one validation.
* The DNSKEY RRset travels with its RRSIGs; zone data with theirs. One data
  RRset with the largest TTL (TTLsig) stands for all of them: a shorter TTL
  only shrinks the set of versions a cache can hold.

The rules a combination must pass (a strict validator)
------------------------------------------------------
1. RFC 4035 section 5.2: a DS matches a DNSKEY in the DNSKEY RRset whose RRSIG
   covers the DNSKEY RRset.
2. RFC 4035 section 5.3: the zone data carries an RRSIG by a key in the DNSKEY RRset.
3. RFC 6840 section 5.11 (validators that check the DS algorithms, e.g.
   Unbound's harden-algo-downgrade): for every algorithm in the DS RRset, a DS
   of that algorithm matches a DNSKEY that signs the DNSKEY RRset, and the zone
   data carries an RRSIG of that algorithm by a key in the DNSKEY RRset.
4. RFC 4035 section 2.2 (the signer's rule, which the conservative algorithm
   rollover of RFC 6781 section 4.1.4 keeps even across caches): every
   algorithm in the DNSKEY RRset has an RRSIG, by a key of the RRset, over the
   DNSKEY RRset and over the zone data.
"""

from __future__ import annotations

import itertools
import json
import math
from collections.abc import Callable
from dataclasses import dataclass, field, replace

from ansible_collections.rsp.dnssec.plugins.module_utils.dnssec import timing

RRSETS = ("DS", "DNSKEY", "RRSIG")
_GATE_RRSET = {timing.GATE_DS: "DS", timing.GATE_DNSKEY: "DNSKEY", timing.GATE_RRSIG: "RRSIG"}


class ChainBroken(AssertionError):
    """A resolver could hold RRsets that do not validate together."""


@dataclass(frozen=True)
class Version:
    rrset: str
    content: tuple
    ttl: int
    start: float  # the first moment a server may serve it
    settled: float  # from then on, every server serves it or something newer
    step: int | None  # the step that made it (None: the key set at rest before the rollover)


@dataclass
class Run:
    plan: timing.Plan
    versions: dict = field(default_factory=lambda: {r: [] for r in RRSETS})
    performed: dict = field(default_factory=dict)
    observed: dict = field(default_factory=dict)
    keys: dict = field(default_factory=dict)

    def end(self, rrset: str, index: int) -> float:
        later = [v.settled for v in self.versions[rrset][index + 1:]]
        return min(later) if later else math.inf

    def possible(self, rrset: str, t: float) -> list:
        """Versions of ``rrset`` a resolver may hold at instant ``t``."""
        return [v for i, v in enumerate(self.versions[rrset])
                if v.start <= t < self.end(rrset, i) + v.ttl]

    def instants(self) -> list:
        """Every instant at which the set of cacheable versions changes (plus one before)."""
        points = set()
        for rrset in RRSETS:
            for i, v in enumerate(self.versions[rrset]):
                if math.isfinite(v.start):
                    points.add(v.start)
                expiry = self.end(rrset, i) + v.ttl
                if math.isfinite(expiry):
                    points.add(expiry)
        first = min(points) - 1 if points else self.plan.started_at
        return [first, *sorted(points)]


@dataclass
class Delays:
    """How the world behaves in one run.

    ``observe(step, rrset)``: seconds from performing the step until the
    observer sees the change on every server; ``lag(step, rrset, bound)``:
    seconds after that until hidden instances follow (``0..bound``);
    ``late(step)``: seconds the executor runs after the step is due."""

    observe: Callable[[int, str], int] = lambda step, rrset: 0
    lag: Callable[[int, str, int], int] = lambda step, rrset, bound: bound
    late: Callable[[int], int] = lambda step: 0


def ttl_sig(policy: dict) -> int:
    soa = policy["soa"]
    return max(policy["max_zone_ttl"], soa["ttl"], min(soa["ttl"], soa["minimum"]))


def contents(plan: timing.Plan, keyset: timing.KeySet) -> dict:
    """rrset -> (content, ttl) for a key set, as served."""
    return {"DS": ((frozenset(keyset.ds),), plan.policy["ds_ttl"]),
            "DNSKEY": ((frozenset(keyset.dnskey), frozenset(keyset.dnskey_signers)), keyset.dnskey_ttl),
            "RRSIG": ((frozenset(keyset.zone_signers),), ttl_sig(plan.policy))}


def _expected_matches(plan: timing.Plan, gate: timing.Gate, keyset: timing.KeySet) -> None:
    """The gate must ask the observer for exactly what the step it observes made."""

    def ids(entries: list) -> set:
        return {e["key_id"] for e in entries}

    if gate.kind == timing.GATE_DNSKEY:
        ok = (ids(gate.expected["dnskey"]) == set(keyset.dnskey)
              and ids(gate.expected["dnskey_signers"]) == set(keyset.dnskey_signers)
              and gate.expected["ttl"] == keyset.dnskey_ttl)
    elif gate.kind == timing.GATE_RRSIG:
        ok = ids(gate.expected["zone_signers"]) == set(keyset.zone_signers)
    else:
        ok = ids(gate.expected["ds"]) == set(keyset.ds) and all(
            e["digest_type"] == plan.digest_type for e in gate.expected["ds"])
    if not ok:
        raise AssertionError(f"gate {gate.id} expects {gate.expected}, but the step it observes made "
                             f"{keyset}")


def execute(plans: timing.Plan | list, delays: Delays | None = None, *,
            trust_observations: bool = True) -> Run:
    """Drive one plan, or several one after the other, like an executor through
    ``next_action``; record what the servers serve.

    Each plan of a list starts when the one before is complete, from its final
    key set. With ``trust_observations=False`` the planner is told every change
    was seen everywhere the moment it was made (a timer-only executor), while
    the servers really settle ``observe + lag`` later."""
    delays = delays or Delays()
    plans = [plans] if isinstance(plans, timing.Plan) else list(plans)
    run = Run(plans[0])
    for rrset, (content, ttl) in contents(plans[0], plans[0].initial).items():
        run.versions[rrset].append(Version(rrset, content, ttl, -math.inf, -math.inf, None))
    now = plans[0].started_at
    counter = 0
    for number, plan in enumerate(plans):
        if number and plan.initial != plans[number - 1].final:
            raise AssertionError(f"plan {number + 1} does not start from the final key set of plan {number}")
        run.plan = plan
        run.keys.update(plan.keys)
        now = max(now, plan.started_at)
        now, counter = _execute_one(run, plan, delays, trust_observations, now, counter)
    return run


def _execute_one(run: Run, plan: timing.Plan, delays: Delays, trust_observations: bool, now: int,
                 counter: int) -> tuple:
    propagation = {"DS": plan.policy["parent_propagation_delay"], "DNSKEY": plan.policy["propagation_delay"],
                   "RRSIG": plan.policy["propagation_delay"]}
    state = timing.RolloverState.start(plan, change_id="sim")
    previous = plan.initial
    observed: dict = {}
    for index, step in enumerate(plan.steps):
        # The state and the plan live in JSON files between runs.
        state = timing.RolloverState.from_dict(json.loads(json.dumps(state.to_dict())))
        plan = timing.Plan.from_dict(json.loads(json.dumps(plan.to_dict())))
        action = timing.next_action(plan, state, None, now)
        if action.complete or action.index != index:
            raise AssertionError(f"next_action says step {action.index}, expected {index}")
        for gate in action.observe:
            rrset = _GATE_RRSET[gate.kind]
            if gate.observes_step is None:  # a precondition of the key set at rest: observed when asked
                when, keyset = now, plan.initial
            else:
                when, keyset = observed[(gate.observes_step, rrset)], plan.steps[gate.observes_step].target
            _expected_matches(plan, gate, keyset)
            state.record_observation(gate.id, {"satisfied_since": when, "text": "sim"})
        action = timing.next_action(plan, state, None, now)
        if action.due_at is None:
            raise AssertionError(f"step {index + 1} still waits for an observation: {action.reason}")
        due_at = max(now, action.due_at)
        if due_at - 1 >= now and timing.next_action(plan, state, None, due_at - 1).due:
            raise AssertionError(f"step {index + 1} claims to be due before its due time {due_at}")
        performed = due_at + delays.late(counter)
        check_due = timing.next_action(plan, state, None, performed)
        if not check_due.due:
            raise AssertionError(f"step {index + 1} is not due at {performed}: {check_due.reason}")
        state.record_performed(index, performed)
        run.performed[counter] = performed
        before, after = contents(plan, previous), contents(plan, step.target)
        for rrset in RRSETS:
            if before[rrset] == after[rrset]:
                continue
            seen = performed + delays.observe(counter, rrset)
            settled = seen + delays.lag(counter, rrset, propagation[rrset])
            run.versions[rrset].append(Version(rrset, after[rrset][0], after[rrset][1], performed, settled,
                                               counter))
            observed[(index, rrset)] = seen if trust_observations else performed
        run.observed.update({(counter, r): t for (i, r), t in observed.items() if i == index})
        previous = step.target
        now = performed
        counter += 1
    final = timing.next_action(plan, state, None, now)
    if not final.complete:
        raise AssertionError(f"the rollover did not complete: {final.reason}")
    return now, counter


def problems(keys: dict, ds: tuple, dnskey: tuple, rrsig: tuple) -> list:
    """Why one combination of cached RRsets does not validate (empty: it does).
    ``keys``: key id -> :class:`timing.Key`."""
    algorithm = {key_id: key.algorithm for key_id, key in keys.items()}
    (ds_ids,), (published, dnskey_signers), (zone_signers,) = ds, dnskey, rrsig
    found = []
    entry = {k for k in ds_ids if k in published and k in dnskey_signers}
    data_signers = published & zone_signers
    if not entry:
        found.append("RFC 4035 section 5.2: no DS matches a DNSKEY that signs the DNSKEY RRset")
    if not data_signers:
        found.append("RFC 4035 section 5.3: the zone data has no RRSIG by a key in the DNSKEY RRset")
    for alg in sorted({algorithm[k] for k in ds_ids}):
        if not any(algorithm[k] == alg for k in entry):
            found.append(f"RFC 6840 section 5.11: algorithm {alg} is in the DS RRset but no DS of it matches "
                         "a DNSKEY signing the DNSKEY RRset")
        if not any(algorithm[k] == alg for k in data_signers):
            found.append(f"RFC 6840 section 5.11: algorithm {alg} is in the DS RRset but the zone data has "
                         "no RRSIG of it")
    for alg in sorted({algorithm[k] for k in published}):
        if not any(algorithm[k] == alg for k in published & dnskey_signers):
            found.append(f"RFC 4035 section 2.2: algorithm {alg} is in the DNSKEY RRset but does not sign it")
        if not any(algorithm[k] == alg for k in data_signers):
            found.append(f"RFC 4035 section 2.2: algorithm {alg} is in the DNSKEY RRset but the zone data "
                         "has no RRSIG of it")
    return found


def _label(keys: dict, ids: frozenset) -> str:
    return "{" + ", ".join(sorted(keys[i].label for i in ids)) + "}"


def describe(keys: dict, ds: tuple, dnskey: tuple, rrsig: tuple) -> str:
    return (f"DS {_label(keys, ds[0])}, DNSKEY {_label(keys, dnskey[0])} signed by "
            f"{_label(keys, dnskey[1])}, zone data signed by {_label(keys, rrsig[0])}")


def check(run: Run) -> int:
    """Raise :class:`ChainBroken` at the first instant where a resolver may hold
    RRsets that do not validate together. Returns the number of instants checked."""
    plan = run.plan
    instants = run.instants()
    for t in instants:
        held = [run.possible(rrset, t) for rrset in RRSETS]
        for ds, dnskey, rrsig in itertools.product(*held):
            found = problems(run.keys, ds.content, dnskey.content, rrsig.content)
            if found:
                steps = ", ".join(f"step {i + 1} at {at}" for i, at in sorted(run.performed.items()))
                raise ChainBroken(
                    f"{plan.method}: at t={t} a resolver may hold "
                    f"{describe(run.keys, ds.content, dnskey.content, rrsig.content)} "
                    f"(made by steps {ds.step}, {dnskey.step}, {rrsig.step}): {'; '.join(found)} "
                    f"[performed: {steps}]")
    last = instants[-1]
    after = {rrset: run.possible(rrset, last + 1) for rrset in RRSETS}
    final = contents(plan, plan.final)
    for rrset, versions in after.items():
        if [v.content for v in versions] != [final[rrset][0]]:
            raise AssertionError(f"after the rollover caches may still hold {rrset} {versions}")
    return len(instants)


def shorten(plan: timing.Plan, index: int, seconds: int) -> timing.Plan:
    """A deliberately wrong plan: step ``index`` waits ``seconds`` less (both its
    earliest time and every gate's wait after its observation)."""
    steps = list(plan.steps)
    step = steps[index]
    gates = tuple(replace(g, wait=max(0, g.wait - seconds)) for g in step.gates)
    steps[index] = replace(step, interval=max(0, step.interval - seconds), gates=gates)
    return replace(plan, steps=tuple(steps))
