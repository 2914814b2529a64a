#!/usr/bin/env bash
# Every Terraform check of rsp.dnssec, offline (no provider can be downloaded):
#
#   1. terraform fmt -check -recursive         terraform/ and tests/terraform/
#   2. terraform init -backend=false + test    terraform/modules/inventory
#   3. pytest tests/terraform                  python-hcl2 policy checks, the site
#                                              module's plan (terraform test on its
#                                              provider-free half), the example
#                                              inventory = what the modules render
#   4. checkov                                 terraform/ (own venv, see below)
#   5. the example inventory, consumed         ansible-inventory --graph and
#                                              ansible-playbook --syntax-check playbooks/site.yml
#
# Every step runs; the exit status is non-zero if any failed. Runs from any
# directory; uses .venv of the repository. `make test` calls it (tools/test.sh).
#
# checkov lives in its own venv, .cache/venv-checkov (created here when missing):
# it installs bc-python-hcl2, whose `hcl2` package overwrites python-hcl2's,
# which the pytest checks need.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
cd "$ROOT"

VENV="$ROOT/.venv"
CHECKOV_VENV="$ROOT/.cache/venv-checkov"
CHECKOV_VERSION=3.3.30

export TF_IN_AUTOMATION=1 TF_INPUT=0 CHECKPOINT_DISABLE=1
export ANSIBLE_CONFIG="${ANSIBLE_CONFIG:-$ROOT/ansible.cfg}"
export ANSIBLE_COLLECTIONS_PATH="${ANSIBLE_COLLECTIONS_PATH:-$ROOT/.cache/collections}"
export ANSIBLE_NOCOLOR=1

WORK=$(mktemp -d "${TMPDIR:-/tmp}/rsp-terraform.XXXXXX")
trap 'rm -rf "$WORK"' EXIT

passed=0
failed=()

# step NAME FUNCTION: run one check, keep going on failure.
step() {
  local name=$1
  shift
  echo
  echo "==> $name"
  if "$@"; then
    passed=$((passed + 1))
    echo "--> ok: $name"
  else
    failed+=("$name")
    echo "--> FAILED: $name"
  fi
}

need() {
  if [ ! -x "$1" ] && ! command -v "$1" >/dev/null 2>&1; then
    echo "missing: $1 ($2)" >&2
    return 1
  fi
}

fmt_check() {
  need terraform "Terraform 1.11, part of the machine image" || return 1
  terraform fmt -check -recursive -diff terraform tests/terraform
}

inventory_module_test() {
  local data="$WORK/inventory-module"
  TF_DATA_DIR="$data" terraform -chdir=terraform/modules/inventory init -backend=false -no-color \
    >"$WORK/inventory-init.log" 2>&1 || { cat "$WORK/inventory-init.log"; return 1; }
  TF_DATA_DIR="$data" terraform -chdir=terraform/modules/inventory test -no-color
}

hcl_pytest() {
  need "$VENV/bin/python" "run make setup" || return 1
  if ! "$VENV/bin/python" -c 'import hcl2; hcl2.SerializationOptions' 2>/dev/null; then
    echo "the hcl2 package in .venv is not python-hcl2 >= 8 (checkov's bc-python-hcl2 overwrote it):" >&2
    echo "  keep checkov out of .venv (this script runs it from $CHECKOV_VENV), then" >&2
    echo "  .venv/bin/pip install --force-reinstall --no-deps python-hcl2==8.1.4" >&2
    return 1
  fi
  "$VENV/bin/python" -m pytest -p no:cacheprovider -q tests/terraform
}

checkov_scan() {
  if [ "$("$CHECKOV_VENV/bin/checkov" --version 2>/dev/null)" != "$CHECKOV_VERSION" ]; then
    echo "creating $CHECKOV_VENV with checkov $CHECKOV_VERSION"
    rm -rf "$CHECKOV_VENV"
    python3 -m venv "$CHECKOV_VENV" || return 1
    "$CHECKOV_VENV/bin/pip" install -q --disable-pip-version-check "checkov==$CHECKOV_VERSION" \
      >"$WORK/checkov-install.log" 2>&1 || { tail -n 30 "$WORK/checkov-install.log"; return 1; }
  fi
  # No failed check is accepted; a finding that does not apply is skipped
  # inline with its reason (#checkov:skip=CKV_...:reason), never here.
  "$CHECKOV_VENV/bin/checkov" --directory terraform --framework terraform \
    --skip-download --download-external-modules false --compact --quiet
}

ansible_consumes_inventory() {
  need "$VENV/bin/ansible-inventory" "run make setup" || return 1
  "$VENV/bin/ansible-inventory" -i inventories/example-production --graph || return 1
  # playbooks/site.yml is part of the product: if it is missing, this fails.
  "$VENV/bin/ansible-playbook" -i inventories/example-production --syntax-check playbooks/site.yml
}

step "terraform fmt" fmt_check
step "terraform test (modules/inventory)" inventory_module_test
step "pytest tests/terraform" hcl_pytest
step "checkov terraform/" checkov_scan
step "example inventory: ansible-inventory + syntax-check site.yml" ansible_consumes_inventory

echo
if [ ${#failed[@]} -gt 0 ]; then
  echo "failed: ${failed[*]}"
fi
echo "terraform checks: $passed passed, ${#failed[@]} failed"
[ ${#failed[@]} -eq 0 ]
