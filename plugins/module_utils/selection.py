# -*- coding: utf-8 -*-
# Copyright: Contributors to the netguard.aws collection
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""Finding security groups: by ID, by name, by DescribeSecurityGroups filters; destination groups by name."""

from ansible_collections.netguard.aws.plugins.module_utils.errors import NetguardAwsError, quoted
from ansible_collections.netguard.aws.plugins.module_utils.rules import REFERENCED_GROUP_ID, REFERENCED_GROUP_NAME


def groups_named(api, group_name, vpc_id=None):
    """Every group with exactly this name (in ``vpc_id``), in one DescribeSecurityGroups."""
    filters = [{"Name": "group-name", "Values": [group_name]}]
    if vpc_id is not None:
        filters.append({"Name": "vpc-id", "Values": [vpc_id]})
    # Filter values treat * and ? as wildcards; names may contain them.
    return [group for group in api.security_groups(filters) if group["GroupName"] == group_name]


def group_by_name(api, group_name, vpc_id=None):
    """The one group with this name (in ``vpc_id``); no match or several is an error naming them."""
    groups = groups_named(api, group_name, vpc_id)
    where = " in %s" % vpc_id if vpc_id else ""
    if not groups:
        raise NetguardAwsError("group_name %s: no security group has that name%s" % (quoted(group_name), where))
    if len(groups) > 1:
        found = ", ".join("%s (%s)" % (group["GroupId"], group.get("VpcId")) for group in groups)
        raise NetguardAwsError("group_name %s matches %d security groups%s: %s; give vpc_id or group_id"
                               % (quoted(group_name), len(groups), where, found))
    return groups[0]


def groups_by_id(api, group_ids, region):
    """The groups with these IDs, in the order given; any that does not exist is an error naming it."""
    found = dict((group["GroupId"], group) for group in api.security_groups(group_ids=group_ids))
    missing = [group_id for group_id in group_ids if group_id not in found]
    if missing:
        raise NetguardAwsError("security group %s does not exist in %s" % (", ".join(missing), region))
    return [found[group_id] for group_id in group_ids]


def destination_ids_by_name(api, names, vpc_ids, option="destination group"):
    """``{(vpc_id, name): group_id}`` for the named groups in these VPCs, in one lookup.

    A name that no group has in any of the VPCs is an error naming it.
    """
    if not names:
        return {}
    vpc_ids = sorted(vpc_ids)
    groups = api.security_groups([{"Name": "group-name", "Values": sorted(names)},
                                  {"Name": "vpc-id", "Values": vpc_ids}])
    ids_by_name = dict(((group.get("VpcId"), group["GroupName"]), group["GroupId"]) for group in groups
                       if group["GroupName"] in names)
    unknown = sorted(set(names) - set(name for _vpc_id, name in ids_by_name))
    if unknown:
        where = vpc_ids[0] if len(vpc_ids) == 1 else "any of the %d VPCs of the selected groups" % len(vpc_ids)
        raise NetguardAwsError("%s %s: no security group has that name in %s; give its sg- ID instead"
                               % (option, ", ".join(quoted(name) for name in unknown), where))
    return ids_by_name


def destination_names(requested_rules):
    return set(requested.rule.destination for requested in requested_rules
               if requested.rule.destination_type == REFERENCED_GROUP_NAME)


def with_destination_ids(requested_rules, ids_by_name, vpc_id):
    """The requested rules with destination group names replaced by IDs found in ``vpc_id``.

    A name with no group in that VPC stays a name, so it matches no rule.
    """
    resolved = []
    for requested in requested_rules:
        group_id = ids_by_name.get((vpc_id, requested.rule.destination))
        if requested.rule.destination_type == REFERENCED_GROUP_NAME and group_id is not None:
            requested = requested._replace(
                rule=requested.rule._replace(destination_type=REFERENCED_GROUP_ID, destination=group_id))
        resolved.append(requested)
    return resolved
