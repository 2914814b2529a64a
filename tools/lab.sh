#!/usr/bin/env bash
# `make lab` / `make lab-down`: the whole signing service in containers on this
# machine (see README.md, "The lab").
set -euo pipefail
source "$(dirname "$0")/env.sh"
cd "$RSP_ROOT"

case "${1:-up}" in
  up)
    cat <<'TXT'
make lab will build the lab of docs/ARCHITECTURE (all in podman containers from the
project's Debian 13 image, on the project network rsp-lab 10.230.0.0/24):

  parent    lab root zone "." (stand-in for the root / IANA), takes DS by TSIG update
  signer1   Knot DNS hidden primary + SoftHSM2 token (site A): signs the lab TLDs
  signer2   standby signer with a replicated token (site B)
  ns-bind   BIND 9.20 public secondary
  ns-nsd    NSD 4.12 public secondary
  resolver  Unbound, validating from the lab root's KSK

then converge playbooks/site.yml with inventories/lab, publish the DS records at
the lab parent, and check that the resolver answers with the AD bit for every
lab TLD.

The lab is not assembled yet in this version of the collection: `make setup`
has prepared this machine (packages, .venv, podman configuration, image), and
the Molecule scenarios (`make molecule`) converge the roles in containers.
TXT
    ;;
  down)
    ids=$(podman ps -aq --filter "label=rsp.dnssec.lab=1")
    [ -z "$ids" ] || podman rm -f -t 2 $ids
    nets=$(podman network ls -q --filter "label=rsp.dnssec.lab=1")
    [ -z "$nets" ] || podman network rm -f $nets
    echo "lab removed"
    ;;
  *)
    echo "usage: $0 up|down" >&2
    exit 2
    ;;
esac
