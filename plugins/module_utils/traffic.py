# -*- coding: utf-8 -*-
# Copyright: Contributors to the netguard.aws collection
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""What the observed flows say of each egress rule: which flows it carried, which a plan cuts, how complete the
evidence is. Pure: no AWS calls.

A rule *allows* a flow surely, might allow it, or does not. It might when the flow
log cannot tell (a rule for one ICMP type: flow logs do not record the type) or an
address set could not be read (a group of another account, a prefix list that could
not be read). Each question takes the cautious side: a rule that might allow a flow
carried it (so it is not unused), and a rule that might allow a flow does not keep
it from being cut.
"""

import ipaddress
from collections import namedtuple
from functools import lru_cache
from datetime import datetime, timezone

from ansible_collections.netguard.aws.plugins.module_utils.formatting import requested_api_rule
from ansible_collections.netguard.aws.plugins.module_utils.rules import (
    ALL_PROTOCOLS,
    CIDR_IPV4,
    CIDR_IPV6,
    PREFIX_LIST_ID,
    REFERENCED_GROUP_ID,
    DescribedRule,
)

TOP_DESTINATIONS = 10
SURELY, MAYBE = 2, 1
_PROTOCOL_NUMBERS = {"tcp": 6, "udp": 17, "icmp": 1, "icmpv6": 58}
_PROTOCOL_NAMES = dict((number, name) for name, number in _PROTOCOL_NUMBERS.items())

Interface = namedtuple("Interface", ["interface_id", "group_ids", "addresses", "subnet_id", "vpc_id", "owner_id"])
Interface.__doc__ = """A network interface behind a selected group: all its groups, its own addresses (text)."""

Evidence = namedtuple("Evidence", ["since", "until", "interfaces", "rules", "group_addresses", "prefix_lists",
                                   "flows", "reasons"])
Evidence.__doc__ = """What a region's flow logs showed: the window (seconds since the epoch); ``interfaces``
``{interface_id: Interface}``; ``rules`` ``{group_id: [DescribedRule]}`` (egress rules of every group of those
interfaces); ``group_addresses`` ``{group_id: frozenset of addresses, or None if unknown}`` of the referenced groups;
``prefix_lists`` ``{prefix_list_id: tuple of networks, or None if unknown}``; ``flows`` ``{interface_id: [Flow]}``;
``reasons`` ``{interface_id: [sentence]}``, why its evidence is incomplete (none: complete)."""


GroupTraffic = namedtuple("GroupTraffic", ["coverage", "cut_flows", "rules", "rule_cuts"])
GroupTraffic.__doc__ = """What the flow logs show of one group's plan: ``coverage`` (the result's
``traffic_coverage``), ``cut_flows`` (``flow_entry``s), ``rules`` ``{rule_id: rule_traffic}`` of the rules listed or
removed, and ``rule_cuts`` ``{rule_id: [flow_entry]}``: the cut flows each removed rule allowed."""


def iso(seconds):
    """``2026-12-04T10:00:00Z`` for seconds since the epoch."""
    return datetime.fromtimestamp(seconds, timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def protocol_name(number):
    return _PROTOCOL_NAMES.get(number, str(number))


def flow_entry(flow):
    """A flow as the results show it."""
    return {"interface": flow.interface, "protocol": protocol_name(flow.protocol), "destination": flow.destination,
            "port": flow.port, "packets": flow.packets, "bytes": flow.bytes, "last_seen": iso(flow.last)}


class Analysis:
    """The evidence of a region, with every flow matched once against every egress rule of its interface's groups."""

    def __init__(self, evidence):
        self.evidence = evidence
        # {interface_id: [(flow, {rule_id: SURELY or MAYBE})]}
        self._matched = {}
        for interface_id, interface in evidence.interfaces.items():
            rules = [rule for group_id in interface.group_ids for rule in evidence.rules.get(group_id, ())]
            matched = []
            for flow in evidence.flows.get(interface_id, ()):
                address = _address(flow.destination)
                allowers = {}
                for rule in rules:
                    verdict = allows(rule, flow, address, evidence, interface)
                    if verdict:
                        allowers[rule.rule_id] = max(verdict, allowers.get(rule.rule_id, 0))
                matched.append((flow, allowers))
            self._matched[interface_id] = matched

    def behind(self, group_id):
        """The interfaces that use the group, in ID order."""
        return sorted(interface_id for interface_id, interface in self.evidence.interfaces.items()
                      if group_id in interface.group_ids)

    def coverage(self, group_id):
        """The result's ``traffic_coverage`` of a group."""
        interfaces = self.behind(group_id)
        reasons = []
        for interface_id in interfaces:
            for reason in self.evidence.reasons.get(interface_id, ()):
                if reason not in reasons:
                    reasons.append(reason)
        logged = sum(1 for interface_id in interfaces if not self.evidence.reasons.get(interface_id))
        return {"complete": not reasons, "since": iso(self.evidence.since), "until": iso(self.evidence.until),
                "interfaces": len(interfaces), "logged_interfaces": logged, "reasons": reasons}

    def complete(self, group_id):
        return not any(self.evidence.reasons.get(interface_id) for interface_id in self.behind(group_id))

    def carried(self, group_id, rule_id):
        """``[(flow, only_rule)]``: the flows of the group's interfaces that the rule allows or might allow, and
        whether no other rule of the interface's groups surely allows them."""
        found = []
        for interface_id in self.behind(group_id):
            for flow, allowers in self._matched[interface_id]:
                if rule_id in allowers:
                    found.append((flow, not any(verdict == SURELY for other, verdict in allowers.items()
                                                if other != rule_id)))
        return found

    def rule_traffic(self, group_id, rule_id):
        """The info module's ``traffic`` of one rule."""
        carried = self.carried(group_id, rule_id)
        flows = [flow for flow, _only in carried]
        top = sorted(flows, key=lambda flow: (-flow.packets, -flow.bytes, flow.interface, flow.destination,
                                              flow.port, flow.protocol))[:TOP_DESTINATIONS]
        return {"flows": len(flows), "packets": sum(flow.packets for flow in flows),
                "bytes": sum(flow.bytes for flow in flows),
                "first_seen": iso(min(flow.first for flow in flows)) if flows else None,
                "last_seen": iso(max(flow.last for flow in flows)) if flows else None,
                "only_rule_for": sum(1 for _flow, only in carried if only),
                "top_destinations": [flow_entry(flow) for flow in top]}

    def unused_rule_ids(self, group_id, rule_ids):
        """Of ``rule_ids`` (the group's), those that carried no flow; none when the group's evidence is
        incomplete."""
        if not self.complete(group_id):
            return frozenset()
        return frozenset(rule_id for rule_id in rule_ids if not self.carried(group_id, rule_id))

    def cut_flows(self, group_id, removed, removed_here, added=None):
        """The flows of the group's interfaces that ``removed_here`` (rule IDs this group's plan removes) allows or
        might allow, and that no rule left after ``removed`` (every rule ID the task removes in the region), nor one
        of ``added`` (``{group_id: [DescribedRule]}``, the rules the task adds first), surely allows; as
        ``flow_entry``s, most packets first."""
        cut = []
        for interface_id in self.behind(group_id):
            interface = self.evidence.interfaces[interface_id]
            adding = [rule for group in interface.group_ids for rule in (added or {}).get(group, ())]
            for flow, allowers in self._matched[interface_id]:
                if not any(rule_id in removed_here for rule_id in allowers):
                    continue
                if any(verdict == SURELY and rule_id not in removed for rule_id, verdict in allowers.items()):
                    continue
                address = _address(flow.destination)
                if any(allows(rule, flow, address, self.evidence, interface) == SURELY for rule in adding):
                    continue
                cut.append(flow)
        cut.sort(key=lambda flow: (-flow.packets, -flow.bytes, flow.interface, flow.destination, flow.port,
                                   flow.protocol))
        return [flow_entry(flow) for flow in cut]


def with_traffic(plans, analysis, listing):
    """``plans`` (a region's ``GroupPlan``s) with their ``GroupTraffic``: of the rules they list (``listing``), or
    of those they remove, which flows are cut once every rule the region's plans remove is gone and every rule they
    add is there."""
    removed = set(rule.rule_id for plan in plans for rule in plan.remove)
    added = dict((plan.group["GroupId"], [DescribedRule(requested_api_rule(item.requested, item.tags,
                                                                           plan.group["GroupId"]))
                                          for item in plan.add]) for plan in plans if plan.add)
    found = []
    for plan in plans:
        group_id = plan.group["GroupId"]
        rules = plan.taken if listing else plan.remove
        traffic = dict((rule.rule_id, analysis.rule_traffic(group_id, rule.rule_id)) for rule in rules)
        cut, rule_cuts = [], {}
        if not listing and plan.remove:
            cut = analysis.cut_flows(group_id, removed, set(rule.rule_id for rule in plan.remove), added)
            for rule in plan.remove:
                rule_cuts[rule.rule_id] = analysis.cut_flows(group_id, removed, {rule.rule_id}, added)
        found.append(plan._replace(traffic=GroupTraffic(analysis.coverage(group_id), cut, traffic, rule_cuts)))
    return found


def allows(described, flow, address, evidence, interface):
    """``SURELY``, ``MAYBE`` or 0: whether an egress rule lets the flow (to ``address``, its ``ip_address``) out."""
    rule = described.rule
    verdict = _protocol_allows(rule, flow)
    if not verdict:
        return 0
    kind = rule.destination_type
    if kind in (CIDR_IPV4, CIDR_IPV6):
        network = _network(rule.destination)
        return verdict if address is not None and address.version == network.version and address in network else 0
    if kind == PREFIX_LIST_ID:
        networks = evidence.prefix_lists.get(rule.destination)
        if networks is None:
            return MAYBE
        return verdict if address is not None and any(address.version == network.version and address in network
                                                      for network in networks) else 0
    if kind == REFERENCED_GROUP_ID:
        if described.group_owner not in (None, interface.owner_id):
            return MAYBE
        addresses = evidence.group_addresses.get(rule.destination)
        if addresses is None:
            return MAYBE
        return verdict if address is not None and address.compressed in addresses else 0
    return MAYBE


def _protocol_allows(rule, flow):
    if rule.protocol == ALL_PROTOCOLS:
        return SURELY
    number = _PROTOCOL_NUMBERS.get(rule.protocol)
    if number is None:
        return SURELY if str(flow.protocol) == rule.protocol else 0
    if flow.protocol != number:
        return 0
    if rule.protocol in ("tcp", "udp"):
        return SURELY if rule.from_port <= flow.port <= rule.to_port else 0
    # Flow logs do not record the ICMP type: only a rule for every type surely allows an ICMP flow.
    return SURELY if rule.from_port == -1 else MAYBE


@lru_cache(maxsize=None)
def _network(text):
    return ipaddress.ip_network(text)


def _address(text):
    try:
        return ipaddress.ip_address(text)
    except ValueError:
        return None
