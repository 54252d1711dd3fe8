"""The rules ``replace_with: observed`` derives from the flows a removal cuts: each flow allowed, no CIDR wider than
``observed_prefix``, adjacent ports joined, with their description and tag. Pure: no endpoint."""

import ipaddress

from hypothesis import given, settings, strategies as st

from ansible_collections.netguard.aws.plugins.module_utils.observed import observed_rules

PREFIXES = {"ipv4": 24, "ipv6": 64}
SINCE, UNTIL = "2026-11-04T00:00:00Z", "2026-12-04T00:00:00Z"


def flow(destination, port=443, protocol="tcp"):
    return {"interface": "eni-0a", "protocol": protocol, "destination": destination, "port": port}


def shown(rules):
    return [(item.requested.rule.protocol, item.requested.rule.from_port, item.requested.rule.to_port,
             item.requested.rule.destination) for item in rules]


def test_addresses_of_one_block_share_the_narrowest_cidr_that_holds_them_and_adjacent_ports_join():
    rules = observed_rules([flow("not an address"), flow("52.94.1.5"), flow("52.94.1.6"), flow("52.94.9.1", 444),
                            flow("52.94.9.1"), flow("52.94.1.5", 446), flow("10.0.9.2", 514, "udp"),
                            flow("2001:db8::1", 123, "udp"), flow("8.8.8.8", 0, "icmp"), flow("8.8.8.9", 8, "icmp"),
                            flow("192.0.2.1", 0, "50")],
                           PREFIXES, SINCE, UNTIL)
    # ICMP flows of any type (flow logs record none) share one rule; IPv4 rules come before IPv6 ones.
    assert shown(rules) == [
        ("50", -1, -1, "192.0.2.1/32"), ("icmp", -1, -1, "8.8.8.8/31"),
        ("tcp", 443, 443, "52.94.1.4/30"), ("tcp", 443, 444, "52.94.9.1/32"),
        ("tcp", 446, 446, "52.94.1.5/32"), ("udp", 514, 514, "10.0.9.2/32"), ("udp", 123, 123, "2001:db8::1/128")]
    assert set((item.requested.description, tuple(item.tags.items())) for item in rules) == {
        ("observed 2026-11-04T00:00:00Z..2026-12-04T00:00:00Z", (("netguard:observed", UNTIL),))}


def test_a_block_never_widens_past_the_prefix():
    rules = observed_rules([flow("52.94.1.1"), flow("52.94.1.14"), flow("52.94.1.13"), flow("52.94.1.254"),
                            flow("52.94.2.1")],
                           {"ipv4": 28, "ipv6": 64}, SINCE, UNTIL)
    assert [rule for _protocol, _from, _to, rule in shown(rules)] == ["52.94.1.0/28", "52.94.1.254/32", "52.94.2.1/32"]


addresses = st.one_of(st.ip_addresses(v=4).map(str), st.ip_addresses(v=6).map(str))
flows = st.lists(st.builds(flow, addresses, st.integers(0, 65535), st.sampled_from(["tcp", "udp", "icmp", "47"])),
                 max_size=30)


@settings(max_examples=150, deadline=None)
@given(flows, st.integers(8, 32), st.integers(16, 128))
def test_every_flow_is_allowed_by_a_rule_no_wider_than_the_prefix(cut, ipv4, ipv6):
    rules = observed_rules(cut, {"ipv4": ipv4, "ipv6": ipv6}, SINCE, UNTIL)
    networks = [ipaddress.ip_network(destination) for _protocol, _from, _to, destination in shown(rules)]
    assert all(network.prefixlen >= (ipv4 if network.version == 4 else ipv6) for network in networks)
    for one in cut:
        address = ipaddress.ip_address(one["destination"])
        assert any(protocol == one["protocol"] and address in network
                   and (protocol not in ("tcp", "udp") or from_port <= one["port"] <= to_port)
                   for (protocol, from_port, to_port, _text), network in zip(shown(rules), networks)), one
    # At most one rule per protocol, port and block: never more rules than there were such triples.
    assert len(rules) <= len(set((one["protocol"], one["port"], ipaddress.ip_network(
        (one["destination"], ipv4 if ":" not in one["destination"] else ipv6), strict=False)) for one in cut))
