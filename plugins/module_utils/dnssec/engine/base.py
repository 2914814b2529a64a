# Copyright: rsp.dnssec contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt)
"""The interface every signing-engine adapter implements.

The collection owns the key lifecycle (RFC 7583 timing, observed gates, the
parent DS); the engine only signs. An adapter therefore exposes a small set of
engine-neutral operations on keys that already exist in the HSM:

* :meth:`EngineAdapter.import_key` -- register an HSM key (by its CKA_ID) with
  the engine for a zone, with explicit timers;
* :meth:`EngineAdapter.list_keys` -- the engine's keys and timers (the engine's
  truth, compared with the collection's state by :mod:`..journal`);
* :meth:`EngineAdapter.set_timers` -- move a key through its life;
* :meth:`EngineAdapter.apply` -- make the engine load key changes and re-sign;
* :meth:`EngineAdapter.ds_records` / :meth:`EngineAdapter.dnskey_record`;
* :meth:`EngineAdapter.archive_key` -- take a removed key out of the zone
  while keeping its HSM object (the collection destroys HSM objects itself,
  after a retention period, in an explicit audited step).

Key timers use one vocabulary for every engine (epoch seconds, ``None`` for
"not set"). The names are Knot DNS's; the table says how a BIND 9.20 adapter
(``dnssec-policy`` + ``key-store`` with pkcs11-provider, key files and their
``.state`` files) maps them, so that the planner never depends on the engine:

============== ======================================= ============================
timer          meaning (RFC 7583 event)                BIND 9.20 key-file metadata
============== ======================================= ============================
created        key generated                           Created
pre_active     signs, DNSKEY not yet published          (none: emulated by Activate
               (RFC 6781 4.1.4: new RRSIGs first)      before Publish, or refused)
publish        DNSKEY published (Tpub)                 Publish
ready          published and safe to use (Trdy); a     SyncPublish (CDS/CDNSKEY)
               KSK is ready for its DS to be submitted
active         signs (Tact)                            Activate
retire_active  KSK still signs, DS being withdrawn     (none)
retire         stops signing (Tret); a ZSK stays       Inactive
               published until remove, a KSK is
               withdrawn at once (Knot)
post_active    signs, DNSKEY already withdrawn         (none)
               (RFC 6781 4.1.4: old RRSIGs out last)
revoke         published with the REVOKE bit (5011)     Revoke
remove         DNSKEY withdrawn (Trem)                 Delete
============== ======================================= ============================

What a key does under given timers is :func:`key_usage` (note: a published
KSK always signs the DNSKEY RRset). The executor should not compose timers
itself: :meth:`EngineAdapter.timers_for` turns "this key must be published /
must sign from time t" into the engine's timer changes. An engine that cannot
express something raises :class:`EngineUnsupported`; it never approximates
silently. An engine must never delete an HSM
object: adapters refuse it (:class:`EngineRefused`).
"""

from __future__ import annotations

import abc
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

TIMER_NAMES: tuple[str, ...] = (
    "created", "pre_active", "publish", "ready", "active",
    "retire_active", "retire", "post_active", "revoke", "remove",
)
"""Every timer an adapter knows, in lifecycle order."""

ROLES: tuple[str, ...] = ("ksk", "zsk", "csk")

# Key states, as Knot DNS derives them from the timers (latest event wins).
STATE_ORDER: tuple[tuple[str, str], ...] = (
    ("remove", "removed"),
    ("revoke", "revoked"),
    ("post_active", "post-active"),
    ("retire", "retired"),
    ("retire_active", "retire-active"),
    ("active", "active"),
    ("ready", "ready"),
    ("publish", "published"),
    ("pre_active", "pre-active"),
)


def key_usage(role: str, timers: KeyTimers, now: int | float) -> tuple[bool, bool]:
    """``(published, signs)`` of a key at ``now``: is its DNSKEY in the zone's
    DNSKEY RRset, and does it make signatures (a KSK over the DNSKEY RRset, a
    ZSK over the zone, a CSK both)? See :func:`key_functions` for the rules."""
    published, signs_dnskey, signs_zone = key_functions(role, timers, now)
    return published, signs_dnskey or signs_zone


def key_functions(role: str, timers: KeyTimers, now: int | float) -> tuple[bool, bool, bool]:
    """``(published, signs_dnskey, signs_zone)`` of a key at ``now``: is its
    DNSKEY in the zone's DNSKEY RRset, does it sign the DNSKEY RRset, does it
    sign the rest of the zone?

    These are Knot DNS's rules for its timers (knot/dnssec/zone-keys.c,
    ``set_key``), which are also what this vocabulary means for any engine:

    * a KSK signs the DNSKEY RRset whenever it is published (not only once
      active), and stops being published at ``retire``;
    * a ZSK signs from ``pre_active`` (unpublished: algorithm rollover, new
      signatures first), from ``active``, during ``retire_active`` and after
      ``post_active`` (unpublished: old signatures out last); a retired ZSK
      stays published until ``remove``;
    * a revoked KSK is published (REVOKE bit) and signs the DNSKEY RRset.

    (Knot also lets a "ready" ZSK sign when no other ZSK of its algorithm is
    active; keys are never left that way by the collection.)
    """
    def reached(name: str) -> bool:
        value = getattr(timers, name)
        return value is not None and value <= now

    if reached("remove"):
        return False, False, False
    ksk, zsk = role in ("ksk", "csk"), role in ("zsk", "csk")
    published = reached("publish") and not reached("post_active")
    retired = reached("retire")
    if ksk and not zsk and retired:
        published = False
    active = reached("active") and not retired and not reached("retire_active")
    retire_active = reached("retire_active") and not retired
    signs_dnskey = ksk and (published or active or retire_active) and not reached("post_active")
    pre_active = reached("pre_active") and not reached("ready") and not reached("active")
    signs_zone = zsk and (active or pre_active or retire_active or reached("post_active"))
    if ksk and reached("revoke"):
        published, signs_dnskey = True, True
    return published, signs_dnskey, signs_zone


class EngineError(Exception):
    """Base class: an engine operation failed. ``str(error)`` says what to do."""


class EngineNotRunning(EngineError):
    """The engine's daemon cannot be reached (control socket, process)."""


class ZoneUnknown(EngineError):
    """The engine does not know (or does not sign) the zone."""


class EngineTimeout(EngineError):
    """An engine command did not finish within its timeout."""


class EngineCommandFailed(EngineError):
    """An engine command ran and reported an error."""


class EngineRefused(EngineError):
    """The adapter refuses a request that could lose a key or break the zone."""


class EngineUnsupported(EngineError):
    """The engine (or its version) cannot express what was asked."""


def _check_timer_name(name: str) -> None:
    if name not in TIMER_NAMES:
        raise ValueError(f"unknown key timer {name!r} (known: {', '.join(TIMER_NAMES)})")


@dataclass(frozen=True)
class KeyTimers:
    """A key's timers: epoch seconds, ``None`` when not set."""

    created: int | None = None
    pre_active: int | None = None
    publish: int | None = None
    ready: int | None = None
    active: int | None = None
    retire_active: int | None = None
    retire: int | None = None
    post_active: int | None = None
    revoke: int | None = None
    remove: int | None = None

    @classmethod
    def from_mapping(cls, values: Mapping[str, int | None]) -> KeyTimers:
        """Build from ``{"publish": 1700000000, ...}``; 0 and ``None`` mean "not set"."""
        clean: dict[str, int | None] = {}
        for name, value in values.items():
            _check_timer_name(name)
            clean[name] = int(value) if value else None
        return cls(**clean)

    def to_dict(self) -> dict[str, int | None]:
        return {name: getattr(self, name) for name in TIMER_NAMES}

    def replace(self, changes: Mapping[str, int | None]) -> KeyTimers:
        """Return a copy with ``changes`` applied (``None`` / 0 unsets a timer)."""
        values = self.to_dict()
        for name, value in changes.items():
            _check_timer_name(name)
            values[name] = int(value) if value else None
        return KeyTimers(**values)

    def state(self, now: int | float) -> str:
        """The key's state at ``now`` ("generated" when no event has happened yet)."""
        for name, state in STATE_ORDER:
            value = getattr(self, name)
            if value is not None and value <= now:
                return state
        return "generated"


@dataclass(frozen=True)
class EngineKey:
    """One key as the engine sees it.

    ``key_id`` is the handle the adapter accepts back (Knot: the key ID, which
    for a PKCS#11 key is its CKA_ID in lower-case hex); ``hsm_id`` is the
    CKA_ID in lower-case hex (``None`` for a key that is not in the HSM).
    ``missing`` is ``True`` when the engine reports the private key absent
    from its keystore, ``None`` when the engine cannot tell.
    """

    key_id: str
    hsm_id: str | None
    tag: int
    algorithm: int
    role: str
    size: int = 0
    timers: KeyTimers = field(default_factory=KeyTimers)
    public_only: bool = False
    missing: bool | None = None

    def state(self, now: int | float) -> str:
        return self.timers.state(now)

    def published(self, now: int | float) -> bool:
        """Is the DNSKEY in the zone at ``now``? (:func:`key_usage`)"""
        return key_usage(self.role, self.timers, now)[0]

    def signing(self, now: int | float) -> bool:
        """Does the key make signatures at ``now``? (:func:`key_usage`)"""
        return key_usage(self.role, self.timers, now)[1]

    def to_dict(self, now: int | float | None = None) -> dict:
        data = {
            "key_id": self.key_id, "hsm_id": self.hsm_id, "tag": self.tag,
            "algorithm": self.algorithm, "role": self.role, "size": self.size,
            "timers": self.timers.to_dict(), "public_only": self.public_only,
            "missing": self.missing,
        }
        if now is not None:
            data["state"] = self.state(now)
        return data

    @classmethod
    def from_dict(cls, data: Mapping) -> EngineKey:
        return cls(
            key_id=str(data["key_id"]), hsm_id=data.get("hsm_id"), tag=int(data["tag"]),
            algorithm=int(data["algorithm"]), role=str(data["role"]), size=int(data.get("size") or 0),
            timers=KeyTimers.from_mapping(data.get("timers") or {}),
            public_only=bool(data.get("public_only")), missing=data.get("missing"),
        )


@dataclass(frozen=True)
class DSRecord:
    """One DS record (RFC 4034 section 5) as text fields."""

    zone: str
    key_tag: int
    algorithm: int
    digest_type: int
    digest: str  # lower-case hex

    def to_text(self, ttl: int | None = None) -> str:
        ttl_text = f" {ttl}" if ttl is not None else ""
        return f"{self.zone}{ttl_text} IN DS {self.key_tag} {self.algorithm} {self.digest_type} {self.digest}"

    def rdata_text(self) -> str:
        return f"{self.key_tag} {self.algorithm} {self.digest_type} {self.digest}"

    def short(self) -> str:
        """"40144/13/2": key tag / algorithm / digest type, for messages."""
        return f"{self.key_tag}/{self.algorithm}/{self.digest_type}"


def normalise_zone(zone: str) -> str:
    """Lower-case, absolute ("example" -> "example.", "" / "." -> ".")."""
    name = (zone or "").strip().lower()
    if not name or name == ".":
        return "."
    return name if name.endswith(".") else name + "."


def normalise_hsm_id(hsm_id: str | bytes) -> str:
    """CKA_ID as lower-case hex without separators ("01:AA" / b"\\x01\\xaa" -> "01aa")."""
    if isinstance(hsm_id, bytes | bytearray):
        return bytes(hsm_id).hex()
    text = str(hsm_id).strip().lower().replace(":", "").replace(" ", "")
    if text.startswith("0x"):
        text = text[2:]
    if not text or len(text) % 2 or any(c not in "0123456789abcdef" for c in text):
        raise ValueError(f"HSM key id {hsm_id!r} is not a hex CKA_ID (e.g. '01aa' or '01:aa')")
    return text


class EngineAdapter(abc.ABC):
    """What the collection needs from a signing engine, for one signer host.

    Every method takes the zone name; zones are independent. Writing methods
    return ``True`` when they changed something and ``False`` when the engine
    already was as asked (so a second run reports ``changed=false``). With
    ``check_mode`` true, writing methods decide and report but change nothing.
    Errors are :class:`EngineError` subclasses whose text says what is wrong
    and what to do.
    """

    #: short engine name ("knot", "bind")
    name: str = ""

    #: Can a KSK sign the DNSKEY RRset before its DNSKEY is published (RFC 6781
    #: section 4.1.4, algorithm rollover: new signatures first)? Knot cannot: a
    #: KSK signs the DNSKEY RRset exactly while it is published. The planner then
    #: adds the new KSK's DNSKEY and its signature in one step.
    ksk_signs_unpublished: bool = False

    #: Can the DNSKEY TTL of one zone be changed by the adapter during a
    #: rollover (emergency KSK replacement without a standby)? Knot takes it
    #: from the policy in knot.conf, shared by every zone of that policy.
    can_set_dnskey_ttl: bool = False

    def __init__(self, check_mode: bool = False) -> None:
        self.check_mode = check_mode

    @abc.abstractmethod
    def version(self) -> str:
        """The engine's version string ("3.4.6")."""

    @abc.abstractmethod
    def check_zone(self, zone: str) -> None:
        """Raise unless the engine runs, knows ``zone`` and signs it under a policy
        that leaves the key lifecycle to the collection (Knot: ``manual: on``;
        BIND: a ``dnssec-policy`` whose keys the collection manages)."""

    @abc.abstractmethod
    def list_keys(self, zone: str) -> list[EngineKey]:
        """Every key the engine holds for ``zone`` with its timers."""

    @abc.abstractmethod
    def import_key(self, zone: str, hsm_id: str, algorithm: int, role: str, size: int,
                   timers: KeyTimers) -> tuple[EngineKey | None, bool]:
        """Register the HSM key ``hsm_id`` (CKA_ID hex) for ``zone`` with exactly
        ``timers`` (timers not given are left unset, never defaulted to "now").

        Returns ``(key, changed)``; an already registered key with the same
        algorithm and role is ``(key, False)`` (its timers are not touched: use
        :meth:`set_timers`); a registered key that differs raises
        :class:`EngineRefused`. In check mode a new key returns ``(None, True)``.
        """

    @abc.abstractmethod
    def set_timers(self, zone: str, key_id: str, changes: Mapping[str, int | None], *,
                   archived: bool = False) -> bool:
        """Set some timers of one key (``None`` unsets). Setting ``remove``
        requires ``archived=True``: the caller asserts that the collection's
        state has archived this key (it keeps the HSM object)."""

    @abc.abstractmethod
    def apply(self, zone: str) -> None:
        """Make the engine load the keys / timers just changed and re-sign."""

    @abc.abstractmethod
    def ds_records(self, zone: str, key_id: str, digest_types: Iterable[int] = (2,)) -> list[DSRecord]:
        """DS records of one key, for the given digest types (2 SHA-256, 4 SHA-384)."""

    @abc.abstractmethod
    def dnskey_record(self, zone: str, key_id: str) -> str:
        """The key's DNSKEY record in presentation format."""

    @abc.abstractmethod
    def archive_key(self, zone: str, key_id: str, now: int) -> bool:
        """Take a key whose ``remove`` time has passed out of the zone's key set
        while keeping its HSM object. Refuses a key that is still in the DNS."""

    def timers_for(self, key: EngineKey, *, published: bool, signs: bool, at: int) -> dict[str, int | None]:
        """Timer changes that make ``key`` published / signing (or not) from ``at`` on.

        ``signs`` means "signs the DNSKEY RRset" for a KSK, "signs the zone"
        for a ZSK, both for a CSK. Returns ``{}`` when the key already behaves
        so at ``at``. Raises :class:`EngineUnsupported` for what the engine
        cannot do (Knot: a KSK that signs without being published). Taking a
        key out of the DNS for good needs ``remove``, which :meth:`set_timers`
        only accepts for archived keys.
        """
        now_published, now_signs = key_usage(key.role, key.timers, at)
        if (now_published, now_signs) == (published, signs):
            return {}
        t = key.timers
        changes: dict[str, int | None] = {}
        ksk_only = key.role == "ksk"
        if ksk_only:
            if signs and not published:
                raise EngineUnsupported(
                    f"key {key.tag}: a KSK cannot sign the DNSKEY RRset without being in it")
            if published:
                changes.update(publish=t.publish if t.publish and t.publish <= at else at,
                               retire=None, remove=None, post_active=None)
                if signs:
                    changes["active"] = t.active if t.active and t.active <= at else at
                # Knot signs the DNSKEY RRset with every published KSK anyway.
            else:
                changes["retire"] = at
        else:
            if published and signs:
                changes.update(publish=t.publish if t.publish and t.publish <= at else at,
                               active=t.active if t.active and t.active <= at else at,
                               retire=None, retire_active=None, post_active=None, remove=None)
            elif published:
                changes["publish"] = t.publish if t.publish and t.publish <= at else at
                if now_signs:
                    changes["retire"] = at
            elif signs:
                if now_published:
                    changes["post_active"] = at
                else:
                    changes["pre_active"] = t.pre_active if t.pre_active and t.pre_active <= at else at
            else:
                changes["remove"] = at
        return {name: value for name, value in changes.items() if getattr(t, name) != value}

    def timers_for_functions(self, key: EngineKey, *, published: bool, signs_dnskey: bool,
                             signs_zone: bool, at: int) -> dict[str, int | None]:
        """Timer changes that give ``key`` exactly these functions from ``at`` on
        (:func:`key_functions`): in the DNSKEY RRset or not, signing the DNSKEY
        RRset or not, signing the zone or not. A KSK never signs the zone and a
        ZSK never signs the DNSKEY RRset (those flags are ignored for them).

        Returns ``{}`` when the key already does exactly that at ``at``. The
        result keeps timers in lifecycle order (``publish`` <= ``active``,
        ``retire`` before ``remove``), as ``keymgr`` requires. Raises
        :class:`EngineUnsupported` for what the engine cannot express (a KSK
        that signs without being published, or is published without signing).
        A ``remove`` timer is only accepted by :meth:`set_timers` for keys the
        caller has marked as leaving the zone (``archived=True``).
        """
        role = key.role
        ksk, zsk = role in ("ksk", "csk"), role in ("zsk", "csk")
        want = (bool(published), bool(signs_dnskey) and ksk, bool(signs_zone) and zsk)
        t = key.timers
        now = key_functions(role, t, at)
        if now == want:
            return {}

        def keep(name: str) -> int:
            value = getattr(t, name)
            return value if value is not None and value <= at else at

        changes: dict[str, int | None] = {}
        cleared = {"retire": None, "retire_active": None, "post_active": None, "remove": None}
        is_published, signs_keys, signs_data = want
        if not any(want):
            if role == "ksk":
                changes["retire"] = at
            else:
                changes["remove"] = at
                if t.retire is None and t.post_active is None:
                    changes["retire"] = at
        elif is_published:
            changes["publish"] = keep("publish")
            # A published KSK always signs the DNSKEY RRset (Knot); a ZSK or CSK
            # that must sign the zone is active.
            if role == "ksk" or signs_data:
                changes.update(cleared, active=keep("active"))
            elif now[2]:  # a ZSK or CSK that signs the zone and must stop
                changes["retire"] = at
        elif signs_data:
            if now[0]:
                changes["post_active"] = at
            else:
                changes["pre_active"] = keep("pre_active")
        changes = {name: value for name, value in changes.items() if getattr(t, name) != value}
        if key_functions(role, t.replace(changes), at) != want:
            raise EngineUnsupported(
                f"key {key.tag} ({role.upper()}): {self.name or 'this engine'} cannot make a {role.upper()} "
                f"{'published' if is_published else 'unpublished'}, "
                f"{'signing' if signs_keys else 'not signing'} the DNSKEY RRset and "
                f"{'signing' if signs_data else 'not signing'} the zone")
        return changes

    def set_dnskey_ttl(self, zone: str, ttl: int) -> bool:
        """Change the DNSKEY TTL of one zone (see :attr:`can_set_dnskey_ttl`)."""
        raise EngineUnsupported(
            f"zone {zone}: {self.name or 'this engine'} takes the DNSKEY TTL from its configuration "
            "(Knot: dnskey-ttl of the zone's policy in knot.conf), so it cannot be changed for one zone "
            "during a rollover")

    def confirm_ds_submitted(self, zone: str) -> bool:
        """Tell the engine that the parent serves the new DS, where the engine
        has such a notion (Knot ``zone-ksk-submitted``, BIND ``rndc dnssec
        -checkds published``). Returns whether the engine took it into account.
        The collection drives keys by timers, so the default does nothing."""
        return False

    def key_by_id(self, zone: str, key_id: str) -> EngineKey:
        """The key ``key_id`` (engine id or HSM id) of ``zone``, or :class:`EngineError`."""
        wanted = key_id.lower()
        for key in self.list_keys(zone):
            if wanted in (key.key_id.lower(), (key.hsm_id or "").lower()):
                return key
        raise EngineError(f"zone {zone}: the engine has no key with id {key_id}")
