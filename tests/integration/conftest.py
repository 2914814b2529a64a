# Copyright: rsp.dnssec contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt)
"""Fixtures shared by every integration test area (details in ``helpers.py``).

``softhsm``
    A fresh SoftHSM2 token in a per-test directory with its own ``SOFTHSM2_CONF``
    and PKCS#11 lock file. Attributes: ``label``, ``pin``, ``so_pin``,
    ``serial``, ``module`` (library path), ``conf``, ``tokens_dir``, ``lock``,
    and ``env`` (the dict to pass to every subprocess: python, ansible-playbook,
    knotd, keymgr, softhsm2-util). ``softhsm.key_pairs()`` lists the key pairs on
    the token; ``softhsm.run(...)`` runs a command with ``env``.

``softhsm_factory``
    ``softhsm_factory(name, initialize=True, label=..., pin=...)``: more SoftHSM2
    installations in the same test (e.g. an empty one for token creation).

``ansible_playbook``
    ``ansible_playbook(tasks, check=False, diff=False, extra_vars=None, env=None,
    python=None)`` runs ``.venv/bin/ansible-playbook`` on localhost with this
    checkout as ``rsp.dnssec`` and returns a ``PlaybookRun``: ``returncode``,
    ``results`` (one ``TaskResult`` per task: ``status``, ``changed``, ``msg``,
    ``result``), ``task(name)``, ``assert_ok()``. ``ansible_playbook.spawn(...)``
    starts one without waiting (``.wait()``), for parallel runs. When the test
    also uses ``softhsm``, its ``env`` is passed automatically.

``compat_python`` (session)
    A Python with Debian 13's library versions (python-pkcs11 0.7.0,
    dnspython 2.7.0), built once into ``.cache/compat-python``; use it as
    ``python=`` to run modules the way a Debian 13 host does.
"""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))

from helpers import (
    COLLECTIONS,
    AnsiblePlaybook,
    SoftHSM,
    make_softhsm,
    missing_tools,
)
from helpers import (
    compat_python as build_compat_python,
)


@pytest.fixture(scope="session", autouse=True)
def _collection_installed() -> None:
    if not (COLLECTIONS / "ansible_collections" / "rsp" / "dnssec").exists():
        pytest.fail(f"{COLLECTIONS}/ansible_collections/rsp/dnssec is missing: run `make setup` first")


@pytest.fixture
def softhsm(tmp_path) -> SoftHSM:
    missing = missing_tools("softhsm2-util")
    if missing:
        pytest.fail("these tests need " + ", ".join(missing) + " (tools/setup.sh installs it)")
    return make_softhsm(tmp_path / "softhsm")


@pytest.fixture
def softhsm_factory(tmp_path):
    def create(name: str = "softhsm-extra", *, initialize: bool = True, **kwargs) -> SoftHSM:
        return make_softhsm(tmp_path / name, initialize=initialize, **kwargs)

    return create


@pytest.fixture
def ansible_playbook(request, tmp_path) -> AnsiblePlaybook:
    env = {}
    if "softhsm" in request.fixturenames:
        env.update(request.getfixturevalue("softhsm").env)
    return AnsiblePlaybook(tmp_path / "ansible", env=env)


@pytest.fixture(scope="session")
def compat_python() -> Path:
    python, why = build_compat_python()
    if python is None:
        pytest.skip("cannot build the Debian 13 library stand-in (python-pkcs11 0.7.0, dnspython 2.7.0) "
                    f"in .cache/compat-python: {why}")
    return python
