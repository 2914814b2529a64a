"""hsm_client scenario: the PKCS#11 stack works for the engine's user, and the
standby holds an exact copy of the primary's token.

Runs under Molecule's verify step and by hand with plain pytest while the
scenario's containers exist (`molecule converge -s hsm_client`).
"""

import json

import testinfra

PRIMARY = "rsp-mol-hsm_client-primary"
STANDBY = "rsp-mol-hsm_client-standby"
testinfra_hosts = [f"podman://{PRIMARY}", f"podman://{STANDBY}"]

# Runs on the host as the given user: opens the token with the PIN from the
# PIN file and prints its serial and the labels of its private keys.
TOKEN_REPORT = r"""
import json, pkcs11
lib = pkcs11.lib("/usr/lib/softhsm/libsofthsm2.so")
token = lib.get_token(token_label="dnssec")
pin = open("/etc/rsp-dnssec/hsm.pin").read().strip()
with token.open(user_pin=pin) as session:
    found = session.get_objects({pkcs11.Attribute.CLASS: pkcs11.ObjectClass.PRIVATE_KEY})
    labels = sorted(k.label for k in found)
print(json.dumps({"serial": token.serial.decode().strip(), "private_keys": labels}))
"""


def token_report(host, user: str = "knot") -> dict:
    out = host.check_output(
        f"runuser -u {user} -- env SOFTHSM2_CONF=/etc/softhsm/softhsm2.conf python3 -c '{TOKEN_REPORT}'"
    )
    return json.loads(out)


def test_pin_file_readable_by_root_and_engine_only(host):
    pin = host.file("/etc/rsp-dnssec/hsm.pin")
    assert (pin.user, pin.group, pin.mode) == ("root", "knot", 0o440)
    assert pin.content_string == "246810"
    assert host.file("/etc/rsp-dnssec").mode == 0o750
    assert host.run("runuser -u nobody -- cat /etc/rsp-dnssec/hsm.pin").rc != 0


def test_modules_importable_on_host(host):
    out = host.check_output("python3 -c 'import pkcs11, dns.version, dns.dnssec; print(dns.version.version)'")
    assert out.startswith("2.")


def test_token_present_and_usable_by_the_engine(host):
    report = token_report(host)
    # As keymgr sees it: user and group knot, no supplementary groups.
    listed = host.run("setpriv --reuid knot --regid knot --clear-groups softhsm2-util --show-slots")
    assert listed.rc == 0 and "Label:            dnssec" in listed.stdout
    assert report["serial"]
    tokens = host.check_output("softhsm2-util --show-slots")
    assert "Label:            dnssec" in tokens


def test_token_files_not_world_readable(host):
    # keymgr drops to knot:knot without supplementary groups: the engine's own
    # group must own SoftHSM's files (recorded as dpkg overrides).
    tokendir = host.file("/var/lib/softhsm/tokens")
    assert (tokendir.user, tokendir.group, tokendir.mode) == ("root", "knot", 0o2770)
    assert host.file("/etc/softhsm/softhsm2.conf").group == "knot"
    overrides = host.check_output("dpkg-statoverride --list")
    assert "root knot 2770 /var/lib/softhsm/tokens" in overrides
    world = host.check_output("find /var/lib/softhsm/tokens -perm /o=rwx | wc -l")
    assert world == "0"


def test_p11kit_knows_the_module(host):
    modules = host.check_output("p11-kit list-modules")
    assert "softhsm2" in modules
    assert host.file("/etc/pkcs11/modules/softhsm2.module").contains(
        "module: /usr/lib/softhsm/libsofthsm2.so"
    )
    assert host.file("/etc/rsp-dnssec/hsm.env").contains("^SOFTHSM2_CONF=/etc/softhsm/softhsm2.conf$")


def test_standby_holds_an_exact_copy():
    primary = token_report(testinfra.get_host(f"podman://{PRIMARY}"))
    standby = token_report(testinfra.get_host(f"podman://{STANDBY}"))
    assert primary == standby
    assert "molecule-replication" in primary["private_keys"] or any(
        label.startswith("molecule-replication") for label in primary["private_keys"]
    )


def test_previous_standby_token_kept():
    standby = testinfra.get_host(f"podman://{STANDBY}")
    kept = standby.check_output("ls -d /var/lib/softhsm/tokens.replaced-* | wc -l")
    assert int(kept) >= 1
