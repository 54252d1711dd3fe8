"""One ``rule_filters`` bulk task over 200 groups against today's way: an info task, then a ``loop:`` of revokes."""

import sys

from harness import median, per_group_table
from tests.support.seed import egress_rules, seed_fleet

GROUPS = 200
RUNS = 3
HEADER = """- name: Bench
  hosts: localhost
  gather_facts: false
  vars:
    netguard_aws_in_process: %s
  tasks:
"""
ONE_TASK = """    - name: Remove everything open to the world, except HTTPS
      netguard.aws.ec2_security_group_egress_revoke:
        filters:
          tag:fleet: bench
        rule_filters:
          destination_covers: [0.0.0.0/0, "::/0"]
        keep:
          - protocol: tcp
            allows_port: 443
"""
# What users write without rule_filters: find the rules, pick IDs with Jinja, revoke group by group.
INFO_THEN_LOOP = """    - name: Find the rules open to the world
      netguard.aws.ec2_security_group_egress_info:
        filters:
          tag:fleet: bench
        cidr: [0.0.0.0/0, "::/0"]
      register: found

    - name: Remove them, except HTTPS
      netguard.aws.ec2_security_group_egress_revoke:
        group_id: "{{ item.group_id }}"
        rule_ids: "{{ item.egress_rules | rejectattr('ip_protocol', 'in', ['tcp', '6']) | map(attribute='security_group_rule_id') | list }}"
      loop: "{{ found.security_groups }}"
"""
PATHS = (("module path", "false"), ("in-process", "auto"))


def timed(bench, playbook):
    """Seed a fresh fleet, run the playbook, check the outcome; (seconds of all its tasks, wall seconds)."""
    bench.endpoint.reset()
    ec2 = bench.endpoint.client()
    _vpc_id, group_ids = seed_fleet(ec2, GROUPS, tags={"fleet": "bench"})
    task_seconds, wall = bench.run_playbook(playbook)
    wrong = [group_id for group_id in group_ids
             if [(rule["IpProtocol"], rule.get("FromPort")) for rule in egress_rules(ec2, group_id).values()] != [("tcp", 443)]]
    if wrong:
        sys.exit("%d groups do not hold exactly their HTTPS rule" % len(wrong))
    return sum(task_seconds), wall


def measure(bench):
    """Markdown lines of the section, and the one task's speed-up over info + loop, per path."""
    timed(bench, HEADER % "false" + ONE_TASK)  # warm-up
    rows = []
    speedups = {}
    for path, in_process in PATHS:
        measured = []
        for label, tasks, count in (("one task: `rule_filters` and `keep` in bulk mode", ONE_TASK, RUNS),
                                    ("an info task, then a `loop:` of single-group revokes by rule ID", INFO_THEN_LOOP, 1)):
            results = [timed(bench, HEADER % in_process + tasks) for _run in range(count)]
            measured.append((path, label, count, median([task for task, _wall in results]),
                             median([wall for _task, wall in results])))
            print("%-12s %-65s tasks %7.2f s, playbook %7.2f s" % (measured[-1][:2] + measured[-1][3:]), flush=True)
        speedups[path] = measured[1][3] / measured[0][3]
        rows += measured
    lines = [
        "## Rule filters against an info task and a loop",
        "",
        "Removing every egress rule open to the world except HTTPS from %d security groups (each holds the allow-all "
        "rule and an HTTPS rule to 10.0.0.0/8), with the built collection on a local moto_server endpoint, on each "
        "execution path. *Tasks* is the time of the play's tasks (from the `task_timer` callback), *playbook* the "
        "whole `ansible-playbook` run; medians of the runs shown, after one warm-up run." % GROUPS,
        "",
    ]
    lines += per_group_table(rows, GROUPS, "tasks")
    lines += [
        "",
        "On the module path, the one `rule_filters` task is **%.0fx** faster than the info task and the loop; "
        "in-process, **%.0fx**. It makes the calls of any bulk task (one `DescribeSecurityGroups`, one "
        "`DescribeSecurityGroupRules` for 200 groups, one `RevokeSecurityGroupEgress` per changed group); the loop "
        "reads and revokes group by group, one task each." % (speedups["module path"], speedups["in-process"]),
        "",
    ]
    return lines, speedups
