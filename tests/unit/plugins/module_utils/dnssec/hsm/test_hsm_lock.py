# Copyright: rsp.dnssec contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt)
"""hsm/lock.py: the per-host PKCS#11 lock, checked against flock(1) in other processes."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import time

import pytest

from ansible_collections.rsp.dnssec.plugins.module_utils.dnssec.hsm import lock as hostlock
from ansible_collections.rsp.dnssec.plugins.module_utils.dnssec.hsm.base import LockTimeout

pytestmark = pytest.mark.skipif(shutil.which("flock") is None, reason="flock(1) (util-linux) is needed")


def other_process_can_lock(path) -> bool:
    return subprocess.run(["flock", "-n", str(path), "true"], check=False).returncode == 0


def test_default_path_and_environment(monkeypatch, tmp_path):
    monkeypatch.delenv(hostlock.LOCK_ENV, raising=False)
    assert hostlock.default_path().endswith("/rsp-dnssec-pkcs11.lock")
    monkeypatch.setenv(hostlock.LOCK_ENV, str(tmp_path / "x.lock"))
    assert hostlock.default_path() == str(tmp_path / "x.lock")
    assert hostlock.HostLock().path == str(tmp_path / "x.lock")


def test_exclusive_against_other_processes_and_reentrant(tmp_path):
    path = tmp_path / "pkcs11.lock"
    outer = hostlock.HostLock(str(path))
    with outer:
        assert outer.held and not other_process_can_lock(path)
        with hostlock.HostLock(str(path)) as inner:  # nested use in one process does not deadlock
            assert inner.held
        assert outer.held and not other_process_can_lock(path)
    assert not outer.held and other_process_can_lock(path)


def test_timeout_names_the_holder(tmp_path):
    path = tmp_path / "pkcs11.lock"
    holder = subprocess.Popen(["flock", str(path), "sleep", "30"], start_new_session=True)
    try:
        deadline = time.monotonic() + 10
        while other_process_can_lock(path) and time.monotonic() < deadline:
            time.sleep(0.05)
        with pytest.raises(LockTimeout) as error:
            hostlock.HostLock(str(path), timeout=0.3).acquire()
        message = str(error.value)
        assert f"{path} stayed busy for 0.3 s" in message
        assert "held by pid" in message and "sleep 30" in message
    finally:
        os.killpg(holder.pid, signal.SIGKILL)  # flock and its sleep (which inherited the lock)
        holder.wait()
    with hostlock.HostLock(str(path), timeout=5) as taken:
        assert taken.held


def test_unwritable_directory_says_what_to_do(tmp_path):
    with pytest.raises(hostlock.LockError, match="set RSP_DNSSEC_PKCS11_LOCK"):
        hostlock.HostLock(str(tmp_path / "missing" / "dir" / "x.lock")).acquire()
