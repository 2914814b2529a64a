# Copyright: rsp.dnssec contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt)
"""RFC 7583 key rollover planner: pure functions, injectable clock.

Nothing here reads the clock, the DNS or a file: times come in as arguments
(``started_at``, ``now``, observation times) and everything that goes out is
JSON-serialisable data.

The model
---------
A rollover is an ordered list of :class:`Step`. Each step says what the key set
must look like once it is performed (:class:`KeySet`: the keys published in the
DNSKEY RRset, the keys whose RRSIG covers the DNSKEY RRset, the keys whose
RRSIGs cover the rest of the zone, the keys with a DS at the parent, and the
DNSKEY TTL). The executor makes the engine and the parent match it.

Between two steps the planner derives the waits from what the earlier step
changed, per RRset, with the RFC 7583 formulas (see ``docs/rollovers.md``):

=========  ==========================================  ======================
changed    earliest time after the step was performed  wait after observation
=========  ==========================================  ======================
DNSKEY     Dprp + TTLkey(old) + safety                 Dprp + TTLkey(old) + safety
RRSIG      Dsgn + Dprp + TTLsig + safety               Dprp + TTLsig + safety
DS         Dreg + DprpP + TTLds + safety               DprpP + TTLds + safety
=========  ==========================================  ======================

(safety is Irsafety when the change removes something from that RRset, else
Ipsafety.) A step is due when its earliest time has passed AND every one of its
:class:`Gate` s holds: the change of the step before was observed on every
server (authoritative servers of the zone, or of the parent) AND the wait has
elapsed since that observation. The propagation delay is in the wait because an
observation sees every server address, not every anycast instance behind it.
So, when the next step runs, no cache can still hold any RRset version older
than the one the previous step produced; each step's change is safe for every
mix of "before" and "after" RRsets a validating resolver can hold (the property
test in ``tests/unit`` checks exactly that, with a simulated resolver cache).

The last step of every plan is ``complete``: it changes nothing; it is due once
the last change is in every cache, so that a new rollover starts from a clean
state.
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime

from ansible_collections.rsp.dnssec.plugins.module_utils.dnssec.policy import Policy, format_duration

PLAN_SCHEMA = 1

GATE_NONE = "none"
GATE_DNSKEY = "dnskey_rrset_on_all_authoritatives"
GATE_RRSIG = "rrsigs_on_all_authoritatives"
GATE_DS = "ds_rrset_on_all_parent_servers"
GATE_KINDS = (GATE_NONE, GATE_DNSKEY, GATE_RRSIG, GATE_DS)

ZSK_PRE_PUBLISH = "zsk-pre-publish"
KSK_DOUBLE_DS = "ksk-double-ds"
KSK_DOUBLE_KSK = "ksk-double-ksk"
CSK_DOUBLE_KSK = "csk-double-ksk"
ALGORITHM_CONSERVATIVE = "algorithm-conservative"
EMERGENCY_STANDBY = "emergency-ksk-standby"
EMERGENCY_DOUBLE_KSK = "emergency-ksk-double-ksk"
METHODS: dict[str, str] = {
    ZSK_PRE_PUBLISH: "zsk",
    KSK_DOUBLE_DS: "ksk",
    KSK_DOUBLE_KSK: "ksk",
    CSK_DOUBLE_KSK: "csk",
    ALGORITHM_CONSERVATIVE: "algorithm",
    EMERGENCY_STANDBY: "emergency_ksk",
    EMERGENCY_DOUBLE_KSK: "emergency_ksk",
}
"""Method id -> rollover kind."""

ROLES = ("ksk", "zsk", "csk")
_CHANGE_KEYS = ("dnskey_add", "dnskey_remove", "dnskey_signers_add", "dnskey_signers_remove",
                "zone_signers_add", "zone_signers_remove", "ds_add", "ds_remove", "dnskey_ttl")


class PlanError(ValueError):
    """A rollover cannot be planned or advanced; the message says why and what to do."""


# -- time ---------------------------------------------------------------------

def to_epoch(value: object, name: str = "time", *, round_up: bool = False) -> int:
    """Whole seconds since the epoch from an int, a float or a timezone-aware
    datetime. Floats are rounded down, or up with ``round_up`` (observation
    times are rounded up, so rounding never makes a step due early)."""
    if isinstance(value, bool) or value is None:
        raise PlanError(f"{name}: {value!r} is not a time")
    if isinstance(value, datetime):
        if value.tzinfo is None:
            raise PlanError(f"{name}: {value!r} has no time zone; give an aware datetime (UTC)")
        value = value.timestamp()
    if isinstance(value, int):
        return value
    if isinstance(value, float):
        if not math.isfinite(value):
            raise PlanError(f"{name}: {value!r} is not a time")
        return math.ceil(value) if round_up else math.floor(value)
    raise PlanError(f"{name}: {value!r} is not a time (epoch seconds or an aware datetime)")


def format_time(epoch: int | float | None) -> str:
    """``1700000000`` -> ``"2023-11-14T22:13:20Z"``."""
    if epoch is None:
        return "-"
    return datetime.fromtimestamp(int(epoch), tz=UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


# -- keys ---------------------------------------------------------------------

@dataclass(frozen=True)
class Key:
    """A DNSSEC key as the planner sees it.

    ``id`` is a stable identifier (the HSM CKA_ID in hex, say); ``role`` is
    "ksk", "zsk" or "csk"; ``activated`` is when the key started signing (for
    :func:`rollover_due`); ``ds_observed`` is when its DS was first seen on every
    parent server (standby KSKs: lets an emergency start at once)."""

    id: str
    tag: int
    algorithm: int
    role: str
    activated: int | None = None
    ds_observed: int | None = None

    def __post_init__(self) -> None:
        if not self.id or not isinstance(self.id, str):
            raise PlanError(f"key id {self.id!r} must be a non-empty string")
        if self.role not in ROLES:
            raise PlanError(f"key {self.id}: role {self.role!r} is not one of {', '.join(ROLES)}")
        if not isinstance(self.tag, int) or not 0 <= self.tag <= 65535:
            raise PlanError(f"key {self.id}: key tag {self.tag!r} is not 0..65535")
        if not isinstance(self.algorithm, int) or not 0 < self.algorithm < 256:
            raise PlanError(f"key {self.id}: algorithm {self.algorithm!r} is not 1..255")

    @property
    def label(self) -> str:
        """``"40144/13"``: key tag / algorithm, the way operators name a key."""
        return f"{self.tag}/{self.algorithm}"

    @property
    def signs_dnskey(self) -> bool:
        return self.role in ("ksk", "csk")

    @property
    def signs_zone(self) -> bool:
        return self.role in ("zsk", "csk")

    def to_dict(self) -> dict:
        return {"id": self.id, "tag": self.tag, "algorithm": self.algorithm, "role": self.role,
                "activated": self.activated, "ds_observed": self.ds_observed}

    @classmethod
    def from_value(cls, value: Key | Mapping) -> Key:
        if isinstance(value, Key):
            return value
        if not isinstance(value, Mapping):
            raise PlanError(f"a key must be a mapping with id, tag, algorithm and role, not {value!r}")
        try:
            key_id = value.get("id") or value.get("key_id") or value.get("hsm_id")
            activated, observed = value.get("activated"), value.get("ds_observed")
            return cls(id=str(key_id) if key_id is not None else "", tag=int(value["tag"]),
                       algorithm=int(value["algorithm"]), role=str(value["role"]).lower(),
                       activated=None if activated is None else to_epoch(activated, "activated"),
                       ds_observed=None if observed is None else to_epoch(observed, "ds_observed",
                                                                          round_up=True))
        except KeyError as exc:
            raise PlanError(f"key {dict(value)!r} lacks {exc.args[0]!r}") from None
        except (TypeError, ValueError) as exc:
            if isinstance(exc, PlanError):
                raise
            raise PlanError(f"key {dict(value)!r}: {exc}") from None


def _ids(keys: Iterable[Key | str]) -> tuple[str, ...]:
    return tuple(sorted({k.id if isinstance(k, Key) else str(k) for k in keys}))


@dataclass(frozen=True)
class KeySet:
    """What the zone and its parent hold: key ids per role in the chain of trust."""

    dnskey: tuple[str, ...]
    dnskey_signers: tuple[str, ...]
    zone_signers: tuple[str, ...]
    ds: tuple[str, ...]
    dnskey_ttl: int

    def evolve(self, *, dnskey_add: Iterable = (), dnskey_remove: Iterable = (),
               dnskey_signers_add: Iterable = (), dnskey_signers_remove: Iterable = (),
               zone_signers_add: Iterable = (), zone_signers_remove: Iterable = (),
               ds_add: Iterable = (), ds_remove: Iterable = (), dnskey_ttl: int | None = None) -> KeySet:
        """A new key set: removals first, then additions (keys or ids)."""

        def apply(current: tuple[str, ...], add: Iterable, remove: Iterable) -> tuple[str, ...]:
            return _ids((set(current) - set(_ids(remove))) | set(_ids(add)))

        return KeySet(dnskey=apply(self.dnskey, dnskey_add, dnskey_remove),
                      dnskey_signers=apply(self.dnskey_signers, dnskey_signers_add, dnskey_signers_remove),
                      zone_signers=apply(self.zone_signers, zone_signers_add, zone_signers_remove),
                      ds=apply(self.ds, ds_add, ds_remove),
                      dnskey_ttl=self.dnskey_ttl if dnskey_ttl is None else dnskey_ttl)

    def changes_from(self, before: KeySet) -> dict:
        """What turns ``before`` into this key set (non-empty entries only)."""
        changes: dict = {}
        for name in ("dnskey", "dnskey_signers", "zone_signers", "ds"):
            old, new = set(getattr(before, name)), set(getattr(self, name))
            if new - old:
                changes[f"{name}_add"] = sorted(new - old)
            if old - new:
                changes[f"{name}_remove"] = sorted(old - new)
        if self.dnskey_ttl != before.dnskey_ttl:
            changes["dnskey_ttl"] = self.dnskey_ttl
        return changes

    def to_dict(self) -> dict:
        return {"dnskey": list(self.dnskey), "dnskey_signers": list(self.dnskey_signers),
                "zone_signers": list(self.zone_signers), "ds": list(self.ds), "dnskey_ttl": self.dnskey_ttl}

    @classmethod
    def from_dict(cls, data: Mapping) -> KeySet:
        return cls(dnskey=_ids(data["dnskey"]), dnskey_signers=_ids(data["dnskey_signers"]),
                   zone_signers=_ids(data["zone_signers"]), ds=_ids(data["ds"]),
                   dnskey_ttl=int(data["dnskey_ttl"]))


def at_rest(current: Iterable[Key], standby: Iterable[Key], dnskey_ttl: int) -> KeySet:
    """The key set of a zone between rollovers: every current key published,
    KSK/CSK sign the DNSKEY RRset, ZSK/CSK sign the zone, DS for every KSK/CSK
    and for every standby KSK."""
    current = list(current)
    signers = [k for k in current if k.signs_dnskey]
    return KeySet(dnskey=_ids(current), dnskey_signers=_ids(signers),
                  zone_signers=_ids(k for k in current if k.signs_zone),
                  ds=_ids([*signers, *standby]), dnskey_ttl=dnskey_ttl)


@dataclass(frozen=True)
class RolloverKeys:
    """The keys a rollover works with.

    ``current``: the zone's keys at rest (published and in use).
    ``new``: successors made for this rollover (zsk: one ZSK; ksk and
    emergency without standby: one KSK; csk: one CSK; algorithm: the new KSK +
    ZSK, or CSK, of the new algorithm). ``standby``: standby KSKs whose DS is at
    the parent (not in the DNSKEY RRset). ``new_standby``: standby KSKs whose DS
    this rollover adds (emergency with standby: the replacement standby;
    algorithm: standbys of the new algorithm)."""

    current: tuple[Key, ...]
    new: tuple[Key, ...] = ()
    standby: tuple[Key, ...] = ()
    new_standby: tuple[Key, ...] = ()

    @classmethod
    def from_value(cls, value: RolloverKeys | Mapping) -> RolloverKeys:
        if isinstance(value, RolloverKeys):
            return value
        if not isinstance(value, Mapping):
            raise PlanError("keys must be a mapping with 'current' (and 'new', 'standby', 'new_standby')")
        unknown = set(value) - {"current", "new", "standby", "new_standby"}
        if unknown:
            raise PlanError(f"keys: unknown entries {sorted(unknown)} "
                            "(use current, new, standby, new_standby)")

        def keys(name: str) -> tuple[Key, ...]:
            items = value.get(name) or ()
            if isinstance(items, Mapping | Key):
                items = [items]
            return tuple(Key.from_value(item) for item in items)

        return cls(current=keys("current"), new=keys("new"), standby=keys("standby"),
                   new_standby=keys("new_standby"))

    def all(self) -> tuple[Key, ...]:
        return self.current + self.new + self.standby + self.new_standby


# -- plan data ----------------------------------------------------------------

@dataclass(frozen=True)
class Interval:
    """One RFC 7583 interval that must pass after a step before the next one."""

    name: str  # "Ipub", "Iret", "IretC", "IpubP", "IretP", "Isig"
    rrset: str  # "DNSKEY", "RRSIG", "DS"
    seconds: int
    formula: str

    def to_dict(self) -> dict:
        return {"name": self.name, "rrset": self.rrset, "seconds": self.seconds, "formula": self.formula}

    @classmethod
    def from_dict(cls, data: Mapping) -> Interval:
        return cls(name=data["name"], rrset=data["rrset"], seconds=int(data["seconds"]),
                   formula=data["formula"])


@dataclass(frozen=True)
class Gate:
    """A precondition of a step: an observation that must hold, then a wait.

    ``kind`` is what to observe (see ``GATE_*``), ``expected`` the exact
    content every server must serve, ``observes_step`` the index of the step
    whose change it confirms, ``wait`` the seconds that must pass after the
    observation (``wait_formula`` in RFC 7583 terms)."""

    id: str
    kind: str
    observes_step: int | None
    expected: dict
    wait: int
    wait_formula: str
    description: str

    def to_dict(self) -> dict:
        return {"id": self.id, "kind": self.kind, "observes_step": self.observes_step,
                "expected": self.expected, "wait": self.wait, "wait_formula": self.wait_formula,
                "description": self.description}

    @classmethod
    def from_dict(cls, data: Mapping) -> Gate:
        return cls(id=data["id"], kind=data["kind"], observes_step=data.get("observes_step"),
                   expected=dict(data.get("expected") or {}), wait=int(data["wait"]),
                   wait_formula=data.get("wait_formula", ""), description=data.get("description", ""))


@dataclass(frozen=True)
class Step:
    """One step of a rollover.

    ``target``: the key set once the step is performed; ``changes``: what it
    changes compared with the step before (``dnskey_add`` ... ``ds_remove``,
    ``dnskey_ttl``); ``interval``: earliest seconds after the previous step was
    performed (the largest of ``intervals``); ``earliest``: the predicted time
    if every earlier step runs at its earliest; ``gates``: what must be
    observed, and how long ago, before it runs."""

    index: int
    name: str
    title: str
    rfc: str
    target: KeySet
    changes: dict
    interval: int
    intervals: tuple[Interval, ...]
    earliest: int
    gates: tuple[Gate, ...]

    @property
    def final(self) -> bool:
        return self.name == "complete"

    @property
    def interval_formula(self) -> str:
        if not self.intervals:
            return "none"
        if len(self.intervals) == 1:
            return self.intervals[0].formula
        return "max(" + "; ".join(i.formula for i in self.intervals) + f") = {self.interval} s"

    def to_dict(self) -> dict:
        return {"index": self.index, "name": self.name, "title": self.title, "rfc": self.rfc,
                "final": self.final, "target": self.target.to_dict(), "changes": self.changes,
                "interval": self.interval, "interval_formula": self.interval_formula,
                "intervals": [i.to_dict() for i in self.intervals], "earliest": self.earliest,
                "earliest_at": format_time(self.earliest), "gates": [g.to_dict() for g in self.gates]}

    @classmethod
    def from_dict(cls, data: Mapping) -> Step:
        return cls(index=int(data["index"]), name=data["name"], title=data["title"], rfc=data["rfc"],
                   target=KeySet.from_dict(data["target"]), changes=dict(data.get("changes") or {}),
                   interval=int(data["interval"]),
                   intervals=tuple(Interval.from_dict(i) for i in data.get("intervals") or ()),
                   earliest=int(data["earliest"]), gates=tuple(Gate.from_dict(g) for g in data["gates"]))


@dataclass(frozen=True)
class GateObservation:
    """What the executor saw for one gate.

    ``satisfied_since``: from when the expected content was served by every
    server (None: not yet); ``first_seen``: server -> when first seen serving
    it; ``text``: the observer's words (e.g. "seen on 2 of 3 parent servers;
    waiting for c.example"). Accepts the dict that ``observe.track_since``
    returns."""

    satisfied_since: int | None = None
    first_seen: dict = field(default_factory=dict)
    text: str = ""
    checked_at: int | None = None

    @classmethod
    def from_value(cls, value: GateObservation | Mapping | int | float | None) -> GateObservation:
        if isinstance(value, GateObservation):
            return value
        if value is None:
            return cls()
        if isinstance(value, int | float) and not isinstance(value, bool):
            return cls(satisfied_since=to_epoch(value, "observation", round_up=True))
        if not isinstance(value, Mapping):
            raise PlanError(f"observation {value!r} is not a mapping or a time")
        since = next((value[k] for k in ("satisfied_since", "complete_at", "at") if value.get(k) is not None),
                     None)
        checked = value.get("checked_at")
        since = None if since is None else to_epoch(since, "satisfied_since", round_up=True)
        return cls(satisfied_since=since,
                   first_seen={str(s): to_epoch(t, "first_seen", round_up=True)
                               for s, t in dict(value.get("first_seen") or {}).items()},
                   text=str(value.get("text") or ""),
                   checked_at=None if checked is None else to_epoch(checked, "checked_at"))

    def to_dict(self) -> dict:
        since = self.satisfied_since
        return {"satisfied_since": since,
                "satisfied_since_at": format_time(since) if since is not None else None,
                "first_seen": dict(self.first_seen), "text": self.text, "checked_at": self.checked_at}


@dataclass(frozen=True)
class Plan:
    """A complete rollover: method, keys, key sets, steps with times and gates."""

    method: str
    kind: str
    started_at: int
    policy: dict
    digest_type: int
    keys: dict  # id -> Key
    initial: KeySet
    steps: tuple[Step, ...]
    after: dict  # {"current": [ids], "standby": [ids], "retired": [ids]}
    initial_observations: dict = field(default_factory=dict)  # gate id -> GateObservation

    @property
    def final(self) -> KeySet:
        return self.steps[-1].target

    @property
    def duration(self) -> int:
        """Seconds from the start to ``complete`` if every step runs at its earliest."""
        return self.steps[-1].earliest - self.started_at

    def key(self, key_id: str) -> Key:
        return self.keys[key_id]

    def labels(self, ids: Iterable[str]) -> list[str]:
        return [self.keys[i].label for i in ids]

    def describe_changes(self, step: Step) -> str:
        """The step's changes in words ("publish DNSKEY 12345/13; ...")."""
        return describe_changes(step.changes, self.keys) or "no change"

    def to_dict(self) -> dict:
        return {"schema": PLAN_SCHEMA, "method": self.method, "kind": self.kind,
                "started_at": self.started_at, "started": format_time(self.started_at), "policy": self.policy,
                "digest_type": self.digest_type,
                "keys": [k.to_dict() for k in self.keys.values()], "initial": self.initial.to_dict(),
                "steps": [s.to_dict() for s in self.steps], "after": self.after,
                "initial_observations": {g: o.to_dict() for g, o in self.initial_observations.items()},
                "duration": self.duration}

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), sort_keys=True)

    @classmethod
    def from_dict(cls, data: Mapping) -> Plan:
        if data.get("schema") != PLAN_SCHEMA:
            raise PlanError(f"rollover plan schema {data.get('schema')!r} is not {PLAN_SCHEMA}: upgrade the "
                            "collection, or finish the rollover with the version that started it")
        keys = [Key.from_value(k) for k in data["keys"]]
        return cls(method=data["method"], kind=data["kind"], started_at=int(data["started_at"]),
                   policy=dict(data["policy"]), digest_type=int(data["digest_type"]),
                   keys={k.id: k for k in keys}, initial=KeySet.from_dict(data["initial"]),
                   steps=tuple(Step.from_dict(s) for s in data["steps"]), after=dict(data["after"]),
                   initial_observations={g: GateObservation.from_value(o)
                                         for g, o in dict(data.get("initial_observations") or {}).items()})

    @classmethod
    def from_json(cls, text: str) -> Plan:
        return cls.from_dict(json.loads(text))


def describe_changes(changes: Mapping, keys: Mapping[str, Key]) -> str:
    def names(name: str) -> str:
        return ", ".join(keys[i].label if i in keys else i for i in changes.get(name, ()))

    words = []
    for name, text in (("dnskey_add", "publish DNSKEY {}"),
                       ("dnskey_signers_add", "sign the DNSKEY RRset with {}"),
                       ("zone_signers_add", "sign the zone with {}"), ("ds_add", "add DS {} at the parent"),
                       ("ds_remove", "remove DS {} from the parent"),
                       ("zone_signers_remove", "stop signing the zone with {}"),
                       ("dnskey_signers_remove", "stop signing the DNSKEY RRset with {}"),
                       ("dnskey_remove", "remove DNSKEY {}")):
        if changes.get(name):
            words.append(text.format(names(name)))
    if changes.get("dnskey_ttl") is not None:
        words.append(f"set the DNSKEY TTL to {changes['dnskey_ttl']} s")
    return "; ".join(words)


# -- rollover state -------------------------------------------------------------

@dataclass
class RolloverState:
    """Progress of one rollover of one zone (stored as JSON beside the plan).

    ``step``: index of the next step to perform (``len(plan.steps)``: done);
    ``performed``: step index -> when it was performed; ``observations``: gate
    id -> :class:`GateObservation`."""

    method: str
    step: int = 0
    performed: dict = field(default_factory=dict)
    observations: dict = field(default_factory=dict)
    change_id: str | None = None
    started_at: int | None = None

    @classmethod
    def start(cls, plan: Plan, change_id: str | None = None) -> RolloverState:
        return cls(method=plan.method, observations=dict(plan.initial_observations), change_id=change_id,
                   started_at=plan.started_at)

    def complete(self, plan: Plan) -> bool:
        return self.step >= len(plan.steps)

    def record_performed(self, index: int, at: object) -> None:
        """Step ``index`` was performed (the engine and parent match its target) at ``at``."""
        if index != self.step:
            raise PlanError(f"step {index + 1} cannot be recorded as performed: the next step is "
                            f"{self.step + 1}")
        when = to_epoch(at, "performed", round_up=True)
        previous = self.performed.get(index - 1)
        if previous is not None and when < previous:
            raise PlanError(f"step {index + 1} performed at {format_time(when)}, before step {index} "
                            f"({format_time(previous)}): the clock went backwards")
        self.performed[index] = when
        self.step = index + 1

    def record_observation(self, gate_id: str, observation: object) -> None:
        self.observations[gate_id] = GateObservation.from_value(observation)  # type: ignore[arg-type]

    def to_dict(self) -> dict:
        return {"method": self.method, "step": self.step, "change_id": self.change_id,
                "started_at": self.started_at,
                "performed": {str(i): t for i, t in sorted(self.performed.items())},
                "performed_at": {str(i): format_time(t) for i, t in sorted(self.performed.items())},
                "observations": {g: o.to_dict() for g, o in sorted(self.observations.items())}}

    @classmethod
    def from_dict(cls, data: Mapping) -> RolloverState:
        return cls(method=data["method"], step=int(data.get("step", 0)),
                   performed={int(i): int(t) for i, t in dict(data.get("performed") or {}).items()},
                   observations={g: GateObservation.from_value(o)
                                 for g, o in dict(data.get("observations") or {}).items()},
                   change_id=data.get("change_id"), started_at=data.get("started_at"))


# -- what to do next --------------------------------------------------------------

@dataclass(frozen=True)
class GateStatus:
    gate: Gate
    satisfied: bool
    observed_at: int | None
    ready_at: int | None
    text: str

    def to_dict(self) -> dict:
        return {"gate": self.gate.id, "kind": self.gate.kind, "satisfied": self.satisfied,
                "observed_at": self.observed_at, "ready_at": self.ready_at,
                "ready": format_time(self.ready_at) if self.ready_at is not None else None, "text": self.text}


@dataclass(frozen=True)
class NextAction:
    """The planner's answer to "what now?".

    ``complete``: nothing left to do. Otherwise ``step`` is the next step;
    ``due`` says whether to perform it now; ``due_at`` is when it becomes due
    (None while an observation is missing); ``earliest`` is its RFC 7583
    earliest time; ``observe`` lists the gates the executor must observe now;
    ``waiting_for`` and ``reason`` say it in words."""

    method: str
    complete: bool
    index: int | None
    step: Step | None
    due: bool
    due_at: int | None
    earliest: int | None
    gates: tuple[GateStatus, ...]
    observe: tuple[Gate, ...]
    waiting_for: tuple[str, ...]
    reason: str

    def to_dict(self) -> dict:
        return {"method": self.method, "complete": self.complete, "step": self.index,
                "step_name": self.step.name if self.step else None,
                "step_title": self.step.title if self.step else None,
                "changes": self.step.changes if self.step else {},
                "due": self.due, "due_at": self.due_at,
                "due_at_text": format_time(self.due_at) if self.due_at is not None else None,
                "earliest": self.earliest,
                "earliest_at": format_time(self.earliest) if self.earliest is not None else None,
                "gates": [g.to_dict() for g in self.gates], "observe": [g.to_dict() for g in self.observe],
                "waiting_for": list(self.waiting_for), "reason": self.reason}


def next_action(plan: Plan, state: RolloverState, observations: Mapping | None, now: object) -> NextAction:
    """Given the plan, the state, the latest observations (gate id ->
    :class:`GateObservation` or what ``observe.track_since`` returns; they
    override the state's) and ``now``: the next step, whether it is due, when,
    and what it waits for."""
    now = to_epoch(now, "now")
    if state.method != plan.method:
        raise PlanError(f"the rollover state is for method {state.method}, the plan for {plan.method}: "
                        "the state file and the plan disagree; stop and inspect the zone's journal")
    seen = dict(state.observations)
    for gate_id, value in dict(observations or {}).items():
        seen[gate_id] = GateObservation.from_value(value)
    total = len(plan.steps)
    if state.step >= total:
        finished = state.performed.get(total - 1)
        return NextAction(plan.method, True, None, None, False, None, None, (), (), (),
                          f"rollover {plan.method} complete since {format_time(finished)}")
    index = state.step
    step = plan.steps[index]
    number = f"step {index + 1}/{total} '{step.name}'"
    if index == 0:
        previous_at, earliest = None, plan.started_at
    else:
        previous_at = state.performed.get(index - 1)
        if previous_at is None:
            raise PlanError(f"the rollover state says {number} is next, but has no time for step {index}: "
                            "the state file is damaged; stop and inspect the zone's journal")
        earliest = previous_at + step.interval
    statuses, to_observe, waiting, ready_times = [], [], [], []
    missing = False
    for gate in step.gates:
        status = _gate_status(gate, seen.get(gate.id), previous_at, now)
        statuses.append(status)
        if gate.kind == GATE_NONE:
            continue
        if status.observed_at is None:
            missing = True
            to_observe.append(gate)
        else:
            ready_times.append(status.ready_at)
        if not status.satisfied:
            waiting.append(status.text)
    due_at = None if missing else max([earliest, *ready_times])
    if now < earliest:
        if index == 0:
            waiting.insert(0, f"the rollover starts at {format_time(earliest)}")
        else:
            waiting.insert(0, f"earliest time {format_time(earliest)} ({step.interval_formula}, after step "
                              f"{index} performed at {format_time(previous_at)})")
    due = due_at is not None and now >= due_at
    what = "complete the rollover" if step.final else plan.describe_changes(step)
    if due:
        reason = f"{number} is due since {format_time(due_at)}: {what}"
    else:
        when = f"due at {format_time(due_at)}" if due_at is not None else "not due"
        reason = f"{number} ({what}) {when}: waiting for " + "; ".join(waiting)
    return NextAction(plan.method, False, index, step, due, due_at, earliest, tuple(statuses),
                      tuple(to_observe), tuple(waiting), reason)


def _gate_status(gate: Gate, seen: GateObservation | None, previous_at: int | None, now: int) -> GateStatus:
    if gate.kind == GATE_NONE:
        return GateStatus(gate, True, None, None, "no observation needed")
    since = None if seen is None else seen.satisfied_since
    if since is not None and previous_at is not None and since < previous_at:
        return GateStatus(gate, False, None, None,
                          f"{gate.description}: the recorded observation ({format_time(since)}) is older "
                          f"than step {gate.observes_step + 1 if gate.observes_step is not None else '?'} "
                          f"({format_time(previous_at)}); observe again")
    if since is None:
        if seen is not None and seen.text:
            detail = seen.text
        elif seen is not None and seen.first_seen:
            detail = (f"seen on {len(seen.first_seen)} server(s) since "
                      f"{format_time(min(seen.first_seen.values()))}, not yet on all")
        else:
            detail = "not seen yet"
        return GateStatus(gate, False, None, None, f"{gate.description}: {detail}")
    ready = since + gate.wait
    if now >= ready:
        return GateStatus(gate, True, since, ready, f"{gate.description}: seen since {format_time(since)}, "
                                                    f"{gate.wait_formula} elapsed at {format_time(ready)}")
    return GateStatus(gate, False, since, ready,
                      f"{gate.description}: seen since {format_time(since)}; {gate.wait_formula} "
                      f"elapse at {format_time(ready)}")


# -- building plans ---------------------------------------------------------------

@dataclass(frozen=True)
class _StepSpec:
    name: str
    title: str
    rfc: str
    target: KeySet


@dataclass(frozen=True)
class _MethodSpec:
    steps: list
    after: dict
    takeover: int  # index of the step from which the new key does the old key's job
    first_gate: tuple | None = None  # (KeySet observed, wait seconds, formula, since) for step 0


def resolve_method(method: str, policy: Policy) -> str:
    """Method id from a kind ("zsk", "ksk", "csk", "algorithm", "emergency_ksk",
    resolved through the policy) or a method id itself."""
    if method in METHODS:
        return method
    kinds = {"zsk": lambda: ZSK_PRE_PUBLISH, "ksk": lambda: f"ksk-{policy.method('ksk')}",
             "csk": lambda: CSK_DOUBLE_KSK, "algorithm": lambda: ALGORITHM_CONSERVATIVE,
             "emergency_ksk": lambda: f"emergency-ksk-{policy.method('emergency_ksk')}"}
    if method not in kinds:
        raise PlanError(f"unknown rollover method {method!r}: use one of {', '.join(kinds)} "
                        f"(or a method id: {', '.join(METHODS)})")
    resolved = kinds[method]()
    if resolved not in METHODS:
        raise PlanError(f"policy method {resolved!r} is not implemented")
    return resolved


def plan(method: str, policy: Policy, keys: RolloverKeys | Mapping, started_at: object, *,
         dnskey_presign: bool = True) -> Plan:
    """Plan a rollover.

    ``method``: a kind or a method id (:func:`resolve_method`); ``keys``: a
    :class:`RolloverKeys` or a mapping of the same shape (keys as :class:`Key`
    or dicts); ``started_at``: when the first step may run.

    ``dnskey_presign`` (algorithm rollover only): can the engine sign the
    DNSKEY RRset with the new KSK before publishing it (RFC 6781 section
    4.1.4, figure "new RRSIGs")? When it cannot (Knot), the new KSK's DNSKEY
    and its DNSKEY signature are added in the same step."""
    method_id = resolve_method(method, policy)
    keys = RolloverKeys.from_value(keys)
    started = to_epoch(started_at, "started_at")
    registry = _registry(keys)
    if not keys.current:
        raise PlanError("no current keys: a zone without keys is signed for the first time by zone_keys, "
                        "not rolled over")
    initial = at_rest(keys.current, keys.standby, policy.dnskey_ttl)
    if method_id == ALGORITHM_CONSERVATIVE and not dnskey_presign:
        spec = _algorithm_conservative(policy, keys, initial, dnskey_presign=False)
    else:
        spec = _BUILDERS[method_id](policy, keys, initial)
    steps, initial_observations = _timed_steps(policy, registry, initial, spec, started)
    return Plan(method=method_id, kind=METHODS[method_id], started_at=started, policy=policy.to_dict(),
                digest_type=policy.digest_type, keys=registry, initial=initial, steps=tuple(steps),
                after=spec.after, initial_observations=initial_observations)


def _registry(keys: RolloverKeys) -> dict:
    groups = {"current": keys.current, "new": keys.new, "standby": keys.standby,
              "new_standby": keys.new_standby}
    seen: dict = {}
    for group, members in groups.items():
        for key in members:
            if seen.setdefault(key.id, group) != group:
                raise PlanError(f"key {key.label} (id {key.id}) is in both keys.{seen[key.id]} and "
                                f"keys.{group}")
    registry: dict = {}
    labels: dict = {}
    for key in keys.all():
        if key.id in registry and registry[key.id] != key:
            raise PlanError(f"key id {key.id} is given twice with different data")
        if key.label in labels and labels[key.label] != key.id:
            raise PlanError(f"keys {labels[key.label]} and {key.id} have the same key tag and algorithm "
                            f"({key.label}): observations could not tell them apart; generate another key")
        registry[key.id] = key
        labels[key.label] = key.id
    return registry


def _timed_steps(policy: Policy, registry: dict, initial: KeySet, spec: _MethodSpec,
                 started: int) -> tuple[list, dict]:
    specs = [*spec.steps, _StepSpec("complete", "rollover complete: every cache holds only the final key set",
                                    "RFC 7583 section 3 (all old RRsets expired from caches)",
                                    spec.steps[-1].target)]
    steps: list = []
    observations: dict = {}
    before_previous, previous = initial, initial
    when = started
    for index, item in enumerate(specs):
        if index == 0:
            intervals: tuple = ()
            gates: tuple = ()
            if spec.first_gate is not None:
                observed, wait, formula, since = spec.first_gate
                gate = _gate(registry, policy, "ds", 0, None, observed, wait, formula)
                gates = (gate,)
                if since is not None:
                    observations[gate.id] = GateObservation(satisfied_since=since,
                                                            text="standby DS observed before the rollover")
            else:
                gates = (Gate(id="step1.none", kind=GATE_NONE, observes_step=None, expected={}, wait=0,
                              wait_formula="none", description="nothing to observe before the first step"),)
        else:
            intervals, gates = _transition(policy, registry, before_previous, previous, index)
        interval = max((i.seconds for i in intervals), default=0)
        when += interval
        steps.append(Step(index=index, name=item.name, title=item.title, rfc=item.rfc, target=item.target,
                          changes=item.target.changes_from(previous), interval=interval, intervals=intervals,
                          earliest=when, gates=gates))
        before_previous, previous = previous, item.target
    return steps, observations


def _transition(policy: Policy, registry: dict, before: KeySet, after: KeySet,
                index: int) -> tuple[tuple, tuple]:
    """Intervals and gates of step ``index``, which follows the change ``before`` -> ``after``."""
    intervals, gates = [], []
    p = policy
    dnskey_changed = (before.dnskey, before.dnskey_signers, before.dnskey_ttl) != \
        (after.dnskey, after.dnskey_signers, after.dnskey_ttl)
    if dnskey_changed:
        removes = bool(set(before.dnskey) - set(after.dnskey)
                       or set(before.dnskey_signers) - set(after.dnskey_signers))
        safety_name, safety = ("Irsafety", p.retire_safety) if removes else ("Ipsafety", p.publish_safety)
        name = "IretC" if removes else "Ipub"
        ttl = before.dnskey_ttl
        seconds = p.propagation_delay + ttl + safety
        symbolic = f"Dprp + TTLkey + {safety_name}"
        numbers = f"{p.propagation_delay} + {ttl} + {safety}"
        intervals.append(Interval(name, "DNSKEY", seconds, f"{name} = {symbolic} = {numbers} = {seconds} s"))
        gates.append(_gate(registry, p, "dnskey", index, index - 1, after, seconds,
                           f"{symbolic} ({numbers} = {seconds} s)"))
    if before.zone_signers != after.zone_signers:
        removes = bool(set(before.zone_signers) - set(after.zone_signers))
        safety_name, safety = ("Irsafety", p.retire_safety) if removes else ("Ipsafety", p.publish_safety)
        name = "Iret" if removes else "Isig"
        ttl = p.ttl_sig
        seconds = p.signing_delay + p.propagation_delay + ttl + safety
        wait = p.propagation_delay + ttl + safety
        intervals.append(Interval(name, "RRSIG", seconds,
                                  f"{name} = Dsgn + Dprp + TTLsig + {safety_name} = {p.signing_delay} + "
                                  f"{p.propagation_delay} + {ttl} + {safety} = {seconds} s"))
        gates.append(_gate(registry, p, "rrsig", index, index - 1, after, wait,
                           f"Dprp + TTLsig + {safety_name} ({p.propagation_delay} + {ttl} + {safety} = "
                           f"{wait} s)"))
    if before.ds != after.ds:
        removes = bool(set(before.ds) - set(after.ds))
        safety_name, safety = ("Irsafety", p.retire_safety) if removes else ("Ipsafety", p.publish_safety)
        name = "IretP" if removes else "IpubP"
        seconds = p.registration_delay + p.parent_propagation_delay + p.ds_ttl + safety
        wait = p.parent_propagation_delay + p.ds_ttl + safety
        intervals.append(Interval(name, "DS", seconds,
                                  f"{name} = Dreg + DprpP + TTLds + {safety_name} = {p.registration_delay} + "
                                  f"{p.parent_propagation_delay} + {p.ds_ttl} + {safety} = {seconds} s"))
        gates.append(_gate(registry, p, "ds", index, index - 1, after, wait,
                           f"DprpP + TTLds + {safety_name} ({p.parent_propagation_delay} + {p.ds_ttl} + "
                           f"{safety} = {wait} s)"))
    if not gates:
        gates.append(Gate(id=f"step{index + 1}.none", kind=GATE_NONE, observes_step=index - 1, expected={},
                          wait=0, wait_formula="none", description="nothing changed in the step before"))
    return tuple(intervals), tuple(gates)


def _gate(registry: dict, policy: Policy, what: str, index: int, observes: int | None, keyset: KeySet,
          wait: int, formula: str) -> Gate:
    def entries(ids: Iterable[str], ds: bool = False) -> list:
        out = []
        for key_id in ids:
            key = registry[key_id]
            entry = {"key_tag": key.tag, "algorithm": key.algorithm, "key_id": key.id}
            if ds:
                entry["digest_type"] = policy.digest_type
            out.append(entry)
        return sorted(out, key=lambda e: (e["algorithm"], e["key_tag"]))

    def names(ids: Iterable[str]) -> str:
        return ", ".join(sorted(registry[i].label for i in ids)) or "none"

    gate_id = f"step{index + 1}.{what}"
    if what == "dnskey":
        expected = {"dnskey": entries(keyset.dnskey), "dnskey_signers": entries(keyset.dnskey_signers),
                    "ttl": keyset.dnskey_ttl}
        description = (f"DNSKEY RRset {{{names(keyset.dnskey)}}} (TTL {keyset.dnskey_ttl}, signed by "
                       f"{names(keyset.dnskey_signers)}) on all authoritative servers")
        kind = GATE_DNSKEY
    elif what == "rrsig":
        expected = {"zone_signers": entries(keyset.zone_signers)}
        description = f"zone RRSIGs by exactly {{{names(keyset.zone_signers)}}} on all authoritative servers"
        kind = GATE_RRSIG
    else:
        expected = {"ds": entries(keyset.ds, ds=True), "digest_type": policy.digest_type}
        shown = ", ".join(f"{registry[i].label}/{policy.digest_type}" for i in keyset.ds) or "none"
        description = f"DS RRset {{{shown}}} on all parent servers"
        kind = GATE_DS
    return Gate(id=gate_id, kind=kind, observes_step=observes, expected=expected, wait=wait,
                wait_formula=formula, description=description)


def _one(keys: Iterable[Key], roles: tuple[str, ...], where: str, method: str) -> Key:
    found = [k for k in keys if k.role in roles]
    if len(found) != 1:
        have = ", ".join(f"{k.role.upper()} {k.label}" for k in keys) or "none"
        raise PlanError(f"{method}: needs exactly one {'/'.join(r.upper() for r in roles)} in keys.{where} "
                        f"(given: {have})")
    return found[0]


def _unique(keys: Iterable[Key]) -> list:
    seen: dict = {}
    for key in keys:
        seen.setdefault(key.id, key)
    return list(seen.values())


def _same_algorithm(old: Key, new: Key, method: str) -> None:
    if old.algorithm != new.algorithm:
        raise PlanError(f"{method}: the new key {new.label} has algorithm {new.algorithm}, the old one "
                        f"{old.label} algorithm {old.algorithm}; changing the algorithm is an algorithm "
                        "rollover (method 'algorithm')")


def _after(keys: RolloverKeys, *, current_remove: Iterable[Key] = (), current_add: Iterable[Key] = (),
           standby_remove: Iterable[Key] = (), standby_add: Iterable[Key] = ()) -> dict:
    removed = _ids(current_remove)
    current = (set(_ids(keys.current)) - set(removed)) | set(_ids(current_add))
    standby = (set(_ids(keys.standby)) - set(_ids(standby_remove))) | set(_ids(standby_add))
    retired = (set(removed) | set(_ids(standby_remove))) - current - standby
    return {"current": sorted(current), "standby": sorted(standby), "retired": sorted(retired)}


def _zsk_pre_publish(policy: Policy, keys: RolloverKeys, rest: KeySet) -> _MethodSpec:
    method = ZSK_PRE_PUBLISH
    old = _one(keys.current, ("zsk",), "current", method)
    new = _one(keys.new, ("zsk",), "new", method)
    _same_algorithm(old, new, method)
    s1 = rest.evolve(dnskey_add=[new])
    s2 = s1.evolve(zone_signers_remove=[old], zone_signers_add=[new])
    s3 = s2.evolve(dnskey_remove=[old])
    rfc = "RFC 7583 section 3.2.1"
    return _MethodSpec(steps=[
        _StepSpec("publish", f"publish ZSK {new.label} in the DNSKEY RRset", f"{rfc}: Tpub(N+1)", s1),
        _StepSpec("activate", f"sign the zone with ZSK {new.label} instead of {old.label}",
                  f"{rfc}: Tact(N+1) = Tret(N) >= Tpub(N+1) + Ipub", s2),
        _StepSpec("remove", f"remove ZSK {old.label} from the DNSKEY RRset",
                  f"{rfc}: Trem(N) >= Tret(N) + Iret", s3),
    ], after=_after(keys, current_remove=[old], current_add=[new]), takeover=1)


def _ksk_double_ds(policy: Policy, keys: RolloverKeys, rest: KeySet) -> _MethodSpec:
    method = KSK_DOUBLE_DS
    old = _one(keys.current, ("ksk",), "current", method)
    new = _one(keys.new, ("ksk",), "new", method)
    _same_algorithm(old, new, method)
    s1 = rest.evolve(ds_add=[new])
    s2 = s1.evolve(dnskey_remove=[old], dnskey_signers_remove=[old], dnskey_add=[new],
                   dnskey_signers_add=[new])
    s3 = s2.evolve(ds_remove=[old])
    rfc = "RFC 7583 section 3.3.2 (Double-DS)"
    return _MethodSpec(steps=[
        _StepSpec("ds-add", f"add DS {new.label} at the parent beside DS {old.label}",
                  f"{rfc}: Tsbm(N+1)", s1),
        _StepSpec("swap-ksk", f"replace KSK {old.label} by {new.label} in the DNSKEY RRset and its signature",
                  f"{rfc}: Tact(N+1) = Tret(N) >= Tsbm(N+1) + Dreg + IpubP", s2),
        _StepSpec("ds-remove", f"remove DS {old.label} from the parent",
                  f"{rfc}: Trem(N) >= Tret(N) + IretC", s3),
    ], after=_after(keys, current_remove=[old], current_add=[new]), takeover=1)


def _ksk_double_ksk(policy: Policy, keys: RolloverKeys, rest: KeySet, method: str = KSK_DOUBLE_KSK,
                    role: str = "ksk", short_ttl: bool = False) -> _MethodSpec:
    old = _one(keys.current, (role,), "current", method)
    new = _one(keys.new, (role,), "new", method)
    _same_algorithm(old, new, method)
    name = role.upper()
    s1 = rest.evolve(dnskey_add=[new], dnskey_signers_add=[new],
                     dnskey_ttl=policy.emergency_dnskey_ttl if short_ttl else None)
    if role == "csk":
        s2 = s1.evolve(ds_remove=[old], ds_add=[new], zone_signers_remove=[old], zone_signers_add=[new])
    else:
        s2 = s1.evolve(ds_remove=[old], ds_add=[new])
    s3 = s2.evolve(dnskey_remove=[old], dnskey_signers_remove=[old],
                   dnskey_ttl=policy.dnskey_ttl if short_ttl else None)
    if role == "csk":
        rfc = "RFC 7583 sections 3.2.1 and 3.3.1 (a CSK rolls as a pre-published ZSK and a Double-KSK KSK)"
        swap = (f"replace DS {old.label} by {new.label} at the parent and sign the zone with CSK {new.label} "
                f"instead of {old.label}")
    else:
        rfc = "RFC 7583 section 3.3.1 (Double-KSK)"
        if short_ttl:
            rfc = "RFC 6781 section 4.2.1.1 (emergency, chain kept) with " + rfc
        swap = f"replace DS {old.label} by {new.label} at the parent"
    ttl_words = f", DNSKEY TTL lowered to {policy.emergency_dnskey_ttl} s" if short_ttl else ""
    restore = f", DNSKEY TTL back to {policy.dnskey_ttl} s" if short_ttl else ""
    return _MethodSpec(steps=[
        _StepSpec("publish", f"publish {name} {new.label} and sign the DNSKEY RRset with it{ttl_words}",
                  f"{rfc}: Tpub(N+1)", s1),
        _StepSpec("ds-swap", swap, f"{rfc}: Tsbm(N+1) >= Tpub(N+1) + IpubC", s2),
        _StepSpec("remove", f"remove {name} {old.label} from the DNSKEY RRset{restore}",
                  f"{rfc}: Trem(N) >= Tsbm(N+1) + Dreg + Iret", s3),
    ], after=_after(keys, current_remove=[old], current_add=[new]), takeover=1)


def _csk_double_ksk(policy: Policy, keys: RolloverKeys, rest: KeySet) -> _MethodSpec:
    return _ksk_double_ksk(policy, keys, rest, method=CSK_DOUBLE_KSK, role="csk")


def _emergency_double_ksk(policy: Policy, keys: RolloverKeys, rest: KeySet) -> _MethodSpec:
    if any(k.role == "csk" for k in keys.current):
        raise PlanError(f"{EMERGENCY_DOUBLE_KSK}: the zone uses a CSK; roll it with kind 'csk' (the fastest "
                        "safe sequence for a CSK)")
    return _ksk_double_ksk(policy, keys, rest, method=EMERGENCY_DOUBLE_KSK, short_ttl=True)


def _emergency_standby(policy: Policy, keys: RolloverKeys, rest: KeySet) -> _MethodSpec:
    method = EMERGENCY_STANDBY
    old = _one(keys.current, ("ksk",), "current", method)
    if not keys.standby:
        raise PlanError(f"{method}: no standby KSK whose DS is at the parent (keys.standby is empty); use "
                        f"the emergency method without standby ({EMERGENCY_DOUBLE_KSK})")
    standby = keys.standby[0]
    if standby.role != "ksk":
        raise PlanError(f"{method}: standby key {standby.label} has role {standby.role}, not ksk")
    _same_algorithm(old, standby, method)
    for key in keys.new_standby:
        _same_algorithm(old, key, method)
    s1 = rest.evolve(dnskey_remove=[old], dnskey_signers_remove=[old], dnskey_add=[standby],
                     dnskey_signers_add=[standby])
    s2 = s1.evolve(ds_remove=[old], ds_add=keys.new_standby)
    rfc = "RFC 6781 section 4.2.4 (standby KSK)"
    wait = policy.parent_propagation_delay + policy.ds_ttl + policy.publish_safety
    formula = (f"DprpP + TTLds + Ipsafety ({policy.parent_propagation_delay} + {policy.ds_ttl} + "
               f"{policy.publish_safety} = {wait} s)")
    added = ", ".join(k.label for k in keys.new_standby)
    return _MethodSpec(steps=[
        _StepSpec("activate-standby", f"replace the compromised KSK {old.label} by standby KSK "
                  f"{standby.label} in the DNSKEY RRset and its signature",
                  f"{rfc}: the standby's DS is in every cache", s1),
        _StepSpec("ds-remove", f"remove DS {old.label} from the parent"
                  + (f" and add DS {added} (the next standby)" if added else ""),
                  f"{rfc} with RFC 7583 section 3.3.2: Trem(N) >= Tret(N) + IretC", s2),
    ], after=_after(keys, current_remove=[old], current_add=[standby], standby_remove=[standby],
                    standby_add=keys.new_standby), takeover=0,
        first_gate=(rest, wait, formula, standby.ds_observed))


def _algorithm_conservative(policy: Policy, keys: RolloverKeys, rest: KeySet,
                            dnskey_presign: bool = True) -> _MethodSpec:
    method = ALGORITHM_CONSERVATIVE
    old, new = list(keys.current), list(keys.new)
    old_algorithms = {k.algorithm for k in old}
    new_algorithms = {k.algorithm for k in new}
    if len(old_algorithms) != 1:
        raise PlanError(f"{method}: the current keys use several algorithms {sorted(old_algorithms)}; finish "
                        "the running algorithm rollover first")
    if len(new_algorithms) != 1:
        raise PlanError(f"{method}: keys.new must be the complete key set of one new algorithm "
                        f"(given algorithms: {sorted(new_algorithms) or 'none'})")
    old_alg, new_alg = old_algorithms.pop(), new_algorithms.pop()
    if old_alg == new_alg:
        raise PlanError(f"{method}: the new keys have the same algorithm {new_alg} as the current ones; "
                        "that is a ZSK, KSK or CSK rollover")
    if not any(k.signs_dnskey for k in new) or not any(k.signs_zone for k in new):
        raise PlanError(f"{method}: keys.new must hold a KSK and a ZSK, or a CSK, of algorithm {new_alg}")
    for key in keys.new_standby:
        if key.algorithm != new_alg:
            raise PlanError(f"{method}: new standby {key.label} is not of the new algorithm {new_alg}")
    old_sep = [k for k in old if k.signs_dnskey]
    old_zone = [k for k in old if k.signs_zone]
    new_sep = [k for k in new if k.signs_dnskey]
    new_zone = [k for k in new if k.signs_zone]
    # A DS of the old algorithm left at the parent once the old DNSKEYs are gone
    # would break strict validators (RFC 6840 section 5.11): old standbys go too.
    old_standby = [k for k in keys.standby if k.algorithm == old_alg]
    if dnskey_presign:
        s1 = rest.evolve(zone_signers_add=new_zone, dnskey_signers_add=new_sep)
        s2 = s1.evolve(dnskey_add=new)
    else:
        # Engines whose KSK signs the DNSKEY RRset exactly while it is published
        # (Knot): the new KSK's DNSKEY and its signature over the DNSKEY RRset
        # arrive together, in one RRset version, so no cache can hold one without
        # the other; the zone data is signed by the new algorithm first, as before.
        s1 = rest.evolve(zone_signers_add=new_zone)
        s2 = s1.evolve(dnskey_add=new, dnskey_signers_add=new_sep)
    s3 = s2.evolve(ds_remove=[*old_sep, *old_standby], ds_add=[*new_sep, *keys.new_standby])
    s4 = s3.evolve(dnskey_remove=old, dnskey_signers_remove=old_sep)
    s5 = s4.evolve(zone_signers_remove=old_zone)
    rfc = "RFC 6781 section 4.1.4 (conservative algorithm rollover)"

    def labels(items: list) -> str:
        return ", ".join(k.label for k in items)

    first_signers = _unique(new_sep + new_zone) if dnskey_presign else new_zone
    return _MethodSpec(steps=[
        _StepSpec("sign-new", f"add signatures by {labels(first_signers)} "
                  f"(algorithm {new_alg}) beside those of algorithm {old_alg}", f"{rfc}: new RRSIGs", s1),
        _StepSpec("publish-new", f"publish DNSKEY {labels(new)} (algorithm {new_alg})"
                  + ("" if dnskey_presign else f" and sign the DNSKEY RRset with {labels(new_sep)}"),
                  f"{rfc}: new DNSKEY, after Dsgn + Dprp + TTLsig", s2),
        _StepSpec("ds-swap", f"replace DS {labels(old_sep + old_standby)} by DS "
                  f"{labels(new_sep + list(keys.new_standby))} at the parent",
                  f"{rfc}: new DS, after Ipub", s3),
        _StepSpec("unpublish-old",
                  f"remove DNSKEY {labels(old)} (algorithm {old_alg}) and its DNSKEY signature",
                  f"{rfc}: DNSKEY removal, after Dreg + DprpP + TTLds", s4),
        _StepSpec("unsign-old", f"stop signing the zone with algorithm {old_alg} ({labels(old_zone)})",
                  f"{rfc}: RRSIGs removal, after Dprp + TTLkey", s5),
    ], after=_after(keys, current_remove=old, current_add=new, standby_remove=old_standby,
                    standby_add=keys.new_standby), takeover=2)


_BUILDERS = {
    ZSK_PRE_PUBLISH: _zsk_pre_publish,
    KSK_DOUBLE_DS: _ksk_double_ds,
    KSK_DOUBLE_KSK: _ksk_double_ksk,
    CSK_DOUBLE_KSK: _csk_double_ksk,
    ALGORITHM_CONSERVATIVE: _algorithm_conservative,
    EMERGENCY_STANDBY: _emergency_standby,
    EMERGENCY_DOUBLE_KSK: _emergency_double_ksk,
}


# -- scheduling -------------------------------------------------------------------

@dataclass(frozen=True)
class RolloverSummary:
    """Length of a method's rollover for a policy, if every step runs at its earliest."""

    method: str
    total: int  # start -> complete
    lead: int  # start -> the step where the new key takes over
    formula: str  # "Ipub + Iret + IretC"


def rollover_duration(policy: Policy, kind: str) -> RolloverSummary:
    """How long one rollover of ``kind`` (or a method id) takes under ``policy``."""
    method = resolve_method(kind, policy)
    example = _example_plan(method, policy)
    takeover = _BUILDERS[method](policy, _example_keys(method, policy), example.initial).takeover
    names = [" + ".join(i.name for i in s.intervals if i.seconds == s.interval) or "0"
             for s in example.steps[1:]]
    lead = example.steps[takeover].earliest - example.started_at
    return RolloverSummary(method=method, total=example.duration, lead=lead, formula=" + ".join(names))


def _example_keys(method: str, policy: Policy) -> RolloverKeys:
    alg = policy.algorithm
    other = 8 if alg != 8 else 13
    if method == CSK_DOUBLE_KSK:
        return RolloverKeys(current=(Key("c1", 1, alg, "csk"),), new=(Key("c2", 2, alg, "csk"),))
    current = (Key("k1", 1, alg, "ksk"), Key("z1", 2, alg, "zsk"))
    if method == ZSK_PRE_PUBLISH:
        return RolloverKeys(current=current, new=(Key("z2", 3, alg, "zsk"),))
    if method == ALGORITHM_CONSERVATIVE:
        return RolloverKeys(current=current, new=(Key("k2", 3, other, "ksk"), Key("z2", 4, other, "zsk")))
    if method == EMERGENCY_STANDBY:
        return RolloverKeys(current=current, standby=(Key("s1", 3, alg, "ksk", ds_observed=0),))
    return RolloverKeys(current=current, new=(Key("k2", 3, alg, "ksk"),))


def _example_plan(method: str, policy: Policy) -> Plan:
    return plan(method, policy, _example_keys(method, policy), 0)


@dataclass(frozen=True)
class RolloverDue:
    """Is a scheduled (lifetime-driven) rollover of a key due?"""

    due: bool
    at: int | None
    kind: str | None
    method: str | None
    reason: str

    def to_dict(self) -> dict:
        return {"due": self.due, "at": self.at,
                "due_at": format_time(self.at) if self.at is not None else None,
                "kind": self.kind, "method": self.method, "reason": self.reason}


def rollover_due(policy: Policy, key: Key | Mapping, now: object) -> RolloverDue:
    """Scheduled rollover of ``key``: due when
    ``now >= activated + lifetime - lead``, where lead is the time from the
    rollover's start to the step where the successor takes over (ZSK: Ipub;
    KSK Double-DS: Dreg + IpubP; Double-KSK and CSK: IpubC), so the successor
    takes over when the key's lifetime ends (RFC 7583 section 3.2.1:
    Tpub(N+1) <= Tact(N) + Lzsk - Ipub)."""
    key = Key.from_value(key)
    now = to_epoch(now, "now")
    kind = key.role
    name = f"{kind.upper()} {key.label}"
    lifetime = getattr(policy, f"{kind}_lifetime")
    if lifetime == 0:
        return RolloverDue(False, None, kind, None, f"{name}: {kind}_lifetime is 0, no scheduled rollover")
    if key.activated is None:
        return RolloverDue(False, None, kind, None,
                           f"{name} has no activation time, so its lifetime cannot be counted; record when "
                           "it started signing")
    summary = rollover_duration(policy, kind)
    at = key.activated + lifetime - summary.lead
    ends = key.activated + lifetime
    text = (f"{name} active since {format_time(key.activated)}, {kind}_lifetime {format_duration(lifetime)}: "
            f"successor takes over at {format_time(ends)}, so {summary.method} starts "
            f"{format_duration(summary.lead)} earlier, at {format_time(at)}")
    if now >= at:
        return RolloverDue(True, at, kind, summary.method, f"due: {text}")
    return RolloverDue(False, at, kind, summary.method, f"not due: {text}")
