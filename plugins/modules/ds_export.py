#!/usr/bin/python
# Copyright: rsp.dnssec contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: ds_export
short_description: Produce the DS records a parent needs, as zone-file lines, JSON and EPP secDNS XML
version_added: 0.1.0
description:
  - Takes DNSKEYs from one of three sources, given as text (O(dnskeys)), read from the HSM by label or
    CKA_ID (O(hsm_keys)), or queried from a DNS server (O(server)), and computes their DS records
    (RFC 4034 section 5.1.4; SHA-256 and SHA-384, SHA-1 refused).
  - Only secure entry points (DNSKEY flag 257) get a DS unless O(include_zsk=true). Revoked keys
    (RFC 5011) never do.
  - Produces three formats; the one chosen by O(format) is written to O(dest) when given.
    V(zone) is zone-file lines; V(json) carries per DS the key tag, algorithm, digest type and digest
    plus the DNSKEY fields (what IANA's root zone management asks a TLD for); V(xml) is an EPP
    C(secDNS:create) element with one C(secDNS:dsData) per DS (RFC 5910).
author:
  - rsp.dnssec contributors (@rsp-dnssec)
extends_documentation_fragment:
  - rsp.dnssec.hsm
  - ansible.builtin.files
attributes:
  check_mode:
    support: full
    description: Computes everything and reports whether O(dest) would change, without writing it.
  diff_mode:
    support: full
    description: Shows the change to O(dest).
options:
  dnskeys:
    description:
      - DNSKEY records as text, one or more per item (zone-file syntax, e.g. the output of
        C(dig DNSKEY example.) or C(keymgr example. dnskey)). TTL and class are optional.
      - Records without an owner name use O(zone).
    type: list
    elements: str
  zone:
    description:
      - The zone (owner of the DNSKEYs). Required with O(hsm_keys) and O(server).
    type: str
  hsm_keys:
    description:
      - Keys to read from the HSM token O(token_label), each by O(hsm_keys[].label) or
        O(hsm_keys[].key_id). The public key is read from the token; nothing is changed there.
    type: list
    elements: dict
    suboptions:
      label:
        description: CKA_LABEL of the key pair.
        type: str
      key_id:
        description: CKA_ID of the key pair in hex.
        type: str
      algorithm:
        description:
          - DNSSEC algorithm. Needed for RSA keys (8 or 10); derived from the curve otherwise.
        type: str
      role:
        description: V(ksk) / V(csk) (flags 257) or V(zsk) (flags 256).
        type: str
        choices: [ksk, zsk, csk]
        default: ksk
  token_label:
    description: Label of the token holding O(hsm_keys).
    type: str
  token_serial:
    description: Serial of the token, when several carry the same label.
    type: str
  server:
    description:
      - Address of a DNS server to ask for the DNSKEY RRset of O(zone) (C(192.0.2.1), C(192.0.2.1@5353),
        C([2001:db8::1]:5353)). The answer must be authoritative.
    type: str
  port:
    description: Port of O(server) when it does not name one.
    type: int
    default: 53
  query_timeout:
    description: Seconds to wait for O(server).
    type: float
    default: 5
  digests:
    description:
      - DS digest types. V(sha1) is refused (RFC 8624 section 3.3, ICANN RST dnssec-92).
    type: list
    elements: str
    default: [sha256]
  include_zsk:
    description: Also produce DS for keys without the SEP flag (flags 256).
    type: bool
    default: false
  ttl:
    description: TTL written in the zone-file lines (none by default; the parent chooses the DS TTL).
    type: int
  dest:
    description: File (on the managed host) to write the O(format) output to.
    type: path
  format:
    description: Which output O(dest) receives.
    type: str
    choices: [zone, json, xml]
    default: zone
  xml_key_data:
    description: Include C(secDNS:keyData) (the DNSKEY) in every C(secDNS:dsData) of the XML.
    type: bool
    default: true
notes:
  - Exactly one of O(dnskeys), O(hsm_keys) and O(server) is given.
  - The XML is per domain (EPP commands are); with DNSKEYs of several zones only the zone and JSON
    outputs can be written to O(dest), and RV(xml) holds one document per zone.
seealso:
  - module: rsp.dnssec.hsm_key
"""

EXAMPLES = r"""
- name: DS of the KSKs in the HSM, as IANA's root zone management wants them
  rsp.dnssec.ds_export:
    zone: example.
    token_label: dnssec
    pin: "{{ vault_hsm_pin }}"
    hsm_keys:
      - label: example-ksk-13-20260115
    digests: [sha256]
    format: json
    dest: /var/lib/rsp-dnssec/ds/example.json
    mode: "0644"

- name: DS of what the hidden primary serves, as EPP secDNS XML for a registry
  rsp.dnssec.ds_export:
    zone: example.
    server: 127.0.0.1@5300
    format: xml
    dest: /var/lib/rsp-dnssec/ds/example.xml

- name: DS from DNSKEY text
  rsp.dnssec.ds_export:
    dnskeys:
      - >-
        example. 3600 IN DNSKEY 257 3 13
        kXKkvWU3vGYfTJGl3qBd4qhiWp5aRs7YtkCJxD2d+t7KXqwahww5IgJtxJT2yFItlggazyfXqJEVOmMJ3qT0tQ==
    digests: [sha256, sha384]
  register: ds

- name: Show the zone-file lines
  ansible.builtin.debug:
    msg: "{{ ds.zone_lines }}"
"""

RETURN = r"""
ds:
  description: One entry per DS with the IANA fields and the DNSKEY it was made from.
  returned: always
  type: list
  elements: dict
  sample:
    - zone: example.
      key_tag: 40144
      algorithm: 13
      digest_type: 2
      digest: 2B6A8C1E7D0C4F7E9E0C3B6A1C0C1C6A2D0D8E2F9B1F2C0E5D3A7B9C1D2E3F4A
      ds: 40144 13 2 2B6A8C1E7D0C4F7E9E0C3B6A1C0C1C6A2D0D8E2F9B1F2C0E5D3A7B9C1D2E3F4A
      dnskey: {flags: 257, protocol: 3, algorithm: 13, public_key: "kXKkvWU3vGYf..."}
zone_lines:
  description: The DS records as zone-file lines.
  returned: always
  type: str
  sample: "example. IN DS 40144 13 2 2B6A8C1E7D0C4F7E9E0C3B6A1C0C1C6A2D0D8E2F9B1F2C0E5D3A7B9C1D2E3F4A\n"
json:
  description: The JSON document, an object whose C(ds) list has the same content as RV(ds).
  returned: always
  type: str
xml:
  description: Per zone, the EPP C(secDNS:create) document (RFC 5910).
  returned: always
  type: dict
dnskeys:
  description: Every DNSKEY considered, in presentation form.
  returned: always
  type: list
  elements: str
skipped_keys:
  description: DNSKEYs that got no DS (no SEP flag without O(include_zsk), or revoked).
  returned: always
  type: list
  elements: dict
dest:
  description: The file written (or that would be written in check mode).
  returned: when O(dest) is given
  type: str
"""

import os  # noqa: E402  (the documentation comes first in a module)
import tempfile  # noqa: E402
import traceback  # noqa: E402

from ansible.module_utils.basic import AnsibleModule, missing_required_lib  # noqa: E402

try:
    from ansible_collections.rsp.dnssec.plugins.module_utils.dnssec import records
    from ansible_collections.rsp.dnssec.plugins.module_utils.dnssec.algorithms import (
        AlgorithmError,
        digest_type,
    )
    from ansible_collections.rsp.dnssec.plugins.module_utils.dnssec.hsm import (
        PKCS11_IMPORT_ERROR,
        HSMError,
        manage,
        open_provider,
    )
    from ansible_collections.rsp.dnssec.plugins.module_utils.dnssec.hsm.module_args import (
        hsm_argument_spec,
        read_pin,
    )

    IMPORT_ERROR = None
except ImportError:
    IMPORT_ERROR = traceback.format_exc()

try:
    from ansible_collections.rsp.dnssec.plugins.module_utils.dnssec.observe import (
        ObservationError,
        Server,
        query,
    )
except ImportError:  # only the server source needs it
    ObservationError = None


def argument_spec() -> dict:
    spec = hsm_argument_spec()
    spec.update(
        dnskeys={"type": "list", "elements": "str", "no_log": False},
        zone={"type": "str"},
        hsm_keys={"type": "list", "elements": "dict", "no_log": False, "options": {
            "label": {"type": "str"},
            "key_id": {"type": "str"},
            "algorithm": {"type": "str"},
            "role": {"type": "str", "choices": ["ksk", "zsk", "csk"], "default": "ksk"},
        }},
        token_label={"type": "str", "no_log": False},
        token_serial={"type": "str", "no_log": False},
        server={"type": "str"},
        port={"type": "int", "default": 53},
        query_timeout={"type": "float", "default": 5},
        digests={"type": "list", "elements": "str", "default": ["sha256"]},
        include_zsk={"type": "bool", "default": False},
        ttl={"type": "int"},
        dest={"type": "path"},
        format={"type": "str", "choices": ["zone", "json", "xml"], "default": "zone"},
        xml_key_data={"type": "bool", "default": True},
    )
    return spec


def keys_from_text(params) -> list:
    keys = []
    for item in params["dnskeys"]:
        keys.extend(records.parse_dnskeys(item, params["zone"]))
    if not keys:
        raise records.RecordError("dnskeys holds no DNSKEY record")
    return keys


def keys_from_hsm(module: AnsibleModule) -> list:
    params = module.params
    pin = read_pin(params["pin"], params["pin_file"])
    keys = []
    with open_provider(params["module"], params["hsm_profile"], params["lock_timeout"]) as hsm:
        token = hsm.find_token(label=params["token_label"], serial=params["token_serial"])
        hsm.require_login(token, pin)
        with hsm.session(token, pin) as session:
            for wanted in params["hsm_keys"]:
                key_id = manage.parse_key_id(wanted["key_id"])
                if key_id is None and not wanted["label"]:
                    raise manage.RequestError("every hsm_keys entry needs a label or a key_id")
                pairs = session.find_keypairs(key_id=key_id, label=None if key_id else wanted["label"])
                name = f"key id {key_id.hex()}" if key_id else f"label '{wanted['label']}'"
                if not pairs:
                    raise HSMError(f"no key pair with {name} on token {token.describe()}")
                if len(pairs) > 1:
                    raise HSMError(f"{name} names {len(pairs)} key pairs (CKA_IDs "
                                   f"{', '.join(p.id_hex for p in pairs)}): give key_id")
                pair = pairs[0]
                if not pair.public_key:
                    raise HSMError(f"the public key of {pair.describe()} cannot be read from the token")
                algorithm = manage.algorithm_for_pair(pair, wanted["algorithm"])
                flags = records.ROLE_FLAGS[wanted["role"]]
                keys.append(records.key_record(params["zone"], flags, algorithm.number, pair.public_key))
    return keys


def keys_from_server(params) -> list:
    if ObservationError is None:
        raise records.RecordError("the observe library of rsp.dnssec is missing: reinstall the collection")
    try:
        server = Server.parse(params["server"], params["port"])
        response = query(server, params["zone"], "DNSKEY", timeout=params["query_timeout"])
    except ObservationError as exc:
        raise records.RecordError(str(exc)) from None
    return records.dnskeys_from_answer(response, params["zone"], server.label)


def write_dest(module: AnsibleModule, content: str, result: dict) -> None:
    dest = module.params["dest"]
    before = ""
    if os.path.exists(dest):
        if os.path.isdir(dest):
            raise records.RecordError(f"dest {dest} is a directory: give a file name")
        with open(dest, encoding="utf-8") as handle:
            before = handle.read()
    changed = before != content
    if module._diff:
        result["diff"] = {"before": before, "after": content, "before_header": dest, "after_header": dest}
    if changed and not module.check_mode:
        directory = os.path.dirname(os.path.abspath(dest))
        if not os.path.isdir(directory):
            raise records.RecordError(f"the directory of dest {dest} does not exist: create it first")
        fd, temp = tempfile.mkstemp(dir=directory, prefix=".ds_export.")
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(content)
        module.atomic_move(temp, dest)
    file_args = module.load_file_common_arguments(module.params, path=dest)
    if module.check_mode and not os.path.exists(dest):
        result["changed"] = True
    else:
        result["changed"] = module.set_fs_attributes_if_different(file_args, changed, None)
    result["dest"] = dest


def run(module: AnsibleModule) -> dict:
    params = module.params
    if (params["hsm_keys"] or params["server"]) and not params["zone"]:
        raise records.RecordError("zone is required to read DNSKEYs from the HSM or from a server")
    if params["hsm_keys"] and not params["token_label"]:
        raise records.RecordError("token_label is required with hsm_keys")
    for digest in params["digests"]:
        digest_type(digest)
    if params["dnskeys"] is not None:
        keys = keys_from_text(params)
    elif params["hsm_keys"] is not None:
        keys = keys_from_hsm(module)
    else:
        keys = keys_from_server(params)
    entries, skipped = records.delegation_signers(keys, params["digests"], include_zsk=params["include_zsk"],
                                                  ttl=params["ttl"])
    if not entries:
        raise records.RecordError(
            "no DS to export: none of the " + str(len(keys)) + " DNSKEYs is a secure entry point (flags 257)"
            + ("" if params["include_zsk"] else "; set include_zsk: true to export DS for ZSKs too"))
    zones = sorted({entry.zone for entry in entries})
    xml = {zone: records.ds_secdns_xml([e for e in entries if e.zone == zone],
                                       include_key_data=params["xml_key_data"]) for zone in zones}
    result = {
        "changed": False,
        "ds": [entry.as_dict() for entry in entries],
        "zone_lines": records.ds_zone_lines(entries),
        "json": records.ds_json(entries),
        "xml": xml,
        "dnskeys": [key.text() for key in keys],
        "skipped_keys": [{"zone": key.zone, "keytag": key.keytag, "flags": key.flags,
                          "reason": "revoked" if key.is_revoked else "not a secure entry point"}
                         for key in skipped],
    }
    if params["dest"]:
        if params["format"] == "xml" and len(zones) > 1:
            raise records.RecordError("EPP secDNS XML is per domain; the DNSKEYs belong to "
                                      + ", ".join(zones) + ": export one zone per task")
        content = {"zone": result["zone_lines"], "json": result["json"],
                   "xml": xml[zones[0]] if zones else ""}[params["format"]]
        write_dest(module, content, result)
    return result


def main() -> None:
    module = AnsibleModule(
        argument_spec=argument_spec(),
        supports_check_mode=True,
        add_file_common_args=True,
        mutually_exclusive=[("dnskeys", "hsm_keys", "server"), ("pin", "pin_file")],
        required_one_of=[("dnskeys", "hsm_keys", "server")],
    )
    if IMPORT_ERROR:
        module.fail_json(msg="rsp.dnssec.ds_export cannot load its library: " + IMPORT_ERROR.splitlines()[-1],
                         exception=IMPORT_ERROR)
    if records.DNSPYTHON_IMPORT_ERROR:
        module.fail_json(msg=missing_required_lib("dnspython (Debian: python3-dnspython)"),
                         exception=records.DNSPYTHON_IMPORT_ERROR)
    if module.params["hsm_keys"] is not None and PKCS11_IMPORT_ERROR:
        module.fail_json(msg=missing_required_lib("python-pkcs11 (Debian: python3-pkcs11)"),
                         exception=PKCS11_IMPORT_ERROR)
    try:
        result = run(module)
    except (HSMError, records.RecordError, AlgorithmError, manage.RequestError) as exc:
        module.fail_json(msg=str(exc))
    module.exit_json(**result)


if __name__ == "__main__":
    main()
