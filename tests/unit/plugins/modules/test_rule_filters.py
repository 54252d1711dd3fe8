"""rule_filters and keep in both modules against moto's in-process EC2: state, results, diff and API calls."""

import pytest
from botocore.client import BaseClient

from ansible_collections.netguard.aws.plugins.modules import ec2_security_group_egress_info

from ....support.seed import egress_rules, egress_rules_by_group, label_of, seed_fleet, seed_web_group

DESCRIBE_RULES = "DescribeSecurityGroupRules"
REVOKE = "RevokeSecurityGroupEgress"
OPEN_TO_THE_WORLD = {"destination_covers": ["0.0.0.0/0", "::/0"]}
KEEP_HTTPS = [{"protocol": "tcp", "allows_port": 443}]


@pytest.fixture
def web(ec2):
    return seed_web_group(ec2)


def labels(ec2, group_id):
    return set(label_of(rule) for rule in egress_rules(ec2, group_id).values())


def warnings(result):
    """Warning texts; ansible-core 2.19+ returns each as a dict."""
    return [warning if isinstance(warning, str) else warning["event"]["msg"] for warning in result.get("warnings", [])]


def operations(api_calls):
    return [name for name, _params in api_calls]


def revoked_labels(result):
    return set(label_of(dict((key, value) for key, value in [
        ("IpProtocol", rule["ip_protocol"]), ("FromPort", rule["from_port"]), ("CidrIpv4", rule.get("cidr_ipv4")),
        ("CidrIpv6", rule.get("cidr_ipv6")), ("PrefixListId", rule.get("prefix_list_id"))])) for rule in result["revoked_rules"])


def test_open_to_the_world_except_https_in_two_calls(ec2, web, api_calls, run_module):
    ec2.authorize_security_group_egress(GroupId=web["group_id"], IpPermissions=[
        {"IpProtocol": "tcp", "FromPort": 443, "ToPort": 443, "IpRanges": [{"CidrIp": "0.0.0.0/0"}]}])
    https_anywhere = next(rule_id for rule_id, rule in egress_rules(ec2, web["group_id"]).items()
                          if rule.get("CidrIpv4") == "0.0.0.0/0" and rule["IpProtocol"] == "tcp" and rule["FromPort"] == 443)

    result = run_module(group_id=web["group_id"], rule_filters=OPEN_TO_THE_WORLD, keep=KEEP_HTTPS)

    assert result["changed"] is True
    assert revoked_labels(result) == {"all-0.0.0.0/0", "all-::/0", "tcp-25-0.0.0.0/0"}
    assert [(item["rule"]["security_group_rule_id"], item["kept_by"]) for item in result["kept"]] == [(https_anywhere, 0)]
    assert https_anywhere in egress_rules(ec2, web["group_id"])
    assert labels(ec2, web["group_id"]) == {"tcp-443-10.1.0.0/16", "icmp-8-10.0.0.0/8", "tcp-5432-group",
                                            "udp-53-prefix-list", "tcp-443-0.0.0.0/0"}
    assert operations(api_calls) == [DESCRIBE_RULES, "GetManagedPrefixListEntries", REVOKE], \
        "a CIDR predicate reads the entries of the group's prefix list, and nothing else"
    assert warnings(result) == []

    del api_calls[:]
    again = run_module(group_id=web["group_id"], rule_filters=OPEN_TO_THE_WORLD, keep=KEEP_HTTPS)
    assert again["changed"] is False and operations(api_calls) == [DESCRIBE_RULES, "GetManagedPrefixListEntries"]


def test_check_mode_and_diff_show_what_would_go_and_what_keep_saved(ec2, web, api_calls, run_module):
    before = egress_rules(ec2, web["group_id"])
    result = run_module(group_id=web["group_id"], rule_filters={"destination_within": ["10.0.0.0/8"]},
                        keep=[web["rules"]["icmp-8-10.0.0.0/8"]], check_mode=True, diff=True)

    assert result["changed"] is True
    assert revoked_labels(result) == {"tcp-443-10.1.0.0/16"}
    assert [item["rule"]["security_group_rule_id"] for item in result["kept"]] == [web["rules"]["icmp-8-10.0.0.0/8"]]
    kept_line = "%s  icmp 8  -> 10.0.0.0/8  (kept by keep[0])" % web["rules"]["icmp-8-10.0.0.0/8"]
    assert kept_line in result["diff"]["before"] and kept_line in result["diff"]["after"]
    assert web["rules"]["tcp-443-10.1.0.0/16"] not in result["diff"]["after"]
    assert api_calls[-1] == (REVOKE, {"GroupId": web["group_id"], "SecurityGroupRuleIds": [web["rules"]["tcp-443-10.1.0.0/16"]],
                                      "DryRun": True})
    assert egress_rules(ec2, web["group_id"]) == before


def test_rules_tagged_temporary_go_and_come_back_with_their_tags(ec2, web, run_module):
    ec2.authorize_security_group_egress(GroupId=web["group_id"], IpPermissions=[
        {"IpProtocol": "tcp", "FromPort": 8080, "ToPort": 8080, "IpRanges": [{"CidrIp": "10.9.0.0/16"}]}],
        TagSpecifications=[{"ResourceType": "security-group-rule", "Tags": [{"Key": "temporary", "Value": "true"}]}])

    result = run_module(group_id=web["group_id"], rule_filters={"tags": {"temporary": True}})

    assert revoked_labels(result) == {"tcp-8080-10.9.0.0/16"}
    assert result["revoked_rules"][0]["tags"] == {"temporary": "true"}
    assert all(rule["tags"] == {} for rule in result["egress_rules"])
    assert "tcp-8080-10.9.0.0/16" not in labels(ec2, web["group_id"])


def test_rule_filters_add_up_with_the_other_selectors(ec2, web, run_module):
    result = run_module(group_id=web["group_id"], protocol="icmp", port=8, cidr="10.0.0.0/8",
                        rule_ids=[web["rules"]["udp-53-prefix-list"]], rule_filters={"description": "smtp"})
    assert revoked_labels(result) == {"icmp-8-10.0.0.0/8", "udp-53-prefix-list", "tcp-25-0.0.0.0/0"}


def test_destination_group_by_name_costs_its_lookup(ec2, web, api_calls, run_module):
    result = run_module(group_id=web["group_id"], rule_filters={"destination_group": "db", "allows_port": 5432})
    assert [rule["security_group_rule_id"] for rule in result["revoked_rules"]] == [web["rules"]["tcp-5432-group"]]
    assert operations(api_calls) == ["DescribeSecurityGroups", "DescribeSecurityGroups", DESCRIBE_RULES, REVOKE]


def test_revoke_all_with_keep_locks_down_everything_except(ec2, web, run_module):
    result = run_module(group_id=web["group_id"], revoke_all=True, keep=[{"prefix_list_id": web["prefix_list_id"]}])
    assert labels(ec2, web["group_id"]) == {"udp-53-prefix-list"}
    assert len(result["revoked_rules"]) == 6


def test_keep_without_protocol_keeps_the_allow_all_rule_and_warns(ec2, web, run_module):
    result = run_module(group_id=web["group_id"], rule_filters={"destination_covers": ["0.0.0.0/0"]},
                        keep=[{"allows_port": 443}])
    assert labels(ec2, web["group_id"]) >= {"all-0.0.0.0/0"}
    assert revoked_labels(result) == {"tcp-25-0.0.0.0/0"}
    rule_id = web["rules"]["all-0.0.0.0/0"]
    assert any(warning.startswith("keep[0] 'allows_port=443' kept %s (every protocol -> 0.0.0.0/0)" % rule_id)
               for warning in warnings(result))


def test_max_revoked_rules_counts_what_remains_after_keep(ec2, web, api_calls, run_module):
    allowed = run_module(group_id=web["group_id"], rule_filters=OPEN_TO_THE_WORLD, keep=[{"protocol": "all"}],
                         max_revoked_rules=1)
    assert allowed["changed"] is True and revoked_labels(allowed) == {"tcp-25-0.0.0.0/0"}

    del api_calls[:]
    refused = run_module(group_id=web["group_id"], revoke_all=True, keep=[{"protocol": "icmp"}], max_revoked_rules=3)
    assert refused["failed"] is True
    assert refused["msg"].startswith("5 egress rules in 1 security group would be revoked, more than max_revoked_rules=3")
    assert REVOKE not in operations(api_calls)


@pytest.mark.parametrize("args, message", [
    (dict(rule_filters={}), "rule_filters is empty"),
    (dict(rule_filters={"allows_port": 70000}), "rule_filters.allows_port 70000 is out of range"),
    (dict(rule_filters={"destination_within": ["10.0.0.0/99"]}), "rule_filters.destination_within[0] '10.0.0.0/99'"),
    (dict(rule_filters={"stale": False}), "rule_filters.stale False is not accepted"),
    (dict(rule_filters={"protocol": "tcp"}, keep=[{"bogus": 1}]), "keep[0] 'bogus' is not a predicate"),
    (dict(revoke_all=True, rule_filters={"protocol": "tcp"}), "parameters are mutually exclusive: revoke_all|rule_filters"),
    (dict(rule_filters={"port": 443}), "rule_filters 'port' is not a predicate"),
    (dict(keep=["sgr-0123456789abcdef0"]), "one of the following is required"),
])
def test_bad_input_fails_before_any_call(ec2, web, api_calls, run_module, args, message):
    before = egress_rules(ec2, web["group_id"])
    result = run_module(group_id=web["group_id"], **args)
    assert result["failed"] is True
    assert message in result["msg"], result["msg"]
    assert api_calls == []
    assert egress_rules(ec2, web["group_id"]) == before


def test_a_fleet_of_200_groups_keeps_the_bulk_call_counts(ec2, api_calls, run_module):
    vpc_id, group_ids = seed_fleet(ec2, 200, tags={"env": "prod"})
    result = run_module(filters={"tag:env": "prod"}, rule_filters={"destination_covers": ["0.0.0.0/0", "::/0"]},
                        keep=[{"protocol": "tcp", "allows_port": 443}])
    assert result["totals"] == {"groups": 200, "changed_groups": 200, "revoked_rules": 200, "authorized_rules": 0,
                                "failed_groups": 0}
    after = egress_rules_by_group(ec2)
    assert all(set(label_of(rule) for rule in after.get(group_id, {}).values()) == {"tcp-443-10.0.0.0/8"}
               for group_id in group_ids)
    assert all(group["kept"] == [] for group in result["groups"])
    # One describe pass (the groups, then their rules: 200 groups a call), one revoke per changed group.
    assert operations(api_calls) == ["DescribeSecurityGroups", DESCRIBE_RULES] + [REVOKE] * 200


@pytest.fixture
def stale_answer(monkeypatch, api_calls):
    """Answer DescribeStaleSecurityGroups, which moto lacks, as AWS would; other calls go to moto."""
    answers = {}
    recording = BaseClient._make_api_call

    def answering(client, operation_name, api_params):
        if operation_name == "DescribeStaleSecurityGroups":
            api_calls.append((operation_name, dict(api_params)))
            return {"StaleSecurityGroupSet": answers.get(api_params["VpcId"], [])}
        return recording(client, operation_name, api_params)

    monkeypatch.setattr(BaseClient, "_make_api_call", answering)
    return answers


def test_stale_takes_rules_to_groups_that_cannot_be_reached(ec2, web, api_calls, stale_answer, run_module):
    stale_answer[web["vpc_id"]] = [{"GroupId": web["group_id"], "VpcId": web["vpc_id"], "StaleIpPermissionsEgress": [
        {"IpProtocol": "tcp", "FromPort": 5432, "ToPort": 5432,
         "UserIdGroupPairs": [{"GroupId": web["db_group_id"], "PeeringStatus": "deleted"}]}]}]

    preview = run_module(group_id=web["group_id"], rule_filters={"stale": True}, check_mode=True)
    assert [rule["security_group_rule_id"] for rule in preview["revoked_rules"]] == [web["rules"]["tcp-5432-group"]]
    assert operations(api_calls) == ["DescribeSecurityGroups", "DescribeStaleSecurityGroups", DESCRIBE_RULES, REVOKE]
    assert api_calls[1][1]["VpcId"] == web["vpc_id"]

    info = run_module(module=ec2_security_group_egress_info, filters={"vpc-id": web["vpc_id"]}, rule_filters={"stale": True})
    assert [(group["group_id"], [rule["security_group_rule_id"] for rule in group["egress_rules"]])
            for group in info["security_groups"]] == [(web["group_id"], [web["rules"]["tcp-5432-group"]])]

    run_module(filters={"vpc-id": web["vpc_id"]}, rule_filters={"stale": True})
    assert labels(ec2, web["group_id"]) == {"all-0.0.0.0/0", "all-::/0", "tcp-443-10.1.0.0/16", "tcp-25-0.0.0.0/0",
                                            "icmp-8-10.0.0.0/8", "udp-53-prefix-list"}


def test_info_rule_filters_are_anded_with_the_shorthand_filters(ec2, web, run_module):
    result = run_module(module=ec2_security_group_egress_info, group_id=[web["group_id"]], protocol="tcp",
                        rule_filters={"destination_covers": ["0.0.0.0/0"]})
    assert [rule["security_group_rule_id"] for rule in result["security_groups"][0]["egress_rules"]] == [
        web["rules"]["tcp-25-0.0.0.0/0"]]
    nothing = run_module(module=ec2_security_group_egress_info, group_id=[web["group_id"]], protocol="udp",
                         rule_filters={"destination_covers": ["0.0.0.0/0"]})
    assert nothing["security_groups"] == []
