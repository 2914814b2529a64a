# Copyright: rsp.dnssec contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt)
"""DNSSEC signing policy: algorithm, key lifetimes, TTLs, delays, NSEC3, methods.

A :class:`Policy` is built from a plain dict as it comes from Ansible variables
(:meth:`Policy.from_dict`) and validated as a whole: every impossible or unsafe
combination is reported at once, each message naming the rule it breaks
(RFC 8624 algorithms and digests, RFC 9276 NSEC3 parameters, RFC 7583 rollover
timing, RFC 6781 signature validity, RFC 2308 negative caching).

Two profiles give the defaults: ``production`` (what an RSP runs for a TLD
whose parent is the root zone) and ``lab`` (TTLs of seconds, so that complete
rollovers run in minutes). Durations are seconds, or strings with a unit:
``"90d"``, ``"1h30m"``, ``"45s"``, ``"2w"``.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field

from ansible_collections.rsp.dnssec.plugins.module_utils.dnssec.algorithms import (
    AlgorithmError,
    digest_type,
    lookup,
    signing_algorithm,
)

MINUTE = 60
HOUR = 3600
DAY = 86400
WEEK = 7 * DAY

KEY_SCHEMES = ("split", "csk")
ROLLOVER_METHODS: dict[str, tuple[str, ...]] = {
    "zsk": ("pre-publish",),
    "ksk": ("double-ds", "double-ksk"),
    "csk": ("double-ksk",),
    "algorithm": ("conservative",),
    "emergency_ksk": ("double-ksk", "standby"),
}
"""Rollover kind -> methods the planner implements (first one is the default,
except ``emergency_ksk`` whose default follows ``standby_ksk``)."""


class PolicyError(ValueError):
    """The policy is invalid; ``errors`` lists every problem, each naming its rule."""

    def __init__(self, errors: list[str]) -> None:
        self.errors = list(errors)
        if len(self.errors) == 1:
            text = self.errors[0]
        else:
            text = " ".join(f"({n}) {e}" for n, e in enumerate(self.errors, start=1))
        super().__init__(f"invalid DNSSEC policy: {text}")


# -- durations --------------------------------------------------------------

_UNITS = {"s": 1, "m": MINUTE, "h": HOUR, "d": DAY, "w": WEEK}
_DURATION = re.compile(r"(\d+)\s*([smhdw])", re.IGNORECASE)


def parse_duration(value: object, name: str = "duration") -> int:
    """Seconds from an int, an integral float, or a string: ``"3600"``, ``"1h"``,
    ``"1h30m"``, ``"90d"``, ``"2w"``. Negative values are refused."""
    if isinstance(value, bool):
        raise ValueError(f"{name}: {value!r} is not a duration")
    if isinstance(value, int):
        seconds = value
    elif isinstance(value, float) and value.is_integer():
        seconds = int(value)
    elif isinstance(value, str):
        text = value.strip().replace(" ", "")
        if text.isdigit():
            seconds = int(text)
        elif re.fullmatch(r"(?:\d+[smhdw])+", text, re.IGNORECASE):
            seconds = sum(int(n) * _UNITS[u.lower()] for n, u in _DURATION.findall(text))
        else:
            raise ValueError(f"{name}: {value!r} is not a duration (use seconds, or a number with "
                             "s, m, h, d or w, e.g. 3600, '1h', '90d', '1h30m')")
    else:
        raise ValueError(f"{name}: {value!r} is not a duration (use seconds or e.g. '1h', '90d')")
    if seconds < 0:
        raise ValueError(f"{name}: {value!r} is negative")
    return seconds


def format_duration(seconds: int) -> str:
    """``93900`` -> ``"1d2h5m"``; ``0`` -> ``"0s"``."""
    if seconds == 0:
        return "0s"
    sign = "-" if seconds < 0 else ""
    rest = abs(int(seconds))
    parts = []
    for unit, size in (("d", DAY), ("h", HOUR), ("m", MINUTE), ("s", 1)):
        if rest >= size:
            parts.append(f"{rest // size}{unit}")
            rest %= size
    return sign + "".join(parts)


# -- the policy ---------------------------------------------------------------

@dataclass(frozen=True)
class SOA:
    """SOA timers of the zone (RFC 1035 section 3.3.13; negative TTL per RFC 2308)."""

    ttl: int
    refresh: int
    retry: int
    expire: int
    minimum: int

    @property
    def negative_ttl(self) -> int:
        """TTL of negative answers: min(SOA TTL, SOA MINIMUM) (RFC 2308 section 5, RFC 9077)."""
        return min(self.ttl, self.minimum)


@dataclass(frozen=True)
class NSEC3:
    """Authenticated denial parameters; ``enabled: false`` means NSEC."""

    enabled: bool = True
    iterations: int = 0
    salt: str = ""
    opt_out: bool = False
    override_rfc9276: bool = False


@dataclass(frozen=True)
class RolloverMethods:
    """Rollover method per kind (see :data:`ROLLOVER_METHODS`)."""

    zsk: str = "pre-publish"
    ksk: str = "double-ds"
    csk: str = "double-ksk"
    algorithm: str = "conservative"
    emergency_ksk: str = "double-ksk"


@dataclass(frozen=True)
class Policy:
    """A validated DNSSEC policy. Durations and TTLs are in seconds.

    Names in brackets are the RFC 7583 variables each value stands for.
    """

    algorithm: int = 13
    ds_digest: str = "sha256"
    key_scheme: str = "split"
    rsa_bits: int = 2048
    ksk_lifetime: int = 365 * DAY  # Lksk; 0: no scheduled rollover
    zsk_lifetime: int = 90 * DAY  # Lzsk
    csk_lifetime: int = 365 * DAY  # Lcsk
    dnskey_ttl: int = HOUR  # TTLkey
    ds_ttl: int = DAY  # TTLds, set by the parent (the root zone: 86400)
    max_zone_ttl: int = DAY  # TTLsig: the largest TTL of any RRset (so of any RRSIG) in the zone
    soa: SOA = field(default_factory=lambda: SOA(ttl=HOUR, refresh=30 * MINUTE, retry=15 * MINUTE,
                                                 expire=WEEK, minimum=HOUR))
    signature_validity: int = 14 * DAY  # Knot rrsig-lifetime
    signature_refresh: int = 8 * DAY  # Knot rrsig-refresh: re-sign when less validity remains
    signature_safety: int = DAY  # least validity a validator may be left with
    propagation_delay: int = HOUR  # Dprp (DprpC): primary -> every authoritative server
    parent_propagation_delay: int = HOUR  # DprpP: parent's primary -> every parent server
    registration_delay: int = 0  # Dreg: DS submission -> published by the parent
    signing_delay: int = 5 * MINUTE  # Dsgn: time to re-sign the whole zone
    publish_safety: int = HOUR  # Ipsafety
    retire_safety: int = HOUR  # Irsafety
    nsec3: NSEC3 = field(default_factory=NSEC3)
    rollover: RolloverMethods = field(default_factory=RolloverMethods)
    standby_ksk: bool = False
    emergency_dnskey_ttl: int = 5 * MINUTE
    profile: str = "production"

    # -- derived values -----------------------------------------------------

    @property
    def digest_type(self) -> int:
        """DS digest type number (2 = SHA-256, 4 = SHA-384)."""
        return digest_type(self.ds_digest)

    @property
    def ttl_sig(self) -> int:
        """RFC 7583 TTLsig: the largest TTL an RRSIG over zone data can have."""
        return max(self.max_zone_ttl, self.soa.ttl, self.soa.negative_ttl)

    def method(self, kind: str) -> str:
        """Configured method for a rollover kind ("zsk", "ksk", "csk", "algorithm", "emergency_ksk")."""
        if kind not in ROLLOVER_METHODS:
            raise PolicyError([f"unknown rollover kind {kind!r} (known: {', '.join(ROLLOVER_METHODS)})"])
        return getattr(self.rollover, kind)

    def warnings(self) -> list[str]:
        """Advice that does not make the policy unsafe for the chain of trust."""
        found = []
        served = self.signature_refresh - self.signing_delay - self.propagation_delay
        if self.soa.expire > served:
            found.append(
                f"soa.expire ({format_duration(self.soa.expire)}) is longer than the least signature "
                f"validity the secondaries hold (signature_refresh - signing_delay - propagation_delay = "
                f"{format_duration(served)}): if the signer stops, secondaries would serve expired "
                "signatures (bogus answers) before they stop serving the zone (RFC 6781 section 4.4)")
        if self.algorithm == 10:
            found.append("algorithm 10 (RSASHA512) is NOT RECOMMENDED for signing by RFC 8624 section 3.1")
        return found

    def to_dict(self) -> dict:
        """Plain dict (JSON-serialisable) that :meth:`from_dict` reads back."""
        data = asdict(self)
        data["emergency"] = {"dnskey_ttl": data.pop("emergency_dnskey_ttl")}
        return data

    # -- construction ---------------------------------------------------------

    @classmethod
    def from_dict(cls, data: Mapping | None = None, *, check: bool = True) -> Policy:
        """Build (and by default validate) a policy from Ansible-style variables.

        ``profile`` (``production`` or ``lab``) selects the defaults; every
        other key overrides one value. Unknown keys are refused (a typo must not
        silently fall back to a default). Raises :class:`PolicyError`."""
        data = dict(data or {})
        errors: list[str] = []
        profile = str(data.pop("profile", "production"))
        if profile not in PROFILES:
            raise PolicyError([f"unknown profile {profile!r} (known: {', '.join(PROFILES)})"])
        values = _merge(PROFILES[profile], data)
        values["profile"] = profile
        _refuse_unknown(values, _TOP_KEYS, "", errors)
        kwargs: dict = {"profile": profile}

        def duration(name: str, source: Mapping, prefix: str = "") -> int:
            try:
                return parse_duration(source[name], prefix + name)
            except (ValueError, KeyError) as exc:
                errors.append(str(exc))
                return 0

        for name in _DURATION_KEYS:
            kwargs[name] = duration(name, values)
        try:
            kwargs["algorithm"] = lookup(values["algorithm"]).number
        except AlgorithmError as exc:
            errors.append(f"algorithm: {exc}")
            kwargs["algorithm"] = 13
        kwargs["ds_digest"] = str(values["ds_digest"]).strip().lower().replace("-", "")
        kwargs["key_scheme"] = str(values["key_scheme"])
        kwargs["rsa_bits"] = _int(values["rsa_bits"], "rsa_bits", errors)
        kwargs["standby_ksk"] = _bool(values["standby_ksk"], "standby_ksk", errors)

        soa = values["soa"]
        if not isinstance(soa, Mapping):
            errors.append(f"soa: expected a mapping with {', '.join(_SOA_KEYS)}, got {soa!r}")
            soa = PROFILES[profile]["soa"]
        _refuse_unknown(soa, _SOA_KEYS, "soa.", errors)
        kwargs["soa"] = SOA(**{name: duration(name, soa, "soa.") for name in _SOA_KEYS})

        nsec3 = values["nsec3"]
        if isinstance(nsec3, bool):
            nsec3 = dict(PROFILES[profile]["nsec3"], enabled=nsec3)
        if not isinstance(nsec3, Mapping):
            errors.append(f"nsec3: expected a mapping (enabled, iterations, salt, opt_out, "
                          f"override_rfc9276) or a boolean, got {nsec3!r}")
            nsec3 = PROFILES[profile]["nsec3"]
        _refuse_unknown(nsec3, _NSEC3_KEYS, "nsec3.", errors)
        nsec3 = dict(PROFILES[profile]["nsec3"], **nsec3)
        salt = "" if nsec3["salt"] in (None, "-") else str(nsec3["salt"])
        kwargs["nsec3"] = NSEC3(enabled=_bool(nsec3["enabled"], "nsec3.enabled", errors),
                                iterations=_int(nsec3["iterations"], "nsec3.iterations", errors),
                                salt=salt,
                                opt_out=_bool(nsec3["opt_out"], "nsec3.opt_out", errors),
                                override_rfc9276=_bool(nsec3["override_rfc9276"],
                                                       "nsec3.override_rfc9276", errors))

        methods = values["rollover"]
        if not isinstance(methods, Mapping):
            errors.append(f"rollover: expected a mapping of kind -> method, got {methods!r}")
            methods = {}
        _refuse_unknown(methods, tuple(ROLLOVER_METHODS), "rollover.", errors)
        chosen = {kind: str(methods.get(kind) or "") for kind in ROLLOVER_METHODS}
        if not chosen["emergency_ksk"]:
            chosen["emergency_ksk"] = "standby" if kwargs["standby_ksk"] else "double-ksk"
        for kind, options in ROLLOVER_METHODS.items():
            chosen[kind] = chosen[kind] or options[0]
        kwargs["rollover"] = RolloverMethods(**chosen)

        emergency = values["emergency"]
        if not isinstance(emergency, Mapping):
            errors.append(f"emergency: expected a mapping with dnskey_ttl, got {emergency!r}")
            emergency = PROFILES[profile]["emergency"]
        _refuse_unknown(emergency, ("dnskey_ttl",), "emergency.", errors)
        kwargs["emergency_dnskey_ttl"] = duration("dnskey_ttl", dict(PROFILES[profile]["emergency"],
                                                                     **emergency), "emergency.")
        if errors:
            raise PolicyError(errors)
        policy = cls(**kwargs)
        if check:
            policy.validate()
        return policy

    @classmethod
    def production(cls) -> Policy:
        return cls.from_dict({"profile": "production"})

    @classmethod
    def lab(cls) -> Policy:
        return cls.from_dict({"profile": "lab"})

    # -- validation -----------------------------------------------------------

    def problems(self) -> list[str]:
        """Every rule the policy breaks (empty list: valid)."""
        errors: list[str] = []
        self._check_crypto(errors)
        self._check_nsec3(errors)
        self._check_ttls(errors)
        self._check_signatures(errors)
        self._check_methods(errors)
        if not errors:
            self._check_lifetimes(errors)
        return errors

    def validate(self) -> Policy:
        """Raise :class:`PolicyError` naming every broken rule; return self."""
        errors = self.problems()
        if errors:
            raise PolicyError(errors)
        return self

    def _check_crypto(self, errors: list[str]) -> None:
        try:
            algorithm = signing_algorithm(self.algorithm)
        except AlgorithmError as exc:
            errors.append(f"algorithm: {exc}")
            algorithm = None
        try:
            digest_type(self.ds_digest)
        except AlgorithmError as exc:
            errors.append(f"ds_digest: {exc}")
        if self.key_scheme not in KEY_SCHEMES:
            errors.append(f"key_scheme {self.key_scheme!r} is unknown: use 'split' (KSK + ZSK) or 'csk'")
        if algorithm is not None and algorithm.family == "rsa" and not 2048 <= self.rsa_bits <= 4096:
            errors.append(f"rsa_bits {self.rsa_bits}: RSA keys must have 2048 to 4096 bits (NIST SP 800-131A "
                          "Rev. 2 disallows shorter RSA signature keys; longer ones make DNSKEY answers "
                          "fragment)")

    def _check_nsec3(self, errors: list[str]) -> None:
        n = self.nsec3
        if not n.enabled:
            return
        if n.iterations < 0:
            errors.append(f"nsec3.iterations {n.iterations} is negative")
        if n.salt and (not re.fullmatch(r"[0-9a-fA-F]{2,510}", n.salt) or len(n.salt) % 2):
            errors.append(f"nsec3.salt {n.salt!r} is not an even number of hex digits (at most 255 octets)")
        if n.override_rfc9276:
            return
        hint = (" (set nsec3.override_rfc9276: true only if you must, and know that ICANN RST dnssec-93 "
                "fails it)")
        if n.iterations > 0:
            errors.append(f"nsec3.iterations {n.iterations}: RFC 9276 section 3.1 requires 0 additional "
                          f"iterations{hint}")
        if n.salt:
            errors.append(f"nsec3.salt {n.salt!r}: RFC 9276 section 3.1 says operators SHOULD NOT use a "
                          f"salt; use an empty salt{hint}")
        if n.opt_out:
            errors.append("nsec3.opt_out: RFC 9276 section 3.1 says opt-out SHOULD NOT be used unless the "
                          "zone is very large with mostly insecure delegations, and the RSP DNSSEC "
                          "operations tests require NSEC3 without opt-out (set "
                          "nsec3.override_rfc9276: true to allow it)")

    def _check_ttls(self, errors: list[str]) -> None:
        for name in ("dnskey_ttl", "ds_ttl", "max_zone_ttl", "emergency_dnskey_ttl"):
            if getattr(self, name) <= 0:
                errors.append(f"{_public(name)} must be positive")
        soa = self.soa
        for name in _SOA_KEYS:
            if getattr(soa, name) <= 0:
                errors.append(f"soa.{name} must be positive")
        if self.max_zone_ttl < self.dnskey_ttl:
            errors.append(f"max_zone_ttl ({self.max_zone_ttl}) is lower than dnskey_ttl ({self.dnskey_ttl}): "
                          "max_zone_ttl is TTLsig of RFC 7583 section 3.2.1 and must cover every TTL in the "
                          "zone")
        if self.max_zone_ttl < soa.ttl:
            errors.append(f"max_zone_ttl ({self.max_zone_ttl}) is lower than soa.ttl ({soa.ttl}): it must "
                          "cover every TTL in the zone (RFC 7583 TTLsig)")
        if soa.negative_ttl > DAY:
            errors.append(f"negative TTL min(soa.ttl, soa.minimum) = {soa.negative_ttl} s is above one day: "
                          "RFC 2308 section 5 says longer values are problematic (1 to 3 hours work well)")
        if soa.retry >= soa.refresh:
            errors.append(f"soa.retry ({soa.retry}) must be shorter than soa.refresh ({soa.refresh}) "
                          "(RFC 1912 section 2.2)")
        if soa.expire <= soa.refresh + soa.retry:
            errors.append(f"soa.expire ({soa.expire}) must be longer than soa.refresh + soa.retry "
                          f"({soa.refresh + soa.retry}) (RFC 1912 section 2.2)")
        if self.emergency_dnskey_ttl > self.dnskey_ttl:
            errors.append(f"emergency.dnskey_ttl ({self.emergency_dnskey_ttl}) is longer than dnskey_ttl "
                          f"({self.dnskey_ttl}): the emergency rollover shortens the DNSKEY TTL, never "
                          "lengthens it (RFC 6781 section 4.2.1.1)")

    def _check_signatures(self, errors: list[str]) -> None:
        dsgn, dprp, ttl_sig = self.signing_delay, self.propagation_delay, self.ttl_sig
        least = self.signature_refresh - dsgn - dprp - ttl_sig
        if least < self.signature_safety:
            errors.append(
                f"signature_refresh ({format_duration(self.signature_refresh)}) is too short: a validator "
                f"may hold a signature with only signature_refresh - Dsgn - Dprp - TTLsig = "
                f"{format_duration(self.signature_refresh)} - {format_duration(dsgn)} - "
                f"{format_duration(dprp)} - {format_duration(ttl_sig)} = {format_duration(least)} of "
                f"validity left, less than signature_safety ({format_duration(self.signature_safety)}); "
                "raise signature_refresh (RFC 6781 section 4.4, RFC 4035 section 5.3.1)")
        if self.signature_validity < self.signature_refresh + dsgn + dprp:
            errors.append(
                f"signature_validity ({format_duration(self.signature_validity)}) is not comfortably larger "
                f"than signature_refresh + Dsgn + Dprp "
                f"({format_duration(self.signature_refresh + dsgn + dprp)}): a new signature would be due "
                "for refresh before it reached every secondary "
                "(RFC 6781 section 4.4)")

    def _check_methods(self, errors: list[str]) -> None:
        for kind, options in ROLLOVER_METHODS.items():
            chosen = getattr(self.rollover, kind)
            if chosen not in options:
                errors.append(f"rollover.{kind}: unknown method {chosen!r} (known: {', '.join(options)})")
        if self.rollover.emergency_ksk == "standby" and not self.standby_ksk:
            errors.append("rollover.emergency_ksk is 'standby' but standby_ksk is false: a standby KSK "
                          "whose DS is already at the parent is what makes that method safe (RFC 6781 "
                          "section 4.2.4)")
        for name in _DURATION_KEYS:
            if getattr(self, name) < 0:
                errors.append(f"{name} must not be negative")

    def _check_lifetimes(self, errors: list[str]) -> None:
        # Local import: timing imports this module (the formulas live there).
        from ansible_collections.rsp.dnssec.plugins.module_utils.dnssec import timing

        checks = (("zsk", "zsk_lifetime", "Lzsk", "RFC 7583 section 3.2.1: Lzsk >= Ipub + Iret"),
                  ("ksk", "ksk_lifetime", "Lksk", "RFC 7583 section 3.3"),
                  ("csk", "csk_lifetime", "Lcsk", "RFC 7583 sections 3.2.1 and 3.3.1"))
        for kind, name, symbol, rule in checks:
            lifetime = getattr(self, name)
            if lifetime == 0:
                continue
            if kind in ("zsk", "ksk") and self.key_scheme == "csk":
                continue
            if kind == "csk" and self.key_scheme != "csk":
                continue
            summary = timing.rollover_duration(self, kind)
            if lifetime < summary.total:
                errors.append(
                    f"{name} ({symbol} = {format_duration(lifetime)}) is shorter than one {kind.upper()} "
                    f"rollover ({summary.formula} = {format_duration(summary.total)}): the next rollover "
                    f"would start before the previous one ended ({rule})")


def _public(name: str) -> str:
    return "emergency.dnskey_ttl" if name == "emergency_dnskey_ttl" else name


def _int(value: object, name: str, errors: list[str]) -> int:
    if isinstance(value, bool):
        errors.append(f"{name}: {value!r} is not an integer")
        return 0
    try:
        return int(str(value).strip()) if isinstance(value, str) else int(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        errors.append(f"{name}: {value!r} is not an integer")
        return 0


def _bool(value: object, name: str, errors: list[str]) -> bool:
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    if text in ("yes", "true", "on", "1"):
        return True
    if text in ("no", "false", "off", "0"):
        return False
    errors.append(f"{name}: {value!r} is not a boolean")
    return False


def _refuse_unknown(data: Mapping, known: tuple[str, ...], prefix: str, errors: list[str]) -> None:
    for name in data:
        if name not in known:
            close = difflib.get_close_matches(str(name), known, n=1)
            hint = f" (did you mean {prefix}{close[0]}?)" if close else f" (known: {', '.join(known)})"
            errors.append(f"unknown policy setting {prefix}{name}{hint}")


def _merge(base: Mapping, override: Mapping) -> dict:
    merged = dict(base)
    for name, value in override.items():
        if isinstance(value, Mapping) and isinstance(merged.get(name), Mapping):
            merged[name] = dict(merged[name], **value)
        else:
            merged[name] = value
    return merged


_DURATION_KEYS = ("ksk_lifetime", "zsk_lifetime", "csk_lifetime", "dnskey_ttl", "ds_ttl", "max_zone_ttl",
                  "signature_validity", "signature_refresh", "signature_safety", "propagation_delay",
                  "parent_propagation_delay", "registration_delay", "signing_delay", "publish_safety",
                  "retire_safety")
_SOA_KEYS = ("ttl", "refresh", "retry", "expire", "minimum")
_NSEC3_KEYS = ("enabled", "iterations", "salt", "opt_out", "override_rfc9276")
_TOP_KEYS = ("profile", "algorithm", "ds_digest", "key_scheme", "rsa_bits", "soa", "nsec3", "rollover",
             "standby_ksk", "emergency", *_DURATION_KEYS)

PROFILES: dict[str, dict] = {
    # What an RSP runs for a TLD under the root zone.
    "production": {
        "algorithm": 13,
        "ds_digest": "sha256",
        "key_scheme": "split",
        "rsa_bits": 2048,
        "ksk_lifetime": "365d",
        "zsk_lifetime": "90d",
        "csk_lifetime": "365d",
        "dnskey_ttl": "1h",
        "ds_ttl": "1d",  # the root zone's DS TTL
        "max_zone_ttl": "1d",
        "soa": {"ttl": "1h", "refresh": "30m", "retry": "15m", "expire": "7d", "minimum": "1h"},
        "signature_validity": "14d",
        "signature_refresh": "8d",
        "signature_safety": "1d",
        "propagation_delay": "1h",
        "parent_propagation_delay": "1h",
        "registration_delay": 0,  # the DS is observed on every parent server before anything relies on it
        "signing_delay": "5m",
        "publish_safety": "1h",
        "retire_safety": "1h",
        "nsec3": {"enabled": True, "iterations": 0, "salt": "", "opt_out": False, "override_rfc9276": False},
        "rollover": {},
        "standby_ksk": False,
        "emergency": {"dnskey_ttl": "5m"},
    },
    # The lab: TTLs of seconds, complete rollovers in a few minutes.
    "lab": {
        "algorithm": 13,
        "ds_digest": "sha256",
        "key_scheme": "split",
        "rsa_bits": 2048,
        "ksk_lifetime": "4h",
        "zsk_lifetime": "1h",
        "csk_lifetime": "4h",
        "dnskey_ttl": 10,
        "ds_ttl": 10,
        "max_zone_ttl": 10,
        "soa": {"ttl": 10, "refresh": 30, "retry": 10, "expire": "1h", "minimum": 10},
        "signature_validity": "3h",
        "signature_refresh": "90m",
        "signature_safety": "1m",
        "propagation_delay": 2,
        "parent_propagation_delay": 2,
        "registration_delay": 0,
        "signing_delay": 2,
        "publish_safety": 2,
        "retire_safety": 2,
        "nsec3": {"enabled": True, "iterations": 0, "salt": "", "opt_out": False, "override_rfc9276": False},
        "rollover": {},
        "standby_ksk": False,
        "emergency": {"dnskey_ttl": 5},
    },
}
