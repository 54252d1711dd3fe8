"""What every entry point returns around the pipeline: the result or the failure, and every warning, on moto's
in-process EC2."""

import pytest
from moto import mock_aws

from ansible_collections.netguard.aws.plugins.module_utils.module_runner import orchestrated_result
from ansible_collections.netguard.aws.plugins.module_utils.request import parse_revoke_request
from ansible_collections.netguard.aws.plugins.plugin_utils.lean_model import session_with

from .conftest import LOADER, ec2_clients

LOOSE_CIDR_WARNING = "cidr '0.0.0.5/0' was canonicalised to '0.0.0.0/0', the form AWS stores"


def params(**options):
    return dict({"region": "us-east-1", "access_key": "AKIDRUNNER", "secret_key": "runner", "validate_certs": True,
                 "protocol": "all", "cidr": ["0.0.0.5/0"]}, **options)


def result_of(task_params, check_mode=False):
    return orchestrated_result(task_params, parse_revoke_request, check_mode, False, session=session_with(LOADER))


@pytest.fixture
def group(clean_aws_environment):
    """A new group on moto, with the egress rule AWS gives every group (all traffic to 0.0.0.0/0)."""
    with mock_aws():
        client = ec2_clients(access_key="AKIDRUNNER", secret_key="runner").api().client
        yield client.create_security_group(GroupName="web", Description="web")["GroupId"]


def test_a_bad_input_fails_before_any_client_exists(clean_aws_environment):
    # No endpoint, no credentials: nothing is called.
    assert result_of(params(group_id="sg-0123456789abcdef0", endpoint_url="not a url")) == (
        {"failed": True, "msg": "endpoint_url 'not a url' is not a valid URL"}, [])


def test_the_result_comes_with_the_warnings_of_the_input_and_of_the_run(group):
    result, warnings = result_of(params(group_id=group))
    assert result["changed"] is True and result["group_id"] == group
    assert [rule["cidr_ipv4"] for rule in result["revoked_rules"]] == ["0.0.0.0/0"]
    assert "warnings" not in result
    assert warnings == [LOOSE_CIDR_WARNING]


def test_a_failure_keeps_its_details_and_the_warnings_of_the_input(group):
    missing = "sg-0123456789abcdef0"
    result, warnings = result_of(params(group_id=missing))
    assert result == {"failed": True, "msg": "security group %s does not exist in us-east-1" % missing,
                      "group_id": missing}
    assert warnings == [LOOSE_CIDR_WARNING]


def test_check_mode_reaches_the_pipeline(group):
    result, _warnings = result_of(params(group_id=group), check_mode=True)
    assert (result["changed"], result["check_mode"]) == (True, True)
    again, _warnings = result_of(params(group_id=group))
    assert again["changed"] is True, "check mode revoked nothing"
