# -*- coding: utf-8 -*-
# Copyright: Contributors to the netguard.aws collection
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""Describe the egress rules of many security groups in a handful of calls. Read-only."""

from ansible_collections.netguard.aws.plugins.module_utils.ec2 import Ec2Api
from ansible_collections.netguard.aws.plugins.module_utils.errors import NetguardAwsError, quoted
from ansible_collections.netguard.aws.plugins.module_utils.formatting import display_line, rule_summary
from ansible_collections.netguard.aws.plugins.module_utils.matching import egress_rules_of, passes_filter
from ansible_collections.netguard.aws.plugins.module_utils.predicates import (
    for_vpc,
    group_names,
    is_stale_selector,
    passes,
    stale_rule_ids,
)
from ansible_collections.netguard.aws.plugins.module_utils.regions import RegionalRun
from ansible_collections.netguard.aws.plugins.module_utils.rules import (
    REFERENCED_GROUP_ID,
    REFERENCED_GROUP_NAME,
    DescribedRule,
)
from ansible_collections.netguard.aws.plugins.module_utils.selection import (
    destination_ids_by_name,
    group_by_name,
    groups_by_id,
    groups_named,
)


def describe_egress(client, request, check_mode=False, diff=False, clients=None):
    """The selected groups with their egress rules (those passing the rule filters, if any).

    Calls: DescribeSecurityGroups (paginated; by ID 200 a call), one more for
    destination group names if any, and DescribeSecurityGroupRules for 200 groups
    a call, or for the whole region at once when no group selector is given;
    1,000 rules a page. A ``stale`` predicate adds one DescribeStaleSecurityGroups
    per VPC. With ``regions``, the same in every region at once (``clients(regions)``
    gives their clients), each group with its ``region``. Read-only, so check mode
    and diff mode change nothing.
    """
    if request.regions is None:
        api = Ec2Api(client)
        region = client.meta.region_name
        if request.group_ids:
            groups = groups_by_id(api, list(request.group_ids), region)
        elif request.group_name is not None:
            groups = [group_by_name(api, request.group_name, request.vpc_id)]
        else:
            groups = api.security_groups(request.filters or ())
        return {"changed": False, "security_groups": _listed(api, request, groups),
                "warnings": list(request.warnings)}

    run = RegionalRun(client, clients, request.regions)
    listed = run.each(lambda region, api: _region_listing(api, request, region))
    security_groups = [entry for region in listed for entry in listed[region][1]]
    result = dict({"changed": False, "security_groups": security_groups, "warnings": list(request.warnings)},
                  **run.report())
    found = [dict(group, region=region) for region in listed for group in listed[region][0]]
    problems = _selection_problems(request, found, len(run.regions)) + (
        [run.failure_message()] if run.failed_regions else [])
    if problems:
        raise NetguardAwsError("; ".join(problems), **result)
    return result


def _region_listing(api, request, region):
    """``(selected groups, result entries)`` of one region; a group ID or name it lacks is no error here."""
    if request.group_name is not None:
        groups = groups_named(api, request.group_name, request.vpc_id)
    else:
        groups = api.security_groups(request.filters or (), group_ids=request.group_ids)
    return groups, [dict(entry, region=region) for entry in _listed(api, request, groups)]


def _selection_problems(request, found, region_count):
    """Across regions, each group ID must exist in one of them, and a group name must name exactly one group."""
    regions = "any of the %d regions" % region_count
    if request.group_ids:
        ids = set(group["GroupId"] for group in found)
        missing = [group_id for group_id in request.group_ids if group_id not in ids]
        return ["security group %s does not exist in %s" % (", ".join(missing), regions)] if missing else []
    if request.group_name is not None and len(found) != 1:
        if not found:
            return ["group_name %s: no security group has that name in %s" % (quoted(request.group_name), regions)]
        return ["group_name %s matches %d security groups: %s; give vpc_id or group_id" % (
            quoted(request.group_name), len(found),
            ", ".join("%s (%s, %s)" % (group["GroupId"], group["region"], group.get("VpcId")) for group in found))]
    return []


def _listed(api, request, groups):
    """The result entries of ``groups``, with the egress rules that pass the rule filters."""
    whole_region = not (request.group_ids or request.group_name or request.filters)
    described_by_group = dict((group["GroupId"], []) for group in groups)
    if groups:
        for api_rule in api.security_group_rules(None if whole_region else list(described_by_group)):
            # Whole-region reads can include a group created after the groups were listed.
            if api_rule.get("GroupId") in described_by_group:
                described_by_group[api_rule["GroupId"]].append(DescribedRule(api_rule))

    rule_filter, rule_predicate = request.rule_filter, request.rule_predicate
    ids_by_name = _destination_ids(api, request, groups)
    stale_ids = frozenset()
    if is_stale_selector([rule_predicate]):
        stale_groups = api.stale_security_groups(group.get("VpcId") for group in groups)
        stale_ids = stale_rule_ids([rule for rules in described_by_group.values() for rule in rules], stale_groups)
    security_groups = []
    for group in groups:
        egress = egress_rules_of(group["GroupId"], described_by_group[group["GroupId"]])
        if rule_filter is not None:
            group_filter = _filter_for_vpc(rule_filter, ids_by_name, group.get("VpcId"))
            egress = [rule for rule in egress if passes_filter(rule, group_filter)]
        if rule_predicate is not None:
            group_predicate = for_vpc(rule_predicate, ids_by_name, group.get("VpcId"))
            egress = [rule for rule in egress if passes(rule, group_predicate, stale_ids)]
        if (rule_filter is not None or rule_predicate is not None) and not egress:
            continue
        security_groups.append({
            "group_id": group["GroupId"],
            "group_name": group.get("GroupName"),
            "vpc_id": group.get("VpcId"),
            "owner_id": group.get("OwnerId"),
            "egress_rules": [dict(rule_summary(rule), display=display_line(rule)) for rule in egress],
        })
    return security_groups


def _destination_ids(api, request, groups):
    names = set(value for kind, value in (request.rule_filter.destinations if request.rule_filter else ())
                if kind == REFERENCED_GROUP_NAME) | group_names([request.rule_predicate])
    if not names or not groups:
        return {}
    return destination_ids_by_name(api, names, set(group.get("VpcId") for group in groups), "destination_group")


def _filter_for_vpc(rule_filter, ids_by_name, vpc_id):
    destinations = []
    for kind, value in rule_filter.destinations:
        if kind == REFERENCED_GROUP_NAME and (vpc_id, value) in ids_by_name:
            kind, value = REFERENCED_GROUP_ID, ids_by_name[(vpc_id, value)]
        destinations.append((kind, value))
    return rule_filter._replace(destinations=tuple(destinations))
