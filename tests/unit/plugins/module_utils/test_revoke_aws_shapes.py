"""What only real AWS returns, with botocore's Stubber and at botocore's HTTP layer.

moto's revoke response has no RevokedSecurityGroupRules or UnknownIpPermissions,
it does not paginate, and it does not throttle; these tests give the orchestration
the responses AWS documents.
"""

import botocore.retries.standard
import botocore.session
import pytest
from botocore.awsrequest import AWSResponse
from moto import mock_aws

from ansible_collections.netguard.aws.plugins.module_utils.ec2 import DEFAULT_MAX_ATTEMPTS, ec2_client, new_session
from ansible_collections.netguard.aws.plugins.module_utils.errors import NetguardAwsError
from ansible_collections.netguard.aws.plugins.module_utils.predicates import parse_predicates
from ansible_collections.netguard.aws.plugins.module_utils.request import RevokeRequest
from ansible_collections.netguard.aws.plugins.module_utils.revoke import revoke_egress

from .described import GROUP, api_rule

HTTPS = api_rule("sgr-0000000000000000a", "tcp", 443, 443, CidrIpv4="10.0.0.0/16", description="web")
SMTP = api_rule("sgr-0000000000000000b", "tcp", 25, 25, CidrIpv4="0.0.0.0/0")
INGRESS = api_rule("sgr-0000000000000000c", "tcp", 22, 22, egress=False, CidrIpv4="10.0.0.0/8")
DESCRIBE_PARAMS = {"Filters": [{"Name": "group-id", "Values": [GROUP]}], "MaxResults": 1000}


def revoke_request(group_id=GROUP, rule_ids=(), revoke_all=False):
    return RevokeRequest(group_id=group_id, group_name=None, vpc_id=None, filters=None, rule_ids=tuple(rule_ids),
                         rules=(), revoke_all=revoke_all, max_revoked_rules=None, concurrency=1, warnings=[],
                         rule_filters=None, keep=(), regions=None, revoke_rate=None, journal=None)


def by_ids(*rule_ids):
    return revoke_request(rule_ids=rule_ids)


def describe(stubber, *rules, **extra):
    expected = dict(DESCRIBE_PARAMS, **extra.pop("expected", {}))
    stubber.add_response("describe_security_group_rules", dict({"SecurityGroupRules": list(rules)}, **extra), expected)


def revoke_params(*rule_ids, **extra):
    return dict({"GroupId": GROUP, "SecurityGroupRuleIds": list(rule_ids), "DryRun": False}, **extra)


def test_changed_follows_revoked_security_group_rules(stubbed):
    client, stubber = stubbed
    describe(stubber, HTTPS, SMTP, INGRESS)
    stubber.add_response("revoke_security_group_egress", {
        "Return": True,
        "RevokedSecurityGroupRules": [{"SecurityGroupRuleId": HTTPS["SecurityGroupRuleId"], "GroupId": GROUP,
                                       "IsEgress": True, "IpProtocol": "tcp", "FromPort": 443, "ToPort": 443,
                                       "CidrIpv4": "10.0.0.0/16", "Description": "web"}],
    }, revoke_params(HTTPS["SecurityGroupRuleId"], SMTP["SecurityGroupRuleId"]))

    result = revoke_egress(client, by_ids(HTTPS["SecurityGroupRuleId"], SMTP["SecurityGroupRuleId"]))

    assert result["changed"] is True
    assert [rule["security_group_rule_id"] for rule in result["revoked_rules"]] == [HTTPS["SecurityGroupRuleId"]]
    assert [rule["security_group_rule_id"] for rule in result["egress_rules"]] == [SMTP["SecurityGroupRuleId"]]
    assert result["warnings"] == ["AWS did not report %s as revoked from %s" % (SMTP["SecurityGroupRuleId"], GROUP)]


def test_empty_revoked_security_group_rules_means_not_changed(stubbed):
    client, stubber = stubbed
    describe(stubber, HTTPS)
    stubber.add_response("revoke_security_group_egress", {"Return": True, "RevokedSecurityGroupRules": []},
                         revoke_params(HTTPS["SecurityGroupRuleId"]))
    result = revoke_egress(client, by_ids(HTTPS["SecurityGroupRuleId"]))
    assert result["changed"] is False and result["revoked_rules"] == []
    assert len(result["egress_rules"]) == 1


def test_unknown_ip_permissions_are_returned_as_aws_sent_them(stubbed):
    client, stubber = stubbed
    unknown = [{"IpProtocol": "tcp", "FromPort": 8080, "ToPort": 8080, "IpRanges": [{"CidrIp": "10.9.0.0/16"}]}]
    describe(stubber, HTTPS)
    stubber.add_response("revoke_security_group_egress", {
        "Return": True, "UnknownIpPermissions": unknown,
        "RevokedSecurityGroupRules": [{"SecurityGroupRuleId": HTTPS["SecurityGroupRuleId"]}]},
        revoke_params(HTTPS["SecurityGroupRuleId"]))
    result = revoke_egress(client, by_ids(HTTPS["SecurityGroupRuleId"]))
    assert result["unknown_ip_permissions"] == unknown
    assert result["changed"] is True


def test_check_mode_dry_run_operation_means_would_change(stubbed):
    client, stubber = stubbed
    describe(stubber, HTTPS, SMTP)
    stubber.add_client_error("revoke_security_group_egress", "DryRunOperation",
                             "Request would have succeeded, but DryRun flag is set.", 412,
                             expected_params=revoke_params(SMTP["SecurityGroupRuleId"], DryRun=True))
    result = revoke_egress(client, by_ids(SMTP["SecurityGroupRuleId"]), check_mode=True, diff=True)
    assert result["changed"] is True
    assert [rule["security_group_rule_id"] for rule in result["revoked_rules"]] == [SMTP["SecurityGroupRuleId"]]
    assert "tcp 25" in result["diff"]["before"] and "tcp 25" not in result["diff"]["after"]


def test_check_mode_unauthorized_operation_names_the_permission_and_group(stubbed):
    client, stubber = stubbed
    describe(stubber, HTTPS)
    stubber.add_client_error("revoke_security_group_egress", "UnauthorizedOperation",
                             "You are not authorized to perform this operation.", 403,
                             expected_params=revoke_params(HTTPS["SecurityGroupRuleId"], DryRun=True))
    with pytest.raises(NetguardAwsError) as error:
        revoke_egress(client, by_ids(HTTPS["SecurityGroupRuleId"]), check_mode=True)
    assert error.value.msg == ("check mode: ec2:RevokeSecurityGroupEgress on %s is denied, so the real run would "
                               "fail; grant ec2:RevokeSecurityGroupEgress in the caller's IAM policy "
                               "(UnauthorizedOperation)" % GROUP)


@pytest.mark.parametrize("code, message", [
    ("UnauthorizedOperation", "access denied: ec2:DescribeSecurityGroupRules on %s is not allowed; grant "
                              "ec2:DescribeSecurityGroupRules in the caller's IAM policy" % GROUP),
    ("AuthFailure", "AWS rejected the credentials (AuthFailure"),
    ("RequestExpired", "the AWS credentials have expired (RequestExpired)"),
    ("ExpiredToken", "the AWS credentials have expired (ExpiredToken)"),
    ("InternalError", "ec2:DescribeSecurityGroupRules on %s failed: InternalError: " % GROUP),
])
def test_aws_errors_become_one_line_naming_what_to_fix(stubbed, code, message):
    client, stubber = stubbed
    stubber.add_client_error("describe_security_group_rules", code, "the service said no", 400,
                             expected_params=DESCRIBE_PARAMS)
    with pytest.raises(NetguardAwsError) as error:
        revoke_egress(client, by_ids(HTTPS["SecurityGroupRuleId"]))
    assert message in error.value.msg
    assert error.value.details["error_code"] == code


def test_described_rules_are_read_across_pages(stubbed):
    client, stubber = stubbed
    describe(stubber, HTTPS, NextToken="page-2")
    describe(stubber, SMTP, expected={"NextToken": "page-2"})
    stubber.add_response("revoke_security_group_egress", {"Return": True},
                         revoke_params(HTTPS["SecurityGroupRuleId"], SMTP["SecurityGroupRuleId"]))
    result = revoke_egress(client, revoke_request(revoke_all=True))
    assert len(result["revoked_rules"]) == 2


def test_rule_removed_by_someone_else_meanwhile_is_reported_not_fatal(stubbed):
    client, stubber = stubbed
    https_id, smtp_id = HTTPS["SecurityGroupRuleId"], SMTP["SecurityGroupRuleId"]
    describe(stubber, HTTPS, SMTP)
    stubber.add_client_error("revoke_security_group_egress", "InvalidSecurityGroupRuleId.NotFound",
                             "The security group rule ID '%s' does not exist" % https_id, 400,
                             expected_params=revoke_params(https_id, smtp_id))
    describe(stubber, SMTP)
    stubber.add_response("revoke_security_group_egress", {"Return": True, "RevokedSecurityGroupRules": [
        {"SecurityGroupRuleId": smtp_id}]}, revoke_params(smtp_id))

    result = revoke_egress(client, by_ids(https_id, smtp_id))

    assert result["changed"] is True
    assert [rule["security_group_rule_id"] for rule in result["revoked_rules"]] == [smtp_id]
    assert result["unmatched"] == [{"security_group_rule_id": https_id}]
    assert result["egress_rules"] == []
    assert result["warnings"] == ["%s disappeared from %s before this task could revoke it (removed by another "
                                  "change)" % (https_id, GROUP)]


def test_when_every_matched_rule_vanished_nothing_is_revoked(stubbed):
    client, stubber = stubbed
    describe(stubber, HTTPS)
    stubber.add_client_error("revoke_security_group_egress", "InvalidPermission.NotFound", "gone", 400,
                             expected_params=revoke_params(HTTPS["SecurityGroupRuleId"]))
    describe(stubber)
    stubber.add_response("describe_security_groups", {"SecurityGroups": [{"GroupId": GROUP}]}, {"GroupIds": [GROUP]})
    result = revoke_egress(client, by_ids(HTTPS["SecurityGroupRuleId"]))
    assert result["changed"] is False and result["revoked_rules"] == []


def test_rules_that_keep_vanishing_fail_after_bounded_attempts(stubbed):
    client, stubber = stubbed
    describe(stubber, HTTPS)
    for attempt in range(3):
        stubber.add_client_error("revoke_security_group_egress", "InvalidSecurityGroupRuleId.NotFound", "gone", 400,
                                 expected_params=revoke_params(HTTPS["SecurityGroupRuleId"]))
        describe(stubber, HTTPS)
    with pytest.raises(NetguardAwsError, match="kept changing while this task revoked them"):
        revoke_egress(client, by_ids(HTTPS["SecurityGroupRuleId"]))


class _Body:
    def __init__(self, content):
        self.content = content

    def stream(self, **_kwargs):
        yield self.content


def _throttled(request):
    body = (b"<Response><Errors><Error><Code>RequestLimitExceeded</Code><Message>Request limit exceeded."
            b"</Message></Error></Errors><RequestID>throttled</RequestID></Response>")
    return AWSResponse(request.url, 503, {}, _Body(body))


@pytest.fixture
def throttled(monkeypatch):
    """Make a client the collection's way, on moto, whose describe calls AWS throttles ``throttles`` times.

    Returns the client, a group on the endpoint, and the list of HTTP attempts.
    """
    monkeypatch.setattr(botocore.retries.standard.ExponentialBackoff, "delay_amount", lambda self, context: 0)
    monkeypatch.delenv("AWS_MAX_ATTEMPTS", raising=False)
    monkeypatch.delenv("AWS_RETRY_MODE", raising=False)

    def make(throttles, **connection):
        params = dict({"region": "us-east-1", "access_key": "AKIDTHROTTLE", "secret_key": "throttle"}, **connection)
        client = ec2_client(params, new_session(params))
        group = client.create_security_group(GroupName="busy", Description="busy")["GroupId"]
        attempts = []

        def handler(request, **_kwargs):
            attempts.append(request.url)
            return _throttled(request) if len(attempts) <= throttles else None

        client.meta.events.register_first("before-send.ec2.DescribeSecurityGroupRules", handler)
        return client, group, attempts

    with mock_aws():
        yield make


def lockdown(group):
    return revoke_request(group_id=group, revoke_all=True)


def test_throttling_a_few_times_then_success_is_retried_by_botocore(throttled):
    client, group, attempts = throttled(2)
    result = revoke_egress(client, lockdown(group))
    assert result["changed"] is True
    assert len(attempts) == 3


def test_persistent_throttling_fails_after_the_default_attempts(throttled):
    client, group, attempts = throttled(1000)
    with pytest.raises(NetguardAwsError) as error:
        revoke_egress(client, lockdown(group))
    assert error.value.msg == ("AWS kept throttling ec2:DescribeSecurityGroupRules on %s (RequestLimitExceeded) after "
                               "%d attempts: retry later, or raise aws_config.retries.max_attempts"
                               % (group, DEFAULT_MAX_ATTEMPTS))
    assert len(attempts) == DEFAULT_MAX_ATTEMPTS


@pytest.mark.parametrize("retries, expected_attempts", [
    ({"max_attempts": 1}, 2),
    ({"total_max_attempts": 2, "mode": "adaptive"}, 2),
    ({"mode": "standard"}, DEFAULT_MAX_ATTEMPTS),
])
def test_aws_config_retries_override_the_default(throttled, retries, expected_attempts):
    client, group, attempts = throttled(1000, aws_config={"retries": retries})
    with pytest.raises(NetguardAwsError, match="AWS kept throttling"):
        revoke_egress(client, lockdown(group))
    assert len(attempts) == expected_attempts


def test_aws_max_attempts_from_the_environment_is_honoured(throttled, monkeypatch):
    monkeypatch.setenv("AWS_MAX_ATTEMPTS", "3")
    client, group, attempts = throttled(1000)
    with pytest.raises(NetguardAwsError, match="after 3 attempts"):
        revoke_egress(client, lockdown(group))
    assert len(attempts) == 3


VPC = "vpc-0123456789abcdef0"
PEERED = api_rule("sgr-0000000000000000d", "tcp", 5432, 5432, ReferencedGroupInfo={
    "GroupId": "sg-0dddddddddddddddd", "UserId": "210987654321", "VpcId": "vpc-0ddddddddddddddd0",
    "VpcPeeringConnectionId": "pcx-0123456789abcdef0", "PeeringStatus": "deleted"})
REMOTE = api_rule("sgr-0000000000000000e", "tcp", 8443, 8443, ReferencedGroupInfo={
    "GroupId": "sg-0eeeeeeeeeeeeeeee", "UserId": "210987654321", "VpcId": "vpc-0eeeeeeeeeeeeeee0",
    "VpcPeeringConnectionId": "pcx-0fedcba9876543210", "PeeringStatus": "active"})
LIVE = api_rule("sgr-0000000000000000f", "tcp", 9000, 9000, ReferencedGroupInfo={
    "GroupId": "sg-0fffffffffffffff0", "UserId": "210987654321", "VpcId": "vpc-0fffffffffffffff0",
    "VpcPeeringConnectionId": "pcx-0aaaaaaaaaaaaaaa0", "PeeringStatus": "active"})


def stale_request():
    return revoke_request()._replace(rule_filters=parse_predicates({"stale": True}, "rule_filters", [], "-"))


def test_stale_reads_the_vpc_then_every_page_of_describe_stale_security_groups(stubbed):
    client, stubber = stubbed
    stubber.add_response("describe_security_groups", {"SecurityGroups": [
        {"GroupId": GROUP, "GroupName": "app", "VpcId": VPC, "OwnerId": "123456789012", "Description": "app"}]},
        {"Filters": [{"Name": "group-id", "Values": [GROUP]}], "MaxResults": 1000})
    # AWS pages it (MaxResults 5 to 255); the second page lists the group whose egress is stale.
    stubber.add_response("describe_stale_security_groups", {"StaleSecurityGroupSet": [], "NextToken": "page-2"},
                         {"VpcId": VPC, "MaxResults": 255})
    stubber.add_response("describe_stale_security_groups", {"StaleSecurityGroupSet": [{
        "GroupId": GROUP, "GroupName": "app", "VpcId": VPC, "StaleIpPermissions": [],
        "StaleIpPermissionsEgress": [{"IpProtocol": "tcp", "FromPort": 8443, "ToPort": 8443, "UserIdGroupPairs": [
            {"GroupId": "sg-0eeeeeeeeeeeeeeee", "UserId": "210987654321", "VpcId": "vpc-0eeeeeeeeeeeeeee0",
             "VpcPeeringConnectionId": "pcx-0fedcba9876543210", "PeeringStatus": "active"}]}]}]},
        {"VpcId": VPC, "MaxResults": 255, "NextToken": "page-2"})
    describe(stubber, HTTPS, PEERED, REMOTE, LIVE)
    stubber.add_response("revoke_security_group_egress", {"Return": True, "RevokedSecurityGroupRules": [
        {"SecurityGroupRuleId": PEERED["SecurityGroupRuleId"], "GroupId": GROUP, "IsEgress": True},
        {"SecurityGroupRuleId": REMOTE["SecurityGroupRuleId"], "GroupId": GROUP, "IsEgress": True}]},
        revoke_params(PEERED["SecurityGroupRuleId"], REMOTE["SecurityGroupRuleId"]))

    result = revoke_egress(client, stale_request())

    # One stale by its peering status, one by DescribeStaleSecurityGroups; the live peering stays.
    assert [rule["security_group_rule_id"] for rule in result["revoked_rules"]] == [
        PEERED["SecurityGroupRuleId"], REMOTE["SecurityGroupRuleId"]]
    assert [rule["security_group_rule_id"] for rule in result["egress_rules"]] == [
        HTTPS["SecurityGroupRuleId"], LIVE["SecurityGroupRuleId"]]
    assert result["revoked_ip_permissions"][0]["UserIdGroupPairs"] == [
        {"GroupId": "sg-0dddddddddddddddd", "UserId": "210987654321", "VpcId": "vpc-0ddddddddddddddd0",
         "VpcPeeringConnectionId": "pcx-0123456789abcdef0"}]


def test_stale_without_permission_names_the_action(stubbed):
    client, stubber = stubbed
    stubber.add_response("describe_security_groups", {"SecurityGroups": [
        {"GroupId": GROUP, "GroupName": "app", "VpcId": VPC, "OwnerId": "123456789012", "Description": "app"}]})
    stubber.add_client_error("describe_stale_security_groups", "UnauthorizedOperation",
                             "You are not authorized to perform this operation.", 403)

    with pytest.raises(NetguardAwsError) as error:
        revoke_egress(client, stale_request())
    assert error.value.msg.startswith("access denied: ec2:DescribeStaleSecurityGroups on %s is not allowed" % VPC)
