"""Running the collection's integration targets with ansible, on either execution path, and comparing runs."""

import json
import os

from .endpoint import ACCESS_KEY, REGION, SECRET_KEY
from .fault_proxy import Canned, FaultProxy
from .normalise import call_counts, endpoint_state, id_labels, relabelled
from .seed import (
    egress_rules,
    seed_default_groups,
    seed_fleet,
    seed_regional_fleets,
    seed_rule_filters_group,
    seed_web_group,
)

INTEGRATION = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "integration")
TARGETS = os.path.join(INTEGRATION, "targets")
MODULE = "netguard.aws.ec2_security_group_egress_revoke"
EVERY_EGRESS_RULE = frozenset(["all-0.0.0.0/0", "all-::/0", "tcp-443-10.1.0.0/16", "tcp-25-0.0.0.0/0",
                               "icmp-8-10.0.0.0/8", "tcp-5432-group", "udp-53-prefix-list"])
PROFILE = "netguard-test"
PROFILE_ACCESS_KEY = "AKIDNETGUARDPROFILE"

# target: the egress rules of the seeded group it removes (by label); every other rule must stay.
SCENARIOS = {
    "check_diff_idempotent": {"tcp-443-10.1.0.0/16"},
    "rule_ids_partial_match": {"tcp-25-0.0.0.0/0"},
    "ip_permissions_snake_case": {"tcp-5432-group", "udp-53-prefix-list"},
    "ip_permissions_camel_case": {"icmp-8-10.0.0.0/8", "all-::/0"},
    "shorthand_forms": {"tcp-443-10.1.0.0/16", "all-::/0", "udp-53-prefix-list", "tcp-5432-group",
                        "icmp-8-10.0.0.0/8"},
    "revoke_all": EVERY_EGRESS_RULE,
    "group_by_name": {"tcp-25-0.0.0.0/0"},
    "default_allow_all": {"all-0.0.0.0/0", "all-::/0"},
    "restore_revoked": EVERY_EGRESS_RULE,
    "restore_round_trip": set(),
    "bad_input": set(),
    "module_defaults_group": {"all-0.0.0.0/0", "all-::/0"},
    "connection_options": {"tcp-25-0.0.0.0/0"},
    "connection_profile": {"tcp-25-0.0.0.0/0"},
    "info_module": {"all-0.0.0.0/0", "all-::/0", "tcp-25-0.0.0.0/0"},
    "task_environment": {"tcp-25-0.0.0.0/0"},
    "no_log_task": {"tcp-25-0.0.0.0/0"},
}
# Bulk targets run on a fleet of tagged groups instead; each has its own test below.
FLEET_TARGETS = ("bulk_revoke", "bulk_guard", "bulk_partial_failure")
# Targets with a seed of their own, each run by its own test.
OWN_SEED_TARGETS = ("rule_filters", "stale_references", "default_group_lockdown", "multi_region")
FLEET_REGIONS = ["us-east-1", "eu-west-1", "ap-southeast-2"]
FLEET_TAG = "blue"


PATHS = {"in-process": True, "module": False}
CALLBACKS = os.path.join(INTEGRATION, "callback_plugins")
CONNECTIONS = os.path.join(INTEGRATION, "connection_plugins")


def assert_no_stray_warnings(output, results_file):
    """No deprecation warning, and no warning but those the collection's tasks returned.

    A warning a task returns (a canonicalised CIDR, say) is the collection talking to the user; any
    other one comes from ansible-core about our code (a deprecated API, a result it had to fix up)
    or about the test setup, and fails the run. Counted, since ansible wraps long warnings.
    """
    deprecations = [line for line in output.splitlines() if "[DEPRECATION WARNING]" in line]
    assert deprecations == [], output
    returned = 0
    if os.path.exists(results_file):  # not written when ansible stops before the end of the play
        with open(results_file) as handle:
            returned = sum(len(task["result"].get("warnings", [])) for task in json.load(handle))
    assert output.count("[WARNING]:") == returned, "warnings that no task returned:\n" + output


def connection_for(target, url, work_dir):
    """Target variables and environment for the ways of giving connection settings, to the endpoint at ``url``."""
    if target in ("module_defaults_group", "connection_options", "task_environment"):
        variables = dict(aws_region=REGION, aws_endpoint_url=url, aws_access_key=ACCESS_KEY, aws_secret_key=SECRET_KEY)
        return variables, {}
    if target == "connection_profile":
        config, credentials = os.path.join(work_dir, "aws-config"), os.path.join(work_dir, "aws-credentials")
        with open(config, "w") as handle:
            handle.write("[profile %s]\nregion = %s\nendpoint_url = %s\n" % (PROFILE, REGION, url))
        with open(credentials, "w") as handle:
            handle.write("[%s]\naws_access_key_id = %s\naws_secret_access_key = %s\n"
                         % (PROFILE, PROFILE_ACCESS_KEY, SECRET_KEY))
        return {"aws_profile": PROFILE}, {"AWS_CONFIG_FILE": config, "AWS_SHARED_CREDENTIALS_FILE": credentials}
    return {}, {"AWS_URL": url, "AWS_REGION": REGION, "AWS_ACCESS_KEY_ID": ACCESS_KEY, "AWS_SECRET_ACCESS_KEY": SECRET_KEY}


def run_target(ansible, work_dir, target, variables, *options, **run_options):
    playbook = os.path.join(work_dir, "%s.yml" % target)
    with open(playbook, "w") as handle:
        handle.write("- name: Scenario %s\n  hosts: localhost\n  gather_facts: false\n  roles: [%s]\n" % (target, target))
    completed = ansible("ansible-playbook", playbook, "-e", json.dumps(variables), *options, **run_options)
    assert completed.returncode == 0, completed.stdout
    return completed.stdout


def run_on_both_paths(ansible, endpoint, work_dir, target, seed, check, variables=None, answers=()):
    """Run ``target`` on a fresh ``seed()`` per path; check each; return what each path returned and did.

    ``seed()`` returns the client, the target's variables and a snapshot for ``check(ec2, ids, snapshot,
    output)``, which asserts the outcome. Each path gives (its task results, the endpoint's state, the API
    calls made), with AWS IDs replaced by labels, so that the two can be compared. ``answers``: ``Fault``s
    and ``Canned`` answers of the recording proxy.
    """
    outcomes = {}
    with FaultProxy(endpoint.url, answers) as recorder:
        for path, in_process in PATHS.items():
            ec2, ids, snapshot = seed()
            labels = id_labels(ec2)
            del recorder.requests[:]
            connection_variables, aws_environment = connection_for(target, recorder.url, work_dir)
            results_file = os.path.join(work_dir, "results-%s-%s.json" % (target, path))
            output = run_target(ansible, work_dir, target, dict(ids, **dict(variables or {}, **connection_variables)),
                                aws_environment=aws_environment, in_process=in_process, results_file=results_file)
            check(ec2, ids, snapshot, output)
            with open(results_file) as handle:
                results = json.load(handle)
            outcomes[path] = (relabelled(results, labels), endpoint_state(ec2, labels), call_counts(recorder))
    return outcomes


def _stale_answer(ids):
    """DescribeStaleSecurityGroups as AWS answers it: the web group's rule to ``db`` is behind a deleted peering."""
    return ("<DescribeStaleSecurityGroupsResponse xmlns=\"http://ec2.amazonaws.com/doc/2016-11-15/\">"
            "<requestId>stale</requestId><staleSecurityGroupSet><item><groupId>%(group_id)s</groupId>"
            "<groupName>web</groupName><vpcId>%(vpc_id)s</vpcId><staleIpPermissions/><staleIpPermissionsEgress><item>"
            "<ipProtocol>tcp</ipProtocol><fromPort>5432</fromPort><toPort>5432</toPort><groups><item>"
            "<groupId>%(db_group_id)s</groupId><userId>123456789012</userId><vpcId>vpc-0ddddddddddddddd0</vpcId>"
            "<vpcPeeringConnectionId>pcx-0123456789abcdef0</vpcPeeringConnectionId><peeringStatus>deleted"
            "</peeringStatus></item></groups></item></staleIpPermissionsEgress></item></staleSecurityGroupSet>"
            "</DescribeStaleSecurityGroupsResponse>" % ids)


def proxy_answers(target, ids):
    """What the proxy in front of moto answers for ``target``: DescribeStaleSecurityGroups, which moto lacks.

    ``ids``: the target's variables; read when a request arrives, so the dict may be filled after this call.
    """
    if target != "stale_references":
        return []
    return [Canned({"Action": "DescribeStaleSecurityGroups"}, lambda: _stale_answer(ids))]


def seed_own_target(target, ec2, endpoint):
    """Seed what a target of OWN_SEED_TARGETS starts from; return its variables."""
    if target == "multi_region":
        fleets = seed_regional_fleets(endpoint, FLEET_REGIONS, 10, FLEET_TAG)
        return {"fleet_regions": FLEET_REGIONS, "fleet_tag": FLEET_TAG, "group_count": 30, "fleets": fleets}
    if target == "rule_filters":
        return seed_rule_filters_group(ec2)
    if target == "default_group_lockdown":
        return seed_default_groups(ec2, 4)
    return seed_web_group(ec2)


def assert_alike(outcomes):
    in_process, module = outcomes["in-process"], outcomes["module"]
    assert in_process[0] == module[0], "the same task results"
    assert in_process[1] == module[1], "the same endpoint state"
    assert in_process[2] == module[2], "the same API calls"


def fleet_seed(endpoint, count):
    def seed():
        endpoint.reset()
        ec2 = endpoint.client()
        _vpc_id, group_ids = seed_fleet(ec2, count, tags={"fleet": FLEET_TAG})
        return ec2, {"fleet_tag": FLEET_TAG, "group_count": count, "denied_group_id": group_ids[7]}, group_ids
    return seed


def allow_all(ec2, group_id):
    return [rule for rule in egress_rules(ec2, group_id).values() if rule["IpProtocol"] == "-1"]
