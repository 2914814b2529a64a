"""The harness scenario: the secondary serves what the hidden primary has.

Runs under Molecule's verify step and by hand with plain pytest while the
scenario's containers exist (`molecule converge -s harness`).
"""

import re

testinfra_hosts = ["podman://rsp-mol-harness-primary", "podman://rsp-mol-harness-secondary"]

PRIMARY = "10.231.0.10"
SECONDARY = "10.231.0.11"


def soa_serial(host, server: str) -> int:
    out = host.check_output(f"dig +short +norec +time=2 +tries=3 @{server} example. SOA")
    match = re.search(r"\s(\d+)\s+\d+\s+\d+\s+\d+\s+\d+$", out.strip())
    assert match, f"no SOA from {server}: {out!r}"
    return int(match.group(1))


def test_systemd_booted(host):
    state = host.run("systemctl is-system-running").stdout.strip()
    assert state in ("running", "degraded")


def test_dns_daemon_listens_on_53(host):
    assert host.socket("udp://0.0.0.0:53").is_listening
    assert host.socket("tcp://0.0.0.0:53").is_listening


def test_secondary_serves_primary_serial(host):
    assert soa_serial(host, SECONDARY) == soa_serial(host, PRIMARY) == 2026120301


def test_secondary_answers_zone_data(host):
    assert host.check_output(f"dig +short @{SECONDARY} www.example. A").strip() == "192.0.2.80"


def test_project_network_addresses(host):
    addresses = host.check_output("ip -4 -o addr show")
    assert PRIMARY in addresses or SECONDARY in addresses
