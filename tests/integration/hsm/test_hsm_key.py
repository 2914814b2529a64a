# Copyright: rsp.dnssec contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt)
"""rsp.dnssec.hsm_key against a real SoftHSM2 token, with both library stacks.

Four runs (check, real, check, real); then every key's private attributes are
read back from the token, and a test RRset is signed through PKCS#11 with the
mechanism the library chose and validated with dnspython.
"""

from __future__ import annotations

import json

import pytest
from hsm_helpers import (
    ALGORITHMS,
    PRIVATE_KEY_POLICY,
    hsm_args,
    key_task,
    sign_and_validate,
    supported_algorithms,
)


@pytest.mark.parametrize("algorithm", ALGORITHMS)
def test_token_can_do(softhsm, algorithm):
    """Each DNSSEC algorithm is possible on this SoftHSM2 (from its mechanism list, not assumed)."""
    why = supported_algorithms(softhsm)[algorithm]
    if why:
        pytest.skip(f"SoftHSM2 on this host cannot do algorithm {algorithm}: the token {why}")


def all_keys_task(softhsm, algorithms) -> dict:
    """One task, one HSM session: a KSK of every algorithm and a ZSK with a chosen CKA_ID."""
    keys = []
    for algorithm in algorithms:
        entry = {"label": f"example-ksk-{algorithm}", "algorithm": str(algorithm), "role": "ksk",
                 "digests": ["sha256", "sha384"]}
        if algorithm == 10:
            entry["bits"] = 3072
        keys.append(entry)
    keys.append({"label": "example-zsk-13", "key_id": "0a0b0c0d", "algorithm": "ECDSAP256SHA256", "role": "zsk"})
    return {"name": "keys", "rsp.dnssec.hsm_key": hsm_args(softhsm, zone="example.", ttl=600, keys=keys)}


def test_four_runs_every_algorithm(softhsm, ansible_playbook, module_python):
    algorithms = [a for a, why in supported_algorithms(softhsm).items() if not why]
    task = all_keys_task(softhsm, algorithms)
    labels = [k["label"] for k in task["rsp.dnssec.hsm_key"]["keys"]]

    check = ansible_playbook([task], check=True, python=module_python).assert_ok().task("keys")
    assert check.changed and [k["action"] for k in check["keys"]] == ["created"] * len(labels)
    assert check["keys"][-1]["key_id"] == "0a0b0c0d"
    assert check["keys"][0]["key_id"] is None  # a random id is chosen at generation
    assert softhsm.key_pairs() == [], "check mode created a key"

    real = ansible_playbook([task], python=module_python).assert_ok().task("keys")
    assert real.changed and [k["action"] for k in real["keys"]] == ["created"] * len(labels)
    assert [k["label"] for k in real["keys"]] == labels
    on_token = {k["label"]: k for k in softhsm.key_pairs()}
    assert sorted(on_token) == sorted(labels)

    for run in (ansible_playbook([task], check=True, python=module_python).assert_ok(),
                ansible_playbook([task], python=module_python).assert_ok()):
        again = run.task("keys")
        assert not again.changed and [k["action"] for k in again["keys"]] == ["exists"] * len(labels)
        for before, after in zip(real["keys"], again["keys"], strict=True):
            for field in ("key_id", "keytag", "dnskey", "ds", "cds", "cdnskey"):
                assert after[field] == before[field], (before["label"], field)
    assert len(softhsm.key_pairs()) == len(labels)

    for key in real["keys"]:
        stored = on_token[key["label"]]
        zsk = key["role"] == "zsk"
        assert stored["key_id"] == key["key_id"] and stored["has_public"] and stored["has_private"]
        assert stored["private"] == PRIVATE_KEY_POLICY, f"{key['label']}: {stored['private']}"
        assert key["dnskey"].endswith(" " + stored["public_key"])
        assert key["dnskey"].startswith(f"example. 600 IN DNSKEY {256 if zsk else 257} 3 {key['algorithm']} ")
        assert [line.split()[6] for line in key["ds"]] == (["2"] if zsk else ["2", "4"])
        assert [c.replace(" CDS ", " DS ") for c in key["cds"]] == key["ds"]
    sign_and_validate(softhsm, real["keys"], python=module_python)
    if 10 in algorithms:
        assert on_token["example-ksk-10"]["bits"] == 3072

    everything = json.dumps(real.result) + json.dumps(list(on_token.values()))
    assert softhsm.pin not in everything, "the PIN leaked into the output"


def test_single_key_four_runs_then_absent(softhsm, ansible_playbook):
    """The one-key form (label at the top level); then state=absent, which needs force."""
    task = [key_task("ksk", softhsm, label="example-ksk-15-20260115", algorithm="ED25519", zone="example")]
    check = ansible_playbook(task, check=True).assert_ok().task("ksk")
    assert check.changed and check["action"] == "created" and softhsm.key_pairs() == []
    real = ansible_playbook(task).assert_ok()
    created = real.task("ksk")
    assert created.changed and created["dnskey"].startswith("example. 3600 IN DNSKEY 257 3 15 ")
    assert created["keys"][0]["key_id"] == created["key_id"]
    assert softhsm.pin not in real.stdout + real.stderr
    refuse = {"name": "remove", "ignore_errors": True,
              "rsp.dnssec.hsm_key": hsm_args(softhsm, label="example-ksk-15-20260115", state="absent")}
    for run in (ansible_playbook(task, check=True), ansible_playbook([*task, refuse])):
        result = run.task("ksk")
        assert result.status == "ok" and not result.changed and result["key_id"] == created["key_id"]
    refused = run.task("remove")
    assert refused.failed and "irreversible" in refused.msg and "force: true" in refused.msg
    assert [k["key_id"] for k in softhsm.key_pairs()] == [created["key_id"]]
    sign_and_validate(softhsm, created.result)

    remove = {"name": "remove", "rsp.dnssec.hsm_key": hsm_args(
        softhsm, label="example-ksk-15-20260115", state="absent", force=True, key_id=created["key_id"])}
    check = ansible_playbook([remove], check=True).assert_ok().task("remove")
    assert check.changed and check["action"] == "destroyed" and len(softhsm.key_pairs()) == 1
    destroyed = ansible_playbook([remove]).assert_ok().task("remove")
    assert destroyed.changed and destroyed["action"] == "destroyed" and softhsm.key_pairs() == []
    gone = ansible_playbook([remove]).assert_ok().task("remove")
    assert not gone.changed and gone["action"] == "absent"


def test_batch_keys_one_session(softhsm, ansible_playbook):
    zones = [f"tld{i}." for i in range(12)]
    pin_file = softhsm.directory / "hsm.pin"
    pin_file.write_text(softhsm.pin + "\n")
    pin_file.chmod(0o440)  # root:<engine group>, as rsp.dnssec.hsm_client writes it
    task = {"name": "zsks", "rsp.dnssec.hsm_key": dict(
        token_label=softhsm.label, pin_file=str(pin_file), algorithm="ED25519", role="zsk",
        keys=[{"label": f"{z.rstrip('.')}-zsk-15", "zone": z} for z in zones]
        + [{"label": "tld0-ksk-13", "zone": "tld0.", "algorithm": "13", "role": "ksk"}])}
    first = ansible_playbook([task]).assert_ok().task("zsks")
    assert first.changed and [k["action"] for k in first["keys"]] == ["created"] * 13
    assert [k["flags"] for k in first["keys"]] == [256] * 12 + [257]
    assert [k["zone"] for k in first["keys"]][:12] == zones
    again = ansible_playbook([task]).assert_ok().task("zsks")
    assert not again.changed and [k["key_id"] for k in again["keys"]] == [k["key_id"] for k in first["keys"]]
    assert len(softhsm.key_pairs()) == 13
