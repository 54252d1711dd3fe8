"""The event option against moto's in-process EC2, on the module's path and on the action plugin's in-process one:
for each kind of event, as a dict and as JSON text, exactly the introduced rules the policy selects go, the rest of
the group stays, the outcome is right, and a second delivery changes nothing; a failed call, an ingress change and
another account's event make no write call."""

import json

import pytest

from ....support import cloudtrail
from ....support.seed import egress_rules

OPEN = {"destination_covers": ["0.0.0.0/0", "::/0"]}
KEEP_HTTPS = [{"protocol": "tcp", "ports_within": [443]}]
POLICY = {"rule_filters": OPEN, "keep": KEEP_HTTPS}
WRITES = ("RevokeSecurityGroupEgress", "AuthorizeSecurityGroupEgress")


def writes(api_calls):
    return [name for name, _params in api_calls if name in WRITES]


def shapes(ec2, group_id):
    return sorted((rule["IpProtocol"], rule.get("FromPort"), rule.get("CidrIpv4") or rule.get("CidrIpv6"))
                  for rule in egress_rules(ec2, group_id).values())


@pytest.fixture
def group(ec2, vpc):
    """A group whose default allow-all rule is gone, with one rule of its own that no event introduces."""
    group_id = ec2.create_security_group(GroupName="app", Description="app", VpcId=vpc)["GroupId"]
    ec2.revoke_security_group_egress(GroupId=group_id, IpPermissions=[
        {"IpProtocol": "-1", "IpRanges": [{"CidrIp": "0.0.0.0/0"}]}])
    ec2.authorize_security_group_egress(GroupId=group_id, IpPermissions=[
        {"IpProtocol": "tcp", "FromPort": 5432, "ToPort": 5432, "IpRanges": [{"CidrIp": "10.0.0.0/8"}]}])
    return group_id


def authorized(ec2, group_id, *permissions):
    """Authorize ``permissions``; the record of one call that created them all, as AWS records it (moto's response
    lists one rule a call, so each is authorized alone)."""
    created = [item for permission in permissions for item in ec2.authorize_security_group_egress(
        GroupId=group_id, IpPermissions=[permission])["SecurityGroupRules"]]
    rules = [cloudtrail.rule(item["SecurityGroupRuleId"], item["IpProtocol"],
                             None if item["IpProtocol"] == "-1" else (item["FromPort"], item["ToPort"]),
                             item.get("CidrIpv4") or item.get("CidrIpv6")) for item in created]
    return cloudtrail.authorize_security_group_egress(group_id, rules), [rule["rule_id"] for rule in rules]


def to_anywhere(protocol, port=None, cidr="0.0.0.0/0"):
    permission = {"IpProtocol": protocol}
    if port is not None:
        permission.update(FromPort=port, ToPort=port)
    permission["Ipv6Ranges" if ":" in cidr else "IpRanges"] = [{"CidrIpv6" if ":" in cidr else "CidrIp": cidr}]
    return permission


@pytest.mark.parametrize("as_text", [False, True], ids=["dict", "json"])
def test_authorize_the_new_open_rule_goes_and_the_new_https_rule_stays(ec2, group, api_calls, run_task, as_text):
    record, (everything, https) = authorized(ec2, group, to_anywhere("-1"), to_anywhere("tcp", 443))
    event = cloudtrail.eventbridge(record)
    given = json.dumps(event) if as_text else event

    result = run_task(event=given, **POLICY)

    assert result["changed"] is True and not result["failed"], result
    assert result["event"] == {"name": "AuthorizeSecurityGroupEgress", "id": record["eventID"],
                               "account": cloudtrail.ACCOUNT, "region": cloudtrail.REGION, "group_id": group,
                               "rule_ids": [everything, https], "outcome": "revoked"}
    assert [rule["security_group_rule_id"] for rule in result["revoked_rules"]] == [everything]
    assert shapes(ec2, group) == [("tcp", 443, "0.0.0.0/0"), ("tcp", 5432, "10.0.0.0/8")]
    del api_calls[:]
    again = run_task(event=given, **POLICY)
    assert again["changed"] is False and again["event"]["outcome"] == "allowed_by_policy"
    assert writes(api_calls) == []


def test_modify_takes_the_modified_egress_rule_whatever_it_allows_now(ec2, group, api_calls, run_task):
    _record, (rule_id,) = authorized(ec2, group, to_anywhere("tcp", 80, "10.1.0.0/16"))
    wide_open = {"IpProtocol": "-1", "FromPort": -1, "ToPort": -1, "CidrIpv4": "0.0.0.0/0"}
    ec2.modify_security_group_rules(GroupId=group, SecurityGroupRules=[
        {"SecurityGroupRuleId": rule_id, "SecurityGroupRule": wide_open}])
    record = cloudtrail.modify_security_group_rules(group, [cloudtrail.rule(rule_id)])

    result = run_task(event=record, **POLICY)

    assert (result["changed"], result["event"]["outcome"], result["event"]["rule_ids"]) == (True, "revoked", [rule_id])
    assert shapes(ec2, group) == [("tcp", 5432, "10.0.0.0/8")]
    del api_calls[:]
    again = run_task(event=json.dumps(record), **POLICY)
    assert (again["changed"], again["event"]["outcome"], writes(api_calls)) == (False, "nothing_left", [])


@pytest.mark.parametrize("as_text", [False, True], ids=["dict", "json"])
def test_create_takes_the_new_groups_allow_all_rules(ec2, vpc, api_calls, run_task, as_text):
    group_id = ec2.create_security_group(GroupName="new", Description="new", VpcId=vpc)["GroupId"]
    record = cloudtrail.create_security_group(group_id, vpc, "new")

    result = run_task(event=json.dumps(cloudtrail.eventbridge(record)) if as_text else cloudtrail.eventbridge(record))

    assert (result["changed"], result["event"]["outcome"]) == (True, "revoked")
    assert len(result["event"]["rule_ids"]) == 1 and shapes(ec2, group_id) == []
    del api_calls[:]
    again = run_task(event=cloudtrail.eventbridge(record))
    assert (again["changed"], again["event"]["outcome"], writes(api_calls)) == (False, "nothing_left", [])


def test_an_ipv6_block_takes_the_default_groups_new_ipv6_rule_only(ec2, vpc, api_calls, run_task):
    default = ec2.describe_security_groups(Filters=[{"Name": "vpc-id", "Values": [vpc]},
                                                    {"Name": "group-name", "Values": ["default"]}])["SecurityGroups"][0]
    ec2.associate_vpc_cidr_block(VpcId=vpc, AmazonProvidedIpv6CidrBlock=True)
    # moto gives only new groups the rule that AWS adds to the default group with the block.
    ec2.authorize_security_group_egress(GroupId=default["GroupId"], IpPermissions=[to_anywhere("-1", cidr="::/0")])
    record = cloudtrail.associate_vpc_cidr_block(vpc)

    check = run_task(event=record, check_mode=True)
    result = run_task(event=json.dumps(cloudtrail.eventbridge(record)))

    assert (check["changed"], check["event"]["outcome"]) == (True, "revoked")
    assert (result["changed"], result["event"]["outcome"], result["event"]["group_id"]) == (True, "revoked", default["GroupId"])
    assert shapes(ec2, default["GroupId"]) == [("-1", -1, "0.0.0.0/0")]
    del api_calls[:]
    again = run_task(event=record)
    assert (again["changed"], again["event"]["outcome"], writes(api_calls)) == (False, "nothing_left", [])


@pytest.mark.parametrize("kind", ["failed", "ingress", "ipv4_block"])
def test_what_adds_no_egress_rule_is_ignored_without_any_call(ec2, group, vpc, api_calls, run_task, kind):
    record = {
        "failed": cloudtrail.failed(cloudtrail.authorize_security_group_egress(group, [cloudtrail.rule("sgr-0123456789abcdef0")])),
        "ingress": cloudtrail.authorize_security_group_ingress(group, [cloudtrail.rule("sgr-0123456789abcdef0")]),
        "ipv4_block": cloudtrail.associate_vpc_cidr_block(vpc, ipv6=False),
    }[kind]
    before = shapes(ec2, group)

    result = run_task(event=cloudtrail.eventbridge(record), **POLICY)

    assert (result["changed"], result["failed"], result["event"]["outcome"]) == (False, False, "ignored")
    assert api_calls == [] and shapes(ec2, group) == before
    assert result["warnings"][0].startswith("event ignored: ")


def test_an_event_of_another_account_is_refused_naming_both(ec2, group, api_calls, run_task):
    record, _ids = authorized(ec2, group, to_anywhere("-1"))
    foreign = cloudtrail.eventbridge(dict(record, recipientAccountId="111111111111"))

    result = run_task(event=foreign, **POLICY)

    assert result["failed"] is True
    assert "happened in account 111111111111, but %s belongs to account 123456789012" % group in result["msg"]
    assert writes(api_calls) == [] and ("-1", -1, "0.0.0.0/0") in shapes(ec2, group)


def test_an_event_for_a_deleted_group_changes_nothing_and_fails_nothing(ec2, vpc, run_task):
    group_id = ec2.create_security_group(GroupName="gone", Description="gone", VpcId=vpc)["GroupId"]
    record = cloudtrail.create_security_group(group_id, vpc, "gone")
    ec2.delete_security_group(GroupId=group_id)

    result = run_task(event=record)

    assert (result["changed"], result["failed"], result["event"]["outcome"]) == (False, False, "nothing_left")


@pytest.mark.parametrize("args, message", [
    ({"event": "{", "group_id": "sg-0123456789abcdef0"}, "parameters are mutually exclusive: event|group_id"),
    ({"event": "{"}, "event '{' is not JSON"),
    ({"event": {"detail": {}}}, "event has no eventName"),
    ({"event": {"eventName": "CreateSecurityGroup"}, "revoke_all": True}, "parameters are mutually exclusive: event|revoke_all"),
    ({"event": {"eventName": "CreateSecurityGroup", "awsRegion": "Moon-1", "responseElements": {
        "groupId": "sg-0123456789abcdef0"}}}, "event's awsRegion 'Moon-1' is not an AWS region name such as us-east-1"),
])
def test_bad_events_fail_before_any_call(api_calls, run_task, args, message):
    result = run_task(**args)
    assert result["failed"] is True and message in result["msg"], result["msg"]
    assert api_calls == []
