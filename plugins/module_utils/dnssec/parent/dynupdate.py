# Copyright: rsp.dnssec contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt)
"""Parent adapter: RFC 2136 dynamic update of the DS RRset, signed with TSIG (RFC 8945).

For the lab parent, and for real zones whose parent the operator runs (ICANN
suggests such test subdomains). The update goes to the parent's primary; the
gate then observes every parent nameserver (:meth:`ParentAdapter.status`).
"""

from __future__ import annotations

import base64
import binascii
import time
from collections.abc import Callable, Iterable, Sequence

try:
    import dns.exception
    import dns.name
    import dns.query
    import dns.rcode
    import dns.rdatatype
    import dns.tsig
    import dns.tsigkeyring
    import dns.update
except ImportError:
    pass  # observe.require_dnspython() says so when an adapter is made

from ansible_collections.rsp.dnssec.plugins.module_utils.dnssec.observe import (
    DEFAULT_TIMEOUT,
    ObservationError,
    Server,
    find_zone_apex,
    iso,
    query,
    require_dnspython,
)
from ansible_collections.rsp.dnssec.plugins.module_utils.dnssec.parent.base import (
    ParentAdapter,
    ParentError,
    ParentRefused,
    ParentUnreachable,
    SubmitResult,
    ds_dicts,
    ds_names,
    ds_set,
)

TSIG_ALGORITHMS = ("hmac-sha256", "hmac-sha384", "hmac-sha512")
"""RFC 8945 section 6: HMAC-SHA256 is mandatory; SHA-1 and MD5 are not offered."""


class DynUpdateParent(ParentAdapter):
    """Publish DS records in a parent zone by TSIG-signed dynamic update.

    ``primary``: the parent's primary that accepts updates ("192.0.2.53",
    "127.0.0.1@15400", ...). ``tsig_name`` / ``tsig_secret`` (base64) /
    ``tsig_algorithm``: the key the primary's update ACL allows. ``ds_ttl``:
    TTL of added DS records (default: the TTL the parent already uses for the
    RRset, else 86400). ``parent_zone``: the zone to update (default: found by
    asking the primary for the SOA of the zone's parent name).
    """

    name = "dynupdate"

    def __init__(self, primary: str | Server, tsig_name: str, tsig_secret: str, *,
                 tsig_algorithm: str = "hmac-sha256", ds_ttl: int | None = None,
                 parent_zone: str | None = None, servers: Sequence | None = None,
                 resolvers: Sequence | None = None, port: int = 53, timeout: float = DEFAULT_TIMEOUT,
                 check_mode: bool = False, clock: Callable[[], float] = time.time) -> None:
        try:
            require_dnspython()
        except ObservationError as exc:
            raise ParentError(str(exc)) from None
        self.primary = Server.parse(primary)
        super().__init__(servers=servers or None, resolvers=resolvers or [self.primary], port=port,
                         timeout=timeout, check_mode=check_mode, clock=clock)
        algorithm = tsig_algorithm.lower().rstrip(".")
        if algorithm not in TSIG_ALGORITHMS:
            raise ParentError(f"TSIG algorithm {tsig_algorithm!r} is not supported here "
                              f"(use one of {', '.join(TSIG_ALGORITHMS)})")
        try:
            base64.b64decode(tsig_secret, validate=True)
        except (binascii.Error, ValueError):
            raise ParentError(f"the TSIG secret of key {tsig_name} is not base64") from None
        self.tsig_name = dns.name.from_text(tsig_name)
        self._keyring = dns.tsigkeyring.from_text({tsig_name: (algorithm, tsig_secret)})
        self.ds_ttl = ds_ttl
        self.parent_zone = parent_zone

    def _parent_of(self, zone: str) -> str:
        if self.parent_zone:
            return self.parent_zone
        name = dns.name.from_text(zone)
        try:
            return find_zone_apex(name.parent().to_text(), [self.primary], timeout=self.timeout)
        except ObservationError as exc:
            raise ParentUnreachable(f"zone {zone}: cannot find its parent zone on the update primary "
                                    f"{self.primary.label}: {exc}") from None

    def _served(self, zone: str) -> tuple[set, int | None]:
        """DS RRset (and its TTL) the primary serves now; checks the delegation."""
        owner = dns.name.from_text(zone)
        try:
            response = query(self.primary, owner, dns.rdatatype.DS, timeout=self.timeout)
            delegation = query(self.primary, owner, dns.rdatatype.NS, timeout=self.timeout, dnssec=False)
        except ObservationError as exc:
            raise ParentUnreachable(f"zone {zone}: the parent's update primary does not answer: "
                                    f"{exc}") from None
        if response.rcode() == dns.rcode.NXDOMAIN or not any(
                rrset.name == owner and rrset.rdtype == dns.rdatatype.NS
                for rrset in list(delegation.authority) + list(delegation.answer)):
            raise ParentRefused(f"the parent on {self.primary.label} has no delegation (NS) for {zone}: "
                                "add the delegation first; a DS without it would not be a secure delegation")
        if response.rcode() != dns.rcode.NOERROR:
            raise ParentRefused(f"the parent primary {self.primary.label} answered "
                                f"{dns.rcode.to_text(response.rcode())} for {zone} DS")
        for rrset in response.answer:
            if rrset.name == owner and rrset.rdtype == dns.rdatatype.DS:
                return ds_set(rrset), int(rrset.ttl)
        return set(), None

    def submit(self, zone: str, desired: Iterable, *, change_id: str | None = None) -> SubmitResult:
        wanted = ds_set(desired)
        served, ttl = self._served(zone)
        add, remove = wanted - served, served - wanted
        if not add and not remove:
            return SubmitResult(False, f"the parent primary {self.primary.label} already serves DS "
                                f"{ds_names(wanted)} for {zone}")
        text = (f"update the parent of {zone} on {self.primary.label}: add DS {ds_names(add)}, "
                f"remove DS {ds_names(remove)}")
        if self.check_mode:
            return SubmitResult(True, "would " + text, ds_dicts(add), ds_dicts(remove))
        parent = self._parent_of(zone)
        update = dns.update.UpdateMessage(parent)
        update.use_tsig(self._keyring, keyname=self.tsig_name)
        owner = dns.name.from_text(zone)
        for tag, alg, dtype, digest in sorted(remove):
            update.delete(owner, "DS", f"{tag} {alg} {dtype} {digest}")
        for tag, alg, dtype, digest in sorted(add):
            update.add(owner, self.ds_ttl or ttl or 86400, "DS", f"{tag} {alg} {dtype} {digest}")
        try:
            response = dns.query.tcp(update, self.primary.address, timeout=self.timeout,
                                     port=self.primary.port)
        except dns.exception.Timeout:
            raise ParentUnreachable(f"the parent primary {self.primary.label} did not answer the update "
                                    f"within {self.timeout:g} s") from None
        except (dns.tsig.PeerError, dns.tsig.BadSignature) as exc:
            raise ParentRefused(f"the parent primary {self.primary.label} rejected TSIG key "
                                f"{self.tsig_name} ({exc.__class__.__name__}): check the key name, "
                                "secret and algorithm on both sides") from None
        except (OSError, dns.exception.DNSException) as exc:
            raise ParentUnreachable(f"the update to {self.primary.label} failed: {exc}") from None
        rcode = response.rcode()
        if rcode == dns.rcode.NOTAUTH:
            raise ParentRefused(f"the parent primary {self.primary.label} answered NOTAUTH: TSIG key "
                                f"{self.tsig_name} is unknown there or the primary is not authoritative "
                                f"for {parent}")
        if rcode == dns.rcode.REFUSED:
            raise ParentRefused(f"the parent primary {self.primary.label} REFUSED the update of {parent}: "
                                f"allow key {self.tsig_name} to update it (Knot: acl action update)")
        if rcode != dns.rcode.NOERROR:
            raise ParentRefused(f"the parent primary {self.primary.label} answered "
                                f"{dns.rcode.to_text(rcode)} to the DS update of {zone}")
        now = self.clock()
        after, _ttl = self._served(zone)
        if after != wanted:
            raise ParentError(f"after the update the parent primary serves DS {ds_names(after)} for {zone}, "
                              f"not {ds_names(wanted)}")
        return SubmitResult(True, text + f" (done {iso(now)})", ds_dicts(add), ds_dicts(remove),
                            submitted_at=now)
