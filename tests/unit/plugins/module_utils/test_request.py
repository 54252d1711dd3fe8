"""From task arguments to a revoke request: the module's argument spec, then the request parser."""

import pytest
from ansible.module_utils.common.arg_spec import ArgumentSpecValidator

from ansible_collections.netguard.aws.plugins.module_utils.errors import NetguardAwsError
from ansible_collections.netguard.aws.plugins.module_utils.request import (
    RequestedRule,
    RuleFilter,
    describe_filters,
    parse_info_request,
    parse_revoke_request,
)
from ansible_collections.netguard.aws.plugins.module_utils.rules import EgressRule
from ansible_collections.netguard.aws.plugins.modules.ec2_security_group_egress_info import MODULE_KWARGS as INFO_KWARGS
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


def test_max_revoked_rules_zero_is_a_guard_that_allows_no_revoke():
    assert request(revoke_all=True, max_revoked_rules=0).max_revoked_rules == 0
    with pytest.raises(NetguardAwsError, match=r"^max_revoked_rules -1 is negative: give 0 or more"):
        request(revoke_all=True, max_revoked_rules=-1)


@pytest.mark.parametrize("concurrency, accepted", [(1, True), (64, True), (0, False), (65, False)])
def test_concurrency_is_1_to_64(concurrency, accepted):
    args = dict(group_id=None, filters={"vpc-id": "vpc-0123456789abcdef0"}, protocol="all", cidr="0.0.0.0/0",
                concurrency=concurrency)
    if accepted:
        assert request(**args).concurrency == concurrency
    else:
        with pytest.raises(NetguardAwsError, match=r"^concurrency %d is out of range: give 1 to 64" % concurrency):
            request(**args)


def test_an_ip_permissions_range_is_read_as_written():
    parsed = request(ip_permissions=[{"IpProtocol": "udp", "FromPort": 1024, "ToPort": 2048,
                                      "IpRanges": [{"CidrIp": "10.0.0.0/8"}]}])
    assert parsed.rules == (rule("udp", 1024, 2048, "cidr_ipv4", "10.0.0.0/8"),)


@pytest.mark.parametrize("user_id, accepted", [("123456789012", True), ("12345678901", False), ("amazon", False)])
def test_user_id_of_a_group_pair_must_be_an_account(user_id, accepted):
    args = dict(ip_permissions=[{"IpProtocol": "tcp", "FromPort": 5432, "ToPort": 5432,
                                 "UserIdGroupPairs": [{"GroupId": "sg-0aaaaaaaaaaaaaaaa", "UserId": user_id}]}])
    if accepted:
        assert request(**args).rules[0].group_owner == user_id
    else:
        with pytest.raises(NetguardAwsError, match=r"^ip_permissions\[0\]\.user_id_group_pairs\[0\]\.user_id '%s' is "
                                                   r"not an AWS account ID" % user_id):
            request(**args)


def test_bulk_safeguards():
    with pytest.raises(NetguardAwsError, match=r"^filters is empty, which would select every security group"):
        request(group_id=None, filters={}, protocol="all", cidr="0.0.0.0/0")
    with pytest.raises(NetguardAwsError, match=r"^revoke_all with filters removes every egress rule .* "
                                               r"set allow_bulk_revoke_all=true"):
        request(group_id=None, filters={"tag:env": "prod"}, revoke_all=True)
    confirmed = request(group_id=None, filters={"tag:env": "prod"}, revoke_all=True, allow_bulk_revoke_all=True)
    assert confirmed.revoke_all is True and confirmed.filters == [{"Name": "tag:env", "Values": ["prod"]}]


@pytest.mark.parametrize("written, expected", [
    ({"vpc-id": "vpc-0123456789abcdef0"}, [{"Name": "vpc-id", "Values": ["vpc-0123456789abcdef0"]}]),
    ({"tag:env": ["prod", "stage"], "owner-id": 123456789012},
     [{"Name": "tag:env", "Values": ["prod", "stage"]}, {"Name": "owner-id", "Values": ["123456789012"]}]),
    ({"tag:on": True, "tag:off": False}, [{"Name": "tag:on", "Values": ["true"]}, {"Name": "tag:off", "Values": ["false"]}]),
    ('{"group-name": "web"}', [{"Name": "group-name", "Values": ["web"]}]),
    ("group-name=web", [{"Name": "group-name", "Values": ["web"]}]),
])
def test_describe_filters_take_a_dict_or_its_text(written, expected):
    assert describe_filters(written) == expected


@pytest.mark.parametrize("written, message", [
    (["vpc-id"], r"^filters \['vpc-id'\] is not a dictionary"),
    ("everything", r"^filters 'everything' is not a dictionary"),
    ({"tag:env": []}, r"^filters\['tag:env'\] is empty: give at least one value"),
    ({"": "x"}, r"^filters '' has a filter name that is not a non-empty string"),
    ({"tag:env": [{"a": 1}]}, r"^filters\['tag:env'\] \{'a': 1\} is not a filter value"),
    ({"tag:env": 1.5}, r"^filters\['tag:env'\] 1.5 is not a filter value"),
])
def test_bad_describe_filters_name_the_filter_and_value(written, message):
    with pytest.raises(NetguardAwsError, match=message):
        describe_filters(written)


def info_request(**args):
    result = ArgumentSpecValidator(**INFO_KWARGS).validate(dict(args))
    assert not result.error_messages, result.error_messages
    return parse_info_request(result.validated_parameters)


def test_info_request_takes_groups_filters_and_rule_filters():
    parsed = info_request(group_id=[GROUP, GROUP], protocol="tcp", port="1024-2048", cidr=["10.1.5.5/16"])
    assert parsed.group_ids == (GROUP,)
    assert info_request(filters="vpc-id=vpc-0123456789abcdef0").filters == [
        {"Name": "vpc-id", "Values": ["vpc-0123456789abcdef0"]}]
    assert parsed.rule_filter == RuleFilter("tcp", 1024, 2048, (("cidr_ipv4", "10.1.0.0/16"),))
    assert parsed.warnings == ["cidr '10.1.5.5/16' was canonicalised to '10.1.0.0/16', the form AWS stores"]
    bare = info_request()
    assert (bare.group_ids, bare.filters, bare.rule_filter, bare.rule_predicate, bare.regions) == (None,) * 5
    assert info_request(prefix_list_id="pl-0123456789abcdef0").rule_filter == RuleFilter(
        None, None, None, (("prefix_list_id", "pl-0123456789abcdef0"),))


@pytest.mark.parametrize("args, message", [
    (dict(group_id=[]), r"^group_id is empty"),
    (dict(group_id=[GROUP, "sg-1"]), r"^group_id\[1\] 'sg-1' is not a security group ID"),
    (dict(protocol="tcp", port="99999"), r"^port '99999' is out of range"),
    (dict(filters="everything"), r"^filters 'everything' is not a dictionary"),
    (dict(regions=["moon-1"]), r"^regions\[0\] 'moon-1' is not an AWS region name"),
])
def test_bad_info_input_names_option_and_value(args, message):
    with pytest.raises(NetguardAwsError, match=message):
        info_request(**args)
