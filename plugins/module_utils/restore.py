# -*- coding: utf-8 -*-
# Copyright: Contributors to the netguard.aws collection
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""Put revoked egress rules back: describe first, then authorize only what is missing.

Takes a validated ``RestoreRequest`` and an EC2 client and returns the task
result; raises ``NetguardAwsError`` for expected failures. No ``AnsibleModule``
here, so the module and its action plugin run the same code.
"""

from collections import namedtuple
from concurrent.futures import ThreadPoolExecutor

from ansible_collections.netguard.aws.plugins.module_utils.ec2 import Ec2Api, RuleExists, RuleRefused
from ansible_collections.netguard.aws.plugins.module_utils.errors import NetguardAwsError
from ansible_collections.netguard.aws.plugins.module_utils.formatting import (
    api_tags,
    counted,
    display_line,
    egress_diff,
    ip_permissions,
    protocol_and_ports,
    requested_api_rule,
    rule_summary,
)
from ansible_collections.netguard.aws.plugins.module_utils.matching import egress_rules_of, rules_by_identity, same_rules
from ansible_collections.netguard.aws.plugins.module_utils.rules import DescribedRule

# Groups restored at the same time in a region.
CONCURRENCY = 8

GroupOutcome = namedtuple("GroupOutcome", ["result", "diff", "warnings", "problem"])
GroupOutcome.__doc__ = """A group's result, diff and warnings, and ``problem``: why the task must fail for it, or None."""


def restore_egress(client, request, check_mode=False, diff=False, clients=None):
    """Add the egress rules of ``request`` that their groups lack and return the task result.

    Per region: one paginated DescribeSecurityGroupRules per 200 groups, then for each group that lacks
    rules one AuthorizeSecurityGroupEgress per distinct set of rule tags (``DryRun`` in check mode). When
    AWS refuses a call for one of its rules, the rules are added one call each, so that the others go in.
    Groups in other regions than the connection's use clients from ``clients(regions)``.
    """
    region = client.meta.region_name
    by_region = {}
    for group in request.groups:
        by_region.setdefault(group.region or region, []).append(group)
    apis = {region: Ec2Api(client)}
    others = [name for name in by_region if name != region]
    if others:
        apis.update((name, Ec2Api(regional)) for name, regional in clients(others).items())
    outcomes = []
    for name, groups in by_region.items():
        outcomes.extend(_restore_region(apis[name], name, groups, check_mode))
    warnings = list(request.warnings) + [warning for outcome in outcomes for warning in outcome.warnings]
    if request.bulk or not outcomes:
        return _bulk_result(outcomes, warnings, diff) if request.bulk else {"changed": False, "warnings": warnings}
    outcome = outcomes[0]
    result = dict(outcome.result, warnings=warnings)
    if diff:
        result["diff"] = outcome.diff
    if outcome.problem:
        raise NetguardAwsError(outcome.problem, **dict((key, value) for key, value in result.items()
                                                       if key not in ("failed", "msg")))
    return result


def _restore_region(api, region, groups, check_mode):
    wanted = [group.group_id for group in groups if group.rules]
    try:
        described = api.security_group_rules(wanted) if wanted else []
    except NetguardAwsError as error:
        return [_failed(group, region, error.msg) for group in groups]
    by_group = {}
    for api_rule in described:
        by_group.setdefault(api_rule["GroupId"], []).append(DescribedRule(api_rule))

    def restore_one(group):
        try:
            return _restore_group(api, region, group, by_group.get(group.group_id, []), check_mode)
        except NetguardAwsError as error:
            return _failed(group, region, error.msg)

    with ThreadPoolExecutor(max_workers=CONCURRENCY) as pool:
        return list(pool.map(restore_one, groups))


def _restore_group(api, region, group, described, check_mode):
    before = egress_rules_of(group.group_id, described)
    by_rule = rules_by_identity(before)
    present, missing, warnings = [], [], []
    for item in group.rules:
        hits = same_rules(item.requested, by_rule)
        if not hits:
            missing.append(item)
            continue
        present.append(hits[0])
        if hits[0].description != item.requested.description:
            warnings.append("%s already has %s -> %s (%s), with description %s where the input has %s: left as it is"
                            % (group.group_id, protocol_and_ports(hits[0].rule), hits[0].rule.destination,
                               hits[0].rule_id, _text(hits[0].description), _text(item.requested.description)))
    restored, raced, failed = _authorize(api, group.group_id, region, missing, check_mode)
    if not check_mode and any(rule.rule_id is None for rule in restored):
        restored = _described_again(api, group.group_id, before, restored)
    for item in raced:
        warnings.append("%s was added to %s by another change meanwhile: counted as already present"
                        % (display_line(_new_rule(item, group.group_id)), group.group_id))
    after = before + restored
    already_present = present + [_new_rule(item, group.group_id) for item in raced]
    result = {
        "changed": bool(restored),
        "group_id": group.group_id,
        "region": region,
        "owner_id": group.owner_id,
        "restored_rules": [rule_summary(rule) for rule in restored],
        "already_present": [rule_summary(rule) for rule in already_present],
        "failed_rules": [{"rule": rule_summary(_new_rule(item, group.group_id)), "msg": msg} for item, msg in failed],
        "egress_rules": [rule_summary(rule) for rule in after],
    }
    problem = None
    if failed:
        problem = "could not restore %s to %s (the others were restored): %s" % (
            counted(len(failed), "egress rule"), group.group_id,
            "; ".join("%s: %s" % (display_line(_new_rule(item, group.group_id)), msg) for item, msg in failed))
    return GroupOutcome(result, egress_diff(group.group_id, before, after), warnings, problem)


def _text(description):
    return "none" if description is None else '"%s"' % description


def _new_rule(item, group_id, rule_id=None):
    return DescribedRule(requested_api_rule(item.requested, item.tags, group_id, rule_id))


def _authorize(api, group_id, region, items, check_mode):
    """``(restored, already there, [(item, why AWS refused it)])``: one call per set of tags, then one per rule
    for a call that AWS refused."""
    batches = {}
    for item in items:
        batches.setdefault(tuple(sorted(item.tags.items())), []).append(item)
    restored, raced, failed = [], [], []
    for tags, batch in batches.items():
        try:
            restored.extend(_authorized(api, group_id, batch, dict(tags), check_mode))
            continue
        except RuleExists:
            pass
        except RuleRefused as refusal:
            if "'%s'" % group_id in refusal.msg:
                raise NetguardAwsError("security group %s does not exist in %s" % (group_id, region), group_id=group_id)
            if len(batch) == 1:
                failed.append((batch[0], refusal.msg))
                continue
        for item in batch:
            try:
                restored.extend(_authorized(api, group_id, [item], dict(tags), check_mode))
            except RuleExists:
                raced.append(item)
            except RuleRefused as refusal:
                failed.append((item, refusal.msg))
    return restored, raced, failed


def _authorized(api, group_id, items, tags, check_mode):
    """The rules one authorize call added, as AWS describes them; as they would be (no ID) in check mode, or when
    the response does not list them."""
    planned = [_new_rule(item, group_id) for item in items]
    added = rules_by_identity(DescribedRule(dict(api_rule, Tags=api_rule.get("Tags") or api_tags(tags)))
                              for api_rule in api.authorize_egress(group_id, ip_permissions(planned), tags,
                                                                   dry_run=check_mode))
    return [(added.get(rule.rule) or [rule])[0] for rule in planned]


def _described_again(api, group_id, before, restored):
    """The restored rules with their IDs, from one more describe: for endpoints whose authorize response lists
    only some of the new rules (moto lists the first)."""
    known = set(rule.rule_id for rule in before)
    described = [DescribedRule(api_rule) for api_rule in api.security_group_rules([group_id])]
    new = rules_by_identity(rule for rule in egress_rules_of(group_id, described) if rule.rule_id not in known)
    return [rule if rule.rule_id is not None else (new.get(rule.rule) or [rule])[0] for rule in restored]


def _failed(group, region, msg):
    result = {"changed": False, "failed": True, "msg": msg, "group_id": group.group_id, "region": region,
              "owner_id": group.owner_id, "restored_rules": [], "already_present": [], "failed_rules": []}
    return GroupOutcome(result, None, [], msg)


def _bulk_result(outcomes, warnings, diff):
    """The result in bulk form; raises, with the result, when a group failed or a rule could not be restored."""
    results = [outcome.result for outcome in outcomes]
    result = {
        "changed": any(group_result["changed"] for group_result in results),
        "groups": results,
        "totals": {
            "groups": len(results),
            "changed_groups": sum(1 for group_result in results if group_result["changed"]),
            "restored_rules": sum(len(group_result["restored_rules"]) for group_result in results),
            "already_present": sum(len(group_result["already_present"]) for group_result in results),
            "failed_rules": sum(len(group_result["failed_rules"]) for group_result in results),
            "failed_groups": sum(1 for group_result in results if group_result.get("failed")),
        },
        "warnings": warnings,
    }
    if diff:
        result["diff"] = [outcome.diff for outcome in outcomes if outcome.result["changed"]]
    problems = [outcome.problem for outcome in outcomes if outcome.problem]
    if problems:
        raise NetguardAwsError("could not restore everything in %d of %s: %s" % (
            len(problems), counted(len(results), "security group"), "; ".join(problems)), **result)
    return result
