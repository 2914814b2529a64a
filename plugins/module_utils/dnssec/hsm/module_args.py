# Copyright: rsp.dnssec contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt)
"""Argument specs shared by the HSM modules (documented in ``plugins/doc_fragments/hsm.py``)."""

from __future__ import annotations

import os
import stat

from ansible_collections.rsp.dnssec.plugins.module_utils.dnssec.hsm.base import HSMError
from ansible_collections.rsp.dnssec.plugins.module_utils.dnssec.hsm.lock import DEFAULT_TIMEOUT
from ansible_collections.rsp.dnssec.plugins.module_utils.dnssec.hsm.softhsm import DEFAULT_MODULE


def hsm_argument_spec() -> dict:
    """module, pin, pin_file, hsm_profile, lock_timeout (the ``rsp.dnssec.hsm`` fragment)."""
    return {
        "module": {"type": "path", "default": DEFAULT_MODULE},
        "pin": {"type": "str", "no_log": True},
        "pin_file": {"type": "path"},
        "hsm_profile": {"type": "str", "default": "auto", "choices": ["auto", "generic", "softhsm2"]},
        "lock_timeout": {"type": "float", "default": DEFAULT_TIMEOUT},
    }


def token_argument_spec() -> dict:
    """token_label, token_serial (the ``rsp.dnssec.hsm.token`` fragment)."""
    return {
        "token_label": {"type": "str", "required": True, "no_log": False},
        "token_serial": {"type": "str", "no_log": False},
    }


def read_pin(pin: str | None, pin_file: str | None) -> str | None:
    """The PIN from the task, or the first line of a file that others cannot read."""
    if pin is not None or not pin_file:
        return pin
    try:
        info = os.stat(pin_file)
        with open(pin_file, encoding="utf-8") as handle:
            value = handle.readline().rstrip("\r\n")
    except OSError as exc:
        raise HSMError(f"cannot read the PIN file {pin_file}: {exc.strerror}") from None
    if info.st_mode & (stat.S_IRWXO | stat.S_IWGRP):
        raise HSMError(f"the PIN file {pin_file} is open to others or writable by its group (mode "
                       f"{stat.S_IMODE(info.st_mode):04o}): make it 0400, 0440 (group: the signing "
                       "engine) or 0600")
    if not value:
        raise HSMError(f"the PIN file {pin_file} is empty")
    return value
