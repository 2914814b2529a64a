# Copyright: rsp.dnssec contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt)
"""`terraform test` of the site module's plan, offline.

The site module needs the OpenStack provider, which cannot be installed here,
so its provider-free half (variables.tf with every validation, plan.tf with
hosts, addresses, ports, security-group assignment and rule sets) is copied
with test-only outputs (site_plan/expose.tf) and the inventory module, and
site_plan/tests/site_plan.tftest.hcl runs against that copy. The resources
themselves are checked statically (test_hcl_static.py, checkov).
"""

from __future__ import annotations

import re
from pathlib import Path

from tfharness import SITE_PLAN_DIR, assemble_site_plan, run_terraform


def test_site_plan_terraform_test(tmp_path: Path) -> None:
    config = assemble_site_plan(tmp_path / "config", with_tests=True)
    data_dir = tmp_path / "tfdata"
    run_terraform(["init", "-backend=false", "-no-color"], chdir=config, data_dir=data_dir)
    output = run_terraform(["test", "-no-color"], chdir=config, data_dir=data_dir)
    runs = re.findall(r'^run "', (SITE_PLAN_DIR / "tests" / "site_plan.tftest.hcl").read_text(), re.MULTILINE)
    summary = re.search(r"Success! (\d+) passed, 0 failed\.", output)
    assert summary, output
    assert int(summary.group(1)) == len(runs) > 30, output
