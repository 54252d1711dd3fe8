"""rule_filters and keep: which described rules each predicate takes, what keep saves, and the input checks."""

import ipaddress

import pytest

from ansible_collections.netguard.aws.plugins.module_utils.errors import NetguardAwsError
from ansible_collections.netguard.aws.plugins.module_utils.matching import match_egress_rules
from ansible_collections.netguard.aws.plugins.module_utils.predicates import (
    for_vpc,
    group_names,
    parse_keep,
    parse_predicates,
    passes,
    stale_rule_ids,
)

from .described import GROUP, OTHER_GROUP, api_rule, described

PEER = "sg-0bbbbbbbbbbbbbbbb"
PREFIX_LIST = "pl-0123456789abcdef0"
# A well-formed ID, so that keep takes it.
ICMP = "sgr-0000000c"

RULES = described(
    api_rule("sgr-all4", "-1", -1, -1, CidrIpv4="0.0.0.0/0"),
    api_rule("sgr-all6", "-1", -1, -1, CidrIpv6="::/0"),
    api_rule("sgr-https", "tcp", 443, 443, CidrIpv4="0.0.0.0/0", description="https out"),
    api_rule("sgr-smtp", "tcp", 25, 25, CidrIpv4="0.0.0.0/0", description="temp-smtp"),
    api_rule("sgr-tcpall", "tcp", -1, -1, CidrIpv4="10.1.0.0/16"),
    api_rule("sgr-udp", "udp", 1000, 2000, CidrIpv4="10.2.3.0/24"),
    api_rule(ICMP, "icmp", 8, -1, CidrIpv4="0.0.0.0/0"),
    api_rule("sgr-esp", "50", -1, -1, CidrIpv4="0.0.0.0/0"),
    api_rule("sgr-dns", "udp", 53, 53, CidrIpv4="8.8.8.8/32", Tags=[{"Key": "temporary", "Value": "true"}]),
    api_rule("sgr-v6web", "tcp", 80, 80, CidrIpv6="2001:db8::/32", Tags=[{"Key": "owner", "Value": "web"}]),
    api_rule("sgr-peer", "tcp", 5432, 5432, ReferencedGroupInfo={"GroupId": PEER, "UserId": "123456789012"}),
    api_rule("sgr-pl", "tcp", 443, 443, PrefixListId=PREFIX_LIST),
)


def parsed(value, warnings=None):
    return parse_predicates(value, "rule_filters", [] if warnings is None else warnings, "would select every rule")


def taken(value, rules=RULES, stale_ids=frozenset()):
    predicate = parsed(value)
    return [rule.rule_id for rule in rules if passes(rule, predicate, stale_ids)]


@pytest.mark.parametrize("value, expected", [
    ({"protocol": "all"}, ["sgr-all4", "sgr-all6"]),
    ({"protocol": -1}, ["sgr-all4", "sgr-all6"]),
    ({"protocol": "tcp"}, ["sgr-https", "sgr-smtp", "sgr-tcpall", "sgr-v6web", "sgr-peer", "sgr-pl"]),
    ({"protocol": ["17", "icmp"]}, ["sgr-udp", ICMP, "sgr-dns"]),
    ({"protocol": 50}, ["sgr-esp"]),
])
def test_protocol_compares_the_rules_own_protocol(value, expected):
    assert taken(value) == expected


@pytest.mark.parametrize("value, expected", [
    # A protocol-all rule and a tcp rule for every port (stored as -1/-1) let every port through.
    (25, ["sgr-all4", "sgr-all6", "sgr-smtp", "sgr-tcpall"]),
    ([25, 465, 587], ["sgr-all4", "sgr-all6", "sgr-smtp", "sgr-tcpall"]),
    ("2000-3000", ["sgr-all4", "sgr-all6", "sgr-tcpall", "sgr-udp"]),
    ("999", ["sgr-all4", "sgr-all6", "sgr-tcpall"]),
    (1000, ["sgr-all4", "sgr-all6", "sgr-tcpall", "sgr-udp"]),
    (0, ["sgr-all4", "sgr-all6", "sgr-tcpall"]),
    (65535, ["sgr-all4", "sgr-all6", "sgr-tcpall"]),
])
def test_allows_port_takes_rules_that_let_one_of_the_ports_through(value, expected):
    # ICMP (sgr-icmp) and numbered protocols (sgr-esp) have no ports and never pass.
    assert taken({"allows_port": value}) == expected


@pytest.mark.parametrize("value, expected", [
    (["10.0.0.0/8"], ["sgr-tcpall", "sgr-udp"]),
    (["10.1.0.0/16"], ["sgr-tcpall"]),
    (["10.1.0.0/17"], []),
    (["8.8.0.0/16", "10.2.0.0/16"], ["sgr-udp", "sgr-dns"]),
    (["::/0"], ["sgr-all6", "sgr-v6web"]),
    (["0.0.0.0/0"], ["sgr-all4", "sgr-https", "sgr-smtp", "sgr-tcpall", "sgr-udp", ICMP, "sgr-esp", "sgr-dns"]),
])
def test_destination_within_takes_cidr_rules_inside_a_block(value, expected):
    assert taken({"destination_within": value}) == expected


@pytest.mark.parametrize("value, expected", [
    (["0.0.0.0/0"], ["sgr-all4", "sgr-https", "sgr-smtp", ICMP, "sgr-esp"]),
    (["8.8.8.8"], ["sgr-all4", "sgr-https", "sgr-smtp", ICMP, "sgr-esp", "sgr-dns"]),
    (["10.1.2.0/24"], ["sgr-all4", "sgr-https", "sgr-smtp", "sgr-tcpall", ICMP, "sgr-esp"]),
    (["2001:db8::1"], ["sgr-all6", "sgr-v6web"]),
    (["::/0"], ["sgr-all6"]),
])
def test_destination_covers_takes_cidr_rules_containing_a_block_or_address(value, expected):
    assert taken({"destination_covers": value}) == expected


def test_group_and_prefix_list_destinations_never_pass_a_cidr_predicate():
    for value in ({"destination_within": ["0.0.0.0/0", "::/0"]}, {"destination_covers": ["0.0.0.0/0", "::/0"]}):
        assert "sgr-peer" not in taken(value) and "sgr-pl" not in taken(value)


def test_destination_group_and_prefix_list_id():
    assert taken({"destination_group": PEER}) == ["sgr-peer"]
    assert taken({"prefix_list_id": PREFIX_LIST}) == ["sgr-pl"]
    assert taken({"destination_group": OTHER_GROUP}) == []


def test_destination_group_by_name_takes_the_group_of_that_name_in_each_vpc():
    predicate = parsed({"destination_group": "database"})
    assert [rule.rule_id for rule in RULES if passes(rule, predicate)] == [], "an unresolved name matches nothing"
    in_vpc = for_vpc(predicate, {("vpc-1", "database"): PEER}, "vpc-1")
    assert [rule.rule_id for rule in RULES if passes(rule, in_vpc)] == ["sgr-peer"]
    elsewhere = for_vpc(predicate, {("vpc-1", "database"): PEER}, "vpc-2")
    assert [rule.rule_id for rule in RULES if passes(rule, elsewhere)] == []


@pytest.mark.parametrize("pattern, expected", [
    ("temp-*", ["sgr-smtp"]),
    ("https out", ["sgr-https"]),
    ("HTTPS*", []),
    ("*", [rule.rule_id for rule in RULES]),
    ("", ["sgr-all4", "sgr-all6", "sgr-tcpall", "sgr-udp", ICMP, "sgr-esp", "sgr-dns", "sgr-v6web", "sgr-peer",
          "sgr-pl"]),
])
def test_description_is_a_case_sensitive_shell_pattern_and_no_description_is_empty(pattern, expected):
    assert taken({"description": pattern}) == expected


@pytest.mark.parametrize("tags, expected", [
    ({"temporary": True}, ["sgr-dns"]),
    ({"temporary": "true"}, ["sgr-dns"]),
    ({"temporary": False}, []),
    ({"temporary": None}, ["sgr-dns"]),
    ({"owner": None}, ["sgr-v6web"]),
    ({"owner": "web", "temporary": None}, []),
])
def test_tags_must_all_be_present_with_null_for_any_value(tags, expected):
    assert taken({"tags": tags}) == expected


def test_predicates_combine_with_and():
    assert taken({"protocol": "tcp", "allows_port": 443, "destination_covers": ["0.0.0.0/0"]}) == ["sgr-https"]
    assert taken({"allows_port": 53, "destination_covers": ["8.8.8.8"]}) == ["sgr-all4", "sgr-dns"]


def test_stale_takes_rules_that_describe_stale_security_groups_or_the_peering_status_report():
    dead_peering = api_rule("sgr-dead", "tcp", 22, 22, ReferencedGroupInfo={
        "GroupId": "sg-0ccccccccccccccc0", "UserId": "210987654321", "VpcPeeringConnectionId": "pcx-0123456789abcdef0",
        "PeeringStatus": "deleted"})
    live_peering = api_rule("sgr-live", "tcp", 22, 22, ReferencedGroupInfo={
        "GroupId": "sg-0ddddddddddddddd0", "UserId": "210987654321", "PeeringStatus": "active"})
    rules = RULES + described(dead_peering, live_peering)
    stale_groups = [{"GroupId": GROUP, "VpcId": "vpc-1", "StaleIpPermissionsEgress": [
        {"IpProtocol": "tcp", "FromPort": 5432, "ToPort": 5432, "UserIdGroupPairs": [{"GroupId": PEER}]},
        # Same group, other ports: not the rule we have.
        {"IpProtocol": "tcp", "FromPort": 80, "ToPort": 80, "UserIdGroupPairs": [{"GroupId": "sg-0eeeeeeeeeeeeeee0"}]},
    ], "StaleIpPermissions": [
        {"IpProtocol": "tcp", "FromPort": 443, "ToPort": 443, "UserIdGroupPairs": [{"GroupId": PEER}]}]}]
    ids = stale_rule_ids(rules, stale_groups)
    assert ids == {"sgr-peer", "sgr-dead"}
    assert taken({"stale": True}, rules, ids) == ["sgr-peer", "sgr-dead"]
    assert taken({"stale": True, "allows_port": 22}, rules, ids) == ["sgr-dead"]


def test_a_stale_permission_of_another_group_takes_nothing_here():
    stale_groups = [{"GroupId": OTHER_GROUP, "StaleIpPermissionsEgress": [
        {"IpProtocol": "tcp", "FromPort": 5432, "ToPort": 5432, "UserIdGroupPairs": [{"GroupId": PEER}]}]}]
    assert stale_rule_ids(RULES, stale_groups) == frozenset()


def keep_items(entries, warnings=None):
    return parse_keep(entries, [] if warnings is None else warnings)


def test_keep_saves_rules_from_any_selector_and_the_result_names_the_item():
    predicate = parsed({"destination_covers": ["0.0.0.0/0", "::/0"]})
    keep = keep_items([{"protocol": "tcp", "allows_port": 443}, ICMP])
    match = match_egress_rules(GROUP, RULES, rule_ids=["sgr-dns"], predicates=[predicate], keep=keep)
    assert [rule.rule_id for rule in match.matched] == ["sgr-all4", "sgr-all6", "sgr-smtp", "sgr-esp", "sgr-dns"]
    assert [(rule.rule_id, item.index) for rule, item in match.kept] == [("sgr-https", 0), (ICMP, 1)]
    assert match.warnings == []


def test_keep_with_revoke_all_locks_down_everything_except():
    keep = keep_items([{"protocol": "udp", "allows_port": 53, "destination_within": ["8.8.8.8/32"]}])
    match = match_egress_rules(GROUP, RULES, revoke_all=True, keep=keep)
    assert [rule.rule_id for rule, _item in match.kept] == ["sgr-dns"]
    assert len(match.matched) == len(RULES) - 1


def test_keep_without_protocol_saving_an_allow_all_rule_warns_naming_rule_and_item():
    keep = keep_items([{"allows_port": 443}])
    match = match_egress_rules(GROUP, RULES, predicates=[parsed({"destination_covers": ["0.0.0.0/0"]})], keep=keep)
    assert [rule.rule_id for rule, _item in match.kept] == ["sgr-all4", "sgr-https"]
    assert [rule.rule_id for rule in match.matched] == ["sgr-smtp", ICMP, "sgr-esp"]
    assert len(match.warnings) == 1
    assert match.warnings[0].startswith("keep[0] 'allows_port=443' kept sgr-all4 (every protocol -> 0.0.0.0/0)")


def test_keep_with_protocol_does_not_save_the_allow_all_rule():
    keep = keep_items([{"protocol": "tcp", "allows_port": 443}])
    match = match_egress_rules(GROUP, RULES, predicates=[parsed({"destination_covers": ["0.0.0.0/0"]})], keep=keep)
    assert [rule.rule_id for rule, _item in match.kept] == ["sgr-https"]
    assert "sgr-all4" in [rule.rule_id for rule in match.matched]


def test_predicates_never_select_ingress_rules_or_other_groups_rules():
    rules = described(api_rule("sgr-in", "-1", -1, -1, egress=False, CidrIpv4="0.0.0.0/0"),
                      api_rule("sgr-other", "-1", -1, -1, group_id=OTHER_GROUP, CidrIpv4="0.0.0.0/0"))
    match = match_egress_rules(GROUP, rules, predicates=[parsed({"protocol": "all"})])
    assert match.matched == []


def test_host_bits_are_canonicalised_with_a_warning():
    warnings = []
    predicate = parsed({"destination_within": ["10.1.5.5/16"]}, warnings)
    assert [rule.rule_id for rule in RULES if passes(rule, predicate)] == ["sgr-tcpall"]
    assert warnings == ["rule_filters.destination_within[0] '10.1.5.5/16' was canonicalised to '10.1.0.0/16', "
                        "the form AWS stores"]


def test_one_value_and_a_list_are_the_same():
    assert taken({"destination_within": "10.0.0.0/8"}) == taken({"destination_within": ["10.0.0.0/8"]})
    assert taken({"protocol": "udp"}) == taken({"protocol": ["udp"]})


def test_key_value_text_as_ad_hoc_commands_give_it():
    assert [item.predicate.protocols for item in keep_items(["protocol=tcp allows_port=443"])] == [frozenset(["tcp"])]


@pytest.mark.parametrize("value, message", [
    ({}, "rule_filters is empty, which would select every rule: give at least one of protocol, allows_port"),
    ({"protocol": None}, "rule_filters is empty"),
    ({"port": 25}, "rule_filters 'port' is not a predicate: use protocol, allows_port, destination_within"),
    ({"protocol": "tcpp"}, "rule_filters.protocol 'tcpp' is not a protocol"),
    ({"protocol": ["tcp", "bogus"]}, "rule_filters.protocol[1] 'bogus' is not a protocol"),
    ({"protocol": []}, "rule_filters.protocol is empty"),
    ({"allows_port": 70000}, "rule_filters.allows_port 70000 is out of range"),
    ({"allows_port": "443-80"}, "rule_filters.allows_port '443-80' is reversed"),
    ({"allows_port": [25, "x"]}, "rule_filters.allows_port[1] 'x' is not a port"),
    ({"allows_port": True}, "rule_filters.allows_port True is not a port"),
    ({"destination_within": ["10.0.0.0/33"]}, "rule_filters.destination_within[0] '10.0.0.0/33' is not a valid"),
    ({"destination_within": ["10.0.0.1"]}, "rule_filters.destination_within[0] '10.0.0.1' is not a CIDR block"),
    ({"destination_covers": ["8.8.8.888"]}, "rule_filters.destination_covers[0] '8.8.8.888' is not an IPv4 or IPv6 address"),
    ({"destination_covers": [8]}, "rule_filters.destination_covers[0] 8 is not a CIDR block"),
    ({"destination_group": "sg-123"}, "rule_filters.destination_group 'sg-123' is neither a security group ID"),
    ({"prefix_list_id": "pl-xyz"}, "rule_filters.prefix_list_id 'pl-xyz' is not a prefix list ID"),
    ({"description": 5}, "rule_filters.description 5 is not a shell-style pattern"),
    ({"tags": {"temporary": ["a"]}}, "rule_filters.tags['temporary'] ['a'] is not a tag value"),
    ({"tags": {}}, "rule_filters.tags {} is not a non-empty dictionary"),
    ({"tags": ["temporary"]}, "rule_filters.tags ['temporary'] is not a non-empty dictionary"),
    ({"stale": False}, "rule_filters.stale False is not accepted: only true is"),
    ({"stale": "maybe"}, "rule_filters.stale 'maybe' is not accepted"),
    ("tcp", "rule_filters 'tcp' is not a dictionary of predicates"),
])
def test_bad_predicates_fail_naming_the_option_path_and_value(value, message):
    with pytest.raises(NetguardAwsError) as error:
        parsed(value)
    assert error.value.msg.startswith(message), error.value.msg


@pytest.mark.parametrize("entries, message", [
    ([], "keep is empty"),
    (["sgr-nothex"], "keep[0] 'sgr-nothex' is not a security group rule ID"),
    (["tcp"], "keep[0] 'tcp' is neither a security group rule ID"),
    ([443], "keep[0] 443 is neither a security group rule ID"),
    ([{}], "keep[0] is empty, which would keep every rule"),
    (["sgr-0123456789abcdef0", {"allows_port": -5}], "keep[1].allows_port -5 is not a port"),
    ([{"protocol": "tcp", "ports": 443}], "keep[0] 'ports' is not a predicate"),
])
def test_bad_keep_entries_fail_naming_the_entry(entries, message):
    with pytest.raises(NetguardAwsError) as error:
        keep_items(entries)
    assert error.value.msg.startswith(message), error.value.msg


@pytest.mark.parametrize("value, message", [
    ({"destination_group": 5}, "rule_filters.destination_group 5 is not a security group ID or name"),
    ({"tags": {5: "x"}}, "rule_filters.tags 5 has a tag key that is not a non-empty string"),
    ({"tags": {"": "x"}}, "rule_filters.tags '' has a tag key that is not a non-empty string"),
    ({"stale": "sometimes"}, "rule_filters.stale 'sometimes' is not accepted: only true is, to take rules that "
                             "reference an unreachable group; leave stale out to take rules whether or not they are "
                             "stale"),
])
def test_refusals_of_predicates_in_full(value, message):
    with pytest.raises(NetguardAwsError) as raised:
        parsed(value)
    assert raised.value.msg == message


@pytest.mark.parametrize("entries, message", [
    ([], "keep is empty: list at least one rule ID or predicate dict, or leave the option out"),
    ([ICMP, 443], "keep[1] 443 is neither a security group rule ID ('sgr-' and 8 or 17 lower-case hex digits) nor a "
                  "dictionary of predicates such as {'protocol': 'tcp', 'allows_port': 443}"),
])
def test_refusals_of_keep_in_full(entries, message):
    with pytest.raises(NetguardAwsError) as raised:
        keep_items(entries)
    assert raised.value.msg == message


def test_tag_values_written_as_yaml_booleans_and_numbers_match_the_text_aws_stores():
    rules = described(api_rule("sgr-tagged", CidrIpv4="10.0.0.0/8", Tags=[
        {"Key": "temporary", "Value": "false"}, {"Key": "cost", "Value": "3"}, {"Key": "ratio", "Value": "0.5"}]))
    assert taken({"tags": {"temporary": False, "cost": 3, "ratio": 0.5}}, rules) == ["sgr-tagged"]
    assert taken({"tags": {"temporary": True}}, rules) == []
    assert taken({"tags": {"cost": 4}}, rules) == []


def test_destination_covers_canonicalises_a_block_with_host_bits_and_says_so():
    warnings = []
    assert parsed({"destination_covers": "10.1.5.5/16"}, warnings).covers == (ipaddress.ip_network("10.1.0.0/16"),)
    assert warnings == ["rule_filters.destination_covers '10.1.5.5/16' was canonicalised to '10.1.0.0/16', the form "
                        "AWS stores"]


def test_keep_items_remember_what_was_written():
    items = keep_items([ICMP, {"protocol": "tcp", "allows_port": None}])
    assert [(item.index, item.rule_id, item.written) for item in items] == [
        (0, ICMP, ICMP), (1, None, {"protocol": "tcp"})]


def test_keep_can_save_the_stale_rules():
    stale_ids = frozenset(["sgr-peer"])
    match = match_egress_rules(GROUP, RULES, revoke_all=True, keep=keep_items([{"stale": True}]),
                               stale_rule_ids=stale_ids)
    assert [rule.rule_id for rule, _item in match.kept] == ["sgr-peer"]
    assert "sgr-peer" not in [rule.rule_id for rule in match.matched]


def test_the_warning_of_an_item_without_protocol_quotes_the_whole_item():
    keep = keep_items([{"allows_port": 443, "destination_covers": "0.0.0.0/0"}])
    match = match_egress_rules(GROUP, RULES, revoke_all=True, keep=keep)
    assert match.warnings == [
        "keep[0] 'allows_port=443, destination_covers=0.0.0.0/0' kept sgr-all4 (every protocol -> 0.0.0.0/0), a rule "
        "that allows all traffic to its destination, because the item names no protocol; add protocol to the item "
        "(for example tcp) to keep only rules of that protocol"]


def test_group_names_are_the_destination_groups_given_by_name():
    predicates = [parsed({"destination_group": "db"}), None, parsed({"destination_group": PEER}),
                  parsed({"protocol": "tcp"})]
    assert group_names(predicates) == {"db"}


def test_a_stale_permission_without_a_protocol_is_every_protocol_and_ingress_rules_are_never_stale():
    ingress = api_rule("sgr-in", "-1", -1, -1, egress=False, ReferencedGroupInfo={"GroupId": PEER})
    egress = api_rule("sgr-out", "-1", -1, -1, ReferencedGroupInfo={"GroupId": PEER})
    stale_groups = [{"GroupId": GROUP, "StaleIpPermissionsEgress": [{"UserIdGroupPairs": [{"GroupId": PEER}]}]}]
    assert stale_rule_ids(described(ingress, egress), stale_groups) == {"sgr-out"}


def test_a_stale_permission_with_a_protocol_aws_would_not_send_names_the_field():
    stale_groups = [{"GroupId": GROUP, "StaleIpPermissionsEgress": [{"IpProtocol": "gre"}]}]
    with pytest.raises(NetguardAwsError) as raised:
        stale_rule_ids(RULES, stale_groups)
    assert raised.value.msg == ("IpProtocol 'gre' is not a protocol: use all or -1, tcp or 6, udp or 17, icmp or 1, "
                                "icmpv6 or 58, or a protocol number 0-255")
