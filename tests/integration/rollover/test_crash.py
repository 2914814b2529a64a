# Copyright: rsp.dnssec contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt)
"""Runs killed in the middle of a step, on real daemons: the next run converges,
no key is lost or made twice, and the chain of trust holds throughout.

The executor ends its process at a named point when ``RSP_DNSSEC_TEST_CRASH_AT``
says so (``os._exit(1)``: no cleanup, no state write after that point, like a
kill). Five points, five zones:

* ``c1.`` zone_keys killed after the HSM generated the keys, before Knot imported them;
* ``c5.`` zone_keys killed after Knot imported them, before the state recorded it;
* ``c2.`` ZSK rollover killed after Knot's timers were set, before the state recorded the step;
* ``c3.`` KSK Double-DS killed after the parent's DS was updated, before the state recorded it;
* ``c4.`` ZSK rollover killed after Knot archived the old key, before the state recorded it.

The modules run with the interpreter that has Debian 13's library versions
(python-pkcs11 0.7.0, dnspython 2.7.0), as on a signer.
"""

from __future__ import annotations

import pytest
from rollover_lab import submit_ds, wait_until

pytestmark = pytest.mark.slow

ZONES = ["c1.", "c2.", "c3.", "c4.", "c5."]
CRASH = "RSP_DNSSEC_TEST_CRASH_AT"


def crashing(task: dict, point: str, zone: str) -> dict:
    return {**task, "environment": {CRASH: f"{point}@{zone}"}, "ignore_errors": True}


def assert_killed(result) -> None:
    assert result.status == "ignored", result.result
    assert "MODULE FAILURE" in result.msg or result.get("rc") == 1, result.result


def test_killed_runs_converge(lab_factory, compat_python, tmp_path):
    lab = lab_factory(ZONES)
    lab.playbook.python = str(compat_python)

    # zone_keys killed at two points.
    run = lab.run(lab.zone_keys(["c2.", "c3.", "c4."]),
                  crashing(lab.zone_keys(["c1."]), "key-generated", "c1."),
                  crashing(lab.zone_keys(["c5."]), "key-imported", "c5."))
    assert run.results[0].status == "changed"
    assert_killed(run.results[1])
    assert_killed(run.results[2])
    c1 = lab.state("c1.")["keys"]
    assert len(c1) == 2 and {e["status"] for e in c1.values()} == {"importing"}
    assert set(c1) <= set(lab.hsm_ids()) and lab.knot_keys("c1.") == []  # in the HSM, not in Knot
    c5 = lab.state("c5.")["keys"]
    assert {e["status"] for e in c5.values()} == {"importing"} and len(lab.knot_keys("c5.")) == 2

    again = lab.ok(lab.zone_keys(["c1.", "c5."]), lab.zone_keys(ZONES)).results
    assert again[0].changed and not again[1].changed
    for zone in ("c1.", "c5."):
        entries = lab.state(zone)["keys"]
        assert {e["status"] for e in entries.values()} == {"active"} and len(entries) == 2
        assert {k["id"] for k in lab.knot_keys(zone)} == set(entries)
    assert len(lab.hsm_ids()) == 2 * len(ZONES)  # nothing generated twice
    results = again[1]["zones"]
    for zone in ZONES:
        submit_ds(lab, zone, results[zone]["ds_to_submit"])
    lab.wait_secondary(ZONES)
    for zone in ZONES:
        lab.validate(zone, tmp_path)

    # Rollovers killed: after Knot's timers, after the parent's update.
    run = lab.run(crashing(lab.rollover(["c2."], "start", method="zsk"), "timers-set", "c2."),
                  crashing(lab.rollover(["c3."], "start", method="ksk"), "parent-updated", "c3."),
                  lab.rollover(["c4."], "start", method="zsk"))
    assert_killed(run.results[0])
    assert_killed(run.results[1])
    assert run.results[2].status == "changed"
    assert lab.state("c2.")["rollover"]["performing"]["index"] == 0
    assert lab.state("c3.")["rollover"]["performing"]["index"] == 0
    assert len(lab.parent_ds("c3.")) == 2  # the parent has both DS; the state does not say so yet
    lab.wait_secondary(ZONES)
    for zone in ("c2.", "c3."):
        lab.validate(zone, tmp_path)  # the chain holds in the state the kill left

    archived_kill = False
    for _round in range(40):
        tasks = [lab.rollover([z for z in ZONES if z != "c4." or archived_kill], "advance")]
        if not archived_kill:
            tasks.append(crashing(lab.rollover(["c4."], "advance"), "key-archived", "c4."))
        run = lab.run(*tasks)
        assert run.results[0].status in ("ok", "changed"), run.results[0].result
        if not archived_kill and run.results[1].status == "ignored":
            assert_killed(run.results[1])
            archived_kill = True
            state = lab.state("c4.")
            assert state["rollover"]["performing"]["archive"]  # begun, not recorded
            leaving = state["rollover"]["performing"]["archive"][0]
            assert leaving not in {k["id"] for k in lab.knot_keys("c4.")}  # Knot archived it already
        zone_results = run.results[0]["zones"]
        notes = [n for r in zone_results.values() for n in r.get("notes") or []]
        if any("interrupted run" in n for n in notes):
            assert any("begun by an interrupted run" in n for n in notes)
        lab.wait_secondary(ZONES)
        for zone in ZONES:
            lab.validate(zone, tmp_path)
        if archived_kill and all(lab.state(z)["rollover"] is None for z in ("c2.", "c3.", "c4.")):
            break
        wait_until(min([r.get("due_at") for r in zone_results.values() if r.get("due_at")] or [None]), limit=6)
    else:
        pytest.fail("the interrupted rollovers did not converge")

    # No key lost, none made twice, none left out of the state; every retired key archived in Knot.
    every = {}
    for zone in ZONES:
        state = lab.state(zone)
        every.update(state["keys"])
        assert all(e["status"] in ("active", "archived") for e in state["keys"].values())
        current = {i for i, e in state["keys"].items() if e["status"] == "active"}
        assert {k["id"] for k in lab.knot_keys(zone)} == current
    assert set(lab.hsm_ids()) == set(every)
    assert len(every) == 2 * len(ZONES) + 3
    histories = {z: [h["method"] for h in lab.state(z)["history"]] for z in ("c2.", "c3.", "c4.")}
    assert histories == {"c2.": ["zsk-pre-publish"], "c3.": ["ksk-double-ds"], "c4.": ["zsk-pre-publish"]}
    journal = [r["step"] for r in lab.journal("c2.")]
    assert journal.count("step 1 publish") == 1 and journal.count("rollover-start") == 1
