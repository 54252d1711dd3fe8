# -*- coding: utf-8 -*-
# Copyright: Contributors to the netguard.aws collection
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""Stage 2 of the pipeline: one batched read of what the plans of a region need, and nothing more.

The rules of every target group (``DescribeSecurityGroupRules`` takes 200 groups a
call, 1,000 rules a page, or the whole region at once), and only what the selector
asks for: the IDs of destination groups given by name (one ``DescribeSecurityGroups``
for every name and VPC), which rules are stale (one ``DescribeStaleSecurityGroups``
per VPC), the names of the prefix lists the rules name (one ``DescribeManagedPrefixLists``)
and their entries (one ``GetManagedPrefixListEntries`` per list), the tags of the groups
they reference (one ``DescribeSecurityGroups`` per 200). After planning, ``with_affected``
reads who uses the groups that change, for ``impact``: their network interfaces, and the
region's launch templates and ECS services.
"""

import ipaddress
from collections import namedtuple

from ansible_collections.netguard.aws.plugins.module_utils.errors import NetguardAwsError, quoted
from ansible_collections.netguard.aws.plugins.module_utils.impact import affected_interfaces, affected_users
from ansible_collections.netguard.aws.plugins.module_utils.rules import (
    PREFIX_LIST_ID,
    REFERENCED_GROUP_ID,
    DescribedRule,
    tag_dict,
)
from ansible_collections.netguard.aws.plugins.module_utils.selector import (
    PrefixList,
    group_names,
    needs_group_tags,
    needs_prefix_list_entries,
    needs_prefix_list_names,
    needs_stale,
)
from ansible_collections.netguard.aws.plugins.module_utils.targets import verified

Snapshot = namedtuple("Snapshot", ["groups", "described", "ids_by_name", "stale_groups", "destinations"])
Snapshot.__doc__ = """What a region's plans are made from: the target groups (``TargetGroup``s, ``exists`` known),
``{group_id: [DescribedRule]}``, ``{(vpc_id, name): group_id}``, the ``StaleSecurityGroupSet``, and what the
predicates need of the rules' destinations (``Destinations``)."""

Destinations = namedtuple("Destinations", ["prefix_lists", "group_tags"], defaults=({}, {}))
Destinations.__doc__ = """``{pl_id: PrefixList}`` of the prefix lists the egress rules name, and ``{group_id: {key:
value}}`` of the groups they reference, read only as far as the predicates need them."""


def read(api, groups, selector, whole_region=False):
    """The ``Snapshot`` of ``groups`` (``TargetGroup``s) for ``selector`` (None: nothing is selected). Destination
    group names and stale references need the groups' VPCs: ``targets.target_groups`` described them.

    ``whole_region``: the groups are every group of the region, so their rules are read in one go. A group named
    by ID that turns out to have no rule at all is looked up (``targets.verified``), to tell an empty group from a
    missing one.
    """
    ids_by_name, stale_groups = {}, []
    if selector is not None and groups:
        vpc_ids = set(target.group.get("VpcId") for target in groups if target.exists)
        ids_by_name = destination_ids_by_name(api, group_names(selector), vpc_ids)
        if needs_stale(selector):
            stale_groups = api.stale_security_groups(vpc_ids)
    described = dict((target.group["GroupId"], []) for target in groups)
    if groups:
        for api_rule in api.security_group_rules(None if whole_region else list(described)):
            # Whole-region reads can include a group created after the groups were listed.
            if api_rule.get("GroupId") in described:
                described[api_rule["GroupId"]].append(DescribedRule(api_rule))
        # A group with rules exists; only one without any needs looking up.
        groups = verified(api, [target._replace(exists=True) if described[target.group["GroupId"]] else target
                                for target in groups])
    destinations = Destinations()
    if selector is not None:
        destinations = read_destinations(api, selector, [rule for rules in described.values() for rule in rules
                                                         if rule.is_egress])
    return Snapshot(groups, described, ids_by_name, stale_groups, destinations)


def read_destinations(api, selector, egress):
    """The ``Destinations`` of the ``egress`` rules (``DescribedRule``s) that ``selector``'s predicates need: prefix
    list names (one ``DescribeManagedPrefixLists`` for the region), entries (one ``GetManagedPrefixListEntries`` per
    list), tags of referenced groups (one ``DescribeSecurityGroups`` per 200 groups). None for rules that name no
    prefix list or group."""
    prefix_list_ids = sorted(set(rule.rule.destination for rule in egress if rule.rule.destination_type == PREFIX_LIST_ID))
    group_ids = sorted(set(rule.rule.destination for rule in egress
                           if rule.rule.destination_type == REFERENCED_GROUP_ID and rule.rule.destination))
    names, entries, group_tags = {}, {}, {}
    if prefix_list_ids and needs_prefix_list_names(selector):
        names = dict((item["PrefixListId"], item.get("PrefixListName")) for item in api.managed_prefix_lists())
    if prefix_list_ids and needs_prefix_list_entries(selector):
        entries = dict((prefix_list_id, tuple(ipaddress.ip_network(cidr, strict=False)
                                              for cidr in api.prefix_list_entries(prefix_list_id)))
                       for prefix_list_id in prefix_list_ids)
    if group_ids and needs_group_tags(selector):
        group_tags = dict((group["GroupId"], tag_dict(group.get("Tags")))
                          for group in api.security_groups(group_ids=group_ids))
    prefix_lists = dict((prefix_list_id, PrefixList(names.get(prefix_list_id), entries.get(prefix_list_id)))
                        for prefix_list_id in prefix_list_ids)
    return Destinations(prefix_lists, group_tags)


def destination_ids_by_name(api, names, vpc_ids):
    """``{(vpc_id, name): group_id}`` for the named groups in these VPCs, in one lookup.

    A name that no group has in any of the VPCs is an error naming it.
    """
    if not names:
        return {}
    vpc_ids = sorted(vpc_id for vpc_id in vpc_ids if vpc_id)
    groups = api.security_groups([{"Name": "group-name", "Values": sorted(names)},
                                  {"Name": "vpc-id", "Values": vpc_ids}])
    ids_by_name = dict(((group.get("VpcId"), group["GroupName"]), group["GroupId"]) for group in groups
                       if group["GroupName"] in names)
    unknown = sorted(set(names) - set(name for _vpc_id, name in ids_by_name))
    if unknown:
        where = vpc_ids[0] if len(vpc_ids) == 1 else "any of the %d VPCs of the selected groups" % len(vpc_ids)
        raise NetguardAwsError("destination group %s: no security group has that name in %s; give its sg- ID instead"
                               % (", ".join(quoted(name) for name in unknown), where))
    return ids_by_name


def with_affected(api, plans):
    """``plans`` with ``affected`` and ``users``, who uses each group that changes: its network interfaces (one
    ``DescribeNetworkInterfaces`` per 200 such groups), and of the region's launch templates (one
    ``DescribeLaunchTemplateVersions``) and ECS services those that name it; no call when nothing changes.

    A group ID is unique in a region, so templates and services are matched by ID whatever their VPC.
    """
    changing = [plan.group["GroupId"] for plan in plans if plan.changes]
    if not changing:
        return plans
    interfaces = api.network_interfaces(changing)
    versions = api.launch_template_versions()
    services = api.ecs_services()
    return [plan._replace(affected=affected_interfaces(plan.group["GroupId"], interfaces),
                          users=affected_users(plan.group["GroupId"], interfaces, versions, services))
            if plan.changes else plan for plan in plans]
