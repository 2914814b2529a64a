# Copyright: rsp.dnssec contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt)
"""Knot DNS adapter (``keymgr`` / ``knotc``), for zones under a ``manual: on`` policy.

Behaviour of Knot this adapter relies on, checked on Knot 3.2.6 (Debian 12)
and 3.4.6 (Debian 13):

* ``keymgr <zone> import-pkcs11 <CKA_ID> ...`` registers an HSM key. Timers not
  given default to *now* for publish and active, and importing an id that is
  already registered silently replaces it: the adapter always passes every
  timer and refuses a re-import with different attributes.
* ``keymgr -j <zone> list`` prints JSON on both versions (3.4 adds "created"
  and "missing"). Older keymgr builds without ``-j`` are read from the
  ``key=value`` text of ``keymgr -e <zone> list``.
* ``keymgr`` happily lists and modifies the KASP data of a zone that Knot does
  not serve: :meth:`KnotAdapter.check_zone` asks the running server first.
* Under ``manual: on`` Knot never deletes a key when its ``remove`` time
  passes (the key stays in the KASP database in state "removed"), and ignores
  ``knotc zone-ksk-submitted``.
* ``keymgr <zone> delete`` removes the key from the KASP database **and
  destroys the PKCS#11 objects** unless another zone shares the key. So the
  adapter never deletes a key outright: :meth:`KnotAdapter.archive_key` first
  shares it with a holding name ``<zone>.rsp-archive.invalid.`` (a zone Knot
  does not serve), then deletes it from the zone; the HSM object stays. The
  collection destroys HSM objects itself after a retention period.
* Key specifications: ``keymgr`` treats an all-digit spec as a key tag and a
  hex spec as an id *prefix*; the adapter always sends ``id=<full id>`` and
  refuses ids that are a prefix of another key's id.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
from collections.abc import Iterable, Mapping, Sequence

from ansible_collections.rsp.dnssec.plugins.module_utils.dnssec.algorithms import (
    AlgorithmError,
    lookup,
    signing_algorithm,
)
from ansible_collections.rsp.dnssec.plugins.module_utils.dnssec.engine.base import (
    ROLES,
    TIMER_NAMES,
    DSRecord,
    EngineAdapter,
    EngineCommandFailed,
    EngineError,
    EngineKey,
    EngineNotRunning,
    EngineRefused,
    EngineTimeout,
    EngineUnsupported,
    KeyTimers,
    ZoneUnknown,
    normalise_hsm_id,
    normalise_zone,
)

ARCHIVE_SUFFIX = "rsp-archive.invalid."
"""Holding names for archived keys end with this (RFC 6761 ``.invalid``)."""

# "zone[example.].dnssec-signing" -> ("zone", "example."); "server.listen" -> ("server", None)
_CONF_SECTION = re.compile(r"^(zone|template|policy|server)(?:\[([^\]]+)\])?\.")

# keymgr's JSON / text names -> ours
_KNOT_TIMERS = {name.replace("_", "-"): name for name in TIMER_NAMES}

_NOT_RUNNING = ("failed to connect to socket", "connection refused", "not exists)",
                "no such file or directory", "operation not permitted")


def archive_zone(zone: str) -> str:
    """The holding name under which archived keys of ``zone`` are kept."""
    zone = normalise_zone(zone)
    return ARCHIVE_SUFFIX if zone == "." else zone + ARCHIVE_SUFFIX


def parse_keymgr_json(text: str) -> list[EngineKey]:
    """Parse ``keymgr -j <zone> list`` output (Knot 3.2 to 3.4 field names)."""
    data = json.loads(text) if text.strip() else []
    if isinstance(data, dict):  # tolerate {"keys": [...]} should a version wrap it
        data = data.get("keys", [])
    if not isinstance(data, list):
        raise ValueError("keymgr JSON is not a list of keys")
    return [_key_from_fields({str(k): v for k, v in item.items()}) for item in data]


def parse_keymgr_text(text: str) -> list[EngineKey]:
    """Parse ``keymgr -e <zone> list`` (``key=value``) or the brief
    ``<id> <tag> KSK|ZSK|CSK <ALG>[/size] publish=...`` listing."""
    keys = []
    for line in text.splitlines():
        tokens = line.split()
        if not tokens or tokens[0].endswith(":"):
            continue
        fields: dict[str, object] = {"id": tokens[0]}
        rest = tokens[1:]
        if any(token.startswith("tag=") for token in rest):
            for token in rest:
                if "=" in token:
                    name, value = token.split("=", 1)
                    fields[name] = value
        else:  # brief: id tag ROLE ALGORITHM[/size] timer=...
            if len(rest) < 3 or not rest[0].isdigit():
                continue
            fields["tag"] = rest[0]
            role = rest[1].upper()
            fields["ksk"] = role in ("KSK", "CSK")
            fields["zsk"] = role in ("ZSK", "CSK")
            algorithm, size = [*rest[2].split("/", 1), ""][:2]
            fields["algorithm"] = algorithm
            fields["size"] = size or 0
            for token in rest[3:]:
                if "=" in token:
                    name, value = token.split("=", 1)
                    fields[name] = value
        keys.append(_key_from_fields(fields))
    return keys


def _truth(value: object) -> bool:
    if isinstance(value, bool):
        return value
    return str(value).strip().lower() in ("yes", "true", "1", "on")


def _algorithm_number(value: object) -> int:
    text = str(value).strip()
    if text.isdigit():
        return int(text)
    return lookup(text).number


def _key_from_fields(fields: Mapping[str, object]) -> EngineKey:
    key_id = str(fields["id"]).lower()
    ksk, zsk = _truth(fields.get("ksk", False)), _truth(fields.get("zsk", not _truth(fields.get("ksk"))))
    role = "csk" if ksk and zsk else ("ksk" if ksk else "zsk")
    timers = {}
    for knot_name, our_name in _KNOT_TIMERS.items():
        value = fields.get(knot_name, fields.get(our_name))
        if value is not None and str(value).strip().lstrip("-").isdigit():
            timers[our_name] = int(value) or None
    missing = fields.get("missing")
    hsm_id = key_id if re.fullmatch(r"[0-9a-f]+", key_id) and len(key_id) % 2 == 0 else None
    return EngineKey(
        key_id=key_id, hsm_id=hsm_id, tag=int(str(fields.get("tag", 0))),
        algorithm=_algorithm_number(fields.get("algorithm", 0)), role=role,
        size=int(str(fields.get("size") or 0)), timers=KeyTimers(**timers),
        public_only=_truth(fields.get("public-only", False)),
        missing=None if missing is None else _truth(missing),
    )


def parse_ds_lines(text: str) -> list[DSRecord]:
    """Parse ``<zone> DS <tag> <alg> <digest type> <hex>`` lines (keymgr ds)."""
    records = []
    for line in text.splitlines():
        tokens = line.split()
        if "DS" not in tokens:
            continue
        at = tokens.index("DS")
        if len(tokens) < at + 5:
            continue
        records.append(DSRecord(
            zone=normalise_zone(tokens[0]), key_tag=int(tokens[at + 1]), algorithm=int(tokens[at + 2]),
            digest_type=int(tokens[at + 3]), digest="".join(tokens[at + 4:]).lower()))
    return records


class KnotAdapter(EngineAdapter):
    """Drive Knot DNS through ``keymgr`` and ``knotc`` for one signer.

    ``config`` is the knot.conf the daemon runs with (or ``confdb`` its binary
    configuration database); ``env`` is added to the environment of every
    command (e.g. ``SOFTHSM2_CONF``); every command runs with ``timeout``
    seconds. ``json_output`` forces (True) or forbids (False) ``keymgr -j``;
    ``None`` detects it.
    """

    name = "knot"

    def __init__(self, config: str | None = "/etc/knot/knot.conf", *, confdb: str | None = None,
                 keymgr: str = "keymgr", knotc: str = "knotc", timeout: float = 60,
                 env: Mapping[str, str] | None = None, check_mode: bool = False,
                 json_output: bool | None = None, pkcs11_lock=None) -> None:
        super().__init__(check_mode=check_mode)
        self.pkcs11_lock = pkcs11_lock
        """A context manager (e.g. ``hsm.lock.HostLock``) held around every
        ``keymgr`` command: keymgr logs in to the PKCS#11 token, and SoftHSM2
        loses logins made concurrently by several processes."""
        if confdb:
            self._config_args = ["-C", confdb]
        elif config:
            self._config_args = ["-c", config]
        else:
            self._config_args = []
        self.config = config
        self.keymgr = keymgr
        self.knotc = knotc
        self.timeout = timeout
        self.env = dict(os.environ)
        self.env.update(env or {})
        self.json_output = json_output
        self._checked_zones: set[str] = set()
        self._version: str | None = None
        self.commands: list[list[str]] = []
        """Every command run or (in check mode) that would have changed something."""

    # -- command plumbing -------------------------------------------------

    def _run(self, argv: Sequence[str], *, timeout: float | None = None) -> subprocess.CompletedProcess:
        argv = list(argv)
        self.commands.append(argv)
        try:
            return subprocess.run(argv, capture_output=True, text=True, env=self.env,
                                  timeout=timeout or self.timeout, check=False, stdin=subprocess.DEVNULL)
        except FileNotFoundError as exc:
            raise EngineError(f"{argv[0]} is not installed or not in PATH ({exc.strerror}): install "
                              "the Debian package 'knot' on the signer") from None
        except subprocess.TimeoutExpired:
            raise EngineTimeout(
                f"'{' '.join(argv)}' did not finish within {timeout or self.timeout:g} s: Knot may be "
                "busy (large zone being signed) or the HSM may not answer; check `knotc status` and "
                "the HSM, then run again") from None

    def _keymgr(self, zone: str | None, *args: str,
                options: Sequence[str] = ()) -> subprocess.CompletedProcess:
        argv = [self.keymgr, *self._config_args, *options]
        if zone is not None:
            argv.append(normalise_zone(zone))
        argv.extend(args)
        if self.pkcs11_lock is None:
            return self._run(argv)
        with self.pkcs11_lock:
            return self._run(argv)

    def _knotc(self, *args: str, timeout: float | None = None) -> subprocess.CompletedProcess:
        wait = int(timeout or self.timeout)
        return self._run([self.knotc, *self._config_args, "-t", str(max(wait, 1)), *args],
                         timeout=(timeout or self.timeout) + 5)

    @staticmethod
    def _output(result: subprocess.CompletedProcess) -> str:
        return " ".join(f"{result.stdout.strip()} {result.stderr.strip()}".split())

    def _knotc_checked(self, zone: str | None, *args: str, timeout: float | None = None) -> str:
        result = self._knotc(*args, timeout=timeout)
        text = self._output(result)
        if result.returncode == 0:
            return result.stdout
        lowered = text.lower()
        if any(marker in lowered for marker in _NOT_RUNNING) and "socket" in lowered:
            raise EngineNotRunning(
                f"Knot DNS is not running or its control socket is unreachable ({text}). "
                f"Check with `systemctl status knot` and `knotc {' '.join(self._config_args)} status`; "
                "start it with `systemctl start knot`")
        if zone and ("no such zone" in lowered or "invalid identifier" in lowered):
            raise ZoneUnknown(
                f"zone {normalise_zone(zone)} is not configured in Knot DNS ({text}): add it to "
                "knot.conf with dnssec-signing and a manual policy (role rsp.dnssec.signer), "
                "then `knotc reload`")
        raise EngineCommandFailed(f"`knotc {' '.join(args)}` failed: {text or 'no output'} "
                                  f"(exit {result.returncode})")

    def _keymgr_checked(self, zone: str, *args: str, what: str) -> str:
        result = self._keymgr(zone, *args)
        if result.returncode != 0:
            raise EngineCommandFailed(
                f"zone {normalise_zone(zone)}: keymgr could not {what}: "
                f"{self._output(result) or 'no output'} (exit {result.returncode})")
        return result.stdout

    # -- reading ------------------------------------------------------------

    def version(self) -> str:
        if self._version is None:
            result = self._run([self.keymgr, "-V"])
            match = re.search(r"(\d+\.\d+(?:\.\d+)?)", result.stdout + result.stderr)
            if not match:
                raise EngineError("cannot tell the Knot DNS version from `keymgr -V`: "
                                  f"{self._output(result)}")
            self._version = match.group(1)
        return self._version

    def _conf_read(self, zone: str | None, item: str) -> str | None:
        section = _CONF_SECTION.match(item)
        if section is not None:
            # One `knotc conf-read <section>` per section and adapter: hundreds of zones
            # are checked with a handful of commands instead of several per zone.
            known = self._conf_section(zone, section.group(1))
            if known is not None and (section.group(2) is None or section.group(2) in known[1]):
                return known[0].get(item)
        out = self._knotc_checked(zone, "conf-read", item)
        for line in out.splitlines():
            name, sep, value = line.partition(" = ")
            if sep and name.strip() == item:
                return value.strip()
        return None

    def _conf_section(self, zone: str | None, section: str) -> tuple[dict[str, str], set[str]] | None:
        """``(item -> value, identifiers)`` of a whole configuration section, read once."""
        cache = self.__dict__.setdefault("_conf_sections", {})
        if section not in cache:
            try:
                out = self._knotc_checked(zone if section == "zone" else None, "conf-read", section)
            except EngineCommandFailed:
                cache[section] = None
                return None
            values: dict[str, str] = {}
            identifiers: set[str] = set()
            for line in out.splitlines():
                name, sep, value = line.partition(" = ")
                if not sep:
                    continue
                name = name.strip()
                values[name] = value.strip()
                match = _CONF_SECTION.match(name)
                if match and match.group(2) is not None:
                    identifiers.add(match.group(2))
            cache[section] = (values, identifiers)
        return cache[section]

    def zone_policy(self, zone: str) -> str | None:
        """The id of the DNSSEC policy Knot applies to ``zone`` (None: Knot's default)."""
        zone = normalise_zone(zone)
        policy = self._conf_read(zone, f"zone[{zone}].dnssec-policy")
        if policy is None:
            template = self._conf_read(zone, f"zone[{zone}].template") or "default"
            try:
                policy = self._conf_read(None, f"template[{template}].dnssec-policy")
            except EngineCommandFailed:
                policy = None
        return policy

    def check_zone(self, zone: str) -> None:
        zone = normalise_zone(zone)
        if zone in self._checked_zones:
            return
        signing = self._conf_read(zone, f"zone[{zone}].dnssec-signing")
        if signing is None:
            template = self._conf_read(zone, f"zone[{zone}].template") or "default"
            try:
                signing = self._conf_read(None, f"template[{template}].dnssec-signing")
            except EngineCommandFailed:
                signing = None
        if signing != "on":
            raise ZoneUnknown(f"Knot DNS serves zone {zone} but does not sign it (dnssec-signing is "
                              f"{signing or 'off'}): set dnssec-signing: on with a manual policy")
        policy = self.zone_policy(zone)
        if policy is None:
            raise EngineRefused(
                f"zone {zone} uses Knot's default DNSSEC policy, which generates, rolls and deletes "
                "keys by itself: give it a policy with manual: on (rsp.dnssec renders one per policy)")
        manual = self._conf_read(zone, f"policy[{policy}].manual")
        if manual != "on":
            raise EngineRefused(
                f"zone {zone} uses Knot policy '{policy}' without manual: on, so Knot would generate, "
                "roll and delete keys (and their HSM objects) by itself: set manual: on in that policy "
                "and `knotc reload` before rsp.dnssec manages the zone")
        self._checked_zones.add(zone)

    def policy_settings(self, zone: str) -> dict[str, str]:
        """Settings of the Knot policy that signs ``zone``, as ``knotc conf-read``
        prints them (``{"id": "rsp-lab", "dnskey-ttl": "3600", "nsec3": "on", ...}``;
        a setting the configuration leaves at Knot's default is absent)."""
        zone = normalise_zone(zone)
        policy = self.zone_policy(zone)
        if policy is None:
            return {}
        found: dict[str, str] = {"id": policy}
        prefix = f"policy[{policy}]."
        section = self._conf_section(zone, "policy")
        if section is not None:
            lines = section[0].items()
        else:
            lines = [line.partition(" = ")[::2]
                     for line in self._knotc_checked(zone, "conf-read", f"policy[{policy}]").splitlines()]
        for name, value in lines:
            if name.strip().startswith(prefix):
                found[name.strip()[len(prefix):]] = value.strip()
        return found

    def listen_addresses(self) -> list[str]:
        """Where knotd answers queries (``server.listen``), as ``address@port``
        strings; wildcard addresses are given as the loopback address."""
        value = self._conf_read(None, "server.listen") or ""
        found = []
        for token in re.findall(r"[0-9A-Fa-f:.]+(?:@\d+)?", value):
            if not any(c.isdigit() for c in token):
                continue
            address, _sep, port = token.partition("@")
            address = {"0.0.0.0": "127.0.0.1", "::": "::1"}.get(address, address)
            found.append(f"{address}@{port or 53}")
        return found

    def zone_status(self, zone: str) -> dict[str, str]:
        """``knotc zone-status`` as a dict ({"role": "master", "serial": "4", ...})."""
        zone = normalise_zone(zone)
        out = self._knotc_checked(zone, "zone-status", zone)
        status: dict[str, str] = {}
        line = out.strip().splitlines()[0] if out.strip() else ""
        line = re.sub(r"^\[[^\]]*\]\s*", "", line)
        for part in line.split("|"):
            name, sep, value = part.partition(":")
            if sep:
                status[name.strip()] = value.strip()
        return status

    def list_keys(self, zone: str) -> list[EngineKey]:
        zone = normalise_zone(zone)
        self.check_zone(zone)
        return self._list(zone)

    def _list(self, zone: str) -> list[EngineKey]:
        if self.json_output is not False:
            result = self._keymgr(zone, "list", options=["-j"])
            if result.returncode == 0:
                try:
                    keys = parse_keymgr_json(result.stdout)
                    self.json_output = True
                    return keys
                except (ValueError, KeyError, TypeError):
                    if self.json_output:
                        raise EngineCommandFailed(
                            f"zone {zone}: `keymgr -j list` printed something that is not the expected "
                            f"JSON: {result.stdout[:200]!r}") from None
            elif self.json_output or "option" not in self._output(result).lower():
                raise EngineCommandFailed(f"zone {zone}: keymgr could not list keys: "
                                          f"{self._output(result)} (exit {result.returncode})")
            self.json_output = False
        result = self._keymgr(zone, "list", options=["-e"])
        if result.returncode != 0 and "option" in self._output(result).lower():
            result = self._keymgr(zone, "list")
        if result.returncode != 0:
            raise EngineCommandFailed(f"zone {zone}: keymgr could not list keys: "
                                      f"{self._output(result)} (exit {result.returncode})")
        return parse_keymgr_text(result.stdout)

    def _exact(self, zone: str, key_id: str, keys: list[EngineKey] | None = None) -> EngineKey:
        keys = self._list(zone) if keys is None else keys
        wanted = key_id.lower()
        found = [k for k in keys if wanted in (k.key_id, k.hsm_id or "")]
        if not found:
            raise EngineError(f"zone {zone}: Knot has no key with id {key_id} "
                              f"(keys: {', '.join(f'{k.key_id} tag {k.tag}' for k in keys) or 'none'})")
        key = found[0]
        others = [k.key_id for k in keys if k is not key and k.key_id.startswith(key.key_id)]
        if others:
            raise EngineRefused(
                f"zone {zone}: key id {key.key_id} is a prefix of {', '.join(others)}, so keymgr cannot "
                "address it unambiguously; give HSM keys CKA_IDs of one fixed length")
        return key

    def ds_records(self, zone: str, key_id: str, digest_types: Iterable[int] = (2,)) -> list[DSRecord]:
        zone = normalise_zone(zone)
        self.check_zone(zone)
        key = self._exact(zone, key_id)
        out = self._keymgr_checked(zone, "ds", f"id={key.key_id}", what=f"print the DS of key {key.tag}")
        records = [r for r in parse_ds_lines(out) if r.key_tag == key.tag]
        wanted = list(digest_types)
        chosen = [r for r in records if r.digest_type in wanted]
        missing = set(wanted) - {r.digest_type for r in chosen}
        if missing:
            raise EngineUnsupported(
                f"zone {zone}: keymgr printed no DS of digest type {sorted(missing)} for key {key.tag} "
                f"(it printed types {sorted({r.digest_type for r in records})})")
        return sorted(chosen, key=lambda r: wanted.index(r.digest_type))

    def dnskey_record(self, zone: str, key_id: str) -> str:
        zone = normalise_zone(zone)
        self.check_zone(zone)
        key = self._exact(zone, key_id)
        out = self._keymgr_checked(zone, "dnskey", f"id={key.key_id}", what=f"print key {key.tag}")
        for line in out.splitlines():
            if " DNSKEY " in f" {line} ":
                return " ".join(line.split())
        raise EngineCommandFailed(f"zone {zone}: keymgr printed no DNSKEY for key {key.tag}: {out!r}")

    def archived_keys(self, zone: str) -> list[EngineKey]:
        """Keys archived from ``zone`` (kept under :func:`archive_zone`)."""
        return self._list(archive_zone(zone))

    # -- writing ------------------------------------------------------------

    @staticmethod
    def _timer_args(timers: Mapping[str, int | None]) -> list[str]:
        return [f"{name}={int(value) if value else 0}" for name, value in timers.items()]

    def import_key(self, zone: str, hsm_id: str, algorithm: int, role: str, size: int,
                   timers: KeyTimers) -> tuple[EngineKey | None, bool]:
        zone = normalise_zone(zone)
        hsm_id = normalise_hsm_id(hsm_id)
        try:
            number = signing_algorithm(algorithm).number
        except AlgorithmError as exc:
            raise EngineRefused(f"zone {zone}: {exc}") from None
        if role not in ROLES:
            raise EngineRefused(f"zone {zone}: key role {role!r} is not one of {', '.join(ROLES)}")
        if timers.remove is not None:
            raise EngineRefused(f"zone {zone}: a key is not imported with a remove time (key {hsm_id})")
        self.check_zone(zone)
        keys = self._list(zone)
        for key in keys:
            if key.key_id == hsm_id:
                if key.algorithm != number or key.role != role:
                    raise EngineRefused(
                        f"zone {zone}: Knot already has HSM key {hsm_id} (tag {key.tag}) as "
                        f"{key.role.upper()} algorithm {key.algorithm}, not {role.upper()} algorithm "
                        f"{number}; re-importing would silently replace its timers: resolve by hand "
                        f"(`keymgr {zone} list`)")
                return key, False
            if key.key_id.startswith(hsm_id) or hsm_id.startswith(key.key_id):
                raise EngineRefused(
                    f"zone {zone}: HSM key id {hsm_id} and Knot key {key.key_id} are prefixes of each "
                    "other, so keymgr cannot address them unambiguously; use CKA_IDs of one length")
        args = ["import-pkcs11", hsm_id, f"algorithm={number}",
                f"ksk={'yes' if role in ('ksk', 'csk') else 'no'}", f"size={int(size)}"]
        if role == "csk":
            args.append("zsk=yes")
        args += self._timer_args({n: v for n, v in timers.to_dict().items() if n != "remove"})
        if self.check_mode:
            self.commands.append([self.keymgr, zone, *args])
            return None, True
        result = self._keymgr(zone, *args)
        if result.returncode != 0:
            text = self._output(result)
            if "not exists" in text or "not found" in text.lower():
                raise EngineCommandFailed(
                    f"zone {zone}: Knot found no key with CKA_ID {hsm_id} in its PKCS#11 keystore ({text}): "
                    "check that the key exists on the token named in knot.conf's keystore "
                    "(rsp.dnssec.hsm_key) and that knotd/keymgr see the same token (SOFTHSM2_CONF)")
            raise EngineCommandFailed(f"zone {zone}: keymgr could not import HSM key {hsm_id}: {text} "
                                      f"(exit {result.returncode})")
        return self._exact(zone, hsm_id), True

    def set_timers(self, zone: str, key_id: str, changes: Mapping[str, int | None], *,
                   archived: bool = False) -> bool:
        zone = normalise_zone(zone)
        self.check_zone(zone)
        key = self._exact(zone, key_id)
        if changes.get("remove") and not archived:
            raise EngineRefused(
                f"zone {zone}: refusing to set a remove time on key {key.tag} (id {key.key_id}) that the "
                "collection has not archived: archive it in the zone state first")
        wanted = key.timers.replace(changes)
        if wanted == key.timers:
            return False
        delta = {name: getattr(wanted, name) for name in TIMER_NAMES
                 if getattr(wanted, name) != getattr(key.timers, name)}
        args = ["set", f"id={key.key_id}", *self._timer_args(delta)]
        if self.check_mode:
            self.commands.append([self.keymgr, zone, *args])
            return True
        self._keymgr_checked(zone, *args, what=f"set timers {', '.join(delta)} of key {key.tag}")
        now_key = self._exact(zone, key.key_id)
        if now_key.timers != wanted:
            raise EngineCommandFailed(
                f"zone {zone}: after `keymgr set` key {key.tag} has timers {now_key.timers.to_dict()}, "
                f"not {wanted.to_dict()}")
        return True

    def apply(self, zone: str) -> None:
        zone = normalise_zone(zone)
        self.check_zone(zone)
        if self.check_mode:
            return
        status = self.zone_status(zone)
        loaded = status.get("serial", "none") not in ("none", "-", "")
        action = "zone-keys-load" if loaded else "zone-reload"
        self._knotc_checked(zone, "-b", action, zone)
        status = self.zone_status(zone)
        if status.get("serial", "none") in ("none", "-", ""):
            raise EngineCommandFailed(
                f"Knot could not load or sign zone {zone} after `knotc {action}`: most often no key is "
                f"active for signing; see Knot's log (`journalctl -u knot`) and `keymgr {zone} list`")

    def archive_key(self, zone: str, key_id: str, now: int) -> bool:
        zone = normalise_zone(zone)
        self.check_zone(zone)
        holding = archive_zone(zone)
        held = {k.key_id for k in self._list(holding)}
        keys = self._list(zone)
        present = [k for k in keys if key_id.lower() in (k.key_id, k.hsm_id or "")]
        if not present:
            if key_id.lower() in held:
                return False
            raise EngineError(f"zone {zone}: Knot has no key {key_id} to archive")
        key = self._exact(zone, key_id, keys)
        state = key.state(now)
        if state != "removed":
            raise EngineRefused(
                f"zone {zone}: key {key.tag} (id {key.key_id}) is still {state}; only a key whose remove "
                "time has passed (no longer in the DNS) can be archived")
        if self.check_mode:
            return True
        if key.key_id not in held:
            self._keymgr(holding, "share", key.key_id, zone)
            if key.key_id not in {k.key_id for k in self._list(holding)}:
                raise EngineCommandFailed(
                    f"zone {zone}: could not keep key {key.tag} under {holding} (keymgr share failed); "
                    "the key was left in the zone, nothing was deleted")
        self._keymgr_checked(zone, "delete", f"id={key.key_id}", what=f"take archived key {key.tag} out")
        return True

    def forget_archived(self, zone: str, hsm_id: str, *, hsm_object_destroyed: bool = False) -> bool:
        """Drop an archived key's record once the collection destroyed its HSM object."""
        if not hsm_object_destroyed:
            raise EngineRefused("forgetting an archived key is the last step after its HSM object was "
                                "destroyed (rsp.dnssec.hsm_key state=absent); refused before that")
        hsm_id = normalise_hsm_id(hsm_id)
        holding = archive_zone(zone)
        if hsm_id not in {k.key_id for k in self._list(holding)}:
            return False
        if self.check_mode:
            return True
        self._keymgr(holding, "delete", f"id={hsm_id}")  # the keystore part fails: the object is gone
        if hsm_id in {k.key_id for k in self._list(holding)}:
            raise EngineCommandFailed(f"zone {zone}: keymgr could not drop archived key {hsm_id}")
        return True

    def confirm_ds_submitted(self, zone: str) -> bool:
        """``knotc zone-ksk-submitted``: Knot ignores it under ``manual: on``
        ("no key ready for submission"); the adapter reports False then."""
        zone = normalise_zone(zone)
        self.check_zone(zone)
        if self.check_mode:
            return False
        result = self._knotc("zone-ksk-submitted", zone)
        if result.returncode == 0:
            return True
        if "no key ready" in self._output(result).lower():
            return False
        return bool(self._knotc_checked(zone, "zone-ksk-submitted", zone))


# -- configuration rendering -------------------------------------------------

_KNOT_ALGORITHM_NAMES = {8: "rsasha256", 10: "rsasha512", 13: "ecdsap256sha256",
                         14: "ecdsap384sha384", 15: "ed25519", 16: "ed448"}


def render_keystore(keystore_id: str, token_label: str, pin: str,
                    module: str = "/usr/lib/softhsm/libsofthsm2.so") -> str:
    """One ``keystore:`` list item for a PKCS#11 token (the PIN ends up in
    knot.conf: write that file root:knot 0640)."""
    for what, value in (("keystore id", keystore_id), ("token label", token_label), ("module", module)):
        if not value or any(c in value for c in '"\n;'):
            raise ValueError(f"{what} {value!r} is empty or contains a quote, ';' or a newline")
    if any(c in pin for c in '"\n; '):
        raise ValueError("the PIN contains a quote, ';', a space or a newline, which knot.conf cannot carry")
    return (f"  - id: {keystore_id}\n"
            f"    backend: pkcs11\n"
            f"    config: \"pkcs11:token={token_label};pin-value={pin} {module}\"\n")


def render_policy(policy_id: str, *, keystore: str = "hsm", algorithm: int = 13, dnskey_ttl: int = 3600,
                  zone_max_ttl: int = 86400, rrsig_lifetime: int = 14 * 86400,
                  rrsig_refresh: int = 7 * 86400, rrsig_pre_refresh: int = 3600,
                  propagation_delay: int = 3600, nsec3: bool = True, nsec3_iterations: int = 0,
                  nsec3_salt_length: int = 0, nsec3_opt_out: bool = False,
                  allow_legacy_nsec3: bool = False, cds_cdnskey_publish: str = "none",
                  signing_threads: int | None = None,
                  extra: Mapping[str, object] | None = None) -> str:
    """One ``policy:`` list item with ``manual: on`` for a collection policy.

    NSEC3 defaults follow RFC 9276 section 3.1 (no extra iterations, empty
    salt, no opt-out); anything else needs ``allow_legacy_nsec3=True``. Only
    options that Knot 3.2 and 3.4 both accept are rendered; ``extra`` adds
    further ``name: value`` lines verbatim (e.g. ``{"delete-delay": "0"}``
    on 3.4).
    """
    if not re.fullmatch(r"[A-Za-z0-9_.-]+", policy_id) or not re.fullmatch(r"[A-Za-z0-9_.-]+", keystore):
        raise ValueError(f"policy id {policy_id!r} / keystore id {keystore!r}: use letters, digits, . _ -")
    number = signing_algorithm(algorithm).number
    if nsec3 and (nsec3_iterations or nsec3_salt_length or nsec3_opt_out) and not allow_legacy_nsec3:
        raise ValueError(
            "RFC 9276 section 3.1: NSEC3 must use 0 extra iterations, an empty salt and no opt-out "
            f"(got iterations {nsec3_iterations}, salt length {nsec3_salt_length}, opt-out "
            f"{nsec3_opt_out}); ICANN RST dnssec-93 fails otherwise")
    if rrsig_refresh >= rrsig_lifetime:
        raise ValueError(f"rrsig_refresh ({rrsig_refresh}s) must be shorter than rrsig_lifetime "
                         f"({rrsig_lifetime}s)")
    if rrsig_refresh < zone_max_ttl + propagation_delay:
        raise ValueError(f"rrsig_refresh ({rrsig_refresh}s) must be at least zone_max_ttl + "
                         f"propagation_delay ({zone_max_ttl + propagation_delay}s), or signatures could "
                         "expire in resolver caches (Knot refuses to load the zone otherwise)")
    if cds_cdnskey_publish not in ("none", "delete-dnssec", "rollover", "always", "double-ds"):
        raise ValueError(f"cds_cdnskey_publish {cds_cdnskey_publish!r} is not a Knot value")
    lines = [
        f"  - id: {policy_id}",
        "    manual: on",
        f"    keystore: {keystore}",
        f"    algorithm: {_KNOT_ALGORITHM_NAMES[number]}",
        f"    dnskey-ttl: {int(dnskey_ttl)}",
        f"    zone-max-ttl: {int(zone_max_ttl)}",
        f"    rrsig-lifetime: {int(rrsig_lifetime)}",
        f"    rrsig-refresh: {int(rrsig_refresh)}",
        f"    rrsig-pre-refresh: {int(rrsig_pre_refresh)}",
        f"    propagation-delay: {int(propagation_delay)}",
        f"    nsec3: {'on' if nsec3 else 'off'}",
    ]
    if nsec3:
        lines += [f"    nsec3-iterations: {int(nsec3_iterations)}",
                  f"    nsec3-salt-length: {int(nsec3_salt_length)}",
                  f"    nsec3-opt-out: {'on' if nsec3_opt_out else 'off'}"]
    lines.append(f"    cds-cdnskey-publish: {cds_cdnskey_publish}")
    if signing_threads:
        lines.append(f"    signing-threads: {int(signing_threads)}")
    for name, value in (extra or {}).items():
        if not re.fullmatch(r"[a-z0-9-]+", name) or "\n" in str(value):
            raise ValueError(f"extra policy option {name!r}: not a Knot option name / value")
        lines.append(f"    {name}: {value}")
    return "\n".join(lines) + "\n"
