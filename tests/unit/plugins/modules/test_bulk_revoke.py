"""Bulk mode of ec2_security_group_egress_revoke against moto's in-process EC2: state, results, API calls."""

import pytest
from botocore.client import BaseClient
from botocore.exceptions import ClientError

from ....support.seed import egress_rules, egress_rules_by_group, seed_fleet

# Enough groups for several revokes to run at once (concurrency 8); the calls of a fleet past one describe call's 200
# groups are the first test's and test_describe_calls_take_200_groups_each's.
GROUPS = 12
FULL_FLEET = 200
ALL_TO_ANYWHERE = dict(protocol="all", cidr="0.0.0.0/0")


def seeded_fleet(ec2, count):
    """``count`` groups in one VPC, each with allow-all and HTTPS egress; one more group in another VPC."""
    vpc_id, group_ids = seed_fleet(ec2, count, tags={"env": "prod"})
    _other_vpc, (outsider,) = seed_fleet(ec2, 1)
    return vpc_id, group_ids, outsider


@pytest.fixture
def fleet(ec2):
    return seeded_fleet(ec2, GROUPS)


def calls_to(api_calls, operation):
    return [params for name, params in api_calls if name == operation]


def allow_all_rules(ec2, group_id):
    return [rule for rule in egress_rules(ec2, group_id).values() if rule["IpProtocol"] == "-1"]


def test_bulk_removes_the_rule_from_every_selected_group_in_one_describe_pass(ec2, api_calls, run_module):
    vpc_id, group_ids, outsider = seeded_fleet(ec2, FULL_FLEET)
    result = run_module(filters={"vpc-id": vpc_id}, **ALL_TO_ANYWHERE)

    assert result["changed"] is True
    # The VPC's default group has an allow-all rule too.
    assert result["totals"] == {"groups": FULL_FLEET + 1, "changed_groups": FULL_FLEET + 1,
                                "revoked_rules": FULL_FLEET + 1, "authorized_rules": 0, "failed_groups": 0}
    after = egress_rules_by_group(ec2)
    assert all([rule["IpProtocol"] for rule in after.get(group_id, {}).values()] == ["tcp"] for group_id in group_ids), \
        "the allow-all rule went, the HTTPS rule stays"
    assert allow_all_rules(ec2, outsider), "a group outside the filters is untouched"
    assert len(calls_to(api_calls, "DescribeSecurityGroups")) == 1
    assert len(calls_to(api_calls, "DescribeSecurityGroupRules")) == 2, "200 groups a call: 201 groups, 2 calls"
    revokes = calls_to(api_calls, "RevokeSecurityGroupEgress")
    assert len(revokes) == FULL_FLEET + 1
    assert sorted(params["GroupId"] for params in revokes) == sorted(result_group["group_id"]
                                                                     for result_group in result["groups"])
    group = next(result_group for result_group in result["groups"] if result_group["group_id"] == group_ids[0])
    assert group["group_name"] == "app-000" and group["vpc_id"] == vpc_id and group["changed"] is True
    assert [rule["cidr_ipv4"] for rule in group["revoked_rules"]] == ["0.0.0.0/0"]
    assert group["revoked_ip_permissions"] == [{"IpProtocol": "-1", "FromPort": -1, "ToPort": -1,
                                                "IpRanges": [{"CidrIp": "0.0.0.0/0"}]}]


def test_bulk_rerun_describes_once_and_revokes_nothing(ec2, fleet, api_calls, run_module):
    _vpc_id, _group_ids, _outsider = fleet
    run_module(filters={"tag:env": "prod"}, **ALL_TO_ANYWHERE)
    del api_calls[:]

    rerun = run_module(filters={"tag:env": "prod"}, **ALL_TO_ANYWHERE)

    assert rerun["changed"] is False
    assert rerun["totals"]["changed_groups"] == 0 and rerun["totals"]["groups"] == GROUPS
    assert [name for name, _params in api_calls] == ["DescribeSecurityGroups", "DescribeSecurityGroupRules"]
    assert all(group["unmatched"] == [{"ip_protocol": "-1", "from_port": -1, "to_port": -1, "cidr_ipv4": "0.0.0.0/0"}]
               for group in rerun["groups"])


def test_only_groups_with_matching_rules_get_a_revoke_call(ec2, fleet, api_calls, run_module):
    vpc_id, group_ids, _outsider = fleet
    for group_id in group_ids[:8]:
        ec2.revoke_security_group_egress(GroupId=group_id, IpPermissions=[
            {"IpProtocol": "-1", "IpRanges": [{"CidrIp": "0.0.0.0/0"}]}])
    result = run_module(filters={"vpc-id": vpc_id}, **ALL_TO_ANYWHERE)
    revoked_groups = set(params["GroupId"] for params in calls_to(api_calls, "RevokeSecurityGroupEgress"))
    assert revoked_groups >= set(group_ids[8:]) and not revoked_groups & set(group_ids[:8])
    # The other 4, and the VPC's default group.
    assert result["totals"]["changed_groups"] == len(revoked_groups) == GROUPS - 8 + 1


def test_guard_fails_before_any_write_naming_the_count(ec2, fleet, api_calls, run_module):
    _vpc_id, group_ids, _outsider = fleet
    result = run_module(filters={"tag:env": "prod"}, max_revoked_rules=GROUPS - 1, **ALL_TO_ANYWHERE)
    assert result["failed"] is True
    assert result["msg"] == ("12 egress rules in 12 security groups would be revoked, more than "
                             "max_revoked_rules=11; nothing was revoked")
    assert calls_to(api_calls, "RevokeSecurityGroupEgress") == []
    assert all(allow_all_rules(ec2, group_id) for group_id in group_ids)


def test_guard_lets_a_run_within_the_limit_through(ec2, fleet, run_module):
    result = run_module(filters={"tag:env": "prod"}, max_revoked_rules=GROUPS, **ALL_TO_ANYWHERE)
    assert result["totals"]["revoked_rules"] == GROUPS


def test_guard_applies_to_one_group_too(ec2, fleet, api_calls, run_module):
    _vpc_id, group_ids, _outsider = fleet
    result = run_module(group_id=group_ids[0], revoke_all=True, max_revoked_rules=1)
    assert result["msg"].startswith("2 egress rules in 1 security group would be revoked")
    assert calls_to(api_calls, "RevokeSecurityGroupEgress") == []


def test_check_mode_sends_one_dry_run_per_group_that_would_change(ec2, fleet, api_calls, run_module):
    _vpc_id, group_ids, _outsider = fleet
    result = run_module(check_mode=True, diff=True, filters={"tag:env": "prod"}, **ALL_TO_ANYWHERE)
    revokes = calls_to(api_calls, "RevokeSecurityGroupEgress")
    assert len(revokes) == GROUPS and all(params["DryRun"] is True for params in revokes)
    assert result["changed"] is True and result["totals"]["revoked_rules"] == GROUPS
    assert all(allow_all_rules(ec2, group_id) for group_id in group_ids)
    assert len(result["diff"]) == GROUPS
    assert all("all  -> 0.0.0.0/0" in diff["before"] and "all  -> 0.0.0.0/0" not in diff["after"]
               for diff in result["diff"])


def failing_for(monkeypatch, group_id, code, before_failing=None):
    """Make the revoke of ``group_id`` fail with ``code``, as AWS would answer it."""
    original = BaseClient._make_api_call

    def maybe_fail(client, operation_name, api_params):
        if operation_name == "RevokeSecurityGroupEgress" and api_params.get("GroupId") == group_id:
            if before_failing:
                before_failing()
            raise ClientError({"Error": {"Code": code, "Message": "injected"}}, operation_name)
        return original(client, operation_name, api_params)

    monkeypatch.setattr(BaseClient, "_make_api_call", maybe_fail)


def test_one_failing_group_does_not_stop_the_others(ec2, fleet, monkeypatch, api_calls, run_module):
    _vpc_id, group_ids, _outsider = fleet
    denied = group_ids[7]
    failing_for(monkeypatch, denied, "UnauthorizedOperation")

    result = run_module(filters={"tag:env": "prod"}, **ALL_TO_ANYWHERE)

    assert result["failed"] is True and result["changed"] is True
    assert result["msg"].startswith("could not revoke from 1 of 12 security groups (the others were handled): "
                                    "%s: access denied: ec2:RevokeSecurityGroupEgress on %s" % (denied, denied))
    assert result["totals"] == {"groups": 12, "changed_groups": 11, "revoked_rules": 11, "authorized_rules": 0, "failed_groups": 1}
    failed = [group for group in result["groups"] if group.get("failed")]
    assert [group["group_id"] for group in failed] == [denied] and "access denied" in failed[0]["msg"]
    assert allow_all_rules(ec2, denied)
    assert all(allow_all_rules(ec2, group_id) == [] for group_id in group_ids if group_id != denied)


def test_a_group_deleted_meanwhile_is_reported_and_the_rest_done(ec2, fleet, monkeypatch, run_module):
    _vpc_id, group_ids, _outsider = fleet
    gone = group_ids[3]
    failing_for(monkeypatch, gone, "InvalidGroup.NotFound")
    result = run_module(filters={"tag:env": "prod"}, **ALL_TO_ANYWHERE)
    assert result["failed"] is True
    assert "%s: ec2:RevokeSecurityGroupEgress on %s failed: InvalidGroup.NotFound" % (gone, gone) in result["msg"]
    assert result["totals"]["changed_groups"] == GROUPS - 1


def test_bulk_revoke_all_needs_confirmation(ec2, fleet, api_calls, run_module):
    _vpc_id, group_ids, _outsider = fleet
    refused = run_module(filters={"tag:env": "prod"}, revoke_all=True)
    assert refused["msg"].startswith("revoke_all with filters removes every egress rule of every group")
    assert api_calls == []

    done = run_module(filters={"tag:env": "prod"}, revoke_all=True, allow_bulk_revoke_all=True)
    assert done["totals"]["revoked_rules"] == 2 * GROUPS
    assert all(egress_rules(ec2, group_id) == {} for group_id in group_ids)


@pytest.mark.parametrize("args, message", [
    (dict(filters={}), "filters is empty, which would select every security group of the region"),
    (dict(filters={"vpc-id": []}), "filters['vpc-id'] is empty"),
    (dict(filters={"tag:env": {"nested": 1}}), "filters['tag:env'] {'nested': 1} is not a filter value"),
    (dict(filters={"vpc-id": "vpc-1"}, rule_ids=["sgr-0123456789abcdef0"]),
     "parameters are mutually exclusive: filters|security_group_rule_ids"),
    (dict(filters={"vpc-id": "vpc-1"}, group_id="sg-0123456789abcdef0"),
     "parameters are mutually exclusive: group_id|group_name|filters"),
    (dict(filters={"vpc-id": "vpc-1"}, concurrency=0), "concurrency 0 is out of range: give 1 to 64"),
    (dict(filters={"vpc-id": "vpc-1"}, max_revoked_rules=-1), "max_revoked_rules -1 is negative"),
])
def test_bad_bulk_input_fails_before_any_api_call(ec2, api_calls, run_module, args, message):
    result = run_module(**dict(ALL_TO_ANYWHERE, **args))
    assert result["failed"] is True and message in result["msg"]
    assert api_calls == []


def test_filters_that_match_nothing_change_nothing(ec2, api_calls, run_module):
    result = run_module(filters={"tag:env": "nowhere"}, **ALL_TO_ANYWHERE)
    assert result["changed"] is False and result["groups"] == []
    assert [name for name, _params in api_calls] == ["DescribeSecurityGroups"]


def test_destination_group_name_resolves_in_each_groups_own_vpc(ec2, run_module):
    targets = {}
    for cidr in ("10.1.0.0/16", "10.2.0.0/16"):
        vpc_id = ec2.create_vpc(CidrBlock=cidr)["Vpc"]["VpcId"]
        db = ec2.create_security_group(GroupName="db", Description="db", VpcId=vpc_id)["GroupId"]
        app = ec2.create_security_group(GroupName="app", Description="app", VpcId=vpc_id,
                                        TagSpecifications=[{"ResourceType": "security-group",
                                                            "Tags": [{"Key": "tier", "Value": "app"}]}])["GroupId"]
        ec2.authorize_security_group_egress(GroupId=app, IpPermissions=[
            {"IpProtocol": "tcp", "FromPort": 5432, "ToPort": 5432, "UserIdGroupPairs": [{"GroupId": db}]}])
        targets[app] = db
    result = run_module(filters={"tag:tier": "app"}, protocol="tcp", port=5432, destination_group="db")
    assert result["totals"]["revoked_rules"] == 2
    assert dict((group["group_id"], group["revoked_rules"][0]["referenced_group_id"])
                for group in result["groups"]) == targets


def test_describe_calls_take_200_groups_each(ec2, api_calls, run_module):
    # Each group has the allow-all rule of a new group: no more is needed to count the calls.
    vpc_id, _group_ids = seed_fleet(ec2, 450, https_every=1000)
    result = run_module(filters={"vpc-id": vpc_id}, check_mode=True, **ALL_TO_ANYWHERE)
    # The VPC's default group is the 451st.
    assert result["totals"]["revoked_rules"] == 451
    describes = calls_to(api_calls, "DescribeSecurityGroupRules")
    assert [len(params["Filters"][0]["Values"]) for params in describes] == [200, 200, 51]
