# Copyright: rsp.dnssec contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt)
"""Eight ansible-playbook runs at once against one SoftHSM2 token.

Every run first waits at a barrier, so that the eight hsm_key modules start
together. Without the per-host lock they race: two of them each find no
``shared-ksk-13`` and both generate one (seen while writing this test), and
concurrent SoftHSM logins corrupt each other. With the lock all eight succeed,
the key they all ask for exists exactly once, and every run reports its CKA_ID.
"""

from __future__ import annotations

import time
from collections import Counter

from hsm_helpers import key_task

RUNS = 8


def test_eight_parallel_runs_one_token(softhsm, ansible_playbook, tmp_path):
    barrier = tmp_path / "barrier"
    barrier.mkdir()
    pending = []
    for number in range(RUNS):
        wait = {"name": "barrier", "changed_when": False, "ansible.builtin.command": {"argv": [
            "sh", "-c", f"touch {barrier}/ready-{number}; while [ ! -e {barrier}/go ]; do sleep 0.01; done"]}}
        # one task, one session: the shared KSK and a ZSK of this run's own
        task = key_task("keys", softhsm, zone="example.", keys=[
            {"label": "shared-ksk-13", "algorithm": "13"},
            {"label": f"own-zsk-15-{number}", "algorithm": "15", "role": "zsk"}])
        pending.append(ansible_playbook.spawn([wait, task]))
    deadline = time.monotonic() + 300
    while len(list(barrier.glob("ready-*"))) < RUNS and time.monotonic() < deadline:
        if any(p.process.poll() is not None for p in pending):
            break  # a run ended early: its result below says why
        time.sleep(0.05)
    (barrier / "go").touch()
    runs = [p.wait() for p in pending]
    for run in runs:
        run.assert_ok()

    shared = [run.task("keys")["keys"][0] for run in runs]
    assert len({r["key_id"] for r in shared}) == 1, "the shared key was generated more than once"
    assert len({r["dnskey"] for r in shared}) == 1
    assert Counter(r["action"] for r in shared) == {"created": 1, "exists": RUNS - 1}
    assert all(run.task("keys")["keys"][1]["action"] == "created" for run in runs)

    labels = Counter(k["label"] for k in softhsm.key_pairs())
    assert labels == Counter(["shared-ksk-13"] + [f"own-zsk-15-{n}" for n in range(RUNS)])
    assert all(k["has_public"] and k["has_private"] for k in softhsm.key_pairs())
