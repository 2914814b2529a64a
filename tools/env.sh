# Shared environment for every project script (sourced, not executed).
# shellcheck shell=bash
RSP_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
export RSP_ROOT
export CONTAINERS_CONF="$RSP_ROOT/tools/podman/containers.conf"
export ANSIBLE_COLLECTIONS_PATH="$RSP_ROOT/.cache/collections"
export ANSIBLE_CONFIG="$RSP_ROOT/ansible.cfg"
export ANSIBLE_HOME="$RSP_ROOT/.cache/ansible-home"
export MOLECULE_GLOB="molecule/*/molecule.yml"
export PATH="$RSP_ROOT/.venv/bin:$PATH"
# Podman resources made by this project carry this label (cleanup never touches others).
export RSP_LABEL="rsp.dnssec.project=1"
