# Copyright: rsp.dnssec contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt)
"""Every documented error, triggered for real: clear message, nothing changed, no traceback.

Several error cases share one playbook (``ignore_errors``) to keep the run short;
each case is still its own task with its own assertions.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest
from hsm_helpers import hsm_args

P11_KIT_TRUST = "/usr/lib/x86_64-linux-gnu/pkcs11/p11-kit-trust.so"
LIBZ = "/usr/lib/x86_64-linux-gnu/libz.so.1"
P256 = "GojIhhXUN/u4v54ZQqGSnyhWJwaubCvTmeexv7bR6edbkrSqQpF64cYbcB7wNcP+e+MAnLr+Wi9xMWyQLc8NAA=="


def failing(name: str, plugin: str, **options) -> dict:
    return {"name": name, "ignore_errors": True, f"rsp.dnssec.{plugin}": options}


def assert_failed(run, name: str, *fragments: str) -> str:
    result = run.task(name)
    assert result.failed, f"{name} did not fail: {result.result}"
    for fragment in fragments:
        assert fragment in result.msg, f"{name}: {fragment!r} not in {result.msg!r}"
    assert "Traceback" not in result.msg and "Traceback" not in str(result.get("module_stderr", ""))
    return result.msg


def test_library_token_pin_and_request_errors(softhsm, ansible_playbook):
    softhsm.init_token("second")
    key = {"label": "k", "algorithm": "13", "zone": "example."}
    tasks = [
        failing("module missing", "hsm_key", **hsm_args(softhsm, module="/nonexistent/libvendor.so", **key)),
        failing("not pkcs11", "hsm_key", **hsm_args(softhsm, module=LIBZ, **key)),
        failing("token missing", "hsm_key", **hsm_args(softhsm, token_label="dnssec-prod", **key)),
        failing("wrong pin", "hsm_key", **hsm_args(softhsm, pin="wrong-pin-0000", **key)),
        failing("wrong pin token", "hsm_token", label=softhsm.label, pin="wrong-pin-0000"),
        failing("no pin", "hsm_key", token_label=softhsm.label, **key),
        failing("unknown algorithm", "hsm_key", **hsm_args(softhsm, label="k", algorithm="99")),
        failing("refused algorithm", "hsm_key", **hsm_args(softhsm, label="k", algorithm="RSASHA1")),
        failing("small rsa", "hsm_key", **hsm_args(softhsm, label="k", algorithm="8", bits=1024)),
        failing("sha1 digest", "hsm_key", **hsm_args(softhsm, digests=["sha1"], **key)),
        failing("pin file too open", "hsm_key", token_label=softhsm.label,
                pin_file=str(softhsm.directory / "pin"), **key),
    ]
    (softhsm.directory / "pin").write_text(softhsm.pin + "\n")
    (softhsm.directory / "pin").chmod(0o644)
    run = ansible_playbook(tasks)
    assert_failed(run, "module missing", "PKCS#11 module /nonexistent/libvendor.so does not exist")
    assert_failed(run, "not pkcs11", f"{LIBZ} is not a usable PKCS#11 module", "C_GetFunctionList")
    assert_failed(run, "token missing", "token with label 'dnssec-prod' not found", "(tokens present: ",
                  f"'{softhsm.label}' (serial {softhsm.serial})", "'second' (serial")
    assert_failed(run, "wrong pin", "the PIN was rejected", "CKR_PIN_INCORRECT", "nothing was changed")
    assert_failed(run, "wrong pin token", "the PIN was rejected")
    assert_failed(run, "no pin", "requires a login")
    assert_failed(run, "unknown algorithm", "unknown DNSSEC algorithm number 99")
    assert_failed(run, "refused algorithm", "algorithm 5 (RSASHA1) is refused for signing",
                  "RFC 8624 section 3.1")
    assert_failed(run, "small rsa", "below 2048 bits are refused")
    assert_failed(run, "sha1 digest", "SHA-1", "dnssec-92")
    assert_failed(run, "pin file too open", "open to others", "0400, 0440")
    assert softhsm.key_pairs() == [], "a failed task created a key"
    assert softhsm.pin not in run.stdout + run.stderr


def test_existing_keys_are_never_replaced(softhsm, ansible_playbook):
    made = ansible_playbook([
        {"name": "p256", "rsp.dnssec.hsm_key": hsm_args(softhsm, label="example-ksk", algorithm="13")},
        {"name": "rsa", "rsp.dnssec.hsm_key": hsm_args(softhsm, label="example-rsa", algorithm="8")},
    ]).assert_ok()
    # two pairs with one label, made outside the collection (pkcs11-tool, as an operator might)
    for key_id in ("01", "02"):
        softhsm.run("pkcs11-tool", "--module", softhsm.module, "--token-label", softhsm.label, "--login",
                    "--pin", softhsm.pin, "--keypairgen", "--key-type", "EC:prime256v1", "--id", key_id,
                    "--label", "duplicate", "--usage-sign")
    before = softhsm.key_pairs()
    p256_id = made.task("p256")["key_id"]
    run = ansible_playbook([
        failing("other algorithm", "hsm_key", **hsm_args(softhsm, label="example-ksk", algorithm="15")),
        failing("other size", "hsm_key", **hsm_args(softhsm, label="example-rsa", algorithm="8", bits=4096)),
        failing("id with other label", "hsm_key",
                **hsm_args(softhsm, label="renamed", key_id=p256_id, algorithm="13")),
        failing("ambiguous", "hsm_key", **hsm_args(softhsm, label="duplicate", algorithm="13")),
        failing("absent without force", "hsm_key", **hsm_args(softhsm, label="example-ksk", state="absent")),
        {"name": "ambiguous with id", "rsp.dnssec.hsm_key": hsm_args(softhsm, label="duplicate", key_id="02",
                                                                     algorithm="13")},
    ])
    assert_failed(run, "other algorithm", "refusing to replace an existing HSM key",
                  f"ECDSA P-256 key id {p256_id}", "algorithm 15 (ED25519")
    assert_failed(run, "other size", "refusing to replace an existing HSM key", "has 2048 bits, not 4096")
    assert_failed(run, "id with other label", f"key id {p256_id} exists with label 'example-ksk'")
    assert_failed(run, "ambiguous", "label 'duplicate' names 2 key pairs (CKA_IDs 01, 02)", "give key_id")
    assert_failed(run, "absent without force", "irreversible", "force: true")
    assert run.task("ambiguous with id").status == "ok" and run.task("ambiguous with id")["key_id"] == "02"
    assert softhsm.key_pairs() == before


def test_mechanism_not_supported_by_token(ansible_playbook):
    """p11-kit's trust module is a real PKCS#11 module whose token offers no signing mechanism."""
    if not os.path.exists(P11_KIT_TRUST):
        pytest.fail(f"{P11_KIT_TRUST} is missing: install the apt package p11-kit-modules")
    run = ansible_playbook([failing("no mechanism", "hsm_key", module=P11_KIT_TRUST,
                                    token_label="System Trust", label="k", algorithm="15")])
    assert_failed(run, "no mechanism", "cannot do algorithm 15 (ED25519)",
                  "it needs CKM_EC_EDWARDS_KEY_PAIR_GEN and CKM_EDDSA",
                  "does not offer CKM_EC_EDWARDS_KEY_PAIR_GEN, CKM_EDDSA")


def test_token_full(softhsm_factory, ansible_playbook, tmp_path):
    """A SoftHSM2 token on a full file system: "token full", and no key (not even half of one)."""
    if os.geteuid() != 0 or shutil.which("mount") is None:
        pytest.skip("needs root to mount a small tmpfs as the token directory")
    directory = tmp_path / "full"
    (directory / "tokens").mkdir(parents=True)
    mounted = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=256k,mode=0700", "tmpfs",
                              str(directory / "tokens")], capture_output=True, text=True, check=False)
    if mounted.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {mounted.stderr.strip()}")
    try:
        hsm = softhsm_factory("full")
        filler = Path(directory / "tokens" / "filler")
        with open(filler, "wb", buffering=0) as handle:  # take every free block
            try:
                while True:
                    handle.write(b"\0" * 4096)
            except OSError:
                pass
        run = ansible_playbook([failing("full", "hsm_key", **hsm_args(hsm, label="k", algorithm="13"))],
                               env=hsm.env)
        assert_failed(run, "full", "is full", "no key was created", f"{directory / 'tokens'}")
        filler.unlink()
        assert hsm.key_pairs() == []
    finally:
        subprocess.run(["umount", str(directory / "tokens")], check=False)


def test_ds_export_errors(tmp_path, ansible_playbook):
    ksk = f"example.net. 3600 IN DNSKEY 257 3 13 {P256}"
    tasks = [
        failing("malformed", "ds_export", dnskeys=["example.net. 3600 IN DNSKEY 257 3 13 not!base64"]),
        failing("truncated key", "ds_export", dnskeys=["example.net. 3600 IN DNSKEY 257 3 13 AAAA"]),
        failing("not dnskey", "ds_export", dnskeys=[ksk, "example.net. 3600 IN DS 55648 13 2 B4C8"]),
        failing("unknown algorithm", "ds_export", dnskeys=["example.net. DNSKEY 257 3 99 AAAA"]),
        failing("no owner", "ds_export", dnskeys=[f"257 3 13 {P256}"]),
        failing("only zsk", "ds_export", dnskeys=[ksk.replace(" 257 ", " 256 ")]),
        failing("sha1", "ds_export", dnskeys=[ksk], digests=["sha1"]),
        failing("xml for two zones", "ds_export", dnskeys=[ksk, ksk.replace("example.net.", "example.org.")],
                format="xml", dest=str(tmp_path / "ds.xml")),
        failing("no zone for server", "ds_export", server="127.0.0.1"),
        failing("two sources", "ds_export", dnskeys=[ksk], server="127.0.0.1", zone="example.net."),
    ]
    run = ansible_playbook(tasks)
    assert_failed(run, "malformed", "line 1: malformed DNSKEY")
    assert_failed(run, "truncated key", "uncompressed point of 64 octets")
    assert_failed(run, "not dnskey", "line 1: not a DNSKEY record")
    assert_failed(run, "unknown algorithm", "unknown DNSSEC algorithm number 99")
    assert_failed(run, "no owner", "without an owner name")
    assert_failed(run, "only zsk", "no DS to export", "include_zsk: true")
    assert_failed(run, "sha1", "dnssec-92")
    assert_failed(run, "xml for two zones", "per domain", "example.net., example.org.")
    assert_failed(run, "no zone for server", "zone is required")
    assert_failed(run, "two sources", "mutually exclusive")
    assert not (tmp_path / "ds.xml").exists()


def test_lock_timeout_names_the_holder(softhsm, ansible_playbook):
    holder = subprocess.Popen(["flock", str(softhsm.lock), "sleep", "60"], start_new_session=True)
    try:
        locked = failing("locked", "hsm_key", **hsm_args(softhsm, label="k", algorithm="13", lock_timeout=1))
        run = ansible_playbook([locked])
        assert_failed(run, "locked", f"the PKCS#11 lock {softhsm.lock} stayed busy for 1 s", "held by pid",
                      "sleep 60")
    finally:
        os.killpg(holder.pid, 9)
        holder.wait()
    assert softhsm.key_pairs() == []
