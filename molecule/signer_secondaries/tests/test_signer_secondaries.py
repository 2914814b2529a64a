"""signer_secondaries scenario: the hidden primary signs, both secondaries serve
the same signed zones, changes travel by NOTIFY, transfers need the TSIG key.

Runs under Molecule's verify step and by hand with plain pytest while the
scenario's containers exist (`molecule converge -s signer_secondaries`).
"""

import re
import time
import uuid

import pytest
import testinfra

SIGNER = "rsp-mol-signer_secondaries-signer"
BIND = "rsp-mol-signer_secondaries-bind"
NSD = "rsp-mol-signer_secondaries-nsd"
ADDR = {SIGNER: "10.231.3.10", BIND: "10.231.3.11", NSD: "10.231.3.12"}
ZONES = ("example.", "test.")
TSIG = "hmac-sha256:rsp-transfer:bW9sZWN1bGUtc2lnbmVyLXNlY29uZGFyaWVzLXRzaWc="

testinfra_hosts = [f"podman://{SIGNER}"]


def get(name: str):
    return testinfra.get_host(f"podman://{name}")


def dig(server: str, args: str, via: str = BIND) -> str:
    """dig run inside a scenario container (the queries stay on the project network)."""
    return get(via).check_output(f"dig +norec +time=2 +tries=2 @{ADDR[server]} {args}")


def serial(server: str, zone: str) -> int:
    out = dig(server, f"+short {zone} SOA").split()
    assert len(out) == 7, f"no SOA for {zone} from {server}: {out!r}"
    return int(out[2])


def signed() -> bool:
    """Whether the converge managed keys (rsp.dnssec.zone_keys present)."""
    return "dnssec-signing: on" in get(SIGNER).file("/etc/knot/knot.conf").content_string


def test_knot_config_and_secrets_modes(host):
    for path in ("/etc/knot/knot.conf", "/etc/knot/rsp-keystore.conf", "/etc/knot/rsp-tsig.conf"):
        f = host.file(path)
        assert (f.user, f.group, f.mode) == ("root", "knot", 0o640), path
    assert host.file("/etc/knot/rsp-keystore.conf").contains("pkcs11:token=dnssec;pin-value=")
    assert host.run("knotc -c /etc/knot/knot.conf conf-check").rc == 0
    conf = host.file("/etc/knot/knot.conf").content_string
    for line in (
        "manual: on",
        "nsec3: on",
        "nsec3-iterations: 0",
        "nsec3-salt-length: 0",
        "nsec3-opt-out: off",
        "zsk-lifetime: 0",
        "ksk-lifetime: 0",
        "keystore: hsm",
    ):
        assert line in conf
    assert "ksk-submission" not in conf


def test_signer_listens_on_signing_interface_only(host):
    listeners = {line.split()[4] for line in host.check_output("ss -Hlntu").splitlines()}
    assert {a for a in listeners if a.endswith(":53")} == {f"{ADDR[SIGNER]}:53"}
    assert listeners <= {f"{ADDR[SIGNER]}:53", "0.0.0.0:22", "[::]:22", "*:22"}


@pytest.mark.parametrize("name", [SIGNER, BIND, NSD])
def test_every_node_runs_its_firewall(name):
    table = get(name).check_output("nft list table inet rsp_filter")
    assert "policy drop" in table and 'comment "bcp38"' in table
    kind = "signer" if name == SIGNER else "secondary"
    assert ("public DNS" in table) == (kind == "secondary")


def test_knotd_sandboxed(host):
    assert host.check_output("systemctl show knot -p ProtectSystem --value") == "strict"
    assert host.check_output("systemctl show knot -p User --value") == "knot"
    assert host.service("knot").is_running


@pytest.mark.parametrize("zone", ZONES)
def test_secondaries_serve_the_signers_serial(zone):
    serials = {name: serial(name, zone) for name in (SIGNER, BIND, NSD)}
    assert len(set(serials.values())) == 1, serials
    assert dig(BIND, f"+short www.{zone} A").strip() == "192.0.2.80"
    assert dig(NSD, f"+short www.{zone} A").strip() == "192.0.2.80"


def test_change_on_signer_reaches_both_secondaries_by_notify(host):
    # The zone's SOA refresh is an hour: seeing the change within the wait
    # below means the secondaries were NOTIFYed.
    marker = uuid.uuid4().hex
    before = serial(SIGNER, "example.")
    host.check_output("knotc zone-begin example.")
    host.run("knotc zone-unset example. notify-check TXT")  # absent on the first run
    host.check_output(f'knotc zone-set example. notify-check 10 TXT "{marker}"')
    host.check_output("knotc zone-commit example.")
    after = serial(SIGNER, "example.")
    assert after > before
    seen = {}
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        seen = {name: dig(name, "+short notify-check.example. TXT").strip() for name in (BIND, NSD)}
        if all(value == f'"{marker}"' for value in seen.values()):
            break
        time.sleep(1)
    assert seen == {BIND: f'"{marker}"', NSD: f'"{marker}"'}
    assert serial(BIND, "example.") == serial(NSD, "example.") == after


@pytest.mark.parametrize("server", [SIGNER, BIND, NSD])
def test_transfer_without_tsig_refused(server):
    out = dig(server, "example. AXFR", via=NSD if server == BIND else BIND)
    assert "Transfer failed" in out
    assert not re.search(r"^example\.\s+\d+\s+IN\s+SOA", out, re.MULTILINE)


def test_transfer_with_tsig_from_a_secondary_accepted():
    out = dig(SIGNER, f"-y {TSIG} example. AXFR")
    # A complete transfer starts and ends with the SOA.
    assert len(re.findall(r"\sIN\s+SOA\s", out)) == 2, out
    assert re.search(r"\sIN\s+NSEC3PARAM\s", out) or not signed(), out


@pytest.mark.parametrize("server", [BIND, NSD])
def test_secondary_hardening(server):
    # No recursion, version hidden, minimal responses.
    refused = dig(server, "+rec www.debian.org A", via=SIGNER)
    assert "status: REFUSED" in refused
    version = dig(server, "version.bind CH TXT", via=SIGNER)
    assert not re.search(
        r"9\.\d+|NSD|4\.\d+", version.split("ANSWER SECTION")[-1] if "ANSWER SECTION" in version else ""
    )
    minimal = dig(server, "+noall +authority +additional www.example. A", via=SIGNER)
    assert " NS " not in minimal


def test_notify_from_elsewhere_refused():
    # A NOTIFY for example. from the NSD secondary (not the signer) is refused by BIND
    # (set_opcode keeps the opcode in the flags: AA is added afterwards).
    script = (
        "import dns.message, dns.opcode, dns.query, dns.rcode, dns.flags; "
        "q = dns.message.make_query('example.', 'SOA'); q.set_opcode(dns.opcode.NOTIFY); "
        "q.flags |= dns.flags.AA; "
        f"print(dns.rcode.to_text(dns.query.udp(q, '{ADDR[BIND]}', timeout=3).rcode()))"
    )
    assert get(NSD).check_output(f'python3 -c "{script}"') in ("REFUSED", "NOTAUTH")


def test_rate_limiting_configured():
    assert "rate-limit" in get(BIND).check_output("named-checkconf -p")
    assert int(get(NSD).check_output("nsd-checkconf -o rrl-ratelimit /etc/nsd/nsd.conf")) > 0


@pytest.mark.parametrize("server", [BIND, NSD])
def test_signed_zone_served(server):
    if not signed():
        pytest.skip("rsp.dnssec.zone_keys is not in the collection yet: the zones were served unsigned")
    dnskey = dig(server, "+dnssec example. DNSKEY")
    assert re.search(r"\sDNSKEY\s+257 3 13 ", dnskey), dnskey
    assert re.search(r"\sDNSKEY\s+256 3 13 ", dnskey), dnskey
    assert re.search(r"\sRRSIG\s+DNSKEY 13 ", dnskey), dnskey
    assert dig(server, "+short example. NSEC3PARAM").strip() == "1 0 0 -"
    soa = dig(server, "+dnssec example. SOA")
    assert re.search(r"\sRRSIG\s+SOA 13 ", soa), soa
    nxdomain = dig(server, "+dnssec does-not-exist.example. A")
    assert "status: NXDOMAIN" in nxdomain
    assert re.search(r"\sIN\s+NSEC3\s+1 0 0 - ", nxdomain), nxdomain
