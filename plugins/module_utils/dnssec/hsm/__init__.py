# Copyright: rsp.dnssec contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt)
"""HSM access through PKCS#11: one interface, one provider per kind of module.

Use :func:`open_provider` as a context manager; everything inside holds the
per-host PKCS#11 lock::

    with open_provider("/usr/lib/softhsm/libsofthsm2.so") as hsm:
        token = hsm.find_token(label="dnssec")
        with hsm.session(token, pin, rw=True) as session:
            pairs = session.find_keypairs(label="example.-ksk-13-20260101")
"""

from __future__ import annotations

from ansible_collections.rsp.dnssec.plugins.module_utils.dnssec.hsm import profiles
from ansible_collections.rsp.dnssec.plugins.module_utils.dnssec.hsm.base import (
    SCHEMES,
    HSMError,
    KeyPair,
    KeySpec,
    Provider,
    TokenInfo,
)
from ansible_collections.rsp.dnssec.plugins.module_utils.dnssec.hsm.lock import DEFAULT_TIMEOUT, HostLock
from ansible_collections.rsp.dnssec.plugins.module_utils.dnssec.hsm.pkcs11_generic import (
    PKCS11_IMPORT_ERROR,
    Pkcs11Provider,
)
from ansible_collections.rsp.dnssec.plugins.module_utils.dnssec.hsm.softhsm import (
    DEFAULT_MODULE,
    SoftHSM2Provider,
)

PROVIDERS: dict[str, type[Pkcs11Provider]] = {"softhsm2": SoftHSM2Provider}

__all__ = ["DEFAULT_MODULE", "PKCS11_IMPORT_ERROR", "SCHEMES", "HSMError", "HostLock", "KeyPair",
           "KeySpec", "Provider", "TokenInfo", "open_provider"]


def open_provider(module_path: str = DEFAULT_MODULE, profile: str = "auto",
                  lock_timeout: float = DEFAULT_TIMEOUT) -> Pkcs11Provider:
    """The provider for ``module_path`` (profile ``auto`` detects SoftHSM2 from the file name)."""
    try:
        chosen = profiles.get(profile, module_path)
    except ValueError as exc:
        raise HSMError(str(exc)) from None
    cls = PROVIDERS.get(chosen.name, Pkcs11Provider)
    return cls(module_path, chosen, lock_timeout=lock_timeout)
