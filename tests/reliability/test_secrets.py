"""Credentials, given as options or in the environment, never show: not in output, -vvv, diffs or errors."""

import json
import os

import pytest

from ..support.fault_proxy import Fault, FaultProxy

pytestmark = pytest.mark.integration

ACCESS_KEY = "AKIDSECRETLEAKTEST1"
SECRET_KEY = "SecretLeakTest/Secret+Key+Value"
SESSION_TOKEN = "SessionLeakTestToken0123456789"
SECRETS = (ACCESS_KEY, SECRET_KEY, SESSION_TOKEN)

TASKS = """
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
              "        endpoint_url: \"{{{{ endpoint_url }}}}\"\n        ").format(*SECRETS)


@pytest.mark.parametrize("given_as", ["options", "environment"])
def test_credentials_never_show(given_as, ansible, work_dir, endpoint, seeded, execution_path, figures):
    ec2, ids = seeded
    denied = Fault({"Action": "RevokeSecurityGroupEgress", "DryRun": "false"}, "UnauthorizedOperation",
                   "You are not authorized to perform this operation.", status=403, times=1)
    playbook = os.path.join(work_dir, "secrets.yml")
    with open(playbook, "w") as handle:
        handle.write("- name: Secrets\n  hosts: localhost\n  gather_facts: false\n  tasks:" + TASKS.format(
            connection=AS_OPTIONS if given_as == "options" else ""))
    results_file = os.path.join(work_dir, "secrets-results.json")
    with FaultProxy(endpoint.url) as proxy:
        proxy.faults.append(denied)
        if given_as == "options":
            aws_environment = {}
        else:
            aws_environment = {"AWS_URL": proxy.url, "AWS_REGION": "us-east-1", "AWS_ACCESS_KEY_ID": ACCESS_KEY,
                               "AWS_SECRET_ACCESS_KEY": SECRET_KEY, "AWS_SESSION_TOKEN": SESSION_TOKEN}
        review = os.path.join(work_dir, "review-%s-%s" % (given_as, execution_path))
        completed = ansible("ansible-playbook", playbook, "-vvv", "-e", json.dumps(dict(ids, endpoint_url=proxy.url)),
                            in_process=execution_path, results_file=results_file, aws_environment=aws_environment,
                            extra_environment={"ANSIBLE_CALLBACKS_ENABLED": "netguard.aws.egress_review",
                                               "NETGUARD_AWS_REVIEW_DIR": review})
    assert completed.returncode == 0, completed.stdout
    with open(results_file) as handle:
        results = handle.read()
    assert denied.hits == 1
    assert [task["failed"] for task in json.loads(results)] == [True, False, True, True, False, False, False]
    assert "access denied" in results and "does not exist" in results
    assert "-%s  tcp 25  -> 0.0.0.0/0" % ids["rules"]["tcp-25-0.0.0.0/0"] in completed.stdout, "the diff is shown"
    reports = []
    for name in ("egress-review.md", "egress-review.json"):
        with open(os.path.join(review, name)) as handle:
            reports.append(handle.read())
    assert "NETGUARD.AWS EGRESS REVIEW" in completed.stdout and "access denied" in reports[0]
    outputs = [completed.stdout, results] + reports
    leaks = [secret for secret in SECRETS for output in outputs if secret in output]
    assert leaks == []
    figures("secrets", given_as=given_as, path="in-process" if execution_path else "module",
            outputs_scanned=len(outputs), leaks=len(leaks))
