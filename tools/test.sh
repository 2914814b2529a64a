#!/usr/bin/env bash
# `make test`: everything CI runs. Each check runs even if an earlier one failed;
# the exit status is non-zero if any failed, and the last line is the summary
# "N passed, N failed". Containers and networks created during the run carry
# the label rsp.dnssec.run=<this run> and are removed on exit, pass or fail;
# nothing else is touched.
#
#   tools/test.sh            all groups
#   tools/test.sh GROUP...   only: lint sanity units integration terraform molecule build
set -uo pipefail
source "$(dirname "$0")/env.sh"
cd "$RSP_ROOT"

RSP_RUN_ID="test-$(date +%Y%m%d%H%M%S)-$$"
export RSP_RUN_ID
LOGDIR="$RSP_ROOT/artifacts/test-logs/$RSP_RUN_ID"
mkdir -p "$LOGDIR"

cleanup() {
  local ids nets
  ids=$(podman ps -aq --filter "label=rsp.dnssec.run=$RSP_RUN_ID" 2>/dev/null)
  [ -n "$ids" ] && podman rm -f -t 2 $ids >/dev/null 2>&1
  nets=$(podman network ls -q --filter "label=rsp.dnssec.run=$RSP_RUN_ID" 2>/dev/null)
  [ -n "$nets" ] && podman network rm -f $nets >/dev/null 2>&1
  return 0
}
trap cleanup EXIT
trap 'echo "interrupted"; exit 130' INT TERM

passed=0
failed=0
failures=()
started=$(date +%s)

# check NAME TIMEOUT_SECONDS COMMAND...: run one check, log to $LOGDIR/NAME.log
check() {
  local name=$1 limit=$2 t0 rc
  shift 2
  t0=$(date +%s)
  printf '%-40s ' "$name"
  timeout --kill-after=30 "$limit" "$@" >"$LOGDIR/$name.log" 2>&1
  rc=$?
  if [ $rc -eq 0 ]; then
    passed=$((passed + 1))
    printf 'ok      %4ss\n' "$(($(date +%s) - t0))"
  else
    failed=$((failed + 1))
    failures+=("$name")
    [ $rc -eq 124 ] && echo "timed out after ${limit}s" >>"$LOGDIR/$name.log"
    printf 'FAILED  %4ss  (rc=%s, log: %s)\n' "$(($(date +%s) - t0))" "$rc" "${LOGDIR#"$RSP_ROOT"/}/$name.log"
    tail -n 25 "$LOGDIR/$name.log" | sed 's/^/    | /'
  fi
}

want() { [ $# -eq 0 ] && return 0; local g; for g in "${GROUPS_WANTED[@]}"; do [ "$g" = "$1" ] && return 0; done; return 1; }
GROUPS_WANTED=("$@")
only() { if [ ${#GROUPS_WANTED[@]} -eq 0 ]; then return 0; fi; want "$1"; }

if only lint; then
  check ruff 300 ruff check .
  check yamllint 300 yamllint -s .
  check ansible-lint 900 ansible-lint --offline --profile production
fi

if only sanity || only units; then
  # ansible-test needs a real ansible_collections/rsp/dnssec directory (a copy).
  copy="$RSP_ROOT/.cache/ansible-test/ansible_collections/rsp/dnssec"
  rm -rf "$copy" && mkdir -p "$copy"
  git ls-files -co --exclude-standard -z | xargs -0 cp --parents -t "$copy" 2>/dev/null
  (cd "$copy" && git init -q && git add -A >/dev/null 2>&1)
  if only sanity; then
    check ansible-test-sanity 1800 bash -c "cd '$copy' && ansible-test sanity --python 3.11 --venv --color no"
  fi
  if only units; then
    check ansible-test-units 1200 bash -c "cd '$copy' && ansible-test units --python 3.11 --venv --color no"
  fi
fi

if only integration && find tests/integration -name 'test_*.py' 2>/dev/null | grep -q .; then
  check pytest-integration 2400 pytest -p no:cacheprovider -q tests/integration
fi

if only terraform && [ -x tests/terraform/run.sh ]; then
  check terraform 1200 tests/terraform/run.sh
fi

if only build; then
  check galaxy-build 300 tools/check-build.sh
fi

if only molecule; then
  for f in molecule/*/molecule.yml; do
    scenario=$(basename "$(dirname "$f")")
    check "molecule-$scenario" 1800 molecule test -s "$scenario"
  done
fi

total=$(($(date +%s) - started))
echo
echo "logs: ${LOGDIR#"$RSP_ROOT"/}  (${total}s)"
[ $failed -gt 0 ] && echo "failed: ${failures[*]}"
echo "$passed passed, $failed failed"
[ $failed -eq 0 ]
