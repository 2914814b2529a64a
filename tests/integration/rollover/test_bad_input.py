# Copyright: rsp.dnssec contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt)
"""Bad input through the modules: each fails with a message that says what is
wrong and what to do, and nothing changes - not the state, not Knot's keys, not
the HSM, not the parent. Also: Knot's keys changed by hand (the zone stops and
says how they differ from the state), and Knot not running."""

from __future__ import annotations

import pytest
from rollover_lab import POLICY, engine_fixtures, pin_file, submit_ds

pytestmark = pytest.mark.slow

ZONE, FRESH = "bad.", "fresh."


def failing(task: dict) -> dict:
    return {**task, "ignore_errors": True}


def test_bad_input_changes_nothing(lab_factory, tmp_path):
    lab = lab_factory([ZONE, FRESH])
    result = lab.ok(lab.zone_keys([ZONE])).results[0]["zones"][ZONE]
    submit_ds(lab, ZONE, result["ds_to_submit"])
    lab.wait_secondary([ZONE])
    lab.validate(ZONE, tmp_path)
    before = lab.snapshot([ZONE, FRESH])
    closed = engine_fixtures.free_port()  # nothing listens there: an unreachable parent
    open_pin = pin_file(lab, 0o644)

    cases = {
        "unknown zone": (lab.zone_keys(["nosuch.", ZONE]),
                         ["nosuch.: zone nosuch. is not configured in Knot DNS", "1 of 2 zone(s) failed"]),
        "lifetime too short": (lab.zone_keys([FRESH], policy={**POLICY, "zsk_lifetime": 5}),
                               ["zsk_lifetime (Lzsk = 5s) is shorter than one ZSK rollover"]),
        "NSEC3 iterations": (lab.zone_keys([FRESH], policy={**POLICY, "nsec3": {"iterations": 10}}),
                             ["nsec3.iterations 10: RFC 9276 section 3.1 requires 0"]),
        "typo in the policy": (lab.zone_keys([FRESH], policy={**POLICY, "dnskey_tll": 2}),
                               ["unknown policy setting dnskey_tll (did you mean dnskey_ttl?)"]),
        "policy and Knot disagree": (lab.zone_keys([FRESH], policy={**POLICY, "dnskey_ttl": 3,
                                                                    "max_zone_ttl": 3,
                                                                    "soa": {**POLICY["soa"], "ttl": 3}}),
                                     ["dnskey-ttl is 2 in the engine's policy 'rsp-lab', but the policy says "
                                      "dnskey_ttl 3", "nothing was changed"]),
        "wrong PIN": (lab.zone_keys([FRESH], hsm_pin="wrong-pin"),
                      ["the PIN was rejected by token 'rsp-test'", "check the PIN in the vault"]),
        "PIN file readable by all": (lab.zone_keys([FRESH], hsm_pin_file=open_pin),
                                     ["is open to others or writable by its group (mode 0644)"]),
        "HSM unreachable": (lab.zone_keys([FRESH], hsm_module="/nonexistent/libvendor-pkcs11.so"),
                            ["PKCS#11 module /nonexistent/libvendor-pkcs11.so does not exist"]),
        "no HSM for new keys": (lab.zone_keys([FRESH], hsm=False),
                                ["give hsm_token_label and hsm_pin or hsm_pin_file"]),
        "parent unreachable": (lab.rollover([ZONE], "start", method="ksk",
                                            parent=lab.parent_spec(server=f"127.0.0.1@{closed}",
                                                                   servers=[f"127.0.0.1@{closed}"], timeout=0.5)),
                               ["the parent's update primary does not answer", "nothing was changed"]),
        "no parent for a KSK rollover": (lab.rollover([ZONE], "start", method="ksk", parent=None),
                                         ["changes the DS RRset at the parent: give the parent"]),
        "algorithm rollover to the same algorithm": (lab.rollover([ZONE], "start", method="algorithm",
                                                                  algorithm="13"),
                                                     ["already use algorithm 13"]),
        "refused algorithm": (lab.rollover([ZONE], "start", method="algorithm", algorithm="5"),
                              ["algorithm 5 (RSASHA1) is refused for signing: RFC 8624 section 3.1"]),
    }
    tasks = []
    for name, (task, _messages) in cases.items():
        task = failing(task)
        task["name"] = name
        if name == "no parent for a KSK rollover":
            task["rsp.dnssec.rollover"].pop("parent")
        if name == "PIN file readable by all":
            task["rsp.dnssec.zone_keys"].pop("hsm_pin")
        tasks.append(task)
    run = lab.run(*tasks)
    for name, (_task, messages) in cases.items():
        result = run.task(name)
        assert result.status == "ignored", (name, result.result)
        assert "Traceback" not in result.msg and "MODULE FAILURE" not in result.msg, (name, result.msg)
        for message in messages:
            assert message in result.msg, (name, message, result.msg)
    assert lab.snapshot([ZONE, FRESH]) == before

    # A timer changed by hand in Knot: the zone stops, naming the key and both sides; nothing changes.
    zsk = next(e for e in lab.state(ZONE)["keys"].values() if e["role"] == "zsk")
    lab.signer.keymgr(ZONE, "set", f"id={zsk['hsm_id']}", f"retire={zsk['timers']['active'] + 86400}")
    touched = lab.snapshot([ZONE, FRESH])
    run = lab.run(failing(lab.zone_keys([ZONE])), failing(lab.rollover([ZONE], "start", method="zsk")))
    for result in run.results:
        assert result.status == "ignored"
        assert f"key {zsk['tag']} (id {zsk['hsm_id']}, ZSK algorithm 13): the engine has active=" in result.msg
        assert "changed by hand" in result.msg and "rsp.dnssec never guesses" in result.msg
    assert lab.snapshot([ZONE, FRESH]) == touched

    # Knot stopped: every module says so, and changes nothing.
    lab.signer.stop()
    run = lab.run(failing(lab.zone_keys([ZONE])), failing(lab.rollover([ZONE], "advance")),
                  failing(lab.zone_status([ZONE])))
    for result in run.results:
        assert result.status == "ignored"
        assert "Knot DNS is not running or its control socket is unreachable" in result.msg, result.msg
        assert "systemctl start knot" in result.msg
    assert lab.snapshot([ZONE, FRESH]) == touched
