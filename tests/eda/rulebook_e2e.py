"""The shipped rulebook on the real engine: ansible-rulebook (from .venv-eda, ``make test-eda``) runs
``netguard.aws.egress_guard`` from the built and installed collection, with its webhook source on loopback; an
EventBridge event posted to it removes the forbidden egress rule it introduced from moto_server's group, and nothing
else.

Not collected by ``make test`` (the file name is not ``test_*``): ``make test-eda`` names it, with NETGUARD_EDA_VENV
set to the environment that holds ansible-rulebook."""

import json
import os
import secrets
import signal
import socket
import subprocess
import time
import urllib.error
import urllib.request

import pytest
import yaml

from ..support import cloudtrail
from ..support.endpoint import COLLECTION_ROOT, REGION, ansible_environment

EDA_BIN = os.path.join(COLLECTION_ROOT, os.environ.get("NETGUARD_EDA_VENV", ".venv-eda"), "bin")
# The playbook's outcome line (its debug task), one per event handled.
OUTCOME = '"outcome": '


def _free_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class Rulebook:
    """``ansible-rulebook -r netguard.aws.egress_guard`` for the life of the test module; its output in a file."""

    def __init__(self, endpoint, collections_path, work_dir):
        self.port = _free_port()
        self.token = secrets.token_urlsafe(24)
        self.url = "http://127.0.0.1:%d/" % self.port
        self.log_path = os.path.join(work_dir, "ansible-rulebook.log")
        vars_path = os.path.join(work_dir, "egress-guard-vars.yml")
        inventory_path = os.path.join(work_dir, "egress-guard-inventory.yml")
        with open(vars_path, "w") as handle:
            yaml.safe_dump({"egress_guard_webhook_host": "127.0.0.1", "egress_guard_webhook_port": self.port,
                            "egress_guard_webhook_token": self.token, "egress_guard_endpoint_url": endpoint.url},
                           handle)
        with open(inventory_path, "w") as handle:
            yaml.safe_dump({"all": {"hosts": {"localhost": {
                "ansible_connection": "local", "ansible_python_interpreter": os.path.join(EDA_BIN, "python")}}}},
                handle)
        environment = ansible_environment(collections_path, work_dir, **endpoint.environment())
        # The engine's ansible-galaxy (to find the collection's rulebook) and ansible-playbook (to run its playbook).
        environment["PATH"] = EDA_BIN + os.pathsep + environment["PATH"]
        with open(self.log_path, "wb") as log:
            self.process = subprocess.Popen(
                [os.path.join(EDA_BIN, "ansible-rulebook"), "--rulebook", "netguard.aws.egress_guard",
                 "--vars", vars_path, "-i", inventory_path, "--shutdown-delay", "5"],
                cwd=work_dir, env=environment, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)

    def wait_until_listening(self, timeout=120):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            assert self.process.poll() is None, "ansible-rulebook exited:\n" + self.output()
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=1).close()
                return
            except OSError:
                time.sleep(0.5)
        raise AssertionError("the webhook did not listen within %d s:\n%s" % (timeout, self.output()))

    def post(self, event, token=None):
        request = urllib.request.Request(self.url + "eventbridge", data=json.dumps(event).encode(), method="POST",
                                         headers={"Content-Type": "application/json",
                                                  "Authorization": "Bearer %s" % (token or self.token)})
        try:
            with urllib.request.urlopen(request, timeout=10) as response:
                return response.status
        except urllib.error.HTTPError as error:
            return error.code

    def output(self):
        with open(self.log_path, errors="replace") as handle:
            return handle.read()

    def stop(self):
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(30)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait()


@pytest.fixture(scope="module")
def rulebook(endpoint, collections_path, work_dir):
    assert os.path.exists(os.path.join(EDA_BIN, "ansible-rulebook")), "run `make test-eda`, which installs " + EDA_BIN
    engine = Rulebook(endpoint, collections_path, work_dir)
    try:
        engine.wait_until_listening()
        yield engine
    finally:
        engine.stop()


def _egress(ec2, group_id):
    rules = ec2.describe_security_group_rules(Filters=[{"Name": "group-id", "Values": [group_id]}])["SecurityGroupRules"]
    return {rule["SecurityGroupRuleId"]: (rule["IpProtocol"], rule.get("FromPort"), rule.get("ToPort"),
                                          rule.get("CidrIpv4")) for rule in rules if rule["IsEgress"]}


def _wait_for_outcomes(rulebook, count, timeout=60):
    """Until the playbook has reported ``count`` outcomes; the output for the assertions."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        output = rulebook.output()
        if output.count(OUTCOME) >= count:
            return output
        assert rulebook.process.poll() is None, "ansible-rulebook exited:\n" + output
        time.sleep(0.5)
    raise AssertionError("%d outcome(s) not reported within %d s:\n%s" % (count, timeout, rulebook.output()))


def test_the_posted_event_removes_the_allow_all_rule_it_added_and_nothing_else(rulebook, endpoint):
    endpoint.reset()
    ec2 = endpoint.client()
    vpc = ec2.create_vpc(CidrBlock="10.0.0.0/16")["Vpc"]["VpcId"]
    group = ec2.create_security_group(GroupName="web", Description="web", VpcId=vpc)["GroupId"]
    # The group's own allow-all rule goes first, and a rule the policy forbids is there before the event: neither is
    # the event's, so the reaction leaves the second alone.
    ec2.revoke_security_group_egress(GroupId=group, IpPermissions=[{"IpProtocol": "-1",
                                                                    "IpRanges": [{"CidrIp": "0.0.0.0/0"}]}])
    ec2.authorize_security_group_egress(GroupId=group, IpPermissions=[
        {"IpProtocol": "tcp", "FromPort": 80, "ToPort": 80, "IpRanges": [{"CidrIp": "0.0.0.0/0"}]}])
    before_event = set(_egress(ec2, group))
    # One call each (moto's response to a call with several permissions lists only the last rule), one event with
    # both, as AWS records a call that adds both.
    allow_all, https = (ec2.authorize_security_group_egress(GroupId=group, IpPermissions=[permission])
                        ["SecurityGroupRules"][0]["SecurityGroupRuleId"] for permission in (
        {"IpProtocol": "-1", "IpRanges": [{"CidrIp": "0.0.0.0/0"}]},
        {"IpProtocol": "tcp", "FromPort": 443, "ToPort": 443, "IpRanges": [{"CidrIp": "0.0.0.0/0"}]}))
    # A description carrying a template of an undefined variable: templated, it would fail the task; the event's
    # strings reach the module as they are.
    event = cloudtrail.eventbridge(cloudtrail.authorize_security_group_egress(group, [
        cloudtrail.rule(allow_all, description="{{ netguard_undefined_probe }}"), cloudtrail.rule(https, "tcp", (443, 443))],
        region=REGION))

    assert rulebook.post(event, token="not-the-token") == 401
    assert rulebook.post(event) == 200
    deadline = time.monotonic() + 30
    while allow_all in _egress(ec2, group):
        assert time.monotonic() < deadline, "the allow-all rule is still there after 30 s:\n" + rulebook.output()
        time.sleep(0.5)
    output = _wait_for_outcomes(rulebook, 1)
    after = _egress(ec2, group)
    assert set(after) == before_event | {https}
    assert '"outcome": "revoked"' in output
    assert '"rule_ids": [' in output and allow_all in output

    # Delivered again (EventBridge delivers at least once): nothing changes and nothing fails; of the event's rules,
    # only the one the policy keeps is there.
    assert rulebook.post(event) == 200
    output = _wait_for_outcomes(rulebook, 2)
    assert _egress(ec2, group) == after
    assert output.count('"outcome": "revoked"') == 1 and '"outcome": "allowed_by_policy"' in output
    assert "failed=1" not in output and "FAILED!" not in output, output
    # The token is not in the engine's output.
    assert rulebook.token not in output
