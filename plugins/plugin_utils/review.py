# -*- coding: utf-8 -*-
# Copyright: Contributors to the netguard.aws collection
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""The review of a run: rows of the revoke and restore results, as a table, Markdown and a restorable report.

Pure: the egress_review callback feeds it task results and writes what it returns.
Only the keys listed here are copied from a result, so ``invocation`` (the task's
arguments, credentials among them) never reaches a report.
"""

from collections import namedtuple

from ansible_collections.netguard.aws.plugins.module_utils.errors import NetguardAwsError
from ansible_collections.netguard.aws.plugins.module_utils.formatting import described_from_summary, display_line
from ansible_collections.netguard.aws.plugins.module_utils.traffic_guard import flow_text

REVOKE = "netguard.aws.ec2_security_group_egress_revoke"
RESTORE = "netguard.aws.ec2_security_group_egress_restore"
FORMAT = "netguard.aws/egress-review/1"
# What a group entry of the report keeps: the shape the restore module's ``revoked`` reads, and what a reviewer needs.
GROUP_KEYS = ("group_id", "group_name", "vpc_id", "region", "owner_id", "changed", "failed", "msg", "revoked_rules",
              "revoked_ip_permissions", "authorized_rules", "already_present", "kept", "egress_rules",
              "affected_interfaces", "affected_users", "cut_flows", "traffic_coverage")
GUARDS = ("max_revoked_rules", "require_unused", "require_no_traffic")
COLUMNS = ("host", "account", "region", "group", "went", "added", "stays", "users", "cut", "status")
HEADINGS = ("HOST", "ACCOUNT", "REGION", "GROUP", "WENT", "ADDED", "STAYS", "USERS", "CUT FLOWS", "STATUS")
# The printed table cuts longer messages; the Markdown has them whole.
STATUS_WIDTH = 120

Row = namedtuple("Row", ["host", "task", "account", "region", "group", "went", "added", "stays", "users", "cut",
                         "status", "lines", "cut_flows"], defaults=("-", "-", "-", "-", "-", "-", (), ()))


class Review:
    """The rows of a run, in the order the results came, and the revoke results' groups for the report."""

    def __init__(self):
        self.rows = []
        self.groups = []
        self.tasks = []

    def add(self, action, host, task, result, failed, hidden):
        """Take one task result (of any module: only the revoke and restore modules' are kept)."""
        if action not in (REVOKE, RESTORE):
            return
        if hidden:
            self._task_row(host, task, "hidden by no_log", failed)
            return
        items = result["results"] if isinstance(result.get("results"), list) else [result]
        for item in items:
            if isinstance(item, dict):
                self._add_result(action, host, task, item, failed or bool(item.get("failed")))

    def _add_result(self, action, host, task, result, failed):
        check_mode = bool(result.get("check_mode"))
        if isinstance(result.get("groups"), list):
            groups = [group for group in result["groups"] if isinstance(group, dict)]
        elif "group_id" in result and ("revoked_rules" in result or "restored_rules" in result):
            groups = [result]
        else:
            groups = []
        for group in groups:
            if action == REVOKE:
                self._revoked_group(host, task, group, check_mode)
            else:
                self._restored_group(host, task, group)
        problem = result.get("msg") if failed else None
        if problem and not any(group.get("failed") for group in groups):
            self._task_row(host, task, _problem(problem), True, result.get("group_id"))
        self.tasks.append({"host": host, "task": task, "module": action, "check_mode": check_mode, "failed": failed,
                           "msg": problem})

    def _revoked_group(self, host, task, group, check_mode):
        revoked = _rules(group.get("revoked_rules"))
        added = _rules(group.get("authorized_rules"))
        stays = [line for line in _rules(group.get("egress_rules")) if line not in set(added)]
        users = _users(group)
        if group.get("failed"):
            status = _problem(group.get("msg"))
        elif revoked or added:
            verb = "replace" if added else "revoke"
            status = "would %s (check mode)" % verb if check_mode else verb + "d"
        else:
            status = "no change"
        cut_flows = group.get("cut_flows") if isinstance(group.get("cut_flows"), list) else None
        self.rows.append(Row(host, task, group.get("owner_id"), group.get("region"), group.get("group_id"),
                             "%d" % len(revoked), "%d" % len(added),
                             "%d" % (len(stays) + len(added)) if "egress_rules" in group else "-",
                             "-" if users is None else "%d" % users,
                             "-" if cut_flows is None else "%d" % len(cut_flows), status,
                             ["-" + line for line in revoked] + ["+" + line for line in added] +
                             [" " + line for line in stays], cut_flows or ()))
        entry = dict((key, group[key]) for key in GROUP_KEYS if key in group)
        self.groups.append(dict(entry, host=host, task=task, check_mode=check_mode))

    def _restored_group(self, host, task, group):
        restored = _rules(group.get("restored_rules"))
        removed = _rules(group.get("revoked_rules"))
        if group.get("failed") or group.get("failed_rules"):
            status = _problem(group.get("msg") or "%d rules refused" % len(group["failed_rules"]))
        else:
            status = "restored" if restored or removed else "no change"
        added = set(restored)
        self.rows.append(Row(host, task, group.get("owner_id"), group.get("region"), group.get("group_id"),
                             "%d" % len(removed), "%d" % len(restored), "%d" % len(group.get("egress_rules") or ()),
                             "-", "-", status,
                             ["-" + line for line in removed] + ["+" + line for line in restored] +
                             [" " + line for line in _rules(group.get("egress_rules")) if line not in added]))

    def _task_row(self, host, task, status, failed, group_id=None):
        self.rows.append(Row(host, task, None, None, group_id or "-", status=status))
        self.tasks.append({"host": host, "task": task, "failed": failed, "msg": status})

    def table(self):
        """The printed table: one line per row, columns aligned."""
        cells = [HEADINGS] + [tuple(_cell(getattr(row, column)) for column in COLUMNS) for row in self.rows]
        cells = [cell[:-1] + (_cut(cell[-1]),) for cell in cells]
        widths = [max(len(line[index]) for line in cells) for index in range(len(COLUMNS))]
        lines = ["  ".join(value.ljust(width) for value, width in zip(line, widths)).rstrip() for line in cells]
        return "NETGUARD.AWS EGRESS REVIEW %s\n%s\n" % ("*" * 40, "\n".join(lines))

    def markdown(self):
        """``egress-review.md``: the table, then each group's rules (``-`` went, ``+`` added or restored)."""
        out = ["# Egress review", ""]
        if any(task.get("check_mode") for task in self.tasks):
            out += ["Check mode: the rules under WENT would go and those under ADDED would come; nothing was changed.", ""]
        out.append("| task | " + " | ".join(heading.lower() for heading in HEADINGS) + " |")
        out.append("|---" * (len(HEADINGS) + 1) + "|")
        for row in self.rows:
            out.append("| %s | %s |" % (_markdown_cell(row.task), " | ".join(
                _markdown_cell(_cell(getattr(row, column))) for column in COLUMNS)))
        for row in self.rows:
            if not row.lines:
                continue
            heading = "## %s (%s, account %s): %s on %s" % (
                row.group, _cell(row.region), _cell(row.account), row.task, row.host)
            out += ["", heading, "", "```diff"]
            out += sorted(row.lines, key=lambda line: line[1:]) + ["```"]
        cutting = [row for row in self.rows if row.cut_flows]
        if cutting:
            out += ["", "## Cut flows", "", "Flows seen in the flow logs that no rule left after the change allows."]
            for row in cutting:
                out += ["", "### %s (%s): %s on %s" % (row.group, _cell(row.region), row.task, row.host), ""]
                out += ["- " + _markdown_cell(flow_text(flow)) for flow in row.cut_flows]
        return "\n".join(out) + "\n"

    def report(self):
        """``egress-review.json``: what the restore module's ``revoked`` takes, with the tasks and their problems."""
        return {"format": FORMAT, "check_mode": any(group["check_mode"] for group in self.groups),
                "groups": list(self.groups), "tasks": list(self.tasks)}


def _rules(summaries):
    lines = []
    for index, summary in enumerate(summaries or ()):
        try:
            lines.append(display_line(described_from_summary(summary, "rules[%d]" % index)))
        except NetguardAwsError as error:
            lines.append(error.msg)
    return lines


def _users(group):
    """USERS: the group's network interfaces, launch templates and ECS services (None without ``impact``)."""
    affected, users = group.get("affected_interfaces"), group.get("affected_users")
    if not isinstance(affected, dict):
        return None
    count = affected.get("total") or 0
    if isinstance(users, dict):
        count += len(users.get("launch_templates") or ()) + len(users.get("ecs_services") or ())
    return count


def _problem(msg):
    msg = str(msg)
    return ("guard: " if any(guard in msg for guard in GUARDS) else "failed: ") + msg


def _cell(value):
    return "-" if value is None else str(value)


def _cut(text):
    return text if len(text) <= STATUS_WIDTH else text[:STATUS_WIDTH - 3] + "..."


def _markdown_cell(text):
    return text.replace("|", "\\|").replace("\n", " ")
