# Copyright: rsp.dnssec contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt)
"""The interface of a parent adapter: get a DS RRset published, then observe it.

A rollover's DS steps (RFC 7583 section 3.3.2 Double-DS, RFC 6781 section
4.1.4 algorithm rollover, emergency KSK replacement) need the parent to serve
a given DS RRset. How it gets there differs -- an RFC 2136 dynamic update for a
parent the operator runs (:mod:`.dynupdate`), a submission a human carries to
IANA or a registrar (:mod:`.manual`) -- but the gate is always the same
observation: *every* nameserver of the parent serves exactly that DS RRset.

:meth:`ParentAdapter.submit` asks for the DS RRset (idempotent: nothing is
sent or written when it is already there); :meth:`ParentAdapter.status`
observes every parent server and says, in words, what is still awaited and
since when.
"""

from __future__ import annotations

import abc
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field

from ansible_collections.rsp.dnssec.plugins.module_utils.dnssec.observe import (
    DEFAULT_TIMEOUT,
    Observation,
    ObservationError,
    Server,
    discover_parent_servers,
    ds_evidence,
    ds_short,
    ds_tuple,
    iso,
    observe_ds,
    parse_servers,
    track_since,
)


class ParentError(Exception):
    """The parent step failed; ``str(error)`` says what to do."""


class ParentUnreachable(ParentError):
    """No parent server (or the update primary) answered."""


class ParentRefused(ParentError):
    """The parent refused the change (TSIG, ACL, no delegation...)."""


def ds_set(records: Iterable) -> set[tuple[int, int, int, str]]:
    """Normalise DS records (DSRecord, dnspython rdata, dict, text) to a set of tuples."""
    return {ds_tuple(r) for r in records}


def ds_names(records: Iterable) -> str:
    return ", ".join(sorted(ds_short(r) for r in ds_set(records))) or "none"


def ds_dicts(records: Iterable) -> list[dict]:
    return [{"key_tag": t, "algorithm": a, "digest_type": d, "digest": h}
            for t, a, d, h in sorted(ds_set(records))]


@dataclass
class SubmitResult:
    """What :meth:`ParentAdapter.submit` did (or, in check mode, would do)."""

    changed: bool
    text: str
    added: list[dict] = field(default_factory=list)
    removed: list[dict] = field(default_factory=list)
    submitted_at: float | None = None
    artefacts: list[str] = field(default_factory=list)

    def to_dict(self) -> dict:
        return {"changed": self.changed, "text": self.text, "added": self.added, "removed": self.removed,
                "submitted_at": iso(self.submitted_at), "artefacts": self.artefacts}


@dataclass
class ParentStatus:
    """Is the wanted DS RRset served by every parent server? Since when?"""

    zone: str
    satisfied: bool
    text: str
    tracking: dict
    observations: list[Observation]
    satisfied_since: float | None = None

    def to_dict(self) -> dict:
        return {"zone": self.zone, "satisfied": self.satisfied, "text": self.text,
                "satisfied_since": iso(self.satisfied_since), "tracking": self.tracking,
                "observations": [o.to_dict() for o in self.observations]}


class ParentAdapter(abc.ABC):
    """Base: parent server discovery and observation; subclasses :meth:`submit`.

    ``servers``: the parent's nameservers to observe, explicitly (any form
    :meth:`Server.parse` accepts); otherwise they are discovered (NS of the
    parent zone, and their addresses) by asking ``resolvers``, and given
    ``port``. Every DNS query has ``timeout`` seconds.
    """

    name = ""

    def __init__(self, *, servers: Sequence | None = None, resolvers: Sequence | None = None,
                 port: int = 53, timeout: float = DEFAULT_TIMEOUT, check_mode: bool = False,
                 clock: Callable[[], float] = time.time) -> None:
        self.servers = parse_servers(servers) if servers else None
        self.resolvers = parse_servers(resolvers) if resolvers else None
        if self.servers is None and self.resolvers is None:
            raise ParentError("give the parent's nameservers (servers) or resolvers to discover them from")
        self.port = port
        self.timeout = timeout
        self.check_mode = check_mode
        self.clock = clock
        self._discovered: dict[str, list[Server]] = {}

    def parent_servers(self, zone: str) -> list[Server]:
        """The servers whose answers decide the gate."""
        if self.servers is not None:
            return list(self.servers)
        if zone not in self._discovered:
            try:
                _parent, found = discover_parent_servers(zone, self.resolvers or [], port=self.port,
                                                         timeout=self.timeout)
            except ObservationError as exc:
                raise ParentUnreachable(f"zone {zone}: {exc}") from None
            self._discovered[zone] = found
        return list(self._discovered[zone])

    def observe(self, zone: str) -> list[Observation]:
        """The DS RRset of ``zone`` on every parent server (one observation each)."""
        return observe_ds(zone, self.parent_servers(zone), timeout=self.timeout, clock=self.clock)

    @abc.abstractmethod
    def submit(self, zone: str, desired: Iterable, *, change_id: str | None = None) -> SubmitResult:
        """Ask the parent to serve exactly the DS RRset ``desired`` for ``zone``."""

    def status(self, zone: str, desired: Iterable, *, previous: Mapping | None = None,
               exact: bool = True, absent: Iterable = ()) -> ParentStatus:
        """Observe every parent server and compare with ``desired``.

        ``previous`` is the ``tracking`` dict of the last status (kept by the
        caller in the zone state): it carries when each server was first seen
        serving the wanted RRset and when the DS was submitted, so the text can
        say "since". The new ``tracking`` is in the result."""
        observations = self.observe(zone)
        evidence = ds_evidence(observations, list(desired), exact=exact, absent=absent)
        tracking = track_since(previous, evidence, self.clock())
        submitted = (previous or {}).get("submitted_at")
        if submitted:
            tracking["submitted_at"] = submitted
        text = tracking["text"]
        if not evidence.satisfied and submitted:
            text += f"; submitted {iso(submitted)} ({self.name})"
        return ParentStatus(zone=zone, satisfied=evidence.satisfied, text=text, tracking=tracking,
                            observations=observations, satisfied_since=tracking.get("satisfied_since"))
