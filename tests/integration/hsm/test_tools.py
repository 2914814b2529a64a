# Copyright: rsp.dnssec contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt)
"""DNSKEY / DS from the HSM, byte for byte against independent tools.

* DS: ``dnssec-dsfromkey -A`` (BIND) and ``ldns-key2ds -f`` (ldns), for KSKs and
  ZSKs (both tools skip non-SEP keys unless told), SHA-256 and SHA-384.
* DNSKEY: Knot's ``keymgr import-pkcs11`` reads the public key from the token
  itself, by CKA_ID, as the signer does in production.
"""

from __future__ import annotations

import dns.rdata
import dns.rdataclass
import dns.rdatatype
import pytest
from helpers import AnsiblePlaybook, make_softhsm
from hsm_helpers import ALGORITHMS, hsm_args, supported_algorithms


def wire(text: str, rdtype: str) -> bytes:
    """The rdata of a presentation-form RR (owner TTL IN TYPE rdata, TTL optional) as wire octets."""
    rdata = text.split(f" {rdtype} ", 1)[1] if f" {rdtype} " in text else text.split(f"\t{rdtype}\t", 1)[1]
    return dns.rdata.from_text(dns.rdataclass.IN, dns.rdatatype.from_text(rdtype), rdata).to_wire()


@pytest.fixture(scope="module")
def token_with_keys(tmp_path_factory):
    """One token, a KSK and a ZSK of every algorithm the token can do (one playbook run)."""
    softhsm = make_softhsm(tmp_path_factory.mktemp("softhsm"))
    supported = supported_algorithms(softhsm)
    keys = [{"label": f"{role} {algorithm}", "algorithm": str(algorithm), "role": role}
            for algorithm in ALGORITHMS if not supported[algorithm] for role in ("ksk", "zsk")]
    task = {"name": "keys", "rsp.dnssec.hsm_key": hsm_args(softhsm, zone="example.", digests=["sha256", "sha384"],
                                                           keys=keys)}
    run = AnsiblePlaybook(tmp_path_factory.mktemp("ansible"), env=softhsm.env)([task]).assert_ok()
    return softhsm, supported, {key["label"]: key for key in run.task("keys")["keys"]}


@pytest.fixture
def keys(token_with_keys, request):
    softhsm, supported, results = token_with_keys
    algorithm = request.param
    if supported[algorithm]:
        pytest.skip(f"SoftHSM2 on this host cannot do algorithm {algorithm}: "
                    f"the token {supported[algorithm]}")
    return softhsm, {role: results[f"{role} {algorithm}"] for role in ("ksk", "zsk")}


@pytest.mark.parametrize("keys", ALGORITHMS, indirect=True)
def test_ds_equals_bind_and_ldns(keys, tmp_path):
    softhsm, keys = keys
    for role, key in keys.items():
        path = tmp_path / f"K{role}.key"
        path.write_text(key["dnskey"] + "\n")
        ours = {int(line.split()[6]): wire(line, "DS") for line in key["ds"]}
        for digest, bind_arg, ldns_arg in ((2, ["-2"], "-2"), (4, ["-a", "SHA-384"], "-4")):
            bind = softhsm.run("dnssec-dsfromkey", "-A", *bind_arg, "-f", str(path), "example.")
            bind = bind.stdout.strip()
            ldns = softhsm.run("ldns-key2ds", "-f", "-n", ldns_arg, str(path)).stdout.strip()
            assert wire(bind, "DS") == ours[digest], f"{role} digest {digest}: BIND says {bind}"
            assert wire(ldns, "DS") == ours[digest], f"{role} digest {digest}: ldns says {ldns}"
            assert bind.split()[3] == str(key["keytag"])


@pytest.mark.parametrize("keys", ALGORITHMS, indirect=True)
def test_dnskey_equals_what_knot_reads_from_the_token(keys, tmp_path):
    softhsm, keys = keys
    (tmp_path / "kasp").mkdir()
    config = tmp_path / "knot.conf"
    config.write_text(
        f"database:\n    kasp-db: {tmp_path / 'kasp'}\n"
        "keystore:\n  - id: hsm\n    backend: pkcs11\n"
        f'    config: "pkcs11:token={softhsm.label};pin-value={softhsm.pin} {softhsm.module}"\n'
        "policy:\n  - id: manual\n    keystore: hsm\n    manual: on\n"
        "zone:\n  - domain: example.\n    dnssec-signing: on\n    dnssec-policy: manual\n")
    ksk = keys["ksk"]
    # keymgr logs in to the token too: it takes the same host lock as the collection
    imported = softhsm.run("flock", str(softhsm.lock), "keymgr", "-c", str(config), "example.",
                           "import-pkcs11", ksk["key_id"], f"algorithm={ksk['algorithm']}", "ksk=yes",
                           check=False)
    if imported.returncode != 0:
        version = softhsm.run("keymgr", "-V", check=False).stdout.strip()
        pytest.skip(f"{version} cannot import an algorithm {ksk['algorithm']} key from PKCS#11: "
                    f"{(imported.stdout + imported.stderr).strip()}")
    listed = softhsm.run("flock", str(softhsm.lock), "keymgr", "-c", str(config), "example.", "dnskey").stdout
    knot = [line for line in listed.splitlines() if " DNSKEY " in line]
    assert len(knot) == 1
    assert wire(knot[0], "DNSKEY") == wire(ksk["dnskey"], "DNSKEY")
