# Copyright: rsp.dnssec contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt)
"""What the modules ``zone_keys``, ``rollover`` and ``zone_status`` share:
their options (documented in ``plugins/doc_fragments/zone.py``) and the
construction of the executor's parts from them."""

from __future__ import annotations

from collections.abc import Mapping

from ansible_collections.rsp.dnssec.plugins.module_utils.dnssec.engine.knot import KnotAdapter
from ansible_collections.rsp.dnssec.plugins.module_utils.dnssec.hsm import DEFAULT_MODULE, HSMError
from ansible_collections.rsp.dnssec.plugins.module_utils.dnssec.hsm.lock import HostLock
from ansible_collections.rsp.dnssec.plugins.module_utils.dnssec.lifecycle.executor import (
    Lifecycle,
    Settings,
)
from ansible_collections.rsp.dnssec.plugins.module_utils.dnssec.lifecycle.gates import ZoneObserver
from ansible_collections.rsp.dnssec.plugins.module_utils.dnssec.lifecycle.hsmkeys import HSMKeys, read_pin_file
from ansible_collections.rsp.dnssec.plugins.module_utils.dnssec.parent.base import ParentError
from ansible_collections.rsp.dnssec.plugins.module_utils.dnssec.policy import Policy, parse_duration


def zone_argument_spec() -> dict:
    """zone / zones, change_id, the engine, the state, the servers (fragment ``rsp.dnssec.zone``)."""
    return {
        "zone": {"type": "str"},
        "zones": {"type": "list", "elements": "str"},
        "change_id": {"type": "str"},
        "knot_config": {"type": "path", "default": "/etc/knot/knot.conf"},
        "engine_timeout": {"type": "float", "default": 60},
        "state_dir": {"type": "path", "default": "/var/lib/rsp-dnssec"},
        "lock_timeout": {"type": "float", "default": 60},
        "authoritatives": {"type": "list", "elements": "str"},
        "transfer_server": {"type": "str"},
        "dns_timeout": {"type": "float", "default": 3},
    }


def hsm_argument_spec() -> dict:
    """hsm_module, hsm_token_label, hsm_token_serial, hsm_pin, hsm_pin_file, hsm_lock_timeout
    (fragment ``rsp.dnssec.zone.keystore``)."""
    return {
        "hsm_module": {"type": "path", "default": DEFAULT_MODULE},
        "hsm_token_label": {"type": "str", "no_log": False},
        "hsm_token_serial": {"type": "str", "no_log": False},
        "hsm_pin": {"type": "str", "no_log": True},
        "hsm_pin_file": {"type": "path"},
        "hsm_lock_timeout": {"type": "float", "default": 300},
    }


def policy_argument_spec(required: bool = True) -> dict:
    return {"policy": {"type": "dict", "required": required}}


def parent_argument_spec() -> dict:
    """parent, artifacts_dir (fragment ``rsp.dnssec.zone.zone_parent``)."""
    return {
        "parent": {"type": "dict", "options": {
            "type": {"type": "str", "choices": ["dynupdate", "manual"], "required": True},
            "server": {"type": "str"},
            "servers": {"type": "list", "elements": "str"},
            "resolvers": {"type": "list", "elements": "str"},
            "port": {"type": "int", "default": 53},
            "zone": {"type": "str"},
            "tsig_name": {"type": "str"},
            "tsig_algorithm": {"type": "str", "default": "hmac-sha256",
                               "choices": ["hmac-sha256", "hmac-sha384", "hmac-sha512"]},
            "tsig_secret": {"type": "str", "no_log": True},
            "ds_ttl": {"type": "int"},
            "timeout": {"type": "float", "default": 3},
        }},
        "artifacts_dir": {"type": "path", "default": "/var/lib/rsp-dnssec/ds-submissions"},
    }


MUTUALLY_EXCLUSIVE = [("zone", "zones"), ("hsm_pin", "hsm_pin_file")]
REQUIRED_ONE_OF = [("zone", "zones")]


def zones_of(params: Mapping) -> list[str]:
    zones = params.get("zones")
    if zones is None:
        zones = [params["zone"]]
    names = [str(z).strip() for z in zones if str(z).strip()]
    if not names:
        raise ValueError("no zone given: zones is empty")
    return names


def policy_of(params: Mapping) -> Policy | None:
    data = params.get("policy")
    return None if data is None else Policy.from_dict(data)


def engine_of(params: Mapping, check_mode: bool) -> KnotAdapter:
    lock = HostLock(timeout=params.get("hsm_lock_timeout") or 300)
    return KnotAdapter(params["knot_config"], timeout=params["engine_timeout"], check_mode=check_mode,
                       pkcs11_lock=lock)


def hsm_of(params: Mapping) -> HSMKeys | None:
    if not params.get("hsm_token_label"):
        return None
    pin = params.get("hsm_pin")
    if pin is None and params.get("hsm_pin_file"):
        pin = read_pin_file(params["hsm_pin_file"])
    if pin is None:
        raise HSMError("hsm_token_label is given but no PIN: give hsm_pin (from the vault) or hsm_pin_file")
    return HSMKeys(params["hsm_module"], params["hsm_token_label"], pin, token_serial=params.get("hsm_token_serial"),
                   lock_timeout=params.get("hsm_lock_timeout") or 300)


def observer_of(params: Mapping, engine: KnotAdapter) -> ZoneObserver:
    servers = params.get("authoritatives")
    if not servers:
        servers = engine.listen_addresses()[:1] or ["127.0.0.1"]
    return ZoneObserver(servers, params.get("transfer_server"), timeout=params.get("dns_timeout") or 3)


def parent_of(params: Mapping, check_mode: bool):
    spec = params.get("parent")
    if not spec:
        return None
    from ansible_collections.rsp.dnssec.plugins.module_utils.dnssec.parent.dynupdate import DynUpdateParent
    from ansible_collections.rsp.dnssec.plugins.module_utils.dnssec.parent.manual import ManualParent

    servers = spec.get("servers") or None
    resolvers = spec.get("resolvers") or None
    timeout = spec.get("timeout") or 3
    if spec["type"] == "dynupdate":
        missing = [name for name in ("server", "tsig_name", "tsig_secret") if not spec.get(name)]
        if missing:
            raise ParentError(f"parent type dynupdate needs {', '.join(missing)} (the parent's primary that "
                              "takes the update, and the TSIG key its update ACL allows)")
        return DynUpdateParent(spec["server"], spec["tsig_name"], spec["tsig_secret"],
                               tsig_algorithm=spec.get("tsig_algorithm") or "hmac-sha256", ds_ttl=spec.get("ds_ttl"),
                               parent_zone=spec.get("zone"), servers=servers, resolvers=resolvers,
                               port=spec.get("port") or 53, timeout=timeout, check_mode=check_mode)
    if not servers and not resolvers:
        raise ParentError("parent type manual needs servers (the parent's nameservers to observe) or resolvers "
                          "(to discover them)")
    return ManualParent(params["artifacts_dir"], ds_ttl=spec.get("ds_ttl"), servers=servers, resolvers=resolvers,
                        port=spec.get("port") or 53, timeout=timeout, check_mode=check_mode)


def settings_of(params: Mapping, check_mode: bool, policy: Policy | None) -> Settings:
    retention = params.get("retention")
    return Settings(state_dir=params["state_dir"], policy=policy, change_id=params.get("change_id"),
                    check_mode=check_mode, lock_timeout=params.get("lock_timeout") or 60,
                    hsm_lock_timeout=params.get("hsm_lock_timeout") or 300,
                    retention=parse_duration(retention, "retention") if retention is not None else 30 * 86400,
                    parent_type=(params.get("parent") or {}).get("type"))


def lifecycle_of(params: Mapping, check_mode: bool, *, need_policy: bool = True) -> Lifecycle:
    policy = policy_of(params)
    if need_policy and policy is None:
        raise ValueError("policy is required")
    engine = engine_of(params, check_mode)
    return Lifecycle(settings_of(params, check_mode, policy), engine, observer=observer_of(params, engine),
                     parent=parent_of(params, check_mode) if "parent" in params else None, hsm=hsm_of(params))


def summary(results: Mapping[str, dict], failed: list[str]) -> str:
    if not failed:
        changed = [z for z, r in results.items() if r.get("changed")]
        return f"{len(results)} zone(s), {len(changed)} changed"
    details = " | ".join(f"{zone}: {results[zone]['msg']}" for zone in failed)
    return f"{len(failed)} of {len(results)} zone(s) failed: {details}"
