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
