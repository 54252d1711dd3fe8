"""Check mode never mutates: every integration scenario, run with --check.

Every target runs on the in-process path. The single group with check and diff runs on the module path too: what
the module path adds is how check mode reaches the code (AnsibleModule's check_mode, given to the pipeline as the
action plugin gives it), and below that a single group, a fleet and several regions run the same code on both paths
(pipeline.run, the writer's dry run a group), so bulk and regions in check mode run in-process only. The module
path's check mode also runs in test_ansible.py (check_diff_idempotent's preview, with the same API calls as
in-process), test_review.py (a reviewed play with --check) and test_faults.py (an access denial in check mode).

Targets run side by side, one play each in one playbook, each on a seed of its own; each target's calls are those
its play made (PlayMarks).
"""

import json
import os

import pytest

from ..support.fault_proxy import FaultProxy
from ..support.normalise import endpoint_state, id_labels
from ..support.playbooks import (
    CONNECTION_TARGETS,
    FLEET_REGIONS,
    FLEET_TARGETS,
    OWN_SEED_TARGETS,
    PATHS,
    SCENARIOS,
    PlayMarks,
    connections_for,
    proxy_answers,
    run_plays,
    seed_target,
)

pytestmark = pytest.mark.integration

EVERY_TARGET = sorted(list(SCENARIOS) + list(FLEET_TARGETS) + list(OWN_SEED_TARGETS))
ON_BOTH_PATHS = ("check_diff_idempotent",)
# default_group_lockdown selects every default group of the region, so it has a region to itself; the connection
# targets need an environment of their own (connections_for). The rest share one.
APART = ("default_group_lockdown",)
# A task of these targets that --check alone puts in check mode (no check_mode of its own) and that would remove rules:
# it must report the change it would make, while the run removes nothing.
WOULD_CHANGE = {
    "default_allow_all": "Remove the default allow-all egress rules, IPv4 and IPv6",
    "check_diff_idempotent": "Remove it",
    "bulk_revoke": "Remove it for real",
    "multi_region": "Remove the allow-all egress rule from the fleet in every region at once",
    "event_delivery": "Act on the event of a call that added SSH and HTTPS to the world, keeping HTTPS",
}


def playbooks_for(targets):
    """``targets`` in the groups that each run as one playbook, by name."""
    groups = {
        "connection_settings": [target for target in targets if target in CONNECTION_TARGETS],
        "shared_region": [target for target in targets if target not in CONNECTION_TARGETS and target not in APART],
    }
    groups.update((target, [target]) for target in targets if target in APART)
    return dict((name, group) for name, group in groups.items() if group)


PLAYBOOKS = {"in-process": playbooks_for(EVERY_TARGET), "module": playbooks_for(ON_BOTH_PATHS)}
RUNS = [(path, name) for path, playbooks in PLAYBOOKS.items() for name in sorted(playbooks)]


def group_ids(variables):
    """Every security group ID among a target's variables."""
    if isinstance(variables, dict):
        return set().union(*[group_ids(value) for value in variables.values()])
    if isinstance(variables, list):
        return set().union(*[group_ids(value) for value in variables])
    return set([variables]) if isinstance(variables, str) and variables.startswith("sg-") else set()


def test_every_target_runs_in_check_mode():
    assert sorted(target for group in PLAYBOOKS["in-process"].values() for target in group) == EVERY_TARGET
    assert sorted(target for group in PLAYBOOKS["module"].values() for target in group) == sorted(ON_BOTH_PATHS)


@pytest.mark.parametrize("path, name", RUNS)
def test_scenarios_in_check_mode_change_nothing(path, name, ansible, work_dir, endpoint, figures):
    targets = PLAYBOOKS[path][name]
    endpoint.reset()
    ec2 = endpoint.client()
    ids = dict((target, seed_target(target, ec2, endpoint)) for target in targets)
    clients = [endpoint.client(region) for region in FLEET_REGIONS]
    labels = [id_labels(client) for client in clients]
    before = [endpoint_state(client, region_labels) for client, region_labels in zip(clients, labels)]
    output_dir = os.path.join(work_dir, "check-mode-%s-%s" % (path, name))
    results_file = os.path.join(work_dir, "check-mode-%s-%s.json" % (path, name))
    with FaultProxy(endpoint.url, proxy_answers(targets, ids)) as recorder, PlayMarks(recorder) as marks:
        connection_variables, aws_environment = connections_for(targets, recorder.url, work_dir)
        plays = [(target, dict(ids[target], output_dir=output_dir, **connection_variables[target])) for target in targets]
        output = run_plays(ansible, work_dir, "check-mode-%s-%s" % (path, name), plays, marks, "--check", "--diff",
                           in_process=PATHS[path], aws_environment=aws_environment, results_file=results_file)
        requests = marks.requests_by_target()
    assert "Traceback" not in output
    assert [endpoint_state(client, region_labels) for client, region_labels in zip(clients, labels)] == before
    revokes = recorder.calls("RevokeSecurityGroupEgress")
    assert all(call.get("DryRun") == "true" for call in revokes), "every revoke call carried DryRun=true"
    assert not os.path.exists(output_dir), "no file written in check mode"
    assert sorted(requests) == sorted(targets)
    with open(results_file) as handle:
        results = dict((entry["task"], entry) for entry in json.load(handle))
    for target in set(targets) & set(WOULD_CHANGE):
        reported = results["%s : %s" % (target, WOULD_CHANGE[target])]
        assert reported["result"]["changed"] is True and not reported["failed"], (target, reported)
    for target in targets:
        revokes = [call for call in requests[target] if call.get("Action") == "RevokeSecurityGroupEgress"]
        # Each call counted for the target is one on its own groups.
        assert set(call["GroupId"] for call in revokes) <= group_ids(ids[target]), target
        figures("check_mode", target=target, path=path, revoke_calls=len(revokes),
                dry_run_calls=sum(1 for call in revokes if call.get("DryRun") == "true"), state_changed=False)
