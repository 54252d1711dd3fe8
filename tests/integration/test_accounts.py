"""An organisation: one play over an inventory whose hosts are AWS accounts, each reached by assuming a role.

moto keeps each account apart: ``AssumeRole`` into ``arn:aws:iam::<account>:role/<name>`` returns keys
that act in that account, and profiles with ``role_arn`` and ``source_profile`` reach it when
``AWS_ENDPOINT_URL`` points STS (and EC2) at the endpoint. The play runs on both execution paths in
turn, on one seed (an account-region costs moto a default VPC): the rules the first path removed are
put back before the second. The sliced runner jobs run at once, some slices on each path.
"""

import json
import os

import ansible_runner
import boto3
import pytest

from ..support.endpoint import ACCESS_KEY, REGION, SECRET_KEY, ansible_environment
from ..support.playbooks import PATHS
from ..support.seed import egress_rules, seed_fleet

pytestmark = pytest.mark.integration

ACCOUNTS = ["111111111111", "222222222222", "333333333333", "444444444444", "555555555555"]
# An account of the organisation that is not in the inventory, and the caller's own account.
OUTSIDERS = ["666666666666", "123456789012"]
REGIONS = ["us-east-1", "eu-west-1"]
ROLE = "netguard-remediation"
GROUPS = 3
PLAYBOOK = """- name: Lock down the default egress of every account
  hosts: accounts
  gather_facts: false
  tasks:
    - name: Remove the allow-all egress rule in every region of the account
      netguard.aws.ec2_security_group_egress_revoke:
        profile: "{{ aws_profile_name }}"
        regions: %s
        filters:
          tag:fleet: org
        protocol: all
        cidr: 0.0.0.0/0
        journal: "{{ journal }}"
""" % json.dumps(REGIONS)


def account_client(endpoint, account, region):
    """An EC2 client acting in ``account``, by the same AssumeRole the profiles make."""
    if account == "123456789012":
        return endpoint.client(region)
    sts = boto3.client("sts", region_name=REGION, endpoint_url=endpoint.url, aws_access_key_id=ACCESS_KEY,
                       aws_secret_access_key=SECRET_KEY)
    credentials = sts.assume_role(RoleArn="arn:aws:iam::%s:role/%s" % (account, ROLE),
                                  RoleSessionName="seed")["Credentials"]
    return boto3.client("ec2", region_name=region, endpoint_url=endpoint.url,
                        aws_access_key_id=credentials["AccessKeyId"],
                        aws_secret_access_key=credentials["SecretAccessKey"],
                        aws_session_token=credentials["SessionToken"])


def allow_all_left(ec2, group_ids):
    return sum(1 for group_id in group_ids for rule in egress_rules(ec2, group_id).values() if rule["IpProtocol"] == "-1")


@pytest.fixture
def organisation(endpoint, work_dir):
    """Tagged groups in every account and region (outsiders too); the inventory, AWS config and environment."""
    endpoint.reset()
    groups = {}
    for account in ACCOUNTS + OUTSIDERS:
        for region in REGIONS:
            ec2 = account_client(endpoint, account, region)
            groups[(account, region)] = (ec2, seed_fleet(ec2, GROUPS, tags={"fleet": "org"})[1])
    config = os.path.join(work_dir, "org-aws-config")
    credentials = os.path.join(work_dir, "org-aws-credentials")
    with open(config, "w") as handle:
        handle.write("[profile security-audit]\nregion = %s\n" % REGION)
        for index, account in enumerate(ACCOUNTS):
            handle.write("[profile account-%d]\nrole_arn = arn:aws:iam::%s:role/%s\nsource_profile = security-audit\n"
                         "region = %s\n" % (index + 1, account, ROLE, REGION))
    with open(credentials, "w") as handle:
        handle.write("[security-audit]\naws_access_key_id = %s\naws_secret_access_key = %s\n" % (ACCESS_KEY, SECRET_KEY))
    inventory = os.path.join(work_dir, "accounts.yml")
    with open(inventory, "w") as handle:
        handle.write("accounts:\n  hosts:\n" + "".join(
            "    account-%d:\n      aws_profile_name: account-%d\n" % (index + 1, index + 1)
            for index in range(len(ACCOUNTS)))
            + "  vars:\n    ansible_connection: local\n    ansible_python_interpreter: \"{{ ansible_playbook_python }}\"\n")
    environment = {"AWS_ENDPOINT_URL": endpoint.url, "AWS_CONFIG_FILE": config, "AWS_SHARED_CREDENTIALS_FILE": credentials}
    return groups, inventory, environment


def put_back(groups):
    """The allow-all rule again in every inventory account's groups, as seeded."""
    for (account, _region), (ec2, group_ids) in groups.items():
        if account in ACCOUNTS:
            for group_id in group_ids:
                ec2.authorize_security_group_egress(GroupId=group_id, IpPermissions=[
                    {"IpProtocol": "-1", "IpRanges": [{"CidrIp": "0.0.0.0/0"}]}])


def check_organisation(groups, results):
    """Every inventory account's rules went in both regions, and nothing else anywhere. ``results``: each
    inventory host's task result, by host."""
    for (account, region), (ec2, group_ids) in groups.items():
        expected = 0 if account in ACCOUNTS else GROUPS
        assert allow_all_left(ec2, group_ids) == expected, (account, region)
        assert all(len(egress_rules(ec2, group_id)) == (1 if account in ACCOUNTS else 2) for group_id in group_ids), \
            "the HTTPS rules stay"
    assert sorted(results) == ["account-%d" % (index + 1) for index in range(len(ACCOUNTS))]
    for index, account in enumerate(ACCOUNTS):
        result = results["account-%d" % (index + 1)]
        assert result["changed"] is True and result["failed_regions"] == []
        assert sorted(set(group["owner_id"] for group in result["groups"])) == [account]
        assert sorted((group["region"], group["group_id"]) for group in result["groups"]) == sorted(
            (region, group_id) for region in REGIONS for group_id in groups[(account, region)][1])


def test_one_play_over_five_accounts_in_two_regions(ansible, organisation, work_dir):
    groups, inventory, aws_environment = organisation
    playbook = os.path.join(work_dir, "organisation.yml")
    with open(playbook, "w") as handle:
        handle.write(PLAYBOOK)
    for path, execution_path in PATHS.items():
        results_dir = os.path.join(work_dir, "org-results-%s" % path)
        os.makedirs(results_dir, exist_ok=True)
        journal = os.path.join(results_dir, "journal.jsonl")
        results_file = os.path.join(results_dir, "results.json")

        completed = ansible("ansible-playbook", "-i", inventory, "--forks", "5", playbook, "-e",
                            json.dumps({"journal": journal}), aws_environment=aws_environment,
                            in_process=execution_path, results_file=results_file)

        assert completed.returncode == 0, completed.stdout
        with open(results_file) as handle:
            check_organisation(groups, dict((task["host"], task["result"]) for task in json.load(handle)))
        with open(journal) as handle:
            lines = [json.loads(line) for line in handle]
        assert sum(1 for line in lines if line["type"] == "run") == len(ACCOUNTS), "five hosts shared one journal"
        assert sorted(set((line["account"], line["region"]) for line in lines if line["type"] == "intent")) == sorted(
            (account, region) for account in ACCOUNTS for region in REGIONS)
        put_back(groups)


# Each slice on a path of its own, at the same time: the jobs write one journal from both paths at once.
SLICES = {"account-1:account-2": "in-process", "account-3:account-4": "module", "account-5": "in-process"}


def test_three_sliced_runner_jobs_revoke_every_account_exactly_once(organisation, collections_path, work_dir,
                                                                    monkeypatch):
    """Three slices of the inventory at once, each an ansible-runner job; each account handled by exactly one."""
    groups, inventory, aws_environment = organisation
    environment = ansible_environment(collections_path, work_dir, **aws_environment)
    monkeypatch.setenv("PATH", environment["PATH"])
    results_dir = os.path.join(work_dir, "org-results-sliced")
    os.makedirs(results_dir, exist_ok=True)
    runners = {}
    for limit, path in SLICES.items():
        private_data_dir = os.path.join(work_dir, "slice-%s" % limit.replace(":", "-"))
        os.makedirs(os.path.join(private_data_dir, "project"), exist_ok=True)
        with open(os.path.join(private_data_dir, "project", "organisation.yml"), "w") as handle:
            handle.write(PLAYBOOK)
        runners[limit] = ansible_runner.run_async(
            private_data_dir=private_data_dir, playbook="organisation.yml", inventory=inventory, limit=limit,
            extravars={"journal": os.path.join(results_dir, "journal.jsonl"), "netguard_aws_in_process": PATHS[path]},
            envvars=environment, quiet=True)
    for job, _runner in runners.values():
        job.join()
    runners = dict((limit, runner) for limit, (_job, runner) in runners.items())

    for limit, runner in runners.items():
        assert runner.status == "successful" and runner.rc == 0, runner.stdout.read()
    revoked_by, results = {}, {}
    for limit, runner in runners.items():
        for event in runner.events:
            data = event.get("event_data", {})
            if event["event"] == "runner_on_ok" and data.get("task_action") == "netguard.aws.ec2_security_group_egress_revoke":
                revoked_by.setdefault(data["host"], []).append(limit)
                results[data["host"]] = data["res"]
    assert revoked_by == {"account-1": ["account-1:account-2"], "account-2": ["account-1:account-2"],
                          "account-3": ["account-3:account-4"], "account-4": ["account-3:account-4"],
                          "account-5": ["account-5"]}
    check_organisation(groups, results)
    with open(os.path.join(results_dir, "journal.jsonl")) as handle:
        lines = [json.loads(line) for line in handle]
    revoked_groups = sorted(line["group_id"] for line in lines if line["type"] == "intent")
    assert revoked_groups == sorted(group_id for account in ACCOUNTS for region in REGIONS
                                    for group_id in groups[(account, region)][1]), "each group revoked exactly once"
