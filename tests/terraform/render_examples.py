# Copyright: rsp.dnssec contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt)
"""Render the example production inventory from the Terraform code.

1. For site a and site b: the site module's plan (variables.tf + plan.tf, no
   provider) with terraform/environments/production/site-X/example.tfvars
   gives the site's `inventory_site` output, written to
   terraform/environments/production/inventory/examples/site-X.json
   (what `terraform output -json inventory_site` prints after a real apply).
2. The inventory root with its example.tfvars reads those files and renders
   inventories/example-production/hosts.yml.

    .venv/bin/python tests/terraform/render_examples.py           # write the files
    .venv/bin/python tests/terraform/render_examples.py --check   # exit 1 if any differs

tests/terraform/test_example_inventory.py runs the same functions and fails
when a committed file differs from what the code renders.
"""

from __future__ import annotations

import argparse
import difflib
import json
import sys
import tempfile
from pathlib import Path

from tfharness import (
    EXAMPLE_HOSTS,
    INVENTORY_ROOT,
    ROOT,
    SITE_ROOTS,
    assemble_site_plan,
    planned_outputs,
)

EXAMPLE_SITE_FILES = {site: INVENTORY_ROOT / "examples" / f"site-{site}.json" for site in SITE_ROOTS}


def render_site(site: str, work_dir: Path) -> str:
    """The `inventory_site` output of production site ``site`` for its example.tfvars, as JSON text."""
    config = assemble_site_plan(work_dir / "config", with_tests=False)
    outputs = planned_outputs(
        config,
        work_dir,
        var_files=[SITE_ROOTS[site] / "example.tfvars"],
        variables={"site_name": site},
    )
    return json.dumps(outputs["inventory_site"], indent=2, sort_keys=True) + "\n"


def render_inventory(work_dir: Path) -> str:
    """inventory_yaml of the inventory root for its example.tfvars (reads the example site files)."""
    outputs = planned_outputs(INVENTORY_ROOT, work_dir, var_files=[INVENTORY_ROOT / "example.tfvars"])
    return outputs["inventory_yaml"]


def _compare(path: Path, rendered: str) -> list[str]:
    current = path.read_text(encoding="utf-8") if path.exists() else ""
    if current == rendered:
        return []
    return list(
        difflib.unified_diff(
            current.splitlines(keepends=True),
            rendered.splitlines(keepends=True),
            fromfile=f"{path.relative_to(ROOT)} (committed)",
            tofile=f"{path.relative_to(ROOT)} (rendered)",
        )
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--check", action="store_true", help="only compare, write nothing; exit 1 on a difference"
    )
    args = parser.parse_args(argv)
    diffs: list[str] = []
    with tempfile.TemporaryDirectory(prefix="rsp-tf-render-") as tmp:
        for site, path in EXAMPLE_SITE_FILES.items():
            rendered = render_site(site, Path(tmp) / f"site-{site}")
            diffs += _compare(path, rendered)
            if not args.check:
                path.parent.mkdir(parents=True, exist_ok=True)
                path.write_text(rendered, encoding="utf-8")
        # With --check the inventory is rendered from the committed site files.
        rendered = render_inventory(Path(tmp) / "inventory")
        diffs += _compare(EXAMPLE_HOSTS, rendered)
        if not args.check:
            EXAMPLE_HOSTS.parent.mkdir(parents=True, exist_ok=True)
            EXAMPLE_HOSTS.write_text(rendered, encoding="utf-8")
    if args.check and diffs:
        sys.stdout.writelines(diffs)
        print(
            "\nThe example inventory is out of date: run tests/terraform/render_examples.py", file=sys.stderr
        )
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
