# Copyright: rsp.dnssec contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt)
"""The example production inventory is what the Terraform code renders, and
Ansible reads it as intended.

The chain is real, only the cloud is missing: the site module's plan turns each
production site's example.tfvars into its `inventory_site` output (the example
JSON files), the inventory root renders them to
inventories/example-production/hosts.yml, and ansible-inventory reads it.
"""

from __future__ import annotations

import difflib
import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from render_examples import EXAMPLE_SITE_FILES, render_inventory, render_site
from tfharness import EXAMPLE_HOSTS, EXAMPLE_INVENTORY_DIR, INVENTORY_MODULE, ROOT, planned_outputs

REGENERATE = "run: .venv/bin/python tests/terraform/render_examples.py"


def _diff(committed: str, rendered: str, name: str) -> str:
    return "".join(
        difflib.unified_diff(
            committed.splitlines(keepends=True),
            rendered.splitlines(keepends=True),
            fromfile=f"{name} (committed)",
            tofile=f"{name} (rendered)",
        )
    )


def ansible_inventory(inventory: Path, *args: str) -> str:
    """Run the venv's ansible-inventory on ``inventory`` and return stdout."""
    binary = Path(sys.executable).parent / "ansible-inventory"
    env = dict(os.environ, ANSIBLE_CONFIG=str(ROOT / "ansible.cfg"), ANSIBLE_NOCOLOR="1")
    proc = subprocess.run(
        [str(binary), "-i", str(inventory), *args],
        capture_output=True,
        text=True,
        cwd=ROOT,
        env=env,
        timeout=120,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr
    assert "[WARNING]" not in proc.stderr, proc.stderr
    return proc.stdout


@pytest.mark.parametrize("site", sorted(EXAMPLE_SITE_FILES))
def test_site_example_is_the_site_modules_output(site: str, tmp_path: Path) -> None:
    committed = EXAMPLE_SITE_FILES[site].read_text(encoding="utf-8")
    rendered = render_site(site, tmp_path)
    assert committed == rendered, (
        REGENERATE + "\n" + _diff(committed, rendered, EXAMPLE_SITE_FILES[site].name)
    )


def test_hosts_yml_is_what_the_inventory_module_renders(tmp_path: Path) -> None:
    committed = EXAMPLE_HOSTS.read_text(encoding="utf-8")
    rendered = render_inventory(tmp_path)
    assert committed == rendered, REGENERATE + "\n" + _diff(committed, rendered, "hosts.yml")


@pytest.fixture(scope="module")
def example_inventory() -> dict[str, Any]:
    return json.loads(ansible_inventory(EXAMPLE_INVENTORY_DIR, "--list"))


def test_ansible_sees_the_groups(example_inventory: dict[str, Any]) -> None:
    inv = example_inventory
    assert sorted(inv["signers"]["children"]) == ["signer_primary", "signer_standby"]
    assert sorted(inv["secondaries"]["children"]) == ["secondaries_bind", "secondaries_nsd"]
    assert inv["signer_primary"]["hosts"] == ["signer-a1"]
    assert inv["signer_standby"]["hosts"] == ["signer-b1"]
    assert sorted(inv["secondaries_bind"]["hosts"]) == ["bind-a1", "bind-b1"]
    assert sorted(inv["secondaries_nsd"]["hosts"]) == ["nsd-a1", "nsd-b1"]
    assert sorted(inv["site_a"]["hosts"]) == ["bind-a1", "nsd-a1", "signer-a1"]
    assert sorted(inv["site_b"]["hosts"]) == ["bind-b1", "nsd-b1", "signer-b1"]


def test_ansible_sees_the_host_variables(example_inventory: dict[str, Any]) -> None:
    hostvars = example_inventory["_meta"]["hostvars"]
    assert hostvars["signer-a1"]["ansible_host"] == "192.0.2.11"
    assert hostvars["signer-a1"]["rsp_site"] == "a"
    assert hostvars["signer-a1"]["rsp_addr_signing"] == "192.0.2.75"
    assert "rsp_addr_public" not in hostvars["signer-a1"], "a hidden primary has no public address"
    assert hostvars["nsd-b1"]["rsp_site"] == "b"
    assert hostvars["nsd-b1"]["rsp_addr_public"] == "203.0.113.95"
    assert hostvars["nsd-b1"]["rsp_addr_public_v6"] == "2001:db8:b:3::31"
    # group_vars/all.yml applies to the rendered hosts.
    assert {vars_["ansible_user"] for vars_ in hostvars.values()} == {"debian"}


def test_a_site_without_nsd_gives_an_empty_group(tmp_path: Path) -> None:
    """A BIND-only deployment still declares secondaries_nsd, with no host in it."""
    sites = {site: json.loads(path.read_text(encoding="utf-8")) for site, path in EXAMPLE_SITE_FILES.items()}
    for site in sites.values():
        site["hosts"] = {
            name: host for name, host in site["hosts"].items() if host["role"] != "secondary_nsd"
        }
    var_file = tmp_path / "bind-only.tfvars.json"
    var_file.write_text(json.dumps({"sites": sites, "primary_signer": "signer-b1"}), encoding="utf-8")
    outputs = planned_outputs(INVENTORY_MODULE, tmp_path / "work", var_files=[var_file])
    inventory_dir = tmp_path / "inventory"
    inventory_dir.mkdir()
    (inventory_dir / "hosts.yml").write_text(outputs["yaml"], encoding="utf-8")
    listed = json.loads(ansible_inventory(inventory_dir, "--list"))
    assert "secondaries_nsd" in listed["secondaries"]["children"]
    assert listed.get("secondaries_nsd", {}).get("hosts", []) == []
    assert listed["signer_primary"]["hosts"] == ["signer-b1"]
    assert listed["signer_standby"]["hosts"] == ["signer-a1"]
    graph = ansible_inventory(inventory_dir, "--graph", "secondaries_nsd")
    assert graph.strip() == "@secondaries_nsd:"
