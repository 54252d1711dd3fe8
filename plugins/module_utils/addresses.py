# -*- coding: utf-8 -*-
# Copyright: Contributors to the netguard.aws collection
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""Where a rule's traffic may go: public addresses, wide blocks, and the ports a rule allows. Pure: no AWS calls.

"Public" is Python's ``ipaddress`` ``is_global`` as Python 3.13 defines it from IANA's special-purpose address
registries (RFC 1918, 100.64.0.0/10, loopback, link-local, documentation, ULA and the rest). The blocks are
written here rather than read from the running Python, because older releases lack some of the registries'
globally reachable exceptions and a task must judge a rule the same way on every controller. One difference
from 3.13 is deliberate: an IPv4-mapped IPv6 block (``::ffff:0:0/96``) is never public, as the registry says;
3.13 judges each mapped address by its IPv4 address.
"""

import ipaddress

from ansible_collections.netguard.aws.plugins.module_utils.rules import PORT_RANGE_PROTOCOLS

EVERY_PORT = (0, 65535)

_NOT_GLOBAL = tuple(ipaddress.ip_network(block) for block in (
    "0.0.0.0/8", "10.0.0.0/8", "100.64.0.0/10", "127.0.0.0/8", "169.254.0.0/16", "172.16.0.0/12", "192.0.0.0/24",
    "192.0.2.0/24", "192.168.0.0/16", "198.18.0.0/15", "198.51.100.0/24", "203.0.113.0/24", "240.0.0.0/4",
    "::/128", "::1/128", "::ffff:0:0/96", "64:ff9b:1::/48", "100::/64", "2001::/23", "2001:db8::/32", "2002::/16",
    "fc00::/7", "fe80::/10"))
# Globally reachable blocks inside the ones above (192.0.0.170/31 is inside 192.0.0.0/24, so it needs no entry).
_GLOBAL_EXCEPTIONS = tuple(ipaddress.ip_network(block) for block in (
    "192.0.0.9/32", "192.0.0.10/32",
    "2001:1::1/128", "2001:1::2/128", "2001:3::/32", "2001:4:112::/48", "2001:20::/28", "2001:30::/28"))


def is_public(network):
    """Whether ``network`` (an ``ip_network``) holds at least one globally reachable address."""
    if any(_overlap(network, exception) for exception in _GLOBAL_EXCEPTIONS):
        return True
    return not _covered(network, [block for block in _NOT_GLOBAL if _overlap(network, block)])


def _overlap(one, other):
    return one.version == other.version and (one.subnet_of(other) or other.subnet_of(one))


def _covered(network, blocks):
    """Whether the union of ``blocks`` (each overlapping ``network``) holds all of ``network``."""
    if any(network.subnet_of(block) for block in blocks):
        return True
    if not blocks:
        return False
    # Every block lies inside the network: both halves must be covered, each by the blocks inside it.
    return all(_covered(half, [block for block in blocks if _overlap(half, block)])
               for half in network.subnets(prefixlen_diff=1))


def is_wider(network, prefixes):
    """Whether the network's prefix is shorter than the length ``prefixes`` (``{4: N, 6: M}``) gives its family."""
    return network.version in prefixes and network.prefixlen < prefixes[network.version]


def ports_within(rule, ranges):
    """Whether every port the rule allows lies in the union of ``ranges`` (``(first, last)`` pairs).

    A rule for every protocol, ICMP and other numbered protocols allow traffic that ports do not describe: they lie
    within only a set that holds every port.
    """
    wanted = (rule.from_port, rule.to_port) if rule.protocol in PORT_RANGE_PROTOCOLS else EVERY_PORT
    reached = wanted[0]
    for first, last in sorted(ranges):
        if first > reached:
            break
        reached = max(reached, last + 1)
        if reached > wanted[1]:
            return True
    return False
