"""The restore module writes as the revoke module does: regions side by side, paced by revoke_rate, journaled.

A bulk revoke over three regions, then its undo from the registered result, through the throttling
model: each region's bucket of mutating calls is small, so that the burst is spent and revoke_rate
sets the pace of the adds.
"""

import json
import os

import pytest

from ..support.fault_proxy import FaultProxy
from ..support.seed import egress_rules, seed_regional_fleets
from ..support.throttling_model import PUBLISHED_BUCKETS, ThrottlingModel

pytestmark = pytest.mark.integration

REGIONS = ["us-east-1", "eu-west-1", "ap-southeast-2"]
GROUPS = 8
RATE = 4.0
CONCURRENCY = 4
# Each region lets one write through at once, then 4 a second: four adds at a time spend the burst at once.
TIGHT = dict(PUBLISHED_BUCKETS, mutating=(1, 4.0))
PLAYBOOK = """- name: Restore in several regions
  hosts: localhost
  gather_facts: false
  tasks:
    - name: Remove the allow-all rule everywhere, past the throttling model
      netguard.aws.ec2_security_group_egress_revoke:
        endpoint_url: "{{ direct_url }}"
        filters:
          tag:fleet: undo
        regions: %(regions)s
        protocol: all
        cidr: 0.0.0.0/0
      register: lockdown

    - name: Put it back, paced and journaled
      netguard.aws.ec2_security_group_egress_restore:
        revoked: "{{ lockdown }}"
        concurrency: %(concurrency)d
        revoke_rate: %(rate)s
        journal: "{{ journal }}"
""" % {"regions": json.dumps(REGIONS), "rate": RATE, "concurrency": CONCURRENCY}


def protocols(endpoint, fleets):
    """The protocols of each group's egress rules, by group."""
    rules = dict((group_id, egress_rules(endpoint.client(region), group_id).values())
                 for region, group_ids in fleets.items() for group_id in group_ids)
    return dict((group_id, sorted(rule["IpProtocol"] for rule in group_rules)) for group_id, group_rules in rules.items())


def test_a_restore_across_regions_runs_them_side_by_side_paced_and_journaled(ansible, endpoint, work_dir, execution_path):
    endpoint.reset()
    fleets = seed_regional_fleets(endpoint, REGIONS, GROUPS, "undo")
    before = protocols(endpoint, fleets)
    journal = os.path.join(work_dir, "undo-%s.jsonl" % execution_path)
    result_file = os.path.join(work_dir, "undo-%s.json" % execution_path)
    playbook = os.path.join(work_dir, "restore-regions.yml")
    with open(playbook, "w") as handle:
        handle.write(PLAYBOOK)

    with FaultProxy(endpoint.url, throttling=ThrottlingModel(1, buckets=TIGHT)) as proxy:
        variables = {"journal": journal, "direct_url": endpoint.url}
        completed = ansible("ansible-playbook", playbook, "-e", json.dumps(variables),
                            in_process=execution_path, results_file=result_file,
                            # botocore's standard retries, whose backoff leaves the pace to revoke_rate alone.
                            aws_environment=dict(endpoint.environment(), AWS_URL=proxy.url, AWS_RETRY_MODE="standard"))
    assert completed.returncode == 0, completed.stdout
    with open(result_file) as handle:
        (_lockdown, undone) = [task["result"] for task in json.load(handle)]
    assert undone["totals"] == {"groups": 24, "changed_groups": 24, "restored_rules": 24, "already_present": 0,
                                "failed_rules": 0, "revoked_rules": 0, "failed_groups": 0}
    assert protocols(endpoint, fleets) == before

    adds = [(when, region, throttled) for when, action, region, throttled in proxy.timeline
            if action == "AuthorizeSecurityGroupEgress"]
    spans = dict((region, (min(when for when, name, _throttled in adds if name == region),
                           max(when for when, name, _throttled in adds if name == region))) for region in REGIONS)
    # Side by side: each region's adds began before any other region's had ended.
    assert max(start for start, _end in spans.values()) < min(end for _start, end in spans.values()), spans
    for region in REGIONS:
        attempts = [(when, throttled) for when, name, throttled in adds if name == region]
        # From the third throttle on, the burst is spent and the attempts go at revoke_rate, once those already under
        # way have gone: one per group written at once, and one more, as the client counts throttles in the order their
        # answers come back, which need not be the order in which the requests reached the endpoint.
        third = [index for index, (_when, throttled) in enumerate(attempts) if throttled][2]
        paced = [when for when, _throttled in attempts[third + CONCURRENCY + 1:]]
        gaps = [later - earlier for earlier, later in zip(paced, paced[1:])]
        # Each attempt waits for a turn 1/RATE after the one before; the endpoint sees it when its thread is next
        # scheduled, which on a busy machine can be a little late, shortening the gap that follows. Unpaced, the
        # retries of writers that go at once arrive together.
        assert len(gaps) >= 3 and min(gaps) >= 0.5 / RATE and sum(gaps) / len(gaps) >= 0.9 / RATE, (region, gaps)

    with open(journal) as handle:
        records = [json.loads(line) for line in handle]
    intents = [record for record in records if record["type"] == "intent"]
    outcomes = dict((record["entry"], record) for record in records if record["type"] == "outcome")
    assert [record["type"] for record in records].count("run") == 1
    assert len(intents) == 24 and all(intent["action"] == "authorize" for intent in intents)
    restored = dict((group["group_id"], [rule["security_group_rule_id"] for rule in group["restored_rules"]])
                    for group in undone["groups"])
    for intent in intents:
        assert intent["rules"][0]["ip_protocol"] == "-1" and intent["rule_ids"] == []
        outcome = outcomes[intent["entry"]]
        assert outcome["status"] == "authorized"
        assert outcome["authorized_rule_ids"] == restored[intent["group_id"]]
    assert undone["journal"]["path"] == journal
