"""hardening scenario: what the hardened signer and secondary really enforce.

Runs under Molecule's verify step and by hand with plain pytest while the
scenario's containers exist (`molecule converge -s hardening`).
"""

import json

import pytest
import testinfra

SIGNER = "rsp-mol-hardening-signer"
SECONDARY = "rsp-mol-hardening-secondary"
MGMT = "rsp-mol-hardening-mgmt"
ADDR = {SIGNER: "10.231.1.10", SECONDARY: "10.231.1.11", MGMT: "10.231.1.12"}

testinfra_hosts = [f"podman://{SIGNER}", f"podman://{SECONDARY}"]

# TCP connect from one container to another: "open" (accepted), "refused"
# (let through the firewall, nothing listens: RST), "timeout" (dropped).
PROBE = r"""
import socket, sys
s = socket.socket()
s.settimeout(2)
try:
    s.connect((sys.argv[1], int(sys.argv[2])))
    print("open")
except ConnectionRefusedError:
    print("refused")
except (TimeoutError, socket.timeout):
    print("timeout")
"""

# UDP datagram sent with a chosen source address: "sent" or the errno name.
SPOOF = r"""
import errno, socket, sys
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind((sys.argv[1], 0))
try:
    s.sendto(b"bcp38", (sys.argv[2], 9))
    print("sent")
except OSError as exc:
    print(errno.errorcode.get(exc.errno, str(exc.errno)))
"""


def other(name: str):
    return testinfra.get_host(f"podman://{name}")


def tcp_probe(src: str, dst: str, port: int) -> str:
    return other(src).check_output(f"python3 -c '{PROBE}' {ADDR[dst]} {port}").strip()


def name_of(host) -> str:
    return host.backend.get_hostname()


def test_sshd_config_is_valid_and_strict(host):
    cfg = host.file("/etc/ssh/sshd_config")
    assert (cfg.user, cfg.group, cfg.mode) == ("root", "root", 0o600)
    assert host.run("sshd -t").rc == 0
    effective: dict[str, str] = {}
    for line in host.check_output("sshd -T -C user=root,host=x,addr=10.231.1.12").splitlines():
        key, _sep, value = line.partition(" ")
        effective[key] = f"{effective[key]} {value}" if key in effective else value
    assert effective["passwordauthentication"] == "no"
    assert effective["kbdinteractiveauthentication"] == "no"
    assert effective["permitrootlogin"] == "without-password"
    assert effective["allowgroups"] == "root sudo"
    assert "cbc" not in effective["ciphers"]
    assert "sha1" not in effective["kexalgorithms"]
    assert all("etm" in mac for mac in effective["macs"].split(","))
    assert host.service("ssh").is_running


def test_ruleset_loaded_with_default_deny_bcp38_and_rpfilter(host):
    ruleset = json.loads(host.check_output("nft -j list ruleset"))["nftables"]
    chains = {
        c["chain"]["name"]: c["chain"]
        for c in ruleset
        if "chain" in c and c["chain"]["table"] == "rsp_filter"
    }
    assert chains["input"]["policy"] == "drop"
    assert chains["forward"]["policy"] == "drop"
    text = host.check_output("nft list table inet rsp_filter")
    assert "ip saddr != @own4 counter packets" in text and 'comment "bcp38"' in text
    assert "fib saddr . iif oif missing" in text
    own4 = host.check_output("nft list set inet rsp_filter own4")
    assert ADDR[name_of(host)] in own4
    assert host.service("nftables").is_enabled


def test_ssh_only_from_management(host):
    me = name_of(host)
    assert tcp_probe(MGMT, me, 22) == "open"
    peer = SECONDARY if me == SIGNER else SIGNER
    assert tcp_probe(peer, me, 22) == "timeout"


def test_dns_rules_per_node_kind():
    # Nothing listens on 53 in this scenario: "refused" means the firewall let
    # the SYN through, "timeout" means it was dropped.
    assert tcp_probe(MGMT, SECONDARY, 53) == "refused"  # public: anyone
    assert tcp_probe(SIGNER, SECONDARY, 53) == "refused"
    assert tcp_probe(SECONDARY, SIGNER, 53) == "refused"  # its secondary
    assert tcp_probe(MGMT, SIGNER, 53) == "refused"  # management


def test_unlisted_port_dropped(host):
    assert tcp_probe(MGMT, name_of(host), 8080) == "timeout"


@pytest.fixture
def foreign_address(host):
    """A second address on the interface that the ruleset does not know."""
    dev = host.check_output("ip -o route get 10.231.1.12 | sed -n 's/.* dev \\([^ ]*\\).*/\\1/p'").strip()
    host.check_output(f"ip addr add 10.231.1.99/32 dev {dev}")
    yield "10.231.1.99"
    host.run(f"ip addr del 10.231.1.99/32 dev {dev}")


def test_bcp38_drops_foreign_source(host, foreign_address):
    assert host.check_output(f"python3 -c '{SPOOF}' {foreign_address} 10.231.1.12").strip() == "EPERM"
    assert host.check_output(f"python3 -c '{SPOOF}' {ADDR[name_of(host)]} 10.231.1.12").strip() == "sent"


def test_kernel_parameters_laid_down(host):
    f = host.file("/etc/sysctl.d/90-rsp-hardening.conf")
    assert (f.user, f.group, f.mode) == ("root", "root", 0o644)
    assert "net.ipv4.conf.all.rp_filter = 1" in f.content_string
    assert "kernel.kptr_restrict = 2" in f.content_string


def test_audit_rules_watch_keys_config_and_tools(host):
    f = host.file("/etc/audit/rules.d/90-rsp-dnssec.rules")
    assert (f.user, f.group, f.mode) == ("root", "root", 0o640)
    rules = f.content_string.splitlines()
    for line in (
        "-w /var/lib/softhsm/tokens -p wa -k rsp-keys",
        "-w /etc/knot -p wa -k rsp-config",
        "-w /var/lib/rsp-dnssec -p wa -k rsp-keys",
        "-w /etc/sudoers -p wa -k rsp-config",
        "-w /usr/sbin/keymgr -p x -k rsp-keytools",
    ):
        assert line in rules


def test_chrony_several_sources_valid_config(host):
    assert host.run("chronyd -p -f /etc/chrony/chrony.conf").rc == 0
    conf = host.file("/etc/chrony/chrony.conf").content_string
    assert conf.count("\npool ") + conf.count("\nserver ") >= 3
    assert "minsources 2" in conf


def test_container_skips_are_honest(host):
    # In a container the host-level parts are not applied: auditd and chronyd stay down.
    assert host.check_output("systemd-detect-virt -c") == "podman"
    assert not host.service("auditd").is_running
    assert not host.service("chrony").is_running


def test_security_upgrades_only(host):
    conf = host.file("/etc/apt/apt.conf.d/52rsp-unattended-upgrades").content_string
    assert "#clear Unattended-Upgrade::Origins-Pattern;" in conf
    dump = host.check_output("apt-config dump Unattended-Upgrade::Origins-Pattern")
    assert "Debian-Security" in dump
    assert 'label=Debian";' not in dump


def test_only_expected_listeners(host):
    listening = set()
    for line in host.check_output("ss -Hlntu").splitlines():
        fields = line.split()
        listening.add(f"{fields[0]}/{fields[4].rsplit(':', 1)[1]}")
    assert listening == {"tcp/22"}
