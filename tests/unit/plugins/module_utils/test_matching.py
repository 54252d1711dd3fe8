"""Which described rules a request selects: no endpoint involved."""

from ansible_collections.netguard.aws.plugins.module_utils.matching import match_egress_rules, passes_filter
from ansible_collections.netguard.aws.plugins.module_utils.request import RequestedRule, RuleFilter
from ansible_collections.netguard.aws.plugins.module_utils.rules import EgressRule

from .described import GROUP, OTHER_GROUP, api_rule, described

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


def test_rules_match_after_normalisation_of_both_sides():
    result = match_egress_rules(GROUP, RULES, rules=[
        wanted("tcp", 443, 443, "cidr_ipv4", "10.1.0.0/16"),
        wanted("tcp", 0, 65535, "cidr_ipv6", "2001:db8::/32"),
        wanted("icmp", 8, -1, "cidr_ipv4", "10.0.0.0/8"),
    ])
    assert ids(result.matched) == ["sgr-https", "sgr-anytcp", "sgr-ping"]
    assert result.unmatched_rules == [] and result.unmatched_rule_ids == []


def test_ports_and_destination_must_both_be_equal():
    requested = [wanted("tcp", 443, 444, "cidr_ipv4", "10.1.0.0/16"),
                 wanted("tcp", 443, 443, "cidr_ipv4", "10.1.0.0/17"),
                 wanted("icmp", 8, 0, "cidr_ipv4", "10.0.0.0/8"),
                 wanted("udp", 53, 53, "cidr_ipv4", "10.0.0.0/8")]
    result = match_egress_rules(GROUP, RULES, rules=requested)
    assert result.matched == []
    assert result.unmatched_rules == requested


def test_ingress_and_unknown_rule_ids_are_unmatched_never_selected():
    result = match_egress_rules(GROUP, RULES, rule_ids=["sgr-ssh-in", "sgr-elsewhere", "sgr-dns"])
    assert ids(result.matched) == ["sgr-dns"]
    assert result.unmatched_rule_ids == ["sgr-ssh-in", "sgr-elsewhere"]
    assert result.warnings == ["sgr-ssh-in is an ingress rule of %s and was left alone: this module revokes "
                               "egress rules only" % GROUP]


def test_rule_of_another_group_is_never_selected():
    foreign = described(api_rule("sgr-foreign", "-1", -1, -1, group_id=OTHER_GROUP, CidrIpv4="0.0.0.0/0"))
    result = match_egress_rules(GROUP, RULES + foreign, rule_ids=["sgr-foreign"],
                                rules=[wanted("-1", -1, -1, "cidr_ipv4", "0.0.0.0/0")])
    assert ids(result.matched) == ["sgr-all4"]
    assert result.unmatched_rule_ids == ["sgr-foreign"]


def test_group_owner_narrows_a_referenced_group():
    other_account = wanted("tcp", 5432, 5432, "referenced_group_id", OTHER_GROUP, "999999999999")
    same_account = wanted("tcp", 5432, 5432, "referenced_group_id", OTHER_GROUP, "123456789012")
    any_account = wanted("tcp", 5432, 5432, "referenced_group_id", OTHER_GROUP)
    assert match_egress_rules(GROUP, RULES, rules=[other_account]).unmatched_rules == [other_account]
    assert ids(match_egress_rules(GROUP, RULES, rules=[same_account]).matched) == ["sgr-db"]
    assert ids(match_egress_rules(GROUP, RULES, rules=[any_account]).matched) == ["sgr-db"]


def test_revoke_all_selects_every_egress_rule_and_nothing_else():
    result = match_egress_rules(GROUP, RULES, revoke_all=True)
    assert ids(result.matched) == ["sgr-all4", "sgr-https", "sgr-anytcp", "sgr-ping", "sgr-dns", "sgr-db"]


def test_a_rule_named_twice_is_selected_once_in_described_order():
    result = match_egress_rules(GROUP, RULES, rule_ids=["sgr-dns", "sgr-all4"],
                                rules=[wanted("udp", 53, 53, "prefix_list_id", "pl-0123456789abcdef0")])
    assert ids(result.matched) == ["sgr-all4", "sgr-dns"]


def shown(rule_filter):
    """The rules of RULES (egress and ingress alike) that the info module's filter lets through."""
    return [rule.rule_id for rule in RULES if passes_filter(rule, rule_filter)]


def test_the_info_filter_needs_every_part_it_gives():
    assert shown(RuleFilter(None, None, None, ())) == ids(RULES)
    assert shown(RuleFilter("tcp", None, None, ())) == ["sgr-https", "sgr-anytcp", "sgr-db", "sgr-ssh-in"]
    assert shown(RuleFilter("tcp", 443, 443, ())) == ["sgr-https"]
    assert shown(RuleFilter("tcp", 0, 65535, ())) == ["sgr-anytcp"], "every port, however AWS stores it"
    assert shown(RuleFilter("icmp", 8, -1, ())) == ["sgr-ping"]
    assert shown(RuleFilter(None, None, None, (("cidr_ipv4", "10.1.0.0/16"),))) == ["sgr-https"]
    assert shown(RuleFilter(None, None, None, (("cidr_ipv4", "10.0.0.0/8"), ("prefix_list_id", "pl-0123456789abcdef0")))) == [
        "sgr-ping", "sgr-dns", "sgr-ssh-in"]
    assert shown(RuleFilter("udp", None, None, (("cidr_ipv4", "10.0.0.0/8"),))) == []
    assert shown(RuleFilter("tcp", 22, 22, (("cidr_ipv4", "10.0.0.0/8"),))) == ["sgr-ssh-in"]
