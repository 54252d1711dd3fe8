# -*- coding: utf-8 -*-
# Copyright: Contributors to the netguard.aws collection
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""Canonical forms of security group rule parts, shared by requests and described rules.

Two rules are the same rule when their ``EgressRule`` values are equal: protocol,
ports and destination after normalisation. Nothing here talks to AWS.
"""

import ipaddress
import re
from collections import namedtuple

from ansible_collections.netguard.aws.plugins.module_utils.errors import invalid, quoted

ALL_PROTOCOLS = "-1"
PORT_RANGE_PROTOCOLS = ("tcp", "udp")
ICMP_PROTOCOLS = ("icmp", "icmpv6")
_NAMED_PROTOCOL_NUMBERS = {"6": "tcp", "17": "udp", "1": "icmp", "58": "icmpv6"}
ACCEPTED_PROTOCOLS = "all or -1, tcp or 6, udp or 17, icmp or 1, icmpv6 or 58, or a protocol number 0-255"

_DECIMAL = re.compile(r"^(0|[1-9][0-9]*)$")
_PORT_TEXT = re.compile(r"^(0|[1-9][0-9]*)(?:-(0|[1-9][0-9]*))?$")
_ALL_PORTS_WORDS = ("all", "-1")
_PORT_FORMS = "is not a port: use N or N-M (tcp/udp), type or type-code (ICMP), or all"
_ID_FORMS = {
    "sg": re.compile(r"^sg-(?:[0-9a-f]{8}|[0-9a-f]{17})$"),
    "sgr": re.compile(r"^sgr-(?:[0-9a-f]{8}|[0-9a-f]{17})$"),
    "pl": re.compile(r"^pl-(?:[0-9a-f]{8}|[0-9a-f]{17})$"),
    "vpc": re.compile(r"^vpc-(?:[0-9a-f]{8}|[0-9a-f]{17})$"),
}
_ID_NOUNS = {"sg": "security group ID", "sgr": "security group rule ID", "pl": "prefix list ID", "vpc": "VPC ID"}
_ACCOUNT_ID = re.compile(r"^[0-9]{12}$")

# Destination types, named as the keys of the rules the modules return.
CIDR_IPV4 = "cidr_ipv4"
CIDR_IPV6 = "cidr_ipv6"
PREFIX_LIST_ID = "prefix_list_id"
REFERENCED_GROUP_ID = "referenced_group_id"
# Only in requests, until the orchestration resolves the name to an ID.
REFERENCED_GROUP_NAME = "referenced_group_name"

EgressRule = namedtuple("EgressRule", ["protocol", "from_port", "to_port", "destination_type", "destination"])
EgressRule.__doc__ = """One rule in canonical form: what makes two rules the same rule."""


def aws_id(value, option, prefix):
    """Check an AWS resource ID such as ``sg-0123abcd`` and return it."""
    if not isinstance(value, str) or not _ID_FORMS[prefix].match(value):
        raise invalid(option, value, "is not a %s: expected '%s-' followed by 8 or 17 lower-case hex digits"
                      % (_ID_NOUNS[prefix], prefix))
    return value


def is_aws_id(value, prefix):
    return isinstance(value, str) and bool(_ID_FORMS[prefix].match(value))


def account_id(value, option):
    if not isinstance(value, str) or not _ACCOUNT_ID.match(value):
        raise invalid(option, value, "is not an AWS account ID: expected 12 digits")
    return value


def canonical_protocol(value, option):
    """Return ``-1``, ``tcp``, ``udp``, ``icmp``, ``icmpv6`` or another protocol number as text."""
    if isinstance(value, bool) or not isinstance(value, (str, int)):
        raise invalid(option, value, "is not a protocol: use " + ACCEPTED_PROTOCOLS)
    text = str(value).lower()
    if text in ("all", ALL_PROTOCOLS):
        return ALL_PROTOCOLS
    if text in PORT_RANGE_PROTOCOLS or text in ICMP_PROTOCOLS:
        return text
    if _DECIMAL.match(text) and int(text) <= 255:
        return _NAMED_PROTOCOL_NUMBERS.get(text, text)
    raise invalid(option, value, "is not a protocol: use " + ACCEPTED_PROTOCOLS)


def port_key(protocol, from_port, to_port):
    """The ports part of a rule's identity.

    AWS stores a tcp/udp rule for every port either as 0-65535 or as -1/-1, and
    ignores the ports of protocol -1 and of numbered protocols; both count as
    the same rule here.
    """
    if protocol in PORT_RANGE_PROTOCOLS:
        if from_port in (None, -1) and to_port in (None, -1):
            return 0, 65535
        return from_port, to_port
    if protocol in ICMP_PROTOCOLS:
        return (-1 if from_port is None else from_port), (-1 if to_port is None else to_port)
    return -1, -1


def checked_ports(protocol, from_port, to_port, option, written=None):
    """Validate requested ports for ``protocol`` and return their canonical pair.

    ``None`` for both means every port (every ICMP type and code). ``written`` is
    the value as the user gave it, for messages; by default ``from-to``.
    """
    for value in (from_port, to_port):
        if value is not None and (isinstance(value, bool) or not isinstance(value, int)):
            raise invalid(option, value, "is not a port number")
    shown = "%s-%s" % (from_port, to_port) if written is None else written
    if (from_port is None) != (to_port is None):
        raise invalid(option, shown, "needs both ends of the range")
    if protocol in PORT_RANGE_PROTOCOLS:
        if from_port == -1 and to_port == -1 or from_port is None:
            return port_key(protocol, None, None)
        if not (0 <= from_port <= 65535 and 0 <= to_port <= 65535):
            raise invalid(option, shown, "is out of range: %s ports are 0-65535 (or -1 for all)" % protocol)
        if from_port > to_port:
            raise invalid(option, shown, "is reversed: the first port must not exceed the second")
        return from_port, to_port
    if protocol in ICMP_PROTOCOLS:
        if from_port is None:
            return -1, -1
        if from_port == -1:
            if to_port != -1:
                raise invalid(option, shown, "sets an ICMP code without a type: type -1 (all) needs code -1")
            return -1, -1
        if not 0 <= from_port <= 255:
            raise invalid(option, shown, "is out of range: ICMP types are 0-255 (or -1 for all)")
        if not -1 <= to_port <= 255:
            raise invalid(option, shown, "is out of range: ICMP codes are 0-255 (or -1 for all)")
        return from_port, to_port
    if from_port is None or (from_port == -1 and to_port == -1):
        return -1, -1
    raise invalid(option, shown, "is not allowed with protocol %s: it covers every port, and AWS would "
                  "silently ignore the range" % ("all" if protocol == ALL_PROTOCOLS else protocol))


def parse_port(value, protocol, option):
    """Turn the shorthand ``port`` (``443``, ``"1024-2048"``, ``"8-0"``, ``all``) into a range."""
    # No port, or all of them, is every port: there is nothing to check.
    if value is None:
        return port_key(protocol, None, None)
    if isinstance(value, bool) or not isinstance(value, (str, int)):
        raise invalid(option, value, _PORT_FORMS)
    text = str(value).lower()
    if text in _ALL_PORTS_WORDS:
        return port_key(protocol, None, None)
    found = _PORT_TEXT.match(text)
    if not found:
        raise invalid(option, value, _PORT_FORMS)
    first = int(found.group(1))
    if found.group(2) is not None:
        second = int(found.group(2))
    else:
        # A bare ICMP type means every code of that type, as the console creates it.
        second = -1 if protocol in ICMP_PROTOCOLS else first
    return checked_ports(protocol, first, second, option, written=value)


def canonical_cidr(value, option, version=None):
    """Return ``(destination_type, canonical_cidr)`` for a CIDR block.

    ``version`` (4 or 6) restricts the address family; otherwise it is detected.
    """
    if not isinstance(value, str) or "/" not in value or "%" in value:
        raise invalid(option, value, "is not a CIDR block: expected an address and a prefix length, such as "
                      "10.0.0.0/16 or 2001:db8::/32")
    try:
        network = ipaddress.ip_network(value, strict=False)
    except ValueError:
        raise invalid(option, value, "is not a valid IPv4 or IPv6 CIDR block")
    if version is not None and network.version != version:
        raise invalid(option, value, "is an IPv%d CIDR block where IPv%d is expected" % (network.version, version))
    return (CIDR_IPV4 if network.version == 4 else CIDR_IPV6), network.compressed


# What AWS allows in a security group name.
_GROUP_NAME = re.compile(r"^[A-Za-z0-9 ._\-:/()#,@\[\]+=&;{}!$*]{1,255}$")


def group_name(value, option):
    if not isinstance(value, str) or not _GROUP_NAME.match(value):
        raise invalid(option, value, "is not a security group name: expected 1 to 255 letters, digits, spaces "
                      "or ._-:/()#,@[]+=&;{}!$*")
    if value.startswith("sg-"):
        raise invalid(option, value, "is neither a security group ID ('sg-' and 8 or 17 lower-case hex digits) "
                      "nor a name (names cannot start with 'sg-')")
    return value


def cidr_destination(value, option, warnings, version=None):
    destination_type, cidr = canonical_cidr(value, option, version)
    if cidr != value:
        warnings.append("%s %s was canonicalised to '%s', the form AWS stores" % (option, quoted(value), cidr))
    return destination_type, cidr


def group_destination(value, option):
    """An ``sg-`` ID, or a group name to resolve in the target group's VPC."""
    if is_aws_id(value, "sg"):
        return REFERENCED_GROUP_ID, value
    return REFERENCED_GROUP_NAME, group_name(value, option)


def tag_dict(tags):
    """``{key: value}`` of AWS's ``Tags`` list (``[{Key, Value}]``, or None)."""
    return dict((tag["Key"], tag.get("Value", "")) for tag in tags or ())


class DescribedRule:
    """A rule as ``DescribeSecurityGroupRules`` returns it, with its canonical form."""

    def __init__(self, api_rule):
        self.api_rule = api_rule
        self.rule_id = api_rule["SecurityGroupRuleId"]
        self.group_id = api_rule.get("GroupId")
        self.is_egress = bool(api_rule.get("IsEgress"))
        self.description = api_rule.get("Description")
        referenced = api_rule.get("ReferencedGroupInfo") or {}
        self.group_owner = referenced.get("UserId")
        self.peering_status = referenced.get("PeeringStatus")
        self.tags = tag_dict(api_rule.get("Tags"))
        protocol = canonical_protocol(api_rule["IpProtocol"], "IpProtocol")
        from_port, to_port = port_key(protocol, api_rule.get("FromPort"), api_rule.get("ToPort"))
        self.rule = EgressRule(protocol, from_port, to_port, *_described_destination(api_rule))

    def __repr__(self):
        return "DescribedRule(%s, %r)" % (self.rule_id, self.rule)


def _described_destination(api_rule):
    # Real AWS stores CIDRs canonically; some endpoints (moto) keep them as given.
    if api_rule.get("CidrIpv4"):
        return CIDR_IPV4, ipaddress.ip_network(api_rule["CidrIpv4"], strict=False).compressed
    if api_rule.get("CidrIpv6"):
        return CIDR_IPV6, ipaddress.ip_network(api_rule["CidrIpv6"], strict=False).compressed
    if api_rule.get("PrefixListId"):
        return PREFIX_LIST_ID, api_rule["PrefixListId"]
    return REFERENCED_GROUP_ID, (api_rule.get("ReferencedGroupInfo") or {}).get("GroupId")


def owner_of(group, described_rules):
    """The account that owns a group: ``OwnerId`` of ``DescribeSecurityGroups``, else ``GroupOwnerId`` of its rules."""
    return group.get("OwnerId") or next((rule.api_rule.get("GroupOwnerId") for rule in described_rules
                                         if rule.api_rule.get("GroupOwnerId")), None)
