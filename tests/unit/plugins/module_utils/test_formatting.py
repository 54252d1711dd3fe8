"""The shapes rules take in task results: no endpoint involved."""

import pytest

from ansible_collections.netguard.aws.plugins.module_utils.errors import NetguardAwsError
from ansible_collections.netguard.aws.plugins.module_utils.formatting import (
    counted,
    described_from_summary,
    display_line,
    egress_diff,
    ip_permissions,
    requested_api_rule,
    requested_rule_summary,
    rule_summary,
)
from ansible_collections.netguard.aws.plugins.module_utils.request import RequestedRule
from ansible_collections.netguard.aws.plugins.module_utils.rules import DescribedRule, EgressRule

from .described import GROUP, OTHER_GROUP, api_rule, described

RULES = described(
    api_rule("sgr-3", "-1", -1, -1, CidrIpv4="0.0.0.0/0"),
    api_rule("sgr-1", "tcp", 443, 443, CidrIpv4="10.0.0.0/16", description='web "front"'),
    api_rule("sgr-2", "tcp", 443, 443, CidrIpv6="2001:db8::/32"),
    api_rule("sgr-4", "icmp", 8, -1, CidrIpv4="10.0.0.0/8"),
    api_rule("sgr-5", "icmpv6", -1, -1, CidrIpv6="::/0"),
    api_rule("sgr-6", "udp", 1024, 2048, PrefixListId="pl-0123456789abcdef0", description="dns"),
    api_rule("sgr-7", "50", -1, -1, ReferencedGroupInfo={"GroupId": OTHER_GROUP, "UserId": "123456789012"}),
)


def test_display_lines_read_like_the_console():
    assert [display_line(rule) for rule in RULES] == [
        "sgr-3  all  -> 0.0.0.0/0",
        'sgr-1  tcp 443  -> 10.0.0.0/16  "web \\"front\\""',
        "sgr-2  tcp 443  -> 2001:db8::/32",
        "sgr-4  icmp 8  -> 10.0.0.0/8",
        "sgr-5  icmpv6 all  -> ::/0",
        'sgr-6  udp 1024-2048  -> pl-0123456789abcdef0  "dns"',
        "sgr-7  protocol 50  -> %s" % OTHER_GROUP,
    ]


def test_diff_lists_sorted_lines_so_only_removed_lines_differ():
    diff = egress_diff(GROUP, RULES, [RULES[0], RULES[3]])
    assert diff["before_header"] == diff["after_header"] == "%s egress rules" % GROUP
    assert diff["before"].splitlines() == sorted(display_line(rule) for rule in RULES)
    assert diff["after"] == "sgr-3  all  -> 0.0.0.0/0\nsgr-4  icmp 8  -> 10.0.0.0/8\n"
    assert egress_diff(GROUP, [], [])["after"] == ""


def test_rule_summary_is_snake_case_with_one_destination_key():
    assert rule_summary(RULES[1]) == {
        "security_group_rule_id": "sgr-1", "ip_protocol": "tcp", "from_port": 443, "to_port": 443,
        "cidr_ipv4": "10.0.0.0/16", "description": 'web "front"', "tags": {}}
    assert rule_summary(RULES[6]) == {
        "security_group_rule_id": "sgr-7", "ip_protocol": "50", "from_port": -1, "to_port": -1,
        "referenced_group_id": OTHER_GROUP, "description": None, "tags": {}}


def test_ip_permissions_group_rules_by_protocol_and_ports_and_keep_descriptions():
    assert ip_permissions(RULES[1:3] + RULES[5:]) == [
        {"IpProtocol": "tcp", "FromPort": 443, "ToPort": 443,
         "IpRanges": [{"CidrIp": "10.0.0.0/16", "Description": 'web "front"'}],
         "Ipv6Ranges": [{"CidrIpv6": "2001:db8::/32"}]},
        {"IpProtocol": "udp", "FromPort": 1024, "ToPort": 2048,
         "PrefixListIds": [{"PrefixListId": "pl-0123456789abcdef0", "Description": "dns"}]},
        {"IpProtocol": "50", "FromPort": -1, "ToPort": -1,
         "UserIdGroupPairs": [{"GroupId": OTHER_GROUP, "UserId": "123456789012"}]},
    ]


ICMP_SHAPES = described(
    api_rule("sgr-a", "icmp", 3, 4, CidrIpv4="10.0.0.0/8", description="fragmentation needed"),
    api_rule("sgr-b", "icmpv6", 128, 0, CidrIpv6="::/0"),
    api_rule("sgr-c", "icmp", 8, -1, CidrIpv4="10.0.0.0/8"),
    api_rule("sgr-d", "icmp", -1, -1, CidrIpv4="10.0.0.0/8"),
)


def test_every_icmp_shape_in_every_output_shape():
    assert [display_line(rule) for rule in ICMP_SHAPES] == [
        'sgr-a  icmp 3-4  -> 10.0.0.0/8  "fragmentation needed"',
        "sgr-b  icmpv6 128-0  -> ::/0",
        "sgr-c  icmp 8  -> 10.0.0.0/8",
        "sgr-d  icmp all  -> 10.0.0.0/8",
    ]
    diff = egress_diff(GROUP, ICMP_SHAPES, ICMP_SHAPES[1:])
    assert '-sgr-a' not in diff["after"] and 'sgr-a  icmp 3-4  -> 10.0.0.0/8' in diff["before"]
    assert [(summary["ip_protocol"], summary["from_port"], summary["to_port"])
            for summary in (rule_summary(rule) for rule in ICMP_SHAPES)] == [
        ("icmp", 3, 4), ("icmpv6", 128, 0), ("icmp", 8, -1), ("icmp", -1, -1)]
    assert [(permission["IpProtocol"], permission["FromPort"], permission["ToPort"])
            for permission in ip_permissions(ICMP_SHAPES)] == [
        ("icmp", 3, 4), ("icmpv6", 128, 0), ("icmp", 8, -1), ("icmp", -1, -1)]


def test_a_peered_group_reference_keeps_its_vpc_and_peering_connection():
    peered = described(api_rule("sgr-p", "tcp", 5432, 5432, description="replica", ReferencedGroupInfo={
        "GroupId": OTHER_GROUP, "UserId": "210987654321", "VpcId": "vpc-0123456789abcdef0",
        "VpcPeeringConnectionId": "pcx-0123456789abcdef0", "PeeringStatus": "active"}))
    assert ip_permissions(peered) == [{
        "IpProtocol": "tcp", "FromPort": 5432, "ToPort": 5432,
        "UserIdGroupPairs": [{"GroupId": OTHER_GROUP, "UserId": "210987654321", "VpcId": "vpc-0123456789abcdef0",
                              "VpcPeeringConnectionId": "pcx-0123456789abcdef0", "Description": "replica"}]}]


def test_a_summary_read_back_is_the_rule_it_summarises_as_aws_would_describe_it():
    tagged = DescribedRule(api_rule("sgr-8", description="vers la base", Tags=[{"Key": "team", "Value": "db"}],
                                    ReferencedGroupInfo={"GroupId": OTHER_GROUP, "UserId": "123456789012"}))
    for rule in RULES + [tagged]:
        again = described_from_summary(rule_summary(rule), "revoked_rules[0]")
        assert (again.rule_id, again.rule, again.description, again.tags, again.is_egress) == (
            rule.rule_id, rule.rule, rule.description, rule.tags, True)
    assert described_from_summary(rule_summary(tagged), "revoked_rules[0]").api_rule == {
        "SecurityGroupRuleId": "sgr-8", "IpProtocol": "tcp", "FromPort": 443, "ToPort": 443, "IsEgress": True,
        "ReferencedGroupInfo": {"GroupId": OTHER_GROUP}, "Description": "vers la base",
        "Tags": [{"Key": "team", "Value": "db"}]}


def test_a_summary_without_a_rule_id_is_a_rule_not_added_yet():
    summary = {"ip_protocol": "udp", "from_port": 53, "to_port": 53, "cidr_ipv6": "2001:db8::/32"}
    rule = described_from_summary(summary, "rules[0]")
    assert (rule.rule_id, display_line(rule)) == (None, "(new)  udp 53  -> 2001:db8::/32")


@pytest.mark.parametrize("summary", ["sgr-1", {"from_port": 443}, {"ip_protocol": "gre", "cidr_ipv4": "10.0.0.0/8"},
                                     {"ip_protocol": "tcp", "from_port": 1, "to_port": 1, "cidr_ipv4": "10.0.0.0/33"}])
def test_what_is_not_a_summary_is_refused_naming_where_and_the_value(summary):
    with pytest.raises(NetguardAwsError) as raised:
        described_from_summary(summary, "revoked.revoked_rules[3]")
    assert raised.value.msg == (
        "revoked.revoked_rules[3] %r is not a rule as the revoke module returns it (ip_protocol, from_port, to_port "
        "and a destination)" % (summary,))


def test_a_rule_to_add_in_the_shape_aws_describes_it():
    to_office = RequestedRule(EgressRule("tcp", 443, 443, "cidr_ipv4", "10.0.0.0/8"), None, "office")
    peered = RequestedRule(EgressRule("tcp", 5432, 5432, "referenced_group_id", OTHER_GROUP), "210987654321",
                           None, "vpc-0bbbbbbbbbbbbbbbb", "pcx-0cccccccccccccccc")
    assert requested_api_rule(to_office, {"team": "web", "cost": "1"}, GROUP, "sgr-9") == {
        "SecurityGroupRuleId": "sgr-9", "GroupId": GROUP, "IsEgress": True, "IpProtocol": "tcp", "FromPort": 443,
        "ToPort": 443, "CidrIpv4": "10.0.0.0/8", "Description": "office",
        "Tags": [{"Key": "cost", "Value": "1"}, {"Key": "team", "Value": "web"}]}
    assert requested_api_rule(peered, {}, GROUP) == {
        "SecurityGroupRuleId": None, "GroupId": GROUP, "IsEgress": True, "IpProtocol": "tcp", "FromPort": 5432,
        "ToPort": 5432, "Tags": [], "ReferencedGroupInfo": {
            "GroupId": OTHER_GROUP, "UserId": "210987654321", "VpcId": "vpc-0bbbbbbbbbbbbbbbb",
            "VpcPeeringConnectionId": "pcx-0cccccccccccccccc"}}


def test_a_requested_rule_that_matched_nothing_is_reported_as_written():
    by_group = RequestedRule(EgressRule("tcp", 5432, 5432, "referenced_group_id", OTHER_GROUP), "210987654321")
    anywhere = RequestedRule(EgressRule("-1", -1, -1, "cidr_ipv4", "0.0.0.0/0"), None)
    assert [requested_rule_summary(rule) for rule in (by_group, anywhere)] == [
        {"ip_protocol": "tcp", "from_port": 5432, "to_port": 5432, "referenced_group_id": OTHER_GROUP,
         "group_owner": "210987654321"},
        {"ip_protocol": "-1", "from_port": -1, "to_port": -1, "cidr_ipv4": "0.0.0.0/0"}]


@pytest.mark.parametrize("number, text", [(0, "0 egress rules"), (1, "1 egress rule"), (2, "2 egress rules")])
def test_counts_read_as_english(number, text):
    assert counted(number, "egress rule") == text


def test_a_diff_notes_rules_and_its_header():
    diff = egress_diff(GROUP, [RULES[0], RULES[1]], [RULES[1]], notes={"sgr-1": "kept by keep[0]"},
                       header_note="2 network interfaces affected")
    assert diff == {
        "before_header": "%s egress rules (2 network interfaces affected)" % GROUP,
        "after_header": "%s egress rules (2 network interfaces affected)" % GROUP,
        "before": 'sgr-1  tcp 443  -> 10.0.0.0/16  "web \\"front\\""  (kept by keep[0])\nsgr-3  all  -> 0.0.0.0/0\n',
        "after": 'sgr-1  tcp 443  -> 10.0.0.0/16  "web \\"front\\""  (kept by keep[0])\n'}


def test_descriptions_are_shown_in_their_own_script():
    rule = DescribedRule(api_rule("sgr-9", description="vers l'entrepôt", CidrIpv4="10.0.0.0/8"))
    assert display_line(rule) == 'sgr-9  tcp 443  -> 10.0.0.0/8  "vers l\'entrepôt"'
