# Copyright: rsp.dnssec contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt)
"""Vendor quirks as data.

Everything that differs between PKCS#11 implementations and matters to the
collection is a field of :class:`Profile`; the provider code reads the fields
and never tests a vendor name. To support a new HSM, add a profile here (or
pass ``hsm_profile: generic``) after checking each field against the vendor's
PKCS#11 guide and a test token.

Only the ``softhsm2`` values were measured by this collection's tests
(SoftHSM 2.6.1); ``generic`` is the conservative PKCS#11 2.40 / 3.0 reading.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Profile:
    """How one family of PKCS#11 modules behaves."""

    name: str
    # auto-detection: the module file name, or CK_INFO.manufacturerID, starts with one of these
    module_names: tuple[str, ...] = ()
    manufacturers: tuple[str, ...] = ()
    # token life cycle done by the collection (SoftHSM2 only: a vendor HSM is only checked)
    can_initialize: bool = False
    can_delete: bool = False
    # CKA_EC_PARAMS for Edwards curves: "oid" (RFC 8410 OID, SoftHSM) or "name"
    # (PKCS#11 3.0 PrintableString "edwards25519")
    eddsa_params: str = "oid"
    # CKA_EC_POINT: "der" (DER OCTET STRING, PKCS#11 2.40), "raw", or "auto" (detect by size)
    ec_point: str = "auto"
    # compare key sizes with CK_MECHANISM_INFO ulMin/ulMaxKeySize (some modules report 0)
    check_key_sizes: bool = True
    # PKCS#11 return codes that mean "no room for another object" on this module
    full_errors: tuple[str, ...] = ("DeviceMemory",)
    # the module stores tokens as files in a directory: a failed write is a full disk
    file_backed: bool = False
    # free bytes below which a failed object creation is reported as "token full"
    full_below_bytes: int = 0
    # every C_Login rewrites token state, so concurrent sessions corrupt it: always true
    # for SoftHSM2 (FACTS: 296 of 300 parallel logins failed without the host lock)
    login_rewrites_token: bool = False


GENERIC = Profile(name="generic")

SOFTHSM2 = Profile(
    name="softhsm2",
    module_names=("libsofthsm2",),
    manufacturers=("SoftHSM",),
    can_initialize=True,
    can_delete=True,
    eddsa_params="oid",
    ec_point="der",
    check_key_sizes=True,
    # SoftHSM 2.6.1 answers CKR_FUNCTION_FAILED when its token directory is full
    full_errors=("DeviceMemory", "FunctionFailed"),
    file_backed=True,
    full_below_bytes=256 * 1024,
    login_rewrites_token=True,
)

PROFILES: dict[str, Profile] = {p.name: p for p in (GENERIC, SOFTHSM2)}


def detect(module_path: str, manufacturer: str = "") -> Profile:
    """The profile whose module name or manufacturer matches, else :data:`GENERIC`."""
    base = module_path.rsplit("/", 1)[-1]
    for profile in PROFILES.values():
        if any(base.startswith(name) for name in profile.module_names):
            return profile
        if manufacturer and any(manufacturer.startswith(m) for m in profile.manufacturers):
            return profile
    return GENERIC


def get(name: str, module_path: str = "", manufacturer: str = "") -> Profile:
    """Profile by name; ``auto`` detects it from the module path / manufacturer."""
    if name in ("", "auto", None):
        return detect(module_path, manufacturer)
    try:
        return PROFILES[name]
    except KeyError:
        raise ValueError(f"unknown HSM profile {name!r} (known: auto, {', '.join(PROFILES)})") from None
