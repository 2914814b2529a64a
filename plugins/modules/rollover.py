#!/usr/bin/python
# Copyright: rsp.dnssec contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: rollover
short_description: Start, advance and report DNSSEC key rollovers that never break the chain of trust
version_added: 0.1.0
description:
  - Runs key rollovers step by step, for every zone given, with the RFC 7583 timing computed by the
    collection's planner (see C(docs/rollovers.md)) - ZSK pre-publication, KSK Double-DS (default) and
    Double-KSK, CSK, algorithm rollover in the conservative order of RFC 6781 section 4.1.4, and the
    emergency KSK replacement with a standby KSK (RFC 6781 section 4.2.4) or without one.
  - A step runs only when its earliest time has passed, the previous step's change has been observed on
    every server (every authoritative server of the zone at one SOA serial, or every nameserver of the
    parent), and the TTL of what it replaced has run out since that observation. A step that is not due
    is reported with what it waits for, in words; the module never skips a wait.
  - O(action=start) plans a rollover (new keys are generated in the HSM and imported into Knot
    unpublished) and performs its first step when due. O(action=advance) performs every step that is due
    for every zone given, and starts scheduled rollovers by itself when a key's lifetime says so - run
    it daily. O(action=status) reports and changes nothing. O(action=purge) destroys, in the HSM, the
    keys that rollovers archived, once O(retention) has passed since they left the zone (audited,
    irreversible); rollovers themselves never delete a key.
  - Crash-safe and idempotent - what a step will write is recorded before it is written, and a run
    killed at any point is completed by the next run; running again with nothing due changes nothing.
author:
  - rsp.dnssec contributors (@rsp-dnssec)
extends_documentation_fragment:
  - rsp.dnssec.zone
  - rsp.dnssec.zone.keystore
  - rsp.dnssec.zone.zone_policy
  - rsp.dnssec.zone.zone_parent
attributes:
  check_mode:
    support: full
    description:
      - Observes the gates and reports the complete plan and what would be performed; generates no key,
        sets no timer, sends no update to the parent, writes no state.
  diff_mode:
    support: none
    description: Nothing to show as a diff; the result lists what was done.
options:
  action:
    description:
      - V(start) a rollover with O(method); V(advance) every running (or scheduled) rollover; V(status)
        read-only; V(purge) archived keys past O(retention).
    type: str
    choices: [start, advance, status, purge]
    default: advance
  method:
    description:
      - The kind of rollover to start (O(action=start)). V(ksk) uses the policy's KSK method (Double-DS
        unless C(rollover.ksk) says V(double-ksk)); V(emergency_ksk) uses the standby KSK when the policy
        has one (see O(standby)).
    type: str
    choices: [zsk, ksk, csk, algorithm, emergency_ksk]
  algorithm:
    description:
      - The new algorithm of an V(algorithm) rollover (number or mnemonic). Default the policy's
        C(algorithm) (change the policy, then start the rollover).
    type: str
  standby:
    description:
      - For V(emergency_ksk) - V(true) swaps in the standby KSK whose DS is already at the parent (RFC 6781
        section 4.2.4); V(false) replaces the KSK without a standby. Default from the policy
        (C(rollover.emergency_ksk)).
    type: bool
  retention:
    description:
      - How long an archived key is kept in the HSM after it left the zone before O(action=purge) destroys
        it (seconds, or with a unit - V(30d), V(12h)).
    type: str
    default: 30d
notes:
  - A rollover's plan is fixed when it starts - a policy change in the middle does not change its waits.
  - Knot signs the DNSKEY RRset with a KSK exactly while that KSK is published, so in an algorithm rollover
    the new KSK's DNSKEY and its signature over the DNSKEY RRset arrive in the same step; the zone is still
    signed with the new algorithm first (RFC 6781 section 4.1.4), and the chain holds for every resolver
    cache (the planner's property tests check this plan too).
  - The rollover gates transfer the zone (AXFR) from O(transfer_server) to check that it is completely
    re-signed; the signer must allow that transfer to the managed host itself.
  - Never change key timers by hand (C(keymgr set)) during a rollover; the module stops with a message
    when Knot and its state disagree. See C(docs/rollovers.md) ("Stopping safely") for what to do.
seealso:
  - module: rsp.dnssec.zone_keys
  - module: rsp.dnssec.zone_status
"""

EXAMPLES = r"""
- name: Daily - advance every rollover that is due (and start scheduled ones)
  rsp.dnssec.rollover:
    zones: "{{ signer_zones | map(attribute='name') | list }}"
    action: advance
    policy: "{{ rsp_policies.default }}"
    hsm_token_label: dnssec
    hsm_pin_file: /etc/rsp-dnssec/hsm.pin
    authoritatives: [192.0.2.10, 198.51.100.20, 203.0.113.30]
    parent:
      type: manual
      resolvers: [127.0.0.1]
    artifacts_dir: /var/lib/rsp-dnssec/ds-submissions
    change_id: "{{ change_id | default(omit) }}"

- name: Start a KSK rollover of example. (Double-DS, DS by TSIG update to a parent we run)
  rsp.dnssec.rollover:
    zone: example.
    action: start
    method: ksk
    policy: "{{ rsp_policies.default }}"
    hsm_token_label: dnssec
    hsm_pin_file: /etc/rsp-dnssec/hsm.pin
    parent:
      type: dynupdate
      server: 192.0.2.53
      servers: [192.0.2.53, 198.51.100.53]
      tsig_name: rsp-parent-update.
      tsig_secret: "{{ vault_parent_tsig_secret }}"
    change_id: CHG-2001

- name: What is each rollover waiting for?
  rsp.dnssec.rollover:
    zones: [example., test.]
    action: status
  register: rollovers

- name: Destroy keys archived more than 30 days ago (irreversible, audited)
  rsp.dnssec.rollover:
    zones: [example.]
    action: purge
    retention: 30d
    hsm_token_label: dnssec
    hsm_pin_file: /etc/rsp-dnssec/hsm.pin
"""

RETURN = r"""
msg:
  description: How many zones were handled, changed, or failed (with each failure's message).
  returned: always
  type: str
zones:
  description: One entry per zone (the zone name with a final dot is the key).
  returned: always
  type: dict
  contains:
    changed:
      description: Whether this zone was changed (or would be, in check mode).
      type: bool
    method:
      description: The running (or just completed) rollover's method, e.g. C(ksk-double-ds); null when none.
      type: str
      sample: zsk-pre-publish
    step:
      description: Number of the next step (1-based); null when the rollover is complete.
      type: int
    step_name:
      description: Name of the next step (C(publish), C(ds-swap), C(complete) ...).
      type: str
    next_step:
      description: The next step in words.
      type: str
      sample: remove ZSK 22222/13 from the DNSKEY RRset
    next_earliest:
      description: The next step's RFC 7583 earliest time (UTC).
      type: str
      sample: "2026-03-03T13:00:00Z"
    due:
      description: Whether the next step is due now (it ran, unless in check mode).
      type: bool
    due_at:
      description: When the next step becomes due, once every observation it needs is made.
      type: str
    blocking:
      description: What the next step waits for, in words (null when due).
      type: str
      sample: >-
        DS RRset {40144/13/2, 33333/13/2} on all parent servers: DS 33333/13/2 seen on 2 of 3 parent servers;
        waiting for 127.0.0.1#53
    waiting_for:
      description: The same, one entry per condition.
      type: list
      elements: str
    reason:
      description: The planner's one-line summary of where the rollover stands.
      type: str
    actions:
      description: What this run did (or would do in check mode), in words.
      type: list
      elements: str
    performed:
      description: The steps performed by this run.
      type: list
      elements: str
    steps:
      description: Every step of the plan with its planned earliest time and when it was performed.
      type: list
      elements: dict
    complete:
      description: Whether the rollover is complete.
      type: bool
    ds_to_submit:
      description: With a V(manual) parent, the DS RRset the parent must serve now (zone-file lines).
      type: list
      elements: str
    ds_artefacts:
      description: With a V(manual) parent, the files the submission was written to.
      type: list
      elements: str
    last_rollover:
      description: When no rollover runs, the last one completed (method, change id, started, completed).
      type: dict
    scheduled:
      description: The scheduled rollover this run started (key lifetime reached).
      type: dict
    scheduled_rollovers:
      description: When each current key's lifetime calls for its next rollover.
      type: list
      elements: dict
    destroyed:
      description: With O(action=purge), the HSM ids of the keys destroyed.
      type: list
      elements: str
    kept:
      description: With O(action=purge), archived keys still within O(retention), and until when.
      type: list
      elements: dict
    notes:
      description: Advice and what a previous interrupted run left that this run finished.
      type: list
      elements: str
    failed:
      description: True when this zone failed; RV(zones.msg) says why (the other zones still ran).
      type: bool
    msg:
      description: Why this zone failed.
      type: str
"""

import traceback  # noqa: E402  (the documentation comes first in a module)

from ansible.module_utils.basic import AnsibleModule, missing_required_lib  # noqa: E402

try:
    from ansible_collections.rsp.dnssec.plugins.module_utils.dnssec.lifecycle import module_support as ms
    from ansible_collections.rsp.dnssec.plugins.module_utils.dnssec.lifecycle.executor import (
        OPERATOR_ERRORS,
        ExecutorError,
        algorithm_number,
    )
    from ansible_collections.rsp.dnssec.plugins.module_utils.dnssec.observe import (
        DNSPYTHON_IMPORT_ERROR,
    )

    IMPORT_ERROR = None
except ImportError:
    IMPORT_ERROR = traceback.format_exc()


MODULE = "rollover"


def main() -> None:
    spec = {
        "action": {"type": "str", "choices": ["start", "advance", "status", "purge"], "default": "advance"},
        "method": {"type": "str", "choices": ["zsk", "ksk", "csk", "algorithm", "emergency_ksk"]},
        "algorithm": {"type": "str"},
        "standby": {"type": "bool"},
        "retention": {"type": "str", "default": "30d"},
    }
    if IMPORT_ERROR is None:
        spec.update(ms.zone_argument_spec())
        spec.update(ms.hsm_argument_spec())
        spec.update(ms.policy_argument_spec(required=False))
        spec.update(ms.parent_argument_spec())
    module = AnsibleModule(
        argument_spec=spec,
        supports_check_mode=True,
        mutually_exclusive=[("zone", "zones"), ("hsm_pin", "hsm_pin_file")],
        required_one_of=[("zone", "zones")],
        required_if=[("action", "start", ("method", "policy")), ("action", "advance", ("policy",))],
    )
    if IMPORT_ERROR:
        module.fail_json(msg="rsp.dnssec.rollover cannot load its library: " + IMPORT_ERROR.splitlines()[-1],
                         exception=IMPORT_ERROR)
    if DNSPYTHON_IMPORT_ERROR:
        module.fail_json(msg=missing_required_lib("dnspython (Debian: python3-dnspython)"),
                         exception=DNSPYTHON_IMPORT_ERROR)
    params = module.params
    action = params["action"]
    try:
        zones = ms.zones_of(params)
        lifecycle = ms.lifecycle_of(params, module.check_mode, need_policy=action in ("start", "advance"))
        algorithm = algorithm_number(params["algorithm"])
        if action == "purge":
            results, failed = lifecycle.run(zones, lifecycle.purge)
        else:
            results, failed = lifecycle.run(
                zones, lambda zone: lifecycle.rollover(zone, action, params["method"], algorithm=algorithm,
                                                       standby=params["standby"]))
    except (ExecutorError, ValueError, *OPERATOR_ERRORS) as exc:
        module.fail_json(msg=str(exc))
    except Exception as exc:  # a defect: say so, with the traceback for the bug report
        module.fail_json(msg=f"rsp.dnssec.{MODULE} failed unexpectedly ({exc.__class__.__name__}: {exc}); nothing "
                         "after the failing step was done; run again with -vvv and report the traceback",
                         exception=traceback.format_exc())
    changed = any(r.get("changed") for r in results.values())
    if failed:
        module.fail_json(msg=ms.summary(results, failed), changed=changed, zones=results)
    module.exit_json(changed=changed, zones=results, msg=ms.summary(results, failed))


if __name__ == "__main__":
    main()
