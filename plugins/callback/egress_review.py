# -*- coding: utf-8 -*-
# Copyright: Contributors to the netguard.aws collection
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

DOCUMENTATION = r"""
name: egress_review
type: aggregate
short_description: One review table of every netguard.aws egress change of a run, and a report for the ticket
version_added: 0.2.0
description:
  - Collects the result of every M(netguard.aws.ec2_security_group_egress_revoke) and
    M(netguard.aws.ec2_security_group_egress_restore) task of the run, on every host, and at the end prints one
    table with a row per group and task (account, region, group, the rules that went or would go in check mode, the
    rules that stay, under USERS how many network interfaces, launch templates and ECS services use the group when the
    task had O(netguard.aws.ec2_security_group_egress_revoke#module:impact),
    and a guard or failure).
  - With O(dir), it also writes C(egress-review.md) there (the table, and for each group its rules, one line each,
    V(-) for those that went) and C(egress-review.json), whose C(groups) are in the shape that
    O(netguard.aws.ec2_security_group_egress_restore#module:revoked) accepts, so that the report of a real run undoes
    it in one task. A report of a check-mode run is marked C(check_mode) and the restore module refuses it.
  - Never writes C(invocation) (task arguments may hold credentials) or anything C(no_log) hid; a task with
    C(no_log) is listed by name only.
  - Works under C(ansible-playbook), C(ansible-runner) (point O(dir) at the artifacts directory to keep the
    report with the job) and with C(--check).
requirements:
  - Enabled in C(ansible.cfg) (C(callbacks_enabled = netguard.aws.egress_review)) or with E(ANSIBLE_CALLBACKS_ENABLED).
options:
  dir:
    description:
      - Directory to write C(egress-review.md) and C(egress-review.json) to (created if missing; existing reports
        there are replaced). Unset, the table is only printed.
    type: path
    env:
      - name: NETGUARD_AWS_REVIEW_DIR
    ini:
      - section: netguard_aws_egress_review
        key: dir
"""

import json
import os

from ansible.plugins.callback import CallbackBase

from ansible_collections.netguard.aws.plugins.plugin_utils.review import Review

try:
    # ansible-core 2.22 and later mask registered secrets (no_log values among them) in what is shown or
    # written, not in the result itself; a callback that writes results masks them too.
    from ansible.module_utils.secrets import mask_secrets
except ImportError:
    def mask_secrets(text):
        return text


class CallbackModule(CallbackBase):
    CALLBACK_VERSION = 2.0
    CALLBACK_TYPE = "aggregate"
    CALLBACK_NAME = "netguard.aws.egress_review"
    CALLBACK_NEEDS_ENABLED = True

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._review = Review()

    def _collect(self, result, failed):
        # ansible-core 2.19 made the task, host and result public attributes.
        task = result.task if hasattr(result, "task") else result._task
        host = result.host if hasattr(result, "host") else result._host
        values = result.result if hasattr(result, "result") else result._result
        action = getattr(task, "resolved_action", None) or task.action
        hidden = bool(values.get("censored")) or bool(getattr(task, "no_log", False))
        self._review.add(action, host.get_name(), task.get_name(), values, failed, hidden)

    def v2_runner_on_ok(self, result, **_kwargs):
        self._collect(result, failed=False)

    def v2_runner_on_failed(self, result, ignore_errors=False):
        self._collect(result, failed=True)

    def v2_playbook_on_stats(self, stats):
        if not self._review.rows:
            return
        self._display.display(mask_secrets(self._review.table()))
        directory = self.get_option("dir")
        if not directory:
            return
        os.makedirs(directory, exist_ok=True)
        for name, text in (("egress-review.md", self._review.markdown()),
                           ("egress-review.json", json.dumps(self._review.report(), indent=2, sort_keys=True) + "\n")):
            path = os.path.join(directory, name)
            with open(path, "w", encoding="utf-8") as handle:
                handle.write(mask_secrets(text))
        self._display.display("egress review written to %s" % os.path.join(directory, "egress-review.{md,json}"))
