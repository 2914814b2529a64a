# Copyright: rsp.dnssec contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt)
"""The per-host PKCS#11 lock.

SoftHSM2 rewrites its token file on every login: two processes logging in at
once make one of them fail or lose the token (296 of 300 parallel logins failed
without a lock, 0 of 600 with one). So every PKCS#11 session this collection
opens on a host is held inside one exclusive ``flock(2)`` on one file.

The file is ``/run/lock/rsp-dnssec-pkcs11.lock`` (``/var/lock/...`` if /run/lock
does not exist); the environment variable ``RSP_DNSSEC_PKCS11_LOCK`` names
another file (tests give every token its own). Other programs that log in to
the same token can take the same lock with ``flock(1)``::

    flock /run/lock/rsp-dnssec-pkcs11.lock keymgr example. import-pkcs11 ...

The lock is re-entrant within one process (nested use does not deadlock).
"""

from __future__ import annotations

import errno
import fcntl
import os
import tempfile
import time

from ansible_collections.rsp.dnssec.plugins.module_utils.dnssec.hsm.base import HSMError, LockTimeout

LOCK_ENV = "RSP_DNSSEC_PKCS11_LOCK"
LOCK_NAME = "rsp-dnssec-pkcs11.lock"
LOCK_DIRS = ("/run/lock", "/var/lock")
DEFAULT_TIMEOUT = 300.0

_held: dict[str, list] = {}  # path -> [fd, depth] for this process


class LockError(HSMError):
    """The lock file cannot be opened or locked."""


def default_path() -> str:
    """The lock file: ``$RSP_DNSSEC_PKCS11_LOCK``, else /run/lock (or /var/lock, or the temp dir)."""
    configured = os.environ.get(LOCK_ENV)
    if configured:
        return configured
    for directory in LOCK_DIRS:
        if os.path.isdir(directory) and os.access(directory, os.W_OK):
            return os.path.join(directory, LOCK_NAME)
    return os.path.join(tempfile.gettempdir(), LOCK_NAME)


def _holders(path: str) -> str:
    """Best effort: which processes hold a lock on ``path`` (from /proc/locks)."""
    try:
        stat = os.stat(path)
        wanted = f"{os.major(stat.st_dev):02x}:{os.minor(stat.st_dev):02x}:{stat.st_ino}"
        pids = []
        with open("/proc/locks", encoding="ascii", errors="replace") as locks:
            for line in locks:
                fields = line.split()
                if "->" in fields:
                    continue  # a waiter, not the holder
                if len(fields) >= 6 and fields[5] == wanted:
                    pids.append(fields[4])
        described = []
        for pid in pids:
            try:
                with open(f"/proc/{pid}/cmdline", "rb") as handle:
                    command = handle.read().replace(b"\0", b" ").decode(errors="replace").strip()
            except OSError:
                command = "?"
            described.append(f"pid {pid} ({command[:120]})")
        return ", ".join(described)
    except OSError:
        return ""


class HostLock:
    """Exclusive, re-entrant, per-host lock around PKCS#11 sessions (``with HostLock(): ...``)."""

    def __init__(self, path: str | None = None, timeout: float = DEFAULT_TIMEOUT,
                 poll: float = 0.05) -> None:
        self.path = path or default_path()
        self.timeout = float(timeout)
        self.poll = poll
        self.waited = 0.0

    def acquire(self) -> None:
        entry = _held.get(self.path)
        if entry is not None:
            entry[1] += 1
            return
        directory = os.path.dirname(self.path) or "."
        try:
            fd = os.open(self.path, os.O_RDWR | os.O_CREAT | getattr(os, "O_CLOEXEC", 0), 0o644)
        except PermissionError:
            try:
                fd = os.open(self.path, os.O_RDONLY | getattr(os, "O_CLOEXEC", 0))
            except OSError as exc:
                raise LockError(f"cannot open the PKCS#11 lock file {self.path}: {exc.strerror}; "
                                f"make it readable for this user or set {LOCK_ENV}") from None
        except OSError as exc:
            raise LockError(f"cannot create the PKCS#11 lock file {self.path} in {directory}: "
                            f"{exc.strerror}; set {LOCK_ENV} to a writable path") from None
        start = time.monotonic()
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except OSError as exc:
                if exc.errno not in (errno.EAGAIN, errno.EACCES, errno.EWOULDBLOCK):
                    os.close(fd)
                    raise LockError(f"cannot lock {self.path}: {exc.strerror}") from None
            if time.monotonic() - start >= self.timeout:
                holders = _holders(self.path)
                os.close(fd)
                raise LockTimeout(
                    f"the PKCS#11 lock {self.path} stayed busy for {self.timeout:g} s"
                    + (f" (held by {holders})" if holders else "")
                    + ": another HSM operation on this host is still running or hangs; wait for it "
                    "or stop it, then retry (raise the timeout with lock_timeout)")
            time.sleep(self.poll)
        self.waited = time.monotonic() - start
        _held[self.path] = [fd, 1]

    def release(self) -> None:
        entry = _held.get(self.path)
        if entry is None:
            return
        entry[1] -= 1
        if entry[1] > 0:
            return
        del _held[self.path]
        try:
            fcntl.flock(entry[0], fcntl.LOCK_UN)
        finally:
            os.close(entry[0])

    @property
    def held(self) -> bool:
        return self.path in _held

    def __enter__(self) -> HostLock:
        self.acquire()
        return self

    def __exit__(self, *exc_info) -> None:
        self.release()
