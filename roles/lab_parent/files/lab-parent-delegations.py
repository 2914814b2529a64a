# Copyright: rsp.dnssec contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt)
"""Bring the delegations of a zone served by knotd to a desired set (lab parent).

Reads JSON on stdin::

    {"zone": ".", "ttl": 60, "purge": true,
     "delegations": [{"name": "example.", "nameservers": [{"name": "ns1.example.",
                                                            "address": "10.230.0.31"}]}]}

and compares, for every delegation, the NS RRset and the glue (A / AAAA of
nameservers at or below the delegation) with what knotd serves
(``knotc zone-read``). Differences are applied in one ``knotc`` transaction, so
knotd re-signs and bumps the serial once. DS records are never touched: they
belong to the child's operator (dynamic update). With ``purge``, delegations
that are not in the list are removed with everything below them.

Prints one line of JSON: ``{"changed": bool, "changes": [...]}``. ``--check``
computes the changes and applies nothing. Exit status 1 with a message on error.
"""

from __future__ import annotations

import contextlib
import ipaddress
import json
import subprocess
import sys

KNOTC_TIMEOUT = 60
MAINTAINED_BY_KNOT = {"RRSIG", "NSEC", "NSEC3", "NSEC3PARAM", "DNSKEY", "CDS", "CDNSKEY", "SOA"}


class Failure(Exception):
    pass


def knotc(*args: str) -> str:
    try:
        proc = subprocess.run(["knotc", *args], capture_output=True, text=True, timeout=KNOTC_TIMEOUT,
                              check=False)
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise Failure(f"knotc {' '.join(args)}: {exc}") from None
    if proc.returncode != 0:
        raise Failure(f"knotc {' '.join(args)} failed: {(proc.stderr or proc.stdout).strip()}")
    return proc.stdout


def norm(name: str) -> str:
    name = name.strip().lower()
    return name if name.endswith(".") else name + "."


def below(name: str, apex: str) -> bool:
    """True when ``name`` is ``apex`` or a name under it."""
    return apex == "." or name == apex or name.endswith("." + apex)


def served(zone: str) -> dict[tuple[str, str], tuple[int, set[str]]]:
    """(owner, type) -> (ttl, {rdata}) of everything knotd serves in the zone."""
    rrsets: dict[tuple[str, str], tuple[int, set[str]]] = {}
    for line in knotc("zone-read", zone).splitlines():
        # "[.] example. 60 NS ns1.example."
        parts = line.split(None, 4)
        if len(parts) < 5 or not parts[0].startswith("["):
            continue
        owner, ttl, rtype, rdata = norm(parts[1]), int(parts[2]), parts[3].upper(), parts[4].strip()
        if rtype in ("NS", "CNAME", "DNAME"):
            rdata = norm(rdata)
        entry = rrsets.setdefault((owner, rtype), (ttl, set()))
        entry[1].add(rdata)
    return rrsets


def desired(spec: dict) -> dict[tuple[str, str], tuple[int, set[str]]]:
    ttl = int(spec.get("ttl", 60))
    want: dict[tuple[str, str], tuple[int, set[str]]] = {}
    for delegation in spec.get("delegations", []):
        name = norm(delegation["name"])
        servers = delegation.get("nameservers") or []
        if not servers:
            raise Failure(f"delegation {name} has no nameservers")
        want[(name, "NS")] = (ttl, {norm(ns["name"]) for ns in servers})
        for ns in servers:
            ns_name = norm(ns["name"])
            address = str(ns.get("address") or "")
            if not below(ns_name, name):
                continue
            if not address:
                raise Failure(f"nameserver {ns_name} is inside {name}: it needs an address (glue)")
            rtype = "AAAA" if ipaddress.ip_address(address).version == 6 else "A"
            entry = want.setdefault((ns_name, rtype), (ttl, set()))
            entry[1].add(str(ipaddress.ip_address(address)))
    return want


def plan(spec: dict) -> tuple[list[tuple[str, str]], list[tuple[str, str, int, set[str]]], list[str]]:
    """(RRsets to remove, RRsets to set, human-readable changes)."""
    zone = norm(spec.get("zone", "."))
    have = served(zone)
    want = desired(spec)
    cuts = {name for (name, rtype) in want if rtype == "NS"}
    served_cuts = {owner for (owner, rtype) in have if rtype == "NS" and owner != zone}
    managed = set(cuts)
    if spec.get("purge", False):
        managed |= served_cuts
    removals: list[tuple[str, str]] = []
    additions: list[tuple[str, str, int, set[str]]] = []
    changes: list[str] = []
    for (owner, rtype), (_ttl, rdata) in sorted(have.items()):
        if rtype in MAINTAINED_BY_KNOT or owner == zone:
            continue
        cut = next((c for c in managed if below(owner, c)), None)
        if cut is None:
            continue
        if rtype == "DS" and cut in cuts:
            continue  # the child's DS: published by dynamic update, never touched here
        if (owner, rtype) not in want:
            removals.append((owner, rtype))
            changes.append(f"remove {owner} {rtype} ({', '.join(sorted(rdata))})")
    for (owner, rtype), (ttl, rdata) in sorted(want.items()):
        current = have.get((owner, rtype))
        if current == (ttl, rdata):
            continue
        if current:
            removals.append((owner, rtype))
        additions.append((owner, rtype, ttl, rdata))
        before = f" (was {', '.join(sorted(current[1]))} ttl {current[0]})" if current else ""
        changes.append(f"set {owner} {ttl} {rtype} {', '.join(sorted(rdata))}{before}")
    return removals, additions, changes


def apply(zone: str, removals, additions) -> None:
    knotc("zone-begin", zone)
    try:
        for owner, rtype in removals:
            knotc("zone-unset", zone, owner, rtype)
        for owner, rtype, ttl, rdata in additions:
            for value in sorted(rdata):
                knotc("zone-set", zone, owner, str(ttl), rtype, value)
        knotc("zone-commit", zone)
    except Failure:
        with contextlib.suppress(Failure):
            knotc("zone-abort", zone)
        raise


def main() -> int:
    check = "--check" in sys.argv[1:]
    try:
        spec = json.load(sys.stdin)
        zone = norm(spec.get("zone", "."))
        removals, additions, changes = plan(spec)
        if changes and not check:
            apply(zone, removals, additions)
    except (Failure, ValueError, KeyError, TypeError) as exc:
        print(json.dumps({"changed": False, "failed": True, "msg": str(exc)}))
        return 1
    print(json.dumps({"changed": bool(changes), "changes": changes}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
