# Copyright: rsp.dnssec contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt)
"""Helpers for the Terraform tests: paths, running terraform offline, parsing HCL.

Nothing here talks to a network: terraform runs with providers-free
configurations only (``init -backend=false``), with its data directory and
plan files in a temporary directory, so the source tree is left untouched.
"""

from __future__ import annotations

import copy
import functools
import json
import os
import shutil
import subprocess
from collections.abc import Iterable, Iterator, Mapping
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
HERE = Path(__file__).resolve().parent
TERRAFORM_DIR = ROOT / "terraform"
SITE_MODULE = TERRAFORM_DIR / "modules" / "site"
INVENTORY_MODULE = TERRAFORM_DIR / "modules" / "inventory"
PRODUCTION = TERRAFORM_DIR / "environments" / "production"
SITE_ROOTS = {"a": PRODUCTION / "site-a", "b": PRODUCTION / "site-b"}
INVENTORY_ROOT = PRODUCTION / "inventory"
EXAMPLE_INVENTORY_DIR = ROOT / "inventories" / "example-production"
EXAMPLE_HOSTS = EXAMPLE_INVENTORY_DIR / "hosts.yml"
SITE_PLAN_DIR = HERE / "site_plan"

# The provider-free part of the site module: its inputs and its plan.
SITE_PLAN_FILES = ("variables.tf", "plan.tf")


class TerraformError(RuntimeError):
    """terraform exited non-zero; the message carries its output."""


def terraform_binary() -> str:
    """Path of the terraform CLI, or a clear error when it is missing."""
    found = shutil.which("terraform")
    if not found:
        raise TerraformError("terraform is not on PATH: install Terraform 1.11 (see docs/terraform.md)")
    return found


def run_terraform(args: list[str], *, chdir: Path, data_dir: Path, timeout: int = 300) -> str:
    """Run ``terraform -chdir=CHDIR ARGS`` offline and return its stdout.

    ``data_dir`` replaces the ``.terraform`` directory (TF_DATA_DIR), so that
    nothing is written into the source tree.
    """
    env = dict(os.environ)
    env.update(
        {
            "TF_DATA_DIR": str(data_dir),
            "TF_IN_AUTOMATION": "1",
            "TF_INPUT": "0",
            "CHECKPOINT_DISABLE": "1",
        }
    )
    proc = subprocess.run(
        [terraform_binary(), f"-chdir={chdir}", *args],
        capture_output=True,
        text=True,
        env=env,
        timeout=timeout,
        check=False,
    )
    if proc.returncode != 0:
        raise TerraformError(
            f"terraform {' '.join(args)} in {chdir} failed (exit {proc.returncode}):\n"
            f"{proc.stdout}\n{proc.stderr}"
        )
    return proc.stdout


def planned_outputs(
    config_dir: Path,
    work_dir: Path,
    *,
    var_files: Iterable[Path] = (),
    variables: Mapping[str, str] | None = None,
) -> dict[str, Any]:
    """Plan a provider-free configuration and return its output values.

    Uses ``plan -out`` + ``show -json``: no state is written anywhere.
    """
    work_dir.mkdir(parents=True, exist_ok=True)
    data_dir = work_dir / "tfdata"
    plan_file = work_dir / "out.tfplan"
    run_terraform(["init", "-backend=false", "-no-color"], chdir=config_dir, data_dir=data_dir)
    args = ["plan", "-lock=false", "-no-color", f"-out={plan_file}"]
    args += [f"-var-file={path}" for path in var_files]
    args += [f"-var={name}={value}" for name, value in (variables or {}).items()]
    run_terraform(args, chdir=config_dir, data_dir=data_dir)
    shown = json.loads(run_terraform(["show", "-json", str(plan_file)], chdir=config_dir, data_dir=data_dir))
    outputs = shown.get("planned_values", {}).get("outputs", {})
    return {name: output["value"] for name, output in outputs.items()}


def assemble_site_plan(dest: Path, *, with_tests: bool) -> Path:
    """Copy the provider-free part of the site module into ``dest``.

    ``dest`` gets terraform/modules/site/{variables,plan}.tf, the test-only
    outputs of tests/terraform/site_plan/expose.tf and, with ``with_tests``,
    the terraform test files plus a copy of the inventory module (``./inventory``)
    for the test that feeds the site's output to it.
    """
    dest.mkdir(parents=True, exist_ok=True)
    for name in SITE_PLAN_FILES:
        shutil.copy2(SITE_MODULE / name, dest / name)
    shutil.copy2(SITE_PLAN_DIR / "expose.tf", dest / "expose.tf")
    if with_tests:
        shutil.copytree(SITE_PLAN_DIR / "tests", dest / "tests")
        shutil.copytree(
            INVENTORY_MODULE, dest / "inventory", ignore=shutil.ignore_patterns("tests", ".terraform*")
        )
    return dest


# --- HCL ---------------------------------------------------------------------


def load_hcl(path: Path) -> dict[str, Any]:
    """Parse one .tf file with python-hcl2 (8.x API); a fresh copy each call.

    Strings come back without quotes, expressions as ``"${...}"``, blocks as
    lists of dicts.
    """
    return copy.deepcopy(_parse_file(path.resolve(), path.stat().st_mtime_ns))


@functools.lru_cache(maxsize=256)
def _parse_file(path: Path, _mtime_ns: int) -> dict[str, Any]:
    import hcl2

    if not hasattr(hcl2, "SerializationOptions"):
        raise RuntimeError(
            "the 'hcl2' package in this Python is not python-hcl2 >= 8 (bc-python-hcl2, which "
            "checkov installs, overwrites it): run checkov from its own venv and reinstall "
            "python-hcl2: .venv/bin/pip install --force-reinstall --no-deps python-hcl2"
        )
    options = hcl2.SerializationOptions(with_comments=False, explicit_blocks=False, strip_string_quotes=True)
    with path.open(encoding="utf-8") as handle:
        return hcl2.load(handle, serialization_options=options)


def loads_hcl(text: str) -> dict[str, Any]:
    """Parse HCL text (see load_hcl)."""
    import hcl2

    options = hcl2.SerializationOptions(with_comments=False, explicit_blocks=False, strip_string_quotes=True)
    return hcl2.loads(text, serialization_options=options)


def tf_files(directory: Path) -> list[Path]:
    """The .tf files of one module directory (not recursive)."""
    return sorted(directory.glob("*.tf"))


def module_dirs() -> list[Path]:
    """Every directory under terraform/ that holds .tf files (modules and roots)."""
    dirs = {path.parent for path in TERRAFORM_DIR.rglob("*.tf") if ".terraform" not in path.parts}
    return sorted(dirs)


def load_module(directory: Path) -> dict[str, list[Any]]:
    """All top-level blocks of a module directory, merged by block type."""
    merged: dict[str, list[Any]] = {}
    for path in tf_files(directory):
        for block_type, blocks in load_hcl(path).items():
            merged.setdefault(block_type, []).extend(blocks)
    return merged


def labelled(blocks: Iterable[Mapping[str, Any]]) -> Iterator[tuple[str, Any]]:
    """(label, body) of one-label blocks: variable, output, module, provider."""
    for block in blocks:
        yield from block.items()


def resources(
    module: Mapping[str, list[Any]], block_type: str = "resource"
) -> Iterator[tuple[str, str, dict[str, Any]]]:
    """(type, name, body) of every resource (or data) block."""
    for block in module.get(block_type, []):
        for rtype, named in block.items():
            for name, body in named.items():
                yield rtype, name, body


def locals_of(module: Mapping[str, list[Any]]) -> dict[str, Any]:
    """All locals of a module, merged."""
    merged: dict[str, Any] = {}
    for block in module.get("locals", []):
        merged.update(block)
    return merged


def strings_in(value: Any) -> Iterator[str]:
    """Every string anywhere inside a parsed HCL value."""
    if isinstance(value, str):
        yield value
    elif isinstance(value, Mapping):
        for key, item in value.items():
            yield str(key)
            yield from strings_in(item)
    elif isinstance(value, list):
        for item in value:
            yield from strings_in(item)
