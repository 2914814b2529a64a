# Copyright: rsp.dnssec contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt)
"""The executor: one zone at a time, the library's decisions carried out in a crash-safe order.

For every zone it is given, :class:`Lifecycle`

1. takes the zone's lock and loads its state (:mod:`..journal`), asks the engine
   for the zone's keys and checks that both agree (a disagreement stops the
   zone with the journal's message: which key, what each side says);
2. finishes what a killed run left half done (the state names it: a key
   decided but not imported, timers decided but not set, a step begun);
3. asks the planner (:mod:`..timing`) what is next, observes the gates the
   planner names (:mod:`.gates`, the parent adapter), and performs the step
   when it is due: engine timers (:mod:`..engine`), then the parent's DS
   (:mod:`..parent`);
4. records the observation, the step and an audit entry.

Order of writes (why a kill at any instant converges)
----------------------------------------------------
* A new key's CKA_ID is written to the state (status ``importing``) *before*
  the key is generated; its key tag once it exists; it is imported into the
  engine; only then is it recorded ``active``. Killed anywhere, the next run
  finds the id in the state and generates, or finds, and imports that key:
  never a second key, never a key the state does not name.
* A step's engine timers and DS set are written to the state (``performing``,
  with the timers as ``pending_timers``) *before* the engine or the parent is
  touched; then the engine, then the parent, then the state records the step
  as performed. The next run sees ``performing`` and redoes the same writes
  (each is idempotent: the engine is already so, the parent already serves
  that DS), then records the step. The step's time is when it was completed,
  so every later wait only gets longer.
* A key leaves the zone (remove timer, then the engine's archive) only after
  the state marks it ``leaving``; it is never deleted from the HSM by a
  rollover. :meth:`Lifecycle.purge` destroys archived keys after the
  retention period, audited, and again records its intent first.

Test hook
---------
``RSP_DNSSEC_TEST_CRASH_AT=<point>[@<zone>][,...]`` in the environment of a run
makes the executor end its process at once (``os._exit(1)``, like a kill) when
it reaches that point, for tests of the above: ``key-generated`` (the new HSM
key exists, the engine has not imported it), ``key-imported`` (the engine
has it, the state does not say so), ``timers-set`` (engine timers set for a
step, parent not updated, state not recorded), ``parent-updated`` (DS at the
parent changed, step not recorded), ``key-archived`` (the engine archived a
key, the state does not say so), ``hsm-destroyed`` (purge: HSM object
destroyed, not recorded). Never set it in production.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field

from ansible_collections.rsp.dnssec.plugins.module_utils.dnssec import timing
from ansible_collections.rsp.dnssec.plugins.module_utils.dnssec.algorithms import (
    AlgorithmError,
    lookup,
    signing_algorithm,
)
from ansible_collections.rsp.dnssec.plugins.module_utils.dnssec.engine.base import (
    TIMER_NAMES,
    DSRecord,
    EngineAdapter,
    EngineError,
    EngineKey,
    KeyTimers,
    key_functions,
    normalise_zone,
)
from ansible_collections.rsp.dnssec.plugins.module_utils.dnssec.hsm import HSMError
from ansible_collections.rsp.dnssec.plugins.module_utils.dnssec.journal import (
    JournalError,
    ZoneJournal,
    assert_agrees,
    compare_with_engine,
    iso,
    record_key,
    set_pending,
)
from ansible_collections.rsp.dnssec.plugins.module_utils.dnssec.lifecycle.gates import (
    ZoneObserver,
    dnskey_gate_evidence,
    rrsig_gate_evidence,
)
from ansible_collections.rsp.dnssec.plugins.module_utils.dnssec.lifecycle.hsmkeys import NewKey, new_key
from ansible_collections.rsp.dnssec.plugins.module_utils.dnssec.observe import (
    Evidence,
    ObservationError,
    ds_tuple,
    track_since,
)
from ansible_collections.rsp.dnssec.plugins.module_utils.dnssec.parent.base import (
    ParentAdapter,
    ParentError,
    ds_dicts,
    ds_names,
)
from ansible_collections.rsp.dnssec.plugins.module_utils.dnssec.policy import Policy, PolicyError, format_duration

CRASH_ENV = "RSP_DNSSEC_TEST_CRASH_AT"
CRASH_POINTS = ("key-generated", "key-imported", "timers-set", "parent-updated", "key-archived",
                "hsm-destroyed")
DEFAULT_RETENTION = 30 * 86400
ZONES_SUBDIR = "zones"
MAX_STEPS_PER_RUN = 16

KINDS = ("zsk", "ksk", "csk", "algorithm", "emergency_ksk")

OPERATOR_ERRORS = (EngineError, JournalError, HSMError, ParentError, timing.PlanError, PolicyError,
                   ObservationError, AlgorithmError)


class ExecutorError(Exception):
    """The zone cannot proceed; ``str(error)`` says why and what to do."""


def crash_point(name: str, zone: str) -> None:
    """Test hook: end the process at once at ``name`` when ``RSP_DNSSEC_TEST_CRASH_AT`` asks for it."""
    wanted = os.environ.get(CRASH_ENV)
    if not wanted:
        return
    for item in wanted.split(","):
        point, _sep, where = item.strip().partition("@")
        if point == name and (not where or normalise_zone(where) == zone):
            os._exit(1)


@dataclass
class Settings:
    """What every zone of one task shares."""

    state_dir: str = "/var/lib/rsp-dnssec"
    policy: Policy | None = None
    change_id: str | None = None
    check_mode: bool = False
    actor: str | None = None
    lock_timeout: float = 60.0
    hsm_lock_timeout: float = 300.0
    retention: int = DEFAULT_RETENTION
    parent_type: str | None = None

    @property
    def zones_dir(self) -> str:
        return os.path.join(self.state_dir, ZONES_SUBDIR)


@dataclass
class _Zone:
    """One zone during one run: its journal (locked), state and the engine's keys."""

    name: str
    journal: ZoneJournal
    state: dict
    keys: dict = field(default_factory=dict)  # hsm id -> EngineKey
    archived: set = field(default_factory=set)
    result: dict = field(default_factory=dict)
    changed: bool = False
    ds_cache: dict = field(default_factory=dict)

    def entry(self, hsm_id: str) -> dict:
        return self.state["keys"][hsm_id]

    def entries(self, *, use: str | None = None, status: str = "active") -> list[dict]:
        return [e for e in self.state["keys"].values()
                if (use is None or e.get("use") == use) and (status is None or e.get("status") == status)]

    def did(self, text: str) -> None:
        self.changed = True
        self.result.setdefault("actions", []).append(text)


def _key_of(entry: Mapping) -> timing.Key:
    return timing.Key(id=entry["hsm_id"], tag=int(entry["tag"]), algorithm=int(entry["algorithm"]),
                      role=entry["role"], activated=entry.get("activated"), ds_observed=entry.get("ds_observed"))


def _functions_for(role: str, published: bool, signs: bool) -> tuple[bool, bool, bool]:
    return published, signs and role in ("ksk", "csk"), signs and role in ("zsk", "csk")


def _blank(key: NewKey | Mapping, tag: int) -> EngineKey:
    data = key.to_dict() if isinstance(key, NewKey) else key
    return EngineKey(key_id=data["hsm_id"], hsm_id=data["hsm_id"], tag=int(tag), algorithm=int(data["algorithm"]),
                     role=data["role"])


class Lifecycle:
    """Zone keys, rollovers, status and purge, for every zone of one task.

    ``engine``: the signing-engine adapter; ``observer``: a
    :class:`.gates.ZoneObserver` (the zone's authoritative servers);
    ``parent``: a parent adapter (needed for DS steps and their gates);
    ``hsm``: a :class:`.hsmkeys.HSMKeys` (needed to generate or purge keys);
    ``clock`` and ``crash`` are injectable for tests.
    """

    def __init__(self, settings: Settings, engine: EngineAdapter, *, observer: ZoneObserver | None = None,
                 parent: ParentAdapter | None = None, hsm=None, clock: Callable[[], float] = time.time,
                 crash: Callable[[str, str], None] = crash_point) -> None:
        self.settings = settings
        self.engine = engine
        self.observer = observer
        self.parent = parent
        self.hsm = hsm
        self.clock = clock
        self.crash = crash

    # -- running over zones -------------------------------------------------------------------

    def run(self, zones: Iterable[str], operation: Callable[[str], dict]) -> tuple[dict, list[str]]:
        """``operation`` on every zone; an operator error stops that zone only.
        Returns (zone -> result, zones that failed)."""
        results, failed = {}, []
        for zone in zones:
            name = normalise_zone(zone)
            try:
                results[name] = operation(name)
            except (ExecutorError, *OPERATOR_ERRORS) as exc:
                results[name] = {"zone": name, "changed": False, "failed": True, "msg": str(exc)}
                failed.append(name)
        return results, failed

    def now(self) -> int:
        return int(self.clock())

    # -- opening a zone -------------------------------------------------------------------------

    def _open(self, zone: str, *, lock: bool = True) -> _Zone:
        self.engine.check_zone(zone)
        journal = ZoneJournal(self.settings.zones_dir, zone, actor=self.settings.actor,
                              lock_timeout=self.settings.lock_timeout, clock=self.clock)
        if lock and not self.settings.check_mode:
            journal.lock()
        try:
            state = journal.load()
            state.setdefault("history", [])
            ctx = _Zone(zone, journal, state, result={"zone": zone, "changed": False})
            self._refresh(ctx)
            self._reconcile_leaving(ctx)
            never = {e["hsm_id"] for e in state["keys"].values() if e.get("never_imported")}
            assert_agrees(state, ctx.keys.values(), sorted(ctx.archived | never) if ctx.archived else ())
        except BaseException:
            journal.unlock()
            raise
        return ctx

    def _refresh(self, ctx: _Zone, *, archive: bool | None = None) -> None:
        ctx.keys = {(k.hsm_id or k.key_id): k for k in self.engine.list_keys(ctx.name)}
        if archive is None:  # the engine's archive matters once the state has archived or leaving keys
            archive = any(e.get("status") == "archived" or e.get("leaving") for e in ctx.state["keys"].values())
        archived = getattr(self.engine, "archived_keys", None)
        if archive and archived is not None:
            ctx.archived = {(k.hsm_id or k.key_id) for k in archived(ctx.name)}

    def _reconcile_leaving(self, ctx: _Zone) -> None:
        """A key the state marked as leaving, which the engine has archived (a run
        killed between the archive and the state write): record it archived."""
        for hsm_id, entry in ctx.state["keys"].items():
            if entry.get("status") == "active" and entry.get("leaving") and hsm_id not in ctx.keys \
                    and hsm_id in ctx.archived:
                self._mark_archived(ctx, hsm_id)

    def _mark_archived(self, ctx: _Zone, hsm_id: str) -> None:
        now = self.now()
        entry = ctx.entry(hsm_id)
        entry.update(status="archived", archived_at=now, archived=iso(now), use="retired")
        entry.pop("pending_timers", None)
        entry.pop("leaving", None)

    def _save(self, ctx: _Zone) -> None:
        if self.settings.check_mode:
            return
        ctx.state = ctx.journal.save(ctx.state)

    def _audit(self, ctx: _Zone, step: str, *, keys: Iterable = (), observations: Iterable = (),
               details: Mapping | None = None, change_id: str | None = None, result: str = "done") -> None:
        if self.settings.check_mode:
            return
        ctx.journal.append(step, change_id=change_id if change_id is not None else self.settings.change_id,
                           keys=list(keys), observations=list(observations), details=details, result=result)

    def _close(self, ctx: _Zone) -> dict:
        ctx.journal.unlock()
        ctx.result["changed"] = ctx.changed
        return ctx.result

    # -- keys: decide, generate, import (crash-safe) ----------------------------------------------

    def _require_hsm(self, ctx: _Zone, why: str):
        if self.hsm is None:
            raise ExecutorError(f"zone {ctx.name}: {why}, which needs the HSM: give hsm_token_label and "
                                "hsm_pin or hsm_pin_file")
        return self.hsm

    def _decide_keys(self, ctx: _Zone, wanted: list[tuple[str, int, str, tuple]], at: int) -> list[str]:
        """Write new keys to the state as ``importing`` (CKA_ID decided, nothing
        generated yet). ``wanted``: (role, algorithm, use, functions at ``at``)."""
        policy = self.settings.policy
        ids = []
        for role, algorithm, use, functions in wanted:
            key = new_key(ctx.name, role, algorithm, policy.rsa_bits if policy else 2048, at)
            ctx.state["keys"][key.hsm_id] = {
                "hsm_id": key.hsm_id, "tag": None, "algorithm": key.algorithm, "role": role,
                "status": "importing", "use": use, "label": key.label, "bits": key.bits, "size": key.size,
                "created": at, "functions": list(functions)}
            ids.append(key.hsm_id)
        return ids

    def _import_keys(self, ctx: _Zone, hsm_ids: list[str]) -> None:
        """Generate (or find) the decided keys in the HSM and import them into the engine."""
        if not hsm_ids:
            return
        entries = [ctx.entry(i) for i in hsm_ids]
        missing = [e for e in entries if e["hsm_id"] not in ctx.keys]
        if missing:
            hsm = self._require_hsm(ctx, f"{len(missing)} key(s) must be generated or found in the HSM")
            news = [NewKey(e["hsm_id"], e["label"], int(e["algorithm"]), e["role"], int(e.get("bits") or 0))
                    for e in missing]
            found = hsm.ensure(news, ctx.name)
            generated = [i for i, info in found.items() if info["generated"]]
            if generated:
                ctx.did(f"generated {len(generated)} key(s) in the HSM: {', '.join(generated)}")
            self.crash("key-generated", ctx.name)
            for entry in missing:
                info = found[entry["hsm_id"]]
                entry["tag"] = info["tag"]
                entry["label"] = info.get("label") or entry["label"]
            self._save(ctx)
            for entry in missing:
                functions = entry.get("functions") or [False, False, False]
                at = int(entry.get("created") or self.now())
                timers = KeyTimers.from_mapping(self.engine.timers_for_functions(
                    _blank(entry, entry["tag"]), published=functions[0], signs_dnskey=functions[1],
                    signs_zone=functions[2], at=at))
                _key, changed = self.engine.import_key(ctx.name, entry["hsm_id"], int(entry["algorithm"]),
                                                       entry["role"], int(entry.get("size") or 256), timers)
                if changed:
                    ctx.did(f"imported {entry['role'].upper()} {entry['tag']}/{entry['algorithm']} "
                            f"(HSM id {entry['hsm_id']}) into {self.engine.name}")
            self.crash("key-imported", ctx.name)
            self._refresh(ctx)
        for entry in entries:
            key = ctx.keys[entry["hsm_id"]]
            functions = entry.pop("functions", None) or [False, False, False]
            extra = {}
            if functions[1] or functions[2]:
                extra["activated"] = int(entry.get("created") or self.now())
            record_key(ctx.state, key, status="active", **extra)
        self._save(ctx)
        self._audit(ctx, "keys-imported", keys=[self._key_summary(ctx, i) for i in hsm_ids],
                    details={"keys": [{"hsm_id": e["hsm_id"], "label": e.get("label"), "use": e.get("use")}
                                      for e in entries]})

    def _resume_importing(self, ctx: _Zone) -> None:
        importing = [i for i, e in ctx.state["keys"].items() if e.get("status") == "importing"]
        if importing and not self.settings.check_mode:
            self._import_keys(ctx, importing)

    def _finish_pending(self, ctx: _Zone) -> bool:
        """Set timers a killed run decided (outside a rollover step)."""
        if ctx.state.get("rollover") and ctx.state["rollover"].get("performing"):
            return False
        done = touched = False
        for hsm_id, entry in ctx.state["keys"].items():
            pending = entry.get("pending_timers")
            if pending is None or entry.get("status") != "active" or hsm_id not in ctx.keys:
                continue
            touched = True
            key = ctx.keys[hsm_id]
            changes = {n: pending.get(n) for n in TIMER_NAMES if n != "created"
                       and getattr(key.timers, n) != pending.get(n)}
            if self.settings.check_mode:
                ctx.did(f"would finish setting timers of key {key.tag}")
                continue
            if changes:
                self.engine.set_timers(ctx.name, hsm_id, changes, archived=bool(entry.get("leaving")))
                done = True
            self._refresh(ctx)
            record_key(ctx.state, ctx.keys[hsm_id], status="active")
        if done:
            self.engine.apply(ctx.name)
            ctx.did("finished setting key timers decided by an interrupted run")
        if touched:
            self._save(ctx)
        return done

    def _key_summary(self, ctx: _Zone, hsm_id: str) -> dict:
        entry = ctx.state["keys"].get(hsm_id, {})
        key = ctx.keys.get(hsm_id)
        now = self.now()
        data = {"hsm_id": hsm_id, "tag": entry.get("tag", key.tag if key else None),
                "algorithm": entry.get("algorithm", key.algorithm if key else None),
                "role": entry.get("role", key.role if key else None), "status": entry.get("status"),
                "use": entry.get("use"), "label": entry.get("label")}
        if key is not None:
            published, signs_dnskey, signs_zone = key_functions(key.role, key.timers, now)
            data.update(state=key.state(now), published=published, signs_dnskey=signs_dnskey,
                        signs_zone=signs_zone,
                        timers={n: iso(v) for n, v in key.timers.to_dict().items() if v})
        for name in ("activated", "archived", "ds_observed"):
            if entry.get(name) is not None:
                data[name] = iso(entry[name]) if isinstance(entry[name], int | float) else entry[name]
        return data

    # -- DS ---------------------------------------------------------------------------------------

    def _digest_type(self, ctx: _Zone, plan: timing.Plan | None = None) -> int:
        if plan is not None:
            return plan.digest_type
        return self.settings.policy.digest_type if self.settings.policy else 2

    def _ds(self, ctx: _Zone, hsm_ids: Iterable[str], digest_type: int) -> list:
        """DS records of these keys (from the engine once, then remembered in the key's state entry:
        a key's DS never changes)."""
        records = []
        for hsm_id in sorted(hsm_ids):
            entry = ctx.state["keys"].get(hsm_id) or {}
            known = (entry.get("ds") or {}).get(str(digest_type))
            if known:
                records.extend(DSRecord(ctx.name, d["key_tag"], d["algorithm"], d["digest_type"], d["digest"])
                               for d in known)
                continue
            cache = (hsm_id, digest_type)
            if cache not in ctx.ds_cache:
                ctx.ds_cache[cache] = self.engine.ds_records(ctx.name, hsm_id, [digest_type])
                if entry.get("status") == "active":
                    entry.setdefault("ds", {})[str(digest_type)] = ds_dicts(ctx.ds_cache[cache])
            records.extend(ctx.ds_cache[cache])
        return records

    @staticmethod
    def _ds_text(records: Iterable, ttl: int | None = None) -> list[str]:
        return [r.to_text(ttl) if hasattr(r, "to_text") else str(r) for r in records]

    # -- zone_keys ---------------------------------------------------------------------------------

    def zone_keys(self, zone: str) -> dict:
        """Bring ``zone`` to its policy's key set at rest (see the module ``zone_keys``)."""
        policy = self.settings.policy
        if policy is None:
            raise ExecutorError("zone_keys needs the policy")
        ctx = self._open(zone)
        try:
            self._check_engine_policy(ctx, policy)
            self._resume_importing(ctx)
            self._finish_pending(ctx)
            rollover = ctx.state.get("rollover")
            if rollover:
                ctx.result["rollover"] = self._rollover_brief(ctx)
                ctx.result["notes"] = [f"a {rollover.get('method')} rollover is in progress: zone_keys leaves "
                                       "the keys to it (rsp.dnssec.rollover action advance)"]
            else:
                self._bring_to_rest(ctx, policy)
            self._describe_keys(ctx, policy)
            return self._close(ctx)
        except BaseException:
            ctx.journal.unlock()
            raise

    def _check_engine_policy(self, ctx: _Zone, policy: Policy) -> None:
        settings = getattr(self.engine, "policy_settings", None)
        if settings is None:
            return
        found = settings(ctx.name)
        problems = []
        ttl = found.get("dnskey-ttl")
        if ttl is not None and int(ttl) != policy.dnskey_ttl:
            problems.append(f"dnskey-ttl is {ttl} in the engine's policy '{found.get('id')}', but the "
                            f"policy says dnskey_ttl {policy.dnskey_ttl}: rollover waits would be computed with "
                            "the wrong TTL")
        if policy.nsec3.enabled:
            expected = {"nsec3": "on", "nsec3-iterations": str(policy.nsec3.iterations),
                        "nsec3-salt-length": str(len(policy.nsec3.salt) // 2),
                        "nsec3-opt-out": "on" if policy.nsec3.opt_out else "off"}
        else:
            expected = {"nsec3": "off"}
        for name, value in expected.items():
            if name in found and found[name] != value:
                problems.append(f"{name} is {found[name]} in the engine's policy '{found.get('id')}', the policy "
                                f"wants {value}")
        if policy.nsec3.enabled and found.get("nsec3") is None:
            problems.append(f"the engine's policy '{found.get('id')}' does not enable nsec3 (the policy wants "
                            "NSEC3 with 0 iterations, no salt, no opt-out; RFC 9276)")
        elif policy.nsec3.enabled and not policy.nsec3.salt and "nsec3-salt-length" not in found:
            problems.append(f"the engine's policy '{found.get('id')}' leaves nsec3-salt-length at Knot's default "
                            "(8 before Knot 3.5): set nsec3-salt-length: 0 (RFC 9276 section 3.1)")
        if problems:
            raise ExecutorError(f"zone {ctx.name}: the signing engine's configuration does not match the "
                                "policy, nothing was changed: " + "; ".join(problems)
                                + " (render knot.conf from the same policy: role rsp.dnssec.signer)")

    def _bring_to_rest(self, ctx: _Zone, policy: Policy) -> None:
        now = self.now()
        current = ctx.entries(use="current")
        standby = ctx.entries(use="standby")
        wanted: list[tuple[str, int, str, tuple]] = []
        notes = ctx.result.setdefault("notes", [])
        if not current:
            if ctx.keys:
                raise ExecutorError(f"zone {ctx.name}: the engine has keys but the state has no current key")
            roles = ["csk"] if policy.key_scheme == "csk" else ["ksk", "zsk"]
            for role in roles:
                wanted.append((role, policy.algorithm, "current", _functions_for(role, True, True)))
        algorithm = int(current[0]["algorithm"]) if current else policy.algorithm
        if current:
            if algorithm != policy.algorithm:
                notes.append(f"the zone's keys use algorithm {algorithm}, the policy algorithm "
                             f"{policy.algorithm}: change it with rsp.dnssec.rollover method algorithm")
            scheme = "csk" if any(e["role"] == "csk" for e in current) else "split"
            if scheme != policy.key_scheme:
                notes.append(f"the zone uses a {scheme} key scheme, the policy {policy.key_scheme}: a scheme "
                             "change is an algorithm-style rollover, not done by zone_keys")
        if policy.standby_ksk and not any(int(e["algorithm"]) == algorithm for e in standby):
            wanted.append(("ksk", algorithm, "standby", (False, False, False)))
        if wanted:
            what = ", ".join(f"{use} {role.upper()} (algorithm {alg})" for role, alg, use, _f in wanted)
            if self.settings.check_mode:
                if self.hsm is None:
                    self._require_hsm(ctx, f"would generate {what}")
                self.hsm.check()
                ctx.did(f"would generate and import {what}")
                ctx.result["would_create"] = [{"role": r, "algorithm": a, "use": u} for r, a, u, _f in wanted]
                return
            self._require_hsm(ctx, f"{what} must be generated").check()  # a wrong PIN fails before any write
            ids = self._decide_keys(ctx, wanted, now)
            self._save(ctx)
            self._audit(ctx, "keys-decided", details={"keys": [ctx.entry(i) for i in ids],
                                                      "reason": "policy key set at rest"})
            self._import_keys(ctx, ids)
            if any(functions[0] for _r, _a, _u, functions in wanted):
                self.engine.apply(ctx.name)
        self._ensure_rest_timers(ctx)
        self._ensure_served(ctx)

    def _ensure_rest_timers(self, ctx: _Zone) -> None:
        """Every current key published and signing, every standby key out of the DNS."""
        now = self.now()
        changes = {}
        for entry in ctx.entries():
            use = entry.get("use")
            if use not in ("current", "standby") or entry["hsm_id"] not in ctx.keys:
                continue
            functions = _functions_for(entry["role"], use == "current", use == "current")
            delta = self.engine.timers_for_functions(ctx.keys[entry["hsm_id"]], published=functions[0],
                                                     signs_dnskey=functions[1], signs_zone=functions[2], at=now)
            if delta:
                changes[entry["hsm_id"]] = delta
        if not changes:
            return
        labels = ", ".join(f"{ctx.keys[i].tag}" for i in changes)
        if self.settings.check_mode:
            ctx.did(f"would set key timers of {labels} to the key set at rest")
            return
        for hsm_id, delta in changes.items():
            set_pending(ctx.state, hsm_id, delta)
        self._save(ctx)
        for hsm_id, delta in changes.items():
            self.engine.set_timers(ctx.name, hsm_id, delta)
        self.engine.apply(ctx.name)
        self._refresh(ctx)
        for hsm_id in changes:
            record_key(ctx.state, ctx.keys[hsm_id], status="active")
        self._save(ctx)
        ctx.did(f"set key timers of {labels} to the key set at rest")
        self._audit(ctx, "rest-timers", keys=[self._key_summary(ctx, i) for i in changes])

    def _expected_served(self, ctx: _Zone) -> tuple[set, set]:
        now = self.now()
        published, signers = set(), set()
        for key in ctx.keys.values():
            p, sd, _sz = key_functions(key.role, key.timers, now)
            if p:
                published.add((key.tag, key.algorithm))
            if sd:
                signers.add(key.tag)
        return published, signers

    def _ensure_served(self, ctx: _Zone) -> None:
        """The engine serves the DNSKEY RRset its keys say (after a run killed
        between the import and the reload, it does not yet): reload if not."""
        if self.observer is None:
            return
        published, signers = self._expected_served(ctx)
        expected = {"dnskey": [{"key_tag": t, "algorithm": a} for t, a in published],
                    "dnskey_signers": [{"key_tag": t, "algorithm": 0} for t in signers]}
        observations = self.observer.dnskey(ctx.name, signer_only=True)
        evidence = dnskey_gate_evidence(observations, expected)
        if evidence.satisfied:
            return
        if self.settings.check_mode:
            ctx.did(f"would make {self.engine.name} load the zone's keys and sign ({evidence.text})")
            return
        self.engine.apply(ctx.name)
        ctx.did(f"made {self.engine.name} load the zone's keys and sign (it served: {evidence.text})")

    def _describe_keys(self, ctx: _Zone, policy: Policy | None) -> None:
        ctx.result["keys"] = [self._key_summary(ctx, i) for i, e in sorted(ctx.state["keys"].items())
                              if e.get("status") in ("active", "importing")]
        sep = [e["hsm_id"] for e in ctx.entries() if e.get("use") in ("current", "standby")
               and e["role"] in ("ksk", "csk") and e["hsm_id"] in ctx.keys]
        if sep and not ctx.state.get("rollover"):
            ttl = policy.ds_ttl if policy else None
            records = self._ds(ctx, sep, self._digest_type(ctx))
            ctx.result["ds"] = self._ds_text(records, ttl)
            ctx.result["ds_records"] = ds_dicts(records)
            ctx.result["ds_to_submit"] = ctx.result["ds"]

    # -- rollover ------------------------------------------------------------------------------

    def rollover(self, zone: str, action: str, method: str | None = None, *, algorithm: int | None = None,
                 standby: bool | None = None) -> dict:
        """``action`` start / advance / status of ``zone``'s rollover (see the module ``rollover``)."""
        if action == "status":
            return self._rollover_status(zone)
        if self.settings.policy is None:
            raise ExecutorError(f"rollover action {action} needs the policy")
        ctx = self._open(zone)
        try:
            self._resume_importing_rollover(ctx)
            self._finish_pending(ctx)
            running = ctx.state.get("rollover")
            if action == "start":
                if method is None:
                    raise ExecutorError("action start needs method (zsk, ksk, csk, algorithm or emergency_ksk)")
                method_id = self._method_id(ctx, method, standby)
                if running and running.get("status") == "running":
                    if running["method"] != method_id:
                        plan = timing.Plan.from_dict(running["plan"])
                        progress = timing.RolloverState.from_dict(running["progress"])
                        raise ExecutorError(
                            f"zone {ctx.name}: a {running['method']} rollover is running (next: step "
                            f"{progress.step + 1} of {len(plan.steps)}); finish it (action advance) before "
                            f"starting {method_id}")
                    ctx.result.setdefault("notes", []).append(
                        f"the {method_id} rollover is already running: advancing it")
                else:
                    self._start(ctx, method_id, algorithm=algorithm, scheduled=False)
            elif action == "advance":
                if not running or running.get("status") != "running":
                    self._observe_standby(ctx)
                    due = self._scheduled(ctx)
                    if due is not None:
                        ctx.result["scheduled"] = due.to_dict()
                        self._start(ctx, due.kind, algorithm=None, scheduled=True)
            else:
                raise ExecutorError(f"unknown rollover action {action!r}")
            running = ctx.state.get("rollover")
            if running and running.get("status") == "running":
                self._advance(ctx)
            elif running is None and "method" not in ctx.result:
                last = ctx.state["history"][-1] if ctx.state.get("history") else None
                ctx.result.update(method=None, complete=None, waiting_for=[], last_rollover=last,
                                  reason="no rollover is running" + (
                                      f" (last: {last['method']}, complete since {last['completed']})"
                                      if last else ""))
            self._next_scheduled(ctx)
            return self._close(ctx)
        except BaseException:
            ctx.journal.unlock()
            raise

    def _method_id(self, ctx: _Zone, method: str, standby: bool | None) -> str:
        policy = self.settings.policy
        if method == "emergency_ksk" and standby is not None:
            return timing.EMERGENCY_STANDBY if standby else timing.EMERGENCY_DOUBLE_KSK
        return timing.resolve_method(method, policy)

    def _resume_importing_rollover(self, ctx: _Zone) -> None:
        rollover = ctx.state.get("rollover")
        if rollover and rollover.get("status") == "preparing":
            if self.settings.check_mode:
                ctx.did("would finish preparing the rollover's new keys")
                return
            self._resume_importing(ctx)
            self._start(ctx, rollover["method"], algorithm=rollover.get("algorithm"),
                        scheduled=bool(rollover.get("scheduled")), resume=True)
        else:
            self._resume_importing(ctx)

    def _new_keys_for(self, ctx: _Zone, method_id: str, algorithm: int | None) -> list[tuple]:
        policy = self.settings.policy
        current = ctx.entries(use="current")
        if not current:
            raise ExecutorError(f"zone {ctx.name} has no current keys: bring it up with rsp.dnssec.zone_keys first")
        old_alg = int(current[0]["algorithm"])
        roles = {e["role"] for e in current}
        none = (False, False, False)
        if method_id == timing.ZSK_PRE_PUBLISH:
            return [("zsk", old_alg, "next", none)]
        if method_id in (timing.KSK_DOUBLE_DS, timing.KSK_DOUBLE_KSK, timing.EMERGENCY_DOUBLE_KSK):
            return [("ksk", old_alg, "next", none)]
        if method_id == timing.CSK_DOUBLE_KSK:
            return [("csk", old_alg, "next", none)]
        if method_id == timing.EMERGENCY_STANDBY:
            return [("ksk", old_alg, "next-standby", none)] if policy.standby_ksk else []
        new_alg = signing_algorithm(algorithm if algorithm is not None else policy.algorithm).number
        if new_alg == old_alg:
            raise ExecutorError(f"zone {ctx.name}: its keys already use algorithm {old_alg}; an algorithm rollover "
                                "needs another algorithm (set algorithm, or the policy's algorithm)")
        scheme = policy.key_scheme if algorithm is None else ("csk" if "csk" in roles else "split")
        wanted = [("csk", new_alg, "next", none)] if scheme == "csk" else \
            [("ksk", new_alg, "next", none), ("zsk", new_alg, "next", none)]
        if policy.standby_ksk:
            wanted.append(("ksk", new_alg, "next-standby", none))
        return wanted

    def _rollover_keys(self, ctx: _Zone, new_ids: Iterable[str], new_standby_ids: Iterable[str],
                       placeholders: list[tuple] = ()) -> timing.RolloverKeys:
        current = tuple(_key_of(e) for e in ctx.entries(use="current"))
        standby = tuple(_key_of(e) for e in ctx.entries(use="standby"))
        new = [_key_of(ctx.entry(i)) for i in new_ids]
        new_standby = [_key_of(ctx.entry(i)) for i in new_standby_ids]
        used = {k.tag for k in (*current, *standby, *new, *new_standby)}
        free = (t for t in range(65535, 0, -1) if t not in used)
        for n, (role, alg, use, _f) in enumerate(placeholders):
            key = timing.Key(id=f"new-{role}-{alg}-{n + 1}", tag=next(free), algorithm=alg, role=role)
            (new_standby if use == "next-standby" else new).append(key)
        return timing.RolloverKeys(current=current, new=tuple(new), standby=standby, new_standby=tuple(new_standby))

    def _plan(self, ctx: _Zone, method_id: str, keys: timing.RolloverKeys, now: int) -> timing.Plan:
        plan = timing.plan(method_id, self.settings.policy, keys, now,
                           dnskey_presign=self.engine.ksk_signs_unpublished)
        if any(step.target.dnskey_ttl != plan.initial.dnskey_ttl for step in plan.steps) \
                and not self.engine.can_set_dnskey_ttl:
            raise ExecutorError(
                f"zone {ctx.name}: the {method_id} rollover lowers the DNSKEY TTL to "
                f"{self.settings.policy.emergency_dnskey_ttl} s for its duration, but {self.engine.name} takes "
                "the DNSKEY TTL from its configuration (Knot: dnskey-ttl of the policy in knot.conf, shared by "
                "every zone of that policy). Nothing was changed. Either set emergency.dnskey_ttl equal to "
                "dnskey_ttl in the policy (the emergency then runs as a Double-KSK rollover at the normal TTL), "
                "or keep a standby KSK (standby_ksk: true) and use it (standby: true)")
        return plan

    def _start(self, ctx: _Zone, method: str, *, algorithm: int | None, scheduled: bool,
               resume: bool = False) -> None:
        now = self.now()
        method_id = method if method in timing.METHODS else self._method_id(ctx, method, None)
        rollover = ctx.state.get("rollover")
        if rollover and rollover.get("status") == "complete":
            ctx.state["rollover"] = None
        if resume:
            new_ids, standby_ids = list(rollover["new"]), list(rollover["new_standby"])
        else:
            wanted = self._new_keys_for(ctx, method_id, algorithm)
            # Plan with placeholders first: an impossible rollover fails before any key exists.
            draft = self._plan(ctx, method_id, self._rollover_keys(ctx, (), (), wanted), now)
            if self.settings.check_mode:
                if wanted:
                    if self.hsm is None:
                        self._require_hsm(ctx, "the rollover generates new keys")
                    self.hsm.check()
                ctx.did(f"would start a {method_id} rollover"
                        + (f", generating {len(wanted)} key(s) (shown with placeholder key tags)" if wanted else ""))
                self._describe(ctx, draft, timing.RolloverState.start(draft, self.settings.change_id), [])
                return
            if wanted:
                self._require_hsm(ctx, "the rollover generates new keys").check()  # before any write
            if any(g.kind == timing.GATE_DS for s in draft.steps for g in s.gates):
                self._parent_preflight(ctx, self._ds(ctx, draft.initial.ds, draft.digest_type))
            ids = self._decide_keys(ctx, wanted, now)
            new_ids = [i for i, w in zip(ids, wanted, strict=True) if w[2] == "next"]
            standby_ids = [i for i, w in zip(ids, wanted, strict=True) if w[2] == "next-standby"]
            ctx.state["rollover"] = {"status": "preparing", "method": method_id, "algorithm": algorithm,
                                     "scheduled": scheduled, "new": new_ids, "new_standby": standby_ids,
                                     "change_id": self.settings.change_id, "started_at": now}
            self._save(ctx)
            self._audit(ctx, "rollover-prepare", details={"method": method_id, "scheduled": scheduled,
                                                          "new_keys": [ctx.entry(i) for i in ids]})
            self._import_keys(ctx, ids)
        keys = self._rollover_keys(ctx, new_ids, standby_ids)
        plan = self._plan(ctx, method_id, keys, now)
        progress = timing.RolloverState.start(plan, rollover.get("change_id") if resume else self.settings.change_id)
        ctx.state["rollover"] = {"status": "running", "method": method_id, "scheduled": scheduled,
                                 "plan": plan.to_dict(), "progress": progress.to_dict(), "tracking": {},
                                 "change_id": progress.change_id, "submitted": {}}
        self._save(ctx)
        ctx.did(f"started a {method_id} rollover" + (" (scheduled by key lifetime)" if scheduled else ""))
        self._audit(ctx, "rollover-start", change_id=progress.change_id,
                    keys=[k.to_dict() for k in plan.keys.values()],
                    details={"method": method_id, "scheduled": scheduled, "duration": plan.duration,
                             "steps": [{"index": s.index + 1, "name": s.name, "title": s.title,
                                        "earliest": iso(s.earliest)} for s in plan.steps]})

    # -- observing and advancing ------------------------------------------------------------------

    def _advance(self, ctx: _Zone) -> None:
        rollover = ctx.state["rollover"]
        plan = timing.Plan.from_dict(rollover["plan"])
        performed: list[str] = []
        for _round in range(MAX_STEPS_PER_RUN):
            rollover = ctx.state["rollover"]
            progress = timing.RolloverState.from_dict(rollover["progress"])
            if rollover.get("performing"):
                performing = rollover["performing"]
                performed.append(self._perform(ctx, plan, progress, int(performing["index"]), resume=performing))
                if ctx.state.get("rollover") is None:
                    break
                continue
            now = self.now()
            action = timing.next_action(plan, progress, None, now)
            if action.complete:
                break
            if action.observe:
                self._observe(ctx, plan, progress, action.observe)
                rollover["progress"] = progress.to_dict()
                self._save(ctx)
                action = timing.next_action(plan, progress, None, now)
            if not action.due:
                self._describe(ctx, plan, progress, performed, action)
                return
            if self.settings.check_mode:
                ctx.did(f"would perform step {action.index + 1}/{len(plan.steps)} '{action.step.name}': "
                        f"{plan.describe_changes(action.step) if not action.step.final else 'complete'}")
                self._perform(ctx, plan, progress, action.index)
                self._describe(ctx, plan, progress, performed, action)
                return
            performed.append(self._perform(ctx, plan, progress, action.index))
            if ctx.state.get("rollover") is None:
                break
        rollover = ctx.state.get("rollover")
        if rollover is None:
            last = ctx.state["history"][-1] if ctx.state.get("history") else {}
            ctx.result.update(method=plan.method, kind=plan.kind, complete=True, performed=performed,
                              reason=f"rollover {plan.method} complete since {iso(last.get('completed_at'))}",
                              waiting_for=[], step=None, next_step=None)
            return
        progress = timing.RolloverState.from_dict(rollover["progress"])
        self._describe(ctx, plan, progress, performed)

    def _gate_ds(self, ctx: _Zone, plan: timing.Plan, gate: timing.Gate) -> list:
        ids = [e["key_id"] for e in gate.expected.get("ds") or ()]
        return self._ds(ctx, ids, int(gate.expected.get("digest_type") or plan.digest_type))

    def _observe(self, ctx: _Zone, plan: timing.Plan, progress: timing.RolloverState,
                 gates: Iterable[timing.Gate]) -> None:
        rollover = ctx.state["rollover"]
        tracking_all = rollover.setdefault("tracking", {})
        now = self.now()
        for gate in gates:
            previous = tracking_all.get(gate.id)
            raw: list = []
            if gate.kind == timing.GATE_DNSKEY:
                observations = self._observer(ctx).dnskey(ctx.name)
                evidence = dnskey_gate_evidence(observations, gate.expected)
                tracking = track_since(previous, evidence, now)
                raw = [o.to_dict() for o in observations]
            elif gate.kind == timing.GATE_RRSIG:
                observer = self._observer(ctx)
                transfer = observer.zone_signatures(ctx.name)
                soas = observer.soa(ctx.name)
                evidence = rrsig_gate_evidence(transfer, soas, gate.expected)
                tracking = track_since(previous, evidence, now)
                compact = transfer.to_dict()
                compact["value"] = {k: v for k, v in compact["value"].items() if k != "by_rrset"}
                raw = [compact, *(o.to_dict() for o in soas)]
            elif gate.kind == timing.GATE_DS:
                if self.parent is None:
                    raise ExecutorError(f"zone {ctx.name}: step {gate.id} waits for the DS RRset at the parent: "
                                        "give the parent (type dynupdate or manual, and its servers)")
                desired = self._gate_ds(ctx, plan, gate)
                status = self.parent.status(ctx.name, desired, previous=previous, exact=True)
                tracking = status.tracking
                evidence = Evidence(status.satisfied, [], {}, status.text)
                raw = [o.to_dict() for o in status.observations]
            else:
                continue
            progress.record_observation(gate.id, tracking)
            tracking_all[gate.id] = tracking
            if tracking.get("satisfied_since") is not None and not (previous or {}).get("satisfied_since"):
                self._audit(ctx, "observed", change_id=progress.change_id, observations=raw,
                            details={"gate": gate.id, "kind": gate.kind, "text": evidence.text,
                                     "satisfied_since": iso(tracking["satisfied_since"])})

    def _observer(self, ctx: _Zone) -> ZoneObserver:
        if self.observer is None:
            raise ExecutorError(f"zone {ctx.name}: no authoritative server to observe")
        return self.observer

    def _perform(self, ctx: _Zone, plan: timing.Plan, progress: timing.RolloverState, index: int, *,
                 resume: Mapping | None = None) -> str:
        """Make the engine and the parent match step ``index``'s target, then record it."""
        step = plan.steps[index]
        target = step.target
        rollover = ctx.state["rollover"]
        if resume is None:
            at = self.now()
            changes: dict = {}
            archive: list = []
            keys_in_plan = list(plan.keys)
            for key_id in keys_in_plan:
                key = ctx.keys.get(key_id)
                if key is None:
                    raise ExecutorError(f"zone {ctx.name}: key {plan.keys[key_id].label} (HSM id {key_id}) of the "
                                        f"running rollover is not in {self.engine.name}; nothing was changed")
                delta = self.engine.timers_for_functions(
                    key, published=key_id in target.dnskey, signs_dnskey=key_id in target.dnskey_signers,
                    signs_zone=key_id in target.zone_signers, at=at)
                if delta:
                    changes[key_id] = delta
            if step.final:
                for key_id in plan.after.get("retired", []):
                    key = ctx.keys.get(key_id)
                    if key is None:
                        continue
                    archive.append(key_id)
                    if key.timers.remove is None:
                        delta = dict(changes.get(key_id, {}))
                        delta["remove"] = at
                        if key.timers.retire is None and key.timers.post_active is None:
                            delta["retire"] = at
                        changes[key_id] = delta
            ds_change = bool(step.changes.get("ds_add") or step.changes.get("ds_remove"))
            desired = self._ds(ctx, target.ds, plan.digest_type) if ds_change else None
            if ds_change:
                self._parent_preflight(ctx, desired)
            if self.settings.check_mode:
                return step.name
            for key_id, delta in changes.items():
                set_pending(ctx.state, key_id, delta)
                if "remove" in delta:
                    ctx.entry(key_id)["leaving"] = True
            rollover["performing"] = {"index": index, "at": at, "timers": changes,
                                      "ds": ds_dicts(desired) if desired is not None else None,
                                      "archive": archive}
            self._save(ctx)
        else:
            at = int(resume["at"])
            changes = dict(resume.get("timers") or {})
            archive = list(resume.get("archive") or [])
            desired = resume.get("ds")
            ctx.result.setdefault("notes", []).append(
                f"finished step {index + 1} '{step.name}' begun by an interrupted run at {iso(at)}")
        for key_id, delta in changes.items():
            if key_id in ctx.keys:
                entry = ctx.state["keys"].get(key_id, {})
                self.engine.set_timers(ctx.name, key_id, delta, archived=bool(entry.get("leaving")))
        if changes or resume is not None:
            self.engine.apply(ctx.name)
        self.crash("timers-set", ctx.name)
        submitted = None
        if desired is not None:
            submitted = self._require_parent(ctx, step).submit(ctx.name, desired,
                                                               change_id=rollover.get("change_id"))
            if submitted.changed:
                rollover.setdefault("submitted", {})[str(index)] = submitted.to_dict()
        self.crash("parent-updated", ctx.name)
        for key_id in archive:
            if key_id in ctx.keys:
                self.engine.archive_key(ctx.name, key_id, max(self.now(), at))
                self.crash("key-archived", ctx.name)
        self._refresh(ctx, archive=False)
        for key_id in changes:
            if key_id in ctx.keys:
                entry = ctx.entry(key_id)
                leaving = entry.get("leaving")
                record_key(ctx.state, ctx.keys[key_id], status="active")
                if leaving:
                    entry["leaving"] = True
        for key_id in archive:
            if key_id not in ctx.keys and ctx.entry(key_id).get("status") == "active":
                self._mark_archived(ctx, key_id)
        progress.record_performed(index, max(self.now(), at))
        rollover["progress"] = progress.to_dict()
        rollover.pop("performing", None)
        text = "complete the rollover" if step.final else plan.describe_changes(step)
        details = {"index": index + 1, "of": len(plan.steps), "title": step.title, "changes": step.changes,
                   "rfc": step.rfc, "timers": changes}
        if submitted is not None:
            details["parent"] = submitted.to_dict()
        if archive:
            details["archived"] = archive
        if step.final:
            self._finish_rollover(ctx, plan, progress)
        self._save(ctx)
        ctx.did(f"step {index + 1}/{len(plan.steps)} '{step.name}': {text}"
                + (f"; parent: {submitted.text}" if submitted is not None else ""))
        self._audit(ctx, f"step {index + 1} {step.name}", change_id=progress.change_id,
                    keys=[self._key_summary(ctx, i) for i in plan.keys],
                    observations=[{"gate": g.id, **(rollover.get("tracking", {}).get(g.id) or {})}
                                  for g in step.gates if g.kind != timing.GATE_NONE],
                    details=details)
        return f"step {index + 1} '{step.name}': {text}"

    def _require_parent(self, ctx: _Zone, step: timing.Step) -> ParentAdapter:
        if self.parent is None:
            raise ExecutorError(f"zone {ctx.name}: step '{step.name}' changes the DS RRset at the parent: give the "
                                "parent (type dynupdate or manual, and its servers)")
        return self.parent

    def _parent_preflight(self, ctx: _Zone, desired: list) -> None:
        """Before any write of a DS step: can the parent be reached (and would it take the change)?"""
        if self.parent is None:
            raise ExecutorError(f"zone {ctx.name}: this rollover changes the DS RRset at the parent: give the "
                                "parent (type dynupdate or manual, and its servers); nothing was changed")
        previous = self.parent.check_mode
        self.parent.check_mode = True
        try:
            self.parent.submit(ctx.name, desired, change_id=self.settings.change_id)
        except ParentError as exc:
            raise ParentError(f"zone {ctx.name}: {exc}; nothing was changed (the step is retried on the next "
                              "run)") from None
        finally:
            self.parent.check_mode = previous

    def _finish_rollover(self, ctx: _Zone, plan: timing.Plan, progress: timing.RolloverState) -> None:
        after = plan.after
        rollover = ctx.state["rollover"]
        for key_id in after.get("current", []):
            entry = ctx.entry(key_id)
            entry["use"] = "current"
            activated = self._activation(plan, progress, key_id)
            if activated is not None:
                entry["activated"] = activated
        for key_id in after.get("standby", []):
            ctx.entry(key_id)["use"] = "standby"
        for key_id in after.get("retired", []):
            entry = ctx.entry(key_id)
            if entry.get("status") == "active":
                entry["use"] = "retired"
        completed = progress.performed.get(len(plan.steps) - 1)
        ctx.state["history"].append({"method": plan.method, "change_id": progress.change_id,
                                     "started_at": plan.started_at, "started": iso(plan.started_at),
                                     "completed_at": completed, "completed": iso(completed),
                                     "scheduled": bool(rollover.get("scheduled")),
                                     "performed": {str(k): iso(v) for k, v in progress.performed.items()},
                                     "after": after})
        ctx.state["rollover"] = None

    @staticmethod
    def _activation(plan: timing.Plan, progress: timing.RolloverState, key_id: str) -> int | None:
        for step in plan.steps:
            if key_id in step.target.zone_signers or (plan.keys[key_id].role == "ksk"
                                                      and key_id in step.target.dnskey_signers):
                return progress.performed.get(step.index)
        return None

    # -- describing ------------------------------------------------------------------------------

    def _describe(self, ctx: _Zone, plan: timing.Plan, progress: timing.RolloverState, performed: list,
                  action: timing.NextAction | None = None) -> None:
        now = self.now()
        if action is None:
            action = timing.next_action(plan, progress, None, now)
        steps = []
        for step in plan.steps:
            done = progress.performed.get(step.index)
            steps.append({"index": step.index + 1, "name": step.name, "title": step.title,
                          "earliest_planned": iso(step.earliest), "performed": iso(done) if done else None,
                          "interval": step.interval_formula})
        result = ctx.result
        result.update(method=plan.method, kind=plan.kind, complete=action.complete, performed=performed,
                      steps=steps, reason=action.reason, waiting_for=list(action.waiting_for),
                      change_id=progress.change_id, started=iso(plan.started_at))
        if action.complete:
            result.update(step=None, next_step=None)
            return
        step = action.step
        result.update(step=action.index + 1, step_name=step.name, next_step=step.title,
                      next_earliest=iso(action.earliest), due=action.due,
                      due_at=iso(action.due_at) if action.due_at is not None else None,
                      blocking="; ".join(action.waiting_for) if not action.due else None)
        # The DS to submit: the manual parent's work while a DS gate waits.
        if self.settings.parent_type == "manual" or (self.parent is not None and self.parent.name == "manual"):
            ds_gates = [g for g in step.gates if g.kind == timing.GATE_DS]
            for gate in ds_gates:
                status = next((s for s in action.gates if s.gate.id == gate.id), None)
                if status is not None and not status.satisfied:
                    records = self._gate_ds(ctx, plan, gate)
                    result["ds_to_submit"] = self._ds_text(records, plan.policy.get("ds_ttl"))
                    submitted = ctx.state["rollover"].get("submitted", {})
                    artefacts = [a for s in submitted.values() for a in s.get("artefacts", [])]
                    if artefacts:
                        result["ds_artefacts"] = artefacts

    def _rollover_brief(self, ctx: _Zone) -> dict:
        rollover = ctx.state["rollover"]
        if rollover.get("status") != "running":
            return {"method": rollover.get("method"), "status": rollover.get("status")}
        plan = timing.Plan.from_dict(rollover["plan"])
        progress = timing.RolloverState.from_dict(rollover["progress"])
        action = timing.next_action(plan, progress, None, self.now())
        return {"method": plan.method, "status": "running", "step": action.index + 1 if action.index is not None
                else None, "reason": action.reason}

    def _rollover_status(self, zone: str) -> dict:
        """Read-only: what the rollover waits for (observing, recording nothing)."""
        saved = self.settings.check_mode
        self.settings.check_mode = True
        try:
            ctx = self._open(zone, lock=False)
            rollover = ctx.state.get("rollover")
            if not rollover:
                ctx.result.update(method=None, complete=None, reason="no rollover is running", waiting_for=[])
            elif rollover.get("status") != "running":
                ctx.result.update(method=rollover.get("method"), complete=False,
                                  reason="the rollover's new keys are being prepared (an interrupted start); "
                                         "the next run of action advance or start finishes it",
                                  waiting_for=[])
            else:
                plan = timing.Plan.from_dict(rollover["plan"])
                progress = timing.RolloverState.from_dict(rollover["progress"])
                action = timing.next_action(plan, progress, None, self.now())
                if action.observe and not rollover.get("performing"):
                    try:
                        self._observe(ctx, plan, progress, action.observe)
                    except ExecutorError as exc:
                        ctx.result.setdefault("notes", []).append(str(exc))
                self._describe(ctx, plan, progress, [])
                if rollover.get("performing"):
                    ctx.result.setdefault("notes", []).append(
                        f"step {int(rollover['performing']['index']) + 1} was begun by an interrupted run; the "
                        "next advance finishes it")
            self._next_scheduled(ctx)
            ctx.result["changed"] = False
            ctx.result.pop("actions", None)
            return ctx.result
        finally:
            self.settings.check_mode = saved

    # -- scheduled rollovers and standby keys --------------------------------------------------

    def _scheduled(self, ctx: _Zone) -> timing.RolloverDue | None:
        policy = self.settings.policy
        due = []
        for entry in ctx.entries(use="current"):
            if entry.get("activated") is None:
                continue
            answer = timing.rollover_due(policy, _key_of(entry), self.now())
            if answer.due:
                due.append(answer)
        if not due:
            return None
        return min(due, key=lambda d: (d.at or 0, d.kind != "ksk"))

    def _next_scheduled(self, ctx: _Zone) -> None:
        policy = self.settings.policy
        if policy is None or ctx.state.get("rollover"):
            return
        upcoming = []
        for entry in ctx.entries(use="current"):
            if entry.get("activated") is None:
                continue
            answer = timing.rollover_due(policy, _key_of(entry), self.now())
            if answer.at is not None:
                upcoming.append(answer.to_dict())
        if upcoming:
            ctx.result["scheduled_rollovers"] = sorted(upcoming, key=lambda d: d["at"])

    def _observe_standby(self, ctx: _Zone) -> None:
        """Record when the DS of each standby KSK was first seen on every parent server
        (lets an emergency replacement start at once: RFC 6781 section 4.2.4)."""
        if self.parent is None:
            return
        standby = [e for e in ctx.entries(use="standby") if e.get("ds_observed") is None and e["hsm_id"] in ctx.keys]
        if not standby:
            return
        tracking = ctx.state.setdefault("observations", {}).get("standby_ds")
        wanted = self._ds(ctx, [e["hsm_id"] for e in standby], self._digest_type(ctx))
        status = self.parent.status(ctx.name, wanted, previous=tracking, exact=False)
        ctx.state["observations"]["standby_ds"] = status.tracking
        if status.satisfied_since is not None:
            for entry in standby:
                entry["ds_observed"] = int(status.satisfied_since + 0.999)
            self._audit(ctx, "observed", observations=[o.to_dict() for o in status.observations],
                        details={"gate": "standby DS", "text": status.text})
        ctx.result["standby_ds"] = status.text
        self._save(ctx)

    # -- purge -------------------------------------------------------------------------------------

    def purge(self, zone: str) -> dict:
        """Destroy the HSM objects of archived keys whose retention period has passed (audited)."""
        ctx = self._open(zone)
        try:
            now = self.now()
            due, kept = [], []
            for hsm_id, entry in sorted(ctx.state["keys"].items()):
                if entry.get("status") == "archived" and not entry.get("never_imported"):
                    until = int(entry.get("archived_at") or now) + self.settings.retention
                    (due if until <= now or entry.get("destroying") else kept).append(hsm_id)
            ctx.result["kept"] = [
                {"hsm_id": i, "tag": ctx.entry(i).get("tag"), "archived": ctx.entry(i).get("archived"),
                 "until": iso(int(ctx.entry(i).get("archived_at") or now) + self.settings.retention)}
                for i in kept]
            ctx.result["destroyed"] = []
            if due:
                hsm = self._require_hsm(ctx, f"{len(due)} archived key(s) are due for destruction")
                if self.settings.check_mode:
                    hsm.check()
                    ctx.did(f"would destroy {len(due)} archived key(s) in the HSM: {', '.join(due)}")
                else:
                    for hsm_id in due:
                        ctx.entry(hsm_id)["destroying"] = True
                    self._save(ctx)
                    self._audit(ctx, "purge-begin", keys=[ctx.entry(i) for i in due],
                                details={"retention": format_duration(self.settings.retention)})
                    destroyed = hsm.destroy(due)
                    self.crash("hsm-destroyed", ctx.name)
                    forget = getattr(self.engine, "forget_archived", None)
                    for hsm_id in due:
                        if forget is not None:
                            forget(ctx.name, hsm_id, hsm_object_destroyed=True)
                        entry = ctx.entry(hsm_id)
                        entry.pop("destroying", None)
                        entry.update(status="destroyed", destroyed_at=now, destroyed=iso(now))
                    self._save(ctx)
                    ctx.result["destroyed"] = due
                    ctx.did(f"destroyed {len(due)} archived key(s) in the HSM ({len(destroyed)} still present "
                            "before this run)")
                    self._audit(ctx, "purge", keys=[ctx.entry(i) for i in due],
                                details={"retention": format_duration(self.settings.retention)})
            return self._close(ctx)
        except BaseException:
            ctx.journal.unlock()
            raise

    # -- zone status -------------------------------------------------------------------------------

    def zone_status(self, zone: str) -> dict:
        """Read-only report: keys, RRSIG validity and SOA serial on every server,
        DS at the parent against the DNSKEYs, and problems."""
        problems: list[str] = []
        result: dict = {"zone": zone, "changed": False}
        journal = ZoneJournal(self.settings.zones_dir, zone)
        state = journal.load()
        self.engine.check_zone(zone)
        engine_keys = self.engine.list_keys(zone)
        now = self.now()
        ctx = _Zone(zone, journal, state, result=result)
        ctx.keys = {(k.hsm_id or k.key_id): k for k in engine_keys}
        archived = getattr(self.engine, "archived_keys", None)
        ctx.archived = {(k.hsm_id or k.key_id) for k in archived(zone)} if archived else set()
        never = {e["hsm_id"] for e in state["keys"].values() if e.get("never_imported")}
        agreement = compare_with_engine(state, engine_keys, sorted(ctx.archived | never) if ctx.archived else ())
        problems.extend(agreement.problems)
        for text in agreement.unfinished.values():
            problems.append(f"unfinished: {text}; the next zone_keys or rollover run completes it")
        keys = []
        for key in engine_keys:
            summary = self._key_summary(ctx, key.hsm_id or key.key_id)
            summary["timers_epoch"] = {n: v for n, v in key.timers.to_dict().items() if v}
            keys.append(summary)
        result["keys"] = keys
        published = {(k.tag, k.algorithm) for k in engine_keys if key_functions(k.role, k.timers, now)[0]}
        sep_published = [k for k in engine_keys if k.role in ("ksk", "csk")
                         and key_functions(k.role, k.timers, now)[0]]
        if self.observer is not None:
            soa = self.observer.soa(zone)
            result["soa"] = {o.server: (o.value.get("serial") if o.ok else None) for o in soa}
            for obs in soa:
                if not obs.ok:
                    problems.append(f"{obs.server}: {obs.error}")
            serials = {o.value.get("serial") for o in soa if o.ok}
            if len(serials) > 1:
                problems.append(f"the authoritative servers serve different SOA serials: {result['soa']}")
            validity = self.observer.rrsig_validity(zone)
            result["rrsig_min_remaining"] = {o.server: (o.value.get("min_remaining") if o.ok else None)
                                             for o in validity}
            result["rrsig"] = [o.to_dict() for o in validity]
            safety = self.settings.policy.signature_safety if self.settings.policy else 0
            for obs in validity:
                if not obs.ok:
                    problems.append(f"{obs.server}: {obs.error}")
                elif obs.value["min_remaining"] <= safety:
                    problems.append(f"{obs.server}: the signature over {obs.value['rrset']} expires at "
                                    f"{obs.value['expires_at']} ({obs.value['min_remaining']} s left, at most the "
                                    f"signature_safety of {safety} s): is the signer re-signing?")
            dnskey = self.observer.dnskey(zone)
            result["dnskey"] = {o.server: (sorted(f"{k['tag']}/{k['algorithm']}" for k in o.value["keys"])
                                           if o.ok else None) for o in dnskey}
            for obs in dnskey:
                if obs.ok:
                    served = {(k["tag"], k["algorithm"]) for k in obs.value["keys"]}
                    if served != published:
                        problems.append(f"{obs.server} serves DNSKEY {sorted(served)}, the engine's keys say "
                                        f"{sorted(published)} (not yet propagated?)")
        if self.parent is not None:
            observations = self.parent.observe(zone)
            result["parent_ds"] = {o.server: ([f"{d['key_tag']}/{d['algorithm']}/{d['digest_type']}"
                                               for d in o.value.get("ds", [])] if o.ok else None)
                                   for o in observations}
            sep_tags = {(k.tag, k.algorithm) for k in sep_published}
            all_ds = {}
            for key in engine_keys:
                if key.role in ("ksk", "csk"):
                    for digest in (2, 4):
                        try:
                            for record in self.engine.ds_records(zone, key.hsm_id or key.key_id, [digest]):
                                all_ds[ds_tuple(record)] = key
                        except EngineError:
                            continue
            for obs in observations:
                if not obs.ok:
                    problems.append(f"parent {obs.server}: {obs.error}")
                    continue
                served = [ds_tuple(d) for d in obs.value.get("ds", [])]
                if not served:
                    problems.append(f"parent {obs.server} serves no DS for {zone}: the zone is insecure (submit "
                                    "the DS of its KSK)")
                    continue
                matching = [d for d in served if (d[0], d[1]) in sep_tags and d in all_ds]
                if not matching:
                    problems.append(f"parent {obs.server} serves DS {ds_names(served)}, none of which matches a "
                                    f"published KSK of {zone}: the chain of trust is BROKEN")
                for ds in served:
                    if ds not in all_ds:
                        problems.append(f"parent {obs.server} serves DS {ds[0]}/{ds[1]}/{ds[2]}, which matches "
                                        "no key of the zone (stale DS: remove it at the parent)")
        rollover = state.get("rollover")
        if rollover and rollover.get("status") == "running":
            plan = timing.Plan.from_dict(rollover["plan"])
            progress = timing.RolloverState.from_dict(rollover["progress"])
            action = timing.next_action(plan, progress, None, now)
            result["rollover"] = {"method": plan.method, "step": action.index + 1 if action.index is not None
                                  else None, "of": len(plan.steps), "reason": action.reason,
                                  "performing": bool(rollover.get("performing"))}
        else:
            result["rollover"] = None
        result["archived_keys"] = [{"hsm_id": i, "tag": e.get("tag"), "algorithm": e.get("algorithm"),
                                    "role": e.get("role"), "archived": e.get("archived")}
                                   for i, e in sorted(state["keys"].items()) if e.get("status") == "archived"]
        result["problems"] = problems
        result["history"] = state.get("history", [])[-5:]
        return result


def algorithm_number(value) -> int | None:
    if value in (None, ""):
        return None
    return lookup(value).number
