"""Interruption: ansible-playbook killed in the middle of a 300-group bulk run; the journal and the endpoint agree.

The run goes through the throttling model (EC2's revoke bucket of 200, refilling at 5 x 4 = 20 a
second), so that after the burst it lasts about 5 s at the pace EC2 allows, and the kill lands
while revokes are in flight.
"""

import json
import os
import signal
import subprocess
import time

import pytest

from ..support.endpoint import ansible_environment, tool
from ..support.fault_proxy import FaultProxy
from ..support.journal_check import journal_against_endpoint
from ..support.seed import seed_fleet
from ..support.throttling_model import ThrottlingModel

pytestmark = pytest.mark.integration

GROUPS = 300
SCALE = 4
KILL_AFTER_INTENTS = 230
PLAYBOOK = """- name: Interrupted
  hosts: localhost
  gather_facts: false
  tasks:
    - name: Remove the allow-all egress rule from 300 groups
      netguard.aws.ec2_security_group_egress_revoke:
        filters:
          tag:fleet: interrupted
        protocol: all
        cidr: 0.0.0.0/0
        journal: "{{ journal }}"
"""


def descendants(pid):
    """The processes below ``pid``, from /proc."""
    children = {}
    for entry in filter(str.isdigit, os.listdir("/proc")):
        try:
            with open("/proc/%s/stat" % entry) as handle:
                fields = handle.read().rsplit(")", 1)[1].split()
        except (OSError, IndexError):
            continue
        children.setdefault(int(fields[1]), []).append(int(entry))
    found, pending = [], [pid]
    while pending:
        for child in children.get(pending.pop(), []):
            found.append(child)
            pending.append(child)
    return found


def intents_in(path):
    if not os.path.exists(path):
        return 0
    with open(path, "rb") as handle:
        return handle.read().count(b'"type": "intent"')


@pytest.mark.parametrize("signal_name", ["SIGINT", "SIGKILL"])
def test_a_killed_run_leaves_a_journal_that_names_every_removed_rule(endpoint, collections_path, work_dir,
                                                                     execution_path, signal_name, figures):
    endpoint.reset()
    ec2 = endpoint.client()
    _vpc_id, group_ids = seed_fleet(ec2, GROUPS, tags={"fleet": "interrupted"})
    before = dict((rule["SecurityGroupRuleId"], rule["GroupId"])
                  for rule in ec2.describe_security_group_rules()["SecurityGroupRules"])
    journal = os.path.join(work_dir, "interrupted-%s-%s.jsonl" % (signal_name, execution_path))
    playbook = os.path.join(work_dir, "interrupted.yml")
    with open(playbook, "w") as handle:
        handle.write(PLAYBOOK)

    with FaultProxy(endpoint.url, throttling=ThrottlingModel(SCALE)) as proxy:
        environment = ansible_environment(collections_path, work_dir, **dict(endpoint.environment(), AWS_URL=proxy.url))
        process = subprocess.Popen([tool("ansible-playbook"), playbook, "-e", json.dumps({"journal": journal}),
                                    "-e", "netguard_aws_in_process=%s" % str(execution_path).lower()],
                                   env=environment, cwd=work_dir, stdout=subprocess.DEVNULL,
                                   stderr=subprocess.DEVNULL, start_new_session=True)
        deadline = time.monotonic() + 120
        while intents_in(journal) < KILL_AFTER_INTENTS:
            assert process.poll() is None, "the run ended before the kill"
            assert time.monotonic() < deadline, "the run did not get going"
            time.sleep(0.02)
        # Ansible's workers run in sessions of their own, outside the process group the signal reaches.
        workers = descendants(process.pid)
        os.killpg(process.pid, getattr(signal, signal_name))
        process.wait(60)
        # Orphaned, a worker can go on revoking for a while (as after a cancelled job); then stop it.
        time.sleep(1)
        for pid in workers:
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        time.sleep(0.5)

    report = journal_against_endpoint(journal, before, ec2)
    assert report["removed_not_named"] == [], "rules removed that the journal does not name"
    assert report["recorded_revoked_but_present"] == [], "rules recorded as revoked that are still there"
    assert report["settled_removed"] == report["removed"], "settling the open intents accounts for every removal"
    assert 0 < len(report["removed"]) < GROUPS, "the kill landed in the middle of the run"
    figures("interrupt", signal=signal_name, path="in-process" if execution_path else "module", groups=GROUPS,
            kill_after=KILL_AFTER_INTENTS, removed_not_named=0, recorded_but_present=0)
