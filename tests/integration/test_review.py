"""The egress_review callback over a play of several revoke tasks on 2 hosts, in check mode and for real; the report
it writes undoes the whole run through the restore module. In-process, the check-mode run is an ansible-runner job,
whose artifacts directory takes the report."""

import json
import os

import ansible_runner
import pytest

from ..support.endpoint import ansible_environment
from ..support.playbooks import CALLBACKS, assert_no_stray_warnings
from ..support.seed import egress_rules, label_of, seed_fleet, seed_web_group

pytestmark = pytest.mark.integration

PLAY = """
- name: Egress change under review
  hosts: all
  gather_facts: false
  tasks:
    - name: Remove SMTP to anywhere
      netguard.aws.ec2_security_group_egress_revoke:
        group_id: "{{ group_id }}"
        protocol: tcp
        port: 25
        cidr: 0.0.0.0/0
        impact: true

    - name: Lock down the fleet
      netguard.aws.ec2_security_group_egress_revoke:
        filters:
          tag:fleet: "{{ fleet_tag }}"
        protocol: all
        cidr: 0.0.0.0/0
        impact: true

    - name: Everything else, within a guard
      netguard.aws.ec2_security_group_egress_revoke:
        group_id: "{{ group_id }}"
        revoke_all: true
        max_revoked_rules: 1
      ignore_errors: true
"""
UNDO = """
- name: Undo the reviewed run
  hosts: localhost
  gather_facts: false
  tasks:
    - name: Put back what the report lists
      netguard.aws.ec2_security_group_egress_restore:
        revoked: "{{ lookup('ansible.builtin.file', report) }}"
"""
HOSTS = ("prod-a", "prod-b")


def state(ec2, group_ids):
    return dict((group_id, sorted(label_of(rule) + "|" + str(rule.get("Description"))
                                  for rule in egress_rules(ec2, group_id).values())) for group_id in group_ids)


@pytest.fixture
def two_hosts(endpoint, work_dir):
    endpoint.reset()
    ec2 = endpoint.client()
    hosts = {}
    for host in HOSTS:
        web = seed_web_group(ec2)
        _vpc, fleet = seed_fleet(ec2, 2, tags={"fleet": host})
        hosts[host] = {"group_id": web["group_id"], "fleet": fleet, "rules": web["rules"], "vpc_id": web["vpc_id"]}
    # prod-a's web group has an instance behind it.
    subnet = ec2.create_subnet(VpcId=hosts["prod-a"]["vpc_id"], CidrBlock="10.0.9.0/24")["Subnet"]["SubnetId"]
    instance = ec2.run_instances(ImageId="ami-12c6146b", MinCount=1, MaxCount=1, SubnetId=subnet,
                                 SecurityGroupIds=[hosts["prod-a"]["group_id"]])["Instances"][0]
    hosts["prod-a"]["instance_id"] = instance["InstanceId"]
    inventory = os.path.join(work_dir, "review-hosts.yml")
    with open(inventory, "w") as handle:
        handle.write("all:\n  hosts:\n")
        for host, ids in hosts.items():
            handle.write("    %s: {group_id: %s, fleet_tag: %s}\n" % (host, ids["group_id"], host))
        handle.write("  vars:\n    ansible_connection: local\n"
                     "    ansible_python_interpreter: \"{{ ansible_playbook_python }}\"\n")
    group_ids = [group_id for ids in hosts.values() for group_id in [ids["group_id"]] + ids["fleet"]]
    return ec2, hosts, inventory, group_ids


def run_reviewed(ansible, work_dir, inventory, name, execution_path, *options):
    playbook = os.path.join(work_dir, "review.yml")
    with open(playbook, "w") as handle:
        handle.write(PLAY)
    directory = os.path.join(work_dir, name)
    completed = ansible("ansible-playbook", "-i", inventory, playbook, *options, in_process=execution_path,
                        extra_environment={"ANSIBLE_CALLBACKS_ENABLED": "netguard.aws.egress_review",
                                           "NETGUARD_AWS_REVIEW_DIR": directory})
    assert completed.returncode == 0, completed.stdout
    with open(os.path.join(directory, "egress-review.md")) as handle:
        markdown = handle.read()
    with open(os.path.join(directory, "egress-review.json")) as handle:
        report = json.load(handle)
    table = completed.stdout[completed.stdout.index("NETGUARD.AWS EGRESS REVIEW"):]
    return table, markdown, report, os.path.join(directory, "egress-review.json")


def run_reviewed_by_runner(endpoint, collections_path, work_dir, inventory, monkeypatch, *options):
    """run_reviewed's outcome, of an ansible-runner job (in-process) whose report goes to its artifacts directory."""
    private_data_dir = os.path.join(work_dir, "review-runner")
    os.makedirs(os.path.join(private_data_dir, "project"), exist_ok=True)
    with open(os.path.join(private_data_dir, "project", "review.yml"), "w") as handle:
        handle.write(PLAY)
    artifacts = os.path.join(private_data_dir, "artifacts", "review-job")
    results_file = os.path.join(work_dir, "review-runner-results.json")
    environment = ansible_environment(collections_path, work_dir, ANSIBLE_CALLBACK_PLUGINS=CALLBACKS,
                                      ANSIBLE_CALLBACKS_ENABLED="netguard.aws.egress_review,result_recorder",
                                      NETGUARD_RESULTS=results_file, NETGUARD_AWS_REVIEW_DIR=artifacts,
                                      **endpoint.environment())
    monkeypatch.setenv("PATH", environment["PATH"])

    runner = ansible_runner.run(private_data_dir=private_data_dir, playbook="review.yml", inventory=inventory,
                                ident="review-job", envvars=environment, quiet=True, cmdline=" ".join(options),
                                extravars={"netguard_aws_in_process": True})

    assert runner.status == "successful" and runner.rc == 0
    output = runner.stdout.read()
    assert_no_stray_warnings(output, results_file)
    with open(os.path.join(artifacts, "egress-review.md")) as handle:
        markdown = handle.read()
    with open(os.path.join(artifacts, "egress-review.json")) as handle:
        report = json.load(handle)
    table = output[output.index("NETGUARD.AWS EGRESS REVIEW"):]
    return table, markdown, report, os.path.join(artifacts, "egress-review.json")


def rows(table, group_id):
    return [line.split() for line in table.splitlines() if " %s " % group_id in line]


def test_review_in_check_mode_then_for_real_and_the_report_undoes_the_run(ansible, work_dir, endpoint, two_hosts,
                                                                          execution_path, collections_path,
                                                                          monkeypatch):
    ec2, hosts, inventory, group_ids = two_hosts
    before = state(ec2, group_ids)

    if execution_path:
        table, markdown, report, _path = run_reviewed_by_runner(endpoint, collections_path, work_dir, inventory,
                                                                monkeypatch, "--check")
    else:
        table, markdown, report, _path = run_reviewed(ansible, work_dir, inventory, "check", execution_path, "--check")

    assert state(ec2, group_ids) == before, "check mode changes nothing"
    assert report["check_mode"] is True
    assert sorted(group["group_id"] for group in report["groups"]) == sorted(group_ids)
    a_web = hosts["prod-a"]["group_id"]
    # HOST ACCOUNT REGION GROUP WENT ADDED STAYS USERS STATUS...
    assert rows(table, a_web)[0][:8] == ["prod-a", "-", "us-east-1", a_web, "1", "0", "6", "1"]
    assert "would revoke (check mode)" in " ".join(rows(table, a_web)[0])
    for fleet_group in hosts["prod-b"]["fleet"]:
        assert rows(table, fleet_group)[0][:8] == ["prod-b", "123456789012", "us-east-1", fleet_group, "1", "0", "1",
                                                   "0"]
    guards = [line for line in table.splitlines() if "guard: " in line]
    assert len(guards) == 2 and all("max_revoked_rules=1" in line for line in guards)
    assert "Check mode" in markdown

    table, markdown, report, path = run_reviewed(ansible, work_dir, inventory, "real", execution_path)

    after = state(ec2, group_ids)
    for host, ids in hosts.items():
        assert [label.split("|")[0] for label in before[ids["group_id"]] if label not in after[ids["group_id"]]] == [
            "tcp-25-0.0.0.0/0"]
        assert all(after[group_id] == ["tcp-443-10.0.0.0/8|None"] for group_id in ids["fleet"])
        web_rows = rows(table, ids["group_id"])
        assert web_rows[0][4:7] == ["1", "0", "6"] and web_rows[0][-1] == "revoked"
    assert report["check_mode"] is False
    went = dict((group["group_id"], group["revoked_rules"]) for group in report["groups"] if group["changed"])
    assert sorted(went) == sorted(group_ids)
    for group_id, revoked in went.items():
        gone = set(before[group_id]) - set(after[group_id])
        assert len(revoked) == len(gone)
        # Markdown: one "-" line per rule that went, with its ID, and a line per rule that stays.
        for rule in revoked:
            assert "\n-%s  " % rule["security_group_rule_id"] in markdown
        for rule_id in egress_rules(ec2, group_id):
            assert "\n %s  " % rule_id in markdown
    assert all("invocation" not in group for group in report["groups"])
    assert "invocation" not in markdown and "module_args" not in json.dumps(report)

    undo = os.path.join(work_dir, "undo.yml")
    with open(undo, "w") as handle:
        handle.write(UNDO)
    completed = ansible("ansible-playbook", undo, "-e", json.dumps({"report": path}), in_process=execution_path)
    assert completed.returncode == 0, completed.stdout
    assert state(ec2, group_ids) == before, "the report's JSON undoes the whole run"
