# Copyright: rsp.dnssec contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt)
"""Test-only callback: every task result as one JSON line in the file $RSP_TEST_RESULTS.

Used by the ``ansible_playbook`` fixture (tests/integration/helpers.py) so that
tests read results as data instead of parsing screen output.
"""

from __future__ import annotations

import json
import os

from ansible.plugins.callback import CallbackBase
from ansible.vars.clean import module_response_deepcopy, strip_internal_keys

DOCUMENTATION = r"""
name: rsp_test_results
type: aggregate
short_description: Write task results as JSON lines for the test suite
description:
  - Appends one JSON object per task result to the file named by RSP_TEST_RESULTS.
requirements:
  - RSP_TEST_RESULTS set in the environment
"""


class CallbackModule(CallbackBase):
    CALLBACK_VERSION = 2.0
    CALLBACK_TYPE = "aggregate"
    CALLBACK_NAME = "rsp_test_results"
    CALLBACK_NEEDS_ENABLED = True

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self._path = os.environ.get("RSP_TEST_RESULTS")

    def _record(self, result, status: str) -> None:
        if not self._path:
            return
        payload = getattr(result, "result", None)
        if payload is None:
            payload = result._result
        task = getattr(result, "task", None) or result._task
        host = getattr(result, "host", None) or result._host
        data = strip_internal_keys(module_response_deepcopy(dict(payload)))
        if status == "ok" and data.get("changed"):
            status = "changed"
        line = json.dumps({"task": task.get_name(), "action": task.action, "host": host.get_name(),
                           "status": status, "result": data}, default=str)
        with open(self._path, "a", encoding="utf-8") as handle:
            handle.write(line + "\n")

    def v2_runner_on_ok(self, result) -> None:
        self._record(result, "ok")

    def v2_runner_on_failed(self, result, ignore_errors: bool = False) -> None:
        self._record(result, "ignored" if ignore_errors else "failed")

    def v2_runner_on_skipped(self, result) -> None:
        self._record(result, "skipped")

    def v2_runner_on_unreachable(self, result) -> None:
        self._record(result, "unreachable")
