"""The module end to end against moto's in-process EC2: endpoint state, results, API calls."""

import importlib.util
import uuid

import botocore
import pytest
from ansible.module_utils.common.parameters import PASS_VARS

from ansible_collections.netguard.aws.plugins.module_utils import ec2 as ec2_module_utils


CONTROLLER_MASKS_SECRETS = importlib.util.find_spec("ansible.module_utils.secrets") is not None

DESCRIBE = "DescribeSecurityGroupRules"
REVOKE = "RevokeSecurityGroupEgress"


def warnings(result):
    """Warning texts; ansible-core 2.19 returns each as a structured event."""
    return [warning if isinstance(warning, str) else warning["event"]["msg"] for warning in result.get("warnings", [])]


def rules_of(ec2, group_id, egress=True):
    described = ec2.describe_security_group_rules(Filters=[{"Name": "group-id", "Values": [group_id]}])
    return {rule["SecurityGroupRuleId"]: rule for rule in described["SecurityGroupRules"]
            if rule["IsEgress"] == egress}


def rule_identity(rule):
    """What a rule is, apart from its ID: to compare rule sets across revoke and restore."""
    destination = rule.get("CidrIpv4") or rule.get("CidrIpv6") or rule.get("PrefixListId") \
        or rule["ReferencedGroupInfo"]["GroupId"]
    return rule["IpProtocol"], rule["FromPort"], rule["ToPort"], destination, rule.get("Description")


def find(rules, **properties):
    found = [rule_id for rule_id, rule in rules.items()
             if all(rule.get(key) == value for key, value in properties.items())]
    assert len(found) == 1, (properties, rules)
    return found[0]


def test_removal_changes_the_endpoint_in_two_calls_and_a_rerun_in_one(ec2, groups, api_calls, run_module):
    web = groups["web"]
    before = rules_of(ec2, web)
    https = find(before, CidrIpv4="10.1.0.0/16")

    result = run_module(group_id=web, protocol="tcp", port=443, cidr="10.1.0.0/16")

    assert result["changed"] is True
    assert [rule["security_group_rule_id"] for rule in result["revoked_rules"]] == [https]
    assert result["revoked_rules"][0] == {"security_group_rule_id": https, "ip_protocol": "tcp", "from_port": 443,
                                          "to_port": 443, "cidr_ipv4": "10.1.0.0/16", "description": "web",
                                          "tags": {}}
    after = rules_of(ec2, web)
    assert set(after) == set(before) - {https}
    assert sorted(rule["security_group_rule_id"] for rule in result["egress_rules"]) == sorted(after)
    assert rules_of(ec2, web, egress=False), "ingress rules are untouched"
    assert [name for name, _params in api_calls] == [DESCRIBE, REVOKE]
    assert api_calls[0][1]["Filters"] == [{"Name": "group-id", "Values": [web]}]
    assert api_calls[1][1] == {"GroupId": web, "SecurityGroupRuleIds": [https], "DryRun": False}

    del api_calls[:]
    rerun = run_module(group_id=web, protocol="tcp", port=443, cidr="10.1.0.0/16")
    assert rerun["changed"] is False
    assert rerun["revoked_rules"] == [] and rerun["revoked_ip_permissions"] == []
    assert rerun["unmatched"] == [{"ip_protocol": "tcp", "from_port": 443, "to_port": 443,
                                   "cidr_ipv4": "10.1.0.0/16"}]
    assert [name for name, _params in api_calls] == [DESCRIBE]


def test_check_mode_sends_a_dry_run_and_removes_nothing(ec2, groups, api_calls, run_module):
    web = groups["web"]
    before = rules_of(ec2, web)
    everything_v6 = find(before, CidrIpv6="::/0")

    result = run_module(check_mode=True, group_id=web, protocol="all", cidr="::/0")

    assert result["changed"] is True
    assert [rule["security_group_rule_id"] for rule in result["revoked_rules"]] == [everything_v6]
    assert everything_v6 not in [rule["security_group_rule_id"] for rule in result["egress_rules"]]
    assert rules_of(ec2, web) == before
    assert [name for name, _params in api_calls] == [DESCRIBE, REVOKE]
    assert api_calls[1][1]["DryRun"] is True


def test_check_mode_with_nothing_to_revoke_makes_no_revoke_call(ec2, groups, api_calls, run_module):
    result = run_module(check_mode=True, group_id=groups["web"], protocol="tcp", port=25, cidr="0.0.0.0/0")
    assert result["changed"] is False
    assert [name for name, _params in api_calls] == [DESCRIBE]


@pytest.mark.parametrize("args, message", [
    (dict(protocol="tcp", port="70000", cidr="10.0.0.0/8"), "port '70000' is out of range"),
    (dict(protocol="all", port=22, cidr="10.0.0.0/8"), "port 22 is not allowed with protocol all"),
    (dict(protocol="tcp", cidr="10.0.0.0/33"), "cidr '10.0.0.0/33' is not a valid IPv4 or IPv6 CIDR block"),
    (dict(protocol="gre", cidr="10.0.0.0/8"), "protocol 'gre' is not a protocol"),
    (dict(rule_ids=["sgr-1"]), "security_group_rule_ids[0] 'sgr-1' is not a security group rule ID"),
    (dict(revoke_all=True, protocol="tcp"), "parameters are mutually exclusive: revoke_all|protocol"),
    (dict(port=22), "missing parameter(s) required by 'port': protocol"),
    (dict(ip_permissions=[{"IpProtocol": "tcp", "FromPort": 1, "ToPort": 2}]), "ip_permissions[0] has no destination"),
])
def test_bad_input_fails_before_any_api_call(ec2, groups, api_calls, run_module, args, message):
    before = rules_of(ec2, groups["web"])
    result = run_module(group_id=groups["web"], **args)
    assert result["failed"] is True
    assert message in result["msg"]
    assert "Traceback" not in str(result)
    assert api_calls == []
    assert rules_of(ec2, groups["web"]) == before


def test_malformed_group_id_fails_before_any_api_call(ec2, api_calls, run_module):
    result = run_module(group_id="sg-12", revoke_all=True)
    assert result["msg"].startswith("group_id 'sg-12' is not a security group ID")
    assert api_calls == []


def test_restoring_revoked_ip_permissions_gives_back_the_original_rules(ec2, groups, run_module):
    web = groups["web"]
    original = sorted(rule_identity(rule) for rule in rules_of(ec2, web).values())

    result = run_module(group_id=web, revoke_all=True)
    assert result["changed"] is True and result["egress_rules"] == []
    assert rules_of(ec2, web) == {}

    ec2.authorize_security_group_egress(GroupId=web, IpPermissions=result["revoked_ip_permissions"])
    assert sorted(rule_identity(rule) for rule in rules_of(ec2, web).values()) == original


def test_revoke_all_leaves_ingress_rules(ec2, groups, run_module):
    ingress = rules_of(ec2, groups["web"], egress=False)
    result = run_module(group_id=groups["web"], revoke_all=True)
    assert len(result["revoked_rules"]) == 8
    assert rules_of(ec2, groups["web"], egress=False) == ingress


def test_every_rule_form_matches_its_rule(ec2, groups, run_module):
    web, db = groups["web"], groups["db"]
    rules = rules_of(ec2, web)
    result = run_module(group_id=web, rule_ids=[find(rules, IpProtocol="50")], ip_permissions=[
        {"IpProtocol": "6", "FromPort": 443, "ToPort": 443, "Ipv6Ranges": [{"CidrIpv6": "2001:DB8:0::/32"}]},
        {"ip_protocol": "TCP", "from_port": 5432, "to_port": 5432, "user_id_group_pairs": [{"group_name": "db"}]},
        {"ip_protocol": 17, "from_port": 53, "to_port": 53,
         "prefix_list_ids": [{"prefix_list_id": groups["prefix_list_id"]}]},
        {"ip_protocol": "icmp", "from_port": 8, "to_port": -1, "ip_ranges": [{"cidr_ip": "10.0.0.0/8"}]},
    ])
    expected = {find(rules, IpProtocol="50"), find(rules, CidrIpv6="2001:db8::/32"),
                find(rules, ReferencedGroupInfo={"GroupId": db, "UserId": "123456789012"}),
                find(rules, PrefixListId=groups["prefix_list_id"]), find(rules, IpProtocol="icmp")}
    assert set(rule["security_group_rule_id"] for rule in result["revoked_rules"]) == expected
    assert set(rules_of(ec2, web)) == set(rules) - expected
    assert result["unmatched"] == []
    assert warnings(result) == [
        "ip_permissions[0].ipv6_ranges[0].cidr_ipv6 '2001:DB8:0::/32' was canonicalised to '2001:db8::/32', "
        "the form AWS stores"]


def test_shorthand_with_destination_group_name_and_prefix_list(ec2, groups, api_calls, run_module):
    web = groups["web"]
    rules = rules_of(ec2, web)
    run_module(group_id=web, protocol="tcp", port=5432, source_group="db")
    run_module(group_id=web, protocol="udp", port="53", prefix_list_id=groups["prefix_list_id"])
    left = rules_of(ec2, web)
    assert find(rules, PrefixListId=groups["prefix_list_id"]) not in left
    assert len(left) == len(rules) - 2
    # The group name costs a lookup of the target's VPC and one of the name in it.
    assert [name for name, _params in api_calls[:4]] == [
        "DescribeSecurityGroups", "DescribeSecurityGroups", DESCRIBE, REVOKE]


def test_icmp_type_only_matches_every_code_of_that_type(ec2, groups, run_module):
    result = run_module(group_id=groups["web"], protocol="1", port=8, cidr="10.0.0.0/8")
    assert [rule["ip_protocol"] for rule in result["revoked_rules"]] == ["icmp"]
    assert run_module(group_id=groups["web"], protocol="icmp", port="8-0", cidr="10.0.0.0/8")["changed"] is False


def test_non_canonical_cidr_stored_by_the_endpoint_still_matches(ec2, vpc, run_module):
    group = ec2.create_security_group(GroupName="odd", Description="odd", VpcId=vpc)["GroupId"]
    ec2.authorize_security_group_egress(GroupId=group, IpPermissions=[
        {"IpProtocol": "tcp", "FromPort": 22, "ToPort": 22, "IpRanges": [{"CidrIp": "10.1.5.5/16"}]}])
    result = run_module(group_id=group, protocol="tcp", port=22, cidr="10.1.0.0/16")
    assert result["changed"] is True
    assert "10.1.5.5/16" not in str(rules_of(ec2, group))


def test_partial_match_reports_what_matched_nothing(ec2, groups, run_module):
    web = groups["web"]
    ingress_rule = next(iter(rules_of(ec2, web, egress=False)))
    db_rule = next(iter(rules_of(ec2, groups["db"])))
    result = run_module(group_id=web, rule_ids=[ingress_rule, db_rule], protocol="tcp", port="443",
                        cidr=["10.1.0.0/16", "10.9.0.0/16"])
    assert len(result["revoked_rules"]) == 1
    assert result["unmatched"] == [
        {"security_group_rule_id": ingress_rule},
        {"security_group_rule_id": db_rule},
        {"ip_protocol": "tcp", "from_port": 443, "to_port": 443, "cidr_ipv4": "10.9.0.0/16"},
    ]
    assert any(ingress_rule in warning and "ingress rule" in warning for warning in warnings(result))
    assert ingress_rule in rules_of(ec2, web, egress=False)
    assert db_rule in rules_of(ec2, groups["db"])


def test_default_allow_all_egress_rule_is_removed(ec2, vpc, run_module):
    group = ec2.create_security_group(GroupName="fresh", Description="fresh", VpcId=vpc)["GroupId"]
    assert [rule["CidrIpv4"] for rule in rules_of(ec2, group).values()] == ["0.0.0.0/0"]
    result = run_module(group_id=group, protocol="all", cidr=["0.0.0.0/0", "::/0"])
    assert result["changed"] is True
    assert rules_of(ec2, group) == {}
    assert result["unmatched"] == [{"ip_protocol": "-1", "from_port": -1, "to_port": -1, "cidr_ipv6": "::/0"}]


def test_group_by_name(ec2, groups, api_calls, run_module):
    result = run_module(group_name="web", vpc_id=groups["vpc"], protocol="tcp", port=443, cidr="10.1.0.0/16")
    assert result["group_id"] == groups["web"] and result["changed"] is True
    assert [name for name, _params in api_calls] == ["DescribeSecurityGroups", DESCRIBE, REVOKE]
    assert api_calls[0][1]["Filters"] == [{"Name": "group-name", "Values": ["web"]},
                                          {"Name": "vpc-id", "Values": [groups["vpc"]]}]


def test_group_name_in_two_vpcs_is_an_error_naming_both(ec2, groups, api_calls, run_module):
    other_vpc = ec2.create_vpc(CidrBlock="10.9.0.0/16")["Vpc"]["VpcId"]
    twin = ec2.create_security_group(GroupName="web", Description="web", VpcId=other_vpc)["GroupId"]
    result = run_module(group_name="web", revoke_all=True)
    assert result["failed"] is True
    assert result["msg"].startswith("group_name 'web' matches 2 security groups: ")
    assert "%s (%s)" % (groups["web"], groups["vpc"]) in result["msg"] and "%s (%s)" % (twin, other_vpc) in result["msg"]
    assert [name for name, _params in api_calls] == ["DescribeSecurityGroups"]


def test_group_name_with_no_match_is_an_error(ec2, groups, run_module):
    result = run_module(group_name="nope", vpc_id=groups["vpc"], revoke_all=True)
    assert result["msg"] == "group_name 'nope': no security group has that name in %s" % groups["vpc"]


def test_unknown_group_is_an_error_not_a_silent_no_op(ec2, api_calls, run_module):
    result = run_module(group_id="sg-0123456789abcdef0", protocol="all", cidr="0.0.0.0/0")
    assert result["failed"] is True
    assert result["msg"] == "security group sg-0123456789abcdef0 does not exist in us-east-1"
    assert [name for name, _params in api_calls] == [DESCRIBE, "DescribeSecurityGroups"]


def test_empty_group_is_not_mistaken_for_a_missing_one(ec2, vpc, run_module):
    group = ec2.create_security_group(GroupName="bare", Description="bare", VpcId=vpc)["GroupId"]
    run_module(group_id=group, revoke_all=True)
    result = run_module(group_id=group, revoke_all=True)
    assert result["changed"] is False and "failed" not in result


def test_diff_shows_the_removed_lines(ec2, groups, run_module):
    result = run_module(diff=True, group_id=groups["web"], protocol="tcp", port=443, cidr="10.1.0.0/16")
    before, after = result["diff"]["before"].splitlines(), result["diff"]["after"].splitlines()
    removed = [line for line in before if line not in after]
    assert len(removed) == 1 and removed[0].endswith('tcp 443  -> 10.1.0.0/16  "web"')
    assert len(before) == 8 and len(after) == 7 and after == sorted(after)


def test_credentials_are_masked_in_the_result(ec2, groups, run_module):
    """Masked in the result or, from ansible-core 2.22 on, named to the controller, which masks them everywhere."""
    # ansible-core 2.21 and later add invocation only when asked (its INJECT_INVOCATION setting).
    inject = {"_ansible_inject_invocation": True} if "inject_invocation" in PASS_VARS else {}
    # Secrets this process has not seen yet: ansible-core 2.22 names to the controller only new ones.
    access_key, secret_key = "AKID%s" % uuid.uuid4().hex.upper(), uuid.uuid4().hex
    result = run_module(group_id=groups["web"], protocol="tcp", port=443, cidr="10.1.0.0/16", access_key=access_key,
                        secret_key=secret_key, **inject)
    assert result["changed"] is True
    if CONTROLLER_MASKS_SECRETS:
        assert {access_key, secret_key} <= set(result["_ansible_new_secrets"])
    else:
        invocation = result["invocation"]["module_args"]
        assert access_key not in str(result) and secret_key not in str(result)
        assert invocation["secret_key"] == invocation["access_key"] == "VALUE_SPECIFIED_IN_NO_LOG_PARAMETER"


@pytest.mark.parametrize("environment, args, message", [
    ({"AWS_REGION": None}, {}, "no AWS region is set: give region, or set AWS_REGION, or a region in the profile"),
    ({"AWS_ACCESS_KEY_ID": None, "AWS_SECRET_ACCESS_KEY": None}, {"endpoint_url": "http://127.0.0.1:9"},
     "no AWS credentials found"),
    ({}, {"profile": "missing", "access_key": None}, "profile 'missing' is not in the AWS config or credentials files"),
    ({}, {"endpoint_url": "http://127.0.0.1:9", "aws_config": {"retries": {"max_attempts": 1}}},
     "cannot reach the EC2 endpoint: Could not connect to the endpoint URL"),
    ({}, {"endpoint_url": "not a url"}, "endpoint_url 'not a url' is not a valid URL"),
    ({}, {"aws_config": {"no_such_setting": 1}}, "aws_config"),
])
def test_connection_problems_are_one_clear_line(monkeypatch, aws_environment, run_module, environment, args, message):
    for name, value in environment.items():
        if value is None:
            monkeypatch.delenv(name, raising=False)
        else:
            monkeypatch.setenv(name, value)
    result = run_module(group_id="sg-0123456789abcdef0", revoke_all=True,
                        **dict((key, value) for key, value in args.items() if value is not None))
    assert result["failed"] is True
    assert message in result["msg"]
    assert "\n" not in result["msg"] and "Traceback" not in str(result)


def test_old_botocore_is_refused_with_a_clear_message(monkeypatch, aws_environment, run_module):
    monkeypatch.setattr(botocore, "__version__", "1.34.0")
    result = run_module(group_id="sg-0123456789abcdef0", revoke_all=True)
    assert result["msg"].startswith("botocore 1.34.0 on ")
    assert "botocore>=1.35.52 and boto3>=1.35.52" in result["msg"]


def test_missing_botocore_is_reported_as_a_missing_library(monkeypatch, aws_environment, api_calls, run_module):
    monkeypatch.setattr(ec2_module_utils, "HAS_BOTOCORE", False)
    result = run_module(group_id="sg-0123456789abcdef0", revoke_all=True)
    assert result["msg"].startswith("Failed to import the required Python library (botocore>=1.35.52 (install "
                                    "boto3>=1.35.52)) on ")
    assert api_calls == []
