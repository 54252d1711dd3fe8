"""Faults injected at the HTTP layer, between the collection and the endpoint, on both execution paths.

Each case runs one task through a FaultProxy in front of moto_server and asserts its outcome, the API
calls that reached the proxy, and that no rule went beyond those the task was asked to remove. What a
fault meets is botocore and the collection's own code, the same below each path's validation, so each
case runs that code in this process, as each path does: the module's ``main`` (``AnsibleModule``) and the
action plugin's in-process validation (``validated_result``). A bulk run with faults goes through
``ansible-playbook`` on both paths, for what only a whole run shows.
"""

import json
import os
import socket
import time

import pytest
from ansible.module_utils.common import warnings as module_warnings

from ansible_collections.netguard.aws.plugins.module_utils.request import parse_revoke_request
from ansible_collections.netguard.aws.plugins.modules import ec2_security_group_egress_revoke
from ansible_collections.netguard.aws.plugins.plugin_utils.validation import validated_result

from ..support.fault_proxy import Fault, FaultProxy
from ..support.normalise import id_labels, relabelled
from ..support.seed import egress_rules, label_of, seed_fleet
from ..unit.conftest import patch_module_args

pytestmark = pytest.mark.integration

REVOKE = "netguard.aws.ec2_security_group_egress_revoke"
REMOVE_SMTP = {"group_id": "{{ group_id }}", "protocol": "tcp", "port": 25, "cidr": "0.0.0.0/0"}
# Generous: botocore's standard mode waits at most 1+2+4+8 s between its 5 attempts.
BOUNDED_SECONDS = 45


@pytest.fixture
def run_case(monkeypatch, capsys):
    """``run_case(path, arguments, variables, aws_environment, check_mode=False)``: one revoke task on a path's code,
    with ``{{ group_id }}`` in the arguments taken from ``variables``; its result, its warnings as text, and the
    seconds taken."""

    def run(path, arguments, variables, aws_environment, check_mode=False):
        for name in list(os.environ):
            if name.startswith("AWS_"):
                monkeypatch.delenv(name)
        for name, value in dict(aws_environment, AWS_EC2_METADATA_DISABLED="true",
                                AWS_CONFIG_FILE="/nonexistent/netguard-aws-config",
                                AWS_SHARED_CREDENTIALS_FILE="/nonexistent/netguard-aws-credentials").items():
            monkeypatch.setenv(name, value)
        arguments = json.loads(json.dumps(arguments).replace("{{ group_id }}", variables.get("group_id", "")))
        started = time.monotonic()
        if path == "module":
            module_warnings._global_warnings.clear()
            with patch_module_args(dict(arguments, _ansible_check_mode=check_mode)), pytest.raises(SystemExit):
                ec2_security_group_egress_revoke.main()
            result = json.loads(capsys.readouterr().out)
        else:
            result = validated_result(ec2_security_group_egress_revoke.MODULE_KWARGS, arguments, parse_revoke_request,
                                      check_mode, False)[0]
        seconds = time.monotonic() - started
        assert "Traceback" not in json.dumps(result)
        return dict(result, failed=bool(result.get("failed"))), json.dumps(result.get("warnings", [])), seconds

    return run


def run_task(ansible, work_dir, execution_path, arguments, variables, aws_environment):
    """Run one revoke task with ansible-playbook (errors ignored); return its recorded result."""
    playbook = os.path.join(work_dir, "fault.yml")
    with open(playbook, "w") as handle:
        handle.write("- name: Fault\n  hosts: localhost\n  gather_facts: false\n  tasks:\n"
                     "    - name: Revoke\n      %s: %s\n      ignore_errors: true\n" % (REVOKE, json.dumps(arguments)))
    results_file = os.path.join(work_dir, "fault-results.json")
    completed = ansible("ansible-playbook", playbook, "-e", json.dumps(variables), in_process=execution_path,
                        results_file=results_file, aws_environment=aws_environment)
    assert completed.returncode == 0, completed.stdout
    with open(results_file) as handle:
        (recorded,) = json.load(handle)
    assert "Traceback" not in completed.stdout
    return dict(recorded["result"], failed=recorded["failed"])


def lost_rules(before, after, intended):
    """Labels of rules that went although they were not to be removed."""
    return sorted(set(before) - set(after) - set(intended))


def labelled_rules(ec2, group_id):
    return set(label_of(rule) for rule in egress_rules(ec2, group_id).values())


def through(endpoint, proxy):
    return dict(endpoint.environment(), AWS_URL=proxy.url)


def count(proxy, action, **parameters):
    return sum(1 for request in proxy.calls(action) if all(request.get(key) == value for key, value in parameters.items()))


FAULTS = {}


def fault_case(function):
    FAULTS[function.__name__] = function
    return function


@fault_case
def throttled_then_success(run, endpoint, ec2, ids, path):
    fault = Fault({"Action": "DescribeSecurityGroupRules"}, "RequestLimitExceeded", "Request limit exceeded.",
                  status=503, times=2)
    with FaultProxy(endpoint.url, [fault]) as proxy:
        result, _output, _seconds = run(path, REMOVE_SMTP, ids, through(endpoint, proxy))
        assert result["changed"] is True and not result.get("failed")
        assert count(proxy, "DescribeSecurityGroupRules") == 3 and count(proxy, "RevokeSecurityGroupEgress") == 1
    return {"tcp-25-0.0.0.0/0"}, "succeeded after 2 throttled attempts"


@fault_case
def persistent_throttling(run, endpoint, ec2, ids, path):
    fault = Fault({"Action": "DescribeSecurityGroupRules"}, "RequestLimitExceeded", "Request limit exceeded.", status=503)
    with FaultProxy(endpoint.url, [fault]) as proxy:
        result, _output, seconds = run(path, REMOVE_SMTP, ids, through(endpoint, proxy))
        assert result["failed"] is True
        assert result["msg"] == ("AWS kept throttling ec2:DescribeSecurityGroupRules on %s (RequestLimitExceeded) after "
                                 "5 attempts: retry later, or raise aws_config.retries.max_attempts" % ids["group_id"])
        assert count(proxy, "DescribeSecurityGroupRules") == 5 and count(proxy, "RevokeSecurityGroupEgress") == 0
    assert seconds < BOUNDED_SECONDS
    return set(), "failed after 5 attempts in %d s or less, naming the throttled call" % BOUNDED_SECONDS


@fault_case
def server_errors_then_success(run, endpoint, ec2, ids, path):
    fault = Fault({"Action": "RevokeSecurityGroupEgress"}, "InternalError", "An internal error has occurred.",
                  status=500, times=2)
    with FaultProxy(endpoint.url, [fault]) as proxy:
        result, _output, _seconds = run(path, REMOVE_SMTP, ids, through(endpoint, proxy))
        assert result["changed"] is True and not result.get("failed")
        assert count(proxy, "RevokeSecurityGroupEgress") == 3
    return {"tcp-25-0.0.0.0/0"}, "succeeded after 2 HTTP 500 answers"


@fault_case
def persistent_server_errors(run, endpoint, ec2, ids, path):
    fault = Fault({"Action": "RevokeSecurityGroupEgress"}, "InternalError", "An internal error has occurred.", status=500)
    with FaultProxy(endpoint.url, [fault]) as proxy:
        result, _output, seconds = run(path, REMOVE_SMTP, ids, through(endpoint, proxy))
        assert result["failed"] is True
        assert result["msg"].startswith("ec2:RevokeSecurityGroupEgress on %s failed: InternalError: " % ids["group_id"])
        assert count(proxy, "RevokeSecurityGroupEgress") == 5
    assert seconds < BOUNDED_SECONDS
    return set(), "failed after 5 attempts, naming the call and the error"


@fault_case
def endpoint_unreachable(run, endpoint, ec2, ids, path):
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        closed_port = probe.getsockname()[1]
    environment = dict(endpoint.environment(), AWS_URL="http://127.0.0.1:%d" % closed_port)
    result, _output, seconds = run(path, REMOVE_SMTP, ids, environment)
    assert result["failed"] is True
    assert result["msg"].startswith("cannot reach the EC2 endpoint: Could not connect to the endpoint URL")
    assert seconds < BOUNDED_SECONDS
    return set(), "failed in %d s or less: cannot reach the EC2 endpoint" % BOUNDED_SECONDS


@fault_case
def credentials_missing(run, endpoint, ec2, ids, path):
    with FaultProxy(endpoint.url) as proxy:
        environment = {"AWS_URL": proxy.url, "AWS_REGION": "us-east-1"}
        result, _output, _seconds = run(path, REMOVE_SMTP, ids, environment)
        assert result["failed"] is True and result["msg"].startswith("no AWS credentials found")
        assert proxy.requests == []
    return set(), "failed before any call: no AWS credentials found"


@fault_case
def credentials_expired(run, endpoint, ec2, ids, path):
    fault = Fault({"Action": "DescribeSecurityGroupRules"}, "RequestExpired", "Request has expired.")
    with FaultProxy(endpoint.url, [fault]) as proxy:
        result, _output, _seconds = run(path, REMOVE_SMTP, ids, through(endpoint, proxy))
        assert result["failed"] is True and result["msg"].startswith("the AWS credentials have expired (RequestExpired)")
        assert count(proxy, "RevokeSecurityGroupEgress") == 0
    return set(), "failed: the AWS credentials have expired"


@fault_case
def group_gone_before_the_revoke(run, endpoint, ec2, ids, path):
    fault = Fault({"Action": "RevokeSecurityGroupEgress"}, "InvalidGroup.NotFound",
                  "The security group '%s' does not exist" % ids["group_id"])
    with FaultProxy(endpoint.url, [fault]) as proxy:
        result, _output, _seconds = run(path, REMOVE_SMTP, ids, through(endpoint, proxy))
        assert result["failed"] is True
        assert result["msg"].startswith("ec2:RevokeSecurityGroupEgress on %s failed: InvalidGroup.NotFound" % ids["group_id"])
    return set(), "failed naming the group and InvalidGroup.NotFound"


@fault_case
def rule_removed_by_another_actor(run, endpoint, ec2, ids, path):
    vanishing = ids["rules"]["all-0.0.0.0/0"]

    def another_actor():
        endpoint.client().revoke_security_group_egress(GroupId=ids["group_id"], SecurityGroupRuleIds=[vanishing])

    fault = Fault({"Action": "RevokeSecurityGroupEgress"}, "InvalidSecurityGroupRuleId.NotFound",
                  "The security group rule ID '%s' does not exist" % vanishing, times=1, before=another_actor)
    arguments = {"group_id": "{{ group_id }}", "protocol": "all", "cidr": ["0.0.0.0/0", "::/0"]}
    with FaultProxy(endpoint.url, [fault]) as proxy:
        result, output, _seconds = run(path, arguments, ids, through(endpoint, proxy))
        assert result["changed"] is True and not result.get("failed")
        assert [rule["cidr_ipv6"] for rule in result["revoked_rules"]] == ["::/0"]
        assert "%s disappeared from %s" % (vanishing, ids["group_id"]) in output
        assert count(proxy, "DescribeSecurityGroupRules") == 2 and count(proxy, "RevokeSecurityGroupEgress") == 2
    return {"all-0.0.0.0/0", "all-::/0"}, "succeeded: described again, revoked the rest, reported the vanished rule"


@fault_case
def check_mode_unauthorized(run, endpoint, ec2, ids, path):
    fault = Fault({"Action": "RevokeSecurityGroupEgress", "DryRun": "true"}, "UnauthorizedOperation",
                  "You are not authorized to perform this operation.", status=403)
    with FaultProxy(endpoint.url, [fault]) as proxy:
        result, _output, _seconds = run(path, REMOVE_SMTP, ids, through(endpoint, proxy), check_mode=True)
        assert result["failed"] is True
        assert result["msg"].startswith("check mode: ec2:RevokeSecurityGroupEgress on %s is denied" % ids["group_id"])
        assert fault.hits == 1
    return set(), "check mode failed naming ec2:RevokeSecurityGroupEgress and the group"


@pytest.mark.parametrize("path", ["in-process", "module"])
@pytest.mark.parametrize("fault", sorted(FAULTS))
def test_fault(fault, path, run_case, endpoint, seeded, figures):
    ec2, ids = seeded
    labels = id_labels(ec2)
    before = labelled_rules(ec2, ids["group_id"])
    intended, outcome = FAULTS[fault](run_case, endpoint, ec2, ids, path)
    after = labelled_rules(ec2, ids["group_id"])
    lost = lost_rules(before, after, intended)
    assert lost == [], relabelled(lost, labels)
    assert before - after == intended, "exactly the intended rules went"
    figures("faults", fault=fault, path=path, outcome=outcome, rules_lost=len(lost))


def test_bulk_with_throttled_groups_and_one_denied(ansible, work_dir, endpoint, execution_path, figures):
    endpoint.reset()
    ec2 = endpoint.client()
    _vpc_id, group_ids = seed_fleet(ec2, 30, tags={"fleet": "faulty"})
    # The last two: botocore's adaptive mode slows its client down after a throttle, which only these then wait for.
    throttled, denied = group_ids[-2:], group_ids[10]
    faults = [Fault({"Action": "RevokeSecurityGroupEgress", "GroupId": group_id}, "RequestLimitExceeded",
                    "Request limit exceeded.", status=503, times=1) for group_id in throttled]
    faults.append(Fault({"Action": "RevokeSecurityGroupEgress", "GroupId": denied}, "UnauthorizedOperation",
                        "You are not authorized to perform this operation.", status=403))
    arguments = {"filters": {"tag:fleet": "faulty"}, "protocol": "all", "cidr": "0.0.0.0/0"}
    before = dict((group_id, labelled_rules(ec2, group_id)) for group_id in group_ids)
    with FaultProxy(endpoint.url, faults) as proxy:
        result = run_task(ansible, work_dir, execution_path, arguments, {}, through(endpoint, proxy))
    assert result["failed"] is True
    assert result["msg"].startswith("could not revoke from 1 of 30 security groups (the others were handled): "
                                    "%s: access denied" % denied)
    assert result["totals"] == {"groups": 30, "changed_groups": 29, "revoked_rules": 29, "authorized_rules": 0,
                                "failed_groups": 1}
    assert all(fault.hits == 1 for fault in faults)
    lost = []
    for group_id in group_ids:
        intended = set() if group_id == denied else {"all-0.0.0.0/0"}
        after = labelled_rules(ec2, group_id)
        assert before[group_id] - after == intended
        lost += lost_rules(before[group_id], after, intended)
    assert lost == []
    figures("faults", fault="bulk_throttled_groups_and_one_denied", path="in-process" if execution_path else "module",
            outcome="29 of 30 groups revoked (2 after throttling), the denied one reported", rules_lost=len(lost))
