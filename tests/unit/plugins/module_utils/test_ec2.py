"""The task's EC2 clients: botocore's retry settings, the region, the errors of a bad connection, and what every
write attempt goes through (revoke_rate's pace, the lifeline), at botocore's HTTP layer: no endpoint."""

import os
from urllib.parse import parse_qsl

import botocore.loaders
import botocore.retries.bucket
import botocore.retries.standard
import pytest
from botocore.awsrequest import AWSResponse

from ansible_collections.netguard.aws.plugins.module_utils import ec2
from ansible_collections.netguard.aws.plugins.module_utils.ec2 import DEFAULT_MAX_ATTEMPTS, Ec2Clients
from ansible_collections.netguard.aws.plugins.module_utils.errors import NetguardAwsError
from ansible_collections.netguard.aws.plugins.module_utils.lifeline import Stopped
from ansible_collections.netguard.aws.plugins.plugin_utils.lean_model import session_with

from .conftest import connection, ec2_clients
from .described import GROUP

RULE_ID = "sgr-0000000000000000a"
HTTPS = [{"IpProtocol": "tcp", "FromPort": 443, "ToPort": 443, "IpRanges": [{"CidrIp": "10.0.0.0/16"}]}]


def retries(write_rate=None, **options):
    return ec2_clients(write_rate, **options).api().client.meta.config.retries


def test_adaptive_retries_and_five_attempts_when_the_user_chose_neither(clean_aws_environment):
    assert retries() == {"mode": "adaptive", "total_max_attempts": DEFAULT_MAX_ATTEMPTS}


def test_revoke_rate_keeps_its_pace_with_standard_retries_unless_a_mode_is_chosen(clean_aws_environment, monkeypatch):
    assert retries(5.0) == {"mode": "standard", "total_max_attempts": DEFAULT_MAX_ATTEMPTS}
    monkeypatch.setenv("AWS_RETRY_MODE", "adaptive")
    assert retries(5.0) == {"mode": "adaptive", "total_max_attempts": DEFAULT_MAX_ATTEMPTS}


@pytest.mark.parametrize("environment, expected", [
    ({"AWS_RETRY_MODE": "standard"}, {"mode": "standard", "total_max_attempts": DEFAULT_MAX_ATTEMPTS}),
    # legacy retries fewer errors, and differently: standard is what botocore recommends in its place.
    ({"AWS_RETRY_MODE": "legacy"}, {"mode": "standard", "total_max_attempts": DEFAULT_MAX_ATTEMPTS}),
    ({"AWS_MAX_ATTEMPTS": "3"}, {"mode": "adaptive", "total_max_attempts": 3}),
])
def test_the_users_retry_settings_win(clean_aws_environment, monkeypatch, environment, expected):
    for name, value in environment.items():
        monkeypatch.setenv(name, value)
    assert retries() == expected


def test_aws_config_retries_are_taken_as_given(clean_aws_environment):
    # botocore's max_attempts counts retries: one retry, two attempts.
    assert retries(aws_config={"retries": {"mode": "standard", "max_attempts": 1}}) == {
        "mode": "standard", "total_max_attempts": 2}


def test_each_region_has_one_client_and_none_is_the_connections(clean_aws_environment):
    # Without a session given, the clients make their own.
    clients = Ec2Clients(connection(region="eu-west-3"))
    assert clients.default_region == "eu-west-3"
    assert clients.api() is clients.api(None) is clients.api("eu-west-3")
    other = clients.api("ap-southeast-5")
    assert other.region == "ap-southeast-5" and other is clients.api("ap-southeast-5")


def test_the_region_may_come_from_the_environment(clean_aws_environment, monkeypatch):
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-gov-west-1")
    assert ec2_clients(region=None).default_region == "us-gov-west-1"


@pytest.mark.parametrize("options, message", [
    (dict(region=None), "no AWS region is set: give region, or set AWS_REGION, or a region in the profile"),
    (dict(profile="ghost"), "profile 'ghost' is not in the AWS config or credentials files"),
])
def test_a_connection_that_cannot_make_a_client_fails_saying_what_to_give(clean_aws_environment, options, message):
    with pytest.raises(NetguardAwsError) as raised:
        ec2_clients(**options)
    assert raised.value.msg == message


def test_an_aws_config_botocore_does_not_know_is_refused_naming_it(clean_aws_environment):
    with pytest.raises(NetguardAwsError) as raised:
        ec2_clients(aws_config={"read_timout": 5})
    assert raised.value.msg == ("aws_config '{'read_timout': 5}' is not a valid botocore configuration: Got unexpected "
                                "keyword argument 'read_timout'")


class _Body:
    def __init__(self, content):
        self.content = content

    def stream(self, **_kwargs):
        yield self.content


def _response(request, status, body):
    return AWSResponse(request.url, status, {}, _Body(body))


THROTTLED = (b"<Response><Errors><Error><Code>RequestLimitExceeded</Code><Message>Request limit exceeded.</Message>"
             b"</Error></Errors><RequestID>throttled</RequestID></Response>")
ANSWERS = {
    "RevokeSecurityGroupEgress": b"<RevokeSecurityGroupEgressResponse><return>true</return>"
                                 b"</RevokeSecurityGroupEgressResponse>",
    "AuthorizeSecurityGroupEgress": b"<AuthorizeSecurityGroupEgressResponse><return>true</return>"
                                    b"</AuthorizeSecurityGroupEgressResponse>",
    "DescribeSecurityGroupRules": b"<DescribeSecurityGroupRulesResponse><securityGroupRuleSet/>"
                                  b"</DescribeSecurityGroupRulesResponse>",
}


class Recorder:
    """What happened, in order: the pacer's calls, the lifeline's checks, and the HTTP attempts (``send``)."""

    def __init__(self):
        self.events = []
        self.stopped = False
        self.throttles = {}

    def pacer(self, rate):
        recorder = self

        class RecordingPacer:
            def __init__(self, rate):
                recorder.events.append(("pacer", rate))

            def wait(self):
                recorder.events.append("wait")

            def throttled(self):
                recorder.events.append("throttled")

            def succeeded(self):
                recorder.events.append("succeeded")

        return RecordingPacer

    def check(self):
        self.events.append("check")
        if self.stopped:
            raise Stopped("stopped by SIGTERM")

    def answer(self, request, operation):
        self.events.append(("send", operation))
        if self.throttles.get(operation):
            self.throttles[operation] -= 1
            return _response(request, 503, THROTTLED)
        return _response(request, 200, ANSWERS[operation])


@pytest.fixture
def recorded(clean_aws_environment, monkeypatch):
    """``make(write_rate, lifeline)``: the ``Ec2Api`` of clients made with them, whose HTTP attempts are answered
    here (after every other handler), and the ``Recorder``."""
    monkeypatch.setattr(botocore.retries.standard.ExponentialBackoff, "delay_amount", lambda self, context: 0)
    monkeypatch.setattr(botocore.retries.bucket.TokenBucket, "acquire", lambda self, amount=1, block=True: True)
    recorder = Recorder()
    monkeypatch.setattr(ec2, "Pacer", recorder.pacer(None))

    def make(write_rate=None, lifeline=False):
        api = ec2_clients(write_rate, recorder if lifeline else None).api()
        for operation in ANSWERS:
            api.client.meta.events.register_last(
                "before-send.ec2.%s" % operation,
                lambda request, operation=operation, **_kwargs: recorder.answer(request, operation))
        return api

    return make, recorder


def test_every_attempt_of_both_writes_waits_for_its_turn_and_reports_how_it_went(recorded):
    make, recorder = recorded
    api = make(write_rate=2.5, lifeline=True)
    recorder.throttles["RevokeSecurityGroupEgress"] = 2
    api.revoke_egress(GROUP, [RULE_ID])
    api.authorize_egress(GROUP, HTTPS, {})
    assert recorder.events == [
        ("pacer", 2.5),
        "wait", "check", ("send", "RevokeSecurityGroupEgress"), "throttled",
        "wait", "check", ("send", "RevokeSecurityGroupEgress"), "throttled",
        "wait", "check", ("send", "RevokeSecurityGroupEgress"), "succeeded",
        "wait", "check", ("send", "AuthorizeSecurityGroupEgress"), "succeeded",
    ]


def test_reads_are_neither_paced_nor_stopped(recorded):
    make, recorder = recorded
    api = make(write_rate=2.5, lifeline=True)
    recorder.stopped = True
    recorder.throttles["DescribeSecurityGroupRules"] = 1
    assert api.security_group_rules([GROUP]) == []
    assert recorder.events == [("pacer", 2.5), ("send", "DescribeSecurityGroupRules"),
                               ("send", "DescribeSecurityGroupRules")]


def test_once_the_run_stopped_no_write_is_sent(recorded):
    make, recorder = recorded
    api = make(lifeline=True)
    recorder.stopped = True
    with pytest.raises(Stopped):
        api.revoke_egress(GROUP, [RULE_ID])
    with pytest.raises(Stopped):
        api.authorize_egress(GROUP, HTTPS, {})
    assert recorder.events == ["check", "check"]


def test_a_retry_of_a_write_is_stopped_too(recorded):
    make, recorder = recorded
    api = make(lifeline=True)
    recorder.throttles["RevokeSecurityGroupEgress"] = 1

    def stop_after_the_first_attempt(request, operation):
        recorder.stopped = True
        return Recorder.answer(recorder, request, operation)

    recorder.answer = stop_after_the_first_attempt
    with pytest.raises(Stopped):
        api.revoke_egress(GROUP, [RULE_ID])
    assert recorder.events == ["check", ("send", "RevokeSecurityGroupEgress"), "check"]


def test_without_revoke_rate_there_is_no_pace(recorded):
    make, recorder = recorded
    api = make(lifeline=True)
    recorder.throttles["RevokeSecurityGroupEgress"] = 1
    api.revoke_egress(GROUP, [RULE_ID])
    assert recorder.events == ["check", ("send", "RevokeSecurityGroupEgress"),
                               "check", ("send", "RevokeSecurityGroupEgress")]


def test_without_revoke_rate_and_lifeline_a_write_is_sent_as_it_is(recorded):
    make, recorder = recorded
    api = make()
    api.revoke_egress(GROUP, [RULE_ID])
    assert recorder.events == [("send", "RevokeSecurityGroupEgress")]


def test_the_ecs_client_of_a_region_has_the_connection_s_settings(clean_aws_environment, tmp_path):
    bundle = tmp_path / "ca.pem"
    bundle.write_text("")
    api = ec2_clients(region="eu-west-3", endpoint_url="https://aws.example.test:4566", aws_ca_bundle=str(bundle),
                      aws_config={"connect_timeout": 7}).api("ap-southeast-5")
    ecs = api.ecs_client
    assert ecs is api.ecs_client, "one ECS client per region"
    assert ecs.meta.service_model.service_name == "ecs"
    assert ecs.meta.region_name == "ap-southeast-5"
    assert ecs.meta.endpoint_url == "https://aws.example.test:4566"
    assert ecs._endpoint.http_session._verify == str(bundle)
    assert ecs._request_signer._credentials.access_key == "AKIDSTUB"
    assert ecs.meta.config.retries == api.client.meta.config.retries
    assert ecs.meta.config.connect_timeout == 7 and ecs.meta.config.user_agent_extra == "netguard.aws"


def test_a_botocore_without_include_managed_resources_sends_it_all_the_same(clean_aws_environment):
    """A botocore released before the parameter existed has it in neither model."""
    class OlderModelLoader(botocore.loaders.JSONFileLoader):
        def load_file(self, file_path):
            data = super().load_file(file_path)
            if data and file_path.endswith(os.path.join("ec2", "2016-11-15", "service-2")):
                for request in ("DescribeNetworkInterfacesRequest", "DescribeLaunchTemplateVersionsRequest"):
                    del data["shapes"][request]["members"]["IncludeManagedResources"]
            return data

    clients = Ec2Clients(connection(), session=session_with(botocore.loaders.Loader(file_loader=OlderModelLoader())))
    api = clients.api()
    assert "IncludeManagedResources" not in api.client.meta.service_model.operation_model(
        "DescribeNetworkInterfaces").input_shape.members
    bodies = []

    def answer(request, **_kwargs):
        body = dict(parse_qsl(request.body.decode() if isinstance(request.body, bytes) else request.body))
        bodies.append(body)
        empty = {"DescribeNetworkInterfaces": "networkInterfaceSet",
                 "DescribeLaunchTemplateVersions": "launchTemplateVersionSet"}[body["Action"]]
        return _response(request, 200, ("<%sResponse><%s/></%sResponse>" % (body["Action"], empty, body["Action"]))
                         .encode())

    for operation in ("DescribeNetworkInterfaces", "DescribeLaunchTemplateVersions"):
        api.client.meta.events.register_last("before-send.ec2.%s" % operation, answer)
    assert api.network_interfaces([GROUP]) == []
    assert api.network_interfaces([GROUP]) == []
    assert api.launch_template_versions() == []
    assert [(body["Action"], body["IncludeManagedResources"]) for body in bodies] == [
        ("DescribeNetworkInterfaces", "true")] * 2 + [("DescribeLaunchTemplateVersions", "true")]
    assert bodies[0]["Filter.1.Value.1"] == GROUP and bodies[2]["LaunchTemplateVersion.1"] == "$Default"
