# Copyright: rsp.dnssec contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt)
"""Journal safety with real processes: writers killed mid-write, two runs at
once, and the state disagreeing with a real Knot."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from ansible_collections.rsp.dnssec.plugins.module_utils.dnssec.engine.base import KeyTimers
from ansible_collections.rsp.dnssec.plugins.module_utils.dnssec.journal import (
    StateDisagreement,
    ZoneJournal,
    assert_agrees,
    record_key,
    set_pending,
)

COLLECTIONS = str(Path(__file__).resolve().parents[3] / ".cache" / "collections")


def run_python(code: str, *args: str, wait: bool = True):
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([COLLECTIONS, *sys.path])}
    argv = [sys.executable, "-c", textwrap.dedent(code), *args]
    if wait:
        return subprocess.run(argv, env=env, capture_output=True, text=True, timeout=60, check=False)
    return subprocess.Popen(argv, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


PRELUDE = """
import os, signal, sys
from ansible_collections.rsp.dnssec.plugins.module_utils.dnssec.journal import ZoneJournal
journal = ZoneJournal(sys.argv[1], "example.", actor="killed-writer")
"""


def test_killed_between_write_and_rename_keeps_old_state(tmp_path):
    with ZoneJournal(str(tmp_path), "example.") as journal:
        state = journal.load()
        state["rollover"] = {"method": "zsk", "step": 1}
        journal.save(state)
    before = Path(journal.state_path).read_bytes()

    # The writer fsyncs the new file, then dies by SIGKILL just before its rename.
    result = run_python(PRELUDE + """
real_replace = os.replace
def die(src, dst):
    os.kill(os.getpid(), signal.SIGKILL)
os.replace = die
with journal:
    state = journal.load()
    state["rollover"]["step"] = 2
    journal.save(state)
""", str(tmp_path))
    assert result.returncode == -signal.SIGKILL, result.stderr
    leftovers = [p.name for p in tmp_path.iterdir() if ".tmp." in p.name]
    assert leftovers, "the killed writer should have left its temporary file"
    assert Path(journal.state_path).read_bytes() == before

    with ZoneJournal(str(tmp_path), "example.") as journal:
        state = journal.load()
        assert state["rollover"] == {"method": "zsk", "step": 1} and state["revision"] == 1
        assert not [p.name for p in tmp_path.iterdir() if ".tmp." in p.name]  # cleaned under the lock
        state["rollover"]["step"] = 2
        assert journal.save(state)["revision"] == 2
    assert ZoneJournal(str(tmp_path), "example.").load()["rollover"]["step"] == 2


def test_killed_in_the_middle_of_a_journal_line(tmp_path):
    with ZoneJournal(str(tmp_path), "example.") as journal:
        journal.append("start", change_id="CHG-1", details={"method": "zsk"})
    # Dies after writing half of its record (a partial os.write, then SIGKILL).
    result = run_python(PRELUDE + """
real_write = os.write
def half(fd, data):
    if len(data) > 20 and b'"step"' in bytes(data):
        real_write(fd, bytes(data)[: len(data) // 2])
        os.kill(os.getpid(), signal.SIGKILL)
    return real_write(fd, data)
os.write = half
with journal:
    journal.append("publish-new", change_id="CHG-1", keys=[{"tag": 1}])
""", str(tmp_path))
    assert result.returncode == -signal.SIGKILL, result.stderr
    with ZoneJournal(str(tmp_path), "example.") as journal:
        journal.append("publish-new", change_id="CHG-1", keys=[{"tag": 1}])
        records = journal.records()
    assert [r["step"] for r in records] == ["start", "publish-new"]
    assert journal.damaged_lines == [2]  # the torn line is kept as evidence, reported, skipped
    lines = Path(journal.journal_path).read_bytes().split(b"\n")
    assert len(lines) == 4 and lines[-1] == b""  # start, torn, publish-new, final newline


def test_two_runs_cannot_interleave(tmp_path):
    holder = run_python(PRELUDE + """
journal.lock()
print("locked", flush=True)
import time
time.sleep(30)
""", str(tmp_path), wait=False)
    try:
        assert holder.stdout.readline().strip() == "locked"
        second = ZoneJournal(str(tmp_path), "example.", lock_timeout=0.3)
        with pytest.raises(Exception, match=rf"pid {holder.pid}, killed-writer") as error:
            second.lock()
        assert "is being changed by another run" in str(error.value)
        # The holder dies (kill -9): flock goes with it, the next run proceeds.
        holder.kill()
        holder.wait(10)
        with ZoneJournal(str(tmp_path), "example.", lock_timeout=5) as journal:
            journal.append("after", change_id=None)
        assert [r["step"] for r in journal.records()] == ["after"]
    finally:
        if holder.poll() is None:
            holder.kill()
            holder.wait(10)


def test_parallel_appenders_lose_nothing(tmp_path):
    code = PRELUDE + """
for i in range(25):
    with journal:
        state = journal.load()
        state.setdefault("observations", {})[f"{sys.argv[2]}-{i}"] = i
        journal.save(state)
        journal.append("tick", change_id=sys.argv[2], details={"i": i})
"""
    procs = [run_python(code, str(tmp_path), f"w{n}", wait=False) for n in range(4)]
    for proc in procs:
        assert proc.wait(60) == 0, proc.stderr.read()
    journal = ZoneJournal(str(tmp_path), "example.")
    records = journal.records()
    assert len(records) == 100 and journal.damaged_lines == []
    state = journal.load()
    assert len(state["observations"]) == 100 and state["revision"] == 100


def test_state_disagreeing_with_knot_stops(signer, token):
    adapter = signer.adapter()
    ksk, zsk = token.keygen("c1c2c3c4c5c60001"), token.keygen("c1c2c3c4c5c60002")
    now = int(time.time())
    adapter.import_key("example.", ksk, 13, "ksk", 256, KeyTimers(publish=now, active=now))
    adapter.import_key("example.", zsk, 13, "zsk", 256, KeyTimers(publish=now, active=now))
    adapter.apply("example.")
    state = {"zone": "example.", "keys": {}}
    for key in adapter.list_keys("example."):
        record_key(state, key)
    assert assert_agrees(state, adapter.list_keys("example.")).agrees

    # A run decided new timers and died before setting them: recognised, not a disagreement.
    set_pending(state, zsk, {"retire": now + 3600})
    agreement = assert_agrees(state, adapter.list_keys("example."))
    assert list(agreement.unfinished) == [zsk]
    # ... the next run sets them: the pending change is seen as done.
    adapter.set_timers("example.", zsk, {"retire": now + 3600})
    assert list(assert_agrees(state, adapter.list_keys("example.")).finished) == [zsk]
    record_key(state, adapter.key_by_id("example.", zsk))

    # Someone changes a timer by hand: stop, name the key and both values.
    signer.keymgr("example.", "set", f"id={ksk}", f"active={now + 60}")
    with pytest.raises(StateDisagreement) as error:
        assert_agrees(state, adapter.list_keys("example."))
    text = str(error.value)
    tag = adapter.key_by_id("example.", ksk).tag
    assert f"key {tag} (id {ksk}, KSK algorithm 13): the engine has active=" in text
    assert "changed by hand" in text and "never guesses" in text
    json.dumps(state)
