# -*- coding: utf-8 -*-
# Copyright: Contributors to the netguard.aws collection
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""Rules in the API's ``IpPermissions`` shape, as options give them (``ip_permissions``, the restore module's input,
``replace_with``): the argument spec, and the parse into ``RequestedRule``s. Pure."""

from collections import namedtuple

from ansible_collections.netguard.aws.plugins.module_utils.errors import NetguardAwsError
from ansible_collections.netguard.aws.plugins.module_utils.rules import (
    PREFIX_LIST_ID,
    REFERENCED_GROUP_ID,
    REFERENCED_GROUP_NAME,
    EgressRule,
    account_id,
    aws_id,
    canonical_protocol,
    checked_ports,
    cidr_destination,
    group_name,
)

RequestedRule = namedtuple("RequestedRule", ["rule", "group_owner", "description", "vpc_id", "vpc_peering_connection_id"],
                           defaults=(None, None, None))
RequestedRule.__doc__ = """A rule as the user gave it; ``group_owner`` narrows a referenced group to one account.

``description`` and, for a referenced group, its ``vpc_id`` and ``vpc_peering_connection_id`` are kept for adding
the rule; matching ignores them.
"""

RestoreRule = namedtuple("RestoreRule", ["requested", "tags"])
RestoreRule.__doc__ = """A ``RequestedRule`` to add (description and peering details kept) and the tags to give it."""


def _kept(*aliases):
    return dict(type="str", aliases=list(aliases))


def _destination_list(alias, key, key_alias):
    return dict(type="list", elements="dict", aliases=[alias], options={
        key: dict(type="str", required=True, aliases=[key_alias]),
        "description": _kept("Description"),
    })


def ip_permissions_argument_spec():
    """The ``ip_permissions`` option: the API's ``IpPermissions``, in snake_case or CamelCase."""
    return dict(type="list", elements="dict", options=dict(
        # raw: a protocol is a name or a number.
        ip_protocol=dict(type="raw", required=True, aliases=["IpProtocol"]),
        from_port=dict(type="int", aliases=["FromPort"]),
        to_port=dict(type="int", aliases=["ToPort"]),
        ip_ranges=_destination_list("IpRanges", "cidr_ip", "CidrIp"),
        ipv6_ranges=_destination_list("Ipv6Ranges", "cidr_ipv6", "CidrIpv6"),
        prefix_list_ids=_destination_list("PrefixListIds", "prefix_list_id", "PrefixListId"),
        user_id_group_pairs=dict(type="list", elements="dict", aliases=["UserIdGroupPairs"], options=dict(
            group_id=dict(type="str", aliases=["GroupId"]),
            group_name=dict(type="str", aliases=["GroupName"]),
            user_id=dict(type="str", aliases=["UserId"]),
            description=_kept("Description"),
            vpc_id=_kept("VpcId"),
            vpc_peering_connection_id=_kept("VpcPeeringConnectionId"),
            peering_status=_kept("PeeringStatus"),
        ), required_one_of=[["group_id", "group_name"]]),
    ), required_together=[["from_port", "to_port"]])


def ip_permission_rules(permissions, option, warnings):
    """``RequestedRule``s of validated ``ip_permissions`` (the argument spec's snake_case), one per destination."""
    rules = []
    for index, permission in enumerate(permissions or ()):
        rules.extend(permission_rules(permission, "%s[%d]" % (option, index), warnings))
    return rules


def permission_rules(permission, where, warnings):
    """``RequestedRule``s of one validated entry of ``ip_permissions`` (``where``: the option path, for errors)."""
    protocol = canonical_protocol(permission["ip_protocol"], where + ".ip_protocol")
    ports = checked_ports(protocol, permission.get("from_port"), permission.get("to_port"), where + ".from_port/to_port")
    destinations = []
    for index, ip_range in enumerate(permission.get("ip_ranges") or ()):
        option = "%s.ip_ranges[%d].cidr_ip" % (where, index)
        destinations.append((cidr_destination(ip_range["cidr_ip"], option, warnings, version=4), None, ip_range, {}))
    for index, ip_range in enumerate(permission.get("ipv6_ranges") or ()):
        option = "%s.ipv6_ranges[%d].cidr_ipv6" % (where, index)
        destinations.append((cidr_destination(ip_range["cidr_ipv6"], option, warnings, version=6), None, ip_range, {}))
    for index, prefix_list in enumerate(permission.get("prefix_list_ids") or ()):
        option = "%s.prefix_list_ids[%d].prefix_list_id" % (where, index)
        destinations.append(((PREFIX_LIST_ID, aws_id(prefix_list["prefix_list_id"], option, "pl")), None, prefix_list, {}))
    for index, pair in enumerate(permission.get("user_id_group_pairs") or ()):
        option = "%s.user_id_group_pairs[%d]" % (where, index)
        if pair.get("group_id") is not None:
            destination = (REFERENCED_GROUP_ID, aws_id(pair["group_id"], option + ".group_id", "sg"))
        else:
            destination = (REFERENCED_GROUP_NAME, group_name(pair["group_name"], option + ".group_name"))
        owner = pair.get("user_id")
        if owner is not None:
            account_id(owner, option + ".user_id")
        peering = dict((key, pair.get(key)) for key in ("vpc_id", "vpc_peering_connection_id"))
        destinations.append((destination, owner, pair, peering))
    if not destinations:
        raise NetguardAwsError("%s has no destination: give ip_ranges, ipv6_ranges, prefix_list_ids or "
                               "user_id_group_pairs" % where)
    return [RequestedRule(EgressRule(protocol, ports[0], ports[1], *destination), owner, entry.get("description"),
                          **peering)
            for destination, owner, entry, peering in destinations]
