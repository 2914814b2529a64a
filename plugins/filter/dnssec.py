# Copyright: rsp.dnssec contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt)
"""DNSSEC filters: ``keytag`` and ``dnskey_to_ds`` (documented in keytag.yml and dnskey_to_ds.yml)."""

from __future__ import annotations

from ansible.errors import AnsibleFilterError

try:
    from ansible_collections.rsp.dnssec.plugins.module_utils.dnssec.algorithms import AlgorithmError
    from ansible_collections.rsp.dnssec.plugins.module_utils.dnssec.records import (
        DNSPYTHON_IMPORT_ERROR,
        RecordError,
        make_ds,
        parse_dnskey,
        rdata_text,
    )
except ImportError as exc:  # pragma: no cover - the collection itself is broken
    DNSPYTHON_IMPORT_ERROR = str(exc)


def _require_dnspython(name: str) -> None:
    if DNSPYTHON_IMPORT_ERROR:
        raise AnsibleFilterError(f"rsp.dnssec.{name} needs dnspython on the controller (pip: dnspython)")


def _key(name: str, dnskey, origin: str | None = "."):
    _require_dnspython(name)
    if not isinstance(dnskey, str):
        raise AnsibleFilterError(f"rsp.dnssec.{name} expects a DNSKEY record as a string, got "
                                 f"{type(dnskey).__name__}")
    try:
        return parse_dnskey(dnskey, origin)
    except (RecordError, AlgorithmError) as exc:
        raise AnsibleFilterError(f"rsp.dnssec.{name}: {exc}") from None


def keytag(dnskey: str) -> int:
    """Key tag (RFC 4034 appendix B) of a DNSKEY record (full RR line or rdata)."""
    return _key("keytag", dnskey).keytag


def dnskey_to_ds(dnskey: str, digest: str = "sha256") -> str:
    """DS rdata ``"<keytag> <algorithm> <digest type> <DIGEST>"`` of a DNSKEY RR line (owner required)."""
    key = _key("dnskey_to_ds", dnskey, origin=None)
    try:
        return rdata_text(make_ds(key.owner, key.dnskey, digest))
    except (RecordError, AlgorithmError) as exc:
        raise AnsibleFilterError(f"rsp.dnssec.dnskey_to_ds: {exc}") from None


class FilterModule:
    """rsp.dnssec filters."""

    def filters(self) -> dict:
        return {"keytag": keytag, "dnskey_to_ds": dnskey_to_ds}
