# -*- coding: utf-8 -*-
# Copyright: Contributors to the netguard.aws collection
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""Which egress rules a task takes: one vocabulary for every way of naming them. Pure: no AWS calls.

A ``Predicate`` is a set of conditions on one described rule, all of which must hold;
a part left out (None) holds for any rule. Every selector of the modules is made of
them: a rule ID, an exact rule (``ip_permissions``, the shorthand), the predicates of
``rule_filters``, the info module's filters, ``revoke_all`` (a predicate with no
condition), and each entry of ``keep``. A ``Selector`` takes a rule when any of its
``Choice``s does, unless an entry of ``keep`` saves it.

Destination groups given by name are looked up once per task, for every VPC of the
selected groups, and put in by ``for_vpc``; what else a predicate needs beyond the
rule itself (which rules are stale) comes as ``Facts``.
"""

import fnmatch
import ipaddress
from collections import namedtuple

from ansible.module_utils.common.validation import check_type_dict
from ansible.module_utils.parsing.convert_bool import boolean

from ansible_collections.netguard.aws.plugins.module_utils.errors import NetguardAwsError, invalid, quoted
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
    parse_port,
    port_key,
)

PREDICATE_NAMES = ("protocol", "allows_port", "destination_within", "destination_covers", "destination_group",
                   "prefix_list_id", "description", "tags", "stale", "unused")
# VPC peering states in which a referenced group can no longer be reached.
DEAD_PEERING_STATES = ("deleted", "deleting", "expired", "failed", "rejected")

Predicate = namedtuple("Predicate", ["rule_id", "protocols", "port_range", "ports", "destinations", "group_owner",
                                     "within", "covers", "description", "tags", "stale", "unused"],
                       defaults=(None,) * 12)
Predicate.__doc__ = """Conditions on one rule, all of which must hold; None holds for any rule.

``port_range``: the rule's canonical ports, exactly; ``ports``: ranges of which the rule lets one port through.
``destinations``: sets of ``(destination_type, destination)``, each of which must hold the rule's destination.
``group_owner``: the account of a referenced group. ``within`` and ``covers``: networks the rule's CIDR is inside of,
or contains. ``description``: a shell pattern; ``tags``: ``(key, value or None)`` pairs; ``stale`` and ``unused``:
True.
"""

Choice = namedtuple("Choice", ["predicates", "reported"])
Choice.__doc__ = """Takes the rules that pass all of ``predicates``; ``reported``: what the result's ``unmatched`` says
when the choice takes nothing (a rule ID or an exact rule), or None (a filter, which may take nothing)."""

KeepItem = namedtuple("KeepItem", ["index", "predicate", "written"])
KeepItem.__doc__ = """One ``keep`` entry: a predicate (a rule ID is one), and the entry as written."""

Selector = namedtuple("Selector", ["choices", "keep"], defaults=((),))

Facts = namedtuple("Facts", ["stale_rule_ids", "unused_rule_ids"], defaults=(frozenset(), frozenset()))
Facts.__doc__ = """What predicates know of a group beyond its rules: the IDs of its stale rules, and of those that
carried no observed flow (``traffic.py``; none where the evidence is incomplete)."""

Selection = namedtuple("Selection", ["taken", "kept", "unmatched", "warnings"])
Selection.__doc__ = """``taken`` and ``kept`` (``(rule, keep_item)``) in the described order; ``unmatched``: the
``reported`` of each choice that took nothing, in the request's order."""

EVERY_RULE = Choice((Predicate(),), None)


def rule_id_choice(rule_id):
    return Choice((Predicate(rule_id=rule_id),), {"security_group_rule_id": rule_id})


def exact_predicate(requested):
    """The predicate of a ``RequestedRule``: the same protocol, ports and destination (its owner, when given)."""
    rule = requested.rule
    return Predicate(protocols=frozenset([rule.protocol]), port_range=(rule.from_port, rule.to_port),
                     destinations=(frozenset([(rule.destination_type, rule.destination)]),),
                     group_owner=requested.group_owner)


def passes(described, predicate, facts=Facts()):
    """Whether the described rule meets every condition of ``predicate``."""
    rule = described.rule
    if predicate.rule_id is not None and described.rule_id != predicate.rule_id:
        return False
    if predicate.protocols is not None and rule.protocol not in predicate.protocols:
        return False
    if predicate.port_range is not None and (rule.from_port, rule.to_port) != predicate.port_range:
        return False
    if predicate.ports is not None and not allows_any_port(rule, predicate.ports):
        return False
    if predicate.destinations is not None and not all((rule.destination_type, rule.destination) in allowed
                                                      for allowed in predicate.destinations):
        return False
    if predicate.group_owner is not None and described.group_owner != predicate.group_owner:
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
    if predicate.description is not None and not fnmatch.fnmatchcase(described.description or "", predicate.description):
        return False
    if predicate.tags is not None and not all(key in described.tags and value in (None, described.tags[key])
                                              for key, value in predicate.tags):
        return False
    if predicate.stale and described.rule_id not in facts.stale_rule_ids:
        return False
    if predicate.unused and described.rule_id not in facts.unused_rule_ids:
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


def egress_rules_of(group_id, described_rules):
    return [rule for rule in described_rules if rule.is_egress and rule.group_id == group_id]


def select(group_id, described_rules, selector, facts=Facts()):
    """The egress rules of ``group_id`` that ``selector`` takes, and what it saved, missed and warns of.

    A rule ID takes only an egress rule of this group: an ingress rule or another group's rule is
    reported unmatched, never taken.
    """
    egress = egress_rules_of(group_id, described_rules)
    taken_ids = set()
    unmatched = []
    warnings = []
    for choice in selector.choices:
        hits = [rule.rule_id for rule in egress if all(passes(rule, predicate, facts) for predicate in choice.predicates)]
        taken_ids.update(hits)
        if hits or choice.reported is None:
            continue
        unmatched.append(choice.reported)
        rule_id = choice.reported.get("security_group_rule_id")
        if any(rule.rule_id == rule_id and not rule.is_egress for rule in described_rules):
            warnings.append("%s is an ingress rule of %s and was left alone: this module revokes egress rules only"
                            % (rule_id, group_id))
    taken, kept = [], []
    for rule in egress:
        if rule.rule_id not in taken_ids:
            continue
        item = kept_by(rule, selector.keep, facts)
        if item is None:
            taken.append(rule)
            continue
        kept.append((rule, item))
        warning = keep_warning(rule, item)
        if warning:
            warnings.append(warning)
    return Selection(taken, kept, unmatched, warnings)


def present(requested, described_rules):
    """The described rules that are the ``RequestedRule``: descriptions and tags do not count."""
    predicate = exact_predicate(requested)
    return [rule for rule in described_rules if passes(rule, predicate)]


def kept_by(described, keep, facts=Facts()):
    """The first ``keep`` item that saves this rule, or None."""
    return next((item for item in keep if passes(described, item.predicate, facts)), None)


def keep_warning(described, item):
    """Why it matters that an item without ``protocol`` saved a rule for every protocol; None otherwise."""
    if item.predicate.rule_id is not None or item.predicate.protocols is not None \
            or described.rule.protocol != ALL_PROTOCOLS:
        return None
    return ("keep[%d] %s kept %s (every protocol -> %s), a rule that allows all traffic to its destination, because "
            "the item names no protocol; add protocol to the item (for example tcp) to keep only rules of that "
            "protocol" % (item.index, quoted(_written(item.written)), described.rule_id, described.rule.destination))


def _written(entry):
    return ", ".join("%s=%s" % (name, value) for name, value in entry.items())


def _predicates(selector):
    return [predicate for choice in selector.choices for predicate in choice.predicates] + [
        item.predicate for item in selector.keep]


def group_names(selector):
    """Destination groups that the selector names, to look up in each group's VPC."""
    return set(name for predicate in _predicates(selector) for allowed in predicate.destinations or ()
               for kind, name in allowed if kind == REFERENCED_GROUP_NAME)


def needs_stale(selector):
    """Whether a predicate asks which rules are stale (``DescribeStaleSecurityGroups``)."""
    return any(predicate.stale for predicate in _predicates(selector))


def needs_traffic(selector):
    """Whether a predicate asks which rules carried no observed flow (``unused``)."""
    return any(predicate.unused for predicate in _predicates(selector))


def for_vpc(selector, ids_by_name, vpc_id):
    """``selector`` with destination group names replaced by their IDs in ``vpc_id`` (``{(vpc_id, name): id}``).

    A name with no group in that VPC stays a name, so it matches no rule there.
    """
    def resolved(predicate):
        if not predicate.destinations:
            return predicate
        return predicate._replace(destinations=tuple(frozenset(
            (REFERENCED_GROUP_ID, ids_by_name[(vpc_id, name)])
            if kind == REFERENCED_GROUP_NAME and (vpc_id, name) in ids_by_name else (kind, name)
            for kind, name in allowed) for allowed in predicate.destinations))

    return Selector(tuple(choice._replace(predicates=tuple(resolved(predicate) for predicate in choice.predicates))
                          for choice in selector.choices),
                    tuple(item._replace(predicate=resolved(item.predicate)) for item in selector.keep))


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


def parse_predicates(value, option, warnings, empty_means):
    """Check one predicate dict (``rule_filters``, or a ``keep`` entry) and return a ``Predicate``.

    ``empty_means`` completes the message for an empty dict, which would match every rule.
    """
    value = as_dict(value)
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

    # In the order of PREDICATE_NAMES, so that the first bad predicate is the one reported.
    protocols = parsed("protocol", lambda item, where: frozenset(
        canonical_protocol(one, where_) for one, where_ in _each(item, where)))
    ports = parsed("allows_port", lambda item, where: tuple(
        parse_port(one, "tcp", where_) for one, where_ in _each(item, where)))
    within = parsed("destination_within", lambda item, where: tuple(
        _network(one, where_, warnings) for one, where_ in _each(item, where)))
    covers = parsed("destination_covers", lambda item, where: tuple(
        _network(one, where_, warnings, address=True) for one, where_ in _each(item, where)))
    destinations = tuple(frozenset([destination]) for destination in (
        parsed("destination_group", _destination_group),
        parsed("prefix_list_id", lambda item, where: (PREFIX_LIST_ID, aws_id(item, where, "pl")))) if destination)
    return Predicate(protocols=protocols, ports=ports, within=within, covers=covers, destinations=destinations or None,
                     description=parsed("description", _pattern), tags=parsed("tags", _tags),
                     stale=parsed("stale", _stale), unused=parsed("unused", _unused))


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
            items.append(KeepItem(index, Predicate(rule_id=aws_id(entry, option, "sgr")), entry))
        elif isinstance(entry, dict) or isinstance(entry, str) and "=" in entry:
            entry = as_dict(entry)
            predicate = parse_predicates(entry, option, warnings, "would keep every rule")
            written = dict((name, item) for name, item in entry.items() if item is not None)
            items.append(KeepItem(index, predicate, written))
        else:
            raise invalid(option, entry, "is neither a security group rule ID ('sgr-' and 8 or 17 lower-case hex "
                          "digits) nor a dictionary of predicates such as {'protocol': 'tcp', 'allows_port': 443}")
    return tuple(items)


def as_dict(value):
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
    tags = []
    for key, item, where in named_items(value, option, "non-empty dictionary of tag keys and values, such as "
                                        "{'temporary': 'true'}", "tag key", allow_empty=False):
        if isinstance(item, bool):
            item = "true" if item else "false"
        elif isinstance(item, (int, float)):
            item = str(item)
        elif item is not None and not isinstance(item, str):
            raise invalid(where, item, "is not a tag value: give a string, or null for any value")
        tags.append((key, item))
    return tuple(tags)


def named_items(value, option, shape, key_noun, allow_empty=True):
    """``(name, item, "option['name']")`` for a dictionary, or its text, whose names are non-empty strings; ``shape``
    and ``key_noun`` word the refusals."""
    value = as_dict(value)
    if not isinstance(value, dict) or not (value or allow_empty):
        raise invalid(option, value, "is not a %s" % shape)
    items = []
    for key, item in value.items():
        if not isinstance(key, str) or not key:
            raise invalid(option, key, "has a %s that is not a non-empty string" % key_noun)
        items.append((key, item, "%s[%s]" % (option, quoted(key))))
    return items


def _stale(value, option):
    return _only_true(value, option, "to take rules that reference an unreachable group; leave stale out to take "
                      "rules whether or not they are stale")


def _unused(value, option):
    return _only_true(value, option, "to take rules that carried no flow in the traffic window; leave unused out "
                      "to take rules whether or not traffic used them")


def _only_true(value, option, meaning):
    try:
        given = boolean(value, strict=True)
    except TypeError:
        given = None
    if given is not True:
        raise invalid(option, value, "is not accepted: only true is, " + meaning)
    return True
