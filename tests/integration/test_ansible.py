"""The built and installed collection under ansible-playbook, ad-hoc ansible and ansible-runner, on moto_server.

Each scenario starts from an empty region seeded with boto3 (``tests/support/seed.py``), runs
targets of ``targets/`` (which assert on what the modules return), and is then checked on the
endpoint with boto3. Targets that can share a region run as one playbook, one play each, each
on a seed of its own.
"""

import json
import os
import re
from collections import namedtuple

import ansible_runner
import pytest

from ..support.endpoint import ACCESS_KEY, SECRET_KEY, ansible_environment, tool
from ..support.fault_proxy import Fault
from ..support.playbooks import (
    CONNECTION_TARGETS,
    CONNECTIONS,
    EVERY_EGRESS_RULE,
    PATHS,
    FLEET_SIZE,
    FLEET_TARGETS,
    MODULE,
    OWN_SEED_TARGETS,
    PROFILE_ACCESS_KEY,
    SCENARIOS,
    TARGETS,
    allow_all,
    assert_alike,
    proxy_answers,
    run_on_both_paths,
    seeder,
)
from ..support.seed import egress_rules, label_of

pytestmark = pytest.mark.integration

# Targets that run together, as one playbook a path, one play a target, each on a seed of its own. The connection
# targets need an environment of their own (connections_for). A no_log task's result would show only in -vvv
# output, which slows every task down, so no_log_task runs alone at -vvv. The rest are split so that the two
# workers share the time. default_group_lockdown selects every default group of the region: it has a test of its own
# below.
GROUPS = {
    "connection_settings": CONNECTION_TARGETS,
    "no_log": ("no_log_task",),
    "restore": ("restore_round_trip", "stale_references", "bulk_guard", "default_allow_all", "bulk_revoke"),
    "filters_and_regions": ("rule_filters", "multi_region", "shorthand_forms", "revoke_all"),
    "single_group": ("rule_ids_partial_match", "bulk_partial_failure", "check_diff_idempotent", "keep_ports_within",
                     "event_delivery"),
    "rule_forms": ("restore_revoked", "ip_permissions_snake_case", "ip_permissions_camel_case", "info_module",
                   "group_by_name", "bad_input"),
}
VERBOSE_GROUPS = ("no_log",)
# The groups that also run on the module path, and whose two runs must agree: what differs between the paths is how
# a task gets to the code (AnsibleModule, the module's process and environment, no_log, warnings), not what each
# selector does, so check mode and diff, warnings, a group that fails, no_log and the ways of giving the connection;
# the other groups run in-process. Input that fails validation (bad_input) is the parsers' and the argument spec's:
# every case of tests/reliability/corpus.py fails on each path's own code, and cases of every module and kind of
# check fail through ansible-playbook on each path (test_hostile_input.py). The module path also runs the restore
# module in test_review.py and test_restore_writes.py, bulk mode in check mode (test_review.py), regions
# (test_restore_writes.py, test_accounts.py), bulk mode under faults and at scale (tests/reliability), and every
# module's main on every input in tests/unit.
ON_BOTH_PATHS = ("connection_settings", "no_log", "single_group")
# What a check of a target's outcome gets: the client, every rule of the region by group before the run, the
# output, the run's directory and the endpoint.
Run = namedtuple("Run", ["ec2", "before", "output", "work_dir", "endpoint"])


def rules_by_group(ec2):
    """Every rule of the region, by group and rule ID."""
    rules = {}
    for rule in ec2.describe_security_group_rules()["SecurityGroupRules"]:
        rules.setdefault(rule["GroupId"], {})[rule["SecurityGroupRuleId"]] = rule
    return rules


def rules_of(rules, group_id, egress=True):
    """The group's egress (or ingress) rules, from ``rules_by_group``."""
    return dict((rule_id, rule) for rule_id, rule in rules.get(group_id, {}).items() if rule["IsEgress"] == egress)


def identities(rules):
    """Rules without what a rule gets anew when it is authorized again."""
    return sorted(json.dumps(dict((key, value) for key, value in rule.items() if key not in ("SecurityGroupRuleId", "Tags")),
                             sort_keys=True) for rule in rules.values())


def remaining_labels(ec2, group_id):
    return set(label_of(rule) for rule in egress_rules(ec2, group_id).values())


def check_web_group(run, ids, target):
    """The target removed its rules of SCENARIOS and no other, and left the ingress rules alone."""
    assert remaining_labels(run.ec2, ids["group_id"]) == EVERY_EGRESS_RULE - SCENARIOS[target], target
    assert egress_rules(run.ec2, ids["group_id"], egress=False) == rules_of(run.before, ids["group_id"], egress=False), (
        "ingress rules are never touched: %s" % target)


def check_diff_output(run, ids):
    """The preview's warning and the removed line of its diff."""
    assert "cidr '10.1.5.5/16' was canonicalised to '10.1.0.0/16'" in run.output
    assert '-%s  tcp 443  -> 10.1.0.0/16  "office https"' % ids["rules"]["tcp-443-10.1.0.0/16"] in run.output


def check_ingress_rule_warning(run, ids):
    # Before ansible-core 2.19, warnings are wrapped at the terminal's width.
    assert "%s is an ingress rule of %s and was left alone" % (ids["ingress_rule_id"], ids["group_id"]) in " ".join(
        run.output.split())


def check_no_log_hides_the_result(run, ids):
    """Even at -vvv, the task's result is hidden."""
    assert "the output has been hidden due to the fact that 'no_log: true' was specified" in run.output
    assert ids["rules"]["tcp-25-0.0.0.0/0"] not in run.output and SECRET_KEY not in run.output


def check_restoring_gives_back_the_rules(run, ids):
    """The revoked ip_permissions the target wrote, authorized again, give back the rules the group had."""
    assert egress_rules(run.ec2, ids["group_id"]) == {}
    with open(os.path.join(run.work_dir, "revoked_ip_permissions.json")) as handle:
        run.ec2.authorize_security_group_egress(GroupId=ids["group_id"], IpPermissions=json.load(handle))
    assert identities(egress_rules(run.ec2, ids["group_id"])) == identities(rules_of(run.before, ids["group_id"]))


def check_rule_filters_and_keep(run, ids):
    assert remaining_labels(run.ec2, ids["group_id"]) == {"tcp-443-10.1.0.0/16", "tcp-443-0.0.0.0/0", "udp-53-prefix-list"}


def check_keep_ports_within(run, ids):
    """allows_port kept the rule for every tcp port, and said so; ports_within kept HTTPS alone."""
    assert ("keep[0] 'protocol=tcp, allows_port=443' kept %s (tcp 0-65535 -> 0.0.0.0/0), which allows ports beyond 443"
            % ids["rules"]["tcp-0-0.0.0.0/0"]) in " ".join(run.output.split())
    assert remaining_labels(run.ec2, ids["group_id"]) == {
        "tcp-443-0.0.0.0/0", "tcp-443-10.1.0.0/16", "all-::/0", "icmp-8-10.0.0.0/8", "tcp-5432-group",
        "udp-53-prefix-list", "tcp-8080-10.9.0.0/16"}


def check_event_delivery(run, ids):
    assert remaining_labels(run.ec2, ids["group_id"]) == {"all-0.0.0.0/0", "tcp-443-0.0.0.0/0"}


def check_stale_references(run, ids):
    assert remaining_labels(run.ec2, ids["group_id"]) == EVERY_EGRESS_RULE - {"tcp-5432-group"}


def check_multi_region(run, ids):
    for region, group_ids in ids["fleets"].items():
        client = run.endpoint.client(region)
        assert all([rule["IpProtocol"] for rule in egress_rules(client, group_id).values()] == ["tcp"]
                   for group_id in group_ids), region


def check_bulk_guard_stopped_before_any_write(run, ids):
    assert all(allow_all(run.ec2, group_id) for group_id in ids["group_ids"])


def check_bulk_revoke_left_the_https_rules(run, ids):
    rules = rules_by_group(run.ec2)
    assert all([rule for rule in rules_of(rules, group_id).values() if rule["IpProtocol"] == "-1"] == []
               and len(rules_of(rules, group_id)) == 1 for group_id in ids["group_ids"])


def check_partial_failure_finished_the_other_groups(run, ids):
    denied = ids["denied_group_id"]
    assert allow_all(run.ec2, denied)
    assert all(allow_all(run.ec2, group_id) == [] for group_id in ids["group_ids"] if group_id != denied)


# Checks of a target's outcome beyond those of check_web_group, after them (and after the run's outcome was recorded,
# so that they may change the endpoint).
TARGET_CHECKS = {
    "check_diff_idempotent": check_diff_output,
    "rule_ids_partial_match": check_ingress_rule_warning,
    "no_log_task": check_no_log_hides_the_result,
    "restore_revoked": check_restoring_gives_back_the_rules,
    "rule_filters": check_rule_filters_and_keep,
    "keep_ports_within": check_keep_ports_within,
    "event_delivery": check_event_delivery,
    "stale_references": check_stale_references,
    "multi_region": check_multi_region,
    "bulk_guard": check_bulk_guard_stopped_before_any_write,
    "bulk_revoke": check_bulk_revoke_left_the_https_rules,
    "bulk_partial_failure": check_partial_failure_finished_the_other_groups,
}
# A target's API calls, where they are part of what it shows: on the module path where its group runs on both (and so
# on both: assert_alike), in-process otherwise.
MODULE_CALLS = {
    # Eight revoke tasks and one info task read the group's rules once each; the info task lists the group, and
    # the destination group given by name costs a lookup of the group's VPC and one of the name; the bad input none.
    "rule_filters": {("DescribeSecurityGroupRules", "false"): 9, ("DescribeSecurityGroups", "false"): 3,
                     ("RevokeSecurityGroupEgress", "false"): 4, ("RevokeSecurityGroupEgress", "true"): 2},
    # One per task (info, revoke, re-run): one VPC each.
    "stale_references": {("DescribeStaleSecurityGroups", "false"): 3},
    # Three tasks list three regions each: one group listing and one rule listing per region and task.
    "multi_region": {("DescribeSecurityGroups", "false"): 9, ("DescribeSecurityGroupRules", "false"): 9,
                     ("RevokeSecurityGroupEgress", "false"): 30},
    "bulk_guard": {("RevokeSecurityGroupEgress", "false"): 0},
    # Check mode's preview: one dry run a group; the run: one revoke a group, none on the re-run. Four tasks read the
    # fleet (preview, run, re-run, info): one group listing and one rule listing each, not one a group.
    "bulk_revoke": {("RevokeSecurityGroupEgress", "true"): FLEET_SIZE, ("RevokeSecurityGroupEgress", "false"): FLEET_SIZE,
                    ("DescribeSecurityGroups", "false"): 4, ("DescribeSecurityGroupRules", "false"): 4},
}


@pytest.mark.parametrize("group", sorted(GROUPS))
def test_targets_on_both_paths(group, ansible, work_dir, endpoint):
    targets = GROUPS[group]
    seeded = {}
    seed = seeder(endpoint, targets, lambda ec2, _ids: rules_by_group(ec2))
    # bulk_partial_failure: one group of the fleet is denied the revoke.
    denial = Fault({"Action": "RevokeSecurityGroupEgress", "GroupId": None}, "UnauthorizedOperation",
                   "You are not authorized to perform this operation.", status=403)

    def seed_for_the_proxy():
        ec2, ids, before = seed()
        seeded.update(ids)
        if "bulk_partial_failure" in ids:
            # This seed's group, and the hits on this path.
            denial.match["GroupId"], denial.hits = ids["bulk_partial_failure"]["denied_group_id"], 0
        return ec2, ids, before

    def check(ec2, ids, before, output):
        assert "Traceback" not in output
        for secret in (SECRET_KEY, ACCESS_KEY, PROFILE_ACCESS_KEY):
            assert secret not in output
        run = Run(ec2, before, output, work_dir, endpoint)
        for target in targets:
            if target in SCENARIOS:
                check_web_group(run, ids[target], target)
            if target in TARGET_CHECKS:
                TARGET_CHECKS[target](run, ids[target])
        assert denial.hits == (1 if "bulk_partial_failure" in targets else 0)

    answers = proxy_answers(targets, seeded)
    paths = PATHS if group in ON_BOTH_PATHS else {"in-process": PATHS["in-process"]}
    outcomes = run_on_both_paths(ansible, endpoint, work_dir, "targets-" + group, targets, seed_for_the_proxy, check,
                                 {"output_dir": work_dir}, answers + [denial], ["-vvv"] if group in VERBOSE_GROUPS else [],
                                 paths)
    if len(paths) == 2:
        assert_alike(outcomes)
    for target in targets:
        for call, count in MODULE_CALLS.get(target, {}).items():
            assert outcomes[list(paths)[-1]][2][target][call] == count, (target, call)
    if "stale_references" in targets:
        assert answers[0].hits == 3 * len(paths), "every DescribeStaleSecurityGroups call answered by the proxy"


def test_every_target_is_run():
    assert sorted(list(SCENARIOS) + list(FLEET_TARGETS) + list(OWN_SEED_TARGETS)) == sorted(
        name for name in os.listdir(TARGETS) if not name.startswith("."))
    grouped = [target for targets in GROUPS.values() for target in targets]
    assert len(grouped) == len(set(grouped)), "each target in one group"
    # It has a test of its own below.
    apart = ["default_group_lockdown"]
    assert sorted(grouped + apart) == sorted(list(SCENARIOS) + list(FLEET_TARGETS) + list(OWN_SEED_TARGETS))


def test_default_group_lockdown_across_vpcs(ansible, work_dir, endpoint):
    # In-process: what it shows is the selection of bulk mode (filters, keep), the same below each path's
    # validation (ON_BOTH_PATHS); bulk mode goes through the module in check mode (test_review.py), under faults and
    # at scale (tests/reliability).
    seeded = {}

    def app_rules(ec2, ids):
        seeded.update(ids["default_group_lockdown"])
        return dict((group_id, egress_rules(ec2, group_id)) for group_id in seeded["app_group_ids"])

    def check(ec2, ids, before, output):
        lockdown = ids["default_group_lockdown"]
        for group_id, endpoint_rule_id in zip(lockdown["default_group_ids"], lockdown["endpoint_rule_ids"]):
            assert list(egress_rules(ec2, group_id)) == [endpoint_rule_id]
        assert dict((group_id, egress_rules(ec2, group_id)) for group_id in lockdown["app_group_ids"]) == before
        assert "Traceback" not in output

    outcomes = run_on_both_paths(ansible, endpoint, work_dir, "default_group_lockdown", ["default_group_lockdown"],
                                 seeder(endpoint, ["default_group_lockdown"], app_rules), check,
                                 paths={"in-process": PATHS["in-process"]})
    # The default group of each new VPC (and of the endpoint's default VPC): one dry run and one revoke each.
    calls = outcomes["in-process"][2]["default_group_lockdown"]
    assert seeded["default_group_count"] >= 4
    assert calls[("RevokeSecurityGroupEgress", "false")] == seeded["default_group_count"]
    assert calls[("RevokeSecurityGroupEgress", "true")] == seeded["default_group_count"]


def test_ad_hoc_key_value_form_check_diff_then_for_real(ansible, seeded):
    # In-process. On the module path, ad-hoc runs are the two tests below; check mode with its diff, the removal and a
    # second run that changes nothing, from string-typed options, go through the module in check_diff_idempotent (the
    # single_group playbook: the same results on both paths, and the diff in each one's output); and ad-hoc or
    # playbook, what is shown of a result is the controller's.
    ec2, ids = seeded
    smtp = ids["rules"]["tcp-25-0.0.0.0/0"]
    args = "group_id=%s protocol=tcp port=25 cidr=0.0.0.0/0" % ids["group_id"]

    preview = ansible("ansible", "localhost", "-m", MODULE, "-a", args, "--check", "--diff", in_process=True)
    assert preview.returncode == 0, preview.stdout
    assert "CHANGED" in preview.stdout and '-%s  tcp 25  -> 0.0.0.0/0  "smtp"' % smtp in preview.stdout
    assert smtp in egress_rules(ec2, ids["group_id"])

    removed = ansible("ansible", "localhost", "-m", MODULE, "-a", args, in_process=True)
    assert removed.returncode == 0 and "CHANGED" in removed.stdout, removed.stdout
    assert smtp not in egress_rules(ec2, ids["group_id"])

    again = ansible("ansible", "localhost", "-m", MODULE, "-a", args, in_process=True)
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
