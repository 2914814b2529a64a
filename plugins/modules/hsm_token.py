#!/usr/bin/python
# Copyright: rsp.dnssec contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: hsm_token
short_description: Check (or, for SoftHSM2, create) a PKCS#11 token and report what it can do for DNSSEC
version_added: 0.1.0
description:
  - Finds a token by label (and serial) in a PKCS#11 module and reports its identity, how many objects
    it holds, and which DNSSEC algorithms it can generate and sign with (from its mechanism list).
  - With O(initialize=true) a missing SoftHSM2 token is initialised in a free slot. A vendor HSM token
    is only checked; it must be created with the vendor's tools.
  - With O(pin) the login is tried (a wrong PIN fails) and private objects are counted too.
  - O(state=absent) deletes a SoftHSM2 token, and only with O(force=true).
author:
  - rsp.dnssec contributors (@rsp-dnssec)
extends_documentation_fragment:
  - rsp.dnssec.hsm
attributes:
  check_mode:
    support: full
    description: Reports the token it would initialise or delete and changes nothing.
  diff_mode:
    support: none
    description: Keys and tokens have no textual state to compare.
options:
  label:
    description: Token label (at most 32 bytes).
    type: str
    required: true
  serial:
    description: Token serial number, to pick one of several tokens with the same label.
    type: str
  so_pin:
    description:
      - Security officer PIN. Needed with O(initialize=true) when the token is created (SoftHSM2
        wants 4 to 255 characters). Never logged.
    type: str
  state:
    description:
      - V(present) checks the token (and initialises it with O(initialize)); V(absent) deletes it.
    type: str
    choices: [present, absent]
    default: present
  initialize:
    description:
      - Initialise a free slot as this token if it is missing (SoftHSM2 only); needs O(pin) and O(so_pin).
    type: bool
    default: false
  force:
    description:
      - Required for O(state=absent), because deleting a token destroys every key in it.
    type: bool
    default: false
seealso:
  - module: rsp.dnssec.hsm_key
"""

EXAMPLES = r"""
- name: Create the lab token (SoftHSM2)
  rsp.dnssec.hsm_token:
    label: dnssec
    pin: "{{ vault_hsm_pin }}"
    so_pin: "{{ vault_hsm_so_pin }}"
    initialize: true
  environment:
    SOFTHSM2_CONF: /etc/softhsm/softhsm2.conf

- name: Check a vendor HSM partition and the PIN
  rsp.dnssec.hsm_token:
    module: /usr/safenet/lunaclient/lib/libCryptoki2_64.so
    label: dnssec-partition
    pin: "{{ vault_hsm_pin }}"
  register: hsm

- name: Stop unless the token can do Ed25519
  ansible.builtin.assert:
    that: 15 in hsm.algorithms
"""

RETURN = r"""
label:
  description: Token label.
  returned: when the token exists (or would be created)
  type: str
  sample: dnssec
serial:
  description: Token serial number (null for a token that check mode would create).
  returned: when the token exists
  type: str
  sample: 7e1b0f9ad2d55ee8
manufacturer:
  description: Token manufacturer (CK_TOKEN_INFO.manufacturerID).
  returned: when the token exists
  type: str
  sample: SoftHSM project
model:
  description: Token model.
  returned: when the token exists
  type: str
  sample: SoftHSM v2
objects:
  description: Objects in the token by class; private ones are counted only with O(pin).
  returned: when the token exists
  type: dict
  sample: {"public_key": 2, "private_key": 2, "secret_key": 0, "certificate": 0, "data": 0, "total": 4}
logged_in:
  description: Whether the module logged in (O(pin) given and accepted).
  returned: when the token exists
  type: bool
algorithms:
  description: DNSSEC algorithms the token can generate keys for and sign with.
  returned: when the token exists
  type: list
  elements: int
  sample: [8, 10, 13, 14, 15, 16]
algorithm_support:
  description: Per algorithm, the mechanisms it needs and, when unsupported, what the token lacks.
  returned: when the token exists
  type: dict
  sample: {"15": {"mnemonic": "ED25519", "supported": false,
                  "mechanisms": ["CKM_EC_EDWARDS_KEY_PAIR_GEN", "CKM_EDDSA"],
                  "missing": ["CKM_EDDSA"], "detail": ""}}
provider:
  description: Provider and quirks profile used for the module.
  returned: always
  type: str
  sample: softhsm2
action:
  description: V(exists), V(initialized), V(deleted) or V(absent).
  returned: always
  type: str
"""

import traceback  # noqa: E402  (the documentation comes first in a module)

from ansible.module_utils.basic import AnsibleModule, missing_required_lib  # noqa: E402

try:
    from ansible_collections.rsp.dnssec.plugins.module_utils.dnssec.algorithms import lookup
    from ansible_collections.rsp.dnssec.plugins.module_utils.dnssec.hsm import (
        PKCS11_IMPORT_ERROR,
        HSMError,
        open_provider,
    )
    from ansible_collections.rsp.dnssec.plugins.module_utils.dnssec.hsm.base import TokenNotFound
    from ansible_collections.rsp.dnssec.plugins.module_utils.dnssec.hsm.module_args import (
        hsm_argument_spec,
        read_pin,
    )

    IMPORT_ERROR = None
except ImportError:
    IMPORT_ERROR = traceback.format_exc()


def argument_spec() -> dict:
    spec = hsm_argument_spec()
    spec.update(
        label={"type": "str", "required": True},
        serial={"type": "str"},
        so_pin={"type": "str", "no_log": True},
        state={"type": "str", "choices": ["present", "absent"], "default": "present"},
        initialize={"type": "bool", "default": False},
        force={"type": "bool", "default": False},
    )
    return spec


def describe_token(hsm, token, pin: str | None) -> dict:
    result = token.as_dict()
    capabilities = hsm.capabilities(token)
    result["algorithms"] = sorted(n for n, c in capabilities.items() if c.supported)
    result["algorithm_support"] = {
        str(n): {"mnemonic": lookup(n).mnemonic, "supported": c.supported,
                 "mechanisms": [f"CKM_{m}" for m in c.mechanisms],
                 "missing": [f"CKM_{m}" for m in c.missing], "detail": c.detail}
        for n, c in sorted(capabilities.items())}
    login = pin if token.login_required else None
    with hsm.session(token, login) as session:  # without a PIN: a public session (public objects only)
        result["objects"] = session.count_objects()
    result["logged_in"] = login is not None
    return result


def run(module: AnsibleModule) -> dict:
    params = module.params
    pin = read_pin(params["pin"], params["pin_file"])
    label, serial = params["label"], params["serial"]
    with open_provider(params["module"], params["hsm_profile"], params["lock_timeout"]) as hsm:
        base = {"changed": False, "provider": hsm.profile.name}
        try:
            token = hsm.find_token(label=label, serial=serial)
        except TokenNotFound as exc:
            if params["state"] == "absent":
                return {**base, "action": "absent"}
            if not params["initialize"]:
                raise HSMError(f"{exc}; set initialize: true to create it (SoftHSM2 only)") from None
            if not hsm.can_initialize:
                raise HSMError(f"{exc}; the {hsm.name} provider cannot initialise tokens: create token "
                               f"'{label}' with the HSM vendor's tools (initialize works for SoftHSM2 only)"
                               ) from None
            if serial is not None:
                raise HSMError(f"{exc}; a token cannot be created with a chosen serial: drop 'serial' "
                               "to initialise a new token") from None
            if not pin or not params["so_pin"]:
                raise HSMError(f"token '{label}' is missing and initialize is true: give pin and so_pin "
                               "to initialise it") from None
            if module.check_mode:
                return {**base, "changed": True, "action": "initialized", "label": label, "serial": None}
            token = hsm.init_token(label, pin, params["so_pin"])
            return {**base, **describe_token(hsm, token, pin), "changed": True, "action": "initialized"}
        if params["state"] == "absent":
            if not params["force"]:
                raise HSMError(f"refusing to delete token {token.describe()}: it destroys every key in it "
                               "(irreversible); set force: true")
            if not hsm.profile.can_delete:
                hsm.delete_token(token)  # raises NotSupported with the vendor message
            if not module.check_mode:
                hsm.delete_token(token)
            return {**base, **token.as_dict(), "changed": True, "action": "deleted"}
        return {**base, **describe_token(hsm, token, pin), "action": "exists"}


def main() -> None:
    module = AnsibleModule(
        argument_spec=argument_spec(),
        supports_check_mode=True,
        mutually_exclusive=[("pin", "pin_file")],
    )
    if IMPORT_ERROR:
        module.fail_json(msg="rsp.dnssec.hsm_token cannot load its library: " + IMPORT_ERROR.splitlines()[-1],
                         exception=IMPORT_ERROR)
    if PKCS11_IMPORT_ERROR:
        module.fail_json(msg=missing_required_lib("python-pkcs11 (Debian: python3-pkcs11)"),
                         exception=PKCS11_IMPORT_ERROR)
    try:
        result = run(module)
    except HSMError as exc:
        module.fail_json(msg=str(exc))
    module.exit_json(**result)


if __name__ == "__main__":
    main()
