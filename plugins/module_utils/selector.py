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
rule itself (which rules are stale, the names and entries of prefix lists, the tags of
referenced groups) comes as ``Facts``.
"""

import fnmatch
import ipaddress
from collections import namedtuple

from ansible.module_utils.common.validation import check_type_dict
from ansible.module_utils.parsing.convert_bool import boolean

from ansible_collections.netguard.aws.plugins.module_utils.addresses import is_public, is_wider, ports_within
from ansible_collections.netguard.aws.plugins.module_utils.errors import NetguardAwsError, invalid, quoted
from ansible_collections.netguard.aws.plugins.module_utils.formatting import protocol_and_ports
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

PREDICATE_NAMES = ("protocol", "allows_port", "ports_within", "destination_within", "destination_covers", "public",
                   "wider_than", "destination_group", "destination_group_tags", "prefix_list_id", "prefix_list_name",
                   "description", "tags", "stale", "unused")
# The predicates a prefix-list rule passes through its entries.
_ADDRESS_PREDICATES = ("within", "covers", "public", "wider_than")
_PREFIX_BOUNDS = {"ipv4": 32, "ipv6": 128}
# VPC peering states in which a referenced group can no longer be reached.
DEAD_PEERING_STATES = ("deleted", "deleting", "expired", "failed", "rejected")

Predicate = namedtuple("Predicate", ["rule_id", "protocols", "port_range", "ports", "destinations", "group_owner",
                                     "within", "covers", "description", "tags", "stale", "unused", "ports_within",
                                     "public", "wider_than", "group_tags", "prefix_list_name"],
                       defaults=(None,) * 17)
Predicate.__doc__ = """Conditions on one rule, all of which must hold; None holds for any rule.

``port_range``: the rule's canonical ports, exactly; ``ports``: ranges of which the rule lets one port through;
``ports_within``: ranges that hold every port the rule allows. ``destinations``: sets of ``(destination_type,
destination)``, each of which must hold the rule's destination. ``group_owner``: the account of a referenced group.
``within`` and ``covers``: networks the rule's CIDR is inside of, or contains; ``public``: True; ``wider_than``:
``{4: N, 6: M}``, prefix lengths the CIDR is shorter than. A prefix-list rule passes these through its entries:
``within`` when every entry does, the others when one does; a list without entries passes none. ``group_tags``: ``(key, value or None)`` pairs the
referenced group carries; ``prefix_list_name``: a shell pattern. ``description``: a shell pattern; ``tags``: ``(key,
value or None)`` pairs; ``stale`` and ``unused``: True.
"""

Choice = namedtuple("Choice", ["predicates", "reported"])
Choice.__doc__ = """Takes the rules that pass all of ``predicates``; ``reported``: what the result's ``unmatched`` says
when the choice takes nothing (a rule ID or an exact rule), or None (a filter, which may take nothing)."""

KeepItem = namedtuple("KeepItem", ["index", "predicate", "written"])
KeepItem.__doc__ = """One ``keep`` entry: a predicate (a rule ID is one), and the entry as written."""

Selector = namedtuple("Selector", ["choices", "keep"], defaults=((),))

Facts = namedtuple("Facts", ["stale_rule_ids", "unused_rule_ids", "prefix_lists", "group_tags"],
                   defaults=(frozenset(), frozenset(), {}, {}))
Facts.__doc__ = """What predicates know of a group beyond its rules: the IDs of its stale rules, and of those that
carried no observed flow (``traffic.py``; none where the evidence is incomplete); ``prefix_lists``: ``{pl_id:
PrefixList}`` of the prefix lists its rules name, and ``group_tags``: ``{group_id: {key: value}}`` of the groups they
reference, as far as the predicates need them (``reading.py``). A list or group missing there passes no predicate
that needs it."""

PrefixList = namedtuple("PrefixList", ["name", "entries"], defaults=(None, None))
PrefixList.__doc__ = """A managed prefix list: its name, and its entries (``ip_network``s), each None when not read."""

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
    if predicate.ports_within is not None and not ports_within(rule, predicate.ports_within):
        return False
    if predicate.destinations is not None and not all((rule.destination_type, rule.destination) in allowed
                                                      for allowed in predicate.destinations):
        return False
    if predicate.group_owner is not None and described.group_owner != predicate.group_owner:
        return False
    if any(getattr(predicate, name) is not None for name in _ADDRESS_PREDICATES) \
            and not _addresses_pass(rule, predicate, facts):
        return False
    if predicate.group_tags is not None and (rule.destination_type != REFERENCED_GROUP_ID
                                             or not _tagged(facts.group_tags.get(rule.destination), predicate.group_tags)):
        return False
    if predicate.prefix_list_name is not None and not _named(_prefix_list(rule, facts).name, predicate.prefix_list_name):
        return False
    if predicate.description is not None and not fnmatch.fnmatchcase(described.description or "", predicate.description):
        return False
    if predicate.tags is not None and not _tagged(described.tags, predicate.tags):
        return False
    if predicate.stale and described.rule_id not in facts.stale_rule_ids:
        return False
    if predicate.unused and described.rule_id not in facts.unused_rule_ids:
        return False
    return True


def _tagged(tags, wanted):
    return tags is not None and all(key in tags and value in (None, tags[key]) for key, value in wanted)


def _named(name, pattern):
    return name is not None and fnmatch.fnmatchcase(name, pattern)


def _prefix_list(rule, facts):
    if rule.destination_type != PREFIX_LIST_ID:
        return PrefixList()
    return facts.prefix_lists.get(rule.destination, PrefixList())


def _addresses_pass(rule, predicate, facts):
    """The address predicates, on the rule's CIDR or on each entry of its prefix list."""
    network = destination_network(rule)
    networks = [network] if network is not None else _prefix_list(rule, facts).entries
    # A prefix list with no entries has no address to judge: it passes none of these, destination_within included.
    if not networks:
        return False
    if predicate.within is not None and not all(any(
            network.version == outer.version and network.subnet_of(outer) for outer in predicate.within)
            for network in networks):
        return False
    if predicate.covers is not None and not any(
            network.version == inner.version and inner.subnet_of(network)
            for network in networks for inner in predicate.covers):
        return False
    if predicate.public and not any(is_public(network) for network in networks):
        return False
    if predicate.wider_than is not None and not any(is_wider(network, predicate.wider_than) for network in networks):
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
        warnings.extend(keep_warnings(rule, item))
    return Selection(taken, kept, unmatched, warnings)


def present(requested, described_rules):
    """The described rules that are the ``RequestedRule``: descriptions and tags do not count."""
    predicate = exact_predicate(requested)
    return [rule for rule in described_rules if passes(rule, predicate)]


def kept_by(described, keep, facts=Facts()):
    """The first ``keep`` item that saves this rule, or None."""
    return next((item for item in keep if passes(described, item.predicate, facts)), None)


def keep_warnings(described, item):
    """Why it matters that an item saved this rule: it names no ``protocol`` and the rule is for every protocol, or
    else, it uses ``allows_port`` and the rule allows ports beyond those."""
    predicate, rule = item.predicate, described.rule
    warnings = []
    if predicate.rule_id is None and predicate.protocols is None and rule.protocol == ALL_PROTOCOLS:
        warnings.append("keep[%d] %s kept %s (every protocol -> %s), a rule that allows all traffic to its "
                        "destination, because the item names no protocol; add protocol to the item (for example tcp) "
                        "to keep only rules of that protocol"
                        % (item.index, quoted(_written(item.written)), described.rule_id, rule.destination))
    elif predicate.ports is not None and not ports_within(rule, predicate.ports):
        warnings.append("keep[%d] %s kept %s (%s -> %s), which allows ports beyond %s: allows_port keeps a rule that "
                        "lets any of its ports through; use ports_within to keep only rules whose every port is "
                        "among them" % (item.index, quoted(_written(item.written)), described.rule_id,
                                        protocol_and_ports(rule), rule.destination, _written_ports(item.written)))
    return warnings


def _written_ports(entry):
    ports = entry.get("allows_port")
    return ", ".join(str(port) for port in ports) if isinstance(ports, list) else str(ports)


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


def needs_prefix_list_names(selector):
    """Whether a predicate asks for the names of prefix lists (``DescribeManagedPrefixLists``)."""
    return any(predicate.prefix_list_name is not None for predicate in _predicates(selector))


def needs_prefix_list_entries(selector):
    """Whether a predicate asks for the addresses of prefix lists (``GetManagedPrefixListEntries``)."""
    return any(getattr(predicate, name) is not None for predicate in _predicates(selector)
               for name in _ADDRESS_PREDICATES)


def needs_group_tags(selector):
    """Whether a predicate asks for the tags of referenced groups (``DescribeSecurityGroups``)."""
    return any(predicate.group_tags is not None for predicate in _predicates(selector))


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
    ports = parsed("allows_port", _ports)
    within_ports = parsed("ports_within", _ports)
    within = parsed("destination_within", lambda item, where: tuple(
        _network(one, where_, warnings) for one, where_ in _each(item, where)))
    covers = parsed("destination_covers", lambda item, where: tuple(
        _network(one, where_, warnings, address=True) for one, where_ in _each(item, where)))
    public = parsed("public", _public)
    wider_than = parsed("wider_than", _prefix_lengths)
    group = parsed("destination_group", _destination_group)
    group_tags = parsed("destination_group_tags", _tags)
    prefix_list = parsed("prefix_list_id", lambda item, where: (PREFIX_LIST_ID, aws_id(item, where, "pl")))
    destinations = tuple(frozenset([destination]) for destination in (group, prefix_list) if destination)
    return Predicate(protocols=protocols, ports=ports, ports_within=within_ports, within=within, covers=covers,
                     public=public, wider_than=wider_than, destinations=destinations or None, group_tags=group_tags,
                     prefix_list_name=parsed("prefix_list_name", _pattern), description=parsed("description", _pattern),
                     tags=parsed("tags", _tags), stale=parsed("stale", _stale), unused=parsed("unused", _unused))


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


def _ports(value, option):
    return tuple(parse_port(one, "tcp", where) for one, where in _each(value, option))


def _prefix_lengths(value, option):
    """``{4: N, 6: M}`` from ``{ipv4: N, ipv6: M}`` (either key)."""
    lengths = {}
    for family, length, where in named_items(value, option, "non-empty dictionary of prefix lengths by address "
                                             "family, such as {'ipv4': 16, 'ipv6': 48}", "family",
                                             allow_empty=False):
        if family not in _PREFIX_BOUNDS:
            raise invalid(option, family, "is not an address family: use ipv4 or ipv6")
        where = "%s.%s" % (option, family)
        bound = _PREFIX_BOUNDS[family]
        if isinstance(length, bool) or not isinstance(length, int) or not 1 <= length <= bound:
            raise invalid(where, length, "is not a prefix length: give 1 to %d (a rule passes when its prefix is "
                          "shorter)" % bound)
        lengths[4 if family == "ipv4" else 6] = length
    return lengths


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


def _public(value, option):
    return _only_true(value, option, "to take rules open to at least one globally reachable address; leave public "
                      "out to take rules whatever their destination")


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
