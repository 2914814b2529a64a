#!/usr/bin/env bash
# Build (once) the Debian 13 (trixie) systemd image that every lab and Molecule
# container runs. Nothing is pulled from a registry: the root file system is made
# with debootstrap from Debian's mirror and imported into podman.
#
# The image tag carries a hash of this recipe, so the image is rebuilt only when
# the recipe (this file) changes. Prints the image name on stdout.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
: "${CONTAINERS_CONF:=$here/podman/containers.conf}"
export CONTAINERS_CONF

MIRROR=${RSP_DEBIAN_MIRROR:-http://deb.debian.org/debian}
SUITE=trixie
# Everything the roles install is in the image, so converging needs no mirror
# from inside a container; the roles still declare their packages (apt: present).
PACKAGES=(
  python3 python3-apt systemd systemd-sysv dbus iproute2 procps sudo less
  ca-certificates openssh-server nftables chrony auditd unattended-upgrades
  knot knot-dnsutils bind9 bind9-dnsutils bind9-utils nsd unbound ldnsutils
  softhsm2 opensc p11-kit python3-pkcs11 python3-dnspython
)
# Services the packages enable on install; roles enable what a node needs.
DISABLED_UNITS=(knot named nsd unbound chrony auditd ssh unattended-upgrades
  apt-daily.timer apt-daily-upgrade.timer e2scrub_reap)

recipe_hash=$(cat "$0" | sha256sum | cut -c1-12)
IMAGE="localhost/rsp-dnssec-trixie:$recipe_hash"

if podman image exists "$IMAGE"; then
  echo "$IMAGE"
  exit 0
fi

work=$(mktemp -d /var/tmp/rsp-dnssec-rootfs.XXXXXX)
trap 'rm -rf "$work"' EXIT
echo "building $IMAGE with debootstrap ($SUITE from $MIRROR) ..." >&2
include=$(IFS=,; echo "${PACKAGES[*]}")
debootstrap --variant=minbase --include="$include" "$SUITE" "$work/root" "$MIRROR" >&2
chroot "$work/root" systemctl disable "${DISABLED_UNITS[@]}" >/dev/null 2>&1 || true
chroot "$work/root" systemctl mask systemd-networkd-wait-online.service getty@tty1.service \
  >/dev/null 2>&1 || true
# Keep apt from starting daemons at install time inside containers.
printf '#!/bin/sh\nexit 101\n' > "$work/root/usr/sbin/policy-rc.d"
chmod 0755 "$work/root/usr/sbin/policy-rc.d"
rm -rf "$work/root/var/cache/apt/archives/"*.deb "$work/root/var/lib/apt/lists/"*
echo "rsp-dnssec-lab" > "$work/root/etc/hostname"
tar -C "$work/root" -c . | podman import \
  --change 'CMD ["/sbin/init"]' --change 'STOPSIGNAL SIGRTMIN+3' \
  - "$IMAGE" >&2
# Older images of this recipe are garbage now.
podman images --format '{{.Repository}}:{{.Tag}}' \
  | grep '^localhost/rsp-dnssec-trixie:' | grep -v ":$recipe_hash\$" \
  | xargs -r podman rmi >&2 || true
echo "$IMAGE"
