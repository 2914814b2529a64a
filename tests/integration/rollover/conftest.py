# Copyright: rsp.dnssec contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt)
"""Fixtures of the rollover tests (the lab itself is in ``rollover_lab.py``).

``token`` and ``knot_factory`` are the engine tests' fixtures
(tests/integration/engine/conftest.py), loaded with this area's port range;
``lab_factory(zones)`` starts a signer, a secondary and a parent for the zones.
"""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))

from rollover_lab import engine_fixtures, make_lab

token = engine_fixtures.token
knot_factory = engine_fixtures.knot_factory


@pytest.fixture
def lab_factory(token, knot_factory, ansible_playbook, tmp_path):
    """``lab_factory(zones)`` starts the signer, secondary and parent for these zones."""

    def create(zones: list[str]):
        return make_lab(zones, token=token, knot_factory=knot_factory, playbook=ansible_playbook,
                        tmp_path=tmp_path)

    return create
