"""From task arguments to a request: the module's argument spec, then the request parser."""

import ipaddress
import os

import pytest
from ansible.module_utils.basic import AnsibleModule
from ansible.module_utils.common.arg_spec import ArgumentSpecValidator

from ansible_collections.netguard.aws.plugins.module_utils.errors import NetguardAwsError
from ansible_collections.netguard.aws.plugins.module_utils.formatting import requested_rule_summary
from ansible_collections.netguard.aws.plugins.module_utils.request import (
    INFO_MODULE,
    REVOKE_MODULE,
    Change,
    Connection,
    Execution,
    Guards,
    Request,
    RequestedRule,
    Target,
    connection_argument_spec,
    describe_filters,
    parse_connection,
    parse_info_request,
    parse_regions,
    parse_revoke_request,
)
from ansible_collections.netguard.aws.plugins.module_utils.rules import EgressRule
from ansible_collections.netguard.aws.plugins.module_utils.selector import (
    EVERY_RULE,
    Choice,
    KeepItem,
    Predicate,
    Selector,
    exact_predicate,
    rule_id_choice,
)
from ansible_collections.netguard.aws.plugins.modules.ec2_security_group_egress_info import MODULE_KWARGS as INFO_KWARGS
from ansible_collections.netguard.aws.plugins.modules.ec2_security_group_egress_revoke import MODULE_KWARGS

from ...conftest import patch_module_args

GROUP = "sg-0123456789abcdef0"
PREDICATES = ("protocol, allows_port, ports_within, destination_within, destination_covers, public, wider_than, "
              "destination_group, destination_group_tags, prefix_list_id, prefix_list_name, description, tags, stale, "
              "unused")
# A connection with no option given: botocore's defaults, certificates verified.
NO_CONNECTION = Connection(None, None, None, None, None, None, True, None, None)


@pytest.fixture(autouse=True)
def _no_aws_environment(clean_aws_environment):
    """The connection options have environment fallbacks: none of them may leak into a request here."""


def validated(args):
    """What the module receives in ``module.params``, or the argument spec's error."""
    result = ArgumentSpecValidator(**MODULE_KWARGS).validate(dict(args))
    if result.error_messages:
        raise AssertionError("; ".join(result.error_messages))
    assert not result._warnings, result._warnings
    return result.validated_parameters


def parse(**args):
    """``(Request, warnings)`` of the task arguments; ``group_id=None`` leaves the group out."""
    args.setdefault("group_id", GROUP)
    return parse_revoke_request(validated(dict((key, value) for key, value in args.items() if value is not None)))


def request(**args):
    return parse(**args)[0]


def warnings_of(**args):
    return parse(**args)[1]


def rule(protocol, from_port, to_port, destination_type, destination, owner=None):
    return RequestedRule(EgressRule(protocol, from_port, to_port, destination_type, destination), owner)


def choices(parsed):
    return parsed.change.selector.choices


def exact(*rules):
    """The choices of exact rules: each takes the rules equal to it, and is reported unmatched as it was asked for."""
    return tuple(Choice((exact_predicate(requested),), requested_rule_summary(requested)) for requested in rules)


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
    assert choices(snake) == exact(*expected)
    assert choices(camel) == exact(*expected)


def test_aws_json_with_empty_lists_is_accepted():
    pasted = request(ip_permissions=[{"IpProtocol": "-1", "IpRanges": [{"CidrIp": "0.0.0.0/0"}], "Ipv6Ranges": [],
                                      "PrefixListIds": [], "UserIdGroupPairs": []}])
    assert choices(pasted) == exact(rule("-1", -1, -1, "cidr_ipv4", "0.0.0.0/0"))


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
    assert choices(parsed) == exact(
        rule("tcp", 443, 443, "cidr_ipv4", "10.0.0.0/16"),
        rule("tcp", 443, 443, "cidr_ipv6", "::/0"),
        rule("tcp", 443, 443, "referenced_group_id", "sg-0aaaaaaaaaaaaaaaa", "123456789012"),
        rule("tcp", 443, 443, "prefix_list_id", "pl-0123456789abcdef0"),
    )
    # What unmatched would say of the group rule: its owner too.
    assert choices(parsed)[2].reported == {"ip_protocol": "tcp", "from_port": 443, "to_port": 443,
                                           "referenced_group_id": "sg-0aaaaaaaaaaaaaaaa", "group_owner": "123456789012"}


def test_port_as_integer_or_string_gives_the_same_rule_without_conversion_warnings():
    assert parse(protocol="tcp", port=443, cidr="10.0.0.0/16") == parse(protocol="tcp", port="443", cidr="10.0.0.0/16")


def test_cidr_as_one_comma_separated_string_like_ad_hoc_key_value():
    parsed = request(protocol="all", cidr="0.0.0.0/0,::/0")
    assert choices(parsed) == exact(rule("-1", -1, -1, "cidr_ipv4", "0.0.0.0/0"),
                                    rule("-1", -1, -1, "cidr_ipv6", "::/0"))


def test_destination_group_by_name_waits_for_resolution():
    parsed = request(protocol="tcp", port=5432, source_group="db")
    assert choices(parsed) == exact(rule("tcp", 5432, 5432, "referenced_group_name", "db"))


def test_non_canonical_cidr_warns_naming_both_forms():
    parsed, warnings = parse(protocol="tcp", port=22, cidr="10.1.5.5/16")
    assert choices(parsed) == exact(rule("tcp", 22, 22, "cidr_ipv4", "10.1.0.0/16"))
    assert warnings == ["cidr '10.1.5.5/16' was canonicalised to '10.1.0.0/16', the form AWS stores"]


def test_rule_ids_and_rules_combine_and_duplicates_collapse():
    parsed = request(rule_ids=["sgr-0123456789abcdef0", "sgr-0123456789abcdef0"], protocol="udp", port=53,
                     cidr=["10.0.0.2/32", "10.0.0.2/32"])
    assert choices(parsed) == (rule_id_choice("sgr-0123456789abcdef0"),) + exact(
        rule("udp", 53, 53, "cidr_ipv4", "10.0.0.2/32"))


def test_group_by_name_in_a_vpc():
    parsed = request(group_id=None, group_name="web", vpc_id="vpc-0123456789abcdef0", revoke_all=True)
    assert parsed.target == Target(group_ids=None, group_name="web", vpc_id="vpc-0123456789abcdef0", bulk=False)
    assert choices(parsed) == (EVERY_RULE,)


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
    (dict(ip_permissions=[{"IpProtocol": "tcp", "UserIdGroupPairs": [{"UserId": "123456789012"}]}]),
     "one of the following is required: group_id, group_name found in ip_permissions -> user_id_group_pairs"),
    (dict(revoke_all=True, access_key="AKIDEXAMPLE"), "parameters are required together: access_key, secret_key"),
])
def test_argument_spec_rejects_impossible_combinations(args, message):
    with pytest.raises(AssertionError) as error:
        request(**args)
    assert message in str(error.value)


def test_max_revoked_rules_zero_is_a_guard_that_allows_no_revoke():
    assert request(revoke_all=True, max_revoked_rules=0).guards.max_revoked_rules == 0
    with pytest.raises(NetguardAwsError, match=r"^max_revoked_rules -1 is negative: give 0 or more"):
        request(revoke_all=True, max_revoked_rules=-1)


@pytest.mark.parametrize("concurrency, accepted", [(1, True), (64, True), (0, False), (65, False)])
def test_concurrency_is_1_to_64(concurrency, accepted):
    args = dict(group_id=None, filters={"vpc-id": "vpc-0123456789abcdef0"}, protocol="all", cidr="0.0.0.0/0",
                concurrency=concurrency)
    if accepted:
        assert request(**args).execution.concurrency == concurrency
    else:
        with pytest.raises(NetguardAwsError, match=r"^concurrency %d is out of range: give 1 to 64" % concurrency):
            request(**args)


def test_an_ip_permissions_range_is_read_as_written():
    parsed = request(ip_permissions=[{"IpProtocol": "udp", "FromPort": 1024, "ToPort": 2048,
                                      "IpRanges": [{"CidrIp": "10.0.0.0/8"}]}])
    assert choices(parsed) == exact(rule("udp", 1024, 2048, "cidr_ipv4", "10.0.0.0/8"))


@pytest.mark.parametrize("user_id, accepted", [("123456789012", True), ("12345678901", False), ("amazon", False)])
def test_user_id_of_a_group_pair_must_be_an_account(user_id, accepted):
    args = dict(ip_permissions=[{"IpProtocol": "tcp", "FromPort": 5432, "ToPort": 5432,
                                 "UserIdGroupPairs": [{"GroupId": "sg-0aaaaaaaaaaaaaaaa", "UserId": user_id}]}])
    if accepted:
        assert choices(request(**args)) == exact(rule("tcp", 5432, 5432, "referenced_group_id", "sg-0aaaaaaaaaaaaaaaa",
                                                      user_id))
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
    assert choices(confirmed) == (EVERY_RULE,)
    assert confirmed.target.filters == [{"Name": "tag:env", "Values": ["prod"]}] and confirmed.target.bulk is True


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
    ("everything", r"^filters 'everything' is not a dictionary of filter names and values, such as "
                   r"\{'vpc-id': 'vpc-0123abcd'\}$"),
    ({"tag:env": []}, r"^filters\['tag:env'\] is empty: give at least one value"),
    ({"": "x"}, r"^filters '' has a filter name that is not a non-empty string"),
    ({"tag:env": [{"a": 1}]}, r"^filters\['tag:env'\] \{'a': 1\} is not a filter value"),
    ({"tag:env": 1.5}, r"^filters\['tag:env'\] 1.5 is not a filter value"),
])
def test_bad_describe_filters_name_the_filter_and_value(written, message):
    with pytest.raises(NetguardAwsError, match=message):
        describe_filters(written)


def parse_info(**args):
    result = ArgumentSpecValidator(**INFO_KWARGS).validate(dict(args))
    assert not result.error_messages, result.error_messages
    return parse_info_request(result.validated_parameters)


def info_request(**args):
    return parse_info(**args)[0]


def listed_by(*predicates):
    """The info module's selector: one choice, whose predicates a listed rule passes all of; it lists, never
    removes."""
    return Change(Selector((Choice(tuple(predicates), None),)), removes=False)


def test_info_request_takes_groups_filters_and_rule_filters():
    parsed, warnings = parse_info(group_id=[GROUP, GROUP], protocol="tcp", port="1024-2048", cidr=["10.1.5.5/16"])
    assert parsed.target.group_ids == (GROUP,)
    assert info_request(filters="vpc-id=vpc-0123456789abcdef0").target.filters == [
        {"Name": "vpc-id", "Values": ["vpc-0123456789abcdef0"]}]
    assert parsed.change == listed_by(Predicate(protocols=frozenset(["tcp"]), port_range=(1024, 2048),
                                                destinations=(frozenset([("cidr_ipv4", "10.1.0.0/16")]),)))
    assert warnings == ["cidr '10.1.5.5/16' was canonicalised to '10.1.0.0/16', the form AWS stores"]
    bare = info_request()
    assert bare == Request(INFO_MODULE, NO_CONNECTION, Target(), Change(Selector((EVERY_RULE,)), removes=False),
                           Guards(), Execution())
    assert (bare.target.group_ids, bare.target.filters, bare.target.regions) == (None,) * 3
    assert info_request(prefix_list_id="pl-0123456789abcdef0").change == listed_by(
        Predicate(destinations=(frozenset([("prefix_list_id", "pl-0123456789abcdef0")]),)))


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


BULK = dict(group_id=None, filters={"vpc-id": "vpc-0123456789abcdef0"})


def refused(**args):
    with pytest.raises(NetguardAwsError) as raised:
        request(**args)
    return raised.value.msg


def test_every_option_of_a_bulk_revoke_reaches_the_request():
    parsed, warnings = parse(rule_filters={"protocol": "tcp"}, keep=["sgr-0123456789abcdef0"], revoke_rate="2.5",
                             journal="/var/log/revokes.jsonl", regions=["us-east-1", "eu-west-3", "us-east-1"],
                             impact=True, concurrency=3, max_revoked_rules=0, **BULK)
    assert parsed == Request(
        REVOKE_MODULE, NO_CONNECTION,
        Target(filters=[{"Name": "vpc-id", "Values": ["vpc-0123456789abcdef0"]}], regions=("us-east-1", "eu-west-3"),
               bulk=True),
        Change(Selector((Choice((Predicate(protocols=frozenset(["tcp"])),), None),),
                        (KeepItem(0, Predicate(rule_id="sgr-0123456789abcdef0"), "sgr-0123456789abcdef0"),))),
        Guards(max_revoked_rules=0, impact=True, require_unused=False),
        Execution(concurrency=3, write_rate=2.5, journal="/var/log/revokes.jsonl"))
    assert warnings == []


def test_options_left_out_are_absent_from_the_request():
    parsed, warnings = parse(revoke_all=True)
    assert parsed == Request(REVOKE_MODULE, NO_CONNECTION, Target(group_ids=(GROUP,), bulk=False),
                             Change(Selector((EVERY_RULE,), ())), Guards(None, False, False), Execution(8, None, None))
    assert warnings == []
    # Without the argument spec's default, one group at a time.
    assert parse_revoke_request({"group_id": GROUP, "revoke_all": True})[0].execution.concurrency == 1


def test_require_unused_needs_the_impact_and_implies_it():
    parsed = request(revoke_all=True, require_unused=True)
    assert (parsed.guards.impact, parsed.guards.require_unused) == (True, True)
    assert request(revoke_all=True, impact=True).guards == Guards(None, True, False)


@pytest.mark.parametrize("args, message", [
    (dict(rule_filters={}), "rule_filters is empty, which would select every egress rule (that is revoke_all): give "
                            "at least one of " + PREDICATES),
    (dict(rule_filters={"protocol": "gre"}), "rule_filters.protocol 'gre' is not a protocol: use all or -1, tcp or 6, "
                                             "udp or 17, icmp or 1, icmpv6 or 58, or a protocol number 0-255"),
    (dict(revoke_all=True, keep=[{"cidr": "10.0.0.0/8"}]),
     "keep[0] 'cidr' is not a predicate: use " + PREDICATES),
    (dict(revoke_all=True, journal=" "), "journal ' ' is not a file path"),
    (dict(revoke_all=False), "revoke_all is false and no rule is selected: set revoke_all=true, or give "
                             "security_group_rule_ids, ip_permissions, rule_filters or protocol with a destination"),
    (dict(revoke_all=True, **BULK), "revoke_all with filters removes every egress rule of every group the filters "
                                    "select: set allow_bulk_revoke_all=true to confirm"),
    (dict(group_id=None, filters={}, revoke_all=True, allow_bulk_revoke_all=True),
     "filters is empty, which would select every security group of the region: give at least one filter, such as "
     "{'vpc-id': 'vpc-0123456789abcdef0'}"),
    (dict(revoke_all=True, max_revoked_rules=-1), "max_revoked_rules -1 is negative: give 0 or more"),
])
def test_refusals_quote_the_option_and_the_value_in_full(args, message):
    assert refused(**args) == message


@pytest.mark.parametrize("rate", ["0", 0, -1, True, "inf", "nan", [1], "fast"])
def test_revoke_rate_is_a_positive_finite_number(rate):
    assert refused(revoke_all=True, allow_bulk_revoke_all=True, revoke_rate=rate, **BULK) == (
        "revoke_rate %r is not a positive number of write calls per second, such as 5 or 0.5" % (rate,))


@pytest.mark.parametrize("rate, expected", [("0.5", 0.5), (5, 5.0), (0.001, 0.001)])
def test_revoke_rate_as_number_or_text(rate, expected):
    parsed = request(revoke_all=True, allow_bulk_revoke_all=True, revoke_rate=rate, **BULK)
    assert parsed.execution.write_rate == expected


@pytest.mark.parametrize("regions, message", [
    ([], "regions is empty: list at least one region, or give all, or leave the option out"),
    (["all", "us-east-1"], "regions[0] 'all' cannot be combined with region names: give all alone"),
    (["us-east-1", "all"], "regions[1] 'all' cannot be combined with region names: give all alone"),
    (["us-east-1", "mars"], "regions[1] 'mars' is not an AWS region name such as us-east-1 or eu-west-3"),
])
def test_bad_regions_are_refused_naming_the_entry(regions, message):
    assert refused(revoke_all=True, allow_bulk_revoke_all=True, regions=regions, **BULK) == message


@pytest.mark.parametrize("regions, expected", [
    ("all", "all"), (["all"], "all"), ("eu-west-3", ("eu-west-3",)), (None, None),
    (["us-gov-west-1", "ap-southeast-5", "us-gov-west-1"], ("us-gov-west-1", "ap-southeast-5")),
])
def test_regions_as_a_name_a_list_or_all(regions, expected):
    assert parse_regions(regions) == expected


def https(**destinations):
    return dict({"ip_protocol": "tcp", "from_port": 443, "to_port": 443}, **destinations)


ANYWHERE = [{"cidr_ip": "0.0.0.0/0"}]


@pytest.mark.parametrize("permissions, message", [
    ([https(ip_ranges=ANYWHERE), {"ip_protocol": "gre", "ip_ranges": ANYWHERE}],
     "ip_permissions[1].ip_protocol 'gre' is not a protocol: use all or -1, tcp or 6, udp or 17, icmp or 1, "
     "icmpv6 or 58, or a protocol number 0-255"),
    ([https(from_port=10, to_port=5, ip_ranges=ANYWHERE)],
     "ip_permissions[0].from_port/to_port '10-5' is reversed: the first port must not exceed the second"),
    ([https(ip_ranges=[{"cidr_ip": "2001:db8::/32"}])],
     "ip_permissions[0].ip_ranges[0].cidr_ip '2001:db8::/32' is an IPv6 CIDR block where IPv4 is expected"),
    ([https(ipv6_ranges=[{"cidr_ipv6": "10.0.0.0/8"}])],
     "ip_permissions[0].ipv6_ranges[0].cidr_ipv6 '10.0.0.0/8' is an IPv4 CIDR block where IPv6 is expected"),
    ([https(prefix_list_ids=[{"prefix_list_id": "pl-1"}])],
     "ip_permissions[0].prefix_list_ids[0].prefix_list_id 'pl-1' is not a prefix list ID: expected 'pl-' followed "
     "by 8 or 17 lower-case hex digits"),
    ([https(user_id_group_pairs=[{"group_id": "sg-1"}])],
     "ip_permissions[0].user_id_group_pairs[0].group_id 'sg-1' is not a security group ID: expected 'sg-' followed "
     "by 8 or 17 lower-case hex digits"),
    ([https(user_id_group_pairs=[{"group_name": "db?"}])],
     "ip_permissions[0].user_id_group_pairs[0].group_name 'db?' is not a security group name: expected 1 to 255 "
     "letters, digits, spaces or ._-:/()#,@[]+=&;{}!$*"),
    ([https()], "ip_permissions[0] has no destination: give ip_ranges, ipv6_ranges, prefix_list_ids or "
                "user_id_group_pairs"),
])
def test_errors_inside_ip_permissions_name_the_entry_and_the_key(permissions, message):
    assert refused(ip_permissions=permissions) == message


def test_a_group_pair_by_name_is_a_rule_to_the_group_of_that_name():
    parsed = request(ip_permissions=[https(user_id_group_pairs=[{"group_name": "db"}])])
    assert choices(parsed) == exact(rule("tcp", 443, 443, "referenced_group_name", "db"))


@pytest.mark.parametrize("args, message", [
    (dict(protocol="tcp", port=443, cidr=["10.0.0.0/8", "10.0.0.0"]),
     "cidr[1] '10.0.0.0' is not a CIDR block: expected an address and a prefix length, such as 10.0.0.0/16 or "
     "2001:db8::/32"),
    (dict(protocol="tcp", port=443, cidr=["10.0.0.0"]),
     "cidr '10.0.0.0' is not a CIDR block: expected an address and a prefix length, such as 10.0.0.0/16 or "
     "2001:db8::/32"),
    (dict(protocol="tcp", port=443, prefix_list_id="pl-1"),
     "prefix_list_id 'pl-1' is not a prefix list ID: expected 'pl-' followed by 8 or 17 lower-case hex digits"),
    (dict(protocol="tcp", port=443),
     "protocol 'tcp' needs a destination: give cidr, destination_group or prefix_list_id"),
    (dict(group_id=None, group_name="web", vpc_id="vpc-1", revoke_all=True),
     "vpc_id 'vpc-1' is not a VPC ID: expected 'vpc-' followed by 8 or 17 lower-case hex digits"),
])
def test_errors_in_the_shorthand_name_the_option_and_the_entry(args, message):
    assert refused(**args) == message


@pytest.mark.parametrize("args, warning", [
    (dict(ip_permissions=[https(ip_ranges=[{"cidr_ip": "10.1.5.5/16"}])]),
     "ip_permissions[0].ip_ranges[0].cidr_ip '10.1.5.5/16' was canonicalised to '10.1.0.0/16', the form AWS stores"),
    (dict(rule_filters={"destination_within": "10.1.5.5/16"}),
     "rule_filters.destination_within '10.1.5.5/16' was canonicalised to '10.1.0.0/16', the form AWS stores"),
    (dict(revoke_all=True, keep=[{"destination_within": "10.1.5.5/16"}]),
     "keep[0].destination_within '10.1.5.5/16' was canonicalised to '10.1.0.0/16', the form AWS stores"),
])
def test_every_cidr_written_loosely_is_taken_with_a_warning_naming_where(args, warning):
    assert warnings_of(**args) == [warning]


def test_an_info_request_with_a_group_name_rule_filters_and_regions():
    parsed, warnings = parse_info(group_name="web", vpc_id="vpc-0123456789abcdef0", regions=["eu-west-3"],
                                  rule_filters={"destination_within": "10.1.5.5/16"})
    assert parsed.target == Target(group_name="web", vpc_id="vpc-0123456789abcdef0", regions=("eu-west-3",))
    assert parsed.change == listed_by(Predicate(within=(ipaddress.ip_network("10.1.0.0/16"),)))
    assert warnings == [
        "rule_filters.destination_within '10.1.5.5/16' was canonicalised to '10.1.0.0/16', the form AWS stores"]


@pytest.mark.parametrize("args, expected", [
    (dict(cidr=["10.0.0.0/8"]), Predicate(destinations=(frozenset([("cidr_ipv4", "10.0.0.0/8")]),))),
    (dict(destination_group="sg-0aaaaaaaaaaaaaaaa"),
     Predicate(destinations=(frozenset([("referenced_group_id", "sg-0aaaaaaaaaaaaaaaa")]),))),
    (dict(protocol="udp"), Predicate(protocols=frozenset(["udp"]))),
])
def test_any_one_shorthand_option_filters_the_listing(args, expected):
    assert info_request(**args).change == listed_by(expected)


@pytest.mark.parametrize("args, message", [
    (dict(rule_filters={}), "rule_filters is empty, which would list every egress rule (leave rule_filters out for "
                            "that): give at least one of " + PREDICATES),
    (dict(cidr=[]), "cidr is empty: list at least one entry, or leave the option out"),
    (dict(protocol="gre"), "protocol 'gre' is not a protocol: use all or -1, tcp or 6, udp or 17, icmp or 1, "
                           "icmpv6 or 58, or a protocol number 0-255"),
])
def test_info_refusals_quote_the_option_and_the_value_in_full(args, message):
    with pytest.raises(NetguardAwsError) as raised:
        info_request(**args)
    assert raised.value.msg == message


def test_the_selector_lists_rule_ids_then_exact_rules_in_request_order_then_rule_filters():
    # unmatched reports the choices that took nothing in this order.
    parsed = request(security_group_rule_ids=["sgr-0000000000000000b", "sgr-0000000000000000a"],
                     ip_permissions=[https(ip_ranges=[{"cidr_ip": "10.0.0.0/8"}]),
                                     {"ip_protocol": "udp", "from_port": 53, "to_port": 53,
                                      "ip_ranges": [{"cidr_ip": "10.0.0.2/32"}]}],
                     rule_filters={"stale": True})
    assert choices(parsed) == (
        rule_id_choice("sgr-0000000000000000b"), rule_id_choice("sgr-0000000000000000a"),
        Choice((exact_predicate(rule("tcp", 443, 443, "cidr_ipv4", "10.0.0.0/8")),),
               {"ip_protocol": "tcp", "from_port": 443, "to_port": 443, "cidr_ipv4": "10.0.0.0/8"}),
        Choice((exact_predicate(rule("udp", 53, 53, "cidr_ipv4", "10.0.0.2/32")),),
               {"ip_protocol": "udp", "from_port": 53, "to_port": 53, "cidr_ipv4": "10.0.0.2/32"}),
        Choice((Predicate(stale=True),), None))
    assert parsed.change.selector.keep == () and parsed.change.additions == () and parsed.change.removes is True


def test_an_exact_rule_ignores_descriptions_and_peering_details():
    parsed = request(ip_permissions=[https(user_id_group_pairs=[
        {"group_id": "sg-0aaaaaaaaaaaaaaaa", "description": "db", "vpc_id": "vpc-0123456789abcdef0",
         "vpc_peering_connection_id": "pcx-0123456789abcdef0"}])])
    assert choices(parsed) == (Choice((Predicate(
        protocols=frozenset(["tcp"]), port_range=(443, 443),
        destinations=(frozenset([("referenced_group_id", "sg-0aaaaaaaaaaaaaaaa")]),)),),
        {"ip_protocol": "tcp", "from_port": 443, "to_port": 443, "referenced_group_id": "sg-0aaaaaaaaaaaaaaaa"}),)


def test_an_info_listing_needs_the_shorthand_and_rule_filters_both():
    parsed = info_request(protocol="tcp", cidr=["10.0.0.0/8", "::/0"], rule_filters={"allows_port": 443})
    # Any of the shorthand's destinations, and a port rule_filters allows.
    assert parsed.change == listed_by(
        Predicate(protocols=frozenset(["tcp"]),
                  destinations=(frozenset([("cidr_ipv4", "10.0.0.0/8"), ("cidr_ipv6", "::/0")]),)),
        Predicate(ports=((443, 443),)))


def test_the_connection_options_reach_the_request():
    parsed = request(revoke_all=True, region="eu-west-3", endpoint_url="http://127.0.0.1:5000", profile="ops",
                     validate_certs=False, aws_ca_bundle="/etc/ssl/ca.pem", aws_config={"read_timeout": 5},
                     access_key="AKIDEXAMPLE", secret_key="secret", session_token="token")
    assert parsed.connection == Connection(
        access_key="AKIDEXAMPLE", secret_key="secret", session_token="token", profile="ops", region="eu-west-3",
        endpoint_url="http://127.0.0.1:5000", validate_certs=False, aws_ca_bundle="/etc/ssl/ca.pem",
        aws_config={"read_timeout": 5})


def test_the_connection_falls_back_to_the_environment(monkeypatch):
    monkeypatch.setenv("AWS_DEFAULT_REGION", "ap-southeast-5")
    monkeypatch.setenv("AWS_URL", "https://ec2.example.com")
    parsed = info_request()
    assert (parsed.connection.region, parsed.connection.endpoint_url) == ("ap-southeast-5", "https://ec2.example.com")


@pytest.mark.parametrize("url", ["http://127.0.0.1:5000", "https://ec2.eu-west-3.amazonaws.com", "http://[::1]:4566",
                                 "https://moto.internal.:443/path", "http://localhost"])
def test_an_endpoint_url_is_an_http_or_https_url(url):
    assert parse_connection({"endpoint_url": url}).endpoint_url == url


@pytest.mark.parametrize("url", ["x", "ec2.amazonaws.com", "ftp://ec2.amazonaws.com", "http://", "http://:80",
                                 "http://host:99999", "http://host:0", "http://host:port", "http://-host.example.com",
                                 "http://host-.example.com", "http://ho_st.example.com", "http://[::1"])
def test_an_endpoint_url_that_is_no_url_is_refused_before_any_client_exists(url):
    with pytest.raises(NetguardAwsError) as raised:
        parse_connection({"endpoint_url": url})
    assert raised.value.msg == "endpoint_url '%s' is not a valid URL" % url


@pytest.mark.parametrize("parse_request, args", [
    (parse, dict(revoke_all=True)), (parse_info, dict()),
])
def test_both_requests_refuse_an_endpoint_url_that_is_no_url(parse_request, args):
    with pytest.raises(NetguardAwsError) as raised:
        parse_request(endpoint_url="ec2", **args)
    assert raised.value.msg == "endpoint_url 'ec2' is not a valid URL"


def connection_params(**args):
    """The connection options as Ansible gives them to a module with ``args`` and the environment, and the values
    it masks."""
    with patch_module_args(args):
        module = AnsibleModule(argument_spec=connection_argument_spec())
    return module.params, module.no_log_values


@pytest.mark.parametrize("option, variables", [
    ("access_key", ["AWS_ACCESS_KEY_ID", "AWS_ACCESS_KEY"]),
    ("secret_key", ["AWS_SECRET_ACCESS_KEY", "AWS_SECRET_KEY"]),
    ("session_token", ["AWS_SESSION_TOKEN"]),
    ("profile", ["AWS_PROFILE", "AWS_DEFAULT_PROFILE"]),
    ("region", ["AWS_REGION", "AWS_DEFAULT_REGION"]),
    ("endpoint_url", ["AWS_URL"]),
    ("aws_ca_bundle", ["AWS_CA_BUNDLE"]),
])
def test_each_connection_option_falls_back_to_the_aws_environment_variables(monkeypatch, option, variables):
    for name in [name for name in os.environ if name.startswith("AWS_")]:
        monkeypatch.delenv(name)
    for name in variables:
        monkeypatch.setenv(name, "/from/%s" % name)
        assert connection_params()[0][option] == "/from/%s" % name
        monkeypatch.delenv(name)
    assert connection_params()[0][option] is None


def test_the_credentials_are_masked_wherever_they_come_from(monkeypatch):
    monkeypatch.setenv("AWS_SESSION_TOKEN", "token-from-the-environment")
    _params, masked = connection_params(aws_access_key_id="AKIDOPTION", aws_secret_key="secret-option")
    assert {"AKIDOPTION", "secret-option", "token-from-the-environment"} <= masked


EXEMPT_FILTERS = [{"Name": "tag:netguard-exempt", "Values": ["true"]}]


@pytest.mark.parametrize("written", [{"tag:netguard-exempt": "true"}, {"tag:netguard-exempt": True},
                                     '{"tag:netguard-exempt": "true"}', "tag:netguard-exempt=true"])
def test_exclude_filters_reach_the_target_of_both_modules_as_filters(written):
    assert request(exclude_filters=written, protocol="all", cidr="0.0.0.0/0", **BULK).target.exclude_filters == \
        EXEMPT_FILTERS
    assert info_request(exclude_filters=written).target.exclude_filters == EXEMPT_FILTERS
    assert info_request(exclude_filters=written, filters={"vpc-id": "vpc-0123abcd"}).target.exclude_filters == \
        EXEMPT_FILTERS


def test_exclude_filters_left_out_exclude_nothing():
    assert request(protocol="all", cidr="0.0.0.0/0", **BULK).target.exclude_filters is None
    assert info_request().target.exclude_filters is None


@pytest.mark.parametrize("written, message", [
    ({}, "exclude_filters {} is empty, which would exclude every security group: give at least one filter, such as "
         "{'tag:netguard-exempt': 'true'}"),
    ("everything", "exclude_filters 'everything' is not a dictionary of filter names and values, such as "
                   "{'tag:netguard-exempt': 'true'}"),
    (["tag:netguard-exempt"], "exclude_filters ['tag:netguard-exempt'] is not a dictionary of filter names and "
                              "values, such as {'tag:netguard-exempt': 'true'}"),
    ({1: "true"}, "exclude_filters 1 has a filter name that is not a non-empty string"),
    ({"tag:netguard-exempt": []}, "exclude_filters['tag:netguard-exempt'] is empty: give at least one value"),
    ({"tag:netguard-exempt": {"is": "true"}},
     "exclude_filters['tag:netguard-exempt'] {'is': 'true'} is not a filter value: give a string or a list of strings"),
])
def test_bad_exclude_filters_name_the_option_and_the_value(written, message):
    assert refused(exclude_filters=written, protocol="all", cidr="0.0.0.0/0", **BULK) == message
    with pytest.raises(NetguardAwsError) as raised:
        info_request(exclude_filters=written)
    assert raised.value.msg == message


@pytest.mark.parametrize("kwargs, args, message", [
    (MODULE_KWARGS, dict(group_id=GROUP), "parameters are mutually exclusive: group_id|exclude_filters"),
    (MODULE_KWARGS, dict(group_name="web"), "parameters are mutually exclusive: group_name|exclude_filters"),
    (MODULE_KWARGS, dict(), "one of the following is required: group_id, group_name, filters, event"),
    (INFO_KWARGS, dict(group_id=[GROUP]), "parameters are mutually exclusive: group_id|exclude_filters"),
    (INFO_KWARGS, dict(group_name="web"), "parameters are mutually exclusive: group_name|exclude_filters"),
])
def test_exclude_filters_only_leave_groups_out_of_a_selection_of_many(kwargs, args, message):
    arguments = dict(args, exclude_filters={"tag:netguard-exempt": "true"}, protocol="all", cidr="0.0.0.0/0")
    assert message in ArgumentSpecValidator(**kwargs).validate(arguments).error_messages


# ----- event ----------------------------------------------------------------------------------------------------

EVENT_GROUP = "sg-0000000000000000e"
EVENT_VPC = "vpc-0000000000000000e"


def authorize_record(region="ap-south-1"):
    return {"eventName": "AuthorizeSecurityGroupEgress", "eventSource": "ec2.amazonaws.com", "awsRegion": region,
            "eventID": "e-9", "requestParameters": {"groupId": EVENT_GROUP}, "responseElements": {
                "securityGroupRuleSet": {"items": [{"securityGroupRuleId": "sgr-0000000000000000e", "isEgress": True}]}}}


def test_an_event_names_the_group_the_region_and_the_rules_each_with_the_policy():
    request, _warnings = parse(group_id=None, event=authorize_record(), rule_filters={"protocol": "all"},
                               keep=[{"protocol": "tcp", "ports_within": 443}])
    assert request.event.id == "e-9" and request.connection.region == "ap-south-1"
    assert (request.target.group_ids, request.target.group_name, request.target.vpc_id) == ((EVENT_GROUP,), None, None)
    choice, = request.change.selector.choices
    assert [predicate.rule_id for predicate in choice.predicates] == ["sgr-0000000000000000e", None]
    assert choice.predicates[1].protocols == frozenset(["-1"])
    assert [item.predicate.ports_within for item in request.change.selector.keep] == [((443, 443),)]
    assert not request.target.bulk and request.change.removes


def test_an_ipv6_block_names_the_default_group_of_its_vpc_and_region_wins_over_the_events():
    record = {"eventName": "AssociateVpcCidrBlock", "eventSource": "ec2.amazonaws.com", "awsRegion": "eu-north-1",
              "requestParameters": {"vpcId": EVENT_VPC, "amazonProvidedIpv6CidrBlock": True}}
    request, _warnings = parse(group_id=None, event=record, region="us-west-2")
    assert (request.target.group_ids, request.target.group_name, request.target.vpc_id) == (None, "default", EVENT_VPC)
    assert request.connection.region == "us-west-2"
    assert [choice.predicates[0].destinations for choice in request.change.selector.choices] == [
        (frozenset([("cidr_ipv6", "::/0")]),)]
    assert parse(group_id=None, event=dict(record, awsRegion=None))[0].connection.region is None


def test_an_event_region_that_is_no_region_is_refused():
    with pytest.raises(NetguardAwsError) as error:
        parse(group_id=None, event=authorize_record("Moon-1"))
    assert error.value.msg == "event's awsRegion 'Moon-1' is not an AWS region name such as us-east-1 or eu-west-3"


def test_without_an_event_there_is_none_and_the_events_options_are_its_alone():
    assert parse(revoke_all=True)[0].event is None
    for option, value in (("filters", {"vpc-id": "vpc-0123456789abcdef0"}), ("revoke_all", True),
                          ("security_group_rule_ids", ["sgr-0123456789abcdef0"]), ("protocol", "all"),
                          ("regions", ["us-east-1"])):
        with pytest.raises(AssertionError) as error:
            parse(group_id=None, event=authorize_record(), **{option: value})
        assert "parameters are mutually exclusive: event|%s" % option in str(error.value)


# ----- replace_with in the request ------------------------------------------------------------------------------

def test_replace_with_rules_are_what_the_change_adds_and_observed_needs_traffic():
    request, _warnings = parse(protocol="all", cidr="0.0.0.0/0", replace_with=[
        {"ip_protocol": "tcp", "from_port": 443, "to_port": 443, "ip_ranges": [{"cidr_ip": "10.0.0.0/8"}]}])
    change = request.change
    assert [item.requested.rule for item in change.additions] == [item.requested.rule for item in change.replace.rules]
    assert [(rule.protocol, rule.from_port, rule.destination) for rule in (
        item.requested.rule for item in change.additions)] == [("tcp", 443, "10.0.0.0/8")]
    assert parse(protocol="all", cidr="0.0.0.0/0")[0].change.additions == ()
    assert parse(protocol="all", cidr="0.0.0.0/0")[0].change.replace is None
    with pytest.raises(NetguardAwsError) as error:
        parse(protocol="all", cidr="0.0.0.0/0", replace_with="observed")
    assert error.value.msg == ("replace_with: observed needs traffic, the window of flow logs whose flows the new rules "
                               "must allow, such as traffic: {days: 30}")
    assert parse(protocol="all", cidr="0.0.0.0/0", replace_with="observed",
                 traffic={"days": 30})[0].change.replace.observed is not None


def test_replace_with_warns_of_what_it_canonicalised():
    _request, warnings = parse(protocol="all", cidr="0.0.0.0/0", replace_with=[
        {"ip_protocol": "tcp", "from_port": 443, "to_port": 443, "ip_ranges": [{"cidr_ip": "10.1.5.5/16"}]}])
    assert any("'10.1.5.5/16' was canonicalised to '10.1.0.0/16'" in warning for warning in warnings), warnings
