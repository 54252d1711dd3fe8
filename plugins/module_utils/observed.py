# -*- coding: utf-8 -*-
# Copyright: Contributors to the netguard.aws collection
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""``replace_with: observed``: the rules a group needs so that removing its broad rules cuts no flow the flow logs
showed. A stage between the plan and the guards. Pure: no AWS calls.

From the flows a group's plan would cut: for each protocol and destination port, the
destinations seen, each /``observed_prefix`` block of them as the narrowest CIDR that
holds every address seen in it (never wider than the block); then, for each protocol
and CIDR, adjacent ports joined into one range. ICMP flows do not record the type, so
their rule allows every type; other protocols have no ports.
"""

import ipaddress

from ansible_collections.netguard.aws.plugins.module_utils.permissions import RequestedRule, RestoreRule
from ansible_collections.netguard.aws.plugins.module_utils.plan import with_additions
from ansible_collections.netguard.aws.plugins.module_utils.rules import (
    CIDR_IPV4,
    CIDR_IPV6,
    PORT_RANGE_PROTOCOLS,
    EgressRule,
)
from ansible_collections.netguard.aws.plugins.module_utils.traffic import iso, with_traffic

OBSERVED_TAG = "netguard:observed"


def with_observed(plans, analysis):
    """A region's plans, those with ``replace_with: observed`` that remove rules given the rules their cut flows
    need, and every plan's traffic worked out again with what the plans add."""
    since, until = iso(analysis.evidence.since), iso(analysis.evidence.until)
    found = []
    for plan in plans:
        replace = plan.change.replace
        if replace is not None and replace.observed is not None and plan.remove and plan.traffic is not None:
            plan = with_additions(plan, observed_rules(plan.traffic.cut_flows, replace.observed, since, until))
        found.append(plan)
    return with_traffic(found, analysis, False)


def observed_rules(flows, prefixes, since, until):
    """``RestoreRule``s that allow every flow of ``flows`` (``flow_entry``s), with CIDRs no wider than ``prefixes``
    (``{ipv4: N, ipv6: M}``), described ``observed <since>..<until>`` and tagged ``netguard:observed=<until>``."""
    # {(protocol, port): {block: [lowest, highest]}}
    seen = {}
    for flow in flows:
        try:
            address = ipaddress.ip_address(flow["destination"])
        except ValueError:
            continue
        protocol = str(flow["protocol"])
        port = flow["port"] if protocol in PORT_RANGE_PROTOCOLS else -1
        block = ipaddress.ip_network((address, prefixes["ipv%d" % address.version]), strict=False)
        bounds = seen.setdefault((protocol, port), {}).setdefault(block, [address, address])
        bounds[0], bounds[1] = min(bounds[0], address), max(bounds[1], address)
    # {(protocol, cidr): set of ports}
    ports = {}
    for (protocol, port), blocks in seen.items():
        for lowest, highest in blocks.values():
            ports.setdefault((protocol, _narrowest(lowest, highest)), set()).add(port)
    description = "observed %s..%s" % (since, until)
    rules = []
    for (protocol, network), found in ports.items():
        kind = CIDR_IPV4 if network.version == 4 else CIDR_IPV6
        for from_port, to_port in _ranges(protocol, found):
            rules.append(RestoreRule(RequestedRule(EgressRule(protocol, from_port, to_port, kind, network.compressed),
                                                   None, description), {OBSERVED_TAG: until}))
    rules.sort(key=lambda item: (item.requested.rule.destination_type, item.requested.rule.protocol,
                                 item.requested.rule.from_port, ipaddress.ip_network(item.requested.rule.destination)))
    return tuple(rules)


def _narrowest(lowest, highest):
    """The narrowest network that holds both addresses."""
    bits = (int(lowest) ^ int(highest)).bit_length()
    return ipaddress.ip_network((lowest, lowest.max_prefixlen - bits), strict=False)


def _ranges(protocol, ports):
    """``(from_port, to_port)`` pairs: adjacent tcp/udp ports joined; -1 (every type, or no ports) for others."""
    if protocol not in PORT_RANGE_PROTOCOLS:
        return [(-1, -1)]
    ranges = []
    for port in sorted(ports):
        if ranges and ranges[-1][1] == port - 1:
            ranges[-1][1] = port
        else:
            ranges.append([port, port])
    return [tuple(pair) for pair in ranges]
