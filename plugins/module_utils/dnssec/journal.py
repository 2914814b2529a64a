# Copyright: rsp.dnssec contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt)
"""Per-zone rollover state and append-only audit journal, on the signer.

Files, per zone, in one directory (default ``/var/lib/rsp-dnssec/zones``):

``<zone>.state.json``
    The collection's view of the zone: its keys (HSM id, tag, role, status,
    the timers last set in the engine, a pending change if a run is between
    "decided" and "done"), the current rollover (opaque to this module: the
    planner's data) and observations. Written atomically: a new file is
    written and fsynced beside the old one, then renamed over it, so a run
    killed at any instant leaves either the old or the new state, never a mix.
``<zone>.journal.jsonl``
    One JSON object per line, only ever appended (and fsynced): time, actor,
    ``change_id``, step, keys, observations, details. A line cut short by a
    kill is kept as evidence and skipped (and reported) when reading.
``<zone>.lock``
    ``flock`` lock held for the whole run on the zone, so two runs (two
    ``ansible-playbook``, a cron job and a human) cannot interleave. It holds
    the pid / actor / time of the holder for the error message.

:func:`compare_with_engine` checks the state against the engine's keys and
names every disagreement; :func:`assert_agrees` raises
:class:`StateDisagreement` -- the collection stops, it never guesses.
"""

from __future__ import annotations

import contextlib
import errno
import fcntl
import getpass
import json
import os
import re
import socket
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime

STATE_SCHEMA = 1
DEFAULT_DIRECTORY = "/var/lib/rsp-dnssec/zones"
FILE_MODE = 0o640
DIR_MODE = 0o750

KEY_STATUSES = ("importing", "active", "archived", "destroyed")
"""``importing``: decided, not yet in the engine; ``active``: in the engine's
zone (in any timer state); ``archived``: out of the zone, HSM object kept;
``destroyed``: HSM object destroyed (record kept for the audit)."""

_COMPARED_TIMERS = ("pre_active", "publish", "ready", "active", "retire_active", "retire",
                    "post_active", "revoke", "remove")


class JournalError(Exception):
    """State / journal problem; ``str(error)`` says what to do."""


class JournalLocked(JournalError):
    """Another run holds the zone's lock."""


class StateCorrupt(JournalError):
    """The state file cannot be read."""


class StateDisagreement(JournalError):
    """The engine's keys and the collection's state disagree."""

    def __init__(self, zone: str, problems: list[str]) -> None:
        self.zone = zone
        self.problems = list(problems)
        super().__init__(
            f"zone {zone}: the signing engine and the rsp.dnssec state disagree, so nothing was "
            f"changed: " + " | ".join(problems)
            + " | Find out who changed what (the zone's audit journal, `keymgr <zone> list`, "
            "rsp.dnssec.zone_status), then either undo the manual change in the engine or repair "
            "the state file; rsp.dnssec never guesses which side is right.")


def iso(when: float | None) -> str | None:
    if when is None:
        return None
    return datetime.fromtimestamp(int(when), tz=UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def zone_filename(zone: str) -> str:
    """File stem for a zone: "Example.COM." -> "example.com", "." -> "_root";
    characters other than letters, digits, '-', '_' and '.' are %-escaped."""
    name = zone.strip().lower().rstrip(".")
    if not name:
        return "_root"
    return re.sub(r"[^a-z0-9._-]", lambda m: "%" + "%".join(f"{b:02x}" for b in m.group().encode()), name)


def default_actor() -> str:
    try:
        user = getpass.getuser()
    except Exception:  # no user name for this uid (containers)
        user = str(os.getuid())
    return f"{user}@{socket.gethostname()}"


def new_state(zone: str) -> dict:
    """An empty state for a zone the collection has not managed before."""
    return {"schema": STATE_SCHEMA, "zone": _zone(zone), "revision": 0, "updated": None,
            "keys": {}, "rollover": None, "observations": {}}


def _zone(zone: str) -> str:
    name = zone.strip().lower()
    return "." if name in ("", ".") else (name if name.endswith(".") else name + ".")


def _jsonable(value):
    if hasattr(value, "to_dict"):
        return value.to_dict()
    if isinstance(value, set | frozenset | tuple):
        return list(value)
    raise TypeError(f"{type(value).__name__} is not JSON serialisable")


def _fsync_dir(path: str) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


class ZoneJournal:
    """State file + audit journal + lock of one zone.

    Use as a context manager (``with ZoneJournal(dir, zone) as j:``) to hold
    the lock; :meth:`save` and :meth:`append` refuse to write without it.
    """

    def __init__(self, directory: str, zone: str, *, actor: str | None = None,
                 lock_timeout: float = 30.0, clock: Callable[[], float] = time.time) -> None:
        self.directory = directory
        self.zone = _zone(zone)
        self.actor = actor or default_actor()
        self.lock_timeout = lock_timeout
        self.clock = clock
        stem = os.path.join(directory, zone_filename(self.zone))
        self.state_path = stem + ".state.json"
        self.journal_path = stem + ".journal.jsonl"
        self.lock_path = stem + ".lock"
        self._lock_fd: int | None = None
        self.damaged_lines: list[int] = []

    # -- lock -----------------------------------------------------------------

    @property
    def locked(self) -> bool:
        return self._lock_fd is not None

    def lock(self, timeout: float | None = None) -> None:
        """Take the zone's lock, waiting up to ``timeout`` seconds (default: the
        instance's ``lock_timeout``); raise :class:`JournalLocked` naming the holder."""
        if self._lock_fd is not None:
            return
        os.makedirs(self.directory, mode=DIR_MODE, exist_ok=True)
        fd = os.open(self.lock_path, os.O_RDWR | os.O_CREAT, FILE_MODE)
        deadline = time.monotonic() + (self.lock_timeout if timeout is None else timeout)
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except OSError as exc:
                if exc.errno not in (errno.EAGAIN, errno.EACCES):
                    os.close(fd)
                    raise JournalError(f"cannot lock {self.lock_path}: {exc.strerror}") from None
                if time.monotonic() >= deadline:
                    holder = self._holder(fd)
                    os.close(fd)
                    raise JournalLocked(
                        f"zone {self.zone} is being changed by another run ({holder}); waited "
                        f"{self.lock_timeout if timeout is None else timeout:g} s for its lock "
                        f"{self.lock_path}. Let it finish and run again; if that process is gone, "
                        "the lock is free already (flock dies with its holder)") from None
                time.sleep(0.05)
        os.ftruncate(fd, 0)
        os.pwrite(fd, json.dumps({"pid": os.getpid(), "actor": self.actor,
                                  "since": iso(self.clock())}).encode() + b"\n", 0)
        self._lock_fd = fd
        self._remove_stale_temporaries()

    @staticmethod
    def _holder(fd: int) -> str:
        try:
            data = json.loads(os.pread(fd, 4096, 0).decode() or "{}")
            return f"pid {data.get('pid')}, {data.get('actor')}, since {data.get('since')}"
        except (OSError, ValueError):
            return "holder unknown"

    def unlock(self) -> None:
        if self._lock_fd is not None:
            fd, self._lock_fd = self._lock_fd, None
            fcntl.flock(fd, fcntl.LOCK_UN)
            os.close(fd)

    def __enter__(self) -> ZoneJournal:
        self.lock()
        return self

    def __exit__(self, *exc_info) -> None:
        self.unlock()

    def _remove_stale_temporaries(self) -> None:
        prefix = "." + os.path.basename(self.state_path) + ".tmp."
        for entry in os.listdir(self.directory):
            if entry.startswith(prefix):  # left by a writer killed before its rename
                with contextlib.suppress(FileNotFoundError):
                    os.unlink(os.path.join(self.directory, entry))

    def _require_lock(self, what: str) -> None:
        if self._lock_fd is None:
            raise JournalError(f"zone {self.zone}: {what} needs the zone's lock "
                               "(use `with ZoneJournal(...)`)")

    # -- state ----------------------------------------------------------------

    def load(self) -> dict:
        """The zone's state (a new empty one if there is none yet)."""
        try:
            with open(self.state_path, encoding="utf-8") as handle:
                text = handle.read()
        except FileNotFoundError:
            return new_state(self.zone)
        except OSError as exc:
            raise StateCorrupt(f"cannot read state file {self.state_path}: {exc.strerror}") from None
        try:
            state = json.loads(text)
        except ValueError as exc:
            raise StateCorrupt(
                f"state file {self.state_path} is not valid JSON ({exc}); it is only ever replaced "
                "atomically, so it was damaged from outside: restore it from backup or rebuild it "
                f"from the audit journal {self.journal_path}") from None
        if not isinstance(state, dict) or state.get("schema") != STATE_SCHEMA:
            schema = state.get("schema") if isinstance(state, dict) else "?"
            raise StateCorrupt(f"state file {self.state_path} has schema {schema}, this collection "
                               f"reads schema {STATE_SCHEMA}: upgrade the collection")
        if state.get("zone") != self.zone:
            raise StateCorrupt(f"state file {self.state_path} is for zone {state.get('zone')}, "
                               f"not {self.zone}")
        for name, default in (("keys", {}), ("rollover", None), ("observations", {}), ("revision", 0)):
            state.setdefault(name, default)
        return state

    def save(self, state: dict) -> dict:
        """Write ``state`` atomically (bumps ``revision``, sets ``updated``)."""
        self._require_lock("saving the state")
        if state.get("zone") != self.zone:
            raise JournalError(f"refusing to save a state of zone {state.get('zone')} as zone {self.zone}")
        state = dict(state)
        state["schema"] = STATE_SCHEMA
        state["revision"] = int(state.get("revision") or 0) + 1
        state["updated"] = iso(self.clock())
        data = json.dumps(state, indent=1, sort_keys=True, default=_jsonable).encode() + b"\n"
        tmp = os.path.join(self.directory, f".{os.path.basename(self.state_path)}.tmp.{os.getpid()}")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, FILE_MODE)
        try:
            view = memoryview(data)
            while view:
                view = view[os.write(fd, view):]
            os.fsync(fd)
        finally:
            os.close(fd)
        os.replace(tmp, self.state_path)
        _fsync_dir(self.directory)
        return state

    # -- journal --------------------------------------------------------------

    def append(self, step: str, *, change_id: str | None, keys: Iterable = (), observations: Iterable = (),
               details: Mapping | None = None, actor: str | None = None, result: str = "done") -> dict:
        """Append one audit record and fsync it. Returns the record."""
        self._require_lock("writing the audit journal")
        now = self.clock()
        record = {"time": iso(now), "epoch": now, "zone": self.zone, "actor": actor or self.actor,
                  "change_id": change_id, "step": step, "result": result, "keys": list(keys),
                  "observations": list(observations), "details": dict(details or {})}
        line = json.dumps(record, sort_keys=True, default=_jsonable).encode()
        fd = os.open(self.journal_path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, FILE_MODE)
        try:
            size = os.fstat(fd).st_size
            if size and not self._ends_with_newline():
                line = b"\n" + line  # a previous writer was killed mid-line: keep its bytes, start afresh
            view = memoryview(line + b"\n")
            while view:
                view = view[os.write(fd, view):]
            os.fsync(fd)
        finally:
            os.close(fd)
        return json.loads(json.dumps(record, default=_jsonable))

    def _ends_with_newline(self) -> bool:
        with open(self.journal_path, "rb") as handle:
            handle.seek(-1, os.SEEK_END)
            return handle.read(1) == b"\n"

    def records(self, change_id: str | None = None) -> list[dict]:
        """Every complete record (optionally of one change); damaged lines (a
        write cut short) are skipped and their numbers left in ``damaged_lines``."""
        self.damaged_lines = []
        found = []
        try:
            with open(self.journal_path, "rb") as handle:
                for number, raw in enumerate(handle, start=1):
                    if not raw.strip():
                        continue
                    try:
                        record = json.loads(raw)
                    except ValueError:
                        self.damaged_lines.append(number)
                        continue
                    if not isinstance(record, dict):
                        self.damaged_lines.append(number)
                        continue
                    if change_id is None or record.get("change_id") == change_id:
                        found.append(record)
        except FileNotFoundError:
            return []
        return found


# -- the collection's view of keys, and its agreement with the engine ----------

def record_key(state: dict, key, *, status: str = "active", **extra) -> dict:
    """Record (or update) a key in ``state["keys"]`` from an engine key (or a
    dict with hsm_id, tag, algorithm, role, timers). Returns the entry."""
    if status not in KEY_STATUSES:
        raise ValueError(f"key status {status!r} is not one of {', '.join(KEY_STATUSES)}")
    data = key.to_dict() if hasattr(key, "to_dict") else dict(key)
    hsm_id = str(data.get("hsm_id") or data.get("key_id")).lower()
    entry = dict(state.setdefault("keys", {}).get(hsm_id, {}))
    entry.update({"hsm_id": hsm_id, "tag": int(data["tag"]), "algorithm": int(data["algorithm"]),
                  "role": data["role"], "status": status})
    if data.get("timers") is not None:
        entry["timers"] = {k: v for k, v in dict(data["timers"]).items() if v}
    entry.pop("pending_timers", None)
    entry.update(extra)
    state["keys"][hsm_id] = entry
    return entry


def set_pending(state: dict, hsm_id: str, timers: Mapping[str, int | None]) -> None:
    """Record the timers a run is about to set (before touching the engine), so
    that a run killed half-way is recognised and completed by the next one."""
    entry = state["keys"][hsm_id.lower()]
    wanted = dict(entry.get("timers") or {})
    for name, value in timers.items():
        if value:
            wanted[name] = int(value)
        else:
            wanted.pop(name, None)
    entry["pending_timers"] = wanted


@dataclass
class Agreement:
    """Result of :func:`compare_with_engine`."""

    problems: list[str] = field(default_factory=list)
    """Disagreements: the run must stop."""
    unfinished: dict[str, str] = field(default_factory=dict)
    """hsm id -> what a previous run decided and the engine does not show yet
    (safe to redo: an import not made, pending timers not set)."""
    finished: dict[str, str] = field(default_factory=dict)
    """hsm id -> a pending change the engine already shows (record it as done)."""

    @property
    def agrees(self) -> bool:
        return not self.problems


def _timers_of(key) -> dict[str, int]:
    timers = key.timers.to_dict() if hasattr(key, "timers") and hasattr(key.timers, "to_dict") \
        else dict((key.get("timers") if isinstance(key, Mapping) else {}) or {})
    return {name: int(timers[name]) for name in _COMPARED_TIMERS if timers.get(name)}


def _fmt_timers(timers: Mapping[str, int]) -> str:
    return ", ".join(f"{name}={iso(value)}" for name, value in sorted(timers.items())) or "no timers"


def compare_with_engine(state: Mapping, engine_keys: Iterable, archived_ids: Iterable[str] = ()) -> Agreement:
    """Compare the state's keys with the engine's (``EngineKey`` objects or dicts).

    ``archived_ids``: HSM ids the engine keeps in its archive (Knot: under the
    holding name), which count as "out of the zone" for archived keys."""
    zone = state.get("zone")
    result = Agreement()
    known = {hsm_id.lower(): entry for hsm_id, entry in (state.get("keys") or {}).items()}
    archived = {a.lower() for a in archived_ids}
    seen = set()
    for key in engine_keys:
        data = key.to_dict() if hasattr(key, "to_dict") else dict(key)
        hsm_id = str(data.get("hsm_id") or data.get("key_id")).lower()
        seen.add(hsm_id)
        label = f"key {data['tag']} (id {hsm_id}, {str(data['role']).upper()} algorithm {data['algorithm']})"
        entry = known.get(hsm_id)
        if entry is None:
            result.problems.append(
                f"the engine has {label} which the state of zone {zone} does not know (added by hand?)")
            continue
        if entry.get("status") in ("archived", "destroyed"):
            result.problems.append(f"the state says {label} is {entry['status']}, but it is still in "
                                   f"the engine's key set for zone {zone}")
            continue
        for name in ("tag", "algorithm", "role"):
            if str(entry.get(name)) != str(data[name]):
                result.problems.append(f"{label}: the state records {name} {entry.get(name)}")
        engine_timers = _timers_of(key)
        recorded = {k: int(v) for k, v in (entry.get("timers") or {}).items() if k in _COMPARED_TIMERS and v}
        pending = entry.get("pending_timers")
        pending = None if pending is None else {k: int(v) for k, v in pending.items()
                                                if k in _COMPARED_TIMERS and v}
        if entry.get("status") == "importing":
            result.finished[hsm_id] = f"{label} was being imported and the engine has it"
        elif engine_timers == recorded and pending is not None and pending != recorded:
            result.unfinished[hsm_id] = (f"{label}: timers {_fmt_timers(pending)} were decided but not "
                                         "set in the engine (a run stopped half-way)")
        elif pending is not None and engine_timers == pending:
            result.finished[hsm_id] = f"{label}: decided timers are set in the engine"
        elif engine_timers != recorded:
            result.problems.append(
                f"{label}: the engine has {_fmt_timers(engine_timers)} but the state records "
                f"{_fmt_timers(recorded)} (changed by hand, e.g. `keymgr set`?)")
    for hsm_id, entry in known.items():
        if hsm_id in seen:
            continue
        status = entry.get("status")
        label = f"key {entry.get('tag')} (id {hsm_id}, {str(entry.get('role')).upper()})"
        if status == "importing":
            result.unfinished[hsm_id] = f"{label} was decided but not imported yet (a run stopped half-way)"
        elif status == "active":
            result.problems.append(f"the state has {label} in zone {zone}, but the engine does not "
                                   "(deleted by hand? `keymgr delete` also destroys the HSM object)")
        elif status == "archived" and archived_ids and hsm_id not in archived:
            result.problems.append(f"the state says {label} is archived, but the engine's archive "
                                   "does not hold it")
    return result


def assert_agrees(state: Mapping, engine_keys: Iterable, archived_ids: Iterable[str] = ()) -> Agreement:
    """:func:`compare_with_engine`, raising :class:`StateDisagreement` on any problem."""
    agreement = compare_with_engine(state, list(engine_keys), archived_ids)
    if agreement.problems:
        raise StateDisagreement(str(state.get("zone")), agreement.problems)
    return agreement
