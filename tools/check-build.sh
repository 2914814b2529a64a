#!/usr/bin/env bash
# The built collection tarball holds the collection only: no tests, Molecule,
# lab state, caches, venv or tooling.
set -euo pipefail
source "$(dirname "$0")/env.sh"
cd "$RSP_ROOT"
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
ansible-galaxy collection build --force --output-path "$out" . >/dev/null
tarball=$(ls "$out"/rsp-dnssec-*.tar.gz)
listing=$(tar -tzf "$tarball")
bad=$(grep -E '^(\./)?(tests|molecule|benchmarks|tools|\.cache|\.venv|\.ci|artifacts|lab)(/|$)|__pycache__|\.pyc$|\.tfstate|/\.terraform/' <<<"$listing" || true)
if [ -n "$bad" ]; then
  echo "the collection tarball contains files that must not ship:"
  echo "$bad" | head -20
  exit 1
fi
for must in MANIFEST.json meta/runtime.yml plugins/module_utils/dnssec/algorithms.py README.md; do
  grep -qx "$must" <<<"$listing" || { echo "missing from tarball: $must"; exit 1; }
done
echo "$(basename "$tarball"): $(wc -l <<<"$listing") entries, no tests/molecule/caches/lab state"
