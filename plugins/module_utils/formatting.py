# -*- coding: utf-8 -*-
# Copyright: Contributors to the netguard.aws collection
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""The shapes rules take in task results: snake_case dicts, ``IpPermissions``, one-line text."""

import json

from ansible.module_utils.common.dict_transformations import camel_dict_to_snake_dict

from ansible_collections.netguard.aws.plugins.module_utils.rules import (
    ALL_PROTOCOLS,
    ICMP_PROTOCOLS,
    PORT_RANGE_PROTOCOLS,
)

_SUMMARY_KEYS = ("SecurityGroupRuleId", "IpProtocol", "FromPort", "ToPort", "CidrIpv4", "CidrIpv6", "PrefixListId")
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
    """One readable line, e.g. ``sgr-0abc  tcp 443  -> 10.0.0.0/16  "web"``."""
    line = "%s  %s  -> %s" % (described.rule_id, protocol_and_ports(described.rule), described.rule.destination)
    if described.description:
        line += "  " + json.dumps(described.description, ensure_ascii=False)
    return line


def _listing(described_rules, notes):
    lines = []
    for rule in described_rules:
        note = notes.get(rule.rule_id)
        lines.append(display_line(rule) + ("  (%s)" % note if note else ""))
    return "".join(line + "\n" for line in sorted(lines))


def egress_diff(group_id, before, after, notes=None):
    """``--diff`` output: the group's egress rules, one sorted line each, before and after.

    ``notes``: text by rule ID, added to that rule's line on both sides (``kept by keep[0]``).
    """
    header = "%s egress rules" % group_id
    notes = notes or {}
    return {
        "before_header": header,
        "after_header": header,
        "before": _listing(before, notes),
        "after": _listing(after, notes),
    }
