# -*- coding: utf-8 -*-
# Copyright: Contributors to the netguard.aws collection
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""Turn validated module parameters into a revoke request: which group, which rules.

Every check on the user's input that the argument spec cannot express lives
here, so that bad input fails before any API call.
"""

import re
from collections import namedtuple

from ansible.module_utils.common.validation import check_type_dict

from ansible_collections.netguard.aws.plugins.module_utils.errors import NetguardAwsError, quoted
from ansible_collections.netguard.aws.plugins.module_utils.predicates import parse_keep, parse_predicates
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
    group_destination,
    group_name,
    invalid,
    parse_port,
)

SHORTHAND_OPTIONS = ("protocol", "port", "cidr", "destination_group", "group_owner", "prefix_list_id")
RULE_SELECTORS = ("security_group_rule_ids", "ip_permissions") + SHORTHAND_OPTIONS + ("rule_filters", "revoke_all")

RequestedRule = namedtuple("RequestedRule", ["rule", "group_owner", "description", "vpc_id", "vpc_peering_connection_id"],
                           defaults=(None, None, None))
RequestedRule.__doc__ = """A rule as the user gave it; ``group_owner`` narrows a referenced group to one account.

``description`` and, for a referenced group, its ``vpc_id`` and ``vpc_peering_connection_id`` are kept for restoring
the rule; matching ignores them.
"""

RevokeRequest = namedtuple("RevokeRequest", [
    "group_id", "group_name", "vpc_id", "filters", "rule_ids", "rules", "revoke_all", "max_revoked_rules",
    "concurrency", "warnings", "rule_filters", "keep", "regions", "revoke_rate", "journal", "impact", "require_unused",
], defaults=(False, False))
RevokeRequest.__doc__ = """One group (``group_id`` or ``group_name``), or every group ``filters`` selects (bulk).

``rule_filters``: a ``RulePredicate`` or None; ``keep``: ``KeepItem``s, never revoked.
``regions``: None (the connection's region), ``ALL_REGIONS``, or region names.
``revoke_rate``: None (adaptive pacing), or revokes per second; ``journal``: None or a file path.
``impact``: report the network interfaces of each group that changes; ``require_unused`` (implies ``impact``):
refuse the task when any of them has one.
"""

RuleFilter = namedtuple("RuleFilter", ["protocol", "from_port", "to_port", "destinations"])
RuleFilter.__doc__ = """Which described rules to show; a part that is None (or empty) matches anything."""

InfoRequest = namedtuple("InfoRequest", ["group_ids", "group_name", "vpc_id", "filters", "rule_filter", "warnings",
                                         "rule_predicate", "regions"])
InfoRequest.__doc__ = """``rule_filter`` (shorthand options) and ``rule_predicate`` (``rule_filters``) must both pass."""

MAX_CONCURRENCY = 64
ALL_REGIONS = "all"
# Region names as AWS spells them: us-east-1, eu-central-2, us-gov-west-1, ap-southeast-5.
_REGION = re.compile(r"^[a-z]{2}(?:-[a-z]+)+-[0-9]{1,2}$")


def shorthand_argument_spec():
    """Options of the revoke module's shorthand, which the info module takes as rule filters."""
    return dict(
        # raw: YAML integers and strings are both taken as written, without conversion warnings.
        protocol=dict(type="raw"),
        port=dict(type="raw"),
        cidr=dict(type="list", elements="raw"),
        destination_group=dict(type="str", aliases=["source_group"]),
        prefix_list_id=dict(type="str"),
    )


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


def parse_revoke_request(params):
    """Check everything that can be checked locally and return a ``RevokeRequest``."""
    warnings = []
    group_id = params.get("group_id")
    if group_id is not None:
        aws_id(group_id, "group_id", "sg")
    name, vpc_id = _group_name_and_vpc(params)
    filters = None
    if params.get("filters") is not None:
        filters = describe_filters(params["filters"])
        if not filters:
            raise NetguardAwsError("filters is empty, which would select every security group of the region: "
                                   "give at least one filter, such as {'vpc-id': 'vpc-0123456789abcdef0'}")
    _refuse_empty_lists(params, ("security_group_rule_ids", "ip_permissions", "cidr"))

    rule_ids = [aws_id(rule_id, "security_group_rule_ids[%d]" % index, "sgr")
                for index, rule_id in enumerate(params.get("security_group_rule_ids") or ())]

    # Matching ignores descriptions and peering details: one rule each, however often it was written.
    rules = [RequestedRule(requested.rule, requested.group_owner)
             for requested in ip_permission_rules(params.get("ip_permissions"), "ip_permissions", warnings)]
    if params.get("protocol") is not None:
        rules.extend(_shorthand_rules(params, warnings))

    rule_filters = None
    if params.get("rule_filters") is not None:
        rule_filters = parse_predicates(params["rule_filters"], "rule_filters", warnings,
                                        "would select every egress rule (that is revoke_all)")
    keep = parse_keep(params.get("keep"), warnings)

    revoke_all = bool(params.get("revoke_all"))
    if not (rule_ids or rules or rule_filters or revoke_all):
        raise NetguardAwsError("revoke_all is false and no rule is selected: set revoke_all=true, or give "
                               "security_group_rule_ids, ip_permissions, rule_filters or protocol with a destination")
    if revoke_all and filters is not None and not params.get("allow_bulk_revoke_all"):
        raise NetguardAwsError("revoke_all with filters removes every egress rule of every group the filters "
                               "select: set allow_bulk_revoke_all=true to confirm")
    max_revoked_rules = params.get("max_revoked_rules")
    if max_revoked_rules is not None and max_revoked_rules < 0:
        raise invalid("max_revoked_rules", max_revoked_rules, "is negative: give 0 or more")
    concurrency = params.get("concurrency", 1)
    if concurrency is None or not 1 <= concurrency <= MAX_CONCURRENCY:
        raise invalid("concurrency", concurrency, "is out of range: give 1 to %d" % MAX_CONCURRENCY)
    revoke_rate = _revoke_rate(params.get("revoke_rate"))
    journal = params.get("journal")
    if journal is not None and not journal.strip():
        raise invalid("journal", journal, "is not a file path")
    # dict.fromkeys drops repeats and keeps the order.
    return RevokeRequest(group_id, name, vpc_id, filters, tuple(dict.fromkeys(rule_ids)),
                         tuple(dict.fromkeys(rules)), revoke_all, max_revoked_rules, concurrency, warnings,
                         rule_filters, keep, parse_regions(params.get("regions")), revoke_rate, journal,
                         bool(params.get("impact") or params.get("require_unused")), bool(params.get("require_unused")))


def _revoke_rate(value):
    """``revoke_rate`` as a float: a positive finite number, or its text as ad-hoc commands give it."""
    if value is None:
        return None
    try:
        rate = float(value) if not isinstance(value, bool) else None
    except (TypeError, ValueError):
        rate = None
    # not (0 < rate < inf) also refuses NaN.
    if rate is None or not 0 < rate < float("inf"):
        raise invalid("revoke_rate", value, "is not a positive number of revokes per second, such as 5 or 0.5")
    return rate


def parse_info_request(params):
    """Check the info module's parameters locally and return an ``InfoRequest``."""
    warnings = []
    _refuse_empty_lists(params, ("group_id", "cidr"))
    group_ids = [aws_id(group_id, "group_id[%d]" % index, "sg")
                 for index, group_id in enumerate(params.get("group_id") or ())]
    name, vpc_id = _group_name_and_vpc(params)
    filters = None if params.get("filters") is None else describe_filters(params["filters"])

    rule_filter = None
    if any(params.get(option) is not None for option in ("protocol", "cidr", "destination_group", "prefix_list_id")):
        protocol = from_port = to_port = None
        if params.get("protocol") is not None:
            protocol = canonical_protocol(params["protocol"], "protocol")
            if params.get("port") is not None:
                from_port, to_port = parse_port(params["port"], protocol, "port")
        destinations = tuple(dict.fromkeys(destination for destination, _owner in _shorthand_destinations(params, warnings)))
        rule_filter = RuleFilter(protocol, from_port, to_port, destinations)
    rule_predicate = None
    if params.get("rule_filters") is not None:
        rule_predicate = parse_predicates(params["rule_filters"], "rule_filters", warnings,
                                          "would list every egress rule (leave rule_filters out for that)")
    return InfoRequest(tuple(dict.fromkeys(group_ids)) or None, name, vpc_id, filters, rule_filter, warnings,
                       rule_predicate, parse_regions(params.get("regions")))


def parse_regions(value):
    """``regions``: None, ``ALL_REGIONS``, or a tuple of region names (repeats dropped, order kept)."""
    if value is None:
        return None
    values = value if isinstance(value, list) else [value]
    if not values:
        raise NetguardAwsError("regions is empty: list at least one region, or give all, or leave the option out")
    if values == [ALL_REGIONS]:
        return ALL_REGIONS
    for index, name in enumerate(values):
        option = "regions[%d]" % index
        if name == ALL_REGIONS:
            raise invalid(option, name, "cannot be combined with region names: give all alone")
        region_name(name, option)
    return tuple(dict.fromkeys(values))


def region_name(value, option):
    if not isinstance(value, str) or not _REGION.match(value):
        raise invalid(option, value, "is not an AWS region name such as us-east-1 or eu-west-3")
    return value


def describe_filters(filters, option="filters"):
    """A ``DescribeSecurityGroups`` filter dict (``{'tag:env': 'prod'}``) as the API's Name/Values list.

    Also takes the dict as JSON or ``key=value`` text, as ad-hoc commands give it.
    """
    try:
        filters = check_type_dict(filters) if isinstance(filters, str) else filters
    except TypeError:
        pass
    if not isinstance(filters, dict):
        raise invalid(option, filters, "is not a dictionary of filter names and values, such as {'vpc-id': 'vpc-0123abcd'}")
    filter_list = []
    for name, values in filters.items():
        where = "%s[%s]" % (option, quoted(name))
        if not isinstance(name, str) or not name:
            raise invalid(option, name, "has a filter name that is not a non-empty string")
        values = values if isinstance(values, list) else [values]
        if not values:
            raise NetguardAwsError("%s is empty: give at least one value" % where)
        texts = []
        for value in values:
            if isinstance(value, bool):
                texts.append("true" if value else "false")
            elif isinstance(value, (str, int)):
                texts.append(str(value))
            else:
                raise invalid(where, value, "is not a filter value: give a string or a list of strings")
        filter_list.append({"Name": name, "Values": texts})
    return filter_list


def _group_name_and_vpc(params):
    name = params.get("group_name")
    if name is not None:
        group_name(name, "group_name")
    vpc_id = params.get("vpc_id")
    if vpc_id is not None:
        aws_id(vpc_id, "vpc_id", "vpc")
    return name, vpc_id


def _refuse_empty_lists(params, options):
    for option in options:
        if params.get(option) is not None and not params[option]:
            raise NetguardAwsError("%s is empty: list at least one entry, or leave the option out" % option)


def ip_permission_rules(permissions, option, warnings):
    """``RequestedRule``s of validated ``ip_permissions`` (the argument spec's snake_case), one per destination."""
    rules = []
    for index, permission in enumerate(permissions or ()):
        rules.extend(_ip_permission_rules(permission, "%s[%d]" % (option, index), warnings))
    return rules


def _ip_permission_rules(permission, where, warnings):
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


def _shorthand_destinations(params, warnings):
    """``((destination_type, destination), group_owner)`` for each shorthand destination."""
    owner = params.get("group_owner")
    if owner is not None:
        account_id(owner, "group_owner")
    destinations = []
    for index, cidr in enumerate(params.get("cidr") or ()):
        option = "cidr" if len(params["cidr"]) == 1 else "cidr[%d]" % index
        destinations.append((cidr_destination(cidr, option, warnings), None))
    if params.get("destination_group") is not None:
        destinations.append((group_destination(params["destination_group"], "destination_group"), owner))
    if params.get("prefix_list_id") is not None:
        destinations.append(((PREFIX_LIST_ID, aws_id(params["prefix_list_id"], "prefix_list_id", "pl")), None))
    return destinations


def _shorthand_rules(params, warnings):
    protocol = canonical_protocol(params["protocol"], "protocol")
    from_port, to_port = parse_port(params.get("port"), protocol, "port")
    destinations = _shorthand_destinations(params, warnings)
    if not destinations:
        raise invalid("protocol", params["protocol"], "needs a destination: give cidr, destination_group or "
                      "prefix_list_id")
    return [RequestedRule(EgressRule(protocol, from_port, to_port, *destination), owner)
            for destination, owner in destinations]
