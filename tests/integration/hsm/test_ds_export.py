# Copyright: rsp.dnssec contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt)
"""rsp.dnssec.ds_export from text, from a real SoftHSM2 token, and from a real knotd."""

from __future__ import annotations

import json
import os
import stat
from pathlib import Path

import pytest
from helpers import ZoneServer
from hsm_helpers import hsm_args, key_task

XSD = Path(__file__).resolve().parents[2] / "unit" / "plugins" / "module_utils" / "dnssec" / "secDNS-1.1.xsd"
P256 = "GojIhhXUN/u4v54ZQqGSnyhWJwaubCvTmeexv7bR6edbkrSqQpF64cYbcB7wNcP+e+MAnLr+Wi9xMWyQLc8NAA=="
P256_DS = "55648 13 2 B4C8C1FE2E7477127B27115656AD6256F424625BF5C1E2770CE6D6E37DF61D17"
ZSK = "l02Woi0iS8Aa25FQkUd9RMzZHJpBoRQwAQEX1SxZJA4="


def test_text_source_four_runs_three_formats(tmp_path, ansible_playbook):
    out = tmp_path / "ds"
    out.mkdir()
    dnskeys = [f"example.net. 3600 IN DNSKEY 257 3 13 {P256}", f"example.net. 3600 IN DNSKEY 256 3 15 {ZSK}"]
    tasks = [{"name": fmt, "rsp.dnssec.ds_export": {
        "dnskeys": dnskeys, "digests": ["sha256", "sha384"], "ttl": 86400, "format": fmt,
        "dest": str(out / f"example.net.{fmt}"), "mode": "0640"}} for fmt in ("zone", "json", "xml")]

    check = ansible_playbook(tasks, check=True, diff=True).assert_ok()
    for fmt in ("zone", "json", "xml"):
        assert check.task(fmt).changed and check.task(fmt)["diff"]["before"] == ""
    assert list(out.iterdir()) == []

    real = ansible_playbook(tasks, diff=True).assert_ok()
    assert all(real.task(fmt).changed for fmt in ("zone", "json", "xml"))
    zone_text = (out / "example.net.zone").read_text()
    lines = zone_text.splitlines()
    assert lines[0] == f"example.net. 86400 IN DS {P256_DS}" and len(lines) == 2
    assert lines[1].startswith("example.net. 86400 IN DS 55648 13 4 ")
    assert real.task("zone")["diff"]["after"] == zone_text
    assert real.task("zone")["skipped_keys"] == [{"zone": "example.net.", "keytag": 3612, "flags": 256,
                                                  "reason": "not a secure entry point"}]
    document = json.loads((out / "example.net.json").read_text())
    assert [d["key_tag"] for d in document["ds"]] == [55648, 55648]
    assert document["ds"][0]["dnskey"] == {"flags": 257, "protocol": 3, "algorithm": 13, "public_key": P256}
    xmlschema = pytest.importorskip("xmlschema", reason="xmlschema validates against RFC 5910's schema")
    xmlschema.XMLSchema(str(XSD)).validate(str(out / "example.net.xml"))
    assert stat.S_IMODE(os.stat(out / "example.net.json").st_mode) == 0o640

    for run in (ansible_playbook(tasks, check=True), ansible_playbook(tasks)):
        assert not any(r.changed for r in run.assert_ok().results)

    # a new key changes the file, and diff mode shows it
    dnskeys.append(f"example.net. 3600 IN DNSKEY 257 3 15 {ZSK}")
    changed = ansible_playbook(tasks[:1], diff=True).assert_ok().task("zone")
    assert changed.changed and "IN DS 3613 15 2 " in changed["diff"]["after"]
    assert "3613" not in changed["diff"]["before"]


def test_hsm_source(softhsm, ansible_playbook, module_python):
    both = ["sha256", "sha384"]
    keys = [key_task("ksk", softhsm, label="example-ksk-13", algorithm="13", zone="example.", digests=both),
            key_task("rsa", softhsm, label="example-ksk-8", algorithm="8", zone="example.", digests=both)]
    made = ansible_playbook(keys, python=module_python).assert_ok()
    ksk, rsa = made.task("ksk"), made.task("rsa")
    export = [{"name": "export", "rsp.dnssec.ds_export": hsm_args(
        softhsm, zone="example.", digests=["sha256", "sha384"],
        hsm_keys=[{"label": "example-ksk-13"}, {"key_id": rsa["key_id"], "algorithm": "RSASHA256"}])},
        {"name": "rsa without algorithm", "ignore_errors": True, "rsp.dnssec.ds_export": hsm_args(
            softhsm, zone="example.", hsm_keys=[{"label": "example-ksk-8"}])}]
    run = ansible_playbook(export, python=module_python)
    result = run.task("export")
    assert result.status == "ok" and not result.changed
    from_hsm_key = [line.replace(" 3600 IN DS ", " IN DS ") for line in ksk["ds"] + rsa["ds"]]
    assert result["zone_lines"].splitlines() == from_hsm_key
    assert [d["key_tag"] for d in result["ds"]] == [ksk["keytag"]] * 2 + [rsa["keytag"]] * 2
    failed = run.task("rsa without algorithm")
    assert failed.failed and "could be algorithm 8 or 10" in failed.msg


def test_server_source(softhsm, ansible_playbook, tmp_path):
    made = ansible_playbook([
        key_task("ksk", softhsm, label="ksk", algorithm="15", zone="example."),
        key_task("zsk", softhsm, label="zsk", algorithm="15", role="zsk", zone="example."),
    ]).assert_ok()
    zone = ("$TTL 3600\n@ SOA ns1 hostmaster 1 3600 600 86400 300\n@ NS ns1\nns1 A 127.0.0.1\n"
            + made.task("ksk")["dnskey"] + "\n" + made.task("zsk")["dnskey"] + "\n")
    with ZoneServer(tmp_path / "knot", {"example.": zone}) as server:
        tasks = [
            {"name": "sep only", "rsp.dnssec.ds_export": {
                "zone": "example.", "server": "127.0.0.1", "port": server.port}},
            {"name": "with zsk", "rsp.dnssec.ds_export": {
                "zone": "example", "server": f"127.0.0.1@{server.port}", "include_zsk": True}},
            {"name": "not served", "ignore_errors": True, "rsp.dnssec.ds_export": {
                "zone": "example.org.", "server": f"127.0.0.1@{server.port}"}},
        ]
        run = ansible_playbook(tasks)
    sep_only, with_zsk, not_served = run.task("sep only"), run.task("with zsk"), run.task("not served")
    ksk_ds = made.task("ksk")["ds"][0].replace(" 3600 IN ", " IN ")
    assert sep_only.status == "ok" and sep_only["zone_lines"].splitlines() == [ksk_ds]
    assert len(sep_only["dnskeys"]) == 2 and sep_only["skipped_keys"][0]["flags"] == 256
    zsk_ds = made.task("zsk")["ds"][0].replace(" 3600 IN ", " IN ")
    assert sorted(with_zsk["zone_lines"].splitlines()) == sorted([ksk_ds, zsk_ds])
    assert not_served.failed and "REFUSED" in not_served.msg and f"127.0.0.1#{server.port}" in not_served.msg


def test_filters_in_a_playbook(ansible_playbook):
    ksk = f"example.net. 3600 IN DNSKEY 257 3 13 {P256}"
    run = ansible_playbook([
        {"name": "filters", "ansible.builtin.set_fact": {
            "tag": "{{ ksk | rsp.dnssec.keytag }}", "ds": "{{ ksk | rsp.dnssec.dnskey_to_ds }}",
            "ds384": "{{ ksk | rsp.dnssec.dnskey_to_ds('sha384') }}"}},
        {"name": "sha1", "ignore_errors": True, "ansible.builtin.set_fact": {
            "bad": "{{ ksk | rsp.dnssec.dnskey_to_ds('sha1') }}"}},
    ], extra_vars={"ksk": ksk})
    facts = run.task("filters")["ansible_facts"]
    assert int(facts["tag"]) == 55648 and facts["ds"] == P256_DS
    assert facts["ds384"].startswith("55648 13 4 ")
    assert run.task("sha1").failed and "dnssec-92" in run.task("sha1").msg
