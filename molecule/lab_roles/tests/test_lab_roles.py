"""lab_roles scenario: the lab root takes DS records by TSIG update (and nothing
else), keeps them across restarts, reconciles its delegations, and the lab
resolver validates from the root's KSK: secure with the right DS, bogus with a
wrong one, refusing clients outside its networks.

Runs under Molecule's verify step and by hand with plain pytest while the
scenario's containers exist (`molecule converge -s lab_roles`).
"""

import json

import pytest
import testinfra

PARENT = "rsp-mol-lab_roles-parent"
RESOLVER = "rsp-mol-lab_roles-resolver"
TLD = "rsp-mol-lab_roles-tld"
PARENT_ADDR = "10.231.4.10"
RESOLVER_ADDR = "10.231.4.53"
KEY = "hmac-sha256:lab-parent-ds:bGFiLXJvbGVzLW1vbGVjdWxlLXRlc3Qta2V5LW9ubHk="
WRONG_DIGEST = "0" * 64

testinfra_hosts = [f"podman://{PARENT}"]


def host_of(name):
    return testinfra.get_host(f"podman://{name}")


@pytest.fixture(scope="module")
def parent():
    return host_of(PARENT)


@pytest.fixture(scope="module")
def resolver():
    return host_of(RESOLVER)


@pytest.fixture(scope="module")
def tld():
    return host_of(TLD)


def ask(host, server, name, rtype, *flags):
    """{status, ad, answer (lines)} of a kdig query made on ``host``."""
    out = host.check_output(f"kdig @{server} +dnssec +timeout=3 +retry=1 {' '.join(flags)} {name} {rtype}")
    status = out.split("status: ", 1)[1].split(";", 1)[0] if "status: " in out else "no answer"
    header = out.split("Flags: ", 1)[1].split(";", 1)[0].split() if "Flags: " in out else []
    answer = host.check_output(f"kdig @{server} +timeout=3 +retry=1 +noall +answer {' '.join(flags)} {name} {rtype}")
    return {"status": status, "ad": "ad" in header,
            "answer": [line for line in answer.splitlines() if line.strip()]}


def update(host, commands, key=True):
    """Send a dynamic update to the lab root from ``host``; returns the command result."""
    keyfile = "/run/lab-roles-test.key"
    if key:
        host.run(f"umask 077; echo '{KEY}' > {keyfile}")
    script = "\\n".join([f"server {PARENT_ADDR}", "zone .", *commands, "send"])
    result = host.run(f"printf '{script}\\n' | knsupdate -t 5 {'-k ' + keyfile if key else ''}")
    host.run(f"rm -f {keyfile}")
    return result


def flush(resolver):
    resolver.check_output("unbound-control -c /etc/unbound/unbound.conf flush_zone example.")
    resolver.check_output("unbound-control -c /etc/unbound/unbound.conf flush_bogus")


def tld_ds(tld):
    """DS (SHA-256) of the stand-in TLD's KSK, as rdata."""
    lines = [line.split() for line in tld.check_output("keymgr example. ds").splitlines()]
    return next(" ".join(f[2:6]) for f in lines if len(f) >= 6 and f[1] == "DS" and f[4] == "2")


def test_root_is_signed_and_its_ksk_is_the_resolvers_anchor(parent, resolver):
    reply = ask(resolver, PARENT_ADDR, ".", "DNSKEY", "+norec")
    assert reply["status"] == "NOERROR"
    assert any(" RRSIG " in f" {line} " and "DNSKEY" in line for line in reply["answer"])
    root_ds = [line.split() for line in parent.check_output("keymgr . ds").splitlines()]
    sha256 = {" ".join(f[2:6]).lower() for f in root_ds if len(f) >= 6 and f[4] == "2"}
    anchor = resolver.file("/etc/unbound/lab-root.anchor").content_string
    anchored = {" ".join(line.split()[2:6]).lower() for line in anchor.splitlines() if " DS " in line}
    assert sha256 and anchored == sha256


def test_resolver_validates_the_root(resolver):
    reply = ask(resolver, "127.0.0.1", ".", "SOA")
    assert (reply["status"], reply["ad"]) == ("NOERROR", True)


def test_resolver_refuses_clients_outside_its_networks(parent, tld):
    assert ask(tld, RESOLVER_ADDR, ".", "SOA")["status"] == "REFUSED"
    assert ask(parent, RESOLVER_ADDR, ".", "SOA")["status"] == "NOERROR"


def test_delegation_with_glue(resolver):
    # A referral: no answer, the NS in the authority section, the glue in the additional one.
    assert ask(resolver, PARENT_ADDR, "example.", "NS", "+norec")["answer"] == []
    out = resolver.check_output(f"kdig @{PARENT_ADDR} +norec example. NS")
    assert "ns1.example." in out and "10.231.4.100" in out


def test_updates_need_the_key_and_may_change_ds_only(parent, tld):
    ds = tld_ds(tld)
    assert update(tld, [f"update add example. 10 DS {ds}"], key=False).rc != 0
    assert update(tld, ["update add www.example. 10 A 192.0.2.1"]).rc != 0
    assert update(tld, ["update add parent. 10 TXT injected"]).rc != 0
    assert ask(parent, "127.0.0.1", "example.", "DS", "+norec")["answer"] == []


def test_chain_of_trust_follows_the_ds(parent, resolver, tld):
    ds = tld_ds(tld)
    try:
        # Insecure delegation: answered, not validated.
        flush(resolver)
        reply = ask(resolver, "127.0.0.1", "www.example.", "A")
        assert (reply["status"], reply["ad"]) == ("NOERROR", False)

        # The right DS: validated, and kept by the root across a restart.
        assert update(tld, [f"update add example. 10 DS {ds}"]).rc == 0
        parent.check_output("systemctl restart knot")
        parent.check_output("for i in $(seq 30); do knotc zone-status . >/dev/null 2>&1 && break; sleep 1; done")
        served = ask(parent, "127.0.0.1", "example.", "DS", "+norec")["answer"]
        assert any(ds.split()[-1].upper() in line.upper() for line in served)
        flush(resolver)
        reply = ask(resolver, "127.0.0.1", "www.example.", "A")
        assert (reply["status"], reply["ad"]) == ("NOERROR", True)
        reply = ask(resolver, "127.0.0.1", "no-such-name.example.", "A")
        assert (reply["status"], reply["ad"]) == ("NXDOMAIN", True)

        # A DS that matches no key: bogus, the resolver answers SERVFAIL.
        tag, alg = ds.split()[:2]
        wrong = f"update add example. 10 DS {tag} {alg} 2 {WRONG_DIGEST}"
        assert update(tld, ["update delete example. DS", wrong]).rc == 0
        flush(resolver)
        assert ask(resolver, "127.0.0.1", "www.example.", "A")["status"] == "SERVFAIL"
    finally:
        update(tld, ["update delete example. DS"])
        flush(resolver)


def test_delegations_are_reconciled(parent):
    spec = json.dumps({"zone": ".", "ttl": 60, "purge": True, "delegations": [
        {"name": "example.", "nameservers": [{"name": "ns1.example.", "address": "10.231.4.100"}]}]})
    tool = "python3 /usr/local/lib/rsp-lab/lab-parent-delegations.py"
    assert json.loads(parent.check_output(f"echo '{spec}' | {tool} --check")) == {"changed": False, "changes": []}
    parent.check_output("knotc zone-begin . && knotc zone-set . stray. 60 NS ns.stray. "
                        "&& knotc zone-set . ns.stray. 60 A 192.0.2.53 && knotc zone-commit .")
    planned = json.loads(parent.check_output(f"echo '{spec}' | {tool} --check"))
    assert planned["changed"] and any("stray." in change for change in planned["changes"])
    assert "stray." in parent.check_output("knotc zone-read . stray. NS")
    assert json.loads(parent.check_output(f"echo '{spec}' | {tool}"))["changed"]
    assert parent.run("knotc zone-read . stray. NS").stdout.strip() == ""
    assert parent.run("knotc zone-read . ns.stray. A").stdout.strip() == ""
    assert "ns1.example." in parent.check_output("knotc zone-read . example. NS")
