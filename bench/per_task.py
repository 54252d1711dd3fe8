"""Per-task cost: this collection in-process, on the module path, and amazon.aws.ec2_security_group.

Each play removes one rule from each of K groups that hold N egress rules; the per-task cost is the
increment of a play of K tasks over a play of one task, divided by K - 1 (median of the runs), so that
ansible-playbook's own start-up is left out. Beside them, the floor: an ``ansible.builtin.debug`` task,
measured the same way, plus the task's two API calls made from a warm client.
"""

import os
import statistics
import sys
import time

from harness import median
from tests.support.seed import egress_rules

K = 10
RUNS = 5
RULE_COUNTS = (2, 20, 40, 60)
REMOVED_PORT = 1000
VARIANTS = ("netguard.aws, in-process (default on the controller)", "netguard.aws, module path", "amazon.aws.ec2_security_group")
DEBUG = "ansible.builtin.debug"
DEBUG_TASK = """    - name: Say something {index}
      ansible.builtin.debug:
        msg: "{{{{ group_ids[{index}] }}}}"
"""

NETGUARD_TASK = """    - name: Remove the rule from group {index}
      netguard.aws.ec2_security_group_egress_revoke:
        group_id: "{{{{ group_ids[{index}] }}}}"
        protocol: tcp
        port: %d
        cidr: 10.0.0.0/8
""" % REMOVED_PORT
# amazon.aws manages a group's whole rule set: it is given every rule but the one to remove.
AMAZON_TASK = """    - name: Remove the rule from group {index}
      amazon.aws.ec2_security_group:
        name: bench-{index}
        description: bench
        vpc_id: "{{{{ vpc_id }}}}"
        rules_egress: "{{{{ remaining_rules }}}}"
        purge_rules_egress: true
        purge_rules: false
        purge_tags: false
"""


def playbook(variant, tasks):
    template = {VARIANTS[2]: AMAZON_TASK, DEBUG: DEBUG_TASK}.get(variant, NETGUARD_TASK)
    in_process = "false" if variant == VARIANTS[1] else "auto"
    return ("- name: Bench\n  hosts: localhost\n  gather_facts: false\n  vars:\n    netguard_aws_in_process: %s\n"
            "  tasks:\n" % in_process) + "".join(template.format(index=index) for index in range(tasks))


def seed(ec2, rule_count):
    """K groups, each with ``rule_count`` egress rules (tcp ports from 1000 to 10.0.0.0/8)."""
    vpc_id = ec2.create_vpc(CidrBlock="10.0.0.0/16")["Vpc"]["VpcId"]
    ports = range(REMOVED_PORT, REMOVED_PORT + rule_count)
    group_ids = []
    for index in range(K):
        group_id = ec2.create_security_group(GroupName="bench-%d" % index, Description="bench", VpcId=vpc_id)["GroupId"]
        ec2.revoke_security_group_egress(GroupId=group_id, IpPermissions=[
            {"IpProtocol": "-1", "IpRanges": [{"CidrIp": "0.0.0.0/0"}]}])
        ec2.authorize_security_group_egress(GroupId=group_id, IpPermissions=[
            {"IpProtocol": "tcp", "FromPort": port, "ToPort": port, "IpRanges": [{"CidrIp": "10.0.0.0/8"}]}
            for port in ports])
        group_ids.append(group_id)
    remaining = [{"proto": "tcp", "ports": [port], "cidr_ip": "10.0.0.0/8"} for port in ports if port != REMOVED_PORT]
    return {"vpc_id": vpc_id, "group_ids": group_ids, "remaining_rules": remaining}


def play_seconds(bench, variant, rule_count, tasks):
    bench.endpoint.reset()
    ec2 = bench.endpoint.client()
    variables = seed(ec2, rule_count)
    _task_seconds, wall = bench.run_playbook(playbook(variant, tasks), variables)
    if variant == DEBUG:
        return wall
    for group_id in variables["group_ids"][:tasks]:
        ports = sorted(rule["FromPort"] for rule in egress_rules(ec2, group_id).values())
        if ports != list(range(REMOVED_PORT + 1, REMOVED_PORT + rule_count)):
            sys.exit("%s left %s with ports %s" % (variant, group_id, ports))
    return wall


def bare_calls(bench, rule_count):
    """Seconds of the task's two calls from a warm client: describe the group's rules, revoke one by ID."""
    bench.endpoint.reset()
    ec2 = bench.endpoint.client()
    group_id = seed(ec2, rule_count)["group_ids"][0]
    ec2.describe_security_group_rules(Filters=[{"Name": "group-id", "Values": [group_id]}])  # warm-up
    describes, revokes = [], []
    for _run in range(RUNS):
        started = time.perf_counter()
        rules = ec2.describe_security_group_rules(Filters=[{"Name": "group-id", "Values": [group_id]}],
                                                  MaxResults=1000)["SecurityGroupRules"]
        described = time.perf_counter()
        rule = next(rule for rule in rules if rule["IsEgress"] and rule.get("FromPort") == REMOVED_PORT)
        ec2.revoke_security_group_egress(GroupId=group_id, SecurityGroupRuleIds=[rule["SecurityGroupRuleId"]])
        revoked = time.perf_counter()
        describes.append(described - started)
        revokes.append(revoked - described)
        ec2.authorize_security_group_egress(GroupId=group_id, IpPermissions=[
            {"IpProtocol": "tcp", "FromPort": REMOVED_PORT, "ToPort": REMOVED_PORT, "IpRanges": [{"CidrIp": "10.0.0.0/8"}]}])
    return median(describes) + median(revokes)


def measure(bench):
    """Markdown lines of the section, per-task seconds by (variant, N), and the plot's path."""
    per_task = {}
    floor = {}
    for rule_count in RULE_COUNTS:
        for variant in VARIANTS + (DEBUG,):
            increments = [(play_seconds(bench, variant, rule_count, K) - play_seconds(bench, variant, rule_count, 1))
                          / (K - 1) for _run in range(RUNS)]
            per_task[(variant, rule_count)] = median(increments)
            spread = statistics.pstdev(increments)
            print("N=%-3d %-55s %.3f s a task (spread %.3f)" % (rule_count, variant, per_task[(variant, rule_count)], spread),
                  flush=True)
        calls = bare_calls(bench, rule_count)
        floor[rule_count] = (per_task[(DEBUG, rule_count)], calls)
        print("N=%-3d the two API calls from a warm client: %.3f s" % (rule_count, calls), flush=True)
    plot = write_plot(per_task)
    lines = [
        "## Per-task cost: in-process, module, amazon.aws",
        "",
        "Each play removes one egress rule from each of %d groups that hold N rules (tcp ports to 10.0.0.0/8). "
        "The per-task cost is the time a play of %d such tasks takes over a play of one, divided by %d, so that "
        "`ansible-playbook`'s own start-up is left out; median of %d runs each. amazon.aws.ec2_security_group is "
        "given every rule but the one to remove, with `purge_rules_egress`, which is how it removes a rule. "
        "Each play runs on a fresh endpoint."
        % (K, K, K - 1, RUNS),
        "",
        "| rules in the group (N) | " + " | ".join(VARIANTS) + " |",
        "| ---: | " + " | ".join("---:" for _variant in VARIANTS) + " |",
    ]
    for rule_count in RULE_COUNTS:
        cells = " | ".join("%.3f s" % per_task[(variant, rule_count)] for variant in VARIANTS)
        lines.append("| %d | %s |" % (rule_count, cells))
    for rule_count in (RULE_COUNTS[0], RULE_COUNTS[-1]):
        in_process = per_task[(VARIANTS[0], rule_count)]
        lines.append("")
        lines.append("At N = %d, in-process is **%.1fx** faster per task than the module path and **%.1fx** faster "
                     "than amazon.aws." % (rule_count, per_task[(VARIANTS[1], rule_count)] / in_process,
                                           per_task[(VARIANTS[2], rule_count)] / in_process))
    lines += [
        "",
        "![Seconds per task against rules in the group](%s)" % os.path.basename(plot),
        "",
        "A module is a new Python process per task that imports botocore and loads the EC2 model each time. The "
        "action plugin runs the same code in the controller, where botocore and the EC2 model are loaded once "
        "per `ansible-playbook` run; see the module documentation's notes on `netguard_aws_in_process`.",
        "",
        "### Against the floor",
        "",
        "The least a task that makes these two calls can cost: an `ansible.builtin.debug` task (measured like the "
        "tasks above, same runs) plus the two calls themselves from a warm boto3 client (`DescribeSecurityGroupRules` "
        "for the group, `RevokeSecurityGroupEgress` by rule ID; median of %d, on a fresh endpoint)." % RUNS,
        "",
        "| rules in the group (N) | `debug` task | the two calls | floor | in-process task | x floor |",
        "| ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for rule_count in RULE_COUNTS:
        debug, calls = floor[rule_count]
        task = per_task[(VARIANTS[0], rule_count)]
        lines.append("| %d | %.3f s | %.3f s | %.3f s | %.3f s | **%.2fx** |" % (
            rule_count, debug, calls, debug + calls, task, task / (debug + calls)))
    lines += [
        "",
        "Where the rest goes (a profile of the workers): Ansible runs each task in a worker process forked from the "
        "controller, and a task costs more when the controller holds more memory, so the action plugin loads an EC2 "
        "model with only the five operations the collection calls and their shapes (59 of over 4,000), once, in the "
        "controller; each worker's first task gets a botocore session prepared there, unused, and builds its client "
        "from that model (about 1 ms). The rest is botocore making the two calls (signing, sending, parsing each "
        "rule of the response) and Ansible handling a task with a larger result than `debug`'s.",
        "",
    ]
    return lines, per_task


def write_plot(per_task):
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib import pyplot

    path = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "docs", "performance-per-task.png")
    figure, axes = pyplot.subplots(figsize=(7, 4.2), dpi=110)
    for variant, marker in zip(VARIANTS, ("o", "s", "^")):
        axes.plot(RULE_COUNTS, [per_task[(variant, rule_count)] for rule_count in RULE_COUNTS], marker=marker,
                  label=variant)
    axes.set_xlabel("egress rules in the group")
    axes.set_ylabel("seconds per task")
    axes.set_ylim(bottom=0)
    axes.set_title("Removing one egress rule: cost per task")
    axes.grid(True, alpha=0.3)
    axes.legend()
    figure.tight_layout()
    figure.savefig(path)
    return path
