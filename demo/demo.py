"""``make demo``: the module against a local EC2 endpoint, in check mode, for real, and again."""

import json
import os
import re
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from tests.support.endpoint import COLLECTION_ROOT, MotoServer, ansible_environment, install_collection, tool  # noqa: E402
from tests.support.seed import egress_rules, seed_web_group  # noqa: E402

PLAYBOOK = os.path.join(COLLECTION_ROOT, "demo", "playbook.yml")
RUNS = [
    ("check mode (--check --diff)", ["--check", "--diff"]),
    ("for real (--diff)", ["--diff"]),
    ("again (idempotent)", []),
]


def main():
    work_dir = os.path.join(COLLECTION_ROOT, "build", "demo")
    os.makedirs(work_dir, exist_ok=True)
    print("Building the collection and installing the artifact into %s ..." % os.path.relpath(work_dir))
    _tarball, collections_path = install_collection(work_dir)
    # Print rules the way the module's --diff does, with the installed collection's own code.
    sys.path.insert(0, collections_path)
    from ansible_collections.netguard.aws.plugins.module_utils.formatting import display_line
    from ansible_collections.netguard.aws.plugins.module_utils.rules import DescribedRule

    def describe(api_rule):
        return display_line(DescribedRule(api_rule))

    with MotoServer(log_path=os.path.join(work_dir, "moto_server.log")) as endpoint:
        print("Local EC2 endpoint (moto_server, no AWS account): %s" % endpoint.url)
        ec2 = endpoint.client()
        ids = seed_web_group(ec2)
        initial = egress_rules(ec2, ids["group_id"])
        print("Seeded security group 'web' %s in %s with %d egress rules:" % (ids["group_id"], ids["vpc_id"], len(initial)))
        for rule in initial.values():
            print("    " + describe(rule))

        environment = ansible_environment(collections_path, work_dir, **endpoint.environment())
        summary = []
        for title, options in RUNS:
            print("\n===== ansible-playbook demo/playbook.yml %s  [%s]" % (" ".join(options), title))
            completed = subprocess.run(
                [tool("ansible-playbook"), PLAYBOOK, "-e", json.dumps(ids)] + options,
                env=environment, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, universal_newlines=True, check=False)
            print(completed.stdout)
            if completed.returncode != 0:
                sys.exit("ansible-playbook failed (exit %d)" % completed.returncode)
            changed = re.search(r"changed=(\d+)", completed.stdout).group(1)
            summary.append((title, changed, len(egress_rules(ec2, ids["group_id"]))))
        final = egress_rules(ec2, ids["group_id"])

    print("===== What happened")
    print("  %-30s %-14s %s" % ("run", "tasks changed", "egress rules on the endpoint afterwards"))
    for title, changed, count in summary:
        print("  %-30s %-14s %d" % (title, changed, count))
    print("Removed:")
    for rule_id in initial:
        if rule_id not in final:
            print("    " + describe(initial[rule_id]))
    print("Kept:")
    for rule in final.values():
        print("    " + describe(rule))
    print("The endpoint has been stopped.")


if __name__ == "__main__":
    main()
