# Copyright: rsp.dnssec contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt)
"""rsp.dnssec.hsm_token against real SoftHSM2 installations and a real non-SoftHSM PKCS#11 module."""

from __future__ import annotations

import json
import warnings

from helpers import VENV_PYTHON
from helpers import compat_python as build_compat_python
from hsm_helpers import hsm_args

P11_KIT_TRUST = "/usr/lib/x86_64-linux-gnu/pkcs11/p11-kit-trust.so"
# pkcs11-tool's names for the mechanisms each algorithm needs (an independent reading of the token)
PKCS11_TOOL_NAMES = {8: ("RSA-PKCS-KEY-PAIR-GEN", "SHA256-RSA-PKCS"),
                     10: ("RSA-PKCS-KEY-PAIR-GEN", "SHA512-RSA-PKCS"),
                     13: ("ECDSA-KEY-PAIR-GEN", "ECDSA"), 14: ("ECDSA-KEY-PAIR-GEN", "ECDSA"),
                     15: ("EC-EDWARDS-KEY-PAIR-GEN", "EDDSA"), 16: ("EC-EDWARDS-KEY-PAIR-GEN", "EDDSA")}


def test_initialize_four_runs(softhsm_factory, ansible_playbook):
    """check (PyPI libraries), real (Debian 13's), check (Debian 13's), real (PyPI)."""
    compat_python, why = build_compat_python()
    if compat_python is None:  # still run all four with the PyPI stack; say why
        warnings.warn(f"Debian 13 library stand-in unavailable, PyPI stack only: {why}", stacklevel=1)
        compat_python = VENV_PYTHON
    empty = softhsm_factory("empty", initialize=False, label="dnssec-lab")
    task = [{"name": "token", "rsp.dnssec.hsm_token": {
        "label": empty.label, "pin": empty.pin, "so_pin": empty.so_pin, "initialize": True}}]
    env = empty.env

    check = ansible_playbook(task, check=True, env=env).assert_ok().task("token")
    assert check.changed and check["action"] == "initialized" and check["serial"] is None
    assert empty.tokens() == []

    real = ansible_playbook(task, env=env, python=compat_python).assert_ok().task("token")
    assert real.changed and real["action"] == "initialized"
    assert empty.tokens() == [{"label": "dnssec-lab", "serial": real["serial"]}]
    assert real["manufacturer"] == "SoftHSM project" and real["model"] == "SoftHSM v2"
    assert real["logged_in"] and real["objects"]["total"] == 0

    for run in (ansible_playbook(task, check=True, env=env, python=compat_python),
                ansible_playbook(task, env=env)):
        result = run.assert_ok().task("token")
        assert not result.changed and result["action"] == "exists" and result["serial"] == real["serial"]
    # the PINs work: softhsm2-util's own view of the token accepts a login with them
    empty.run("pkcs11-tool", "--module", empty.module, "--token-label", empty.label, "--login",
              "--pin", empty.pin, "--list-objects")
    output = json.dumps([r.result for r in run.results]) + run.stdout
    assert empty.pin not in output and empty.so_pin not in output


def test_reports_algorithms_from_the_mechanism_list(softhsm, ansible_playbook):
    listed = softhsm.run("pkcs11-tool", "--module", softhsm.module, "--token-label", softhsm.label,
                         "-M").stdout
    names = {line.split(",")[0].strip() for line in listed.splitlines() if line.startswith("  ")}
    expected = sorted(a for a, needed in PKCS11_TOOL_NAMES.items() if set(needed) <= names)
    key = {"name": "key", "rsp.dnssec.hsm_key": hsm_args(softhsm, label="k", algorithm="15")}
    check = [{"name": "with pin", "rsp.dnssec.hsm_token": {"label": softhsm.label, "pin": softhsm.pin}},
             {"name": "without pin", "rsp.dnssec.hsm_token": {"label": softhsm.label,
                                                              "serial": softhsm.serial}}]
    run = ansible_playbook([key, *check]).assert_ok()
    with_pin, without_pin = run.task("with pin"), run.task("without pin")
    assert with_pin["algorithms"] == expected
    ed25519 = with_pin["algorithm_support"]["15"]
    assert set(ed25519["mechanisms"]) == {"CKM_EC_EDWARDS_KEY_PAIR_GEN", "CKM_EDDSA"} and ed25519["supported"]
    assert with_pin["serial"] == softhsm.serial and with_pin["provider"] == "softhsm2"
    assert with_pin["objects"]["public_key"] == with_pin["objects"]["private_key"] == 1
    assert not without_pin["logged_in"] and without_pin["objects"]["private_key"] == 0
    assert without_pin["objects"]["public_key"] == 1
    assert not any(r.changed for r in run.results if r.task != "key")


def test_vendor_module_is_only_checked(ansible_playbook):
    """A real non-SoftHSM module (p11-kit's trust module): checked, never initialised or deleted."""
    tasks = [
        {"name": "check", "rsp.dnssec.hsm_token": {"module": P11_KIT_TRUST, "label": "System Trust"}},
        {"name": "initialize", "ignore_errors": True, "rsp.dnssec.hsm_token": {
            "module": P11_KIT_TRUST, "label": "dnssec", "pin": "1234", "so_pin": "5678", "initialize": True}},
        {"name": "delete", "ignore_errors": True, "rsp.dnssec.hsm_token": {
            "module": P11_KIT_TRUST, "label": "System Trust", "state": "absent", "force": True}},
    ]
    run = ansible_playbook(tasks)
    check = run.task("check")
    assert check.status == "ok" and check["provider"] == "generic" and check["algorithms"] == []
    assert check["algorithm_support"]["13"]["missing"] == ["CKM_EC_KEY_PAIR_GEN", "CKM_ECDSA"]
    assert check["write_protected"] and not check["logged_in"]
    initialize = run.task("initialize")
    assert initialize.failed and "cannot initialise tokens" in initialize.msg
    assert "tokens present: 'System Trust'" in initialize.msg
    delete = run.task("delete")
    assert delete.failed and "cannot delete tokens" in delete.msg


def test_absent_softhsm_token(softhsm, softhsm_factory, ansible_playbook):
    softhsm.init_token("spare")
    refuse = {"name": "refused", "ignore_errors": True,
              "rsp.dnssec.hsm_token": {"label": "spare", "state": "absent"}}
    remove = {"name": "remove", "rsp.dnssec.hsm_token": {"label": "spare", "state": "absent", "force": True}}
    check = ansible_playbook([refuse, remove], check=True)
    refused = check.task("refused")
    assert refused.failed and "irreversible" in refused.msg and "force: true" in refused.msg
    assert check.task("remove").status == "changed"
    assert {t["label"] for t in softhsm.tokens()} == {softhsm.label, "spare"}
    assert ansible_playbook([remove]).assert_ok().task("remove").changed
    assert [t["label"] for t in softhsm.tokens()] == [softhsm.label]
    again = ansible_playbook([remove]).assert_ok().task("remove")
    assert not again.changed and again["action"] == "absent"
