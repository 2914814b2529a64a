#!/usr/bin/python
# Copyright: rsp.dnssec contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: zone_keys
short_description: Bring zones to their policy's key set at rest (keys in the HSM, imported into Knot, signed)
version_added: 0.1.0
description:
  - For every zone given, makes the signing engine hold and use the key set the policy asks for between
    rollovers - a KSK and a ZSK (or one CSK) of the policy's algorithm, published and signing, and a
    standby KSK (not published, its DS at the parent) when the policy has C(standby_ksk).
  - Missing keys are generated in the HSM (private key never extractable, CKA_ID decided and recorded
    in the zone state before generation), imported into Knot (C(keymgr import-pkcs11)) with explicit
    timers, and Knot is made to load them and sign. NSEC3 follows Knot's policy, which must match
    O(policy) (0 iterations, no salt, no opt-out; RFC 9276).
  - For a new zone it returns the DS RRset to submit to the parent (RV(zones.ds_to_submit) in
    the result). Submit it once the signed zone is served by every secondary.
  - Never changes a zone while a rollover runs (that is M(rsp.dnssec.rollover)'s work), never replaces
    or deletes a key, never changes the algorithm (an algorithm rollover does).
  - Safe to run at any time, as often as wanted. A run killed half way is completed by the next run.
author:
  - rsp.dnssec contributors (@rsp-dnssec)
extends_documentation_fragment:
  - rsp.dnssec.zone
  - rsp.dnssec.zone.keystore
  - rsp.dnssec.zone.zone_policy
attributes:
  check_mode:
    support: full
    description: Reports the keys it would generate and import (and checks the HSM login); changes nothing.
  diff_mode:
    support: none
    description: Nothing to show as a diff; the result lists what was done.
seealso:
  - module: rsp.dnssec.rollover
  - module: rsp.dnssec.zone_status
  - module: rsp.dnssec.hsm_key
"""

EXAMPLES = r"""
- name: Bring every zone of the default policy to its key set
  rsp.dnssec.zone_keys:
    zones: "{{ signer_zones | selectattr('policy', 'equalto', 'default') | map(attribute='name') | list }}"
    policy: "{{ rsp_policies.default }}"
    hsm_module: /usr/lib/softhsm/libsofthsm2.so
    hsm_token_label: dnssec
    hsm_pin_file: /etc/rsp-dnssec/hsm.pin
    knot_config: /etc/knot/knot.conf
    state_dir: /var/lib/rsp-dnssec
    change_id: CHG-1234
  register: keys

- name: Show the DS to submit for a new zone
  ansible.builtin.debug:
    var: keys.zones['example.'].ds_to_submit
"""

RETURN = r"""
msg:
  description: How many zones were handled, changed, or failed (with each failure's message).
  returned: always
  type: str
  sample: 2 zone(s), 1 changed
zones:
  description: One entry per zone (the zone name with a final dot is the key).
  returned: always
  type: dict
  contains:
    changed:
      description: Whether this zone was changed (or would be, in check mode).
      type: bool
    actions:
      description: What was done (or would be done in check mode), in words.
      type: list
      elements: str
    keys:
      description:
        - The zone's keys - HSM id (CKA_ID), tag, algorithm, role, C(use) (current, standby, next),
          engine state, whether it is published / signs the DNSKEY RRset / signs the zone, timers.
      type: list
      elements: dict
    ds:
      description: DS records of the current and standby KSKs (or CSK), with the policy's DS TTL.
      type: list
      elements: str
      sample: ["example. 86400 IN DS 40144 13 2 2B6A8C1E7D0C4F7E9E0C3B6A1C0C1C6A2D0D8E2F9B1F2C0E5D3A7B9C1D2E3F4A"]
    ds_to_submit:
      description: The DS RRset the parent must serve for the zone at rest (same as RV(zones.ds)).
      type: list
      elements: str
    ds_records:
      description: The same DS records as dicts (key_tag, algorithm, digest_type, digest).
      type: list
      elements: dict
    would_create:
      description: In check mode, the keys that would be generated (role, algorithm, use).
      type: list
      elements: dict
    notes:
      description: Advice, e.g. a policy algorithm that differs from the zone's keys, a rollover in progress.
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
    )
    from ansible_collections.rsp.dnssec.plugins.module_utils.dnssec.observe import (
        DNSPYTHON_IMPORT_ERROR,
    )

    IMPORT_ERROR = None
except ImportError:
    IMPORT_ERROR = traceback.format_exc()


MODULE = "zone_keys"


def main() -> None:
    spec = {}
    if IMPORT_ERROR is None:
        spec.update(ms.zone_argument_spec())
        spec.update(ms.hsm_argument_spec())
        spec.update(ms.policy_argument_spec(required=False))
    module = AnsibleModule(
        argument_spec=spec,
        supports_check_mode=True,
        mutually_exclusive=[("zone", "zones"), ("hsm_pin", "hsm_pin_file")],
        required_one_of=[("zone", "zones")],
    )
    if IMPORT_ERROR:
        module.fail_json(msg="rsp.dnssec.zone_keys cannot load its library: " + IMPORT_ERROR.splitlines()[-1],
                         exception=IMPORT_ERROR)
    if DNSPYTHON_IMPORT_ERROR:
        module.fail_json(msg=missing_required_lib("dnspython (Debian: python3-dnspython)"),
                         exception=DNSPYTHON_IMPORT_ERROR)
    try:
        zones = ms.zones_of(module.params)
        lifecycle = ms.lifecycle_of(module.params, module.check_mode)
        results, failed = lifecycle.run(zones, lifecycle.zone_keys)
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
