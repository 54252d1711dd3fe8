"""Which described rules a selector takes: rule IDs, exact rules, rule_filters, the info filter, revoke_all, and
what keep saves; the input checks of rule_filters and keep. Pure: no endpoint involved."""

import ipaddress

import pytest

from ansible_collections.netguard.aws.plugins.module_utils.errors import NetguardAwsError
from ansible_collections.netguard.aws.plugins.module_utils.formatting import requested_rule_summary
from ansible_collections.netguard.aws.plugins.module_utils.request import RequestedRule
from ansible_collections.netguard.aws.plugins.module_utils.rules import EgressRule
from ansible_collections.netguard.aws.plugins.module_utils.selector import (
    EVERY_RULE,
    Choice,
    Facts,
    KeepItem,
    Predicate,
    Selector,
    exact_predicate,
    for_vpc,
    group_names,
    needs_stale,
    parse_keep,
    parse_predicates,
    passes,
    present,
    rule_id_choice,
    select,
    stale_rule_ids,
)

from .described import GROUP, OTHER_GROUP, api_rule, described

# Exact rules, rule IDs and the info filter.
RULES = described(
    api_rule("sgr-all4", "-1", -1, -1, CidrIpv4="0.0.0.0/0"),
    api_rule("sgr-https", "tcp", 443, 443, CidrIpv4="10.1.5.5/16", description="web"),
    api_rule("sgr-anytcp", "tcp", -1, -1, CidrIpv6="2001:DB8::/32"),
    api_rule("sgr-ping", "icmp", 8, -1, CidrIpv4="10.0.0.0/8"),
    api_rule("sgr-dns", "udp", 53, 53, PrefixListId="pl-0123456789abcdef0"),
    api_rule("sgr-db", "tcp", 5432, 5432,
             ReferencedGroupInfo={"GroupId": OTHER_GROUP, "UserId": "123456789012"}),
    api_rule("sgr-ssh-in", "tcp", 22, 22, egress=False, CidrIpv4="10.0.0.0/8"),
)


def wanted(protocol, from_port, to_port, destination_type, destination, owner=None):
    return RequestedRule(EgressRule(protocol, from_port, to_port, destination_type, destination), owner)


def ids(rules):
    return [rule.rule_id for rule in rules]


def selector(rule_ids=(), rules=(), predicates=(), revoke_all=False, keep=()):
    """A selector in the order a revoke request builds it: rule IDs, exact rules, rule_filters, revoke_all."""
    choices = [rule_id_choice(rule_id) for rule_id in rule_ids]
    choices += [Choice((exact_predicate(requested),), requested_rule_summary(requested)) for requested in rules]
    choices += [Choice((predicate,), None) for predicate in predicates]
    if revoke_all:
        choices.append(EVERY_RULE)
    return Selector(tuple(choices), tuple(keep))


def selected(described_rules, stale_ids=frozenset(), **parts):
    return select(GROUP, described_rules, selector(**parts), Facts(frozenset(stale_ids)))


def test_rules_match_after_normalisation_of_both_sides():
    result = selected(RULES, rules=[
        wanted("tcp", 443, 443, "cidr_ipv4", "10.1.0.0/16"),
        wanted("tcp", 0, 65535, "cidr_ipv6", "2001:db8::/32"),
        wanted("icmp", 8, -1, "cidr_ipv4", "10.0.0.0/8"),
    ])
    assert ids(result.taken) == ["sgr-https", "sgr-anytcp", "sgr-ping"]
    assert result.unmatched == [] and result.kept == [] and result.warnings == []


def test_ports_and_destination_must_both_be_equal():
    requested = [wanted("tcp", 443, 444, "cidr_ipv4", "10.1.0.0/16"),
                 wanted("tcp", 443, 443, "cidr_ipv4", "10.1.0.0/17"),
                 wanted("icmp", 8, 0, "cidr_ipv4", "10.0.0.0/8"),
                 wanted("udp", 53, 53, "cidr_ipv4", "10.0.0.0/8")]
    result = selected(RULES, rules=requested)
    assert result.taken == []
    # The result's unmatched: each rule as it was asked for, in the request's order.
    assert result.unmatched == [
        {"ip_protocol": "tcp", "from_port": 443, "to_port": 444, "cidr_ipv4": "10.1.0.0/16"},
        {"ip_protocol": "tcp", "from_port": 443, "to_port": 443, "cidr_ipv4": "10.1.0.0/17"},
        {"ip_protocol": "icmp", "from_port": 8, "to_port": 0, "cidr_ipv4": "10.0.0.0/8"},
        {"ip_protocol": "udp", "from_port": 53, "to_port": 53, "cidr_ipv4": "10.0.0.0/8"},
    ]


def test_ingress_and_unknown_rule_ids_are_unmatched_never_selected():
    result = selected(RULES, rule_ids=["sgr-ssh-in", "sgr-elsewhere", "sgr-dns"])
    assert ids(result.taken) == ["sgr-dns"]
    assert result.unmatched == [{"security_group_rule_id": "sgr-ssh-in"}, {"security_group_rule_id": "sgr-elsewhere"}]
    assert result.warnings == ["sgr-ssh-in is an ingress rule of %s and was left alone: this module revokes "
                               "egress rules only" % GROUP]


def test_rule_of_another_group_is_never_selected():
    foreign = described(api_rule("sgr-foreign", "-1", -1, -1, group_id=OTHER_GROUP, CidrIpv4="0.0.0.0/0"))
    result = selected(RULES + foreign, rule_ids=["sgr-foreign"], rules=[wanted("-1", -1, -1, "cidr_ipv4", "0.0.0.0/0")])
    assert ids(result.taken) == ["sgr-all4"]
    assert result.unmatched == [{"security_group_rule_id": "sgr-foreign"}]
    assert result.warnings == [], "an egress rule of another group is no ingress rule"


def test_group_owner_narrows_a_referenced_group():
    other_account = wanted("tcp", 5432, 5432, "referenced_group_id", OTHER_GROUP, "999999999999")
    same_account = wanted("tcp", 5432, 5432, "referenced_group_id", OTHER_GROUP, "123456789012")
    any_account = wanted("tcp", 5432, 5432, "referenced_group_id", OTHER_GROUP)
    assert selected(RULES, rules=[other_account]).unmatched == [
        {"ip_protocol": "tcp", "from_port": 5432, "to_port": 5432, "referenced_group_id": OTHER_GROUP,
         "group_owner": "999999999999"}]
    assert ids(selected(RULES, rules=[same_account]).taken) == ["sgr-db"]
    assert ids(selected(RULES, rules=[any_account]).taken) == ["sgr-db"]


def test_revoke_all_selects_every_egress_rule_and_nothing_else():
    result = selected(RULES, revoke_all=True)
    assert ids(result.taken) == ["sgr-all4", "sgr-https", "sgr-anytcp", "sgr-ping", "sgr-dns", "sgr-db"]
    assert result.unmatched == []


def test_a_rule_named_twice_is_selected_once_in_described_order():
    result = selected(RULES, rule_ids=["sgr-dns", "sgr-all4"],
                      rules=[wanted("udp", 53, 53, "prefix_list_id", "pl-0123456789abcdef0")])
    assert ids(result.taken) == ["sgr-all4", "sgr-dns"]


def test_a_choice_takes_only_the_rules_that_pass_all_of_its_predicates():
    # The info module's shorthand and rule_filters together: one choice of two predicates.
    both = Choice((Predicate(protocols=frozenset(["tcp"])), Predicate(ports=((5000, 6000),))), None)
    assert ids(select(GROUP, RULES, Selector((both,))).taken) == ["sgr-anytcp", "sgr-db"]


def test_a_filter_that_takes_nothing_is_not_reported_unmatched():
    result = selected(RULES, predicates=[Predicate(protocols=frozenset(["50"]))])
    assert (result.taken, result.unmatched, result.warnings) == ([], [], [])


def shown(predicate):
    """The rules of RULES (egress and ingress alike) that the info module's filter lets through."""
    return [rule.rule_id for rule in RULES if passes(rule, predicate)]


def info_filter(protocol=None, ports=None, destinations=()):
    """The info module's shorthand as its request builds it: one protocol, exact ports, any of the destinations."""
    return Predicate(protocols=None if protocol is None else frozenset([protocol]), port_range=ports,
                     destinations=(frozenset(destinations),) if destinations else None)


def test_the_info_filter_needs_every_part_it_gives():
    assert shown(info_filter()) == ids(RULES)
    assert shown(info_filter("tcp")) == ["sgr-https", "sgr-anytcp", "sgr-db", "sgr-ssh-in"]
    assert shown(info_filter("tcp", (443, 443))) == ["sgr-https"]
    assert shown(info_filter("tcp", (0, 65535))) == ["sgr-anytcp"], "every port, however AWS stores it"
    assert shown(info_filter("icmp", (8, -1))) == ["sgr-ping"]
    assert shown(info_filter(destinations=[("cidr_ipv4", "10.1.0.0/16")])) == ["sgr-https"]
    either = [("cidr_ipv4", "10.0.0.0/8"), ("prefix_list_id", "pl-0123456789abcdef0")]
    assert shown(info_filter(destinations=either)) == ["sgr-ping", "sgr-dns", "sgr-ssh-in"]
    assert shown(info_filter("udp", destinations=[("cidr_ipv4", "10.0.0.0/8")])) == []
    assert shown(info_filter("tcp", (22, 22), [("cidr_ipv4", "10.0.0.0/8")])) == ["sgr-ssh-in"]


def test_present_finds_the_same_rule_whatever_its_description_and_tags():
    tagged = described(api_rule("sgr-tagged", "tcp", 443, 443, CidrIpv4="10.1.0.0/16", description="other text",
                                Tags=[{"Key": "owner", "Value": "web"}]))
    same = RequestedRule(EgressRule("tcp", 443, 443, "cidr_ipv4", "10.1.0.0/16"), None, "web")
    assert ids(present(same, RULES + tagged)) == ["sgr-https", "sgr-tagged"]
    assert present(wanted("tcp", 443, 443, "cidr_ipv4", "10.1.0.0/17"), RULES) == []
    assert ids(present(wanted("tcp", 5432, 5432, "referenced_group_id", OTHER_GROUP, "123456789012"), RULES)) == [
        "sgr-db"]
    assert present(wanted("tcp", 5432, 5432, "referenced_group_id", OTHER_GROUP, "999999999999"), RULES) == []


# rule_filters and keep.
PEER = "sg-0bbbbbbbbbbbbbbbb"
PREFIX_LIST = "pl-0123456789abcdef0"
# A well-formed ID, so that keep takes it.
ICMP = "sgr-0000000c"

PREDICATE_RULES = described(
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


def taken(value, rules=PREDICATE_RULES, stale_ids=frozenset()):
    predicate = parsed(value)
    return [rule.rule_id for rule in rules if passes(rule, predicate, Facts(stale_ids))]


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
    # Both given: a rule has one destination, so it cannot be both.
    assert taken({"destination_group": PEER, "prefix_list_id": PREFIX_LIST}) == []


def test_destination_group_by_name_takes_the_group_of_that_name_in_each_vpc():
    by_name = selector(predicates=[parsed({"destination_group": "database"})])
    ids_by_name = {("vpc-1", "database"): PEER}
    assert ids(select(GROUP, PREDICATE_RULES, by_name).taken) == [], "an unresolved name matches nothing"
    assert ids(select(GROUP, PREDICATE_RULES, for_vpc(by_name, ids_by_name, "vpc-1")).taken) == ["sgr-peer"]
    assert ids(select(GROUP, PREDICATE_RULES, for_vpc(by_name, ids_by_name, "vpc-2")).taken) == []


def test_names_are_resolved_in_exact_rules_and_keep_too():
    to_database = wanted("tcp", 5432, 5432, "referenced_group_name", "database")
    keep = parse_keep([{"destination_group": "database"}], [])
    ids_by_name = {("vpc-1", "database"): PEER, ("vpc-2", "database"): OTHER_GROUP}
    in_vpc = for_vpc(selector(rules=[to_database]), ids_by_name, "vpc-1")
    assert ids(select(GROUP, PREDICATE_RULES, in_vpc).taken) == ["sgr-peer"]
    kept = select(GROUP, PREDICATE_RULES, for_vpc(selector(revoke_all=True, keep=keep), ids_by_name, "vpc-1")).kept
    assert [(rule.rule_id, item.index) for rule, item in kept] == [("sgr-peer", 0)]
    # In vpc-2 the name is another group: the rule to PEER is not that rule, and nothing is kept.
    elsewhere = for_vpc(selector(rules=[to_database], revoke_all=True, keep=keep), ids_by_name, "vpc-2")
    result = select(GROUP, PREDICATE_RULES, elsewhere)
    assert result.kept == [] and "sgr-peer" in ids(result.taken)
    # What unmatched reports is the rule as the user wrote it, by name.
    assert result.unmatched == [{"ip_protocol": "tcp", "from_port": 5432, "to_port": 5432,
                                 "referenced_group_name": "database"}]


@pytest.mark.parametrize("pattern, expected", [
    ("temp-*", ["sgr-smtp"]),
    ("https out", ["sgr-https"]),
    ("HTTPS*", []),
    ("*", [rule.rule_id for rule in PREDICATE_RULES]),
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
    rules = PREDICATE_RULES + described(dead_peering, live_peering)
    stale_groups = [{"GroupId": GROUP, "VpcId": "vpc-1", "StaleIpPermissionsEgress": [
        {"IpProtocol": "tcp", "FromPort": 5432, "ToPort": 5432, "UserIdGroupPairs": [{"GroupId": PEER}]},
        # Same group, other ports: not the rule we have.
        {"IpProtocol": "tcp", "FromPort": 80, "ToPort": 80, "UserIdGroupPairs": [{"GroupId": "sg-0eeeeeeeeeeeeeee0"}]},
    ], "StaleIpPermissions": [
        {"IpProtocol": "tcp", "FromPort": 443, "ToPort": 443, "UserIdGroupPairs": [{"GroupId": PEER}]}]}]
    stale_ids = stale_rule_ids(rules, stale_groups)
    assert stale_ids == {"sgr-peer", "sgr-dead"}
    assert taken({"stale": True}, rules, stale_ids) == ["sgr-peer", "sgr-dead"]
    assert taken({"stale": True, "allows_port": 22}, rules, stale_ids) == ["sgr-dead"]


def test_a_stale_permission_of_another_group_takes_nothing_here():
    stale_groups = [{"GroupId": OTHER_GROUP, "StaleIpPermissionsEgress": [
        {"IpProtocol": "tcp", "FromPort": 5432, "ToPort": 5432, "UserIdGroupPairs": [{"GroupId": PEER}]}]}]
    assert stale_rule_ids(PREDICATE_RULES, stale_groups) == frozenset()


def keep_items(entries, warnings=None):
    return parse_keep(entries, [] if warnings is None else warnings)


def test_keep_saves_rules_from_any_selector_and_the_result_names_the_item():
    predicate = parsed({"destination_covers": ["0.0.0.0/0", "::/0"]})
    keep = keep_items([{"protocol": "tcp", "allows_port": 443}, ICMP])
    match = selected(PREDICATE_RULES, rule_ids=["sgr-dns"], predicates=[predicate], keep=keep)
    assert ids(match.taken) == ["sgr-all4", "sgr-all6", "sgr-smtp", "sgr-esp", "sgr-dns"]
    assert [(rule.rule_id, item.index) for rule, item in match.kept] == [("sgr-https", 0), (ICMP, 1)]
    assert match.warnings == []


def test_keep_with_revoke_all_locks_down_everything_except():
    keep = keep_items([{"protocol": "udp", "allows_port": 53, "destination_within": ["8.8.8.8/32"]}])
    match = selected(PREDICATE_RULES, revoke_all=True, keep=keep)
    assert [rule.rule_id for rule, _item in match.kept] == ["sgr-dns"]
    assert len(match.taken) == len(PREDICATE_RULES) - 1


def test_keep_saves_only_what_the_selector_took():
    match = selected(PREDICATE_RULES, rule_ids=["sgr-smtp"], keep=keep_items([ICMP, {"protocol": "udp"}]))
    assert ids(match.taken) == ["sgr-smtp"] and match.kept == []


def test_the_first_keep_item_that_saves_a_rule_is_the_one_named():
    keep = keep_items([{"protocol": "icmp"}, ICMP])
    match = selected(PREDICATE_RULES, rule_ids=[ICMP], keep=keep)
    assert [(rule.rule_id, item.index) for rule, item in match.kept] == [(ICMP, 0)]


def test_keep_without_protocol_saving_an_allow_all_rule_warns_naming_rule_and_item():
    keep = keep_items([{"allows_port": 443}])
    match = selected(PREDICATE_RULES, predicates=[parsed({"destination_covers": ["0.0.0.0/0"]})], keep=keep)
    assert [rule.rule_id for rule, _item in match.kept] == ["sgr-all4", "sgr-https"]
    assert ids(match.taken) == ["sgr-smtp", ICMP, "sgr-esp"]
    assert len(match.warnings) == 1
    assert match.warnings[0].startswith("keep[0] 'allows_port=443' kept sgr-all4 (every protocol -> 0.0.0.0/0)")


def test_keep_with_protocol_does_not_save_the_allow_all_rule():
    keep = keep_items([{"protocol": "tcp", "allows_port": 443}])
    match = selected(PREDICATE_RULES, predicates=[parsed({"destination_covers": ["0.0.0.0/0"]})], keep=keep)
    assert [rule.rule_id for rule, _item in match.kept] == ["sgr-https"]
    assert "sgr-all4" in ids(match.taken)


def test_keep_by_rule_id_of_an_allow_all_rule_needs_no_warning():
    keep = keep_items(["sgr-0000000a"])
    rules = described(api_rule("sgr-0000000a", "-1", -1, -1, CidrIpv4="0.0.0.0/0"))
    match = selected(rules, revoke_all=True, keep=keep)
    assert [rule.rule_id for rule, _item in match.kept] == ["sgr-0000000a"] and match.warnings == []


def test_predicates_never_select_ingress_rules_or_other_groups_rules():
    rules = described(api_rule("sgr-in", "-1", -1, -1, egress=False, CidrIpv4="0.0.0.0/0"),
                      api_rule("sgr-other", "-1", -1, -1, group_id=OTHER_GROUP, CidrIpv4="0.0.0.0/0"))
    match = selected(rules, predicates=[parsed({"protocol": "all"})])
    assert match.taken == []
    assert selected(rules, revoke_all=True).taken == []


def test_host_bits_are_canonicalised_with_a_warning():
    warnings = []
    predicate = parsed({"destination_within": ["10.1.5.5/16"]}, warnings)
    assert [rule.rule_id for rule in PREDICATE_RULES if passes(rule, predicate)] == ["sgr-tcpall"]
    assert warnings == ["rule_filters.destination_within[0] '10.1.5.5/16' was canonicalised to '10.1.0.0/16', "
                        "the form AWS stores"]


def test_one_value_and_a_list_are_the_same():
    assert taken({"destination_within": "10.0.0.0/8"}) == taken({"destination_within": ["10.0.0.0/8"]})
    assert taken({"protocol": "udp"}) == taken({"protocol": ["udp"]})


def test_key_value_text_as_ad_hoc_commands_give_it():
    assert [item.predicate.protocols for item in keep_items(["protocol=tcp allows_port=443"])] == [frozenset(["tcp"])]
    assert taken('{"protocol": "udp"}') == taken({"protocol": "udp"})


@pytest.mark.parametrize("value, message", [
    ({}, "rule_filters is empty, which would select every rule: give at least one of protocol, allows_port"),
    ({"protocol": None}, "rule_filters is empty"),
    ({"port": 25}, "rule_filters 'port' is not a predicate: use protocol, allows_port, ports_within"),
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
    ({"tags": {}}, "rule_filters.tags {} is not a non-empty dictionary of tag keys and values, such as "
                   "{'temporary': 'true'}"),
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


def test_no_keep_is_an_empty_keep():
    assert keep_items(None) == ()


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
    assert [(item.index, item.predicate.rule_id, item.written) for item in items] == [
        (0, ICMP, ICMP), (1, None, {"protocol": "tcp"})]
    # A rule ID keeps that rule and no other.
    assert items[0] == KeepItem(0, Predicate(rule_id=ICMP), ICMP)


def test_keep_can_save_the_stale_rules():
    match = selected(PREDICATE_RULES, stale_ids={"sgr-peer"}, revoke_all=True, keep=keep_items([{"stale": True}]))
    assert [rule.rule_id for rule, _item in match.kept] == ["sgr-peer"]
    assert "sgr-peer" not in ids(match.taken)


def test_the_warning_of_an_item_without_protocol_quotes_the_whole_item():
    keep = keep_items([{"allows_port": 443, "destination_covers": "0.0.0.0/0"}])
    match = selected(PREDICATE_RULES, revoke_all=True, keep=keep)
    assert match.warnings == [
        "keep[0] 'allows_port=443, destination_covers=0.0.0.0/0' kept sgr-all4 (every protocol -> 0.0.0.0/0), a rule "
        "that allows all traffic to its destination, because the item names no protocol; add protocol to the item "
        "(for example tcp) to keep only rules of that protocol"]


def test_group_names_are_the_destination_groups_given_by_name():
    names = selector(predicates=[parsed({"destination_group": "db"}), parsed({"destination_group": PEER}),
                                 parsed({"protocol": "tcp"})])
    assert group_names(names) == {"db"}
    # Exact rules and keep entries name groups too; each name is looked up once.
    everywhere = selector(rules=[wanted("tcp", 443, 443, "referenced_group_name", "web"),
                                 wanted("tcp", 80, 80, "referenced_group_name", "db")],
                          predicates=[parsed({"destination_group": "db"})],
                          keep=keep_items([{"destination_group": "cache"}]))
    assert group_names(everywhere) == {"db", "web", "cache"}
    assert group_names(selector(revoke_all=True)) == set()


def test_only_a_stale_predicate_needs_describe_stale_security_groups():
    assert needs_stale(selector(predicates=[parsed({"stale": True})])) is True
    assert needs_stale(selector(revoke_all=True, keep=keep_items([{"stale": True}]))) is True
    assert needs_stale(selector(rule_ids=["sgr-dns"], predicates=[parsed({"protocol": "tcp"})],
                                keep=keep_items([ICMP]))) is False


def test_a_stale_permission_without_a_protocol_is_every_protocol_and_ingress_rules_are_never_stale():
    ingress = api_rule("sgr-in", "-1", -1, -1, egress=False, ReferencedGroupInfo={"GroupId": PEER})
    egress = api_rule("sgr-out", "-1", -1, -1, ReferencedGroupInfo={"GroupId": PEER})
    stale_groups = [{"GroupId": GROUP, "StaleIpPermissionsEgress": [{"UserIdGroupPairs": [{"GroupId": PEER}]}]}]
    assert stale_rule_ids(described(ingress, egress), stale_groups) == {"sgr-out"}


def test_a_stale_permission_with_a_protocol_aws_would_not_send_names_the_field():
    stale_groups = [{"GroupId": GROUP, "StaleIpPermissionsEgress": [{"IpProtocol": "gre"}]}]
    with pytest.raises(NetguardAwsError) as raised:
        stale_rule_ids(PREDICATE_RULES, stale_groups)
    assert raised.value.msg == ("IpProtocol 'gre' is not a protocol: use all or -1, tcp or 6, udp or 17, icmp or 1, "
                                "icmpv6 or 58, or a protocol number 0-255")
