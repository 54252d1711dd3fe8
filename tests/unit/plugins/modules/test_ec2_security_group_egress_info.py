"""ec2_security_group_egress_info against moto's in-process EC2: results and API calls."""

import pytest

from ansible_collections.netguard.aws.plugins.modules import ec2_security_group_egress_info

from ....support.seed import seed_fleet, seed_web_group


@pytest.fixture
def run_info(run_module):
    def run(check_mode=False, **args):
        return run_module(check_mode=check_mode, module=ec2_security_group_egress_info, **args)
    return run


def operations(api_calls):
    return [name for name, _params in api_calls]


def group_ids_of(result):
    return [group["group_id"] for group in result["security_groups"]]


def test_info_over_200_groups_takes_a_handful_of_calls(ec2, api_calls, run_info):
    vpc_id, group_ids = seed_fleet(ec2, 200, tags={"env": "prod"})
    result = run_info(filters={"tag:env": "prod"})
    assert result["changed"] is False
    assert sorted(group_ids_of(result)) == sorted(group_ids)
    assert operations(api_calls) == ["DescribeSecurityGroups", "DescribeSecurityGroupRules"]
    group = next(group for group in result["security_groups"] if group["group_id"] == group_ids[0])
    assert group["group_name"] == "app-000" and group["vpc_id"] == vpc_id
    assert sorted(rule["display"].split("  ", 1)[1] for rule in group["egress_rules"]) == [
        "all  -> 0.0.0.0/0", "tcp 443  -> 10.0.0.0/8"]
    assert all(rule["display"].startswith(rule["security_group_rule_id"] + "  ") for rule in group["egress_rules"])


def test_whole_region_reads_all_rules_without_a_group_filter(ec2, api_calls, run_info):
    seed_fleet(ec2, 30)
    result = run_info()
    assert len(result["security_groups"]) >= 31
    assert operations(api_calls) == ["DescribeSecurityGroups", "DescribeSecurityGroupRules"]
    assert "Filters" not in api_calls[1][1]


def test_rule_filter_finds_every_rule_open_to_the_world(ec2, run_info):
    ids = seed_web_group(ec2)
    result = run_info(cidr=["0.0.0.0/0", "::/0"], filters={"vpc-id": ids["vpc_id"]})
    found = dict((group["group_id"], sorted(rule["security_group_rule_id"] for rule in group["egress_rules"]))
                 for group in result["security_groups"])
    rules = ids["rules"]
    assert found[ids["group_id"]] == sorted([rules["all-0.0.0.0/0"], rules["all-::/0"], rules["tcp-25-0.0.0.0/0"]])
    assert set(found) == {ids["group_id"], ids["db_group_id"]} | (set(found) - {ids["group_id"], ids["db_group_id"]})
    assert all(group["egress_rules"] for group in result["security_groups"]), "groups without matches are left out"


@pytest.mark.parametrize("rule_filter, labels", [
    (dict(protocol="6"), ["tcp-25-0.0.0.0/0", "tcp-443-10.1.0.0/16", "tcp-5432-group"]),
    (dict(protocol="tcp", port="443"), ["tcp-443-10.1.0.0/16"]),
    (dict(protocol="icmp", port=8), ["icmp-8-10.0.0.0/8"]),
    (dict(cidr="10.1.5.5/16"), ["tcp-443-10.1.0.0/16"]),
    (dict(destination_group="db"), ["tcp-5432-group"]),
    (dict(protocol="udp", prefix_list_id="PREFIX"), ["udp-53-prefix-list"]),
])
def test_rule_filters_compare_like_the_revoke_module(ec2, run_info, rule_filter, labels):
    ids = seed_web_group(ec2)
    if rule_filter.get("prefix_list_id") == "PREFIX":
        rule_filter["prefix_list_id"] = ids["prefix_list_id"]
    result = run_info(group_id=[ids["group_id"]], **rule_filter)
    assert group_ids_of(result) == [ids["group_id"]]
    found = sorted(rule["security_group_rule_id"] for rule in result["security_groups"][0]["egress_rules"])
    assert found == sorted(ids["rules"][label] for label in labels)


def test_group_ids_keep_their_order_and_a_missing_one_is_an_error(ec2, run_info):
    _vpc_id, group_ids = seed_fleet(ec2, 3)
    assert group_ids_of(run_info(group_id=group_ids[::-1])) == group_ids[::-1]
    result = run_info(group_id=[group_ids[0], "sg-0123456789abcdef0"])
    assert result["failed"] is True
    assert result["msg"] == "security group sg-0123456789abcdef0 does not exist in us-east-1"


def test_group_by_name_and_by_tag(ec2, run_info):
    ids = seed_web_group(ec2)
    assert group_ids_of(run_info(group_name="web", vpc_id=ids["vpc_id"])) == [ids["group_id"]]
    _vpc_id, tagged = seed_fleet(ec2, 2, tags={"env": "prod"})
    assert sorted(group_ids_of(run_info(filters={"tag:env": ["prod"]}))) == sorted(tagged)


def test_check_mode_gives_the_same_answer(ec2, api_calls, run_info):
    vpc_id, _group_ids = seed_fleet(ec2, 3)
    assert run_info(check_mode=True, filters={"vpc-id": vpc_id}) == run_info(filters={"vpc-id": vpc_id})


@pytest.mark.parametrize("args, message", [
    (dict(port=443), "missing parameter(s) required by 'port': protocol"),
    (dict(group_id=["sg-1"]), "group_id[0] 'sg-1' is not a security group ID"),
    (dict(group_id=[]), "group_id is empty"),
    (dict(cidr="0.0.0.0/33"), "cidr '0.0.0.0/33' is not a valid IPv4 or IPv6 CIDR block"),
    (dict(protocol="tcp", port="99999"), "port '99999' is out of range"),
    (dict(filters=["vpc-id"]), "filters ['vpc-id'] is not a dictionary of filter names and values"),
    (dict(group_name="web", filters={"vpc-id": "vpc-1"}), "parameters are mutually exclusive"),
])
def test_bad_input_fails_before_any_api_call(ec2, api_calls, run_info, args, message):
    result = run_info(**args)
    assert result["failed"] is True and message in result["msg"]
    assert api_calls == []
