"""From task arguments to a revoke request: the module's argument spec, then the request parser."""

import pytest
from ansible.module_utils.common.arg_spec import ArgumentSpecValidator

from ansible_collections.netguard.aws.plugins.module_utils.errors import NetguardAwsError
from ansible_collections.netguard.aws.plugins.module_utils.request import RequestedRule, parse_revoke_request
from ansible_collections.netguard.aws.plugins.module_utils.rules import EgressRule
from ansible_collections.netguard.aws.plugins.modules.ec2_security_group_egress_revoke import MODULE_KWARGS

GROUP = "sg-0123456789abcdef0"


def validated(args):
    """What the module receives in ``module.params``, or the argument spec's error."""
    result = ArgumentSpecValidator(**MODULE_KWARGS).validate(dict(args))
    if result.error_messages:
        raise AssertionError("; ".join(result.error_messages))
    assert not result._warnings, result._warnings
    return result.validated_parameters


def request(**args):
    """Parse the task arguments; ``group_id=None`` leaves the group out."""
    args.setdefault("group_id", GROUP)
    return parse_revoke_request(validated(dict((key, value) for key, value in args.items() if value is not None)))


def rule(protocol, from_port, to_port, destination_type, destination, owner=None):
    return RequestedRule(EgressRule(protocol, from_port, to_port, destination_type, destination), owner)


def test_snake_case_and_camel_case_ip_permissions_are_the_same_request():
    snake = request(ip_permissions=[{
        "ip_protocol": "tcp", "from_port": 443, "to_port": 443,
        "ip_ranges": [{"cidr_ip": "10.0.0.0/16", "description": "web"}],
        "ipv6_ranges": [{"cidr_ipv6": "2001:db8::/32"}],
        "prefix_list_ids": [{"prefix_list_id": "pl-0123456789abcdef0"}],
        "user_id_group_pairs": [{"group_id": "sg-0aaaaaaaaaaaaaaaa", "user_id": "123456789012"}],
    }])
    camel = request(ip_permissions=[{
        "IpProtocol": "6", "FromPort": 443, "ToPort": 443,
        "IpRanges": [{"CidrIp": "10.0.0.0/16", "Description": "other text"}],
        "Ipv6Ranges": [{"CidrIpv6": "2001:DB8::/32"}],
        "PrefixListIds": [{"PrefixListId": "pl-0123456789abcdef0"}],
        "UserIdGroupPairs": [{"GroupId": "sg-0aaaaaaaaaaaaaaaa", "UserId": "123456789012", "VpcId": "vpc-12345678",
                              "PeeringStatus": "active", "Description": "db"}],
    }])
    expected = (
        rule("tcp", 443, 443, "cidr_ipv4", "10.0.0.0/16"),
        rule("tcp", 443, 443, "cidr_ipv6", "2001:db8::/32"),
        rule("tcp", 443, 443, "prefix_list_id", "pl-0123456789abcdef0"),
        rule("tcp", 443, 443, "referenced_group_id", "sg-0aaaaaaaaaaaaaaaa", "123456789012"),
    )
    assert snake.rules == expected
    assert camel.rules == expected


def test_aws_json_with_empty_lists_is_accepted():
    pasted = request(ip_permissions=[{"IpProtocol": "-1", "IpRanges": [{"CidrIp": "0.0.0.0/0"}], "Ipv6Ranges": [],
                                      "PrefixListIds": [], "UserIdGroupPairs": []}])
    assert pasted.rules == (rule("-1", -1, -1, "cidr_ipv4", "0.0.0.0/0"),)


def test_ip_permission_without_destination_is_an_error():
    with pytest.raises(NetguardAwsError, match=r"^ip_permissions\[1\] has no destination"):
        request(ip_permissions=[{"ip_protocol": "tcp", "from_port": 22, "to_port": 22,
                                 "ip_ranges": [{"cidr_ip": "10.0.0.0/8"}]},
                                {"ip_protocol": "tcp", "from_port": 22, "to_port": 22, "ip_ranges": []}])


def test_errors_inside_ip_permissions_name_the_path():
    with pytest.raises(NetguardAwsError, match=r"^ip_permissions\[0\]\.ip_ranges\[1\]\.cidr_ip '10\.0\.0\.0/40'"):
        request(ip_permissions=[{"ip_protocol": "tcp", "from_port": 22, "to_port": 22,
                                 "ip_ranges": [{"cidr_ip": "10.0.0.0/8"}, {"cidr_ip": "10.0.0.0/40"}]}])
    with pytest.raises(NetguardAwsError, match=r"^ip_permissions\[0\]\.ipv6_ranges\[0\]\.cidr_ipv6 '10\.0\.0\.0/8' is an IPv4"):
        request(ip_permissions=[{"ip_protocol": "tcp", "ipv6_ranges": [{"cidr_ipv6": "10.0.0.0/8"}]}])


def test_shorthand_expands_to_one_rule_per_destination():
    parsed = request(protocol="TCP", port="443", cidr=["10.0.0.0/16", "::/0"],
                     destination_group="sg-0aaaaaaaaaaaaaaaa", group_owner="123456789012",
                     prefix_list_id="pl-0123456789abcdef0")
    assert parsed.rules == (
        rule("tcp", 443, 443, "cidr_ipv4", "10.0.0.0/16"),
        rule("tcp", 443, 443, "cidr_ipv6", "::/0"),
        rule("tcp", 443, 443, "referenced_group_id", "sg-0aaaaaaaaaaaaaaaa", "123456789012"),
        rule("tcp", 443, 443, "prefix_list_id", "pl-0123456789abcdef0"),
    )


def test_port_as_integer_or_string_gives_the_same_rule_without_conversion_warnings():
    assert request(protocol="tcp", port=443, cidr="10.0.0.0/16") == request(protocol="tcp", port="443", cidr="10.0.0.0/16")


def test_cidr_as_one_comma_separated_string_like_ad_hoc_key_value():
    parsed = request(protocol="all", cidr="0.0.0.0/0,::/0")
    assert [requested.rule.destination for requested in parsed.rules] == ["0.0.0.0/0", "::/0"]


def test_destination_group_by_name_waits_for_resolution():
    parsed = request(protocol="tcp", port=5432, source_group="db")
    assert parsed.rules == (rule("tcp", 5432, 5432, "referenced_group_name", "db"),)


def test_non_canonical_cidr_warns_naming_both_forms():
    parsed = request(protocol="tcp", port=22, cidr="10.1.5.5/16")
    assert parsed.rules[0].rule.destination == "10.1.0.0/16"
    assert parsed.warnings == ["cidr '10.1.5.5/16' was canonicalised to '10.1.0.0/16', the form AWS stores"]


def test_rule_ids_and_rules_combine_and_duplicates_collapse():
    parsed = request(rule_ids=["sgr-0123456789abcdef0", "sgr-0123456789abcdef0"], protocol="udp", port=53,
                     cidr=["10.0.0.2/32", "10.0.0.2/32"])
    assert parsed.rule_ids == ("sgr-0123456789abcdef0",)
    assert len(parsed.rules) == 1


def test_group_by_name_in_a_vpc():
    parsed = request(group_id=None, group_name="web", vpc_id="vpc-0123456789abcdef0", revoke_all=True)
    assert (parsed.group_id, parsed.group_name, parsed.vpc_id, parsed.revoke_all) == (
        None, "web", "vpc-0123456789abcdef0", True)


@pytest.mark.parametrize("args, message", [
    (dict(protocol="tcp", port=22), r"^protocol 'tcp' needs a destination"),
    (dict(protocol="all", port=22, cidr="0.0.0.0/0"), r"^port 22 is not allowed with protocol all"),
    (dict(protocol="gre", cidr="0.0.0.0/0"), r"^protocol 'gre' is not a protocol"),
    (dict(rule_ids=[]), r"^security_group_rule_ids is empty"),
    (dict(ip_permissions=[]), r"^ip_permissions is empty"),
    (dict(protocol="tcp", cidr=[]), r"^cidr is empty"),
    (dict(rule_ids=["sgr-xyz"]), r"^security_group_rule_ids\[0\] 'sgr-xyz' is not a security group rule ID"),
    (dict(revoke_all=False), r"^revoke_all is false and no rule is selected"),
    (dict(group_id="sg-123", revoke_all=True), r"^group_id 'sg-123' is not a security group ID"),
    (dict(protocol="tcp", destination_group="sg-nothex"), r"^destination_group 'sg-nothex' is neither"),
    (dict(protocol="tcp", destination_group="sg-0aaaaaaaaaaaaaaaa", group_owner="12"),
     r"^group_owner '12' is not an AWS account ID"),
    (dict(protocol="tcp", prefix_list_id="pl-1"), r"^prefix_list_id 'pl-1' is not a prefix list ID"),
    (dict(group_id=None, group_name="x" * 300, revoke_all=True), r"^group_name 'x{80}'\.\.\.\(300 characters\)"),
])
def test_bad_input_names_option_and_value(args, message):
    with pytest.raises(NetguardAwsError, match=message):
        request(**args)


@pytest.mark.parametrize("args, message", [
    (dict(port=22), "missing parameter(s) required by 'port': protocol"),
    (dict(revoke_all=True, protocol="tcp", cidr="0.0.0.0/0"), "mutually exclusive: revoke_all|protocol"),
    (dict(ip_permissions=[{"ip_protocol": "tcp", "ip_ranges": [{"cidr_ip": "0.0.0.0/0"}]}], protocol="tcp"),
     "mutually exclusive: ip_permissions|protocol"),
    (dict(group_name="web", revoke_all=True), "mutually exclusive: group_id|group_name"),
    (dict(group_id=None), "one of the following is required: group_id, group_name"),
    (dict(), "one of the following is required: security_group_rule_ids"),
    (dict(vpc_id="vpc-12345678", revoke_all=True), "missing parameter(s) required by 'vpc_id': group_name"),
    (dict(ip_permissions=[{"ip_protocol": "tcp", "from_port": 1, "ip_ranges": [{"cidr_ip": "0.0.0.0/0"}]}]),
     "parameters are required together: from_port, to_port"),
    (dict(ip_permissions=[{"IpProtocol": "tcp", "IpRanges": [{"Cidr": "0.0.0.0/0"}]}]), "Cidr"),
])
def test_argument_spec_rejects_impossible_combinations(args, message):
    with pytest.raises(AssertionError) as error:
        request(**args)
    assert message in str(error.value)
