"""Scale: one group's task stays flat as the region grows; bulk over hundreds of groups survives throttling.

Each run is sized to what it proves: the bulk runs share the pipeline on both paths, so 500 groups (three
describe calls of 200) go through the in-process path and 250 (past 200) through the module; the busy bucket
is met by botocore's pacing on one path and by revoke_rate on the other.
"""

import json
import os
import statistics

import pytest

from ..support.fault_proxy import Fault, FaultProxy
from ..support.playbooks import PATHS
from ..support.seed import egress_rules, label_of, seed_fleet, seed_web_group
from ..support.throttling_model import PUBLISHED_BUCKETS, ThrottlingModel

pytestmark = pytest.mark.integration

REGION_SIZES = (10, 1000)
# Runs of the task a measurement: the median of three in-process, where the task's own time shows; one on the module
# path, whose time is mostly the module's start, for its calls.
RUNS = {"in-process": 3, "module": 1}
SMTP = {"IpProtocol": "tcp", "FromPort": 25, "ToPort": 25, "IpRanges": [{"CidrIp": "0.0.0.0/0", "Description": "smtp"}]}


def timed_playbook(ansible, work_dir, text, variables, in_process, aws_environment):
    """Run a playbook with the task_timer callback; return ``{task name: [seconds of each task of that name]}``."""
    playbook = os.path.join(work_dir, "scale.yml")
    with open(playbook, "w") as handle:
        handle.write(text)
    times = os.path.join(work_dir, "scale-times.json")
    completed = ansible("ansible-playbook", playbook, "-e", json.dumps(variables), in_process=in_process,
                        aws_environment=aws_environment, extra_environment={
                            "ANSIBLE_CALLBACK_PLUGINS": os.path.join(os.path.dirname(os.path.dirname(os.path.dirname(
                                os.path.abspath(__file__)))), "bench", "callback_plugins"),
                            "ANSIBLE_CALLBACKS_ENABLED": "task_timer", "NETGUARD_TASK_TIMES": times})
    assert completed.returncode == 0, completed.stdout
    seconds = {}
    with open(times) as handle:
        for task in json.load(handle):
            seconds.setdefault(task["task"], []).append(task["seconds"])
    return seconds


REMOVE_SMTP = """- name: Scale
  hosts: localhost
  gather_facts: false
  tasks:
    - name: Remove SMTP, then put it back, %d times
      ansible.builtin.include_tasks: "{{ cycle_tasks }}"
      loop: "{{ range(%d) | list }}"
"""
CYCLE = """- name: Remove SMTP
  netguard.aws.ec2_security_group_egress_revoke:
    group_id: "{{ group_id }}"
    protocol: tcp
    port: 25
    cidr: 0.0.0.0/0
  register: removed

- name: Put it back
  netguard.aws.ec2_security_group_egress_restore:
    revoked: "{{ removed }}"
"""


def test_one_group_task_stays_flat_as_the_region_grows(ansible, work_dir, endpoint, figures):
    endpoint.reset()
    ec2 = endpoint.client()
    ids = seed_web_group(ec2)
    cycle_tasks = os.path.join(work_dir, "scale-cycle.yml")
    with open(cycle_tasks, "w") as handle:
        handle.write(CYCLE)
    others = 0
    measured = {}
    with FaultProxy(endpoint.url) as recorder:
        environment = dict(endpoint.environment(), AWS_URL=recorder.url)
        for size in REGION_SIZES:
            while others < size:
                ec2.create_security_group(GroupName="other-%04d" % others, Description="other")
                others += 1
            for path, in_process in PATHS.items():
                del recorder.requests[:]
                seconds = timed_playbook(ansible, work_dir, REMOVE_SMTP % (RUNS[path], RUNS[path]),
                                         dict(ids, cycle_tasks=cycle_tasks), in_process, environment)["Remove SMTP"]
                calls = [request["Action"] for request in recorder.requests]
                # Each removal: the group's rules, then the revoke; each restore: the rules, then the add.
                assert calls == ["DescribeSecurityGroupRules", "RevokeSecurityGroupEgress", "DescribeSecurityGroupRules",
                                 "AuthorizeSecurityGroupEgress"] * RUNS[path]
                assert "tcp-25-0.0.0.0/0" in set(label_of(rule) for rule in egress_rules(ec2, ids["group_id"]).values())
                measured[(path, size)] = (2, statistics.median(seconds))
    for path in PATHS:
        smallest, largest = measured[(path, REGION_SIZES[0])][1], measured[(path, REGION_SIZES[-1])][1]
        # Flat: the endpoint's own search grows with the region (moto's does, a little); this task's work does not.
        assert largest < 2 * smallest + 0.5, measured
        figures("scale_single", path=path, calls=[measured[(path, size)][0] for size in REGION_SIZES],
                region_sizes=list(REGION_SIZES),
                time_bound="under twice the time at 10 other groups, plus 0.5 s, at 1,000 (median of %d runs in-process)"
                % RUNS["in-process"])


BULK_REVOKE = """- name: Scale
  hosts: localhost
  gather_facts: false
  tasks:
    - name: Remove the allow-all egress rule from every group of the fleet
      netguard.aws.ec2_security_group_egress_revoke:
        filters:
          tag:fleet: thousand
        protocol: all
        cidr: 0.0.0.0/0
"""


@pytest.mark.parametrize("path, groups", [("in-process", 300), ("module", 250)])
def test_bulk_over_many_groups_with_throttling_loses_nothing(ansible, work_dir, endpoint, path, groups, figures):
    execution_path = PATHS[path]
    endpoint.reset()
    ec2 = endpoint.client()
    # HTTPS, which must stay, in every tenth group: a tenth of the calls to seed.
    _vpc_id, group_ids = seed_fleet(ec2, groups, tags={"fleet": "thousand"}, https_every=10)
    # Three revokes throttled once each, and one describe. The revokes are the last three: botocore's adaptive mode
    # slows its client down after a throttle, which only they then wait for.
    throttled = group_ids[-3:]
    faults = [Fault({"Action": "RevokeSecurityGroupEgress", "GroupId": group_id}, "RequestLimitExceeded",
                    "Request limit exceeded.", status=503, times=1) for group_id in throttled]
    faults.append(Fault({"Action": "DescribeSecurityGroupRules"}, "RequestLimitExceeded", "Request limit exceeded.",
                        status=503, times=1))
    with FaultProxy(endpoint.url, faults) as proxy:
        timed_playbook(ansible, work_dir, BULK_REVOKE, {}, execution_path, dict(endpoint.environment(), AWS_URL=proxy.url))
    assert all(fault.hits == 1 for fault in faults)
    remaining = dict((group_id, []) for group_id in group_ids)
    for rule in ec2.describe_security_group_rules()["SecurityGroupRules"]:
        if rule["IsEgress"] and rule["GroupId"] in remaining:
            remaining[rule["GroupId"]].append(label_of(rule))
    assert all(labels == (["tcp-443-10.0.0.0/8"] if index % 10 == 0 else [])
               for index, labels in enumerate(remaining[group_id] for group_id in group_ids)), \
        "every allow-all rule went, and nothing else"
    figures("scale_bulk", path=path, groups=len(group_ids),
            throttled_calls=len(faults), rules_revoked=len(group_ids), rules_lost=0)


PACED_REVOKE = """- name: Paced
  hosts: localhost
  gather_facts: false
  tasks:
    - name: Remove the allow-all egress rule from every group of the fleet
      netguard.aws.ec2_security_group_egress_revoke:
        filters:
          tag:fleet: paced
        protocol: all
        cidr: 0.0.0.0/0
%s      ignore_errors: true
"""
# An account whose revoke bucket other tools keep nearly empty: 10 calls, refilling 10 a second, with time running
# twice as fast (so about 20 revokes a second through the model). botocore's standard retries alone, unpaced, are
# throttled on most of their calls here (about half of them) and can run out of attempts.
BUSY_ACCOUNT = dict(PUBLISHED_BUCKETS, mutating=(10, 10.0))
BUSY_SCALE = 2
BUSY_GROUPS = 100


@pytest.mark.parametrize("pacing, path", [("adaptive", "in-process"), ("revoke_rate", "module")])
def test_bulk_against_a_busy_bucket_loses_no_group_when_paced(ansible, work_dir, endpoint, path, pacing):
    execution_path = PATHS[path]
    endpoint.reset()
    ec2 = endpoint.client()
    _vpc_id, group_ids = seed_fleet(ec2, BUSY_GROUPS, tags={"fleet": "paced"}, https_every=10)
    model = ThrottlingModel(BUSY_SCALE, buckets=BUSY_ACCOUNT)
    playbook = os.path.join(work_dir, "paced.yml")
    with open(playbook, "w") as handle:
        handle.write(PACED_REVOKE % ("        revoke_rate: %d\n" % (10 * BUSY_SCALE) if pacing == "revoke_rate" else ""))
    results_file = os.path.join(work_dir, "paced-%s-%s.json" % (pacing, execution_path))
    with FaultProxy(endpoint.url, throttling=model) as proxy:
        completed = ansible("ansible-playbook", playbook, in_process=execution_path, results_file=results_file,
                            aws_environment=dict(endpoint.environment(), AWS_URL=proxy.url))
    assert completed.returncode == 0
    with open(results_file) as handle:
        (task,) = json.load(handle)
    assert task["result"]["totals"]["failed_groups"] == 0, task["result"]["msg"]
    left = ec2.describe_security_group_rules(Filters=[{"Name": "group-id", "Values": group_ids}])["SecurityGroupRules"]
    assert [rule for rule in left if rule["IsEgress"] and rule["IpProtocol"] == "-1"] == []
    throttled = sum(count for (_account, _region, kind), count in model.throttled.items() if kind == "mutating")
    # Unpaced, botocore's standard retries alone can run out of attempts here and fail groups.
    assert throttled <= (10 if pacing == "revoke_rate" else 20), throttled
