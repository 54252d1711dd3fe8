"""Running the collection's integration targets with ansible, on either execution path, and comparing runs."""

import json
import os

from .endpoint import ACCESS_KEY, REGION, SECRET_KEY
from .fault_proxy import Canned, FaultProxy, LoopbackServer, QuietHandler
from .normalise import call_counts, endpoint_state, id_labels, relabelled
from .seed import (
    egress_rules,
    seed_default_groups,
    seed_fleet,
    seed_regional_fleets,
    seed_rule_filters_group,
    seed_web_group,
    seed_wide_tcp_group,
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
# Bulk targets run on a fleet of tagged groups instead.
FLEET_TARGETS = ("bulk_revoke", "bulk_guard", "bulk_partial_failure")
# Targets with a seed of their own.
OWN_SEED_TARGETS = ("rule_filters", "keep_ports_within", "stale_references", "default_group_lockdown", "multi_region")
# Targets that give the connection settings their own way (connection_for), without the AWS_* variables of the others.
CONNECTION_TARGETS = ("module_defaults_group", "connection_options", "task_environment", "connection_profile")
FLEET_REGIONS = ["us-east-1", "eu-west-1", "ap-southeast-2"]
FLEET_TAG = "blue"
FLEET_SIZE = 20


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


def connections_for(targets, url, work_dir):
    """Each target's connection variables (by target), and the one environment of a playbook that runs ``targets``.

    The targets of CONNECTION_TARGETS never share a playbook with the others, which rely on the AWS_* variables.
    Among them, connection_profile's files hold nothing but a named profile, which is used only where a task names
    it: the other three still have nothing to connect with but what their tasks give.
    """
    assert len(set(target in CONNECTION_TARGETS for target in targets)) == 1, "connection targets run apart: %s" % (
        targets,)
    variables, environment = {}, {}
    for target in targets:
        variables[target], target_environment = connection_for(target, url, work_dir)
        environment.update(target_environment)
    return variables, environment


def run_target(ansible, work_dir, target, variables, *options, **run_options):
    playbook = os.path.join(work_dir, "%s.yml" % target)
    with open(playbook, "w") as handle:
        handle.write("- name: Scenario %s\n  hosts: localhost\n  gather_facts: false\n  roles: [%s]\n" % (target, target))
    completed = ansible("ansible-playbook", playbook, "-e", json.dumps(variables), *options, **run_options)
    assert completed.returncode == 0, completed.stdout
    return completed.stdout


class PlayMarks(LoopbackServer):
    """``with PlayMarks(recorder) as marks``: which of a recording FaultProxy's requests each play of a playbook made.

    The first task of each play of ``run_plays`` fetches ``marks.url/<target>`` (a lookup, on the controller), and
    the server notes how many requests the proxy has had by then. A play starts only after the tasks of the one
    before it have ended, so every request before a play's mark is an earlier play's.
    """

    def __init__(self, recorder):
        self.recorder = recorder
        self.marks = []
        marks = self

        class Handler(QuietHandler):
            def do_GET(self):
                target, count = self.path.lstrip("/"), len(marks.recorder.requests)
                marks.marks.append((target, count))
                self.reply(200, "text/plain", ("%s starts after %d API calls" % (target, count)).encode())

        super().__init__(Handler)

    def clear(self):
        """Forget the marks and the proxy's requests, before another playbook."""
        del self.marks[:]
        del self.recorder.requests[:]

    def requests_by_target(self):
        """The proxy's requests, by the target whose play made them."""
        targets = [target for target, _start in self.marks]
        assert len(set(targets)) == len(targets), "one play a target: %s" % targets
        assert self.marks and self.marks[0][1] == 0, "requests before the first play: %s" % self.recorder.requests
        ends = [start for _target, start in self.marks[1:]] + [len(self.recorder.requests)]
        return dict((target, self.recorder.requests[start:end]) for (target, start), end in zip(self.marks, ends))


def run_plays(ansible, work_dir, name, plays, marks, *options, **run_options):
    """Run one playbook ``name`` of a play per ``(target, variables)`` of ``plays``, in that order; return its output.

    Each play runs the target's role with the target's variables, after a task that marks where its API calls start
    (``marks``, a PlayMarks).
    """
    playbook = os.path.join(work_dir, "%s.yml" % name)
    with open(playbook, "w") as handle:
        # JSON is YAML, and quotes whatever the variables hold.
        json.dump([{
            "name": "Scenario %s" % target, "hosts": "localhost", "gather_facts": False, "vars": variables,
            "pre_tasks": [{"name": "Mark where the API calls of %s start" % target, "ansible.builtin.debug": {
                "msg": "{{ lookup('ansible.builtin.url', '%s/%s', use_proxy=false) }}" % (marks.url, target)}}],
            "roles": [target],
        } for target, variables in plays], handle, indent=1)
    completed = ansible("ansible-playbook", playbook, *options, **run_options)
    assert completed.returncode == 0, completed.stdout
    return completed.stdout


def run_on_both_paths(ansible, endpoint, work_dir, name, targets, seed, check, variables=None, answers=(), options=(),
                      paths=None):
    """Run ``targets``, one play each in one playbook, on a fresh ``seed()`` per path; check each; return what each
    path returned and did.

    ``seed()`` returns the client, each target's variables (by target) and a snapshot for ``check(ec2, ids, snapshot,
    output)``, which asserts the outcome (after it was recorded, so that it may change the endpoint). Each path gives
    (its task results, the endpoint's state, the API calls of each target's play), with AWS IDs replaced by labels,
    so that the two can be compared. ``variables``: for every play; ``answers``: ``Fault``s and ``Canned`` answers of
    the recording proxy; ``options``: ansible-playbook's; ``paths``: the paths to run (by default both).
    """
    outcomes = {}
    with FaultProxy(endpoint.url, answers) as recorder, PlayMarks(recorder) as marks:
        for path, in_process in (paths or PATHS).items():
            ec2, ids, snapshot = seed()
            labels = id_labels(ec2)
            marks.clear()
            connection_variables, aws_environment = connections_for(targets, recorder.url, work_dir)
            plays = [(target, dict(ids[target], **dict(variables or {}, **connection_variables[target])))
                     for target in targets]
            results_file = os.path.join(work_dir, "results-%s-%s.json" % (name, path))
            output = run_plays(ansible, work_dir, name, plays, marks, *options, aws_environment=aws_environment,
                               in_process=in_process, results_file=results_file)
            with open(results_file) as handle:
                results = json.load(handle)
            calls = dict((target, call_counts(requests)) for target, requests in marks.requests_by_target().items())
            outcomes[path] = (relabelled(results, labels), endpoint_state(ec2, labels), calls)
            check(ec2, ids, snapshot, output)
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


def proxy_answers(targets, ids):
    """What the proxy in front of moto answers for ``targets``: DescribeStaleSecurityGroups, which moto lacks, for
    stale_references (no other target asks for stale references).

    ``ids``: the variables by target; read when a request arrives, so the dict may be filled after this call.
    """
    if "stale_references" not in targets:
        return []
    return [Canned({"Action": "DescribeStaleSecurityGroups"}, lambda: _stale_answer(ids["stale_references"]))]


def seed_target(target, ec2, endpoint, fleet_size=FLEET_SIZE):
    """Seed what ``target`` starts from, beside the seeds of other targets; return the target's variables.

    Each seed has a VPC of its own, and each fleet a tag of its own. default_group_lockdown changes every
    default group of the region, and so needs the region to itself.
    """
    fleet_tag = "%s-%s" % (FLEET_TAG, target)
    if target in FLEET_TARGETS:
        _vpc_id, group_ids = seed_fleet(ec2, fleet_size, tags={"fleet": fleet_tag})
        return {"fleet_tag": fleet_tag, "group_count": fleet_size, "denied_group_id": group_ids[7], "group_ids": group_ids}
    if target == "multi_region":
        fleets = seed_regional_fleets(endpoint, FLEET_REGIONS, 10, fleet_tag)
        return {"fleet_regions": FLEET_REGIONS, "fleet_tag": fleet_tag, "group_count": 30, "fleets": fleets}
    if target == "rule_filters":
        return seed_rule_filters_group(ec2)
    if target == "keep_ports_within":
        return seed_wide_tcp_group(ec2)
    if target == "default_group_lockdown":
        return seed_default_groups(ec2, 4)
    return seed_web_group(ec2)


def seeder(endpoint, targets, snapshot=None, **seed_options):
    """A ``seed()`` for run_on_both_paths: an empty region, then the seed of each of ``targets``.

    ``snapshot(ec2, ids)``, if given, takes what the check compares with; ``seed_options``: of seed_target.
    """
    def seed():
        endpoint.reset()
        ec2 = endpoint.client()
        ids = dict((target, seed_target(target, ec2, endpoint, **seed_options)) for target in targets)
        return ec2, ids, snapshot and snapshot(ec2, ids)
    return seed


def assert_alike(outcomes):
    in_process, module = outcomes["in-process"], outcomes["module"]
    assert in_process[0] == module[0], "the same task results"
    assert in_process[1] == module[1], "the same endpoint state"
    assert in_process[2] == module[2], "the same API calls"


def allow_all(ec2, group_id):
    return [rule for rule in egress_rules(ec2, group_id).values() if rule["IpProtocol"] == "-1"]
