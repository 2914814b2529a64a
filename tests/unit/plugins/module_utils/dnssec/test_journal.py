# Copyright: rsp.dnssec contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt)
"""Zone state, audit journal and the state/engine comparison (no daemons)."""

from __future__ import annotations

import json
import os

import pytest

from ansible_collections.rsp.dnssec.plugins.module_utils.dnssec.engine.base import EngineKey, KeyTimers
from ansible_collections.rsp.dnssec.plugins.module_utils.dnssec.journal import (
    JournalError,
    JournalLocked,
    StateCorrupt,
    StateDisagreement,
    ZoneJournal,
    assert_agrees,
    compare_with_engine,
    new_state,
    record_key,
    set_pending,
    zone_filename,
)

CLOCK = 1_767_225_600.0  # 2026-01-01T00:00:00Z


def key(hsm_id: str, tag: int, role: str = "zsk", **timers) -> EngineKey:
    return EngineKey(key_id=hsm_id, hsm_id=hsm_id, tag=tag, algorithm=13, role=role,
                     timers=KeyTimers(**timers))


def test_zone_filenames():
    assert zone_filename("Example.COM.") == "example.com"
    assert zone_filename(".") == "_root"
    assert zone_filename("") == "_root"
    assert zone_filename("a/b.example") == "a%2fb.example"
    assert zone_filename("xn--bcher-kva.example.") == "xn--bcher-kva.example"


def test_save_and_load_round_trip(tmp_path):
    journal = ZoneJournal(str(tmp_path / "zones"), "Example.", actor="ops@signer1", clock=lambda: CLOCK)
    assert journal.load() == new_state("example.")
    with pytest.raises(JournalError, match="needs the zone's lock"):
        journal.save(journal.load())
    with journal:
        state = journal.load()
        state["rollover"] = {"method": "ksk", "step": 0}
        saved = journal.save(state)
    assert saved["revision"] == 1 and saved["updated"] == "2026-01-01T00:00:00Z"
    assert journal.load() == saved
    assert oct(os.stat(journal.state_path).st_mode & 0o777) == "0o640"
    with open(journal.state_path) as handle:
        assert json.load(handle)["rollover"] == {"method": "ksk", "step": 0}


def test_load_refuses_damaged_or_foreign_state(tmp_path):
    journal = ZoneJournal(str(tmp_path), "example.")
    os.makedirs(tmp_path, exist_ok=True)
    with open(journal.state_path, "w") as handle:
        handle.write('{"schema": 1, "zone": "exa')
    with pytest.raises(StateCorrupt, match=r"not valid JSON.*audit journal"):
        journal.load()
    with open(journal.state_path, "w") as handle:
        json.dump({"schema": 1, "zone": "other."}, handle)
    with pytest.raises(StateCorrupt, match=r"is for zone other\., not example\."):
        journal.load()
    with open(journal.state_path, "w") as handle:
        json.dump({"schema": 99, "zone": "example."}, handle)
    with pytest.raises(StateCorrupt, match="schema 99"):
        journal.load()


def test_journal_records_and_filter(tmp_path):
    ticks = iter([CLOCK - 1, CLOCK, CLOCK + 1, CLOCK + 2])  # the lock takes the first
    with ZoneJournal(str(tmp_path), "example.", actor="ci", clock=lambda: next(ticks)) as journal:
        first = journal.append("start", change_id="CHG-1", keys=[key("01", 1)],
                               details={"method": "zsk"})
        journal.append("publish-new", change_id="CHG-1", observations=[{"what": "dnskey"}])
        journal.append("start", change_id="CHG-2", actor="someone-else")
    assert first["time"] == "2026-01-01T00:00:00Z" and first["keys"][0]["tag"] == 1
    assert [r["step"] for r in journal.records("CHG-1")] == ["start", "publish-new"]
    assert journal.records()[2]["actor"] == "someone-else"
    assert journal.records()[1]["observations"] == [{"what": "dnskey"}]


def test_lock_is_exclusive_and_names_the_holder(tmp_path):
    first = ZoneJournal(str(tmp_path), "example.", actor="first-run")
    second = ZoneJournal(str(tmp_path), "example.", actor="second-run", lock_timeout=0.1)
    with first:
        with pytest.raises(JournalLocked, match=f"pid {os.getpid()}, first-run"):
            second.lock()
        assert not second.locked
    with second:
        assert second.locked
    other_zone = ZoneJournal(str(tmp_path), "other.", lock_timeout=0.1)
    with first, other_zone:  # zones do not block each other
        assert first.locked and other_zone.locked


def test_compare_agrees_and_reports_every_kind_of_disagreement():
    engine = [key("01", 100, "ksk", publish=10, active=10), key("02", 200, publish=10, active=10)]
    state = new_state("example.")
    for k in engine:
        record_key(state, k)
    assert compare_with_engine(state, engine).agrees

    extra = [*engine, key("03", 300, publish=20)]
    problems = compare_with_engine(state, extra).problems
    assert problems == ["the engine has key 300 (id 03, ZSK algorithm 13) which the state of zone "
                        "example. does not know (added by hand?)"]

    changed = [engine[0], key("02", 200, publish=10, active=10, retire=50)]
    (problem,) = compare_with_engine(state, changed).problems
    assert "key 200 (id 02, ZSK algorithm 13): the engine has active=1970-01-01T00:00:10Z, " in problem
    assert "retire=1970-01-01T00:00:50Z but the state records active=" in problem

    (problem,) = compare_with_engine(state, engine[:1]).problems
    assert "the state has key 200 (id 02, ZSK) in zone example., but the engine does not" in problem

    wrong_role = [key("01", 100, "csk", publish=10, active=10), engine[1]]
    assert compare_with_engine(state, wrong_role).problems == [
        "key 100 (id 01, CSK algorithm 13): the state records role ksk"]

    with pytest.raises(StateDisagreement, match="never guesses") as error:
        assert_agrees(state, extra)
    assert error.value.zone == "example." and len(error.value.problems) == 1


def test_pending_and_importing_changes_are_recognised():
    engine = [key("01", 100, "ksk", publish=10, active=10), key("02", 200, publish=10, active=10)]
    state = new_state("example.")
    for k in engine:
        record_key(state, k)
    set_pending(state, "02", {"retire": 50})
    assert compare_with_engine(state, engine).unfinished == {
        "02": "key 200 (id 02, ZSK algorithm 13): timers active=1970-01-01T00:00:10Z, "
              "publish=1970-01-01T00:00:10Z, retire=1970-01-01T00:00:50Z were decided but not set in the "
              "engine (a run stopped half-way)"}
    done = [engine[0], key("02", 200, publish=10, active=10, retire=50)]
    agreement = compare_with_engine(state, done)
    assert agreement.agrees and list(agreement.finished) == ["02"]
    # Neither the recorded nor the pending timers: a real disagreement.
    assert not compare_with_engine(state, [engine[0], key("02", 200, publish=10, active=99)]).agrees

    record_key(state, {"hsm_id": "03", "tag": 300, "algorithm": 13, "role": "zsk"}, status="importing")
    assert "was decided but not imported yet" in compare_with_engine(state, engine).unfinished["03"]
    imported = [*engine, key("03", 300, publish=60)]
    assert "03" in compare_with_engine(state, imported).finished


def test_archived_keys():
    state = new_state("example.")
    record_key(state, key("01", 100, "ksk", publish=10, active=10))
    record_key(state, key("09", 900, publish=1, active=1, retire=5, remove=9), status="archived")
    engine = [key("01", 100, "ksk", publish=10, active=10)]
    assert compare_with_engine(state, engine, archived_ids=["09"]).agrees
    assert "the engine's archive does not hold it" in compare_with_engine(
        state, engine, archived_ids=["08"]).problems[0]
    still_there = [*engine, key("09", 900, publish=1, active=1, retire=5, remove=9)]
    assert "is archived, but it is still in the engine's key set" in compare_with_engine(
        state, still_there).problems[0]
    with pytest.raises(ValueError, match="key status"):
        record_key(state, engine[0], status="gone")
