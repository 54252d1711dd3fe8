"""Check mode never mutates: every integration scenario, run with --check on both paths."""

import os

import pytest

from ..support.fault_proxy import FaultProxy
from ..support.normalise import endpoint_state, id_labels
from ..support.playbooks import (
    FLEET_TAG,
    FLEET_TARGETS,
    OWN_SEED_TARGETS,
    SCENARIOS,
    connection_for,
    proxy_answers,
    run_target,
    seed_own_target,
)
from ..support.seed import seed_fleet, seed_web_group

pytestmark = pytest.mark.integration


def seeded_for(target, endpoint):
    endpoint.reset()
    ec2 = endpoint.client()
    if target in FLEET_TARGETS:
        _vpc_id, group_ids = seed_fleet(ec2, 20, tags={"fleet": FLEET_TAG})
        return ec2, {"fleet_tag": FLEET_TAG, "group_count": 20, "denied_group_id": group_ids[7]}
    if target in OWN_SEED_TARGETS:
        return ec2, seed_own_target(target, ec2, endpoint)
    return ec2, seed_web_group(ec2)


@pytest.mark.parametrize("target", sorted(list(SCENARIOS) + list(FLEET_TARGETS) + list(OWN_SEED_TARGETS)))
def test_a_scenario_in_check_mode_changes_nothing(target, ansible, work_dir, endpoint, execution_path, figures):
    ec2, ids = seeded_for(target, endpoint)
    labels = id_labels(ec2)
    before = endpoint_state(ec2, labels)
    with FaultProxy(endpoint.url, proxy_answers(target, ids)) as recorder:
        connection_variables, aws_environment = connection_for(target, recorder.url, work_dir)
        variables = dict(ids, output_dir=os.path.join(work_dir, "check-mode"), **connection_variables)
        output = run_target(ansible, work_dir, target, variables, "--check", "--diff", in_process=execution_path,
                            aws_environment=aws_environment)
    assert "Traceback" not in output
    assert endpoint_state(ec2, labels) == before
    revokes = recorder.calls("RevokeSecurityGroupEgress")
    assert all(call.get("DryRun") == "true" for call in revokes), "every revoke call carried DryRun=true"
    assert not os.path.exists(os.path.join(work_dir, "check-mode")), "no file written in check mode"
    figures("check_mode", target=target, path="in-process" if execution_path else "module", revoke_calls=len(revokes),
            dry_run_calls=sum(1 for call in revokes if call.get("DryRun") == "true"), state_changed=False)
