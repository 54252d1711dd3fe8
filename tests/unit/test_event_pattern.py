"""The shipped EventBridge event pattern (extensions/eda/rulebooks/egress_guard_event_pattern.json) on moto's
EventBridge: exactly the events the revoke module acts on reach the rule's SQS queue."""

import json
import os
import re

import pytest
from moto import mock_aws

from ..support import cloudtrail
from ..support.endpoint import COLLECTION_ROOT
from ..support.event_pattern import PATTERN, arrived_message_bodies

GROUP = "sg-0123456789abcdef0"
ALL = cloudtrail.rule("sgr-0aaaaaaaaaaaaaaa1")
HTTPS = cloudtrail.rule("sgr-0aaaaaaaaaaaaaaa2", "tcp", (443, 443))

HANDLED = [
    cloudtrail.authorize_security_group_egress(GROUP, [ALL, HTTPS], event_id="handled-authorize"),
    cloudtrail.modify_security_group_rules(GROUP, [ALL], event_id="handled-modify"),
    cloudtrail.create_security_group(GROUP, "vpc-0abc", "web", event_id="handled-create"),
    cloudtrail.associate_vpc_cidr_block("vpc-0abc", event_id="handled-associate"),
]
OTHERS = [
    cloudtrail.run_instances(),
    cloudtrail.authorize_security_group_ingress(GROUP, [HTTPS], event_id="other-ingress"),
    cloudtrail.authorize_security_group_egress(GROUP, [ALL], event_id="other-failed",
                                               error_code="Client.InvalidPermission.Duplicate"),
    cloudtrail.failed(cloudtrail.create_security_group(GROUP, "vpc-0abc", "web", event_id="other-failed-create")),
]


@pytest.fixture
def aws(aws_environment):
    with mock_aws():
        yield


def test_exactly_the_handled_events_arrive(aws):
    events = [cloudtrail.eventbridge(record) for record in HANDLED + OTHERS]
    # The same call from another source, and another detail-type of EC2's, do not match either.
    events.append(cloudtrail.eventbridge(HANDLED[0], source="custom.ec2"))
    events.append(dict(cloudtrail.eventbridge(HANDLED[0]), **{"detail-type": "EC2 Instance State-change Notification"}))
    bodies = arrived_message_bodies(events)
    arrived = [json.loads(body) for body in bodies]
    assert sorted(event["detail"]["eventID"] for event in arrived) == sorted(r["eventID"] for r in HANDLED)
    for event in arrived:
        assert (event["source"], event["detail-type"], event["region"]) == (
            "aws.ec2", "AWS API Call via CloudTrail", cloudtrail.REGION)
        # moto's delivery to SQS leaves the envelope's ``account`` out (EventBridge sends the whole event); the
        # record's own account is there.
        assert event["detail"]["recipientAccountId"] == cloudtrail.ACCOUNT
    # The body is the whole EventBridge event, the record unchanged in ``detail``.
    by_id = {event["detail"]["eventID"]: event["detail"] for event in arrived}
    assert by_id["handled-modify"] == HANDLED[1]


def test_pattern_names_the_four_calls_and_leaves_failed_calls_out():
    with open(PATTERN) as handle:
        pattern = json.load(handle)
    assert pattern["source"] == ["aws.ec2"]
    assert pattern["detail-type"] == ["AWS API Call via CloudTrail"]
    assert pattern["detail"]["eventSource"] == ["ec2.amazonaws.com"]
    assert sorted(pattern["detail"]["eventName"]) == ["AssociateVpcCidrBlock", "AuthorizeSecurityGroupEgress",
                                                      "CreateSecurityGroup", "ModifySecurityGroupRules"]
    assert pattern["detail"]["errorCode"] == [{"exists": False}]


def test_docs_show_the_shipped_pattern():
    with open(PATTERN) as handle:
        pattern = json.load(handle)
    with open(os.path.join(COLLECTION_ROOT, "docs", "events.md")) as handle:
        blocks = [json.loads(block) for block in re.findall(r"```json\n(.*?)```", handle.read(), re.S)]
    assert pattern in blocks


def test_the_module_takes_an_arrived_message_body_as_event(ec2, run_module):
    vpc = ec2.create_vpc(CidrBlock="10.0.0.0/16")["Vpc"]["VpcId"]
    group = ec2.create_security_group(GroupName="web", Description="web", VpcId=vpc)["GroupId"]
    default_rules = {rule["SecurityGroupRuleId"] for rule in _egress(ec2, group)}
    allow_v6, https = (ec2.authorize_security_group_egress(GroupId=group, IpPermissions=[permission])
                       ["SecurityGroupRules"][0]["SecurityGroupRuleId"] for permission in (
        {"IpProtocol": "-1", "Ipv6Ranges": [{"CidrIpv6": "::/0"}]},
        {"IpProtocol": "tcp", "FromPort": 443, "ToPort": 443, "IpRanges": [{"CidrIp": "0.0.0.0/0"}]}))
    record = cloudtrail.authorize_security_group_egress(group, [
        cloudtrail.rule(allow_v6, cidr="::/0"), cloudtrail.rule(https, "tcp", (443, 443))])
    body, = arrived_message_bodies([cloudtrail.eventbridge(record)])

    result = run_module(event=body, rule_filters={"destination_covers": ["0.0.0.0/0", "::/0"]},
                        keep=[{"protocol": "tcp", "ports_within": [443]}])

    assert result["changed"] is True, result
    assert result["event"]["outcome"] == "revoked"
    assert (result["event"]["name"], result["event"]["id"], result["event"]["group_id"]) == (
        "AuthorizeSecurityGroupEgress", record["eventID"], group)
    assert sorted(result["event"]["rule_ids"]) == sorted([allow_v6, https])
    assert {rule["SecurityGroupRuleId"] for rule in _egress(ec2, group)} == default_rules | {https}
    # Delivered again: of its rules, only the one the policy keeps is there.
    again = run_module(event=body, rule_filters={"destination_covers": ["0.0.0.0/0", "::/0"]},
                       keep=[{"protocol": "tcp", "ports_within": [443]}])
    assert again["changed"] is False and again["event"]["outcome"] == "allowed_by_policy", again


def _egress(ec2, group_id):
    rules = ec2.describe_security_group_rules(Filters=[{"Name": "group-id", "Values": [group_id]}])
    return [rule for rule in rules["SecurityGroupRules"] if rule["IsEgress"]]
