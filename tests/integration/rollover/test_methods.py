# Copyright: rsp.dnssec contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt)
"""Every rollover method through the modules, on real daemons, with the real clock.

One lab, one zone per method, all advanced by the same ``rollover`` task (as
the daily job does): ZSK pre-publication, KSK Double-DS, KSK Double-KSK, CSK,
algorithm 13 -> 8 (``alg.``) and 8 -> 13 (``alg8.``, brought up with RSA keys),
and the emergency KSK swap with a standby KSK. (The two algorithm rollovers run
side by side to keep the test short; one zone going 13 -> 8 -> 13 is in the
unit tests.) After
every run, every zone is validated from the lab root's trust anchor (the DS at
the parent, on the signer and on the secondary) and its AXFR by dnspython and
``ldns-verify-zone``.
"""

from __future__ import annotations

import pytest
from rollover_lab import POLICY, submit_ds, wait_until

pytestmark = pytest.mark.slow

ZONES = {
    # A longer publish margin for zsk. (Ipub = 1 + 2 + 30 s): its start is run four times, and the
    # runs after the first must find nothing due.
    "zsk.": ("zsk", {"publish_safety": 30}, ["publish", "activate", "remove", "complete"]),
    "ksk.": ("ksk", {}, ["ds-add", "swap-ksk", "ds-remove", "complete"]),
    "dksk.": ("ksk", {"rollover": {"ksk": "double-ksk"}}, ["publish", "ds-swap", "remove", "complete"]),
    "csk.": ("csk", {"key_scheme": "csk"}, ["publish", "ds-swap", "remove", "complete"]),
    "alg.": ("algorithm", {}, ["sign-new", "publish-new", "ds-swap", "unpublish-old", "unsign-old", "complete"]),
    "alg8.": ("algorithm", {"algorithm": 8}, ["sign-new", "publish-new", "ds-swap", "unpublish-old", "unsign-old",
                                              "complete"]),
    "emerg.": ("emergency_ksk", {"standby_ksk": True}, ["activate-standby", "ds-remove", "complete"]),
}


def policy_for(zone: str) -> dict:
    return {**POLICY, **ZONES[zone][1]}


def test_zone_keys_and_every_method_keep_the_chain(lab_factory, tmp_path):
    zones = list(ZONES)
    lab = lab_factory(zones)
    plain = ["zsk.", "ksk.", "dksk.", "alg."]
    bring_up = lab.zone_keys(plain)
    others = [lab.zone_keys([zone], policy=policy_for(zone)) for zone in ("csk.", "emerg.", "alg8.")]

    # zone_keys four times: check (changes nothing: no key in the HSM, no state), then real, check
    # and real again (nothing to do).
    dry = lab.ok(checked(bring_up)).results[0]
    assert dry.changed and lab.hsm_ids() == [] and not list(lab.state_dir.glob("zones/*.json"))
    assert {k["role"] for k in dry["zones"]["zsk."]["would_create"]} == {"ksk", "zsk"}
    runs = lab.ok(bring_up, checked(bring_up), bring_up, *others).results
    assert runs[0].changed and not runs[1].changed and not runs[2].changed, [r.result for r in runs[1:3]]
    assert all(r.changed for r in runs[3:])
    results = {z: r for run in (runs[0], *runs[3:]) for z, r in run["zones"].items()}
    assert len(lab.hsm_ids()) == 5 * 2 + 1 + 3  # KSK+ZSK x5, one CSK, KSK+ZSK+standby

    # The DS to submit for each new zone; then the chain validates from the root's key.
    assert len(results["emerg."]["ds_to_submit"]) == 2  # current KSK and the standby
    for zone in zones:
        submit_ds(lab, zone, results[zone]["ds_to_submit"])
    lab.wait_secondary(zones)
    for zone in zones:
        found = lab.validate(zone, tmp_path)
        assert len(found["dnskey_tags"]) == (1 if zone == "csk." else 2)

    # rollover start four times (zsk.): check (generates nothing), real, check and real again.
    start = lab.rollover(["zsk."], "start", method="zsk", change_id="CHG-ZSK", policy=policy_for("zsk."))
    dry = lab.ok(start, check=True)
    assert dry.results[0].changed and len(lab.hsm_ids()) == 14
    assert dry.results[0]["zones"]["zsk."]["steps"][0]["name"] == "publish"
    four = lab.ok(start, checked(start), start).results
    first = four[0]
    assert first.changed and len(lab.hsm_ids()) == 15
    assert first["zones"]["zsk."]["performed"] == [f"step 1 'publish': publish DNSKEY "
                                                   f"{_new_tag(lab, 'zsk.')}/13"]
    for again in four[1:]:
        zone = again["zones"]["zsk."]
        assert not again.changed and "already running" in zone["notes"][0]
        assert zone["step"] == 2 and zone["blocking"]

    starts = [lab.rollover([z], "start", method=ZONES[z][0], policy=policy_for(z),
                           **({"algorithm": "8"} if z == "alg." else {}),
                           **({"algorithm": "13"} if z == "alg8." else {}),
                           **({"standby": True} if z == "emerg." else {}))
              for z in zones if z != "zsk."]
    performed = {zone: [] for zone in zones}
    for run in lab.ok(*starts).results:
        for zone, result in run["zones"].items():
            performed[zone] += [text.split("'")[1] for text in result.get("performed") or []]

    changed = zones
    for _round in range(40):
        # The chain of trust after every step: from the root's key, on both servers, AXFR validated.
        lab.wait_secondary(changed)
        for zone in changed:
            lab.validate(zone, tmp_path)
        run = lab.ok(lab.rollover(zones, "advance"))
        zone_results = run.results[0]["zones"]
        changed = [z for z, r in zone_results.items() if r.get("changed")]
        for zone, result in zone_results.items():
            for text in result.get("performed") or []:
                performed[zone].append(text.split("'")[1])
        if all(r.get("method") is None or r.get("complete") for r in zone_results.values()):
            break
        waiting = [r.get("due_at") for r in zone_results.values() if r.get("method") and not r.get("complete")]
        wait_until(min([w for w in waiting if w] or [None]), limit=6)
    else:
        pytest.fail(f"the rollovers did not complete: {performed}")

    lab.wait_secondary(zones)
    for zone in zones:
        lab.validate(zone, tmp_path)
        steps = ZONES[zone][2]
        if zone == "zsk.":
            steps = steps[1:]  # step 1 ran with the start task above
        assert performed[zone] == steps, (zone, performed[zone])

    # Where every key ended: current keys in Knot, retired keys archived, every key still in the HSM.
    for zone in zones:
        state = lab.state(zone)
        assert state["rollover"] is None and state["history"]
        entries = state["keys"]
        current = {e["hsm_id"] for e in entries.values() if e.get("use") == "current"}
        archived = {e["hsm_id"] for e in entries.values() if e["status"] == "archived"}
        standby = {e["hsm_id"] for e in entries.values() if e.get("use") == "standby"}
        assert {k["id"] for k in lab.knot_keys(zone)} == current | standby
        assert archived and not archived & current
        assert set(entries) <= set(lab.hsm_ids())
    for zone, algorithm in (("alg.", 8), ("alg8.", 13)):
        assert {e["algorithm"] for e in lab.state(zone)["keys"].values() if e.get("use") == "current"} == {algorithm}
    # The emergency swapped in the standby and made a new standby, whose DS is at the parent.
    emerg = lab.state("emerg.")["keys"]
    standby = [e for e in emerg.values() if e.get("use") == "standby"]
    assert len(standby) == 1 and standby[0]["tag"] in {d.key_tag for d in lab.parent_ds("emerg.")}

    # Every step is in the audit journal with its change id.
    journal = lab.journal("zsk.")
    assert [r["step"] for r in journal if r["step"].startswith("step")] == [
        "step 1 publish", "step 2 activate", "step 3 remove", "step 4 complete"]
    assert {r["change_id"] for r in journal if r["step"].startswith("step")} == {"CHG-ZSK"}

    # Nothing due: advance changes nothing (check mode and real); zone_status finds no problem.
    idle = lab.ok(checked(lab.rollover(zones, "advance")), lab.rollover(zones, "advance"),
                  lab.zone_status(zones, policy=POLICY)).results
    assert not any(r.changed for r in idle)
    status = idle[2]
    for zone in zones:
        assert status["zones"][zone]["problems"] == [], (zone, status["zones"][zone]["problems"])
        assert len(set(status["zones"][zone]["soa"].values())) == 1
        assert {k["use"] for k in status["zones"][zone]["keys"]} <= {"current", "standby"}


def checked(task: dict) -> dict:
    """The same task in check mode."""
    return {**task, "check_mode": True}


def _new_tag(lab, zone: str) -> int:
    rollover = lab.state(zone)["rollover"]
    new = [k for k in rollover["plan"]["keys"] if k["id"] in rollover["plan"]["after"]["current"]
           and k["id"] not in rollover["plan"]["initial"]["dnskey"]]
    return new[0]["tag"]
