"""``replace_with`` under ansible-playbook, on moto_server behind the fault proxy, which records every call: a replace
by explicit rules in one group and in 20, on both execution paths, each group's calls add-then-remove and a second
run writing nothing; a group AWS refuses for its quota keeping every rule while the others are replaced; the undo from
the registered result, the egress_review report and the journal, each putting the groups back as they were; and
``replace_with: observed`` against flow log fixtures, checked by the plain reference model of the traffic."""

import ipaddress
import json
import os
from datetime import datetime, timezone

import boto3
import pytest

from ..support.endpoint import ACCESS_KEY, REGION, SECRET_KEY
from ..support.fault_proxy import Fault, FaultProxy
from ..support.flow_estate import Estate, busy_records
from ..support.flow_logs import DEFAULT_FIELDS
from ..support.playbooks import PATHS
from ..support.seed import egress_rules, seed_fleet
from ..support.traffic_reference import SURELY

pytestmark = pytest.mark.integration

FLEET = 20
RULES = json.dumps([
    {"ip_protocol": "tcp", "from_port": 443, "to_port": 443,
     "ip_ranges": [{"cidr_ip": "10.20.0.0/16", "description": "api"}], "tags": {"owner": "net"}},
    {"IpProtocol": "udp", "FromPort": 514, "ToPort": 514, "IpRanges": [{"CidrIp": "10.0.9.0/24"}]}])
# Each path's groups: one alone, 20 tagged fleet=<path>, 3 tagged quota=<path> (the first of them full).
REPLACE = """
- name: Replace, %(path)s
  hosts: localhost
  gather_facts: false
  vars:
    netguard_aws_in_process: %(in_process)s
    rules: %(rules)s
  tasks:
    - name: Replace the allow-all rule of one group
      netguard.aws.ec2_security_group_egress_revoke: &one_%(anchor)s
        group_id: "{{ targets['%(path)s'].single }}"
        protocol: all
        cidr: 0.0.0.0/0
        replace_with: "{{ rules }}"
      register: replaced

    - name: Again
      netguard.aws.ec2_security_group_egress_revoke: *one_%(anchor)s

    - name: Replace it in 20 groups
      netguard.aws.ec2_security_group_egress_revoke: &fleet_%(anchor)s
        filters: {"tag:fleet": "%(path)s"}
        protocol: all
        cidr: 0.0.0.0/0
        replace_with: "{{ rules }}"

    - name: Again, in 20 groups
      netguard.aws.ec2_security_group_egress_revoke: *fleet_%(anchor)s

    - name: Replace it where one group has no room left
      netguard.aws.ec2_security_group_egress_revoke:
        filters: {"tag:quota": "%(path)s"}
        protocol: all
        cidr: 0.0.0.0/0
        replace_with: "{{ rules }}"
        journal: "{{ journal }}-%(path)s"
      ignore_errors: true

    - name: Undo the one group's replace from its registered result
      netguard.aws.ec2_security_group_egress_restore: &undo_%(anchor)s
        revoked: "{{ replaced }}"

    - name: Undo again
      netguard.aws.ec2_security_group_egress_restore: *undo_%(anchor)s
"""
UNDO = """
- name: Undo, %(path)s
  hosts: localhost
  gather_facts: false
  vars:
    netguard_aws_in_process: %(in_process)s
  tasks:
    - name: Undo from the journal
      netguard.aws.ec2_security_group_egress_restore: &journal_%(anchor)s
        from_journal: "{{ journal }}-%(path)s"

    - name: Undo from the journal again
      netguard.aws.ec2_security_group_egress_restore: *journal_%(anchor)s
"""
REPORT = """
    - name: Undo both paths' 20 groups from the review report
      netguard.aws.ec2_security_group_egress_restore: &report
        revoked: "{{ lookup('file', report) }}"

    - name: Undo from the report again
      netguard.aws.ec2_security_group_egress_restore: *report
"""
QUOTA = "RulesPerSecurityGroupLimitExceeded"
WRITES = ("AuthorizeSecurityGroupEgress", "RevokeSecurityGroupEgress")


def state(ec2, group_ids):
    """Each group's egress rules: ID and what the rule is (the ID of a rule put back is new)."""
    return dict((group_id, sorted((rule_id, "%s %s-%s %s %s" % (
        rule["IpProtocol"], rule.get("FromPort"), rule.get("ToPort"), rule.get("CidrIpv4"), rule.get("Description")))
        for rule_id, rule in egress_rules(ec2, group_id).items())) for group_id in group_ids)


def same_rules(before, after):
    """The same rules, the rules that stayed with the same IDs."""
    kept = set(before) & set(after)
    return sorted(what for _id, what in before) == sorted(what for _id, what in after) and all(
        rule_id in set(rule_id for rule_id, _what in after) for rule_id, _what in kept)


def writes_by_group(requests):
    calls = {}
    for parameters in requests:
        if parameters.get("Action") in WRITES:
            calls.setdefault(parameters["GroupId"], []).append(parameters["Action"][:6])
    return calls


def test_replace_on_both_paths_then_undo_from_result_report_and_journal(ansible, endpoint, work_dir):
    endpoint.reset()
    ec2 = endpoint.client()
    groups = {}
    for path in PATHS:
        groups[path] = {"single": seed_fleet(ec2, 1)[1][0], "fleet": seed_fleet(ec2, FLEET, tags={"fleet": path})[1],
                        "quota": seed_fleet(ec2, 3, tags={"quota": path})[1]}
    every = [group_id for found in groups.values() for group_id in [found["single"]] + found["fleet"] + found["quota"]]
    before = state(ec2, every)
    full = [found["quota"][0] for found in groups.values()]
    review_dir = os.path.join(work_dir, "replace-review")
    variables = {"targets": groups, "journal": os.path.join(work_dir, "replace-journal"),
                 "report": os.path.join(review_dir, "egress-review.json")}
    faults = [Fault({"Action": "AuthorizeSecurityGroupEgress", "GroupId": group_id}, QUOTA,
                    "The maximum number of rules per security group has been reached.") for group_id in full]

    with FaultProxy(endpoint.url, faults) as proxy:
        environment = dict(endpoint.environment(), AWS_URL=proxy.url)
        replaced, output = run(ansible, work_dir, "replace", "".join(
            REPLACE % {"path": path, "in_process": str(in_process).lower(), "rules": RULES, "anchor": path[:2]}
            for path, in_process in PATHS.items()), variables, environment,
            {"ANSIBLE_CALLBACKS_ENABLED": "netguard.aws.egress_review", "NETGUARD_AWS_REVIEW_DIR": review_dir})
        replacing = writes_by_group(proxy.requests)
        middle = state(ec2, every)
        del proxy.requests[:]
        undone, _output = run(ansible, work_dir, "undo", "".join(
            UNDO % {"path": path, "in_process": str(in_process).lower(), "anchor": path[:2]}
            for path, in_process in PATHS.items()
        ) + REPORT, variables, environment)
        undoing = writes_by_group(proxy.requests)

    tasks = len(replaced) // len(PATHS)
    for index, path in enumerate(PATHS):
        single, fleet, quota = (groups[path][key] for key in ("single", "fleet", "quota"))
        one, again, bulk, bulk_again, refused, undo, undo_again = (
            entry["result"] for entry in replaced[index * tasks:(index + 1) * tasks])
        # The group ends with exactly what it had, less what went, plus what came.
        added = set(rule["security_group_rule_id"] for rule in one["authorized_rules"])
        went = set(rule["security_group_rule_id"] for rule in one["revoked_rules"])
        assert len(added) == 2 and len(went) == 1
        for changed_group in [single] + fleet + quota[1:]:
            assert len(before[changed_group]) == 2
        assert set(rule_id for rule_id, _what in before[single]) - went | added == set(
            rule["security_group_rule_id"] for rule in one["egress_rules"])
        assert (again["changed"], bulk_again["changed"], undo_again["changed"]) == (False, False, False)
        assert bulk["totals"] == {"groups": FLEET, "changed_groups": FLEET, "revoked_rules": FLEET,
                                  "authorized_rules": 2 * FLEET, "failed_groups": 0}
        for group_id in fleet + quota[1:]:
            assert sorted(what for _id, what in middle[group_id]) == sorted(
                ["tcp 443-443 10.0.0.0/8 None", "tcp 443-443 10.20.0.0/16 api", "udp 514-514 10.0.9.0/24 None"])
        # One add per set of tags, then the revoke; the second runs wrote nothing; the undo puts back, then removes.
        assert replacing[single] == ["Author", "Author", "Revoke", "Author", "Revoke"]
        assert all(replacing[group_id] == ["Author", "Author", "Revoke"] for group_id in fleet + quota[1:])
        assert replacing[quota[0]] == ["Author"] and middle[quota[0]] == before[quota[0]]
        entry = next(group for group in refused["groups"] if group["group_id"] == quota[0])
        assert QUOTA in entry["msg"] and "so nothing was removed from it" in entry["msg"]
        assert refused["totals"]["changed_groups"] == 2
        assert same_rules(before[single], state(ec2, [single])[single])
        assert [rule["security_group_rule_id"] for rule in undo["revoked_rules"]] == [
            rule["security_group_rule_id"] for rule in one["authorized_rules"]]
        assert all(undoing[group_id] == ["Author", "Revoke"] for group_id in fleet + quota[1:])
        assert quota[0] not in undoing and single not in undoing
    # The review: WENT 1, ADDED 2 for each replaced group; in the Markdown, a "+" line for each added rule.
    table = output[output.index("NETGUARD.AWS EGRESS REVIEW"):]
    assert ["1", "2"] in [line.split()[4:6] for line in table.splitlines() if groups["module"]["fleet"][0] in line]
    with open(os.path.join(review_dir, "egress-review.md")) as handle:
        markdown = handle.read()
    for path in PATHS:
        single = groups[path]["single"]
        assert all("\n+%s  " % rule_id in markdown for rule_id, _what in middle[single]
                   if rule_id not in dict(before[single]))
    assert [entry["result"]["changed"] for entry in undone] == [True, False] * len(PATHS) + [True, False]
    after = state(ec2, every)
    assert all(same_rules(before[group_id], after[group_id]) for group_id in every), "every group is as it was"


def run(ansible, work_dir, name, plays, variables, environment, extra=None):
    playbook = os.path.join(work_dir, "%s.yml" % name)
    with open(playbook, "w") as handle:
        handle.write(plays)
    results_file = os.path.join(work_dir, "%s-results.json" % name)
    completed = ansible("ansible-playbook", playbook, "-e", json.dumps(variables), results_file=results_file,
                        aws_environment=environment, extra_environment=extra)
    assert completed.returncode == 0, completed.stdout
    with open(results_file) as handle:
        return json.load(handle), completed.stdout


OBSERVED = """
- name: Replace the allow-all rules with what the interfaces used
  hosts: localhost
  gather_facts: false
  tasks:
    - name: Review
      netguard.aws.ec2_security_group_egress_revoke: &observed
        filters: {vpc-id: "{{ vpc }}"}
        protocol: all
        cidr: 0.0.0.0/0
        replace_with: observed
        observed_prefix: {ipv4: 28}
        traffic: {since: "{{ window_start }}", until: "{{ window_end }}"}
      check_mode: true
      diff: true

    - name: What the groups have after the review
      netguard.aws.ec2_security_group_egress_info:
        group_id: "{{ groups_to_list }}"

    - name: Replace
      netguard.aws.ec2_security_group_egress_revoke: *observed
"""


def iso(seconds):
    return datetime.fromtimestamp(seconds, timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def test_observed_rules_carry_every_flow_the_removal_would_cut(ansible, endpoint, work_dir):
    endpoint.reset()
    clients = [boto3.client(service, region_name=REGION, endpoint_url=endpoint.url, aws_access_key_id=ACCESS_KEY,
                            aws_secret_access_key=SECRET_KEY) for service in ("s3", "logs")]
    estate = Estate(endpoint.client(), *clients)
    flow_log_id = estate.flow_log_to_s3()
    since, until = estate.window()
    records = busy_records(estate, since + 60)
    estate.put_s3(flow_log_id, DEFAULT_FIELDS, records, since + 900)
    groups = [estate.web, estate.db]
    reference = estate.reference(DEFAULT_FIELDS, records, since, until)
    removed = set(rule["SecurityGroupRuleId"] for rule in reference.rules
                  if rule["IpProtocol"] == "-1" and rule.get("CidrIpv4") == "0.0.0.0/0")
    cut = dict((group_id, reference.cut_entries(group_id, removed)) for group_id in groups)
    assert cut[estate.web] and cut[estate.db], "the removal alone would cut flows"
    before = state(estate.ec2, groups)

    review, listed, replaced = (entry["result"] for entry in run(ansible, work_dir, "observed", OBSERVED, {
        "vpc": estate.vpc, "groups_to_list": groups, "window_start": iso(since), "window_end": iso(until)},
        endpoint.environment())[0])
    assert dict((group["group_id"], sorted(rule["security_group_rule_id"] for rule in group["egress_rules"]))
                for group in listed["security_groups"]) == dict(
        (group_id, sorted(rule_id for rule_id, _what in rules)) for group_id, rules in before.items()), \
        "check mode wrote nothing"

    reviewed, done = (dict((group["group_id"], group) for group in result["groups"]) for result in (review, replaced))
    after = estate.reference(DEFAULT_FIELDS, records, since, until)
    for group_id in groups:
        assert [dict(rule, security_group_rule_id=None) for rule in done[group_id]["authorized_rules"]] == \
            reviewed[group_id]["authorized_rules"], "check mode shows the rules that the run adds"
        assert done[group_id]["cut_flows"] == [] and len(done[group_id]["revoked_rules"]) == 1
        assert all(ipaddress.ip_network(rule["cidr_ipv4"]).prefixlen >= 28 for rule in done[group_id]["authorized_rules"])
        assert all(rule["tags"] == {"netguard:observed": iso(until)} for rule in done[group_id]["authorized_rules"])
        # The reference model, on the rules as they are now: every flow the removal would have cut is allowed.
        for flow in cut[group_id]:
            interface = after.interfaces[flow["interface"]]
            key = next(key for key in after.flows_of(interface)
                       if (key[2], key[3]) == (flow["destination"], flow["port"]))
            assert any(after.verdict(rule, key) == SURELY for rule in after.rules_of(interface)), flow
    diffs = dict((diff["after_header"].split()[0], diff) for diff in review["diff"])
    for group_id in groups:
        assert all(rule["cidr_ipv4"] in diffs[group_id]["after"] and rule["cidr_ipv4"] not in diffs[group_id]["before"]
                   for rule in reviewed[group_id]["authorized_rules"])
    assert state(estate.ec2, groups) != before
