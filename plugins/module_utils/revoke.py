# -*- coding: utf-8 -*-
# Copyright: Contributors to the netguard.aws collection
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""Revoke egress rules from one security group, or from every group that filters select.

Takes a validated ``RevokeRequest`` and an EC2 client and returns the task
result; raises ``NetguardAwsError`` for expected failures. No ``AnsibleModule``
here, so every entry point runs the same code.
"""

from collections import namedtuple
from concurrent.futures import ThreadPoolExecutor

from ansible_collections.netguard.aws.plugins.module_utils.ec2 import Ec2Api, RulesGone
from ansible_collections.netguard.aws.plugins.module_utils.errors import NetguardAwsError
from ansible_collections.netguard.aws.plugins.module_utils.formatting import (
    counted,
    egress_diff,
    ip_permissions,
    requested_rule_summary,
    rule_summary,
)
from ansible_collections.netguard.aws.plugins.module_utils.impact import affected_interfaces, diff_note, refuse_used
from ansible_collections.netguard.aws.plugins.module_utils.journal import FAILED, REVOKED, WOULD_REVOKE, open_journal
from ansible_collections.netguard.aws.plugins.module_utils.matching import egress_rules_of, match_egress_rules
from ansible_collections.netguard.aws.plugins.module_utils.predicates import (
    for_vpc,
    group_names,
    is_stale_selector,
    stale_rule_ids,
)
from ansible_collections.netguard.aws.plugins.module_utils.regions import RegionalRun
from ansible_collections.netguard.aws.plugins.module_utils.rules import DescribedRule
from ansible_collections.netguard.aws.plugins.module_utils.selection import (
    destination_ids_by_name,
    destination_names,
    group_by_name,
    with_destination_ids,
)

# How often to describe again when matched rules vanish under us (another writer).
# Transient API errors are botocore's to retry, not this loop's.
REVOKE_ATTEMPTS = 3

Selection = namedtuple("Selection", ["rules", "predicates", "keep", "stale_groups"])
Selection.__doc__ = """The request's selectors resolved for one VPC (group names as IDs), and the stale groups
(``StaleSecurityGroupSet`` entries, which name their own group, so any superset serves)."""

GroupPlan = namedtuple("GroupPlan", ["group", "described", "selection", "match", "affected"], defaults=(None,))
GroupPlan.__doc__ = """A group, its described rules, the request resolved for its VPC, what matched, and with
``impact`` the network interfaces behind a group that would change (``affected_interfaces``)."""

GroupOutcome = namedtuple("GroupOutcome", ["result", "diff", "warnings"])

MODULE = "netguard.aws.ec2_security_group_egress_revoke"


def revoke_egress(client, request, check_mode=False, diff=False, clients=None):
    """Revoke the egress rules ``request`` selects and return the task result.

    One group: one paginated DescribeSecurityGroupRules, then one
    RevokeSecurityGroupEgress (``DryRun`` in check mode) when anything matched.
    Selecting the group by name, or a destination group by name, adds a
    DescribeSecurityGroups call each; a ``stale`` predicate adds one
    DescribeStaleSecurityGroups (and a DescribeSecurityGroups to learn the VPC of
    a group given by ID). Bulk (``filters``): see ``_revoke_in_bulk``; with
    ``regions``, ``_revoke_in_regions``, which gets the other regions' clients
    from ``clients(regions)``.

    With ``journal``, the file is opened (and its run line written) before any API
    call, and every revoke call is journaled: see ``journal.py``. With ``impact``, one
    DescribeNetworkInterfaces per 200 groups that would change, before any write.
    """
    journal = open_journal(request.journal, check_mode, MODULE) if request.journal is not None else None
    try:
        result = _revoke(client, clients, request, check_mode, diff, journal)
    except NetguardAwsError as error:
        if journal is not None:
            error.details["journal"] = journal.reference()
        raise
    finally:
        if journal is not None:
            journal.close()
    if journal is not None:
        result["journal"] = journal.reference()
    return result


def _revoke(client, clients, request, check_mode, diff, journal):
    api = Ec2Api(client)
    region = client.meta.region_name
    if request.filters is not None and request.regions is not None:
        return _revoke_in_regions(client, clients, request, check_mode, diff, journal)
    if request.filters is not None:
        return _revoke_in_bulk(api, request, region, check_mode, diff, journal)

    if request.group_id is not None:
        group = {"GroupId": request.group_id}
    else:
        group = group_by_name(api, request.group_name, request.vpc_id)
    group_id = group["GroupId"]
    names = _destination_group_names(request)
    stale = _selects_stale(request)
    if (names or stale) and "VpcId" not in group:
        group = _existing_group(api, group_id, region)
    vpc_id = group.get("VpcId")
    ids_by_name = destination_ids_by_name(api, names, [vpc_id])
    stale_groups = api.stale_security_groups([vpc_id]) if stale else []

    described = _described_rules(api, group_id, region)
    plans = _assessed(api, request, [_plan(group, described, _selection(request, ids_by_name, vpc_id, stale_groups),
                                           request)])
    _check_guards(request, plans)
    outcome = _revoke_planned(api, plans[0], request, region, check_mode, journal)
    owner_id = group.get("OwnerId") or next((rule.api_rule.get("GroupOwnerId") for rule in described
                                             if rule.api_rule.get("GroupOwnerId")), None)
    result = dict(outcome.result, region=region, owner_id=owner_id, check_mode=check_mode,
                  warnings=list(request.warnings) + outcome.warnings)
    if diff:
        result["diff"] = outcome.diff
    return result


def _revoke_in_bulk(api, request, region, check_mode, diff, journal):
    """Every group the filters select: one describe pass, then one revoke per group that has matches.

    The describe pass is a paginated DescribeSecurityGroups, one DescribeSecurityGroups
    for destination group names if any, DescribeSecurityGroupRules for 200 groups
    a call, and for a ``stale`` predicate one DescribeStaleSecurityGroups per VPC.
    Revokes run ``request.concurrency`` at a time; a group that fails does not stop
    the others, and the task fails at the end naming it.
    """
    plans, warnings = _bulk_plans(api, request, region)
    _check_guards(request, plans)
    return _bulk_result(_revoke_plans(api, plans, request, region, check_mode, journal),
                        list(request.warnings) + warnings, diff, check_mode)


def _revoke_in_regions(client, clients, request, check_mode, diff, journal):
    """Bulk mode in several regions at once, each with its own client: describe every region, check
    ``max_revoked_rules`` over all of them, then revoke in every region, ``concurrency`` at a time in each."""
    run = RegionalRun(client, clients, request.regions)
    planned = run.each(lambda region, api: _bulk_plans(api, request, region))
    _check_guards(request, [plan for plans, _warnings in planned.values() for plan in plans])
    revoked = run.each(lambda region, api: _revoke_plans(api, planned[region][0], request, region, check_mode,
                                                         journal), list(planned))
    warnings = list(request.warnings) + [warning for _plans, region_warnings in planned.values()
                                         for warning in region_warnings]
    outcomes = [outcome for region in revoked for outcome in revoked[region]]
    return _bulk_result(outcomes, warnings, diff, check_mode, run)


def _bulk_plans(api, request, region):
    """The describe pass of one region: ``(plans, warnings of this region)``."""
    groups = api.security_groups(request.filters)
    warnings = []
    if not groups:
        warnings.append("filters matched no security group in %s" % region)
    described_by_group = dict((group["GroupId"], []) for group in groups)
    for api_rule in api.security_group_rules(list(described_by_group)):
        described_by_group[api_rule["GroupId"]].append(DescribedRule(api_rule))

    ids_by_name = {}
    stale_groups = []
    if groups:
        vpc_ids = set(group.get("VpcId") for group in groups)
        ids_by_name = destination_ids_by_name(api, _destination_group_names(request), vpc_ids)
        if _selects_stale(request):
            stale_groups = api.stale_security_groups(vpc_ids)

    plans = [_plan(group, described_by_group[group["GroupId"]],
                   _selection(request, ids_by_name, group.get("VpcId"), stale_groups), request)
             for group in groups]
    return _assessed(api, request, plans), warnings


def _assessed(api, request, plans):
    """The plans, with ``impact``, each changing group's ``affected`` interfaces (one describe per 200 groups)."""
    changing = [plan.group["GroupId"] for plan in plans if plan.match.matched]
    if not request.impact or not changing:
        return plans
    interfaces = api.network_interfaces(changing)
    return [plan._replace(affected=affected_interfaces(plan.group["GroupId"], interfaces)) if plan.match.matched
            else plan for plan in plans]


def _revoke_plans(api, plans, request, region, check_mode, journal):
    """Revoke from each planned group, ``request.concurrency`` at a time; a group's failure is its result."""

    def revoke_one(plan):
        try:
            outcome = _revoke_planned(api, plan, request, region, check_mode, journal)
        except NetguardAwsError as error:
            outcome = GroupOutcome({"changed": False, "failed": True, "msg": error.msg, "revoked_rules": [],
                                    "revoked_ip_permissions": [], "unmatched": [], "kept": []}, None, [])
        named = {"group_id": plan.group["GroupId"], "group_name": plan.group.get("GroupName"),
                 "vpc_id": plan.group.get("VpcId"), "region": region, "owner_id": plan.group.get("OwnerId")}
        return outcome._replace(result=dict(named, **outcome.result))

    with ThreadPoolExecutor(max_workers=request.concurrency) as pool:
        return list(pool.map(revoke_one, plans))


def _bulk_result(outcomes, warnings, diff, check_mode, run=None):
    """The bulk task's result; raises, with the result, when a group (or, with ``regions``, a region) failed."""
    group_results = [outcome.result for outcome in outcomes]
    failed = [group_result for group_result in group_results if group_result.get("failed")]
    result = {
        "changed": any(group_result["changed"] for group_result in group_results),
        "groups": group_results,
        "totals": {
            "groups": len(group_results),
            "changed_groups": sum(1 for group_result in group_results if group_result["changed"]),
            "revoked_rules": sum(len(group_result["revoked_rules"]) for group_result in group_results),
            "failed_groups": len(failed),
        },
        "warnings": warnings + [warning for outcome in outcomes for warning in outcome.warnings],
        "check_mode": check_mode,
    }
    if run is not None:
        result.update(run.report())
    if diff:
        result["diff"] = [outcome.diff for outcome in outcomes if outcome.result["changed"]]
    problems = []
    if failed:
        reasons = "; ".join("%s: %s" % (group_result["group_id"], group_result["msg"]) for group_result in failed)
        problems.append("could not revoke from %d of %s (the others were handled): %s"
                        % (len(failed), counted(len(group_results), "security group"), reasons))
    if run is not None and run.failed_regions:
        problems.append(run.failure_message())
    if problems:
        raise NetguardAwsError("; ".join(problems), **result)
    return result


def _destination_group_names(request):
    return destination_names(request.rules) | group_names(
        [request.rule_filters] + [item.predicate for item in request.keep])


def _selects_stale(request):
    return is_stale_selector([request.rule_filters] + [item.predicate for item in request.keep])


def _selection(request, ids_by_name, vpc_id, stale_groups):
    predicates = () if request.rule_filters is None else (for_vpc(request.rule_filters, ids_by_name, vpc_id),)
    keep = tuple(item._replace(predicate=for_vpc(item.predicate, ids_by_name, vpc_id)) for item in request.keep)
    return Selection(with_destination_ids(request.rules, ids_by_name, vpc_id), predicates, keep, stale_groups)


def _plan(group, described, selection, request):
    match = match_egress_rules(group["GroupId"], described, request.rule_ids, selection.rules, request.revoke_all,
                               selection.predicates, selection.keep, stale_rule_ids(described, selection.stale_groups))
    return GroupPlan(group, described, selection, match)


def _check_guards(request, plans):
    """Refuse, before any write call, to revoke more rules than ``max_revoked_rules`` allows, or, with
    ``require_unused``, from a group that network interfaces use."""
    if request.require_unused:
        refuse_used(dict((plan.group["GroupId"], plan.affected) for plan in plans if plan.affected is not None))
    if request.max_revoked_rules is None:
        return
    count = sum(len(plan.match.matched) for plan in plans)
    if count > request.max_revoked_rules:
        groups = sum(1 for plan in plans if plan.match.matched)
        raise NetguardAwsError("%s in %s would be revoked, more than max_revoked_rules=%d; nothing was revoked"
                               % (counted(count, "egress rule"), counted(groups, "security group"),
                                  request.max_revoked_rules), would_revoke=count)


def _revoke_planned(api, plan, request, region, check_mode, journal):
    """Revoke what ``plan`` matched from its group; describe again if rules vanish meanwhile."""
    group_id = plan.group["GroupId"]
    described, match = plan.described, plan.match
    warnings = list(match.warnings)
    response, revoked = {}, []
    for _attempt in range(REVOKE_ATTEMPTS):
        if not match.matched:
            break
        try:
            response, revoked = _journaled_revoke(api, journal, plan.group, region, match.matched, check_mode)
            break
        except RulesGone:
            expected = match.matched
            described = _described_rules(api, group_id, region)
            match = _plan(plan.group, described, plan.selection, request).match
            still_there = set(rule.rule_id for rule in egress_rules_of(group_id, described))
            gone = [rule.rule_id for rule in expected if rule.rule_id not in still_there]
            warnings.append("%s disappeared from %s before this task could revoke it (removed by another change)"
                            % (", ".join(gone), group_id))
    else:
        raise NetguardAwsError("the egress rules of %s kept changing while this task revoked them; run it again"
                               % group_id, group_id=group_id)

    not_revoked = [rule.rule_id for rule in match.matched if rule not in revoked]
    if not_revoked:
        warnings.append("AWS did not report %s as revoked from %s" % (", ".join(not_revoked), group_id))
    before = egress_rules_of(group_id, described)
    after = [rule for rule in before if rule not in revoked]
    result = _group_result(plan.group, revoked, after, response, match)
    header_note = None
    if plan.affected is not None and revoked:
        result["affected_interfaces"] = plan.affected
        header_note = diff_note(plan.affected)
    notes = dict((rule.rule_id, "kept by keep[%d]" % item.index) for rule, item in match.kept)
    return GroupOutcome(result, egress_diff(group_id, before, after, notes, header_note), warnings)


def _journaled_revoke(api, journal, group, region, rules, check_mode):
    """``(response, the rules that went)`` of ``api.revoke_egress``, with the journal's intent line before the
    call and its outcome line after."""
    rule_ids = [rule.rule_id for rule in rules]
    if journal is None:
        response = api.revoke_egress(group["GroupId"], rule_ids, dry_run=check_mode)
        return response, _revoked(rules, response, check_mode)
    entry = journal.intent(group, region, rules)
    try:
        response = api.revoke_egress(group["GroupId"], rule_ids, dry_run=check_mode)
    except RulesGone:
        journal.outcome(entry, FAILED, msg="AWS revoked none of them: some were removed meanwhile by another change")
        raise
    except NetguardAwsError as error:
        journal.outcome(entry, FAILED, msg=error.msg)
        raise
    revoked = _revoked(rules, response, check_mode)
    journal.outcome(entry, WOULD_REVOKE if check_mode else REVOKED, [rule.rule_id for rule in revoked])
    return response, revoked


def _group_result(group, revoked, after, response, match):
    return {
        "changed": bool(revoked),
        "group_id": group["GroupId"],
        "revoked_rules": [rule_summary(rule) for rule in revoked],
        "revoked_ip_permissions": ip_permissions(revoked),
        "unmatched": [*({"security_group_rule_id": rule_id} for rule_id in match.unmatched_rule_ids),
                      *(requested_rule_summary(requested) for requested in match.unmatched_rules)],
        "unknown_ip_permissions": response.get("UnknownIpPermissions", []),
        "egress_rules": [rule_summary(rule) for rule in after],
        "kept": [{"rule": rule_summary(rule), "kept_by": item.index} for rule, item in match.kept],
    }


def _revoked(matched, response, check_mode):
    """The rules that went: AWS's own list where the response has one.

    Without ``RevokedSecurityGroupRules`` (older endpoints, moto), a successful
    revoke by rule IDs removed all of them: AWS rejects the whole call if any ID
    is unknown.
    """
    if check_mode or "RevokedSecurityGroupRules" not in response:
        return matched
    revoked_ids = set(rule.get("SecurityGroupRuleId") for rule in response["RevokedSecurityGroupRules"])
    return [rule for rule in matched if rule.rule_id in revoked_ids]


def _described_rules(api, group_id, region):
    described = [DescribedRule(api_rule) for api_rule in api.security_group_rules([group_id])]
    # A group always has rules unless someone removed them all; an unknown group
    # also describes as no rules, and must not pass as "nothing to do".
    if not described and not api.group_exists(group_id):
        raise _no_such_group(group_id, region)
    return described


def _existing_group(api, group_id, region):
    groups = api.security_groups(group_ids=[group_id])
    if not groups:
        raise _no_such_group(group_id, region)
    return groups[0]


def _no_such_group(group_id, region):
    return NetguardAwsError("security group %s does not exist in %s" % (group_id, region), group_id=group_id)
