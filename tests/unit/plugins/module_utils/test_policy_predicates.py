"""The predicates security policies are written in: ports_within, public, wider_than, destination_group_tags,
prefix_list_name, and the address predicates on prefix-list rules; the keep warning of allows_port; their input
checks. Pure: no endpoint involved."""

import ipaddress

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ansible_collections.netguard.aws.plugins.module_utils.addresses import is_public, is_wider, ports_within
from ansible_collections.netguard.aws.plugins.module_utils.errors import NetguardAwsError
from ansible_collections.netguard.aws.plugins.module_utils.rules import EgressRule
from ansible_collections.netguard.aws.plugins.module_utils.selector import (
    Choice,
    Facts,
    PrefixList,
    Selector,
    needs_group_tags,
    needs_prefix_list_entries,
    needs_prefix_list_names,
    parse_keep,
    parse_predicates,
    passes,
    select,
)

from .described import GROUP, OTHER_GROUP, api_rule, described

S3_LIST = "pl-0000000000000000a"
CORP_LIST = "pl-0000000000000000b"
EMPTY_LIST = "pl-0000000000000000c"
UNREAD_LIST = "pl-0000000000000000d"
PREFIX_LISTS = {
    S3_LIST: PrefixList("com.amazonaws.us-east-1.s3", (ipaddress.ip_network("52.216.0.0/15"),
                                                       ipaddress.ip_network("3.5.0.0/19"))),
    CORP_LIST: PrefixList("corp-resolvers", (ipaddress.ip_network("10.0.0.0/16"), ipaddress.ip_network("10.5.0.0/24"))),
    EMPTY_LIST: PrefixList("corp-empty", ()),
}
CORE_GROUP = "sg-00000000000000c0e"
FACTS = Facts(prefix_lists=PREFIX_LISTS, group_tags={CORE_GROUP: {"team": "core", "env": "prod"}, OTHER_GROUP: {}})


def predicate(value, warnings=None):
    return parse_predicates(value, "rule_filters", [] if warnings is None else warnings, "would select every rule")


def rule(rule_id, protocol="tcp", from_port=443, to_port=443, **destination):
    return described(api_rule(rule_id, protocol, from_port, to_port, **destination))[0]


def taken(rules, value, facts=FACTS):
    return [item.rule_id for item in rules if passes(item, predicate(value), facts)]


# ----- ports_within -----------------------------------------------------------------------------------------------

PORT_RULES = [
    rule("sgr-https", CidrIpv4="0.0.0.0/0"),
    rule("sgr-web", "tcp", 80, 81, CidrIpv4="0.0.0.0/0"),
    rule("sgr-anytcp", "tcp", -1, -1, CidrIpv4="0.0.0.0/0"),
    rule("sgr-alltcp", "tcp", 0, 65535, CidrIpv4="0.0.0.0/0"),
    rule("sgr-all", "-1", -1, -1, CidrIpv4="0.0.0.0/0"),
    rule("sgr-ping", "icmp", 8, -1, CidrIpv4="0.0.0.0/0"),
    rule("sgr-esp", "50", -1, -1, CidrIpv4="0.0.0.0/0"),
    rule("sgr-dns", "udp", 53, 53, CidrIpv4="0.0.0.0/0"),
]


@pytest.mark.parametrize("ports, expected", [
    ([443], ["sgr-https"]),
    ("443", ["sgr-https"]),
    ([80, 81], ["sgr-web"]),
    (["80-81", 443], ["sgr-https", "sgr-web"]),
    ([80], []),
    (["81-443"], ["sgr-https"]),
    ([53, 443], ["sgr-https", "sgr-dns"]),
    (["0-1023", "1024-65535"], [rule_.rule_id for rule_ in PORT_RULES]),
    ("all", [rule_.rule_id for rule_ in PORT_RULES]),
    (["0-65534"], ["sgr-https", "sgr-web", "sgr-dns"]),
    (["1-65535"], ["sgr-https", "sgr-web", "sgr-dns"]),
])
def test_ports_within_takes_a_rule_whose_every_port_is_in_the_set(ports, expected):
    assert taken(PORT_RULES, {"ports_within": ports}) == expected


def test_ports_within_adds_the_ranges_up_in_any_order():
    whole = EgressRule("tcp", 10, 30, "cidr_ipv4", "0.0.0.0/0")
    assert ports_within(whole, [(21, 30), (10, 20)])
    assert ports_within(whole, [(5, 12), (13, 15), (16, 40)])
    assert not ports_within(whole, [(10, 19), (21, 30)])
    assert not ports_within(whole, [(11, 30)])
    assert not ports_within(whole, [(10, 29)])
    assert ports_within(whole, [(10, 30)])
    assert not ports_within(whole, [])


# ----- public and wider_than ---------------------------------------------------------------------------------------

@pytest.mark.parametrize("block, public", [
    ("0.0.0.0/0", True), ("10.0.0.0/8", False), ("10.1.2.3/32", False), ("100.64.0.0/10", False),
    ("100.0.0.0/8", True), ("100.0.0.0/9", True), ("172.16.0.0/12", False), ("172.0.0.0/8", True),
    ("192.168.0.0/16", False), ("169.254.169.254/32", False), ("127.0.0.0/8", False), ("192.0.2.0/24", False),
    ("192.0.0.0/24", True), ("192.0.0.0/29", False), ("192.0.0.9/32", True), ("192.0.0.10/31", True),
    ("192.0.0.8/32", False), ("198.18.0.0/15", False), ("198.16.0.0/13", True), ("240.0.0.0/4", False),
    ("255.255.255.255/32", False), ("224.0.0.0/4", True), ("8.8.8.8/32", True), ("0.0.0.0/8", False),
    ("0.0.0.0/7", True), ("10.0.0.0/7", True), ("203.0.113.0/24", False), ("198.51.100.0/24", False),
    ("::/0", True), ("::/128", False), ("::1/128", False), ("::/127", False), ("::/126", True),
    ("fc00::/7", False), ("fd00::/8", False), ("fe80::/10", False), ("2001:db8::/32", False),
    ("2001::/23", True), ("2001::/32", False), ("2001:3::/32", True), ("2001:1::1/128", True),
    ("2001:1::/127", True), ("2001:1::3/128", False), ("2001:20::/28", True), ("2001:4:112::/48", True),
    ("2001:4:112::/47", True), ("2001:4:110::/47", False), ("2002::/16", False), ("2600:1f18::/33", True),
    ("::ffff:0:0/96", False), ("::ffff:8.8.8.8/128", False), ("64:ff9b:1::/48", False), ("64:ff9b::/96", True),
    ("100::/64", False), ("100::/63", True), ("2000::/3", True), ("fe80::/9", True),
])
def test_public_means_the_block_holds_a_globally_reachable_address(block, public):
    assert is_public(ipaddress.ip_network(block)) is public


# Where Python releases disagree (3.13 and the security releases of 3.8 to 3.12 follow the IANA registries more
# closely than earlier ones, and 3.13 judges an IPv4-mapped address by its IPv4 address): the cases above pin those
# blocks down.
VERSION_DEPENDENT = [ipaddress.ip_network(block) for block in (
    "192.0.0.0/24", "2001::/23", "::ffff:0:0/96", "2002::/16", "64:ff9b:1::/48")]
SPECIAL_EDGES = [int(ipaddress.ip_address(text)) for text in (
    "0.0.0.0", "10.0.0.0", "100.64.0.0", "127.0.0.0", "169.254.0.0", "172.16.0.0", "192.0.0.0", "192.0.2.0",
    "192.168.0.0", "198.18.0.0", "198.51.100.0", "203.0.113.0", "240.0.0.0", "224.0.0.0", "255.255.255.0")]


@settings(max_examples=300, derandomize=True, database=None, deadline=None)
@given(st.one_of(st.sampled_from(SPECIAL_EDGES).flatmap(lambda edge: st.integers(edge - 600, edge + 600)),
                 st.integers(0, 2 ** 32 - 1)).map(lambda value: ipaddress.IPv4Address(value % 2 ** 32)),
       st.integers(24, 32))
def test_on_small_ipv4_blocks_public_is_pythons_is_global_of_some_address(address, prefix):
    network = ipaddress.ip_network("%s/%d" % (address, prefix), strict=False)
    if any(network.overlaps(block) for block in VERSION_DEPENDENT):
        return
    assert is_public(network) is any(item.is_global for item in network)


@settings(max_examples=300, derandomize=True, database=None, deadline=None)
@given(st.one_of(st.sampled_from(["::", "fc00::", "fe80::", "2001:db8::", "2002::", "100::", "64:ff9b:1::", "2600::",
                                  "ff00::", "fbff:ffff:ffff:ffff:ffff:ffff:ffff:ff00"])
                 .map(lambda text: int(ipaddress.ip_address(text))).flatmap(lambda edge: st.integers(edge - 300, edge + 300)),
                 st.integers(0, 2 ** 128 - 1)).map(lambda value: ipaddress.IPv6Address(value % 2 ** 128)),
       st.integers(120, 128))
def test_on_small_ipv6_blocks_public_is_pythons_is_global_of_some_address(address, prefix):
    network = ipaddress.ip_network("%s/%d" % (address, prefix), strict=False)
    if any(network.overlaps(block) for block in VERSION_DEPENDENT):
        return
    assert is_public(network) is any(item.is_global for item in network)


def test_wider_than_compares_the_prefix_of_the_rules_family_only():
    assert is_wider(ipaddress.ip_network("10.0.0.0/15"), {4: 16})
    assert not is_wider(ipaddress.ip_network("10.0.0.0/16"), {4: 16})
    assert not is_wider(ipaddress.ip_network("::/0"), {4: 16})
    assert is_wider(ipaddress.ip_network("2001:db8::/47"), {4: 32, 6: 48})
    assert not is_wider(ipaddress.ip_network("2001:db8::/48"), {6: 48})


# ----- prefix lists, referenced groups ----------------------------------------------------------------------------

LIST_RULES = [
    rule("sgr-s3", PrefixListId=S3_LIST),
    rule("sgr-corp", "udp", 53, 53, PrefixListId=CORP_LIST),
    rule("sgr-empty", PrefixListId=EMPTY_LIST),
    rule("sgr-unread", PrefixListId=UNREAD_LIST),
    rule("sgr-cidr", CidrIpv4="10.0.0.0/16"),
    rule("sgr-core", ReferencedGroupInfo={"GroupId": CORE_GROUP, "UserId": "123456789012"}),
    rule("sgr-other", ReferencedGroupInfo={"GroupId": OTHER_GROUP, "UserId": "123456789012"}),
    rule("sgr-peer", ReferencedGroupInfo={"GroupId": "sg-0000000000000beef", "UserId": "210987654321"}),
]


@pytest.mark.parametrize("value, expected", [
    ({"destination_within": ["10.0.0.0/8"]}, ["sgr-corp", "sgr-cidr"]),
    ({"destination_within": ["10.0.0.0/16"]}, ["sgr-cidr"]),
    ({"destination_within": ["10.0.0.0/16", "10.5.0.0/16"]}, ["sgr-corp", "sgr-cidr"]),
    ({"destination_covers": ["10.5.0.7"]}, ["sgr-corp"]),
    ({"destination_covers": ["3.5.0.0/20"]}, ["sgr-s3"]),
    ({"destination_covers": ["0.0.0.0/0"]}, []),
    ({"public": True}, ["sgr-s3"]),
    ({"wider_than": {"ipv4": 16}}, ["sgr-s3"]),
    ({"wider_than": {"ipv4": 17}}, ["sgr-s3", "sgr-corp", "sgr-cidr"]),
    ({"wider_than": {"ipv6": 128}}, []),
    ({"prefix_list_name": "com.amazonaws.*.s3"}, ["sgr-s3"]),
    ({"prefix_list_name": "corp-*"}, ["sgr-corp", "sgr-empty"]),
    ({"prefix_list_name": "*"}, ["sgr-s3", "sgr-corp", "sgr-empty"]),
    ({"prefix_list_name": "Corp-*"}, []),
    ({"destination_group_tags": {"team": "core"}}, ["sgr-core"]),
    ({"destination_group_tags": {"team": None, "env": "prod"}}, ["sgr-core"]),
    ({"destination_group_tags": {"team": "web"}}, []),
    ({"destination_group_tags": {"team": None}}, ["sgr-core"]),
])
def test_prefix_lists_pass_through_their_entries_and_groups_through_their_tags(value, expected):
    assert taken(LIST_RULES, value) == expected


def test_without_the_facts_no_prefix_list_or_group_predicate_passes():
    for value in ({"prefix_list_name": "*"}, {"destination_within": ["0.0.0.0/0"]}, {"public": True},
                  {"wider_than": {"ipv4": 32}}, {"destination_group_tags": {"team": None}}):
        assert [rule_id for rule_id in taken(LIST_RULES, value, Facts()) if rule_id != "sgr-cidr"] == []


def test_the_read_asks_only_for_what_a_predicate_needs():
    def needs(value):
        selector = Selector((Choice((predicate(value),), None),))
        return needs_prefix_list_names(selector), needs_prefix_list_entries(selector), needs_group_tags(selector)

    assert needs({"protocol": "tcp", "allows_port": 443, "ports_within": 443, "prefix_list_id": S3_LIST}) == (
        False, False, False)
    assert needs({"prefix_list_name": "x"}) == (True, False, False)
    for address_predicate in ({"destination_within": ["10.0.0.0/8"]}, {"destination_covers": ["10.0.0.1"]},
                              {"public": True}, {"wider_than": {"ipv4": 8}}):
        assert needs(address_predicate) == (False, True, False)
    assert needs({"destination_group_tags": {"a": "b"}}) == (False, False, True)
    keep_only = Selector((), parse_keep([{"destination_group_tags": {"a": None}, "prefix_list_name": "x"}], []))
    assert (needs_prefix_list_names(keep_only), needs_prefix_list_entries(keep_only), needs_group_tags(keep_only)) == (
        True, False, True)


# ----- keep and allows_port ---------------------------------------------------------------------------------------

def test_keep_with_allows_port_warns_when_it_saves_wider_ports_and_ports_within_keeps_only_https():
    rules = described(
        api_rule("sgr-all", "-1", -1, -1, CidrIpv4="0.0.0.0/0"),
        api_rule("sgr-alltcp", "tcp", 0, 65535, CidrIpv4="0.0.0.0/0"),
        api_rule("sgr-https", "tcp", 443, 443, CidrIpv4="0.0.0.0/0"),
        api_rule("sgr-other", "tcp", 443, 443, CidrIpv4="0.0.0.0/0", group_id=OTHER_GROUP))
    choose = (Choice((predicate({"destination_covers": ["0.0.0.0/0"]}),), None),)

    within = select(GROUP, rules, Selector(choose, parse_keep([{"protocol": "tcp", "ports_within": [443]}], [])))
    assert [item.rule_id for item in within.taken] == ["sgr-all", "sgr-alltcp"]
    assert [(item.rule_id, keep.index) for item, keep in within.kept] == [("sgr-https", 0)]
    assert within.warnings == []

    overlap = select(GROUP, rules, Selector(choose, parse_keep(["sgr-0123456789abcdef0",
                                                                {"protocol": "tcp", "allows_port": [443, 8443]}], [])))
    assert [item.rule_id for item in overlap.taken] == ["sgr-all"]
    assert [(item.rule_id, keep.index) for item, keep in overlap.kept] == [("sgr-alltcp", 1), ("sgr-https", 1)]
    assert overlap.warnings == [
        "keep[1] 'protocol=tcp, allows_port=[443, 8443]' kept sgr-alltcp (tcp 0-65535 -> 0.0.0.0/0), which allows ports "
        "beyond 443, 8443: allows_port keeps a rule that lets any of its ports through; use ports_within to keep only "
        "rules whose every port is among them"]

    single = select(GROUP, rules, Selector(choose, parse_keep([{"protocol": "tcp", "allows_port": "443"}], [])))
    assert "beyond 443:" in single.warnings[0]


def test_an_item_without_protocol_saving_an_allow_all_rule_gets_the_protocol_warning_only():
    rules = described(api_rule("sgr-all", "-1", -1, -1, CidrIpv4="0.0.0.0/0"))
    selection = select(GROUP, rules, Selector((Choice((predicate({"public": True}),), None),),
                                              parse_keep([{"allows_port": 443}], [])))
    assert len(selection.warnings) == 1 and "because the item names no protocol" in selection.warnings[0]


# ----- input checks -----------------------------------------------------------------------------------------------

@pytest.mark.parametrize("value, message", [
    ({"ports_within": 70000}, "rule_filters.ports_within 70000 is out of range"),
    ({"ports_within": [443, "x"]}, "rule_filters.ports_within[1] 'x' is not a port"),
    ({"ports_within": []}, "rule_filters.ports_within is empty"),
    ({"ports_within": "443-80"}, "rule_filters.ports_within '443-80' is reversed"),
    ({"public": False}, "rule_filters.public False is not accepted: only true is, to take rules open to at least one "
                        "globally reachable address"),
    ({"public": "yes please"}, "rule_filters.public 'yes please' is not accepted"),
    ({"wider_than": 16}, "rule_filters.wider_than 16 is not a non-empty dictionary of prefix lengths by address "
                         "family, such as {'ipv4': 16, 'ipv6': 48}"),
    ({"wider_than": {}}, "rule_filters.wider_than {} is not a non-empty dictionary"),
    ({"wider_than": {"ipv5": 3}}, "rule_filters.wider_than 'ipv5' is not an address family: use ipv4 or ipv6"),
    ({"wider_than": {"ipv4": 33}}, "rule_filters.wider_than.ipv4 33 is not a prefix length: give 1 to 32"),
    ({"wider_than": {"ipv4": 0}}, "rule_filters.wider_than.ipv4 0 is not a prefix length: give 1 to 32"),
    ({"wider_than": {"ipv6": 129}}, "rule_filters.wider_than.ipv6 129 is not a prefix length: give 1 to 128"),
    ({"wider_than": {"ipv4": True}}, "rule_filters.wider_than.ipv4 True is not a prefix length"),
    ({"wider_than": {"ipv4": "16"}}, "rule_filters.wider_than.ipv4 '16' is not a prefix length"),
    ({"destination_group_tags": {}}, "rule_filters.destination_group_tags {} is not a non-empty dictionary of tag keys"),
    ({"destination_group_tags": {"team": ["a"]}}, "rule_filters.destination_group_tags['team'] ['a'] is not a tag value"),
    ({"prefix_list_name": 5}, "rule_filters.prefix_list_name 5 is not a shell-style pattern"),
])
def test_new_predicates_fail_naming_the_option_path_and_value(value, message):
    with pytest.raises(NetguardAwsError) as error:
        predicate(value)
    assert error.value.msg.startswith(message), error.value.msg


def test_keep_entries_name_their_index_in_the_path():
    with pytest.raises(NetguardAwsError) as error:
        parse_keep([{"protocol": "tcp"}, {"wider_than": {"ipv4": 40}}], [])
    assert error.value.msg.startswith("keep[1].wider_than.ipv4 40 is not a prefix length")


def test_valid_values_parse_to_what_the_predicates_compare():
    parsed = predicate({"ports_within": [443, "8000-8080"], "public": "true", "wider_than": {"ipv4": 16, "ipv6": 48},
                        "destination_group_tags": {"team": True}, "prefix_list_name": "corp-*"})
    assert parsed.ports_within == ((443, 443), (8000, 8080))
    assert parsed.public is True and parsed.wider_than == {4: 16, 6: 48}
    assert parsed.group_tags == (("team", "true"),) and parsed.prefix_list_name == "corp-*"
