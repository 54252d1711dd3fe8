# -*- coding: utf-8 -*-
# Copyright: Contributors to the netguard.aws collection
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""Stage 6 of the pipeline: the task's result, from what became of each group. Pure.

Every module's result is built here, in one shape: a group's entry, then either that
entry at the top of the result (one group) or ``groups`` and ``totals`` (several); the
info module's listing is ``security_groups``. A task fails, with its result, when a
group or a region failed.
"""

from ansible_collections.netguard.aws.plugins.module_utils.errors import NetguardAwsError
from ansible_collections.netguard.aws.plugins.module_utils.formatting import (
    counted,
    display_line,
    egress_diff,
    ip_permissions,
    rule_summary,
)
from ansible_collections.netguard.aws.plugins.module_utils.impact import diff_note
from ansible_collections.netguard.aws.plugins.module_utils.request import INFO_MODULE, RESTORE_MODULE
from ansible_collections.netguard.aws.plugins.module_utils.rules import owner_of
from ansible_collections.netguard.aws.plugins.module_utils.selector import EVERY_RULE
from ansible_collections.netguard.aws.plugins.module_utils.traffic_guard import carried_lines
from ansible_collections.netguard.aws.plugins.module_utils.writer import after, new_rule


def task_result(request, outcomes, warnings, check_mode, diff, regions_report=None, excluded=None):
    """The result of the task whose groups came out as ``outcomes``; raises, with the result, when it failed.

    ``regions_report``: with ``regions``, ``{regions, failed_regions, skipped_regions}`` and the message of the failed
    regions (None when none failed). ``excluded``: for a selection by filters or of the whole region, ``(region,
    group)`` of each group ``exclude_filters`` left out (the result's ``excluded``); None for groups named otherwise.
    """
    if request.module == INFO_MODULE:
        return _listing(request, outcomes, warnings, regions_report, excluded)
    restore = request.module == RESTORE_MODULE
    entries = [(_restore_entry if restore else _revoke_entry)(outcome) for outcome in outcomes]
    warnings = list(warnings) + [warning for outcome in outcomes for warning in outcome.warnings]
    if not request.target.bulk:
        return _one_group(restore, outcomes, entries, warnings, check_mode, diff)
    groups = [entry for entry, _problem in entries]
    result = {"changed": any(entry["changed"] for entry in groups), "groups": groups,
              "totals": _totals(restore, groups), "warnings": warnings}
    if not restore:
        result["check_mode"] = check_mode
    if excluded is not None:
        result["excluded"] = _excluded(excluded)
    if regions_report is not None:
        result.update(regions_report[0])
    if diff:
        result["diff"] = [_diff(outcome) for outcome in outcomes if outcome.error is None and _changed(outcome)]
    problems = [problem for _entry, problem in entries if problem]
    messages = []
    if problems and restore:
        messages.append("could not restore everything in %d of %s: %s" % (
            len(problems), counted(len(entries), "security group"), "; ".join(problems)))
    elif problems:
        messages.append("could not revoke from %d of %s (the others were handled): %s" % (
            len(problems), counted(len(entries), "security group"),
            "; ".join("%s: %s" % (entry["group_id"], entry["msg"]) for entry, problem in entries if problem)))
    if regions_report is not None and regions_report[1]:
        messages.append(regions_report[1])
    if messages:
        raise NetguardAwsError("; ".join(messages), **result)
    return result


def _one_group(restore, outcomes, entries, warnings, check_mode, diff):
    if not outcomes:
        return {"changed": False, "warnings": warnings}
    (outcome,), ((entry, problem),) = outcomes, entries
    if outcome.error is not None and not restore:
        # What was added before the failure, so that the result can undo it.
        added = {"authorized_rules": entry["authorized_rules"]} if outcome.added else {}
        raise NetguardAwsError(outcome.error.msg, **dict(_traffic_keys(outcome.plan), **dict(
            outcome.error.details, warnings=warnings, **added)))
    result = dict(((key, value) for key, value in entry.items() if key not in ("group_name", "vpc_id")),
                  warnings=warnings)
    if not restore:
        result["check_mode"] = check_mode
    if diff and outcome.error is None:
        result["diff"] = _diff(outcome)
    if problem:
        raise NetguardAwsError(problem, **dict((key, value) for key, value in result.items()
                                               if key not in ("failed", "msg")))
    return result


def _changed(outcome):
    return bool(outcome.revoked or outcome.added)


def _named(plan):
    group = plan.group
    return {"group_id": group["GroupId"], "group_name": group.get("GroupName"), "vpc_id": group.get("VpcId"),
            "region": plan.region, "owner_id": owner_of(group, plan.described)}


def _revoke_entry(outcome):
    """``(group entry, why it failed or None)`` of a revoke."""
    plan = outcome.plan
    entry = _named(plan)
    authorized = [rule_summary(rule) for rule in outcome.added]
    if outcome.error is not None:
        entry.update({"changed": bool(outcome.added), "failed": True,
                      "msg": outcome.error.msg, "revoked_rules": [], "revoked_ip_permissions": [],
                      "authorized_rules": authorized, "unmatched": [], "kept": []})
        entry.update(_traffic_keys(plan))
        return entry, outcome.error.msg
    entry.update({
        "changed": _changed(outcome),
        "revoked_rules": [rule_summary(rule) for rule in outcome.revoked],
        "revoked_ip_permissions": ip_permissions(outcome.revoked),
        "authorized_rules": authorized,
        "already_present": _already_present(outcome),
        "unmatched": list(plan.unmatched),
        "unknown_ip_permissions": list(outcome.unknown),
        "egress_rules": [rule_summary(rule) for rule in after(outcome)],
        "kept": [{"rule": rule_summary(rule), "kept_by": item.index} for rule, item in plan.kept],
    })
    if plan.affected is not None and outcome.revoked:
        entry["affected_interfaces"] = plan.affected
        if plan.users is not None:
            entry["affected_users"] = plan.users
    entry.update(_traffic_keys(plan))
    return entry, None


def _already_present(outcome):
    """The rules to add that the group had already, or that another change added meanwhile."""
    group_id = outcome.plan.group["GroupId"]
    return [rule_summary(rule) for rule in list(outcome.plan.present) + [new_rule(item, group_id)
                                                                         for item in outcome.raced]]


def _traffic_keys(plan):
    """With ``traffic``: the flows the group's plan cuts and how complete the evidence is."""
    if plan.traffic is None:
        return {}
    return {"cut_flows": plan.traffic.cut_flows, "traffic_coverage": plan.traffic.coverage}


def _restore_entry(outcome):
    """``(group entry, why the task must fail for it or None)`` of a restore."""
    plan = outcome.plan
    group_id = plan.group["GroupId"]
    entry = dict((key, value) for key, value in _named(plan).items() if key not in ("group_name", "vpc_id"))
    if outcome.error is not None:
        entry.update({"changed": bool(outcome.added), "failed": True, "msg": outcome.error.msg,
                      "restored_rules": [rule_summary(rule) for rule in outcome.added], "already_present": [],
                      "failed_rules": [], "revoked_rules": []})
        return entry, outcome.error.msg
    entry.update({
        "changed": _changed(outcome),
        "restored_rules": [rule_summary(rule) for rule in outcome.added],
        "revoked_rules": [rule_summary(rule) for rule in outcome.revoked],
        "already_present": _already_present(outcome),
        "failed_rules": [{"rule": rule_summary(new_rule(item, group_id)), "msg": msg}
                         for item, msg in outcome.failed_rules],
        "egress_rules": [rule_summary(rule) for rule in after(outcome)],
    })
    problem = None
    if outcome.failed_rules:
        problem = "could not restore %s to %s (the others were restored): %s" % (
            counted(len(outcome.failed_rules), "egress rule"), group_id,
            "; ".join("%s: %s" % (display_line(new_rule(item, group_id)), msg) for item, msg in outcome.failed_rules))
    return entry, problem


def _diff(outcome):
    """``--diff``: the group's egress rules before and after, with what ``keep`` saved and who is behind it."""
    plan = outcome.plan
    notes = dict((rule.rule_id, "kept by keep[%d]" % item.index) for rule, item in plan.kept)
    header_note = diff_note(plan.affected, plan.users) if plan.affected is not None and outcome.revoked else None
    details = carried_lines(plan.traffic, [rule.rule_id for rule in outcome.revoked]) if plan.traffic else None
    return egress_diff(plan.group["GroupId"], plan.before, after(outcome), notes, header_note, details)


def _totals(restore, entries):
    totals = {"groups": len(entries), "changed_groups": sum(1 for entry in entries if entry["changed"])}
    if restore:
        totals.update(restored_rules=sum(len(entry["restored_rules"]) for entry in entries),
                      already_present=sum(len(entry["already_present"]) for entry in entries),
                      failed_rules=sum(len(entry["failed_rules"]) for entry in entries))
    else:
        totals["authorized_rules"] = sum(len(entry["authorized_rules"]) for entry in entries)
    totals["revoked_rules"] = sum(len(entry["revoked_rules"]) for entry in entries)
    totals["failed_groups"] = sum(1 for entry in entries if entry.get("failed"))
    return totals


def _excluded(excluded):
    """The groups ``exclude_filters`` left out, by region and ID: the same order whatever order the regions finished
    in."""
    return sorted(({"group_id": group["GroupId"], "group_name": group.get("GroupName"), "region": region}
                   for region, group in excluded), key=lambda entry: (entry["region"], entry["group_id"]))


def _listed_rule(rule, traffic):
    listed = dict(rule_summary(rule), display=display_line(rule))
    if traffic is not None:
        listed["traffic"] = traffic.rules[rule.rule_id]
    return listed


def _listing(request, outcomes, warnings, regions_report, excluded):
    """The info module's result: the listed groups, each with the egress rules the selector takes (a group none of
    whose rules passes a rule filter is left out)."""
    filtered = request.change.selector.choices != (EVERY_RULE,)
    security_groups = []
    for outcome in outcomes:
        plan = outcome.plan
        if filtered and not plan.taken:
            continue
        group = plan.group
        entry = {"group_id": group["GroupId"], "group_name": group.get("GroupName"), "vpc_id": group.get("VpcId"),
                 "owner_id": group.get("OwnerId"),
                 "egress_rules": [_listed_rule(rule, plan.traffic) for rule in plan.taken]}
        if plan.traffic is not None:
            entry["traffic_coverage"] = plan.traffic.coverage
        if regions_report is not None:
            entry["region"] = plan.region
        security_groups.append(entry)
    result = {"changed": False, "security_groups": security_groups, "warnings": list(warnings)}
    if excluded is not None:
        result["excluded"] = _excluded(excluded)
    if regions_report is not None:
        result.update(regions_report[0])
        if regions_report[1]:
            raise NetguardAwsError(regions_report[1], **result)
    return result
