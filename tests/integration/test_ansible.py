"""The built and installed collection under ansible-playbook and ad-hoc ansible, against moto_server.

Each scenario starts from an empty region seeded with boto3, and its outcome is
checked on the endpoint as well as in the task output.
"""

import json
import os
import subprocess

import pytest

from ..support.endpoint import ACCESS_KEY, REGION, SECRET_KEY, MotoServer, ansible_environment, install_collection, tool
from ..support.seed import egress_rules, seed_web_group

pytestmark = pytest.mark.integration

TARGETS = os.path.join(os.path.dirname(os.path.abspath(__file__)), "targets")
MODULE = "netguard.aws.ec2_security_group_egress_revoke"


@pytest.fixture(scope="session")
def work_dir(tmp_path_factory):
    return str(tmp_path_factory.mktemp("integration"))


@pytest.fixture(scope="session")
def endpoint(work_dir):
    with MotoServer(log_path=os.path.join(work_dir, "moto_server.log")) as server:
        yield server


@pytest.fixture(scope="session")
def collections_path(work_dir):
    return install_collection(work_dir)


@pytest.fixture
def seeded(endpoint):
    endpoint.reset()
    ec2 = endpoint.client()
    return ec2, seed_web_group(ec2)


@pytest.fixture
def ansible(endpoint, collections_path, work_dir):
    """Run an ansible command with the installed collection; connection settings from the environment."""

    def run(*command, connection_from_environment=True):
        extra = endpoint.environment() if connection_from_environment else {}
        environment = ansible_environment(collections_path, work_dir, ANSIBLE_ROLES_PATH=TARGETS, **extra)
        return subprocess.run([tool(command[0])] + list(command[1:]), env=environment, cwd=work_dir,
                              stdout=subprocess.PIPE, stderr=subprocess.STDOUT, universal_newlines=True, check=False)

    return run


def run_target(ansible, work_dir, target, variables, **options):
    playbook = os.path.join(work_dir, "%s.yml" % target)
    with open(playbook, "w") as handle:
        handle.write("- hosts: localhost\n  gather_facts: false\n  roles: [%s]\n" % target)
    completed = ansible("ansible-playbook", playbook, "-e", json.dumps(variables), **options)
    assert completed.returncode == 0, completed.stdout
    return completed.stdout


def test_installed_module_is_the_built_one(collections_path):
    installed = os.path.join(collections_path, "ansible_collections", "netguard", "aws")
    assert os.path.isfile(os.path.join(installed, "plugins", "modules", "ec2_security_group_egress_revoke.py"))
    assert os.path.isfile(os.path.join(installed, "MANIFEST.json"))


def test_check_diff_and_idempotent_rerun(ansible, work_dir, seeded):
    ec2, ids = seeded
    before = egress_rules(ec2, ids["group_id"])
    output = run_target(ansible, work_dir, "check_diff_idempotent", ids)
    assert set(egress_rules(ec2, ids["group_id"])) == set(before) - {ids["rules"]["tcp-443-10.1.0.0/16"]}
    assert "cidr '10.1.5.5/16' was canonicalised to '10.1.0.0/16'" in output
    assert 'tcp 443  -> 10.1.0.0/16  "office https"' in output, "the diff shows the removed line"


def test_module_defaults_group_carries_the_connection(ansible, work_dir, seeded, endpoint):
    ec2, ids = seeded
    variables = dict(ids, aws_region=REGION, aws_endpoint_url=endpoint.url, aws_access_key=ACCESS_KEY,
                     aws_secret_key=SECRET_KEY)
    output = run_target(ansible, work_dir, "module_defaults_group", variables, connection_from_environment=False)
    allow_all = [rule for rule in egress_rules(ec2, ids["group_id"]).values() if rule["IpProtocol"] == "-1"]
    assert allow_all == []
    assert len(egress_rules(ec2, ids["group_id"])) == len(ids["rules"]) - 2
    assert SECRET_KEY not in output and ACCESS_KEY not in output
    assert "WARNING" not in output, output


def test_bad_input_fails_the_task_and_changes_nothing(ansible, work_dir, seeded):
    ec2, ids = seeded
    before = egress_rules(ec2, ids["group_id"])
    output = run_target(ansible, work_dir, "bad_input", ids)
    assert "Traceback" not in output
    assert egress_rules(ec2, ids["group_id"]) == before


def test_ad_hoc_key_value_form(ansible, seeded):
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
