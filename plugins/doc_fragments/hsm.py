# Copyright: rsp.dnssec contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt)
"""Shared documentation of the HSM (PKCS#11) options."""

from __future__ import annotations


class ModuleDocFragment:
    # The PKCS#11 module, PIN, quirks profile and host lock: every module that talks to an HSM.
    DOCUMENTATION = r"""
options:
  module:
    description:
      - Path of the PKCS#11 library (module) on the managed host.
      - The default is SoftHSM2's library as Debian installs it. For a vendor HSM give the vendor's
        client library, for example C(/opt/nfast/toolkits/pkcs11/libcknfast.so); see C(docs/keys.md).
    type: path
    default: /usr/lib/softhsm/libsofthsm2.so
  pin:
    description:
      - User PIN of the token. Keep it in Ansible Vault; it is never logged.
      - Mutually exclusive with O(pin_file).
    type: str
  pin_file:
    description:
      - File on the managed host whose first line is the user PIN. It must not be readable by
        others (mode 0400 or 0600, or 0440 with the signing engine as the group).
      - Mutually exclusive with O(pin).
    type: path
  hsm_profile:
    description:
      - Which set of PKCS#11 quirks applies to O(module) (C(plugins/module_utils/dnssec/hsm/profiles.py)).
      - V(auto) chooses V(softhsm2) for C(libsofthsm2.so) and V(generic) for every other library.
    type: str
    choices: [auto, generic, softhsm2]
    default: auto
  lock_timeout:
    description:
      - Seconds to wait for the per-host PKCS#11 lock before failing.
      - Every PKCS#11 session the collection opens on a host is serialised through one file lock,
        C(/run/lock/rsp-dnssec-pkcs11.lock), or the file named by the environment variable
        E(RSP_DNSSEC_PKCS11_LOCK). Other programs using the same token can take it with C(flock(1)).
    type: float
    default: 300
notes:
  - SoftHSM2 finds its tokens through the environment variable E(SOFTHSM2_CONF) (default
    C(/etc/softhsm/softhsm2.conf)); set it with the task's C(environment) keyword when the tokens live
    elsewhere.
requirements:
  - python-pkcs11 0.7.0 or later on the managed host (Debian package C(python3-pkcs11)).
  - dnspython 2.7 or later on the managed host (Debian package C(python3-dnspython)).
"""

    # Selecting a token: every module that works on keys in a token.
    TOKEN = r"""
options:
  token_label:
    description:
      - Label (CKA_LABEL of the token, C(CK_TOKEN_INFO.label)) of the token that holds the keys.
      - Tokens are found by label or serial, never by slot number (slots are renumbered).
    type: str
    required: true
  token_serial:
    description:
      - Serial number of the token, when several tokens carry the same label.
    type: str
"""
