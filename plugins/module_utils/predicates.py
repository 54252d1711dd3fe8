# -*- coding: utf-8 -*-
# Copyright: Contributors to the netguard.aws collection
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""Select egress rules by what they allow: the predicates of ``rule_filters`` and ``keep``.

Parsing checks the user's predicates before any API call; evaluation is pure and
needs nothing but the described rules (and, for ``stale``, what
``DescribeStaleSecurityGroups`` returned). Unlike the exact matching of
``matching.py``, these compare by containment and overlap, and descriptions and
tags take part.
"""

import fnmatch
import ipaddress
from collections import namedtuple

from ansible.module_utils.common.validation import check_type_dict
from ansible.module_utils.parsing.convert_bool import boolean

from ansible_collections.netguard.aws.plugins.module_utils.errors import NetguardAwsError, quoted
from ansible_collections.netguard.aws.plugins.module_utils.rules import (
    ALL_PROTOCOLS,
    CIDR_IPV4,
    CIDR_IPV6,
    PORT_RANGE_PROTOCOLS,
    PREFIX_LIST_ID,
    REFERENCED_GROUP_ID,
    REFERENCED_GROUP_NAME,
    aws_id,
    canonical_protocol,
    cidr_destination,
    group_destination,
    invalid,
    parse_port,
    port_key,
)

PREDICATE_NAMES = ("protocol", "allows_port", "destination_within", "destination_covers", "destination_group",
                   "prefix_list_id", "description", "tags", "stale")
# VPC peering states in which a referenced group can no longer be reached.
DEAD_PEERING_STATES = ("deleted", "deleting", "expired", "failed", "rejected")

RulePredicate = namedtuple("RulePredicate", [
    "protocols", "ports", "within", "covers", "destination_group", "prefix_list_id", "description", "tags", "stale",
])
RulePredicate.__doc__ = """Parsed predicates; a part that is None matches any rule."""

KeepItem = namedtuple("KeepItem", ["index", "rule_id", "predicate", "written"])
KeepItem.__doc__ = """One ``keep`` entry: a rule ID, or predicates; ``written`` is the entry as given."""


def rule_filters_argument_spec():
    """The ``rule_filters`` option. Its predicates are checked by ``parse_predicates``, as ``keep`` entries are,
    so that every error quotes the option path and the value as written."""
    return dict(type="raw")


def parse_predicates(value, option, warnings, empty_means):
    """Check one predicate dict (``rule_filters``, or a ``keep`` entry) and return a ``RulePredicate``.

    ``empty_means`` completes the message for an empty dict, which would match every rule.
    """
    value = _as_dict(value)
    if not isinstance(value, dict):
        raise invalid(option, value, "is not a dictionary of predicates, such as {'protocol': 'tcp', 'allows_port': 25}")
    for name in value:
        if name not in PREDICATE_NAMES:
            raise invalid(option, name, "is not a predicate: use %s" % ", ".join(PREDICATE_NAMES))
    given = dict((name, item) for name, item in value.items() if item is not None)
    if not given:
        raise NetguardAwsError("%s is empty, which %s: give at least one of %s"
                               % (option, empty_means, ", ".join(PREDICATE_NAMES)))

    def parsed(name, parse):
        return None if name not in given else parse(given[name], "%s.%s" % (option, name))

    return RulePredicate(
        protocols=parsed("protocol", lambda item, where: frozenset(
            canonical_protocol(one, where_) for one, where_ in _each(item, where))),
        ports=parsed("allows_port", lambda item, where: tuple(
            parse_port(one, "tcp", where_) for one, where_ in _each(item, where))),
        within=parsed("destination_within", lambda item, where: tuple(
            _network(one, where_, warnings) for one, where_ in _each(item, where))),
        covers=parsed("destination_covers", lambda item, where: tuple(
            _network(one, where_, warnings, address=True) for one, where_ in _each(item, where))),
        destination_group=parsed("destination_group", _destination_group),
        prefix_list_id=parsed("prefix_list_id", lambda item, where: aws_id(item, where, "pl")),
        description=parsed("description", _pattern),
        tags=parsed("tags", _tags),
        stale=parsed("stale", _stale),
    )


def parse_keep(entries, warnings):
    """The ``keep`` list: rule IDs (``sgr-...``) and predicate dicts, checked like ``rule_filters``."""
    if entries is None:
        return ()
    if not entries:
        raise NetguardAwsError("keep is empty: list at least one rule ID or predicate dict, or leave the option out")
    items = []
    for index, entry in enumerate(entries):
        option = "keep[%d]" % index
        if isinstance(entry, str) and entry.startswith("sgr-"):
            items.append(KeepItem(index, aws_id(entry, option, "sgr"), None, entry))
        elif isinstance(entry, dict) or isinstance(entry, str) and "=" in entry:
            entry = _as_dict(entry)
            predicate = parse_predicates(entry, option, warnings, "would keep every rule")
            written = dict((name, item) for name, item in entry.items() if item is not None)
            items.append(KeepItem(index, None, predicate, written))
        else:
            raise invalid(option, entry, "is neither a security group rule ID ('sgr-' and 8 or 17 lower-case hex "
                          "digits) nor a dictionary of predicates such as {'protocol': 'tcp', 'allows_port': 443}")
    return tuple(items)


def _as_dict(value):
    """A dict given as JSON or ``key=value`` text, as ad-hoc commands give it, as a dict; anything else as it is."""
    if isinstance(value, str):
        try:
            return check_type_dict(value)
        except TypeError:
            pass
    return value


def _each(value, option):
    """``(item, option[i])`` for a list, or ``(value, option)`` for one value."""
    if not isinstance(value, list):
        return [(value, option)]
    if not value:
        raise NetguardAwsError("%s is empty: list at least one value, or leave it out" % option)
    return [(item, "%s[%d]" % (option, index)) for index, item in enumerate(value)]


def _network(value, option, warnings, address=False):
    """An ``ip_network``; with ``address``, a bare address is taken as its /32 or /128."""
    if address and isinstance(value, str) and "/" not in value:
        try:
            return ipaddress.ip_network(value)
        except ValueError:
            raise invalid(option, value, "is not an IPv4 or IPv6 address or CIDR block")
    return ipaddress.ip_network(cidr_destination(value, option, warnings)[1])


def _destination_group(value, option):
    if not isinstance(value, str):
        raise invalid(option, value, "is not a security group ID or name")
    return group_destination(value, option)


def _pattern(value, option):
    if not isinstance(value, str):
        raise invalid(option, value, "is not a shell-style pattern such as 'temp-*'")
    return value


def _tags(value, option):
    value = _as_dict(value)
    if not isinstance(value, dict) or not value:
        raise invalid(option, value, "is not a non-empty dictionary of tag keys and values, such as {'temporary': 'true'}")
    tags = []
    for key, item in value.items():
        where = "%s[%s]" % (option, quoted(key))
        if not isinstance(key, str) or not key:
            raise invalid(option, key, "has a tag key that is not a non-empty string")
        if isinstance(item, bool):
            item = "true" if item else "false"
        elif isinstance(item, (int, float)):
            item = str(item)
        elif item is not None and not isinstance(item, str):
            raise invalid(where, item, "is not a tag value: give a string, or null for any value")
        tags.append((key, item))
    return tuple(tags)


def _stale(value, option):
    try:
        stale = boolean(value, strict=True)
    except TypeError:
        stale = None
    if stale is not True:
        raise invalid(option, value, "is not accepted: only true is, to take rules that reference an unreachable "
                      "group; leave stale out to take rules whether or not they are stale")
    return True


def is_stale_selector(predicates):
    return any(predicate is not None and predicate.stale for predicate in predicates)


def group_names(predicates):
    """Destination group names that the predicates use, to look up in each group's VPC."""
    groups = [predicate.destination_group for predicate in predicates if predicate is not None]
    return set(name for kind, name in filter(None, groups) if kind == REFERENCED_GROUP_NAME)


def for_vpc(predicate, ids_by_name, vpc_id):
    """``predicate`` with a destination group name replaced by its ID in ``vpc_id``.

    A name with no group in that VPC stays a name, so it matches no rule there.
    """
    if predicate is None or predicate.destination_group is None:
        return predicate
    kind, name = predicate.destination_group
    if kind == REFERENCED_GROUP_NAME and (vpc_id, name) in ids_by_name:
        return predicate._replace(destination_group=(REFERENCED_GROUP_ID, ids_by_name[(vpc_id, name)]))
    return predicate


def passes(described, predicate, stale_rule_ids=frozenset()):
    """Whether the described rule passes every predicate given (one left out matches anything)."""
    rule = described.rule
    if predicate.protocols is not None and rule.protocol not in predicate.protocols:
        return False
    if predicate.ports is not None and not allows_any_port(rule, predicate.ports):
        return False
    if predicate.within is not None or predicate.covers is not None:
        network = destination_network(rule)
        if network is None:
            return False
        if predicate.within is not None and not any(
                network.version == outer.version and network.subnet_of(outer) for outer in predicate.within):
            return False
        if predicate.covers is not None and not any(
                network.version == inner.version and inner.subnet_of(network) for inner in predicate.covers):
            return False
    if predicate.destination_group is not None and (rule.destination_type, rule.destination) != predicate.destination_group:
        return False
    if predicate.prefix_list_id is not None and (rule.destination_type, rule.destination) != (PREFIX_LIST_ID, predicate.prefix_list_id):
        return False
    if predicate.description is not None and not fnmatch.fnmatchcase(described.description or "", predicate.description):
        return False
    if predicate.tags is not None and not all(key in described.tags and value in (None, described.tags[key])
                                              for key, value in predicate.tags):
        return False
    if predicate.stale and described.rule_id not in stale_rule_ids:
        return False
    return True


def allows_any_port(rule, ranges):
    """Whether the rule lets through at least one port of ``ranges``: protocol all, or tcp/udp overlapping."""
    if rule.protocol == ALL_PROTOCOLS:
        return True
    if rule.protocol not in PORT_RANGE_PROTOCOLS:
        return False
    return any(first <= rule.to_port and rule.from_port <= last for first, last in ranges)


def destination_network(rule):
    if rule.destination_type in (CIDR_IPV4, CIDR_IPV6):
        return ipaddress.ip_network(rule.destination)
    return None


def kept_by(described, keep, stale_rule_ids=frozenset()):
    """The first ``keep`` item that saves this rule, or None."""
    for item in keep:
        if item.rule_id == described.rule_id or item.predicate is not None and passes(described, item.predicate, stale_rule_ids):
            return item
    return None


def keep_warning(described, item):
    """Why it matters that an item without ``protocol`` saved a rule for every protocol; None otherwise."""
    if item.predicate is None or item.predicate.protocols is not None or described.rule.protocol != ALL_PROTOCOLS:
        return None
    return ("keep[%d] %s kept %s (every protocol -> %s), a rule that allows all traffic to its destination, because "
            "the item names no protocol; add protocol to the item (for example tcp) to keep only rules of that "
            "protocol" % (item.index, quoted(_written(item.written)), described.rule_id, described.rule.destination))


def _written(entry):
    return ", ".join("%s=%s" % (name, value) for name, value in entry.items())


def stale_rule_ids(described_rules, stale_groups):
    """IDs of the egress rules that reference a group which can no longer be reached.

    A rule is stale when ``DescribeStaleSecurityGroups`` (``stale_groups``, its
    ``StaleSecurityGroupSet``) lists its group with a stale egress permission of the
    same protocol and ports to the same group, or when the describe itself reports
    the peering of its referenced group as gone.
    """
    stale = set()
    for group in stale_groups:
        for permission in group.get("StaleIpPermissionsEgress") or ():
            protocol = canonical_protocol(permission.get("IpProtocol", ALL_PROTOCOLS), "IpProtocol")
            ports = port_key(protocol, permission.get("FromPort"), permission.get("ToPort"))
            for pair in permission.get("UserIdGroupPairs") or ():
                stale.add((group.get("GroupId"), protocol, ports, pair.get("GroupId")))
    found = set()
    for described in described_rules:
        rule = described.rule
        if not described.is_egress or rule.destination_type != REFERENCED_GROUP_ID:
            continue
        reference = (described.group_id, rule.protocol, (rule.from_port, rule.to_port), rule.destination)
        if described.peering_status in DEAD_PEERING_STATES or reference in stale:
            found.add(described.rule_id)
    return frozenset(found)
