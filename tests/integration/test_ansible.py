"""The built and installed collection under ansible-playbook, ad-hoc ansible and ansible-runner, on moto_server.

Each scenario starts from an empty region seeded with boto3 (``tests/support/seed.py``),
runs one target of ``targets/`` (which asserts on what the module returns), and is
then checked on the endpoint with boto3.
"""

import json
import os
import re

import ansible_runner
import pytest

from ..support.endpoint import ACCESS_KEY, SECRET_KEY, ansible_environment, tool
from ..support.fault_proxy import Fault, FaultProxy
from ..support.playbooks import (
    CONNECTIONS,
    EVERY_EGRESS_RULE,
    FLEET_TARGETS,
    MODULE,
    OWN_SEED_TARGETS,
    PROFILE_ACCESS_KEY,
    SCENARIOS,
    TARGETS,
    allow_all,
    assert_alike,
    fleet_seed,
    proxy_answers,
    seed_own_target,
    run_on_both_paths,
    run_target,
)
from ..support.seed import egress_rules, label_of, seed_web_group

pytestmark = pytest.mark.integration


@pytest.mark.parametrize("target", sorted(SCENARIOS))
def test_scenario_on_both_paths(target, ansible, work_dir, endpoint):
    def seed():
        endpoint.reset()
        ec2 = endpoint.client()
        ids = seed_web_group(ec2)
        return ec2, ids, egress_rules(ec2, ids["group_id"], egress=False)

    def check(ec2, ids, ingress, output):
        remaining = set(label_of(rule) for rule in egress_rules(ec2, ids["group_id"]).values())
        assert remaining == EVERY_EGRESS_RULE - SCENARIOS[target]
        assert egress_rules(ec2, ids["group_id"], egress=False) == ingress, "ingress rules are never touched"
        assert "Traceback" not in output
        for secret in (SECRET_KEY, ACCESS_KEY, PROFILE_ACCESS_KEY):
            assert secret not in output

    assert_alike(run_on_both_paths(ansible, endpoint, work_dir, target, seed, check, {"output_dir": work_dir}))


def test_every_target_is_run():
    assert sorted(list(SCENARIOS) + list(FLEET_TARGETS) + list(OWN_SEED_TARGETS)) == sorted(
        name for name in os.listdir(TARGETS) if not name.startswith("."))


def test_bulk_revoke_over_200_groups_on_both_paths(ansible, work_dir, endpoint):
    def check(ec2, _ids, group_ids, _output):
        assert all(allow_all(ec2, group_id) == [] and len(egress_rules(ec2, group_id)) == 1 for group_id in group_ids)

    outcomes = run_on_both_paths(ansible, endpoint, work_dir, "bulk_revoke", fleet_seed(endpoint, 200), check)
    assert_alike(outcomes)
    calls = outcomes["module"][2]
    assert calls[("RevokeSecurityGroupEgress", "true")] == 200, "check mode: one dry run a group"
    assert calls[("RevokeSecurityGroupEgress", "false")] == 200, "one revoke a group, none on the re-run"
    # Four tasks read the fleet (preview, run, re-run, info): one group listing and one rule listing each.
    assert calls[("DescribeSecurityGroups", "false")] == 4
    assert calls[("DescribeSecurityGroupRules", "false")] == 4


def test_rule_filters_and_keep_on_both_paths(ansible, work_dir, endpoint):
    def seed():
        endpoint.reset()
        ec2 = endpoint.client()
        return ec2, seed_own_target("rule_filters", ec2, endpoint), None

    def check(ec2, ids, _snapshot, output):
        assert set(label_of(rule) for rule in egress_rules(ec2, ids["group_id"]).values()) == {
            "tcp-443-10.1.0.0/16", "tcp-443-0.0.0.0/0", "udp-53-prefix-list"}
        assert "Traceback" not in output

    outcomes = run_on_both_paths(ansible, endpoint, work_dir, "rule_filters", seed, check)
    assert_alike(outcomes)
    calls = outcomes["module"][2]
    # Eight revoke tasks and one info task read the group's rules once each; the info task lists the group, and
    # the destination group given by name costs a lookup of the group's VPC and one of the name; the bad input none.
    assert calls[("DescribeSecurityGroupRules", "false")] == 9
    assert calls[("DescribeSecurityGroups", "false")] == 3
    assert calls[("RevokeSecurityGroupEgress", "false")] == 4
    assert calls[("RevokeSecurityGroupEgress", "true")] == 2


def test_stale_references_on_both_paths_behind_a_describe_stale_security_groups_fake(ansible, work_dir, endpoint):
    seeded = {}

    def seed():
        endpoint.reset()
        ec2 = endpoint.client()
        seeded.update(seed_own_target("stale_references", ec2, endpoint))
        return ec2, dict(seeded), None

    def check(ec2, ids, _snapshot, output):
        remaining = set(label_of(rule) for rule in egress_rules(ec2, ids["group_id"]).values())
        assert remaining == EVERY_EGRESS_RULE - {"tcp-5432-group"}
        assert "Traceback" not in output

    answers = proxy_answers("stale_references", seeded)
    outcomes = run_on_both_paths(ansible, endpoint, work_dir, "stale_references", seed, check, answers=answers)
    assert_alike(outcomes)
    # One per task (info, revoke, re-run): one VPC each.
    assert outcomes["module"][2][("DescribeStaleSecurityGroups", "false")] == 3
    assert answers[0].hits == 6


def test_default_group_lockdown_across_vpcs_on_both_paths(ansible, work_dir, endpoint):
    seeded = {}

    def seed():
        endpoint.reset()
        ec2 = endpoint.client()
        ids = seed_own_target("default_group_lockdown", ec2, endpoint)
        seeded.update(ids)
        return ec2, ids, dict((group_id, egress_rules(ec2, group_id)) for group_id in ids["app_group_ids"])

    def check(ec2, ids, app_rules, output):
        for group_id, dns_rule_id in zip(ids["default_group_ids"], ids["dns_rule_ids"]):
            assert list(egress_rules(ec2, group_id)) == [dns_rule_id]
        assert dict((group_id, egress_rules(ec2, group_id)) for group_id in ids["app_group_ids"]) == app_rules
        assert "Traceback" not in output

    outcomes = run_on_both_paths(ansible, endpoint, work_dir, "default_group_lockdown", seed, check)
    assert_alike(outcomes)
    # The default group of each new VPC (and of the endpoint's default VPC): one dry run and one revoke each.
    assert seeded["default_group_count"] >= 4
    assert outcomes["module"][2][("RevokeSecurityGroupEgress", "false")] == seeded["default_group_count"]
    assert outcomes["module"][2][("RevokeSecurityGroupEgress", "true")] == seeded["default_group_count"]


def test_multi_region_bulk_and_info_on_both_paths(ansible, work_dir, endpoint):
    def seed():
        endpoint.reset()
        ec2 = endpoint.client()
        return ec2, seed_own_target("multi_region", ec2, endpoint), None

    def check(_ec2, ids, _snapshot, output):
        for region, group_ids in ids["fleets"].items():
            client = endpoint.client(region)
            assert all([rule["IpProtocol"] for rule in egress_rules(client, group_id).values()] == ["tcp"]
                       for group_id in group_ids), region
        assert "Traceback" not in output

    outcomes = run_on_both_paths(ansible, endpoint, work_dir, "multi_region", seed, check)
    assert_alike(outcomes)
    calls = outcomes["module"][2]
    # Three tasks list three regions each: one group listing and one rule listing per region and task.
    assert calls[("DescribeSecurityGroups", "false")] == 9
    assert calls[("DescribeSecurityGroupRules", "false")] == 9
    assert calls[("RevokeSecurityGroupEgress", "false")] == 30


def test_bulk_guard_stops_before_any_write_on_both_paths(ansible, work_dir, endpoint):
    def check(ec2, _ids, group_ids, _output):
        assert all(allow_all(ec2, group_id) for group_id in group_ids)

    outcomes = run_on_both_paths(ansible, endpoint, work_dir, "bulk_guard", fleet_seed(endpoint, 20), check)
    assert_alike(outcomes)
    assert outcomes["module"][2][("RevokeSecurityGroupEgress", "false")] == 0


def test_bulk_partial_failure_finishes_the_other_groups(ansible, work_dir, endpoint, execution_path):
    seed = fleet_seed(endpoint, 20)
    ec2, ids, group_ids = seed()
    denied = ids["denied_group_id"]
    fault = Fault({"Action": "RevokeSecurityGroupEgress", "GroupId": denied}, "UnauthorizedOperation",
                  "You are not authorized to perform this operation.", status=403)
    with FaultProxy(endpoint.url, [fault]) as proxy:
        run_target(ansible, work_dir, "bulk_partial_failure", ids, in_process=execution_path,
                   aws_environment=dict(endpoint.environment(), AWS_URL=proxy.url))
    assert fault.hits == 1
    assert allow_all(ec2, denied)
    assert all(allow_all(ec2, group_id) == [] for group_id in group_ids if group_id != denied)


def test_diff_output_shows_the_removed_line(ansible, work_dir, seeded, execution_path):
    ec2, ids = seeded
    output = run_target(ansible, work_dir, "check_diff_idempotent", ids, in_process=execution_path)
    assert "cidr '10.1.5.5/16' was canonicalised to '10.1.0.0/16'" in output
    removed_line = '-%s  tcp 443  -> 10.1.0.0/16  "office https"' % ids["rules"]["tcp-443-10.1.0.0/16"]
    assert removed_line in output


def test_no_log_hides_the_result_on_both_paths(ansible, work_dir, seeded, execution_path):
    ec2, ids = seeded
    output = run_target(ansible, work_dir, "no_log_task", ids, "-vvv", in_process=execution_path)
    assert "the output has been hidden due to the fact that 'no_log: true' was specified" in output
    assert ids["rules"]["tcp-25-0.0.0.0/0"] not in output and SECRET_KEY not in output


def test_check_mode_of_a_playbook_removes_nothing(ansible, work_dir, seeded, execution_path):
    ec2, ids = seeded
    before = egress_rules(ec2, ids["group_id"])
    output = run_target(ansible, work_dir, "default_allow_all", ids, "--check", in_process=execution_path)
    assert "changed=1" in output
    assert egress_rules(ec2, ids["group_id"]) == before


def test_warning_names_an_ingress_rule_given_by_id(ansible, work_dir, seeded, execution_path):
    ec2, ids = seeded
    output = run_target(ansible, work_dir, "rule_ids_partial_match", ids, in_process=execution_path)
    # Before ansible-core 2.19, warnings are wrapped at the terminal's width.
    assert "%s is an ingress rule of %s and was left alone" % (ids["ingress_rule_id"], ids["group_id"]) in " ".join(
        output.split())


def test_restoring_revoked_ip_permissions_gives_back_the_rules(ansible, work_dir, seeded, execution_path):
    ec2, ids = seeded

    def identities(group_id):
        return sorted(json.dumps(dict((key, value) for key, value in rule.items()
                                      if key not in ("SecurityGroupRuleId", "Tags")), sort_keys=True)
                      for rule in egress_rules(ec2, group_id).values())
    original = identities(ids["group_id"])
    run_target(ansible, work_dir, "restore_revoked", dict(ids, output_dir=work_dir), in_process=execution_path)
    assert egress_rules(ec2, ids["group_id"]) == {}
    with open(os.path.join(work_dir, "revoked_ip_permissions.json")) as handle:
        ec2.authorize_security_group_egress(GroupId=ids["group_id"], IpPermissions=json.load(handle))
    assert identities(ids["group_id"]) == original


def test_ad_hoc_key_value_form_check_diff_then_for_real(ansible, seeded, execution_path):
    ec2, ids = seeded
    smtp = ids["rules"]["tcp-25-0.0.0.0/0"]
    args = "group_id=%s protocol=tcp port=25 cidr=0.0.0.0/0" % ids["group_id"]

    preview = ansible("ansible", "localhost", "-m", MODULE, "-a", args, "--check", "--diff", in_process=execution_path)
    assert preview.returncode == 0, preview.stdout
    assert "CHANGED" in preview.stdout and '-%s  tcp 25  -> 0.0.0.0/0  "smtp"' % smtp in preview.stdout
    assert smtp in egress_rules(ec2, ids["group_id"])

    removed = ansible("ansible", "localhost", "-m", MODULE, "-a", args, in_process=execution_path)
    assert removed.returncode == 0 and "CHANGED" in removed.stdout, removed.stdout
    assert smtp not in egress_rules(ec2, ids["group_id"])

    again = ansible("ansible", "localhost", "-m", MODULE, "-a", args, in_process=execution_path)
    assert again.returncode == 0 and "SUCCESS" in again.stdout, again.stdout


def test_ad_hoc_json_arguments(ansible, seeded, execution_path):
    ec2, ids = seeded
    args = json.dumps({"group_id": ids["group_id"], "ip_permissions": [
        {"IpProtocol": "icmp", "FromPort": 8, "ToPort": -1, "IpRanges": [{"CidrIp": "10.0.0.0/8"}]}]})
    completed = ansible("ansible", "localhost", "-m", MODULE, "-a", args, in_process=execution_path)
    assert completed.returncode == 0, completed.stdout
    assert ids["rules"]["icmp-8-10.0.0.0/8"] not in egress_rules(ec2, ids["group_id"])


def test_ad_hoc_bad_input_exits_non_zero_with_one_line(ansible, seeded, execution_path):
    ec2, ids = seeded
    before = egress_rules(ec2, ids["group_id"])
    completed = ansible("ansible", "localhost", "-m", MODULE, "-a",
                        "group_id=%s protocol=tcp port=443-80 cidr=0.0.0.0/0" % ids["group_id"], in_process=execution_path)
    assert completed.returncode == 2
    assert "port '443-80' is reversed: the first port must not exceed the second" in completed.stdout
    assert "Traceback" not in completed.stdout
    assert egress_rules(ec2, ids["group_id"]) == before


def test_ansible_runner_reports_the_change_in_its_events(endpoint, collections_path, work_dir, seeded, monkeypatch,
                                                         execution_path):
    ec2, ids = seeded
    private_data_dir = os.path.join(work_dir, "runner")
    os.makedirs(os.path.join(private_data_dir, "project"), exist_ok=True)
    with open(os.path.join(private_data_dir, "project", "lockdown.yml"), "w") as handle:
        handle.write("- name: Lock down\n  hosts: localhost\n  gather_facts: false\n  roles: [default_allow_all]\n")
    environment = ansible_environment(collections_path, work_dir, ANSIBLE_ROLES_PATH=TARGETS, **endpoint.environment())
    monkeypatch.setenv("PATH", environment["PATH"])

    runner = ansible_runner.run(private_data_dir=private_data_dir, playbook="lockdown.yml",
                                extravars=dict(ids, netguard_aws_in_process=execution_path),
                                envvars=environment, quiet=True)

    assert runner.status == "successful" and runner.rc == 0
    output = runner.stdout.read()
    assert "PLAY RECAP" in output
    assert "[DEPRECATION WARNING]" not in output and "[WARNING]" not in output, output
    revoke_events = [event for event in runner.events if event["event"] == "runner_on_ok"
                     and event["event_data"]["task_action"] == MODULE]
    assert len(revoke_events) == 1
    assert revoke_events[0]["event_data"]["res"]["changed"] is True
    remaining = set(label_of(rule) for rule in egress_rules(ec2, ids["group_id"]).values())
    assert remaining == EVERY_EGRESS_RULE - {"all-0.0.0.0/0", "all-::/0"}


PATH_SELECTION_PLAYBOOK = """
- name: One info task on each host
  hosts: all
  gather_facts: false
  tasks:
    - name: List the web group
      netguard.aws.ec2_security_group_egress_info:
        group_id: ["{{ group_id }}"]

- name: A remote host's task delegated to the controller
  hosts: remote-host
  gather_facts: false
  tasks:
    - name: List the web group from the controller
      netguard.aws.ec2_security_group_egress_info:
        group_id: ["{{ group_id }}"]
      delegate_to: localhost

- name: An async task on the controller
  hosts: localhost
  gather_facts: false
  tasks:
    - name: List the web group in the background
      netguard.aws.ec2_security_group_egress_info:
        group_id: ["{{ group_id }}"]
      async: 60
      poll: 1
"""


def test_in_process_on_the_controller_module_on_other_hosts(ansible, work_dir, seeded):
    ec2, ids = seeded
    inventory = os.path.join(work_dir, "path-selection-inventory.yml")
    with open(inventory, "w") as handle:
        json.dump({"all": {"vars": {"ansible_python_interpreter": tool("python")}, "hosts": {
            "localhost": {"ansible_connection": "local"},
            "remote-host": {"ansible_connection": "netguard_simulated_remote"},
            "forced-module-host": {"ansible_connection": "local", "netguard_aws_in_process": False},
            "forced-in-process-host": {"ansible_connection": "netguard_simulated_remote", "netguard_aws_in_process": True},
        }}}, handle)
    playbook = os.path.join(work_dir, "path-selection.yml")
    with open(playbook, "w") as handle:
        handle.write(PATH_SELECTION_PLAYBOOK)

    completed = ansible("ansible-playbook", "-i", inventory, playbook, "-e", json.dumps(ids), "-vvv",
                        extra_environment={"ANSIBLE_CONNECTION_PLUGINS": CONNECTIONS})

    assert completed.returncode == 0, completed.stdout
    tasks = re.split(r"\nTASK \[", completed.stdout)
    on_each_host, delegated, in_background = tasks[1], tasks[2], tasks[3]
    in_process = "> netguard.aws: running netguard.aws.ec2_security_group_egress_info in-process on the controller"
    module = "AnsiballZ_ec2_security_group_egress_info.py"

    def ran_in_process(output, host):
        return "<%s%s" % (host, in_process) in output

    def ran_module(output, host):
        return re.search(r"<%s> PUT \S+ TO \S+%s" % (re.escape(host), re.escape(module)), output) is not None

    assert ran_in_process(on_each_host, "localhost") and not ran_module(on_each_host, "localhost")
    assert ran_module(on_each_host, "remote-host") and not ran_in_process(on_each_host, "remote-host")
    assert ran_module(on_each_host, "forced-module-host") and not ran_in_process(on_each_host, "forced-module-host")
    assert ran_in_process(on_each_host, "forced-in-process-host")
    assert ran_in_process(delegated, "localhost") and module not in delegated
    assert ran_module(in_background, "localhost") and in_process not in in_background


def test_an_unknown_choice_of_path_is_an_error(ansible, seeded):
    _ec2, ids = seeded
    completed = ansible("ansible", "localhost", "-m", MODULE, "-a", "group_id=%s revoke_all=true" % ids["group_id"],
                        "--check", in_process="sometimes")
    assert completed.returncode == 2
    assert "netguard_aws_in_process must be true, false or auto, not 'sometimes'" in completed.stdout
