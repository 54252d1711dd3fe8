"""One bulk task over 200 groups against a ``loop:`` of the single-group task over the same groups."""

import sys

from harness import median, per_group_table
from tests.support.seed import egress_rules, seed_fleet

GROUPS = 200
RUNS = 3
TASK = """- name: Bench
  hosts: localhost
  gather_facts: false
  vars:
    netguard_aws_in_process: %(in_process)s
  tasks:
    - name: Remove the allow-all egress rule
      netguard.aws.ec2_security_group_egress_revoke:
%(selection)s        protocol: all
        cidr: 0.0.0.0/0
%(loop)s"""
BULK_SELECTION = "        filters:\n          tag:fleet: bench\n        concurrency: %d\n"
LOOP_SELECTION = "        group_id: \"{{ item }}\"\n"
LOOP = "      loop: \"{{ group_ids }}\"\n"
PATHS = (("module path", "false"), ("in-process", "auto"))


def timed(bench, playbook):
    """Seed a fresh fleet, run the playbook, check that every allow-all rule went; (task s, wall s)."""
    bench.endpoint.reset()
    ec2 = bench.endpoint.client()
    _vpc_id, group_ids = seed_fleet(ec2, GROUPS, tags={"fleet": "bench"})
    task_seconds, wall = bench.run_playbook(playbook, {"group_ids": group_ids})
    left = [group_id for group_id in group_ids
            if any(rule["IpProtocol"] == "-1" for rule in egress_rules(ec2, group_id).values())]
    if left:
        sys.exit("%d groups kept their allow-all rule" % len(left))
    return task_seconds[0], wall


def measure(bench):
    """Markdown lines of the section, and the bulk task's speed-up over the loop on the module path."""
    timed(bench, TASK % {"in_process": "false", "selection": BULK_SELECTION % 8, "loop": ""})  # warm-up
    rows = []
    speedups = {}
    for path, in_process in PATHS:
        runs = [
            ("one bulk task (`filters`), concurrency 8, the default", BULK_SELECTION % 8, "", RUNS),
            ("one bulk task (`filters`), concurrency 1", BULK_SELECTION % 1, "", RUNS),
            ("a `loop:` of the single-group task", LOOP_SELECTION, LOOP, 1),
        ]
        measured = []
        for label, selection, loop, count in runs:
            playbook = TASK % {"in_process": in_process, "selection": selection, "loop": loop}
            results = [timed(bench, playbook) for _run in range(count)]
            measured.append((path, label, count, median([task for task, _wall in results]),
                             median([wall for _task, wall in results])))
            path_label, run_label, _count, task, wall = measured[-1]
            print("%-12s %-55s task %7.2f s, playbook %7.2f s" % (path_label, run_label, task, wall), flush=True)
        speedups[path] = measured[2][3] / measured[0][3]
        rows += measured
    lines = [
        "## Bulk revocation against a loop",
        "",
        "Removing the allow-all egress rule from %d security groups (each also holding an HTTPS rule that stays), "
        "with the built collection installed, on a local moto_server endpoint, on each execution path. *Task* is "
        "the task's own time (from the `task_timer` callback in `bench/callback_plugins`), *playbook* the whole "
        "`ansible-playbook` run; medians of the runs shown, after one warm-up run." % GROUPS,
        "",
    ]
    lines += per_group_table(rows, GROUPS, "task")
    lines += [
        "",
        "On the module path, the bulk task is **%.0fx** faster than the loop; in-process, where each task of the "
        "loop no longer starts a module, **%.0fx**. The bulk task reads all the groups' rules in two calls "
        "(`DescribeSecurityGroups`, then `DescribeSecurityGroupRules` for 200 groups a call) and sends one "
        "`RevokeSecurityGroupEgress` per group; each task of the loop reads and revokes on its own. A local "
        "endpoint answers in a few milliseconds; against AWS, where each call waits on the network, running "
        "revokes concurrently gains more than it does here." % (speedups["module path"], speedups["in-process"]),
        "",
    ]
    return lines, speedups
