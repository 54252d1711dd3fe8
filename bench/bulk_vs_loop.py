"""One bulk task over 200 groups against a ``loop:`` of the single-group task over the same groups."""

import sys

from harness import median
from tests.support.seed import egress_rules, seed_fleet

GROUPS = 200
RUNS = 3
TASK = """- name: Bench
  hosts: localhost
  gather_facts: false
  tasks:
    - name: Remove the allow-all egress rule
      netguard.aws.ec2_security_group_egress_revoke:
%s        protocol: all
        cidr: 0.0.0.0/0
%s"""
BULK = TASK % ("        filters:\n          tag:fleet: bench\n        concurrency: %d\n", "")
LOOP = TASK % ("        group_id: \"{{ item }}\"\n", "      loop: \"{{ group_ids }}\"\n")


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
    """Markdown lines of the section, and the speed-up of the bulk task over the loop."""
    timed(bench, BULK % 8)  # warm-up: the endpoint's first calls and the file cache
    rows = []
    for label, playbook, runs in [
        ("one bulk task (`filters`), concurrency 8, the default", BULK % 8, RUNS),
        ("one bulk task (`filters`), concurrency 1", BULK % 1, RUNS),
        ("a `loop:` of the single-group task, one item per group", LOOP, 1),
    ]:
        results = [timed(bench, playbook) for _run in range(runs)]
        rows.append((label, runs, median([task for task, _wall in results]), median([wall for _task, wall in results])))
        print("%-58s task %7.2f s, playbook %7.2f s" % (label, rows[-1][2], rows[-1][3]), flush=True)
    speedup, wall_speedup = rows[2][2] / rows[0][2], rows[2][3] / rows[0][3]
    lines = [
        "## Bulk revocation against a loop",
        "",
        "Removing the allow-all egress rule from %d security groups (each also holding an HTTPS rule that stays), "
        "with the built collection installed, on a local moto_server endpoint. *Task* is the task's own time "
        "(from the `task_timer` callback in `bench/callback_plugins`), *playbook* the whole `ansible-playbook` run; "
        "medians of the runs shown, after one warm-up run." % GROUPS,
        "",
        "| run | runs | task (s) | per group (ms) | playbook (s) |",
        "| --- | ---: | ---: | ---: | ---: |",
    ]
    lines += ["| %s | %d | %.2f | %.1f | %.2f |" % (label, runs, task, 1000 * task / GROUPS, wall)
              for label, runs, task, wall in rows]
    lines += [
        "",
        "The bulk task is **%.0fx** faster than the loop (%.0fx counting `ansible-playbook`'s own start-up, "
        "which both pay once). It reads all the groups' rules in two calls (`DescribeSecurityGroups`, then "
        "`DescribeSecurityGroupRules` for 200 groups a call) and sends one `RevokeSecurityGroupEgress` per group; "
        "the loop starts the module once per group, and each run reads and revokes on its own. A local endpoint "
        "answers in a few milliseconds; against AWS, where each call waits on the network, running revokes "
        "concurrently gains more than it does here." % (speedup, wall_speedup),
        "",
    ]
    return lines, speedup
