#!/usr/bin/python
# Copyright: rsp.dnssec contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: hsm_key
short_description: Generate DNSSEC key pairs in a PKCS#11 HSM (never replace them) and describe them
version_added: 0.1.0
description:
  - Makes sure a DNSSEC key pair exists in an HSM token and returns its DNSKEY, key tag, DS, CDS and
    CDNSKEY records.
  - A key is identified by its CKA_ID (O(key_id)); the label (O(label)) is for humans. With
    O(state=present) the module looks for the CKA_ID, else for the label, and generates a pair only
    when neither exists. The private key is a token object, private, sensitive, never extractable,
    and may only sign.
  - An existing key is never regenerated or replaced. A CKA_ID or label that exists with another
    algorithm or size fails with C(refusing to replace an existing HSM key); a label that names
    several key pairs fails and lists their CKA_IDs.
  - O(state=absent) destroys a pair only with O(force=true) (irreversible).
  - Many keys can be handled in one task (one HSM login) with O(keys).
author:
  - rsp.dnssec contributors (@rsp-dnssec)
extends_documentation_fragment:
  - rsp.dnssec.hsm
  - rsp.dnssec.hsm.token
attributes:
  check_mode:
    support: full
    description: Reports the key it would generate or destroy and changes nothing.
  diff_mode:
    support: none
    description: Keys and tokens have no textual state to compare.
options:
  label:
    description:
      - CKA_LABEL of the key pair, for example C(example-ksk-13-20260115) (see C(docs/keys.md) for the
        naming scheme).
      - Required unless O(keys) is given.
    type: str
  key_id:
    description:
      - CKA_ID in hex (the key's identity). A random 16-byte id is chosen when a key is generated
        without one.
    type: str
  algorithm:
    description:
      - DNSSEC algorithm number or mnemonic (V(13), V(ECDSAP256SHA256), V(ED25519)...).
      - 8, 10, 13, 14, 15 and 16 are allowed; 1, 3, 5, 6, 7 and 12 are refused (RFC 8624 section 3.1).
    type: str
    default: "13"
  bits:
    description:
      - RSA modulus size (algorithms 8 and 10 only). Default 2048; below 2048 and above 4096 are refused.
    type: int
  zone:
    description:
      - Owner name of the DNSKEY / DS records returned. Without it only the key tag is returned.
    type: str
  role:
    description:
      - V(ksk) and V(csk) give DNSKEY flags 257 (SEP), V(zsk) gives 256.
    type: str
    choices: [ksk, zsk, csk]
    default: ksk
  ttl:
    description: TTL of the returned records.
    type: int
    default: 3600
  digests:
    description:
      - DS / CDS digest types returned. V(sha1) is refused (RFC 8624 section 3.3, ICANN RST dnssec-92).
    type: list
    elements: str
    default: [sha256]
  state:
    description:
      - V(present) generates the key pair if it does not exist; V(absent) destroys it (with O(force)).
    type: str
    choices: [present, absent]
    default: present
  force:
    description:
      - Required to destroy a key pair with O(state=absent). Never needed for O(state=present) (an
        existing key is never replaced).
    type: bool
    default: false
  keys:
    description:
      - Several keys in one task and one HSM session. Each entry takes O(label), O(key_id),
        O(algorithm), O(bits), O(zone), O(role), O(ttl), O(digests), O(state) and O(force); options
        given at the top level are the defaults for every entry.
      - Mutually exclusive with O(label).
    type: list
    elements: dict
    suboptions:
      label:
        description: As O(label).
        type: str
        required: true
      key_id:
        description: As O(key_id).
        type: str
      algorithm:
        description: As O(algorithm).
        type: str
      bits:
        description: As O(bits).
        type: int
      zone:
        description: As O(zone).
        type: str
      role:
        description: As O(role).
        type: str
        choices: [ksk, zsk, csk]
      ttl:
        description: As O(ttl).
        type: int
      digests:
        description: As O(digests).
        type: list
        elements: str
      state:
        description: As O(state).
        type: str
        choices: [present, absent]
      force:
        description: As O(force).
        type: bool
seealso:
  - module: rsp.dnssec.hsm_token
  - module: rsp.dnssec.ds_export
"""

EXAMPLES = r"""
- name: Make sure the KSK of example. exists (ECDSA P-256)
  rsp.dnssec.hsm_key:
    token_label: dnssec
    pin: "{{ vault_hsm_pin }}"
    label: example-ksk-13-20260115
    algorithm: 13
    role: ksk
    zone: example.
    digests: [sha256, sha384]
  register: ksk

- name: Show the DS to submit
  ansible.builtin.debug:
    var: ksk.ds

- name: The ZSKs of many zones in one task (one login)
  rsp.dnssec.hsm_key:
    token_label: dnssec
    pin_file: /etc/knot/hsm.pin
    algorithm: ED25519
    role: zsk
    keys:
      - {label: example-zsk-15-20260115, zone: example.}
      - {label: test-zsk-15-20260115, zone: test.}

- name: Destroy a retired key (irreversible)
  rsp.dnssec.hsm_key:
    token_label: dnssec
    pin: "{{ vault_hsm_pin }}"
    label: example-zsk-13-20250101
    key_id: 3f9a1c0d5e7b2a4c6d8e0f1a2b3c4d5e
    state: absent
    force: true
"""

RETURN = r"""
key_id:
  description: CKA_ID of the key pair in hex (the would-be id in check mode, null if random).
  returned: when one key is handled (O(label))
  type: str
  sample: 3f9a1c0d5e7b2a4c6d8e0f1a2b3c4d5e
label:
  description: CKA_LABEL of the key pair.
  returned: when one key is handled
  type: str
  sample: example-ksk-13-20260115
algorithm:
  description: DNSSEC algorithm number.
  returned: when one key is handled
  type: int
  sample: 13
bits:
  description: RSA modulus size or curve size.
  returned: when one key is handled and it exists
  type: int
  sample: 256
flags:
  description: DNSKEY flags (257 for ksk / csk, 256 for zsk).
  returned: when one key is handled
  type: int
  sample: 257
keytag:
  description: Key tag (RFC 4034 appendix B).
  returned: when the key exists
  type: int
  sample: 40144
dnskey:
  description: The DNSKEY record in presentation form, C(zone. TTL IN DNSKEY flags 3 alg key).
  returned: when the key exists and O(zone) is given
  type: str
  sample: >-
    example. 3600 IN DNSKEY 257 3 13
    kXKkvWU3vGYfTJGl3qBd4qhiWp5aRs7YtkCJxD2d+t7KXqwahww5IgJtxJT2yFItlggazyfXqJEVOmMJ3qT0tQ==
ds:
  description: DS records in presentation form, one per digest; digests in upper-case hex.
  returned: when the key exists and O(zone) is given
  type: list
  elements: str
  sample: ["example. 3600 IN DS 40144 13 2 2B6A8C1E7D0C4F7E9E0C3B6A1C0C1C6A2D0D8E2F9B1F2C0E5D3A7B9C1D2E3F4A"]
cds:
  description: CDS records (RFC 7344), one per digest.
  returned: when the key exists and O(zone) is given
  type: list
  elements: str
cdnskey:
  description: The CDNSKEY record (RFC 7344).
  returned: when the key exists and O(zone) is given
  type: str
private_key:
  description: Attributes of the private key as the token reports them (sensitive, extractable, local...).
  returned: when the key exists
  type: dict
  sample: {"token": true, "private": true, "sensitive": true, "extractable": false, "never_extractable": true,
           "local": true, "sign": true, "decrypt": false}
action:
  description: What happened (or would happen in check mode) to the key.
  returned: always
  type: str
  sample: created
keys:
  description: One entry per key handled, with the fields above and C(action) (V(created), V(exists),
    V(destroyed), V(absent)).
  returned: always
  type: list
  elements: dict
token:
  description: The token used (label, serial, manufacturer, model).
  returned: always
  type: dict
"""

import traceback  # noqa: E402  (the documentation comes first in a module)

from ansible.module_utils.basic import AnsibleModule, missing_required_lib  # noqa: E402

try:
    from ansible_collections.rsp.dnssec.plugins.module_utils.dnssec.algorithms import AlgorithmError
    from ansible_collections.rsp.dnssec.plugins.module_utils.dnssec.hsm import (
        PKCS11_IMPORT_ERROR,
        HSMError,
        manage,
        open_provider,
    )
    from ansible_collections.rsp.dnssec.plugins.module_utils.dnssec.hsm.module_args import (
        hsm_argument_spec,
        read_pin,
        token_argument_spec,
    )
    from ansible_collections.rsp.dnssec.plugins.module_utils.dnssec.records import (
        DNSPYTHON_IMPORT_ERROR,
        RecordError,
    )

    IMPORT_ERROR = None
except ImportError:
    IMPORT_ERROR = traceback.format_exc()

KEY_OPTIONS = ("label", "key_id", "algorithm", "bits", "zone", "role", "ttl", "digests", "state", "force")
ACTIONS = {"create": "created", "keep": "exists", "destroy": "destroyed", "none": "absent"}


def argument_spec() -> dict:
    spec = hsm_argument_spec()
    spec.update(token_argument_spec())
    spec.update(
        label={"type": "str"},
        key_id={"type": "str"},
        algorithm={"type": "str", "default": "13"},
        bits={"type": "int"},
        zone={"type": "str"},
        role={"type": "str", "choices": ["ksk", "zsk", "csk"], "default": "ksk"},
        ttl={"type": "int", "default": 3600},
        digests={"type": "list", "elements": "str", "default": ["sha256"]},
        state={"type": "str", "choices": ["present", "absent"], "default": "present"},
        force={"type": "bool", "default": False},
        keys={"type": "list", "elements": "dict", "no_log": False, "options": {
            "label": {"type": "str", "required": True},
            "key_id": {"type": "str"},
            "algorithm": {"type": "str"},
            "bits": {"type": "int"},
            "zone": {"type": "str"},
            "role": {"type": "str", "choices": ["ksk", "zsk", "csk"]},
            "ttl": {"type": "int"},
            "digests": {"type": "list", "elements": "str"},
            "state": {"type": "str", "choices": ["present", "absent"]},
            "force": {"type": "bool"},
        }},
    )
    return spec


def run(module: AnsibleModule) -> dict:
    params = module.params
    defaults = {name: params[name] for name in KEY_OPTIONS if name != "label"}
    entries = params["keys"] if params["keys"] is not None else [{"label": params["label"]}]
    requests = [manage.key_request(entry, defaults) for entry in entries]
    pin = read_pin(params["pin"], params["pin_file"])
    results, changed = [], False
    with open_provider(params["module"], params["hsm_profile"], params["lock_timeout"]) as hsm:
        token = hsm.find_token(label=params["token_label"], serial=params["token_serial"])
        hsm.require_login(token, pin)
        # read-only in check mode, and on a write-protected token (where nothing can be created:
        # the plan then fails with the reason, e.g. a missing mechanism)
        writing = not module.check_mode and not token.write_protected
        with hsm.session(token, pin, rw=writing) as session:
            plans = [manage.plan(session, request) for request in requests]  # all checks before any change
            for plan in plans:
                if plan.action == "create":
                    hsm.check_algorithm(token, plan.request.algorithm, plan.request.bits or 2048)
            try:
                for plan in plans:
                    action = ACTIONS[plan.action]
                    if plan.action == "keep":
                        entry = manage.describe(plan.pair, plan.request)
                    elif plan.action == "create":
                        changed = True
                        if module.check_mode:
                            entry = manage.would_create(plan)
                        else:
                            entry = manage.describe(session.generate(plan.request.spec(plan.key_id)),
                                                    plan.request)
                    elif plan.action == "destroy":
                        changed = True
                        entry = manage.describe(plan.pair, plan.request)
                        if not module.check_mode:
                            session.destroy(plan.pair)
                    else:
                        entry = {"label": plan.request.label, "key_id": None}
                    entry["action"] = action
                    results.append(entry)
            except (HSMError, RecordError) as exc:
                done = ", ".join(f"{r['label']} ({r['action']})" for r in results if r["action"] != "exists")
                raise HSMError(f"{exc}" + (f" [already done in this task: {done}]" if done else "")) from None
    output = {"changed": changed, "keys": results, "token": token.as_dict()}
    if params["keys"] is None:
        output.update(results[0])
    return output


def main() -> None:
    module = AnsibleModule(
        argument_spec=argument_spec(),
        supports_check_mode=True,
        mutually_exclusive=[("label", "keys"), ("pin", "pin_file")],
        required_one_of=[("label", "keys")],
    )
    if IMPORT_ERROR:
        module.fail_json(msg="rsp.dnssec.hsm_key cannot load its library: " + IMPORT_ERROR.splitlines()[-1],
                         exception=IMPORT_ERROR)
    if DNSPYTHON_IMPORT_ERROR:
        module.fail_json(msg=missing_required_lib("dnspython (Debian: python3-dnspython)"),
                         exception=DNSPYTHON_IMPORT_ERROR)
    if PKCS11_IMPORT_ERROR:
        module.fail_json(msg=missing_required_lib("python-pkcs11 (Debian: python3-pkcs11)"),
                         exception=PKCS11_IMPORT_ERROR)
    try:
        result = run(module)
    except (HSMError, RecordError, AlgorithmError, manage.RequestError) as exc:
        module.fail_json(msg=str(exc))
    module.exit_json(**result)


if __name__ == "__main__":
    main()
