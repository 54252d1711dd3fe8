# -*- coding: utf-8 -*-
# Copyright: Contributors to the netguard.aws collection
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

DOCUMENTATION = r"""
name: result_recorder
type: aggregate
short_description: Write the results of the collection's tasks to the JSON file named by NETGUARD_RESULTS
description:
  - Used by the integration tests to compare what the in-process and the module paths return.
requirements:
  - enabled with ANSIBLE_CALLBACKS_ENABLED
"""

import json
import os

from ansible.plugins.callback import CallbackBase

try:
    # ansible-core 2.22 and later mask registered secrets (no_log values among them) in what is shown or
    # written, not in the result itself; a callback that writes results masks them, as ``tree`` does.
    from ansible.module_utils.secrets import mask_secrets
except ImportError:
    def mask_secrets(text):
        return text


class CallbackModule(CallbackBase):
    CALLBACK_VERSION = 2.0
    CALLBACK_TYPE = "aggregate"
    CALLBACK_NAME = "result_recorder"
    CALLBACK_NEEDS_ENABLED = True

    def __init__(self):
        super().__init__()
        self._results = []

    def _record(self, result, failed):
        # ansible-core 2.19 made the task and its result public attributes.
        task = result.task if hasattr(result, "task") else result._task
        values = result.result if hasattr(result, "result") else result._result
        host = result.host if hasattr(result, "host") else result._host
        if task.action.startswith("netguard.aws."):
            recorded = dict((key, value) for key, value in values.items() if not key.startswith("_ansible"))
            self._results.append({"task": task.get_name(), "host": host.get_name(), "failed": failed, "result": recorded})

    def v2_runner_on_ok(self, result, **_kwargs):
        self._record(result, failed=False)

    def v2_runner_on_failed(self, result, ignore_errors=False):
        self._record(result, failed=True)

    def v2_playbook_on_stats(self, stats):
        with open(os.environ["NETGUARD_RESULTS"], "w") as handle:
            handle.write(mask_secrets(json.dumps(self._results, default=str, sort_keys=True)))
