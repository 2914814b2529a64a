# Copyright: rsp.dnssec contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt)
"""The SoftHSM2 provider: the generic PKCS#11 provider plus token life cycle.

SoftHSM2 tokens are files under ``directories.tokendir`` of the file named by
``SOFTHSM2_CONF`` (default ``/etc/softhsm/softhsm2.conf``). python-pkcs11 has
no C_InitToken, so tokens are initialised and deleted with ``softhsm2-util``;
the PINs are typed into its terminal prompts (a pseudo-terminal with echo
off), never passed as arguments (they would show in ``ps``).
"""

from __future__ import annotations

import os
import pty
import select
import shutil
import subprocess
import termios
import time

from ansible_collections.rsp.dnssec.plugins.module_utils.dnssec.hsm.base import HSMError, TokenInfo
from ansible_collections.rsp.dnssec.plugins.module_utils.dnssec.hsm.lock import DEFAULT_TIMEOUT, HostLock
from ansible_collections.rsp.dnssec.plugins.module_utils.dnssec.hsm.pkcs11_generic import Pkcs11Provider
from ansible_collections.rsp.dnssec.plugins.module_utils.dnssec.hsm.profiles import SOFTHSM2, Profile

DEFAULT_MODULE = "/usr/lib/softhsm/libsofthsm2.so"
DEFAULT_CONF = "/etc/softhsm/softhsm2.conf"
UTIL = "softhsm2-util"
PIN_LENGTH = (4, 255)  # softhsm2-util refuses shorter / longer PINs


def conf_path() -> str:
    return os.environ.get("SOFTHSM2_CONF") or DEFAULT_CONF


def token_directory() -> str:
    """``directories.tokendir`` from the SoftHSM2 configuration ('' if unreadable)."""
    try:
        with open(conf_path(), encoding="utf-8") as handle:
            for line in handle:
                key, _sep, value = line.partition("=")
                if key.strip() == "directories.tokendir":
                    return value.split("#", 1)[0].strip()
    except OSError:
        return ""
    return ""


def check_pin(what: str, pin: str) -> None:
    if not PIN_LENGTH[0] <= len(pin) <= PIN_LENGTH[1]:
        raise HSMError(f"SoftHSM2 needs a {what} of {PIN_LENGTH[0]} to {PIN_LENGTH[1]} characters "
                       f"(got {len(pin)})")


def run_with_terminal(argv: list[str], answers: list[str], prompt: bytes = b"PIN: ",
                      timeout: float = 120) -> tuple[int, str]:
    """Run ``argv`` on a pseudo-terminal (echo off) and type one answer per ``prompt``.

    Returns (exit status, output). The answers are never echoed, so the output
    can be shown in error messages.
    """
    master, slave = pty.openpty()
    attributes = termios.tcgetattr(slave)
    attributes[3] &= ~termios.ECHO
    termios.tcsetattr(slave, termios.TCSANOW, attributes)
    try:
        process = subprocess.Popen(argv, stdin=slave, stdout=slave, stderr=slave, close_fds=True,
                                   start_new_session=True)
    except OSError as exc:
        os.close(master)
        os.close(slave)
        raise HSMError(f"cannot run {argv[0]}: {exc.strerror}") from None
    os.close(slave)
    output, given = b"", 0
    deadline = time.monotonic() + timeout
    try:
        while True:
            ready = select.select([master], [], [], 0.1)[0]
            if ready:
                try:
                    chunk = os.read(master, 4096)
                except OSError:  # EIO: the terminal closed with the process
                    chunk = b""
                if not chunk:
                    break
                output += chunk
                while given < len(answers) and output.count(prompt) > given:
                    os.write(master, answers[given].encode() + b"\n")
                    given += 1
            elif process.poll() is not None:
                break
            if time.monotonic() > deadline:
                process.kill()
                raise HSMError(f"{argv[0]} did not finish within {timeout:g} s")
    finally:
        os.close(master)
    status = process.wait(30)
    return status, output.decode("utf-8", "replace").replace("\r", "")


class SoftHSM2Provider(Pkcs11Provider):
    """SoftHSM2: tokens can be initialised and deleted; a full token directory is 'token full'."""

    name = "softhsm2"

    def __init__(self, module_path: str = DEFAULT_MODULE, profile: Profile = SOFTHSM2,
                 lock: HostLock | None = None, lock_timeout: float = DEFAULT_TIMEOUT) -> None:
        super().__init__(module_path, profile, lock, lock_timeout)

    @property
    def can_initialize(self) -> bool:
        return self.profile.can_initialize

    def _util(self) -> str:
        util = shutil.which(UTIL) or (f"/usr/bin/{UTIL}" if os.path.exists(f"/usr/bin/{UTIL}") else "")
        if not util:
            raise HSMError(f"{UTIL} is missing: install the softhsm2 package")
        return util

    def init_token(self, label: str, pin: str, so_pin: str) -> TokenInfo:
        """Initialise a free slot as token ``label`` with the given user PIN and SO PIN."""
        self._require_open()
        check_pin("user PIN", pin)
        check_pin("SO PIN", so_pin)
        if len(label.encode()) > 32:
            raise HSMError(f"a token label has at most 32 bytes (PKCS#11 CK_TOKEN_INFO): {label!r}")
        before = {t.serial for t in self.tokens()}
        status, output = run_with_terminal(
            [self._util(), "--module", self.module_path, "--init-token", "--free", "--label", label],
            [so_pin, so_pin, pin, pin])
        if status != 0:
            raise HSMError(f"{UTIL} could not initialise token '{label}' (exit {status}): "
                           f"{output.strip()[-500:]} (SOFTHSM2_CONF={conf_path()})")
        self.lib.reinitialize()
        created = [t for t in self.tokens() if t.label == label and t.serial not in before]
        if len(created) != 1:
            raise HSMError(f"{UTIL} reported success but token '{label}' is not visible in "
                           f"{self.module_path} (SOFTHSM2_CONF={conf_path()})")
        return created[0]

    def delete_token(self, token: TokenInfo) -> None:
        """Delete the token (its directory) by serial: irreversible."""
        self._require_open()
        for handle in self._sessions:
            handle.close()
        self._sessions.clear()
        status, output = run_with_terminal(
            [self._util(), "--module", self.module_path, "--delete-token", "--serial", token.serial], [])
        if status != 0:
            raise HSMError(f"{UTIL} could not delete token {token.describe()} (exit {status}): "
                           f"{output.strip()[-500:]}")
        self.lib.reinitialize()

    def storage_full(self, token: TokenInfo | None) -> str:
        directory = token_directory()
        if not directory or not os.path.isdir(directory):
            return ""
        stat = os.statvfs(directory)
        free = stat.f_bavail * stat.f_frsize
        if free < self.profile.full_below_bytes or stat.f_favail == 0:
            return f"the SoftHSM2 token directory {directory} has {free} bytes free"
        return ""
