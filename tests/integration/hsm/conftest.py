# Copyright: rsp.dnssec contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt)
"""Fixtures of the HSM / DS export tests.

``module_python`` runs a test twice: with the project venv (current PyPI
python-pkcs11 and dnspython) and with Debian 13's versions (python-pkcs11
0.7.0, dnspython 2.7.0; see ``compat_python``), the interpreter the modules
use on a signer.
"""

from __future__ import annotations

import pytest
from helpers import VENV_PYTHON, missing_tools


@pytest.fixture(params=["pypi", "debian13"])
def module_python(request):
    if request.param == "pypi":
        return VENV_PYTHON
    return request.getfixturevalue("compat_python")


@pytest.fixture(autouse=True)
def _tools() -> None:
    missing = missing_tools("softhsm2-util", "pkcs11-tool", "dnssec-dsfromkey", "ldns-key2ds", "keymgr")
    if missing:
        pytest.fail("these tests need " + ", ".join(missing) + " (tools/setup.sh installs them)")
