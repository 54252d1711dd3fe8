"""What only real AWS returns, with botocore's Stubber and at botocore's HTTP layer.

moto's revoke response has no RevokedSecurityGroupRules or UnknownIpPermissions,
it does not paginate, and it does not throttle; these tests give the pipeline
the responses AWS documents.
"""

import botocore.retries.bucket
import botocore.retries.standard
import pytest
from botocore.awsrequest import AWSResponse
from moto import mock_aws

from ansible_collections.netguard.aws.plugins.module_utils.ec2 import DEFAULT_MAX_ATTEMPTS
from ansible_collections.netguard.aws.plugins.module_utils.errors import NetguardAwsError
from ansible_collections.netguard.aws.plugins.module_utils.pipeline import run
from ansible_collections.netguard.aws.plugins.module_utils.request import parse_revoke_request

from .conftest import ec2_clients
from .described import GROUP, api_rule

HTTPS = api_rule("sgr-0000000000000000a", "tcp", 443, 443, CidrIpv4="10.0.0.0/16", description="web")
SMTP = api_rule("sgr-0000000000000000b", "tcp", 25, 25, CidrIpv4="0.0.0.0/0")
INGRESS = api_rule("sgr-0000000000000000c", "tcp", 22, 22, egress=False, CidrIpv4="10.0.0.0/8")
DESCRIBE_PARAMS = {"Filters": [{"Name": "group-id", "Values": [GROUP]}], "MaxResults": 1000}


def revoke_request(group_id=GROUP, rule_ids=(), revoke_all=False, **params):
    params = dict(params, group_id=group_id, security_group_rule_ids=list(rule_ids) or None, revoke_all=revoke_all)
    return parse_revoke_request(params)[0]


def revoke_egress(clients, request, check_mode=False, diff=False):
    """The revoke module's result, as the pipeline gives it."""
    return run(request, clients, check_mode=check_mode, diff=diff)


def by_ids(*rule_ids):
    return revoke_request(rule_ids=rule_ids)


def describe(stubber, *rules, **extra):
    expected = dict(DESCRIBE_PARAMS, **extra.pop("expected", {}))
    stubber.add_response("describe_security_group_rules", dict({"SecurityGroupRules": list(rules)}, **extra), expected)


def revoke_params(*rule_ids, **extra):
    return dict({"GroupId": GROUP, "SecurityGroupRuleIds": list(rule_ids), "DryRun": False}, **extra)


def test_changed_follows_revoked_security_group_rules(stubbed):
    clients, stubber = stubbed
    describe(stubber, HTTPS, SMTP, INGRESS)
    stubber.add_response("revoke_security_group_egress", {
        "Return": True,
        "RevokedSecurityGroupRules": [{"SecurityGroupRuleId": HTTPS["SecurityGroupRuleId"], "GroupId": GROUP,
                                       "IsEgress": True, "IpProtocol": "tcp", "FromPort": 443, "ToPort": 443,
                                       "CidrIpv4": "10.0.0.0/16", "Description": "web"}],
    }, revoke_params(HTTPS["SecurityGroupRuleId"], SMTP["SecurityGroupRuleId"]))

    result = revoke_egress(clients, by_ids(HTTPS["SecurityGroupRuleId"], SMTP["SecurityGroupRuleId"]))

    assert result["changed"] is True
    assert [rule["security_group_rule_id"] for rule in result["revoked_rules"]] == [HTTPS["SecurityGroupRuleId"]]
    assert [rule["security_group_rule_id"] for rule in result["egress_rules"]] == [SMTP["SecurityGroupRuleId"]]
    assert result["warnings"] == ["AWS did not report %s as revoked from %s" % (SMTP["SecurityGroupRuleId"], GROUP)]


def test_empty_revoked_security_group_rules_means_not_changed(stubbed):
    clients, stubber = stubbed
    describe(stubber, HTTPS)
    stubber.add_response("revoke_security_group_egress", {"Return": True, "RevokedSecurityGroupRules": []},
                         revoke_params(HTTPS["SecurityGroupRuleId"]))
    result = revoke_egress(clients, by_ids(HTTPS["SecurityGroupRuleId"]))
    assert result["changed"] is False and result["revoked_rules"] == []
    assert len(result["egress_rules"]) == 1


def test_unknown_ip_permissions_are_returned_as_aws_sent_them(stubbed):
    clients, stubber = stubbed
    unknown = [{"IpProtocol": "tcp", "FromPort": 8080, "ToPort": 8080, "IpRanges": [{"CidrIp": "10.9.0.0/16"}]}]
    describe(stubber, HTTPS)
    stubber.add_response("revoke_security_group_egress", {
        "Return": True, "UnknownIpPermissions": unknown,
        "RevokedSecurityGroupRules": [{"SecurityGroupRuleId": HTTPS["SecurityGroupRuleId"]}]},
        revoke_params(HTTPS["SecurityGroupRuleId"]))
    result = revoke_egress(clients, by_ids(HTTPS["SecurityGroupRuleId"]))
    assert result["unknown_ip_permissions"] == unknown
    assert result["changed"] is True


def test_check_mode_dry_run_operation_means_would_change(stubbed):
    clients, stubber = stubbed
    describe(stubber, HTTPS, SMTP)
    stubber.add_client_error("revoke_security_group_egress", "DryRunOperation",
                             "Request would have succeeded, but DryRun flag is set.", 412,
                             expected_params=revoke_params(SMTP["SecurityGroupRuleId"], DryRun=True))
    result = revoke_egress(clients, by_ids(SMTP["SecurityGroupRuleId"]), check_mode=True, diff=True)
    assert result["changed"] is True
    assert [rule["security_group_rule_id"] for rule in result["revoked_rules"]] == [SMTP["SecurityGroupRuleId"]]
    assert "tcp 25" in result["diff"]["before"] and "tcp 25" not in result["diff"]["after"]


def test_check_mode_unauthorized_operation_names_the_permission_and_group(stubbed):
    clients, stubber = stubbed
    describe(stubber, HTTPS)
    stubber.add_client_error("revoke_security_group_egress", "UnauthorizedOperation",
                             "You are not authorized to perform this operation.", 403,
                             expected_params=revoke_params(HTTPS["SecurityGroupRuleId"], DryRun=True))
    with pytest.raises(NetguardAwsError) as error:
        revoke_egress(clients, by_ids(HTTPS["SecurityGroupRuleId"]), check_mode=True)
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
    clients, stubber = stubbed
    stubber.add_client_error("describe_security_group_rules", code, "the service said no", 400,
                             expected_params=DESCRIBE_PARAMS)
    with pytest.raises(NetguardAwsError) as error:
        revoke_egress(clients, by_ids(HTTPS["SecurityGroupRuleId"]))
    assert message in error.value.msg
    assert error.value.details["error_code"] == code


def test_described_rules_are_read_across_pages(stubbed):
    clients, stubber = stubbed
    describe(stubber, HTTPS, NextToken="page-2")
    describe(stubber, SMTP, expected={"NextToken": "page-2"})
    stubber.add_response("revoke_security_group_egress", {"Return": True},
                         revoke_params(HTTPS["SecurityGroupRuleId"], SMTP["SecurityGroupRuleId"]))
    result = revoke_egress(clients, revoke_request(revoke_all=True))
    assert len(result["revoked_rules"]) == 2


def test_rule_removed_by_someone_else_meanwhile_is_reported_not_fatal(stubbed):
    clients, stubber = stubbed
    https_id, smtp_id = HTTPS["SecurityGroupRuleId"], SMTP["SecurityGroupRuleId"]
    describe(stubber, HTTPS, SMTP)
    stubber.add_client_error("revoke_security_group_egress", "InvalidSecurityGroupRuleId.NotFound",
                             "The security group rule ID '%s' does not exist" % https_id, 400,
                             expected_params=revoke_params(https_id, smtp_id))
    describe(stubber, SMTP)
    stubber.add_response("revoke_security_group_egress", {"Return": True, "RevokedSecurityGroupRules": [
        {"SecurityGroupRuleId": smtp_id}]}, revoke_params(smtp_id))

    result = revoke_egress(clients, by_ids(https_id, smtp_id))

    assert result["changed"] is True
    assert [rule["security_group_rule_id"] for rule in result["revoked_rules"]] == [smtp_id]
    assert result["unmatched"] == [{"security_group_rule_id": https_id}]
    assert result["egress_rules"] == []
    assert result["warnings"] == ["%s disappeared from %s before this task could revoke it (removed by another "
                                  "change)" % (https_id, GROUP)]


def test_when_every_matched_rule_vanished_nothing_is_revoked(stubbed):
    clients, stubber = stubbed
    describe(stubber, HTTPS)
    stubber.add_client_error("revoke_security_group_egress", "InvalidPermission.NotFound", "gone", 400,
                             expected_params=revoke_params(HTTPS["SecurityGroupRuleId"]))
    describe(stubber)
    # No rule at all: the group is looked up, to tell an emptied group from a deleted one.
    stubber.add_response("describe_security_groups", {"SecurityGroups": [{"GroupId": GROUP, "GroupName": "web"}]},
                         {"Filters": [{"Name": "group-id", "Values": [GROUP]}], "MaxResults": 1000})
    result = revoke_egress(clients, by_ids(HTTPS["SecurityGroupRuleId"]))
    assert result["changed"] is False and result["revoked_rules"] == []
    stubber.assert_no_pending_responses()


def test_a_group_deleted_while_the_task_revoked_fails_naming_it(stubbed):
    clients, stubber = stubbed
    describe(stubber, HTTPS)
    stubber.add_client_error("revoke_security_group_egress", "InvalidSecurityGroupRuleId.NotFound", "gone", 400,
                             expected_params=revoke_params(HTTPS["SecurityGroupRuleId"]))
    describe(stubber)
    stubber.add_response("describe_security_groups", {"SecurityGroups": []},
                         {"Filters": [{"Name": "group-id", "Values": [GROUP]}], "MaxResults": 1000})
    with pytest.raises(NetguardAwsError) as raised:
        revoke_egress(clients, by_ids(HTTPS["SecurityGroupRuleId"]))
    assert raised.value.msg == "security group %s does not exist in us-east-1" % GROUP


def test_rules_that_keep_vanishing_fail_after_bounded_attempts(stubbed):
    clients, stubber = stubbed
    describe(stubber, HTTPS)
    for attempt in range(3):
        stubber.add_client_error("revoke_security_group_egress", "InvalidSecurityGroupRuleId.NotFound", "gone", 400,
                                 expected_params=revoke_params(HTTPS["SecurityGroupRuleId"]))
        describe(stubber, HTTPS)
    with pytest.raises(NetguardAwsError, match="kept changing while this task revoked them"):
        revoke_egress(clients, by_ids(HTTPS["SecurityGroupRuleId"]))


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
def throttled(monkeypatch, clean_aws_environment):
    """Make the clients the collection's way, on moto, whose describe calls AWS throttles ``throttles`` times.

    Returns the clients, a group on the endpoint, and the list of HTTP attempts.
    """
    monkeypatch.setattr(botocore.retries.standard.ExponentialBackoff, "delay_amount", lambda self, context: 0)
    # adaptive mode (the default) also slows the client down after throttles: these tests count attempts, not time.
    monkeypatch.setattr(botocore.retries.bucket.TokenBucket, "acquire", lambda self, amount=1, block=True: True)

    def make(throttles, **options):
        clients = ec2_clients(access_key="AKIDTHROTTLE", secret_key="throttle", **options)
        client = clients.api().client
        group = client.create_security_group(GroupName="busy", Description="busy")["GroupId"]
        attempts = []

        def handler(request, **_kwargs):
            attempts.append(request.url)
            return _throttled(request) if len(attempts) <= throttles else None

        client.meta.events.register_first("before-send.ec2.DescribeSecurityGroupRules", handler)
        return clients, group, attempts

    with mock_aws():
        yield make


def lockdown(group):
    return revoke_request(group_id=group, revoke_all=True)


def test_throttling_a_few_times_then_success_is_retried_by_botocore(throttled):
    clients, group, attempts = throttled(2)
    result = revoke_egress(clients, lockdown(group))
    assert result["changed"] is True
    assert len(attempts) == 3


def test_persistent_throttling_fails_after_the_default_attempts(throttled):
    clients, group, attempts = throttled(1000)
    with pytest.raises(NetguardAwsError) as error:
        revoke_egress(clients, lockdown(group))
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
    clients, group, attempts = throttled(1000, aws_config={"retries": retries})
    with pytest.raises(NetguardAwsError, match="AWS kept throttling"):
        revoke_egress(clients, lockdown(group))
    assert len(attempts) == expected_attempts


def test_aws_max_attempts_from_the_environment_is_honoured(throttled, monkeypatch):
    monkeypatch.setenv("AWS_MAX_ATTEMPTS", "3")
    clients, group, attempts = throttled(1000)
    with pytest.raises(NetguardAwsError, match="after 3 attempts"):
        revoke_egress(clients, lockdown(group))
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
    return revoke_request(rule_filters={"stale": True})


def test_stale_reads_the_vpc_then_every_page_of_describe_stale_security_groups(stubbed):
    clients, stubber = stubbed
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

    result = revoke_egress(clients, stale_request())

    # One stale by its peering status, one by DescribeStaleSecurityGroups; the live peering stays.
    assert [rule["security_group_rule_id"] for rule in result["revoked_rules"]] == [
        PEERED["SecurityGroupRuleId"], REMOTE["SecurityGroupRuleId"]]
    assert [rule["security_group_rule_id"] for rule in result["egress_rules"]] == [
        HTTPS["SecurityGroupRuleId"], LIVE["SecurityGroupRuleId"]]
    assert result["revoked_ip_permissions"][0]["UserIdGroupPairs"] == [
        {"GroupId": "sg-0dddddddddddddddd", "UserId": "210987654321", "VpcId": "vpc-0ddddddddddddddd0",
         "VpcPeeringConnectionId": "pcx-0123456789abcdef0"}]


def test_stale_without_permission_names_the_action(stubbed):
    clients, stubber = stubbed
    stubber.add_response("describe_security_groups", {"SecurityGroups": [
        {"GroupId": GROUP, "GroupName": "app", "VpcId": VPC, "OwnerId": "123456789012", "Description": "app"}]})
    stubber.add_client_error("describe_stale_security_groups", "UnauthorizedOperation",
                             "You are not authorized to perform this operation.", 403)

    with pytest.raises(NetguardAwsError) as error:
        revoke_egress(clients, stale_request())
    assert error.value.msg.startswith("access denied: ec2:DescribeStaleSecurityGroups on %s is not allowed" % VPC)


DATABASE = "sg-0dbdbdbdbdbdbdbdb"
TO_DATABASE = api_rule("sgr-00000000000000010", "tcp", 5432, 5432, ReferencedGroupInfo={
    "GroupId": DATABASE, "UserId": "123456789012"})
TO_OLD_DATABASE = api_rule("sgr-00000000000000011", "tcp", 6432, 6432, ReferencedGroupInfo={
    "GroupId": DATABASE, "UserId": "123456789012"})


def described_group(stubber):
    stubber.add_response("describe_security_groups", {"SecurityGroups": [
        {"GroupId": GROUP, "GroupName": "app", "VpcId": VPC, "OwnerId": "123456789012", "Description": "app"}]},
        DESCRIBE_PARAMS)


def test_names_and_stale_references_are_read_before_the_rules_in_one_call_each(stubbed):
    clients, stubber = stubbed
    described_group(stubber)
    stubber.add_response("describe_security_groups", {"SecurityGroups": [
        {"GroupId": DATABASE, "GroupName": "db", "VpcId": VPC, "OwnerId": "123456789012", "Description": "db"}]},
        {"Filters": [{"Name": "group-name", "Values": ["db"]}, {"Name": "vpc-id", "Values": [VPC]}],
         "MaxResults": 1000})
    stubber.add_response("describe_stale_security_groups", {"StaleSecurityGroupSet": [{
        "GroupId": GROUP, "VpcId": VPC, "StaleIpPermissionsEgress": [
            {"IpProtocol": "tcp", "FromPort": 6432, "ToPort": 6432, "UserIdGroupPairs": [{"GroupId": DATABASE}]}]}]},
        {"VpcId": VPC, "MaxResults": 255})
    describe(stubber, HTTPS, TO_DATABASE, TO_OLD_DATABASE)
    stubber.add_response("revoke_security_group_egress", {"Return": True, "RevokedSecurityGroupRules": [
        {"SecurityGroupRuleId": TO_OLD_DATABASE["SecurityGroupRuleId"], "GroupId": GROUP, "IsEgress": True}]},
        revoke_params(TO_OLD_DATABASE["SecurityGroupRuleId"]))

    result = revoke_egress(clients, revoke_request(rule_filters={"destination_group": "db", "stale": True}))

    assert [rule["security_group_rule_id"] for rule in result["revoked_rules"]] == [
        TO_OLD_DATABASE["SecurityGroupRuleId"]]
    assert [rule["security_group_rule_id"] for rule in result["egress_rules"]] == [
        HTTPS["SecurityGroupRuleId"], TO_DATABASE["SecurityGroupRuleId"]]


def test_a_destination_name_no_group_has_fails_before_the_rules_are_read(stubbed):
    clients, stubber = stubbed
    described_group(stubber)
    stubber.add_response("describe_security_groups", {"SecurityGroups": [
        # Filter values are patterns: a group named db2 answers db*; it is not db*.
        {"GroupId": DATABASE, "GroupName": "db2", "VpcId": VPC, "OwnerId": "123456789012", "Description": "db"}]},
        {"Filters": [{"Name": "group-name", "Values": ["db*"]}, {"Name": "vpc-id", "Values": [VPC]}],
         "MaxResults": 1000})
    with pytest.raises(NetguardAwsError) as raised:
        revoke_egress(clients, revoke_request(protocol="tcp", port=5432, destination_group="db*"))
    assert raised.value.msg == ("destination group 'db*': no security group has that name in %s; give its sg- ID "
                                "instead" % VPC)


def test_a_group_named_by_id_that_does_not_exist_fails_naming_it(stubbed):
    clients, stubber = stubbed
    # A group without any rule is looked up: here it is not there.
    describe(stubber)
    stubber.add_response("describe_security_groups", {"SecurityGroups": []}, DESCRIBE_PARAMS)
    with pytest.raises(NetguardAwsError) as raised:
        revoke_egress(clients, revoke_request(revoke_all=True))
    assert raised.value.msg == "security group %s does not exist in us-east-1" % GROUP
    assert raised.value.details["group_id"] == GROUP
