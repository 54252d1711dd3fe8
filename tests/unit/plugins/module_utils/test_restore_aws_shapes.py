"""The restore pipeline on AWS's own responses (botocore's Stubber): new rule IDs from the authorize response,
one add per tag set, and a refused rule retried alone so that the others go in."""

import pytest

from ansible_collections.netguard.aws.plugins.module_utils.errors import NetguardAwsError
from ansible_collections.netguard.aws.plugins.module_utils.pipeline import run
from ansible_collections.netguard.aws.plugins.module_utils.restore_request import parse_restore_request

from .described import GROUP, api_rule

GONE = "sg-0fedcba9876543210"
HTTPS = {"IpProtocol": "tcp", "FromPort": 443, "ToPort": 443, "IpRanges": [{"CidrIp": "10.0.0.0/16", "Description": "web"}]}
DATABASE = {"IpProtocol": "tcp", "FromPort": 5432, "ToPort": 5432,
            "UserIdGroupPairs": [{"GroupId": GONE, "UserId": "123456789012", "VpcId": "vpc-0123456789abcdef0",
                                  "VpcPeeringConnectionId": "pcx-0123456789abcdef0"}]}
GROUP_FILTER = {"Filters": [{"Name": "group-id", "Values": [GROUP]}], "MaxResults": 1000}


def request(*permissions, **revoked):
    revoked = dict({"group_id": GROUP, "region": "us-east-1", "revoked_ip_permissions": list(permissions)}, **revoked)
    return parse_restore_request({"revoked": revoked})[0]


def restore_egress(clients, request, check_mode=False, diff=False):
    """The restore module's result, as the pipeline gives it."""
    return run(request, clients, check_mode=check_mode, diff=diff)


def describe(stubber, *rules):
    stubber.add_response("describe_security_group_rules", {"SecurityGroupRules": list(rules)}, GROUP_FILTER)


def empty_group(stubber, found=True):
    """A group without any egress rule: its rules, then whether it exists (one DescribeSecurityGroups)."""
    describe(stubber)
    stubber.add_response("describe_security_groups", {"SecurityGroups": [
        {"GroupId": GROUP, "GroupName": "app", "OwnerId": "123456789012", "VpcId": "vpc-0123456789abcdef0"}]
        if found else []}, GROUP_FILTER)


def test_new_ids_come_from_the_response_and_tags_with_the_call(stubbed):
    clients, stubber = stubbed
    empty_group(stubber)
    stubber.add_response("authorize_security_group_egress", {"Return": True, "SecurityGroupRules": [
        api_rule("sgr-0000000000000000a", "tcp", 443, 443, CidrIpv4="10.0.0.0/16", description="web")]},
        {"GroupId": GROUP, "IpPermissions": [HTTPS], "DryRun": False, "TagSpecifications": [
            {"ResourceType": "security-group-rule", "Tags": [{"Key": "owner", "Value": "team-a"}]}]})
    summaries = [{"security_group_rule_id": "sgr-0000000000000000f", "ip_protocol": "tcp", "from_port": 443,
                  "to_port": 443, "cidr_ipv4": "10.0.0.0/16", "description": "web", "tags": {"owner": "team-a"}}]

    result = restore_egress(clients, request(HTTPS, revoked_rules=summaries))

    assert [(rule["security_group_rule_id"], rule["tags"]) for rule in result["restored_rules"]] == [
        ("sgr-0000000000000000a", {"owner": "team-a"})]


def test_a_refused_rule_is_retried_alone_and_the_peering_details_are_sent(stubbed):
    clients, stubber = stubbed
    empty_group(stubber)
    both = {"GroupId": GROUP, "IpPermissions": [HTTPS, DATABASE], "DryRun": False}
    stubber.add_client_error("authorize_security_group_egress", "InvalidGroup.NotFound",
                             "The security group '%s' does not exist" % GONE, 400, expected_params=both)
    # AWS's code does not say which group is missing: the group itself is looked up once, and is there.
    stubber.add_response("describe_security_groups", {"SecurityGroups": [{"GroupId": GROUP, "GroupName": "app"}]},
                         GROUP_FILTER)
    stubber.add_response("authorize_security_group_egress", {"Return": True, "SecurityGroupRules": [
        api_rule("sgr-0000000000000000a", "tcp", 443, 443, CidrIpv4="10.0.0.0/16", description="web")]},
        {"GroupId": GROUP, "IpPermissions": [HTTPS], "DryRun": False})
    stubber.add_client_error("authorize_security_group_egress", "InvalidGroup.NotFound",
                             "The security group '%s' does not exist" % GONE, 400,
                             expected_params={"GroupId": GROUP, "IpPermissions": [DATABASE], "DryRun": False})

    with pytest.raises(NetguardAwsError) as raised:
        restore_egress(clients, request(HTTPS, DATABASE))

    details = raised.value.details
    assert [rule["security_group_rule_id"] for rule in details["restored_rules"]] == ["sgr-0000000000000000a"]
    assert [failure["rule"]["referenced_group_id"] for failure in details["failed_rules"]] == [GONE]
    assert "could not restore 1 egress rule to %s" % GROUP in raised.value.msg and GONE in raised.value.msg


def test_a_group_deleted_after_the_read_fails_as_a_group_without_more_adds(stubbed):
    clients, stubber = stubbed
    empty_group(stubber)
    stubber.add_client_error("authorize_security_group_egress", "InvalidGroup.NotFound",
                             "The security group '%s' does not exist" % GROUP, 400,
                             expected_params={"GroupId": GROUP, "IpPermissions": [HTTPS, DATABASE], "DryRun": False})
    stubber.add_response("describe_security_groups", {"SecurityGroups": []}, GROUP_FILTER)

    with pytest.raises(NetguardAwsError) as raised:
        restore_egress(clients, request(HTTPS, DATABASE))

    assert raised.value.msg == "security group %s does not exist in us-east-1" % GROUP
    assert (raised.value.details["restored_rules"], raised.value.details["failed_rules"]) == ([], [])
    stubber.assert_no_pending_responses()


def test_a_group_that_is_gone_fails_as_a_group(stubbed):
    clients, stubber = stubbed
    # No rule, and DescribeSecurityGroups does not know it: nothing is sent to it.
    empty_group(stubber, found=False)
    with pytest.raises(NetguardAwsError) as raised:
        restore_egress(clients, request(HTTPS))
    assert raised.value.msg == "security group %s does not exist in us-east-1" % GROUP
    assert (raised.value.details["group_id"], raised.value.details["restored_rules"]) == (GROUP, [])
