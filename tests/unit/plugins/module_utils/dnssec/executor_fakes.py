# Copyright: rsp.dnssec contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt)
"""In-memory stand-ins for the executor's unit tests: a signing engine, an HSM,
the authoritative servers and the parent, all sharing one fake clock.

They follow the real components' contracts (``EngineAdapter``'s timer
vocabulary and :func:`key_functions`, the parent adapter's ``status``), so the
executor's decisions can be checked without daemons; the integration tests in
``tests/integration/rollover`` run the same flows against real knotd and
SoftHSM2."""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping

from ansible_collections.rsp.dnssec.plugins.module_utils.dnssec.engine.base import (
    TIMER_NAMES,
    DSRecord,
    EngineAdapter,
    EngineError,
    EngineKey,
    EngineRefused,
    KeyTimers,
    ZoneUnknown,
    key_functions,
    normalise_zone,
)
from ansible_collections.rsp.dnssec.plugins.module_utils.dnssec.observe import Observation
from ansible_collections.rsp.dnssec.plugins.module_utils.dnssec.parent.base import (
    ParentAdapter,
    ParentUnreachable,
    SubmitResult,
    ds_dicts,
    ds_set,
)


class Clock:
    def __init__(self, start: int = 1_800_000_000) -> None:
        self.now = float(start)

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


class SimulatedCrash(BaseException):
    """The process 'dies' here (the executor's crash hook in tests)."""


def crash_at(*points: str):
    """A crash hook that kills the run at the first of ``points`` it reaches (once)."""
    remaining = set(points)

    def hook(name: str, zone: str) -> None:
        if name in remaining:
            remaining.discard(name)
            raise SimulatedCrash(f"{name}@{zone}")

    return hook


def no_crash(name: str, zone: str) -> None:
    return None


class FakeHSM:
    """Keys by CKA_ID with a key tag each; counts generations; never loses a key."""

    def __init__(self) -> None:
        self.keys: dict[str, dict] = {}
        self.generated = 0
        self.destroyed: list[str] = []
        self.pin_ok = True
        self._next_tag = 1000

    def check(self) -> dict:
        if not self.pin_ok:
            from ansible_collections.rsp.dnssec.plugins.module_utils.dnssec.hsm.base import PinRejected
            raise PinRejected("the PIN was rejected by token 'fake' (CKR_PIN_INCORRECT)")
        return {"label": "fake"}

    def ensure(self, keys, zone: str) -> dict:
        self.check()
        found = {}
        for key in keys:
            generated = key.hsm_id not in self.keys
            if generated:
                self._next_tag += 7
                self.keys[key.hsm_id] = {"tag": self._next_tag, "algorithm": key.algorithm, "role": key.role}
                self.generated += 1
            found[key.hsm_id] = {"tag": self.keys[key.hsm_id]["tag"], "generated": generated, "bits": 256,
                                 "label": key.label}
        return found

    def destroy(self, hsm_ids: Iterable[str]) -> list[str]:
        self.check()
        done = []
        for hsm_id in hsm_ids:
            if self.keys.pop(hsm_id, None) is not None:
                done.append(hsm_id)
                self.destroyed.append(hsm_id)
        return done


class FakeEngine(EngineAdapter):
    """Knot's behaviour in memory: keys with timers, what they do from :func:`key_functions`."""

    name = "fake"

    def __init__(self, hsm: FakeHSM, zones: Iterable[str], clock: Clock) -> None:
        super().__init__()
        self.hsm = hsm
        self.zones = {normalise_zone(z): {} for z in zones}
        self.archive: dict[str, dict] = {normalise_zone(z): {} for z in zones}
        self.clock = clock
        self.serial = dict.fromkeys(self.zones, 1)
        self.applied = 0
        self.running = True
        self.dnskey_ttl = 2

    def version(self) -> str:
        return "0"

    def check_zone(self, zone: str) -> None:
        if not self.running:
            from ansible_collections.rsp.dnssec.plugins.module_utils.dnssec.engine.base import EngineNotRunning
            raise EngineNotRunning("Knot DNS is not running (fake)")
        if normalise_zone(zone) not in self.zones:
            raise ZoneUnknown(f"zone {zone} is not configured in the engine")

    def list_keys(self, zone: str) -> list[EngineKey]:
        self.check_zone(zone)
        return list(self.zones[normalise_zone(zone)].values())

    def archived_keys(self, zone: str) -> list[EngineKey]:
        return list(self.archive[normalise_zone(zone)].values())

    def import_key(self, zone, hsm_id, algorithm, role, size, timers):
        zone = normalise_zone(zone)
        keys = self.zones[zone]
        if hsm_id in keys:
            return keys[hsm_id], False
        if hsm_id not in self.hsm.keys:
            raise EngineError(f"no key {hsm_id} in the keystore")
        if self.check_mode:
            return None, True
        key = EngineKey(key_id=hsm_id, hsm_id=hsm_id, tag=self.hsm.keys[hsm_id]["tag"], algorithm=algorithm,
                        role=role, size=size, timers=timers)
        keys[hsm_id] = key
        return key, True

    def set_timers(self, zone, key_id, changes: Mapping, *, archived: bool = False) -> bool:
        zone = normalise_zone(zone)
        key = self.zones[zone][key_id]
        if changes.get("remove") and not archived:
            raise EngineRefused("refusing to set a remove time on a key the collection has not archived")
        wanted = key.timers.replace(changes)
        if wanted == key.timers:
            return False
        if self.check_mode:
            return True
        self.zones[zone][key_id] = EngineKey(key.key_id, key.hsm_id, key.tag, key.algorithm, key.role, key.size,
                                             wanted)
        return True

    def apply(self, zone: str) -> None:
        if not self.check_mode:
            self.applied += 1
            self.serial[normalise_zone(zone)] += 1

    def ds_records(self, zone, key_id, digest_types=(2,)) -> list[DSRecord]:
        zone = normalise_zone(zone)
        key = self.zones[zone].get(key_id) or self.archive[zone][key_id]
        return [DSRecord(zone, key.tag, key.algorithm, d, hashlib.sha256(f"{zone}{key.tag}".encode()).hexdigest())
                for d in digest_types]

    def dnskey_record(self, zone, key_id) -> str:
        return f"{zone} DNSKEY 257 3 13 fake"

    def archive_key(self, zone, key_id, now) -> bool:
        zone = normalise_zone(zone)
        key = self.zones[zone].get(key_id)
        if key is None:
            return False
        if key.state(now) != "removed":
            raise EngineRefused(f"key {key.tag} is still {key.state(now)}")
        self.archive[zone][key_id] = self.zones[zone].pop(key_id)
        return True

    def forget_archived(self, zone, hsm_id, *, hsm_object_destroyed=False) -> bool:
        return self.archive[normalise_zone(zone)].pop(hsm_id, None) is not None

    # what the zone looks like now
    def functions(self, zone: str) -> dict[str, tuple[bool, bool, bool]]:
        now = self.clock()
        return {k: key_functions(key.role, key.timers, now) for k, key in self.zones[normalise_zone(zone)].items()}

    def timers(self, zone: str, key_id: str) -> dict:
        return {n: v for n, v in self.zones[normalise_zone(zone)][key_id].timers.to_dict().items() if v}


class FakeObserver:
    """Two authoritative servers that serve exactly what the engine's keys say, at once."""

    authoritatives = ("192.0.2.1#53", "192.0.2.2#53")
    timeout = 1

    def __init__(self, engine: FakeEngine, clock: Clock) -> None:
        self.engine = engine
        self.clock = clock
        self.lagging: set[str] = set()  # servers that serve nothing new (down)

    def _value(self, zone: str) -> dict:
        keys = self.engine.zones[normalise_zone(zone)].values()
        now = self.clock()
        served = [k for k in keys if key_functions(k.role, k.timers, now)[0]]
        signers = [k for k in keys if key_functions(k.role, k.timers, now)[1]]
        return {"serial": self.engine.serial[normalise_zone(zone)], "ttl": self.engine.dnskey_ttl,
                "keys": sorted(({"tag": k.tag, "algorithm": k.algorithm, "flags": 257 if k.role != "zsk" else 256}
                                for k in served), key=lambda d: d["tag"]),
                "signed_by": sorted(k.tag for k in signers)}

    def _each(self, what: str, zone: str, value: dict, servers=None) -> list[Observation]:
        out = []
        for server in servers or self.authoritatives:
            if server in self.lagging:
                out.append(Observation(what, zone, server, self.clock(), False, {}, f"no answer from {server}"))
            else:
                out.append(Observation(what, zone, server, self.clock(), True, dict(value)))
        return out

    def dnskey(self, zone: str, *, signer_only: bool = False) -> list[Observation]:
        servers = self.authoritatives[:1] if signer_only else None
        return self._each("dnskey", zone, self._value(zone), servers)

    def soa(self, zone: str) -> list[Observation]:
        return self._each("soa", zone, {"serial": self.engine.serial[normalise_zone(zone)], "ttl": 2})

    def rrsig_validity(self, zone: str) -> list[Observation]:
        return self._each("rrsig", zone, {"min_remaining": 3600, "expires": 0, "expires_at": "-",
                                          "rrset": f"{zone} SOA", "signatures": 1})

    def zone_signatures(self, zone: str) -> Observation:
        keys = self.engine.zones[normalise_zone(zone)].values()
        now = self.clock()
        pairs = sorted((k.tag, k.algorithm) for k in keys if key_functions(k.role, k.timers, now)[2])
        value = {"serial": self.engine.serial[normalise_zone(zone)], "rrsets": 3,
                 "signers": {f"{t}/{a}": 3 for t, a in pairs},
                 "by_rrset": {f"{zone} SOA": pairs, f"www.{zone} A": pairs, f"{zone} NS": pairs}}
        return Observation("rrsig", zone, self.authoritatives[0], now, True, value)


class FakeParent(ParentAdapter):
    """The parent: a DS RRset per zone, served by two servers at once."""

    name = "dynupdate"

    def __init__(self, clock: Clock) -> None:
        super().__init__(servers=["192.0.2.53", "192.0.2.54"], clock=clock)
        self.ds: dict[str, set] = {}
        self.updates = 0
        self.reachable = True
        self.publish = True  # False: submissions are taken but not published (a manual parent, waiting)
        self.submitted: dict[str, set] = {}
        self.lagging: dict[str, set] = {}  # server label -> the DS RRset it still serves

    def observe(self, zone: str) -> list[Observation]:
        if not self.reachable:
            return [Observation("ds", zone, s.label, self.clock(), False, {}, "no answer") for s in self.servers]
        out = []
        for server in self.servers:
            served = self.lagging.get(server.label, self.ds.get(zone, set()))
            out.append(Observation("ds", zone, server.label, self.clock(), True, {"ds": ds_dicts(served), "ttl": 2}))
        return out

    def submit(self, zone: str, desired, *, change_id=None) -> SubmitResult:
        if not self.reachable:
            raise ParentUnreachable(f"zone {zone}: the parent's update primary does not answer")
        wanted = ds_set(desired)
        served = self.ds.get(zone, set())
        if wanted == served or self.submitted.get(zone) == wanted:
            return SubmitResult(False, "already served")
        if self.check_mode:
            return SubmitResult(True, "would update")
        if self.publish:
            self.ds[zone] = wanted
        self.submitted[zone] = wanted
        self.updates += 1
        return SubmitResult(True, "updated", ds_dicts(wanted - served), ds_dicts(served - wanted),
                            submitted_at=self.clock())


def keys_in(engine: FakeEngine, zone: str) -> set[str]:
    return set(engine.zones[normalise_zone(zone)])


def timer_names() -> tuple[str, ...]:
    return TIMER_NAMES


def blank_timers() -> KeyTimers:
    return KeyTimers()
