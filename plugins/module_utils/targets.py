# -*- coding: utf-8 -*-
# Copyright: Contributors to the netguard.aws collection
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""Stage 1 of the pipeline: the groups a task targets in one region, by ID, by name, by filters, or all of them,
less those that ``exclude_filters`` match."""

from collections import namedtuple

from ansible_collections.netguard.aws.plugins.module_utils.errors import NetguardAwsError, no_such_group, quoted

TargetGroup = namedtuple("TargetGroup", ["group", "additions", "exists", "removals"], defaults=((), True, ()))
TargetGroup.__doc__ = """A group as ``DescribeSecurityGroups`` describes it, or only its ``GroupId`` (and ``OwnerId``)
when named by ID. ``exists``: True, False (looked up and not found), or None: a group named by ID is taken to exist,
without a call, until it turns out to have no rules (``reading.py``). ``additions``, ``removals``: what the task adds
to this group alone, and the IDs of its rules it removes (the restore module's input)."""


def target_groups(api, target, details):
    """The groups of ``target`` in ``api``'s region. ``details``: describe groups named by ID (their VPC and name),
    else they cost no call here. A name that matches no group, or several, is no error here: see ``check_found``."""
    located = [entry for entry in target.located if entry.region == api.region]
    if located:
        stubs = [TargetGroup(_stub(entry.group_id, entry.owner_id), entry.additions, None, entry.removals)
                 for entry in located]
        return verified(api, stubs) if details else stubs
    if target.group_ids is not None:
        stubs = [TargetGroup(_stub(group_id), (), None) for group_id in target.group_ids]
        return verified(api, stubs) if details else stubs
    if target.group_name is not None:
        return [TargetGroup(group) for group in groups_named(api, target.group_name, target.vpc_id)]
    return [TargetGroup(group) for group in api.security_groups(target.filters or ())]


def excluding(api, groups, exclude_filters):
    """``(groups kept, groups excluded)``: ``groups`` (``TargetGroup``s) less those that ``exclude_filters`` match, in
    one ``DescribeSecurityGroups``, so that EC2 applies its own filter semantics, as it does to ``filters``. No call
    without exclusions, or without groups to exclude from."""
    if exclude_filters is None or not groups:
        return groups, []
    exempt = set(group["GroupId"] for group in api.security_groups(exclude_filters))
    return ([group for group in groups if group.group["GroupId"] not in exempt],
            [group for group in groups if group.group["GroupId"] in exempt])


def _stub(group_id, owner_id=None):
    return dict({"GroupId": group_id}, **({"OwnerId": owner_id} if owner_id else {}))


def verified(api, stubs):
    """``stubs`` (``TargetGroup``s) with the groups whose existence is not known yet looked up, in one
    ``DescribeSecurityGroups`` per 200: described if found, else ``exists`` false. The one check of whether a group
    exists."""
    unknown = [stub.group["GroupId"] for stub in stubs if stub.exists is None]
    if not unknown:
        return stubs
    found = dict((group["GroupId"], group) for group in api.security_groups(group_ids=list(dict.fromkeys(unknown))))
    return [stub if stub.exists is not None
            else stub._replace(group=dict(found[stub.group["GroupId"]], **stub.group), exists=True)
            if stub.group["GroupId"] in found else stub._replace(exists=False)
            for stub in stubs]


def missing_group(target_group, region):
    """The failure of a group that does not exist."""
    return no_such_group([target_group.group["GroupId"]], region)


def groups_named(api, group_name, vpc_id=None):
    """Every group with exactly this name (in ``vpc_id``), in one DescribeSecurityGroups."""
    filters = [{"Name": "group-name", "Values": [group_name]}]
    if vpc_id is not None:
        filters.append({"Name": "vpc-id", "Values": [vpc_id]})
    # Filter values treat * and ? as wildcards; names may contain them.
    return [group for group in api.security_groups(filters) if group["GroupName"] == group_name]


def check_found(target, found, region, region_count=None):
    """Refuse, naming them, group IDs of ``target`` that are not among the ``found`` groups (dicts), and a group name
    that names no group or several. ``region``: where they were looked for; with ``regions``, ``region_count``
    regions were, and each found group carries its ``region``."""
    anywhere = region if region_count is None else "any of the %d regions" % region_count
    if target.group_ids is not None:
        ids = set(group["GroupId"] for group in found)
        missing = [group_id for group_id in target.group_ids if group_id not in ids]
        if missing:
            raise no_such_group(missing, anywhere)
    if target.group_name is not None and len(found) != 1:
        in_vpc = " in %s" % target.vpc_id if target.vpc_id and region_count is None else ""
        if not found:
            raise NetguardAwsError("group_name %s: no security group has that name%s" % (
                quoted(target.group_name), in_vpc if region_count is None else " in " + anywhere))
        raise NetguardAwsError("group_name %s matches %d security groups%s: %s; give vpc_id or group_id" % (
            quoted(target.group_name), len(found), in_vpc,
            ", ".join("%s (%s)" % (group["GroupId"], ", ".join(filter(None, [group.get("region"), group.get("VpcId")])))
                      for group in found)))
