#!/usr/bin/env bash
# `make setup`: idempotent bootstrap of a fresh Debian 12 or 13 machine (root).
# Quick when already done. Writes nothing to /etc: podman reads the project's
# tools/podman/containers.conf through CONTAINERS_CONF.
set -euo pipefail
source "$(dirname "$0")/env.sh"
cd "$RSP_ROOT"

say() { printf '[setup] %s\n' "$*"; }

# 1. Debian packages -------------------------------------------------------
APT_PACKAGES=(
  git make python3 python3-venv ca-certificates
  podman runc conmon netavark aardvark-dns containernetworking-plugins iptables
  slirp4netns uidmap fuse-overlayfs debootstrap
  softhsm2 opensc p11-kit
  knot knot-dnsutils bind9-dnsutils bind9-utils ldnsutils
)
missing=()
for p in "${APT_PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if ((${#missing[@]})); then
  [ "$(id -u)" = 0 ] || { echo "make setup must run as root to install: ${missing[*]}" >&2; exit 1; }
  say "installing Debian packages: ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  # Daemons (knotd) are used by the tests as unprivileged test processes only;
  # policy-rc.d is left alone, so on a systemd host Debian may start them: stop them.
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  if [ -d /run/systemd/system ]; then
    systemctl disable --now knot.service >/dev/null 2>&1 || true
  fi
fi
command -v terraform >/dev/null || {
  echo "terraform (1.11) is not installed: it is part of this machine image; install it from" \
       "HashiCorp's release archive, then re-run make setup" >&2; exit 1; }

# 2. The controller venv (pinned) --------------------------------------------
req_hash=$(sha256sum requirements.txt | cut -c1-16)
if [ "$(cat .venv/.requirements.sha256 2>/dev/null)" != "$req_hash" ]; then
  say "creating .venv from requirements.txt"
  python3 -m venv .venv
  # (pip warns about every package for the machine's local find-links folders: noise)
  .venv/bin/pip install -q --disable-pip-version-check -r requirements.txt 2>&1 \
    | { grep -v "^WARNING: Location 'file://" || true; }
  [ "${PIPESTATUS[0]}" -eq 0 ] || { echo "pip install -r requirements.txt failed" >&2; exit 1; }
  echo "$req_hash" > .venv/.requirements.sha256
fi

# 3. Collections available offline -------------------------------------------
# containers.podman (the podman connection plugin), ansible.posix and
# community.general come from the `ansible` wheel on PyPI (Galaxy is unreachable):
# only those collections are unpacked.
ANSIBLE_WHEEL_VERSION=12.3.0
COLL="$ANSIBLE_COLLECTIONS_PATH/ansible_collections"
mkdir -p "$COLL/rsp"
ln -sfn ../../../.. "$COLL/rsp/dnssec"
stamp="$COLL/.from-ansible-$ANSIBLE_WHEEL_VERSION"
if [ ! -e "$stamp" ]; then
  say "unpacking containers.podman, ansible.posix, community.general from ansible $ANSIBLE_WHEEL_VERSION"
  mkdir -p .cache/wheels
  wheel=.cache/wheels/ansible-$ANSIBLE_WHEEL_VERSION-py3-none-any.whl
  [ -e "$wheel" ] || .venv/bin/pip download -q --no-deps -d .cache/wheels "ansible==$ANSIBLE_WHEEL_VERSION" 2>&1 \
    | { grep -v "^WARNING: Location 'file://" || true; }
  [ -e "$wheel" ] || { echo "could not download the ansible $ANSIBLE_WHEEL_VERSION wheel from PyPI" >&2; exit 1; }
  .venv/bin/python - "$wheel" "$ANSIBLE_COLLECTIONS_PATH" <<'PY'
import sys
import zipfile

wheel, dest = sys.argv[1], sys.argv[2]
wanted = ("ansible_collections/containers/podman/", "ansible_collections/ansible/posix/",
          "ansible_collections/community/general/")
with zipfile.ZipFile(wheel) as z:
    z.extractall(dest, [n for n in z.namelist() if n.startswith(wanted)])
PY
  touch "$stamp"
fi

# 4. ansible-test's pip bootstrap, offline -------------------------------------
pip_ver=$(.venv/bin/python -c 'import ansible_test._internal.python_requirements as r, inspect, re; \
print(re.search(r"pip=.([0-9.]+).", inspect.getsource(r.get_venv_packages)).group(1))')
gp="$HOME/.ansible/test/cache/get_pip_${pip_ver//./_}.py"
if ! cmp -s tools/get-pip-standin.py "$gp"; then
  mkdir -p "$(dirname "$gp")"
  cp tools/get-pip-standin.py "$gp"
fi

# 5. The Debian 13 systemd image (rebuilt only when its recipe changes) --------
image=$(tools/build-image.sh)
say "ready: .venv, collections, image $image"
