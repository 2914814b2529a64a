#!/usr/bin/python
# Copyright: rsp.dnssec contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: zone_status
short_description: Report the DNSSEC health of signed zones (read-only)
version_added: 0.1.0
description:
  - For every zone given, reports without changing anything - the keys (tag, algorithm, role, state,
    timers, HSM id, and what the collection's state says of them), the SOA serial and the least remaining
    RRSIG validity on every authoritative server, the DNSKEY RRset each server serves, the DS RRset on
    every parent server compared with the zone's DNSKEYs, the rollover in progress, archived keys, and a
    list of problems (state and engine disagreeing, servers at different serials, signatures close to
    expiry, a DS that matches no published KSK - a broken chain of trust - or a stale DS).
author:
  - rsp.dnssec contributors (@rsp-dnssec)
extends_documentation_fragment:
  - rsp.dnssec.zone
attributes:
  check_mode:
    support: full
    description: The module never changes anything.
  diff_mode:
    support: none
    description: Nothing to show as a diff; the result lists what was done.
options:
  policy:
    description:
      - The zones' policy (optional); when given, signatures with less than its C(signature_safety) of
        validity left are problems.
    type: dict
  parent_servers:
    description:
      - The parent's nameservers (C(address[@port])) whose DS RRset for the zone is compared with the
        zone's keys. Without it (and without O(parent_resolvers)) the parent is not checked.
    type: list
    elements: str
  parent_resolvers:
    description: Servers to ask for the parent's NS RRset when O(parent_servers) is not given.
    type: list
    elements: str
  parent_port:
    description: Port given to parent servers found through O(parent_resolvers).
    type: int
    default: 53
  fail_on_problems:
    description: Fail the task when any zone has a problem (for monitoring jobs).
    type: bool
    default: false
seealso:
  - module: rsp.dnssec.rollover
"""

EXAMPLES = r"""
- name: DNSSEC health of every zone, on the signer and both secondaries, against the root's DS
  rsp.dnssec.zone_status:
    zones: "{{ signer_zones | map(attribute='name') | list }}"
    authoritatives: [192.0.2.10, 198.51.100.20, 203.0.113.30]
    parent_resolvers: [127.0.0.1]
    policy: "{{ rsp_policies.default }}"
  register: health

- name: Stop when something is wrong
  ansible.builtin.assert:
    that: health.zones.values() | map(attribute='problems') | flatten | length == 0
    fail_msg: "{{ health.zones | dict2items | map(attribute='value.problems') | flatten }}"
"""

RETURN = r"""
msg:
  description: How many zones were reported and how many have problems.
  returned: always
  type: str
zones:
  description: One entry per zone (the zone name with a final dot is the key).
  returned: always
  type: dict
  contains:
    keys:
      description:
        - Every key the engine holds for the zone - HSM id, tag, algorithm, role, C(use) and C(status) in
          the collection's state, engine state (published, active, retired ...), whether it is published,
          signs the DNSKEY RRset, signs the zone, and its timers (UTC).
      type: list
      elements: dict
    soa:
      description: SOA serial served by each authoritative server (null when it did not answer).
      type: dict
    rrsig_min_remaining:
      description: Per server, the least remaining validity (seconds) of the RRSIGs over SOA, DNSKEY, NSEC3PARAM.
      type: dict
    dnskey:
      description: Per server, the DNSKEY RRset served (tag/algorithm).
      type: dict
    parent_ds:
      description: Per parent server, the DS RRset served for the zone (tag/algorithm/digest type).
      type: dict
    rollover:
      description: The rollover in progress (method, next step, reason), or null.
      type: dict
    archived_keys:
      description: Keys taken out of the zone and kept in the HSM, with their retention.
      type: list
      elements: dict
    problems:
      description: Everything that needs attention, in words (empty when all is well).
      type: list
      elements: str
    history:
      description: The last rollovers completed.
      type: list
      elements: dict
"""

import traceback  # noqa: E402  (the documentation comes first in a module)

from ansible.module_utils.basic import AnsibleModule, missing_required_lib  # noqa: E402

try:
    from ansible_collections.rsp.dnssec.plugins.module_utils.dnssec.lifecycle import module_support as ms
    from ansible_collections.rsp.dnssec.plugins.module_utils.dnssec.lifecycle.executor import (
        OPERATOR_ERRORS,
        ExecutorError,
        Lifecycle,
    )
    from ansible_collections.rsp.dnssec.plugins.module_utils.dnssec.observe import (
        DNSPYTHON_IMPORT_ERROR,
    )
    from ansible_collections.rsp.dnssec.plugins.module_utils.dnssec.parent.manual import ManualParent

    IMPORT_ERROR = None
except ImportError:
    IMPORT_ERROR = traceback.format_exc()


MODULE = "zone_status"


def main() -> None:
    spec = {
        "policy": {"type": "dict"},
        "parent_servers": {"type": "list", "elements": "str"},
        "parent_resolvers": {"type": "list", "elements": "str"},
        "parent_port": {"type": "int", "default": 53},
        "fail_on_problems": {"type": "bool", "default": False},
    }
    if IMPORT_ERROR is None:
        spec.update(ms.zone_argument_spec())
    module = AnsibleModule(argument_spec=spec, supports_check_mode=True,
                           mutually_exclusive=[("zone", "zones")], required_one_of=[("zone", "zones")])
    if IMPORT_ERROR:
        module.fail_json(msg="rsp.dnssec.zone_status cannot load its library: " + IMPORT_ERROR.splitlines()[-1],
                         exception=IMPORT_ERROR)
    if DNSPYTHON_IMPORT_ERROR:
        module.fail_json(msg=missing_required_lib("dnspython (Debian: python3-dnspython)"),
                         exception=DNSPYTHON_IMPORT_ERROR)
    params = module.params
    try:
        zones = ms.zones_of(params)
        policy = ms.policy_of(params)
        engine = ms.engine_of(params, check_mode=True)
        parent = None
        if params["parent_servers"] or params["parent_resolvers"]:
            # Only observes: the manual adapter's observation of every parent server.
            parent = ManualParent("/nonexistent", servers=params["parent_servers"],
                                  resolvers=params["parent_resolvers"], port=params["parent_port"],
                                  timeout=params["dns_timeout"], check_mode=True)
        lifecycle = Lifecycle(ms.settings_of(params, True, policy), engine, observer=ms.observer_of(params, engine),
                              parent=parent)
        results, failed = lifecycle.run(zones, lifecycle.zone_status)
    except (ExecutorError, ValueError, *OPERATOR_ERRORS) as exc:
        module.fail_json(msg=str(exc))
    except Exception as exc:  # a defect: say so, with the traceback for the bug report
        module.fail_json(msg=f"rsp.dnssec.{MODULE} failed unexpectedly ({exc.__class__.__name__}: {exc}); nothing "
                         "after the failing step was done; run again with -vvv and report the traceback",
                         exception=traceback.format_exc())
    with_problems = [z for z, r in results.items() if r.get("problems")]
    msg = f"{len(results)} zone(s), {len(with_problems)} with problems"
    if failed:
        module.fail_json(msg=ms.summary(results, failed), changed=False, zones=results)
    if with_problems and params["fail_on_problems"]:
        details = " | ".join(f"{z}: {'; '.join(results[z]['problems'])}" for z in with_problems)
        module.fail_json(msg=f"{msg}: {details}", changed=False, zones=results)
    module.exit_json(changed=False, zones=results, msg=msg)


if __name__ == "__main__":
    main()
