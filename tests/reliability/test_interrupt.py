"""Interruption: ansible-playbook killed 40 groups into a 300-group bulk run stops the writes, on both paths.

From ansible-core 2.19 on, Ansible's workers run in sessions of their own, so a signal to
``ansible-playbook``'s process group does not reach them; the collection's writer notices that the
controller went away (or, for SIGINT, that Ansible stopped the worker) before each write, starts no
further one and journals an ``abandoned`` line. Before 2.19 the workers share the group, so SIGKILL
ends the writer with the controller: the writes stop at once, and nothing is left to write that line.
"""

import json
import os
import signal
import subprocess
import time

import pytest

from ..support.endpoint import ansible_environment, tool
from ..support.journal_check import journal_against_endpoint
from ..support.playbooks import PATHS
from ..support.seed import seed_fleet

pytestmark = pytest.mark.integration

GROUPS = 300
KILL_AFTER_INTENTS = 40
# Two groups at a time, so that at most two writes are in flight when the controller goes.
CONCURRENCY = 2
MOST_REMOVED = 60
GONE_WITHIN = 5
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
        concurrency: %d
        journal: "{{ journal }}"
""" % CONCURRENCY


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


def running(pids):
    """Those of ``pids`` still running (a zombie has ended; only its parent's wait is missing)."""
    alive = []
    for pid in pids:
        try:
            with open("/proc/%d/stat" % pid) as handle:
                state = handle.read().rsplit(")", 1)[1].split()[0]
        except OSError:
            continue
        if state not in ("Z", "X"):
            alive.append(pid)
    return alive


def intents_in(path):
    if not os.path.exists(path):
        return 0
    with open(path, "rb") as handle:
        return handle.read().count(b'"type": "intent"')


@pytest.mark.parametrize("path", ["in-process", "module"])
def test_a_killed_run_stops_writing_and_its_journal_names_every_removed_rule(endpoint, collections_path, work_dir, path,
                                                                             figures):
    endpoint.reset()
    ec2 = endpoint.client()
    _vpc_id, group_ids = seed_fleet(ec2, GROUPS, tags={"fleet": "interrupted"}, https_every=10)
    before = dict((rule["SecurityGroupRuleId"], rule["GroupId"])
                  for rule in ec2.describe_security_group_rules()["SecurityGroupRules"])
    playbook = os.path.join(work_dir, "interrupted.yml")
    with open(playbook, "w") as handle:
        handle.write(PLAYBOOK)
    environment = ansible_environment(collections_path, work_dir, **endpoint.environment())
    for signal_name in ("SIGKILL", "SIGINT"):
        journal = os.path.join(work_dir, "interrupted-%s-%s.jsonl" % (signal_name, path))
        writer_outlived_signal = interrupted_run(playbook, journal, environment, work_dir, PATHS[path], signal_name)
        report = journal_against_endpoint(journal, before, ec2)
        groups_changed = set(before[rule_id] for rule_id in report["removed"])
        assert 0 < len(groups_changed) < MOST_REMOVED, "the writes stopped soon after the %s" % signal_name
        assert report["removed_not_named"] == [], "rules removed that the journal does not name"
        assert report["recorded_revoked_but_present"] == [], "rules recorded as revoked that are still there"
        assert report["settled_removed"] == report["removed"], "settling the open intents accounts for every removal"
        with open(journal) as handle:
            abandoned = [json.loads(line) for line in handle if '"type": "abandoned"' in line]
        if writer_outlived_signal:
            assert len(abandoned) == 1 and abandoned[0]["groups_not_started"] > 0, (signal_name, abandoned)
        else:
            assert abandoned == [], (signal_name, abandoned)
        figures("interrupt", signal=signal_name, path=path, groups=GROUPS, groups_changed=len(groups_changed),
                concurrency=CONCURRENCY, kill_after=KILL_AFTER_INTENTS, most_changed=MOST_REMOVED,
                gone_within=GONE_WITHIN, removed_not_named=0, recorded_but_present=0)
        # The next run starts from the same fleet: the rules this one removed, back (with new IDs).
        for group_id in groups_changed:
            ec2.authorize_security_group_egress(GroupId=group_id, IpPermissions=[
                {"IpProtocol": "-1", "IpRanges": [{"CidrIp": "0.0.0.0/0"}]}])
        before = dict((rule["SecurityGroupRuleId"], rule["GroupId"])
                      for rule in ec2.describe_security_group_rules()["SecurityGroupRules"])


def interrupted_run(playbook, journal, environment, work_dir, execution_path, signal_name):
    """Run the playbook and send ``signal_name`` to ``ansible-playbook``'s process group once the journal names
    KILL_AFTER_INTENTS groups; no process of the run may be left GONE_WITHIN seconds later. Whether a process of the
    run outside that group (a worker in a session of its own) outlived the signal, as only SIGKILL can prevent."""
    process = subprocess.Popen([tool("ansible-playbook"), playbook, "-e", json.dumps({"journal": journal}),
                                "-e", "netguard_aws_in_process=%s" % str(execution_path).lower()],
                               env=environment, cwd=work_dir, stdout=subprocess.DEVNULL,
                               stderr=subprocess.DEVNULL, start_new_session=True)
    deadline = time.monotonic() + 120
    while intents_in(journal) < KILL_AFTER_INTENTS:
        assert process.poll() is None, "the run ended before the %s" % signal_name
        assert time.monotonic() < deadline, "the run did not get going"
        time.sleep(0.005)
    run = descendants(process.pid) + [process.pid]
    outside_the_group = [pid for pid in run if process_group(pid) not in (None, process.pid)]
    os.killpg(process.pid, getattr(signal, signal_name))
    process.wait(30)
    deadline = time.monotonic() + GONE_WITHIN
    while running(run) and time.monotonic() < deadline:
        time.sleep(0.05)
    left = running(run)
    for pid in left:
        os.kill(pid, signal.SIGKILL)
    assert left == [], "processes of the run still running %d s after the %s" % (GONE_WITHIN, signal_name)
    return signal_name != "SIGKILL" or bool(outside_the_group)


def process_group(pid):
    try:
        return os.getpgid(pid)
    except OSError:
        return None
