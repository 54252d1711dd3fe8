"""The shapes rules take in task results: no endpoint involved."""

from ansible_collections.netguard.aws.plugins.module_utils.formatting import (
    display_line,
    egress_diff,
    ip_permissions,
    rule_summary,
)

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
