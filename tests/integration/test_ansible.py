"""The built and installed collection under ansible-playbook, ad-hoc ansible and ansible-runner, on moto_server.

Each scenario starts from an empty region seeded with boto3 (``tests/support/seed.py``),
runs one target of ``targets/`` (which asserts on what the module returns), and is
then checked on the endpoint with boto3.
"""

import json
import os
import subprocess

import ansible_runner
import pytest

from ..support.endpoint import ACCESS_KEY, REGION, SECRET_KEY, ansible_environment, tool
from ..support.fault_proxy import Fault, FaultProxy
from ..support.seed import egress_rules, label_of, seed_fleet, seed_web_group

pytestmark = pytest.mark.integration

TARGETS = os.path.join(os.path.dirname(os.path.abspath(__file__)), "targets")
MODULE = "netguard.aws.ec2_security_group_egress_revoke"
EVERY_EGRESS_RULE = frozenset(["all-0.0.0.0/0", "all-::/0", "tcp-443-10.1.0.0/16", "tcp-25-0.0.0.0/0",
                               "icmp-8-10.0.0.0/8", "tcp-5432-group", "udp-53-prefix-list"])
PROFILE = "netguard-test"
PROFILE_ACCESS_KEY = "AKIDNETGUARDPROFILE"

# target: the egress rules of the seeded group it removes (by label); every other rule must stay.
SCENARIOS = {
    "check_diff_idempotent": {"tcp-443-10.1.0.0/16"},
    "rule_ids_partial_match": {"tcp-25-0.0.0.0/0"},
    "ip_permissions_snake_case": {"tcp-5432-group", "udp-53-prefix-list"},
    "ip_permissions_camel_case": {"icmp-8-10.0.0.0/8", "all-::/0"},
    "shorthand_forms": {"tcp-443-10.1.0.0/16", "all-::/0", "udp-53-prefix-list", "tcp-5432-group",
                        "icmp-8-10.0.0.0/8"},
    "revoke_all": EVERY_EGRESS_RULE,
    "group_by_name": {"tcp-25-0.0.0.0/0"},
    "default_allow_all": {"all-0.0.0.0/0", "all-::/0"},
    "restore_revoked": EVERY_EGRESS_RULE,
    "bad_input": set(),
    "module_defaults_group": {"all-0.0.0.0/0", "all-::/0"},
    "connection_options": {"tcp-25-0.0.0.0/0"},
    "connection_profile": {"tcp-25-0.0.0.0/0"},
    "info_module": {"all-0.0.0.0/0", "all-::/0", "tcp-25-0.0.0.0/0"},
}
# Bulk targets run on a fleet of tagged groups instead; each has its own test below.
FLEET_TARGETS = ("bulk_revoke", "bulk_guard", "bulk_partial_failure")
FLEET_TAG = "blue"


@pytest.fixture(scope="session")
def collections_path(built_collection):
    return built_collection[1]


@pytest.fixture
def seeded(endpoint):
    endpoint.reset()
    ec2 = endpoint.client()
    return ec2, seed_web_group(ec2)


@pytest.fixture
def ansible(endpoint, collections_path, work_dir):
    """Run an ansible command with the installed collection.

    ``aws_environment``: the AWS_* variables to set; by default the endpoint's connection settings.
    """

    def run(*command, aws_environment=None):
        if aws_environment is None:
            aws_environment = endpoint.environment()
        environment = ansible_environment(collections_path, work_dir, ANSIBLE_ROLES_PATH=TARGETS, **aws_environment)
        return subprocess.run([tool(command[0])] + list(command[1:]), env=environment, cwd=work_dir,
                              stdout=subprocess.PIPE, stderr=subprocess.STDOUT, universal_newlines=True, check=False)

    return run


def connection_for(target, endpoint, work_dir):
    """Target variables and environment for the ways of giving connection settings."""
    if target in ("module_defaults_group", "connection_options"):
        variables = dict(aws_region=REGION, aws_endpoint_url=endpoint.url, aws_access_key=ACCESS_KEY,
                         aws_secret_key=SECRET_KEY)
        return variables, {}
    if target == "connection_profile":
        config, credentials = os.path.join(work_dir, "aws-config"), os.path.join(work_dir, "aws-credentials")
        with open(config, "w") as handle:
            handle.write("[profile %s]\nregion = %s\nendpoint_url = %s\n" % (PROFILE, REGION, endpoint.url))
        with open(credentials, "w") as handle:
            handle.write("[%s]\naws_access_key_id = %s\naws_secret_access_key = %s\n"
                         % (PROFILE, PROFILE_ACCESS_KEY, SECRET_KEY))
        return {"aws_profile": PROFILE}, {"AWS_CONFIG_FILE": config, "AWS_SHARED_CREDENTIALS_FILE": credentials}
    return {}, endpoint.environment()


def run_target(ansible, work_dir, target, variables, *options, aws_environment=None):
    playbook = os.path.join(work_dir, "%s.yml" % target)
    with open(playbook, "w") as handle:
        handle.write("- name: Scenario %s\n  hosts: localhost\n  gather_facts: false\n  roles: [%s]\n" % (target, target))
    completed = ansible("ansible-playbook", playbook, "-e", json.dumps(variables), *options,
                        aws_environment=aws_environment)
    assert completed.returncode == 0, completed.stdout
    return completed.stdout


@pytest.mark.parametrize("target", sorted(SCENARIOS))
def test_scenario(target, ansible, work_dir, endpoint, seeded):
    ec2, ids = seeded
    ingress = egress_rules(ec2, ids["group_id"], egress=False)
    connection_variables, aws_environment = connection_for(target, endpoint, work_dir)
    variables = dict(ids, output_dir=work_dir, **connection_variables)

    output = run_target(ansible, work_dir, target, variables, aws_environment=aws_environment)

    remaining = set(label_of(rule) for rule in egress_rules(ec2, ids["group_id"]).values())
    assert remaining == EVERY_EGRESS_RULE - SCENARIOS[target]
    assert egress_rules(ec2, ids["group_id"], egress=False) == ingress, "ingress rules are never touched"
    assert "Traceback" not in output
    for secret in (SECRET_KEY, ACCESS_KEY, PROFILE_ACCESS_KEY):
        assert secret not in output


def test_every_target_is_run():
    assert sorted(list(SCENARIOS) + list(FLEET_TARGETS)) == sorted(
        name for name in os.listdir(TARGETS) if not name.startswith("."))


@pytest.fixture
def fleet(endpoint):
    """``fleet(count)``: an empty region, then ``count`` groups tagged fleet=blue; returns the client and IDs."""

    def make(count):
        endpoint.reset()
        ec2 = endpoint.client()
        _vpc_id, group_ids = seed_fleet(ec2, count, tags={"fleet": FLEET_TAG})
        return ec2, group_ids

    return make


def proxied(endpoint, proxy):
    return dict(endpoint.environment(), AWS_URL=proxy.url)


def allow_all(ec2, group_id):
    return [rule for rule in egress_rules(ec2, group_id).values() if rule["IpProtocol"] == "-1"]


def test_bulk_revoke_over_200_groups(ansible, work_dir, endpoint, fleet):
    ec2, group_ids = fleet(200)
    with FaultProxy(endpoint.url) as recorder:
        run_target(ansible, work_dir, "bulk_revoke", {"fleet_tag": FLEET_TAG, "group_count": 200},
                   aws_environment=proxied(endpoint, recorder))
    assert all(allow_all(ec2, group_id) == [] and len(egress_rules(ec2, group_id)) == 1 for group_id in group_ids)
    revokes = recorder.calls("RevokeSecurityGroupEgress")
    assert len([call for call in revokes if call.get("DryRun") == "true"]) == 200, "check mode: one dry run a group"
    assert len([call for call in revokes if call.get("DryRun") != "true"]) == 200, "one revoke a group, none on re-run"
    # Four tasks read the fleet (preview, run, re-run, info): one group listing and one rule listing each.
    assert len(recorder.calls("DescribeSecurityGroups")) == 4
    assert len(recorder.calls("DescribeSecurityGroupRules")) == 4


def test_bulk_guard_stops_before_any_write(ansible, work_dir, endpoint, fleet):
    ec2, group_ids = fleet(20)
    with FaultProxy(endpoint.url) as recorder:
        run_target(ansible, work_dir, "bulk_guard", {"fleet_tag": FLEET_TAG, "group_count": 20},
                   aws_environment=proxied(endpoint, recorder))
    assert recorder.calls("RevokeSecurityGroupEgress") == []
    assert all(allow_all(ec2, group_id) for group_id in group_ids)


def test_bulk_partial_failure_finishes_the_other_groups(ansible, work_dir, endpoint, fleet):
    ec2, group_ids = fleet(20)
    denied = group_ids[7]
    fault = Fault({"Action": "RevokeSecurityGroupEgress", "GroupId": denied}, "UnauthorizedOperation",
                  "You are not authorized to perform this operation.", status=403)
    with FaultProxy(endpoint.url, [fault]) as proxy:
        run_target(ansible, work_dir, "bulk_partial_failure",
                   {"fleet_tag": FLEET_TAG, "group_count": 20, "denied_group_id": denied},
                   aws_environment=proxied(endpoint, proxy))
    assert fault.hits == 1
    assert allow_all(ec2, denied)
    assert all(allow_all(ec2, group_id) == [] for group_id in group_ids if group_id != denied)


def test_diff_output_shows_the_removed_line(ansible, work_dir, seeded):
    ec2, ids = seeded
    output = run_target(ansible, work_dir, "check_diff_idempotent", ids)
    assert "cidr '10.1.5.5/16' was canonicalised to '10.1.0.0/16'" in output
    removed_line = '-%s  tcp 443  -> 10.1.0.0/16  "office https"' % ids["rules"]["tcp-443-10.1.0.0/16"]
    assert removed_line in output


def test_check_mode_of_a_playbook_removes_nothing(ansible, work_dir, seeded):
    ec2, ids = seeded
    before = egress_rules(ec2, ids["group_id"])
    output = run_target(ansible, work_dir, "default_allow_all", ids, "--check")
    assert "changed=1" in output
    assert egress_rules(ec2, ids["group_id"]) == before


def test_warning_names_an_ingress_rule_given_by_id(ansible, work_dir, seeded):
    ec2, ids = seeded
    output = run_target(ansible, work_dir, "rule_ids_partial_match", ids)
    assert "%s is an ingress rule of %s and was left alone" % (ids["ingress_rule_id"], ids["group_id"]) in output


def test_restoring_revoked_ip_permissions_gives_back_the_rules(ansible, work_dir, seeded):
    ec2, ids = seeded

    def identities(group_id):
        return sorted(json.dumps(dict((key, value) for key, value in rule.items()
                                      if key not in ("SecurityGroupRuleId", "Tags")), sort_keys=True)
                      for rule in egress_rules(ec2, group_id).values())
    original = identities(ids["group_id"])
    run_target(ansible, work_dir, "restore_revoked", dict(ids, output_dir=work_dir))
    assert egress_rules(ec2, ids["group_id"]) == {}
    with open(os.path.join(work_dir, "revoked_ip_permissions.json")) as handle:
        ec2.authorize_security_group_egress(GroupId=ids["group_id"], IpPermissions=json.load(handle))
    assert identities(ids["group_id"]) == original


def test_ad_hoc_key_value_form_check_diff_then_for_real(ansible, seeded):
    ec2, ids = seeded
    smtp = ids["rules"]["tcp-25-0.0.0.0/0"]
    args = "group_id=%s protocol=tcp port=25 cidr=0.0.0.0/0" % ids["group_id"]

    preview = ansible("ansible", "localhost", "-m", MODULE, "-a", args, "--check", "--diff")
    assert preview.returncode == 0, preview.stdout
    assert "CHANGED" in preview.stdout and '-%s  tcp 25  -> 0.0.0.0/0  "smtp"' % smtp in preview.stdout
    assert smtp in egress_rules(ec2, ids["group_id"])

    removed = ansible("ansible", "localhost", "-m", MODULE, "-a", args)
    assert removed.returncode == 0 and "CHANGED" in removed.stdout, removed.stdout
    assert smtp not in egress_rules(ec2, ids["group_id"])

    again = ansible("ansible", "localhost", "-m", MODULE, "-a", args)
    assert again.returncode == 0 and "SUCCESS" in again.stdout, again.stdout


def test_ad_hoc_json_arguments(ansible, seeded):
    ec2, ids = seeded
    args = json.dumps({"group_id": ids["group_id"], "ip_permissions": [
        {"IpProtocol": "icmp", "FromPort": 8, "ToPort": -1, "IpRanges": [{"CidrIp": "10.0.0.0/8"}]}]})
    completed = ansible("ansible", "localhost", "-m", MODULE, "-a", args)
    assert completed.returncode == 0, completed.stdout
    assert ids["rules"]["icmp-8-10.0.0.0/8"] not in egress_rules(ec2, ids["group_id"])


def test_ad_hoc_bad_input_exits_non_zero_with_one_line(ansible, seeded):
    ec2, ids = seeded
    before = egress_rules(ec2, ids["group_id"])
    completed = ansible("ansible", "localhost", "-m", MODULE, "-a",
                        "group_id=%s protocol=tcp port=443-80 cidr=0.0.0.0/0" % ids["group_id"])
    assert completed.returncode == 2
    assert "port '443-80' is reversed: the first port must not exceed the second" in completed.stdout
    assert "Traceback" not in completed.stdout
    assert egress_rules(ec2, ids["group_id"]) == before


def test_ansible_runner_reports_the_change_in_its_events(endpoint, collections_path, work_dir, seeded, monkeypatch):
    ec2, ids = seeded
    private_data_dir = os.path.join(work_dir, "runner")
    os.makedirs(os.path.join(private_data_dir, "project"), exist_ok=True)
    with open(os.path.join(private_data_dir, "project", "lockdown.yml"), "w") as handle:
        handle.write("- name: Lock down\n  hosts: localhost\n  gather_facts: false\n  roles: [default_allow_all]\n")
    environment = ansible_environment(collections_path, work_dir, ANSIBLE_ROLES_PATH=TARGETS, **endpoint.environment())
    monkeypatch.setenv("PATH", environment["PATH"])

    runner = ansible_runner.run(private_data_dir=private_data_dir, playbook="lockdown.yml", extravars=ids,
                                envvars=environment, quiet=True)

    assert runner.status == "successful" and runner.rc == 0
    revoke_events = [event for event in runner.events if event["event"] == "runner_on_ok"
                     and event["event_data"]["task_action"] == MODULE]
    assert len(revoke_events) == 1
    assert revoke_events[0]["event_data"]["res"]["changed"] is True
    remaining = set(label_of(rule) for rule in egress_rules(ec2, ids["group_id"]).values())
    assert remaining == EVERY_EGRESS_RULE - {"all-0.0.0.0/0", "all-::/0"}
