# Copyright: rsp.dnssec contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt)
"""The generic PKCS#11 provider, on python-pkcs11.

Works with python-pkcs11 0.7.0 (Debian 13's python3-pkcs11) and the current
PyPI releases. Only API present in both is used:

* ``pkcs11.lib(path)`` (0.7.0 keeps one function list per process: a second,
  different module in the same process is refused with a clear message);
  ``lib.reinitialize()`` to see tokens created by other processes;
* ``Session.generate_keypair(key_type, key_length, id=, label=, store=,
  capabilities=, mechanism=, public_template=, private_template=)``;
* ``KeyType.EC_EDWARDS`` / ``Mechanism.EDDSA`` / ``EC_EDWARDS_KEY_PAIR_GEN``
  (present since 0.7.0; looked up by name so that an older build fails with a
  message instead of an AttributeError);
* CKA_EC_PARAMS is DER-encoded here (:func:`.base.der_oid`), not with
  ``pkcs11.util.ec`` (whose helpers changed between releases).

Vendor differences come from a :class:`.profiles.Profile`, never from
``if vendor == ...`` branches.
"""

from __future__ import annotations

import hashlib
import os
import traceback
from collections.abc import Iterator
from contextlib import contextmanager, suppress

from ansible_collections.rsp.dnssec.plugins.module_utils.dnssec.hsm.base import (
    CURVE_BITS,
    SCHEMES,
    Capability,
    HSMError,
    KeyConflict,
    KeyIncomplete,
    KeyPair,
    KeySpec,
    LibraryError,
    MechanismUnsupported,
    PinRejected,
    Provider,
    Session,
    TokenFull,
    TokenInfo,
    der_oid,
    der_printable,
    scheme_for,
    unwrap_ec_point,
)
from ansible_collections.rsp.dnssec.plugins.module_utils.dnssec.hsm.lock import DEFAULT_TIMEOUT, HostLock
from ansible_collections.rsp.dnssec.plugins.module_utils.dnssec.hsm.profiles import GENERIC, Profile
from ansible_collections.rsp.dnssec.plugins.module_utils.dnssec.records import (
    EC_POINT_OCTETS,
    EDDSA_KEY_OCTETS,
    RecordError,
    ec_key_data,
    eddsa_key_data,
    rsa_key_data,
)

try:
    import pkcs11
    from pkcs11 import Attribute, KeyType, Mechanism, MechanismFlag, ObjectClass
    from pkcs11 import exceptions as p11_errors

    PKCS11_IMPORT_ERROR = None
except ImportError:
    pkcs11 = None
    PKCS11_IMPORT_ERROR = traceback.format_exc()

# PKCS#11 3.0 numbers, for messages and for mechanisms python-pkcs11 has no name for.
CKM_NUMBERS = {"RSA_PKCS_KEY_PAIR_GEN": 0x0000, "SHA256_RSA_PKCS": 0x0040, "SHA512_RSA_PKCS": 0x0042,
               "EC_KEY_PAIR_GEN": 0x1040, "ECDSA": 0x1041, "EC_EDWARDS_KEY_PAIR_GEN": 0x1055,
               "EDDSA": 0x1057}
CKF_TOKEN_INITIALIZED = 0x0400
CKF_LOGIN_REQUIRED = 0x0004
CKF_WRITE_PROTECTED = 0x0002
CKF_SIGN = 0x0800
CKF_GENERATE_KEY_PAIR = 0x10000

PRIVATE_ATTRIBUTES = ("TOKEN", "PRIVATE", "SENSITIVE", "ALWAYS_SENSITIVE", "EXTRACTABLE",
                      "NEVER_EXTRACTABLE", "LOCAL", "SIGN", "DECRYPT", "UNWRAP", "DERIVE")

_LIBS: dict[str, object] = {}  # module path -> loaded pkcs11.lib (one per process)


def require_pkcs11() -> None:
    if pkcs11 is None:
        raise LibraryError("the Python library python-pkcs11 is missing on this host: install it "
                           "(Debian: apt install python3-pkcs11; pip: python-pkcs11)")


def load_library(path: str):
    """Load (first use) or re-initialise (later uses) the PKCS#11 module at ``path``."""
    require_pkcs11()
    if not os.path.exists(path):
        raise LibraryError(f"PKCS#11 module {path} does not exist: install the HSM client library "
                           "(SoftHSM2: apt install softhsm2) or correct the module path")
    if not os.path.isfile(path) or not os.access(path, os.R_OK):
        raise LibraryError(f"PKCS#11 module {path} is not a readable file")
    lib = _LIBS.get(path)
    if lib is not None:
        try:
            lib.reinitialize()  # a fresh view: tokens made or changed by other processes
        except p11_errors.PKCS11Error as exc:
            raise LibraryError(f"PKCS#11 module {path} failed to re-initialise: {_describe(exc)}") from None
        return lib
    if _LIBS and not hasattr(pkcs11, "unload"):
        raise LibraryError(f"python-pkcs11 {_version()} can load one PKCS#11 module per process; "
                           f"{next(iter(_LIBS))} is loaded, {path} was asked for: use one module per task")
    try:
        lib = pkcs11.lib(path)
    except (RuntimeError, OSError) as exc:  # PKCS11Error is a RuntimeError
        detail = str(exc).strip().strip("b'\"")
        raise LibraryError(f"{path} is not a usable PKCS#11 module ({detail}): point 'module' at the "
                           "HSM vendor's PKCS#11 library") from None
    _LIBS[path] = lib
    return lib


def _version() -> str:
    try:
        from importlib.metadata import version

        return version("python-pkcs11")
    except Exception:
        return "(unknown version)"


def _describe(exc: BaseException) -> str:
    text = str(exc).strip()
    return type(exc).__name__ + (f": {text}" if text else "")


def _mechanism(name: str):
    value = getattr(Mechanism, name, None)
    if value is None:
        raise MechanismUnsupported(f"python-pkcs11 {_version()} has no Mechanism.{name} "
                                   f"(CKM_{name}); install python-pkcs11 0.7.0 or later")
    return value


def _key_type(name: str):
    value = getattr(KeyType, name, None)
    if value is None:
        raise MechanismUnsupported(f"python-pkcs11 {_version()} has no KeyType.{name} "
                                   f"(CKK_{name}); install python-pkcs11 0.7.0 or later")
    return value


def _text(value) -> str:
    if isinstance(value, bytes):
        value = value.decode("ascii", "replace")
    return str(value or "").strip().rstrip("\0").strip()


def _oid_from_params(params: bytes) -> str:
    """CKA_EC_PARAMS -> dotted OID (namedCurve OID, or the PKCS#11 3.0 curve-name string)."""
    if not params:
        return ""
    if params[0] == 0x06 and len(params) >= 2:
        body, arcs, value = params[2:2 + params[1]], [], 0
        for octet in body:
            value = (value << 7) | (octet & 0x7F)
            if not octet & 0x80:
                arcs.append(value)
                value = 0
        if not arcs:
            return ""
        first = min(arcs[0] // 40, 2)
        return ".".join(str(a) for a in [first, arcs[0] - 40 * first, *arcs[1:]])
    if params[0] == 0x13 and len(params) >= 2:
        name = params[2:2 + params[1]].decode("ascii", "replace")
        for scheme in SCHEMES.values():
            if scheme.curve_name == name or (name == "edwards25519" and scheme.algorithm == 15):
                return scheme.curve_oid
    return params.hex()


class Pkcs11Session(Session):
    """One session on one token, inside the provider's lock."""

    def __init__(self, provider: Pkcs11Provider, token: TokenInfo, handle, p11_token) -> None:
        self.provider = provider
        self.token = token
        self.handle = handle
        self.p11_token = p11_token

    # -- search ------------------------------------------------------------------------------

    def _objects(self, object_class, **attrs) -> list:
        template = {Attribute.CLASS: object_class}
        for name, value in attrs.items():
            if value is not None:
                template[getattr(Attribute, name)] = value
        return list(self.handle.get_objects(template))

    def find_keypairs(self, key_id: bytes | None = None, label: str | None = None) -> list[KeyPair]:
        if key_id is None and label is None:
            raise ValueError("find_keypairs needs a key id or a label")
        if key_id is not None:
            ids = [bytes(key_id)]
        else:
            found = (self._objects(ObjectClass.PRIVATE_KEY, LABEL=label)
                     + self._objects(ObjectClass.PUBLIC_KEY, LABEL=label))
            ids = sorted({bytes(obj[Attribute.ID]) for obj in found})
        pairs = []
        for one in ids:
            private = self._objects(ObjectClass.PRIVATE_KEY, ID=one)
            public = self._objects(ObjectClass.PUBLIC_KEY, ID=one)
            if not private and not public:
                continue
            if len(private) > 1 or len(public) > 1:
                raise KeyConflict(f"token {self.token.describe()} holds {len(private)} private and "
                                  f"{len(public)} public keys with CKA_ID {one.hex()}: a CKA_ID must name "
                                  "one key pair; resolve this by hand with the HSM's tools")
            pairs.append(self._pair(one, public[0] if public else None, private[0] if private else None))
        return pairs

    def list_keypairs(self) -> list[KeyPair]:
        found = self._objects(ObjectClass.PRIVATE_KEY) + self._objects(ObjectClass.PUBLIC_KEY)
        ids = sorted({bytes(obj[Attribute.ID]) for obj in found})
        return [pair for one in ids for pair in self.find_keypairs(key_id=one)]

    def _pair(self, key_id: bytes, public, private) -> KeyPair:
        either = public if public is not None else private
        label = _text(either[Attribute.LABEL])
        key_type_raw = either[Attribute.KEY_TYPE]
        key_type = getattr(key_type_raw, "name", str(key_type_raw))
        curve_oid, bits, key_data = "", 0, b""
        if key_type in ("EC", "EC_EDWARDS"):
            try:
                curve_oid = _oid_from_params(bytes(either[Attribute.EC_PARAMS]))
            except p11_errors.PKCS11Error:
                curve_oid = ""
            bits = CURVE_BITS.get(curve_oid, 0)
        if public is not None:
            try:
                key_data = self._public_key_data(public, key_type, curve_oid)
            except RecordError as exc:
                raise HSMError(f"public key id {key_id.hex()} on token {self.token.describe()} cannot be "
                               f"read as a DNSKEY: {exc}") from None
            if key_type == "RSA":
                bits = int.from_bytes(bytes(public[Attribute.MODULUS]), "big").bit_length()
        elif key_type == "RSA":
            try:
                bits = int.from_bytes(bytes(private[Attribute.MODULUS]), "big").bit_length()
            except p11_errors.PKCS11Error:
                bits = 0
        attributes = {}
        if private is not None:
            for name in PRIVATE_ATTRIBUTES:
                attribute = getattr(Attribute, name, None)
                if attribute is None:
                    continue
                try:
                    attributes[name.lower()] = bool(private[attribute])
                except p11_errors.PKCS11Error:
                    continue
        return KeyPair(key_id=key_id, label=label, key_type=key_type, bits=bits, curve_oid=curve_oid,
                       public_key=key_data, private_attributes=attributes,
                       has_public=public is not None, has_private=private is not None)

    def _public_key_data(self, public, key_type: str, curve_oid: str) -> bytes:
        """CKA_MODULUS/PUBLIC_EXPONENT (RSA) or CKA_EC_POINT -> the DNSKEY key field."""
        if key_type == "RSA":
            return rsa_key_data(bytes(public[Attribute.MODULUS]), bytes(public[Attribute.PUBLIC_EXPONENT]))
        algorithm = next((s.algorithm for s in SCHEMES.values() if s.curve_oid == curve_oid), None)
        if algorithm is None:
            return b""
        mode = self.provider.profile.ec_point
        point = bytes(public[Attribute.EC_POINT])
        if algorithm in EC_POINT_OCTETS:
            return ec_key_data(unwrap_ec_point(point, EC_POINT_OCTETS[algorithm] + 1, mode), algorithm)
        return eddsa_key_data(unwrap_ec_point(point, EDDSA_KEY_OCTETS[algorithm], mode), algorithm)

    # -- changes -----------------------------------------------------------------------------

    def generate(self, spec: KeySpec) -> KeyPair:
        scheme = spec.scheme
        profile = self.provider.profile
        public_template = {Attribute.TOKEN: True, Attribute.PRIVATE: False, Attribute.VERIFY: True,
                           Attribute.ENCRYPT: False, Attribute.WRAP: False}
        private_template = {Attribute.TOKEN: True, Attribute.PRIVATE: True, Attribute.SENSITIVE: True,
                            Attribute.EXTRACTABLE: False, Attribute.SIGN: True, Attribute.DECRYPT: False,
                            Attribute.UNWRAP: False, Attribute.DERIVE: False}
        key_length = None
        if scheme.key_type == "RSA":
            key_length = int(spec.bits)
            public_template[Attribute.PUBLIC_EXPONENT] = b"\x01\x00\x01"
            public_template[Attribute.MODULUS_BITS] = key_length
        elif scheme.key_type == "EC_EDWARDS" and profile.eddsa_params == "name":
            public_template[Attribute.EC_PARAMS] = der_printable(scheme.curve_name)
        else:
            public_template[Attribute.EC_PARAMS] = der_oid(scheme.curve_oid)
        try:
            self.handle.generate_keypair(
                _key_type(scheme.key_type), key_length, id=spec.key_id, label=spec.label, store=True,
                capabilities=MechanismFlag.SIGN | MechanismFlag.VERIFY,
                mechanism=_mechanism(scheme.keygen),
                public_template=public_template, private_template=private_template)
        except p11_errors.PKCS11Error as exc:
            doing = f"generating {spec.algorithm.mnemonic} key '{spec.label}' on {self.token.describe()}"
            raise self.provider.translate(exc, doing, token=self.token) from None
        pairs = self.find_keypairs(key_id=spec.key_id)
        if len(pairs) != 1 or not (pairs[0].has_public and pairs[0].has_private):
            raise KeyIncomplete(f"token {self.token.describe()} reported success generating key id "
                                f"{spec.key_id.hex()} but the pair cannot be found afterwards")
        return pairs[0]

    def destroy(self, pair: KeyPair) -> None:
        try:
            for object_class in (ObjectClass.PRIVATE_KEY, ObjectClass.PUBLIC_KEY):
                for obj in self._objects(object_class, ID=pair.key_id):
                    obj.destroy()
        except p11_errors.PKCS11Error as exc:
            raise self.provider.translate(exc, f"destroying key id {pair.id_hex}", token=self.token) from None

    def sign(self, pair: KeyPair, algorithm: int, data: bytes) -> bytes:
        scheme = scheme_for(algorithm)
        private = self._objects(ObjectClass.PRIVATE_KEY, ID=pair.key_id)
        if len(private) != 1:
            raise KeyIncomplete(f"no private key with CKA_ID {pair.id_hex} on token {self.token.describe()}")
        payload = hashlib.new(scheme.prehash, data).digest() if scheme.prehash else data
        try:
            return bytes(private[0].sign(payload, mechanism=_mechanism(scheme.sign)))
        except p11_errors.PKCS11Error as exc:
            raise self.provider.translate(exc, f"signing with key id {pair.id_hex} (CKM_{scheme.sign})",
                                          token=self.token) from None

    def count_objects(self) -> dict[str, int]:
        counts = {}
        for name in ("PUBLIC_KEY", "PRIVATE_KEY", "SECRET_KEY", "CERTIFICATE", "DATA"):
            object_class = getattr(ObjectClass, name, None)
            counts[name.lower()] = len(self._objects(object_class)) if object_class is not None else 0
        counts["total"] = sum(counts.values())
        return counts


class Pkcs11Provider(Provider):
    """Any PKCS#11 module, with a :class:`.profiles.Profile` of its quirks."""

    name = "generic PKCS#11"

    def __init__(self, module_path: str, profile: Profile = GENERIC, lock: HostLock | None = None,
                 lock_timeout: float = DEFAULT_TIMEOUT) -> None:
        super().__init__(module_path)
        self.profile = profile
        self.lock = lock or HostLock(timeout=lock_timeout)
        self.lib = None
        self._sessions: list = []

    # -- context: lock + module ---------------------------------------------------------------

    def __enter__(self) -> Pkcs11Provider:
        self.lock.acquire()
        try:
            self.lib = load_library(self.module_path)
        except BaseException:
            self.lock.release()
            raise
        return self

    def __exit__(self, *exc_info) -> None:
        try:
            for handle in self._sessions:
                with suppress(Exception):  # closing a dead session must not hide the real error
                    handle.close()
            self._sessions.clear()
        finally:
            self.lock.release()

    def _require_open(self) -> None:
        if self.lib is None or not self.lock.held:
            raise HSMError("PKCS#11 used outside the provider context (no lock held)")

    # -- tokens ------------------------------------------------------------------------------

    def _p11_tokens(self) -> list[tuple[TokenInfo, object]]:
        self._require_open()
        found = []
        try:
            slots = self.lib.get_slots(token_present=True)
        except p11_errors.PKCS11Error as exc:
            raise self.translate(exc, "listing slots") from None
        for slot in slots:
            try:
                token = slot.get_token()
            except (p11_errors.TokenNotPresent, p11_errors.TokenNotRecognised):
                continue
            flags = int(token.flags)
            info = TokenInfo(label=_text(token.label), serial=_text(token.serial),
                             manufacturer=_text(token.manufacturer_id), model=_text(token.model),
                             slot_id=int(slot.slot_id), flags=flags,
                             initialized=bool(flags & CKF_TOKEN_INITIALIZED),
                             login_required=bool(flags & CKF_LOGIN_REQUIRED),
                             write_protected=bool(flags & CKF_WRITE_PROTECTED))
            found.append((info, token))
        return found

    def tokens(self) -> list[TokenInfo]:
        return [info for info, _token in self._p11_tokens() if info.initialized]

    def _p11_token(self, token: TokenInfo):
        for info, p11_token in self._p11_tokens():
            if info.serial == token.serial and info.label == token.label:
                return p11_token
        raise HSMError(f"token {token.describe()} disappeared from {self.module_path}")

    def mechanisms(self, token: TokenInfo) -> dict[int, tuple[int, int, int]]:
        """Mechanism number -> (min key size, max key size, CKF_ flags) from CK_MECHANISM_INFO."""
        slot = self._p11_token(token).slot
        result = {}
        for mechanism in slot.get_mechanisms():
            try:
                info = slot.get_mechanism_info(mechanism)
                result[int(mechanism)] = (int(info.min_key_length), int(info.max_key_length), int(info.flags))
            except (p11_errors.PKCS11Error, ValueError, TypeError):
                result[int(mechanism)] = (0, 0, 0)
        return result

    def capabilities(self, token: TokenInfo, bits: int = 2048) -> dict[int, Capability]:
        offered = self.mechanisms(token)
        result = {}
        for number, scheme in SCHEMES.items():
            missing, detail = [], ""
            for role, name in (("keygen", scheme.keygen), ("sign", scheme.sign)):
                mech = getattr(Mechanism, name, None) if pkcs11 else None
                value = int(mech) if mech is not None else CKM_NUMBERS[name]
                if value not in offered:
                    missing.append(name)
                    continue
                low, high, flags = offered[value]
                wanted = bits if scheme.key_type == "RSA" else scheme.key_bits
                if role == "keygen" and self.profile.check_key_sizes and high and not low <= wanted <= high:
                    detail = (f"offers CKM_{name} for key sizes {low}-{high} only, not {wanted}")
                flag_name, flag = (("CKF_GENERATE_KEY_PAIR", CKF_GENERATE_KEY_PAIR) if role == "keygen"
                                   else ("CKF_SIGN", CKF_SIGN))
                if flags and not flags & flag:
                    detail = f"offers CKM_{name} without the {flag_name} flag"
            result[number] = Capability(number, not missing and not detail, scheme.mechanisms,
                                        tuple(missing), detail)
        return result

    # -- sessions ----------------------------------------------------------------------------

    @contextmanager
    def session(self, token: TokenInfo, pin: str | None, rw: bool = False) -> Iterator[Pkcs11Session]:
        p11_token = self._p11_token(token)
        try:
            handle = p11_token.open(rw=rw, user_pin=pin if token.login_required else None)
        except p11_errors.PKCS11Error as exc:
            raise self.translate(exc, f"logging in to token {token.describe()}", token=token) from None
        self._sessions.append(handle)
        try:
            yield Pkcs11Session(self, token, handle, p11_token)
        finally:
            self._sessions.remove(handle)
            handle.close()

    # -- errors ------------------------------------------------------------------------------

    def translate(self, exc: BaseException, doing: str, token: TokenInfo | None = None) -> HSMError:
        """A python-pkcs11 exception -> an :class:`HSMError` whose message says what to do."""
        kind = type(exc).__name__
        where = f"token {token.describe()}" if token else f"module {self.module_path}"
        if kind == "PinIncorrect":
            return PinRejected(f"the PIN was rejected by {where} (CKR_PIN_INCORRECT) while {doing}; nothing "
                               "was changed: check the PIN in the vault")
        if kind in ("PinLocked", "PinExpired", "UserPinNotInitialized", "PinLenRange", "PinInvalid"):
            return PinRejected(f"{where} refused the login ({kind}) while {doing}; nothing was changed: "
                               "the user PIN must be reset by the security officer")
        if kind in self.profile.full_errors:
            full = self.storage_full(token)
            if full or kind == "DeviceMemory":
                return TokenFull(f"{where} is full ({kind}{'; ' + full if full else ''}) while {doing}; "
                                 "no key was created: destroy archived keys or add capacity")
        if kind == "MechanismInvalid":
            return MechanismUnsupported(f"{where} does not support the mechanism used for {doing}")
        if kind in ("TokenWriteProtected", "SessionReadOnly"):
            return HSMError(f"{where} is read-only ({kind}) while {doing}")
        return HSMError(f"PKCS#11 error while {doing} on {where}: {_describe(exc)}")

    def storage_full(self, token: TokenInfo | None) -> str:
        """File-backed tokens: say so when the storage is (nearly) full, else ''."""
        return ""
