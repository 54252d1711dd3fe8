# -*- coding: utf-8 -*-
# Copyright: Contributors to the netguard.aws collection
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""The shapes rules take in task results: snake_case dicts, ``IpPermissions``, one-line text."""

import json

from ansible.module_utils.common.dict_transformations import camel_dict_to_snake_dict

from ansible_collections.netguard.aws.plugins.module_utils.errors import NetguardAwsError, invalid
from ansible_collections.netguard.aws.plugins.module_utils.rules import (
    ALL_PROTOCOLS,
    CIDR_IPV4,
    CIDR_IPV6,
    ICMP_PROTOCOLS,
    PORT_RANGE_PROTOCOLS,
    PREFIX_LIST_ID,
    DescribedRule,
)

_SUMMARY_KEYS = ("SecurityGroupRuleId", "IpProtocol", "FromPort", "ToPort", "CidrIpv4", "CidrIpv6", "PrefixListId")
_SUMMARY_NAMES = tuple(zip(_SUMMARY_KEYS, ("security_group_rule_id", "ip_protocol", "from_port", "to_port", "cidr_ipv4",
                                           "cidr_ipv6", "prefix_list_id")))
_DESTINATION_KEYS = {CIDR_IPV4: "CidrIpv4", CIDR_IPV6: "CidrIpv6", PREFIX_LIST_ID: "PrefixListId"}
_API_RANGE_KEYS = (
    ("CidrIpv4", "IpRanges", "CidrIp"),
    ("CidrIpv6", "Ipv6Ranges", "CidrIpv6"),
    ("PrefixListId", "PrefixListIds", "PrefixListId"),
)


def rule_summary(described):
    """A described rule as the modules return it (``revoked_rules``, ``egress_rules``)."""
    api_rule = described.api_rule
    summary = camel_dict_to_snake_dict(dict((key, api_rule[key]) for key in _SUMMARY_KEYS if key in api_rule))
    if api_rule.get("ReferencedGroupInfo"):
        summary["referenced_group_id"] = api_rule["ReferencedGroupInfo"].get("GroupId")
    summary["description"] = described.description
    summary["tags"] = dict(described.tags)
    return summary


def described_from_summary(summary, option):
    """A rule in the shape of ``rule_summary`` (a result's ``revoked_rules``) as a ``DescribedRule`` again.

    ``option`` names where it came from, for the error when it is not such a rule.
    """
    try:
        api_rule = dict((key, summary[name]) for key, name in _SUMMARY_NAMES if summary.get(name) is not None)
        api_rule.setdefault("SecurityGroupRuleId", None)
        if summary.get("referenced_group_id"):
            api_rule["ReferencedGroupInfo"] = {"GroupId": summary["referenced_group_id"]}
        return DescribedRule(dict(api_rule, IsEgress=True, Description=summary.get("description"),
                                  Tags=api_tags(summary.get("tags") or {})))
    except (AttributeError, KeyError, TypeError, ValueError, NetguardAwsError):
        raise invalid(option, summary, "is not a rule as the revoke module returns it (ip_protocol, from_port, "
                      "to_port and a destination)")


def requested_api_rule(requested, tags, group_id, rule_id=None):
    """A ``RequestedRule`` in the shape ``DescribeSecurityGroupRules`` would give it once added, with ``tags``."""
    rule = requested.rule
    api_rule = {"SecurityGroupRuleId": rule_id, "GroupId": group_id, "IsEgress": True, "IpProtocol": rule.protocol,
                "FromPort": rule.from_port, "ToPort": rule.to_port, "Tags": api_tags(tags)}
    if rule.destination_type in _DESTINATION_KEYS:
        api_rule[_DESTINATION_KEYS[rule.destination_type]] = rule.destination
    else:
        pair = (("GroupId", rule.destination), ("UserId", requested.group_owner), ("VpcId", requested.vpc_id),
                ("VpcPeeringConnectionId", requested.vpc_peering_connection_id))
        api_rule["ReferencedGroupInfo"] = dict((key, value) for key, value in pair if value)
    if requested.description is not None:
        api_rule["Description"] = requested.description
    return api_rule


def api_tags(tags):
    return [{"Key": key, "Value": value} for key, value in sorted(tags.items())]


def requested_rule_summary(requested):
    """A requested rule that matched nothing, normalised (``unmatched``)."""
    rule = requested.rule
    summary = {
        "ip_protocol": rule.protocol,
        "from_port": rule.from_port,
        "to_port": rule.to_port,
        rule.destination_type: rule.destination,
    }
    if requested.group_owner is not None:
        summary["group_owner"] = requested.group_owner
    return summary


def ip_permissions(described_rules):
    """The rules in the API's ``IpPermissions`` shape, descriptions kept.

    ``authorize_security_group_egress(IpPermissions=...)`` with this value
    recreates exactly these rules.
    """
    permissions = []
    by_ports = {}
    for described in described_rules:
        api_rule = described.api_rule
        ports = (api_rule["IpProtocol"], api_rule.get("FromPort"), api_rule.get("ToPort"))
        permission = by_ports.get(ports)
        if permission is None:
            permission = {"IpProtocol": ports[0]}
            if ports[1] is not None:
                permission["FromPort"] = ports[1]
            if ports[2] is not None:
                permission["ToPort"] = ports[2]
            by_ports[ports] = permission
            permissions.append(permission)
        list_key, entry = _permission_entry(api_rule)
        if described.description is not None:
            entry["Description"] = described.description
        permission.setdefault(list_key, []).append(entry)
    return permissions


def _permission_entry(api_rule):
    for rule_key, list_key, entry_key in _API_RANGE_KEYS:
        if api_rule.get(rule_key):
            return list_key, {entry_key: api_rule[rule_key]}
    referenced = api_rule.get("ReferencedGroupInfo") or {}
    pair = dict((key, referenced[key]) for key in ("GroupId", "UserId", "VpcId", "VpcPeeringConnectionId")
                if referenced.get(key))
    return "UserIdGroupPairs", pair


def protocol_and_ports(rule):
    """``tcp 443``, ``udp 1024-2048``, ``icmp 8`` (any code), ``icmp all``, ``all``, ``protocol 50``."""
    if rule.protocol == ALL_PROTOCOLS:
        return "all"
    if rule.protocol in PORT_RANGE_PROTOCOLS:
        if rule.from_port == rule.to_port:
            return "%s %d" % (rule.protocol, rule.from_port)
        return "%s %d-%d" % (rule.protocol, rule.from_port, rule.to_port)
    if rule.protocol in ICMP_PROTOCOLS:
        if rule.from_port == -1:
            return "%s all" % rule.protocol
        if rule.to_port == -1:
            return "%s %d" % (rule.protocol, rule.from_port)
        return "%s %d-%d" % (rule.protocol, rule.from_port, rule.to_port)
    return "protocol %s" % rule.protocol


def display_line(described):
    """One readable line, e.g. ``sgr-0abc  tcp 443  -> 10.0.0.0/16  "web"``; ``(new)`` for a rule not added yet."""
    line = "%s  %s  -> %s" % (described.rule_id or "(new)", protocol_and_ports(described.rule),
                              described.rule.destination)
    if described.description:
        line += "  " + json.dumps(described.description, ensure_ascii=False)
    return line


def _listing(described_rules, notes, details=None):
    entries = []
    for rule in described_rules:
        note = notes.get(rule.rule_id)
        entries.append((display_line(rule) + ("  (%s)" % note if note else ""), (details or {}).get(rule.rule_id, ())))
    return "".join(line + "\n" + "".join("    %s\n" % extra for extra in more) for line, more in sorted(entries))


def counted(number, noun):
    """``1 egress rule``, ``3 egress rules``."""
    return "%d %s%s" % (number, noun, "" if number == 1 else "s")


def egress_diff(group_id, before, after, notes=None, header_note=None, details=None):
    """``--diff`` output: the group's egress rules, one sorted line each, before and after.

    ``notes``: text by rule ID, added to that rule's line on both sides (``kept by keep[0]``);
    ``header_note``: added to the header (``3 network interfaces affected``); ``details``: lines by rule ID, indented
    under that rule's line before (what a removed rule carried).
    """
    header = "%s egress rules" % group_id
    if header_note:
        header += " (%s)" % header_note
    notes = notes or {}
    return {
        "before_header": header,
        "after_header": header,
        "before": _listing(before, notes, details),
        "after": _listing(after, notes),
    }
