"""Credentials, given as options or in the environment, never show: not in output, -vvv, diffs or errors.

One playbook a path, with a play for each way of giving them, each on a web group of its own, each with credentials
of its own: a leak names the way it was given.
"""

import json
import os
import re

import pytest

from ..support.fault_proxy import Fault, FaultProxy
from ..support.seed import seed_web_group

pytestmark = pytest.mark.integration

# Access key, secret key and session token, by the way they are given.
SECRETS = {
    "options": ("AKIDSECRETLEAKTEST1", "SecretLeakTest/Secret+Key+Value", "SessionLeakTestToken0123456789"),
    "environment": ("AKIDSECRETLEAKTEST2", "SecretLeakTest/Environment+Key", "SessionLeakTestToken9876543210"),
}
TASKS = """
  tasks:
    - name: Access denied (the first revoke call is refused)
      netguard.aws.ec2_security_group_egress_revoke:
        {connection}group_id: "{{{{ group_id }}}}"
        revoke_all: true
      ignore_errors: true

    - name: Remove SMTP, with a diff
      netguard.aws.ec2_security_group_egress_revoke:
        {connection}group_id: "{{{{ group_id }}}}"
        protocol: tcp
        port: 25
        cidr: 0.0.0.0/0
      diff: true

    - name: Bad input
      netguard.aws.ec2_security_group_egress_revoke:
        {connection}group_id: "{{{{ group_id }}}}"
        protocol: tcp
        port: 99999
        cidr: 0.0.0.0/0
      ignore_errors: true

    - name: A group that does not exist
      netguard.aws.ec2_security_group_egress_revoke:
        {connection}group_id: sg-0123456789abcdef0
        revoke_all: true
      ignore_errors: true


    - name: Remove SMTP again, with impact
      netguard.aws.ec2_security_group_egress_revoke:
        {connection}group_id: "{{{{ group_id }}}}"
        protocol: tcp
        port: 25
        cidr: 0.0.0.0/0
        impact: true
      register: again

    - name: Put SMTP back
      netguard.aws.ec2_security_group_egress_restore:
        {connection}group_id: "{{{{ group_id }}}}"
        ip_permissions: [{{IpProtocol: tcp, FromPort: 25, ToPort: 25, IpRanges: [{{CidrIp: 0.0.0.0/0}}]}}]

    - name: List the group
      netguard.aws.ec2_security_group_egress_info:
        {connection}group_id: ["{{{{ group_id }}}}"]
"""
AS_OPTIONS = ("access_key: {0}\n        secret_key: {1}\n        session_token: {2}\n        region: us-east-1\n"
              "        endpoint_url: \"{{{{ endpoint_url }}}}\"\n        ").format(*SECRETS["options"])
GIVEN_AS = ("options", "environment")
# What each task of a play does: the access denial, the bad input and the unknown group fail.
FAILED = [True, False, True, True, False, False, False]


def test_credentials_never_show(ansible, work_dir, endpoint, seeded, execution_path, figures):
    ec2, options_ids = seeded
    ids = {"options": options_ids, "environment": seed_web_group(ec2)}
    # The first revoke for real of each play's group is refused.
    denied = [Fault({"Action": "RevokeSecurityGroupEgress", "DryRun": "false", "GroupId": ids[given_as]["group_id"]},
                    "UnauthorizedOperation", "You are not authorized to perform this operation.", status=403, times=1)
              for given_as in GIVEN_AS]
    playbook = os.path.join(work_dir, "secrets.yml")
    with open(playbook, "w") as handle:
        handle.write("".join(
            "- name: Secrets given as %s\n  hosts: localhost\n  gather_facts: false\n  vars:\n    group_id: %s\n%s"
            % (given_as, ids[given_as]["group_id"], TASKS.format(connection=AS_OPTIONS if given_as == "options" else ""))
            for given_as in GIVEN_AS))
    results_file = os.path.join(work_dir, "secrets-results.json")
    review = os.path.join(work_dir, "review-%s" % execution_path)
    with FaultProxy(endpoint.url, denied) as proxy:
        access_key, secret_key, session_token = SECRETS["environment"]
        aws_environment = {"AWS_URL": proxy.url, "AWS_REGION": "us-east-1", "AWS_ACCESS_KEY_ID": access_key,
                           "AWS_SECRET_ACCESS_KEY": secret_key, "AWS_SESSION_TOKEN": session_token}
        completed = ansible("ansible-playbook", playbook, "-vvv", "-e", json.dumps({"endpoint_url": proxy.url}),
                            in_process=execution_path, results_file=results_file, aws_environment=aws_environment,
                            extra_environment={"ANSIBLE_CALLBACKS_ENABLED": "netguard.aws.egress_review",
                                               "NETGUARD_AWS_REVIEW_DIR": review})
    assert completed.returncode == 0, completed.stdout
    with open(results_file) as handle:
        results = handle.read()
    tasks = json.loads(results)
    assert [fault.hits for fault in denied] == [1, 1]
    assert [task["failed"] for task in tasks] == FAILED * len(GIVEN_AS)
    reports = []
    for name in ("egress-review.md", "egress-review.json"):
        with open(os.path.join(review, name)) as handle:
            reports.append(handle.read())
    assert "NETGUARD.AWS EGRESS REVIEW" in completed.stdout
    outputs = [completed.stdout, results] + reports
    for index, given_as in enumerate(GIVEN_AS):
        play = json.dumps(tasks[index * len(FAILED):(index + 1) * len(FAILED)])
        assert "access denied" in play and "does not exist" in play, given_as
        group_id = ids[given_as]["group_id"]
        assert "-%s  tcp 25  -> 0.0.0.0/0" % ids[given_as]["rules"]["tcp-25-0.0.0.0/0"] in completed.stdout, (
            "the diff is shown: %s" % given_as)
        assert re.search(r"access denied[^\n]*%s" % group_id, reports[0]), "the report names the denial: %s" % given_as
        leaks = [secret for secret in SECRETS[given_as] for output in outputs if secret in output]
        assert leaks == [], given_as
        figures("secrets", given_as=given_as, path="in-process" if execution_path else "module",
                outputs_scanned=len(outputs), leaks=len(leaks))
