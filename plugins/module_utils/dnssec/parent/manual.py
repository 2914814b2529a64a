# Copyright: rsp.dnssec contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt)
"""Parent adapter for a parent changed by people: write the DS submission, then observe.

This is the IANA path for a TLD (the root zone's DS is changed through IANA's
root zone management) and the registrar path for a second-level zone. The
adapter writes what to submit -- the complete DS RRset wanted, what to add and
what to remove, as zone-file lines (``.txt``) and as JSON (``.json``) -- into
``artefact_dir``, then only observes the parent's nameservers until every one
serves exactly that RRset (:meth:`ParentAdapter.status`).
"""

from __future__ import annotations

import json
import os
import time
from collections.abc import Callable, Iterable, Sequence

from ansible_collections.rsp.dnssec.plugins.module_utils.dnssec.journal import zone_filename
from ansible_collections.rsp.dnssec.plugins.module_utils.dnssec.observe import (
    DEFAULT_TIMEOUT,
    ObservationError,
    iso,
)
from ansible_collections.rsp.dnssec.plugins.module_utils.dnssec.parent.base import (
    ParentAdapter,
    ParentError,
    ParentUnreachable,
    SubmitResult,
    ds_dicts,
    ds_names,
    ds_set,
)


def _atomic_write(path: str, data: bytes, mode: int = 0o644) -> None:
    tmp = f"{path}.tmp.{os.getpid()}"
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, mode)
    try:
        os.write(fd, data)
        os.fsync(fd)
    finally:
        os.close(fd)
    os.replace(tmp, path)


class ManualParent(ParentAdapter):
    """Write DS submission artefacts into ``artefact_dir``; observe the parent.

    ``ds_ttl`` is only written into the zone-file lines (the parent decides).
    """

    name = "manual"

    def __init__(self, artefact_dir: str, *, ds_ttl: int | None = None, servers: Sequence | None = None,
                 resolvers: Sequence | None = None, port: int = 53, timeout: float = DEFAULT_TIMEOUT,
                 check_mode: bool = False, clock: Callable[[], float] = time.time) -> None:
        super().__init__(servers=servers, resolvers=resolvers, port=port, timeout=timeout,
                         check_mode=check_mode, clock=clock)
        self.artefact_dir = artefact_dir
        self.ds_ttl = ds_ttl

    def artefact_paths(self, zone: str, change_id: str | None) -> tuple[str, str]:
        stem = zone_filename(zone) + "." + "".join(
            c if c.isalnum() or c in "-_." else "_" for c in (change_id or "no-change-id")) + ".ds"
        return (os.path.join(self.artefact_dir, stem + ".txt"),
                os.path.join(self.artefact_dir, stem + ".json"))

    def submit(self, zone: str, desired: Iterable, *, change_id: str | None = None) -> SubmitResult:
        wanted = ds_set(desired)
        if not wanted:
            raise ParentError(f"zone {zone}: an empty DS RRset would make the zone insecure; the manual "
                              "parent adapter does not submit that (do it by hand if it is really meant)")
        txt_path, json_path = self.artefact_paths(zone, change_id)
        served: set | None = None
        try:
            observations = self.observe(zone)
            sets = [ds_set(o.value.get("ds", [])) for o in observations if o.ok]
            if sets and all(s == sets[0] for s in sets) and len(sets) == len(observations):
                served = sets[0]
        except (ObservationError, ParentUnreachable):
            served = None
        if served == wanted:
            return SubmitResult(False, f"every parent server already serves DS {ds_names(wanted)} for "
                                f"{zone}: nothing to submit")
        previous = None
        if os.path.exists(json_path):
            try:
                with open(json_path, encoding="utf-8") as handle:
                    previous = json.load(handle)
            except (OSError, ValueError):
                previous = None
        if previous and ds_set(previous.get("ds", [])) == wanted:
            submitted_at = previous.get("created_epoch")
            return SubmitResult(False, f"DS submission for {zone} already written at "
                                f"{previous.get('created')} to {txt_path}: waiting for the parent "
                                "to publish it",
                                ds_dicts(previous.get("add", [])), ds_dicts(previous.get("remove", [])),
                                submitted_at=submitted_at, artefacts=[txt_path, json_path])
        add = wanted - served if served is not None else wanted
        remove = (served - wanted) if served is not None else set()
        now = self.clock()
        what = (f"submit DS {ds_names(wanted)} to the parent (for a TLD: IANA root zone management); "
                f"add {ds_names(add)}, remove "
                f"{ds_names(remove) if served is not None else 'whatever else the parent serves'}")
        if self.check_mode:
            return SubmitResult(True, f"would write the DS submission for {zone} to {txt_path}: {what}",
                                ds_dicts(add), ds_dicts(remove), artefacts=[txt_path, json_path])
        text = f"DS submission for {zone} written to {txt_path}: {what}"
        os.makedirs(self.artefact_dir, mode=0o755, exist_ok=True)
        ttl = f" {self.ds_ttl}" if self.ds_ttl else ""
        lines = [f"; DS RRset to be served by the parent for {zone}",
                 f"; change {change_id or '-'} written {iso(now)} by rsp.dnssec",
                 *(f"{zone}{ttl} IN DS {t} {a} {d} {h.upper()}" for t, a, d, h in sorted(wanted))]
        if served is not None:
            lines += ["; to add:", *(f";   {t} {a} {d} {h.upper()}" for t, a, d, h in sorted(add))]
            lines += ["; to remove:", *(f";   {t} {a} {d} {h.upper()}" for t, a, d, h in sorted(remove))]
        document = {"zone": zone, "change_id": change_id, "created": iso(now), "created_epoch": now,
                    "ds": ds_dicts(wanted), "add": ds_dicts(add),
                    "remove": ds_dicts(remove) if served is not None else None,
                    "parent_served_before": ds_dicts(served) if served is not None else None}
        _atomic_write(json_path, (json.dumps(document, indent=1, sort_keys=True) + "\n").encode())
        _atomic_write(txt_path, ("\n".join(lines) + "\n").encode())
        return SubmitResult(True, text, ds_dicts(add), ds_dicts(remove), submitted_at=now,
                            artefacts=[txt_path, json_path])
