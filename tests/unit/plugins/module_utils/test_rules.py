"""Canonical protocols, ports, CIDRs and IDs: no endpoint involved."""

import pytest

from ansible_collections.netguard.aws.plugins.module_utils.errors import NetguardAwsError
from ansible_collections.netguard.aws.plugins.module_utils.rules import (
    DescribedRule,
    EgressRule,
    aws_id,
    canonical_cidr,
    canonical_protocol,
    checked_ports,
    group_destination,
    group_name,
    parse_port,
)


@pytest.mark.parametrize("written, canonical", [
    ("all", "-1"), ("ALL", "-1"), ("-1", "-1"), (-1, "-1"),
    ("tcp", "tcp"), ("TCP", "tcp"), ("6", "tcp"), (6, "tcp"),
    ("udp", "udp"), ("17", "udp"), (17, "udp"),
    ("icmp", "icmp"), ("1", "icmp"), ("Icmp", "icmp"),
    ("icmpv6", "icmpv6"), ("58", "icmpv6"), (58, "icmpv6"),
    ("50", "50"), (0, "0"), ("255", "255"),
])
def test_protocol_spellings_share_one_canonical_form(written, canonical):
    assert canonical_protocol(written, "protocol") == canonical


@pytest.mark.parametrize("written", ["256", 256, "-2", "tcpp", "esp", "", " tcp", "06", True, None, 6.0, ["tcp"]])
def test_unknown_protocol_is_an_error_listing_the_accepted_forms(written):
    with pytest.raises(NetguardAwsError) as error:
        canonical_protocol(written, "protocol")
    assert error.value.msg.startswith("protocol ")
    assert "tcp or 6" in error.value.msg and "icmpv6 or 58" in error.value.msg and "0-255" in error.value.msg


@pytest.mark.parametrize("protocol, port, expected", [
    ("tcp", 443, (443, 443)),
    ("tcp", "443", (443, 443)),
    ("tcp", "1024-2048", (1024, 2048)),
    ("udp", "0-65535", (0, 65535)),
    ("tcp", "all", (0, 65535)),
    ("tcp", "-1", (0, 65535)),
    ("tcp", -1, (0, 65535)),
    ("tcp", None, (0, 65535)),
    ("icmp", 8, (8, -1)),
    ("icmp", "8", (8, -1)),
    ("icmp", "3-4", (3, 4)),
    ("icmp", "all", (-1, -1)),
    ("icmpv6", None, (-1, -1)),
    ("-1", None, (-1, -1)),
    ("-1", "all", (-1, -1)),
    ("50", None, (-1, -1)),
])
def test_shorthand_ports(protocol, port, expected):
    assert parse_port(port, protocol, "port") == expected


@pytest.mark.parametrize("protocol, port, reason", [
    ("tcp", "70000", "out of range"),
    ("tcp", 65536, "out of range"),
    ("tcp", "443-80", "reversed"),
    ("tcp", "080", "is not a port"),
    ("tcp", "1e3", "is not a port"),
    ("tcp", "443,80", "is not a port"),
    ("tcp", True, "is not a port"),
    ("tcp", 4.5, "is not a port"),
    ("icmp", "256", "ICMP types are 0-255"),
    ("icmp", "8-256", "ICMP codes are 0-255"),
    ("icmp", "-1-3", "is not a port"),
    ("-1", 22, "not allowed with protocol all"),
    ("-1", "22-23", "not allowed with protocol all"),
    ("50", "500", "not allowed with protocol 50"),
])
def test_bad_shorthand_port_names_option_and_value(protocol, port, reason):
    with pytest.raises(NetguardAwsError) as error:
        parse_port(port, protocol, "port")
    assert error.value.msg.startswith("port %s" % (repr(port) if not isinstance(port, str) else "'%s'" % port))
    assert reason in error.value.msg


@pytest.mark.parametrize("protocol, from_port, to_port, expected", [
    ("tcp", 22, 22, (22, 22)),
    ("tcp", -1, -1, (0, 65535)),
    ("tcp", None, None, (0, 65535)),
    ("icmp", -1, -1, (-1, -1)),
    ("icmp", None, None, (-1, -1)),
    ("icmpv6", None, None, (-1, -1)),
    ("icmp", 8, -1, (8, -1)),
    ("icmpv6", 128, 0, (128, 0)),
    ("-1", -1, -1, (-1, -1)),
    ("-1", None, None, (-1, -1)),
])
def test_ip_permission_ports(protocol, from_port, to_port, expected):
    assert checked_ports(protocol, from_port, to_port, "ip_permissions[0].from_port/to_port") == expected


@pytest.mark.parametrize("protocol, from_port, to_port, reason", [
    ("icmp", -1, 3, "code without a type"),
    ("tcp", 22, None, "both ends"),
    ("tcp", True, 22, "is not a port number"),
    ("tcp", -1, 80, "out of range"),
    ("-1", 0, 65535, "not allowed with protocol all"),
])
def test_bad_ip_permission_ports(protocol, from_port, to_port, reason):
    with pytest.raises(NetguardAwsError) as error:
        checked_ports(protocol, from_port, to_port, "ip_permissions[0].from_port/to_port")
    assert error.value.msg.startswith("ip_permissions[0].from_port/to_port ")
    assert reason in error.value.msg


@pytest.mark.parametrize("written, expected", [
    ("10.0.0.0/16", ("cidr_ipv4", "10.0.0.0/16")),
    ("10.1.5.5/16", ("cidr_ipv4", "10.1.0.0/16")),
    ("100.68.0.18/18", ("cidr_ipv4", "100.68.0.0/18")),
    ("0.0.0.0/0", ("cidr_ipv4", "0.0.0.0/0")),
    ("2001:DB8::/32", ("cidr_ipv6", "2001:db8::/32")),
    ("2001:0db8:0000:0000:0000:0000:0000:0001/64", ("cidr_ipv6", "2001:db8::/64")),
    ("::/0", ("cidr_ipv6", "::/0")),
])
def test_cidrs_are_canonicalised_and_their_family_detected(written, expected):
    assert canonical_cidr(written, "cidr") == expected


@pytest.mark.parametrize("written", ["10.0.0.0/33", "10.0.0.1", "300.0.0.0/8", "not-a-cidr", "", "/8", None, 10])
def test_invalid_cidr_is_an_error_naming_it(written):
    with pytest.raises(NetguardAwsError) as error:
        canonical_cidr(written, "cidr")
    assert error.value.msg.startswith("cidr ")
    assert str(written) in error.value.msg


def test_cidr_of_the_wrong_family_is_an_error():
    with pytest.raises(NetguardAwsError, match=r"cidr_ip '::/0' is an IPv6 CIDR block where IPv4 is expected"):
        canonical_cidr("::/0", "cidr_ip", version=4)


@pytest.mark.parametrize("value, prefix", [
    ("sg-0123abcd", "sg"), ("sg-0123456789abcdef0", "sg"), ("sgr-0123456789abcdef0", "sgr"), ("pl-12345678", "pl"),
])
def test_valid_ids(value, prefix):
    assert aws_id(value, "x", prefix) == value


@pytest.mark.parametrize("value", ["sg-123", "sg-0123456789ABCDEF0", "sg-0123abcdx", "sgr-0123abcd", " sg-0123abcd", "", 7])
def test_malformed_group_id(value):
    with pytest.raises(NetguardAwsError, match=r"^group_id .* is not a security group ID"):
        aws_id(value, "group_id", "sg")


def test_described_rules_compare_in_canonical_form():
    stored_as_all = DescribedRule({"SecurityGroupRuleId": "sgr-1", "GroupId": "sg-1", "IsEgress": True,
                                   "IpProtocol": "6", "FromPort": -1, "ToPort": -1, "CidrIpv4": "10.1.5.5/16"})
    assert stored_as_all.rule == EgressRule("tcp", 0, 65535, "cidr_ipv4", "10.1.0.0/16")
    referenced = DescribedRule({"SecurityGroupRuleId": "sgr-2", "GroupId": "sg-1", "IsEgress": True,
                                "IpProtocol": "-1", "FromPort": -1, "ToPort": -1,
                                "ReferencedGroupInfo": {"GroupId": "sg-2", "UserId": "123456789012"}})
    assert referenced.rule == EgressRule("-1", -1, -1, "referenced_group_id", "sg-2")
    assert referenced.group_owner == "123456789012"


@pytest.mark.parametrize("protocol, from_port, to_port, expected", [
    ("tcp", 65535, 65535, (65535, 65535)),
    ("udp", 0, 0, (0, 0)),
    ("tcp", 0, 65535, (0, 65535)),
    ("icmp", 255, 255, (255, 255)),
    ("icmp", 0, 0, (0, 0)),
    ("icmpv6", 255, -1, (255, -1)),
    ("50", -1, -1, (-1, -1)),
])
def test_the_edges_of_each_range_are_accepted(protocol, from_port, to_port, expected):
    assert checked_ports(protocol, from_port, to_port, "ports") == expected


@pytest.mark.parametrize("protocol, from_port, to_port, written, reason", [
    ("tcp", 1024, 65536, "1024-65536", "out of range: tcp ports are 0-65535"),
    ("udp", 65536, 65536, "65536-65536", "out of range"),
    ("tcp", -2, 80, "-2-80", "out of range"),
    ("icmp", 256, 0, "256-0", "out of range: ICMP types are 0-255"),
    ("icmp", 0, 256, "0-256", "out of range: ICMP codes are 0-255"),
    ("icmp", 3, -2, "3--2", "out of range: ICMP codes are 0-255"),
    ("-1", -1, 80, "-1-80", "not allowed with protocol all"),
    ("-1", 80, -1, "80--1", "not allowed with protocol all"),
    ("50", -1, 500, "-1-500", "not allowed with protocol 50"),
])
def test_beyond_the_edges_is_an_error_quoting_the_range(protocol, from_port, to_port, written, reason):
    with pytest.raises(NetguardAwsError) as error:
        checked_ports(protocol, from_port, to_port, "ports")
    assert error.value.msg.startswith("ports '%s' " % written)
    assert reason in error.value.msg


@pytest.mark.parametrize("port, expected", [("65535", (65535, 65535)), ("0", (0, 0)), ("0-65535", (0, 65535)),
                                            ("1024-2048", (1024, 2048))])
def test_shorthand_edges(port, expected):
    assert parse_port(port, "tcp", "port") == expected


def test_a_described_icmp_rule_without_ports_is_every_type_and_code():
    rule = DescribedRule({"SecurityGroupRuleId": "sgr-1", "GroupId": "sg-1", "IsEgress": True, "IpProtocol": "icmp",
                          "CidrIpv4": "10.0.0.0/8"})
    assert (rule.rule.from_port, rule.rule.to_port) == (-1, -1)


PROTOCOLS = "use all or -1, tcp or 6, udp or 17, icmp or 1, icmpv6 or 58, or a protocol number 0-255"


@pytest.mark.parametrize("check, args, message", [
    (canonical_protocol, (6.0, "protocol"), "protocol 6.0 is not a protocol: " + PROTOCOLS),
    (canonical_protocol, ("esp", "ip_protocol"), "ip_protocol 'esp' is not a protocol: " + PROTOCOLS),
    (checked_ports, ("tcp", "80", 80, "ports"), "ports '80' is not a port number"),
    (checked_ports, ("tcp", 80, None, "ports"), "ports '80-None' needs both ends of the range"),
    (checked_ports, ("tcp", 65536, 65535, "ports"),
     "ports '65536-65535' is out of range: tcp ports are 0-65535 (or -1 for all)"),
    (checked_ports, ("icmp", -1, 3, "ports"), "ports '-1-3' sets an ICMP code without a type: type -1 (all) needs "
                                              "code -1"),
    (checked_ports, ("icmp", 256, 0, "ports"), "ports '256-0' is out of range: ICMP types are 0-255 (or -1 for all)"),
    (checked_ports, ("icmpv6", 0, 256, "ports"), "ports '0-256' is out of range: ICMP codes are 0-255 (or -1 for "
                                                 "all)"),
    (checked_ports, ("-1", 22, 22, "ports"), "ports '22-22' is not allowed with protocol all: it covers every port, "
                                             "and AWS would silently ignore the range"),
    (parse_port, ("22", "50", "port"), "port '22' is not allowed with protocol 50: it covers every port, and AWS "
                                       "would silently ignore the range"),
    (parse_port, ("any", "tcp", "port"), "port 'any' is not a port: use N or N-M (tcp/udp), type or type-code "
                                         "(ICMP), or all"),
    (parse_port, ("all", "icmp", "port"), None),
    (canonical_cidr, ("fe80::1%eth0/64", "cidr"),
     "cidr 'fe80::1%eth0/64' is not a CIDR block: expected an address and a prefix length, such as 10.0.0.0/16 or "
     "2001:db8::/32"),
    (canonical_cidr, ("10.0.0.0/33", "cidr"), "cidr '10.0.0.0/33' is not a valid IPv4 or IPv6 CIDR block"),
    (group_name, ("db?", "destination_group"), "destination_group 'db?' is not a security group name: expected 1 to "
                                               "255 letters, digits, spaces or ._-:/()#,@[]+=&;{}!$*"),
    (group_destination, ("sg-db", "destination_group"),
     "destination_group 'sg-db' is neither a security group ID ('sg-' and 8 or 17 lower-case hex digits) nor a name "
     "(names cannot start with 'sg-')"),
])
def test_each_refusal_in_full(check, args, message):
    if message is None:
        assert check(*args) == (-1, -1)
        return
    with pytest.raises(NetguardAwsError) as error:
        check(*args)
    assert error.value.msg == message


def test_a_described_rule_in_canonical_form_whatever_the_endpoint_stored():
    rule = DescribedRule({"SecurityGroupRuleId": "sgr-1", "IpProtocol": "6", "FromPort": 1, "ToPort": 1,
                          "CidrIpv6": "2001:DB8::1/32", "Tags": [{"Key": "reviewed"}, {"Key": "team", "Value": "db"}]})
    assert (rule.rule, rule.tags, repr(rule)) == (
        EgressRule("tcp", 1, 1, "cidr_ipv6", "2001:db8::/32"), {"reviewed": "", "team": "db"},
        "DescribedRule(sgr-1, EgressRule(protocol='tcp', from_port=1, to_port=1, destination_type='cidr_ipv6', "
        "destination='2001:db8::/32'))")
    assert DescribedRule({"SecurityGroupRuleId": "sgr-2", "IpProtocol": "icmp", "FromPort": 8, "ToPort": 0,
                          "CidrIpv4": "10.1.2.3/8", "PrefixListId": None}).rule == EgressRule(
        "icmp", 8, 0, "cidr_ipv4", "10.0.0.0/8")
    assert DescribedRule({"SecurityGroupRuleId": "sgr-3", "IpProtocol": "icmpv6", "FromPort": 128,
                          "PrefixListId": "pl-0123456789abcdef0"}).rule == EgressRule(
        "icmpv6", 128, -1, "prefix_list_id", "pl-0123456789abcdef0")


def test_a_described_rule_with_a_protocol_aws_would_not_send_names_the_field():
    with pytest.raises(NetguardAwsError) as error:
        DescribedRule({"SecurityGroupRuleId": "sgr-1", "IpProtocol": "gre", "CidrIpv4": "10.0.0.0/8"})
    assert error.value.msg == "IpProtocol 'gre' is not a protocol: " + PROTOCOLS
