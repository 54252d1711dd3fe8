# -*- coding: utf-8 -*-
# Copyright: Contributors to the netguard.aws collection
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

DOCUMENTATION = r"""
name: task_timer
type: aggregate
short_description: Write each task's wall time to the JSON file named by NETGUARD_TASK_TIMES
description:
  - Used by the benchmarks under bench/; a loop task counts once, from its start to its last item.
requirements:
  - enabled in ansible.cfg or with ANSIBLE_CALLBACKS_ENABLED
"""

import json
import os
import time

from ansible.plugins.callback import CallbackBase


class CallbackModule(CallbackBase):
    CALLBACK_VERSION = 2.0
    CALLBACK_TYPE = "aggregate"
    CALLBACK_NAME = "task_timer"
    CALLBACK_NEEDS_ENABLED = True

    def __init__(self):
        super().__init__()
        self._started = {}
        self._seconds = []

    def v2_playbook_on_task_start(self, task, is_conditional):
        self._started[task._uuid] = time.monotonic()

    def _finished(self, result, **_kwargs):
        started = self._started.pop(result._task._uuid, None)
        if started is not None:
            self._seconds.append({"task": result._task.get_name(), "seconds": time.monotonic() - started})

    v2_runner_on_ok = v2_runner_on_failed = v2_runner_on_skipped = _finished

    def v2_playbook_on_stats(self, stats):
        with open(os.environ["NETGUARD_TASK_TIMES"], "w") as handle:
            json.dump(self._seconds, handle)
