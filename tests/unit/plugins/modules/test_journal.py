"""The revoke module's journal on moto: what it records around each revoke call, and bad journal input."""

import json

import pytest
from botocore.client import BaseClient

from ansible_collections.netguard.aws.plugins.module_utils.journal import open_intents, parse_journal

from ....support.seed import egress_rules, seed_fleet
from .test_bulk_revoke import ALL_TO_ANYWHERE, calls_to, failing_for


def journal_lines(path):
    with open(path) as handle:
        return [json.loads(line) for line in handle]


@pytest.fixture
def fleet(ec2):
    vpc_id, group_ids = seed_fleet(ec2, 20, tags={"env": "prod"})
    return vpc_id, group_ids


def test_bulk_journals_each_revoke_before_and_after_the_call(ec2, fleet, tmp_path, api_calls, run_module):
    _vpc_id, group_ids = fleet
    path = str(tmp_path / "egress.jsonl")

    result = run_module(filters={"tag:env": "prod"}, journal=path, **ALL_TO_ANYWHERE)

    lines = journal_lines(path)
    assert result["journal"] == {"path": path, "run": lines[0]["run"]}
    assert lines[0]["type"] == "run" and lines[0]["module"] == "netguard.aws.ec2_security_group_egress_revoke"
    intents = [line for line in lines if line["type"] == "intent"]
    outcomes = dict((line["entry"], line) for line in lines if line["type"] == "outcome")
    assert sorted(intent["group_id"] for intent in intents) == sorted(group_ids)
    by_group = dict((group["group_id"], group) for group in result["groups"])
    for intent in intents:
        group = by_group[intent["group_id"]]
        assert intent["rule_ids"] == [rule["security_group_rule_id"] for rule in group["revoked_rules"]]
        assert intent["ip_permissions"] == group["revoked_ip_permissions"]
        assert intent["region"] == "us-east-1" and intent["account"] == group["owner_id"]
        assert outcomes[intent["entry"]]["status"] == "revoked"
        assert outcomes[intent["entry"]]["revoked_rule_ids"] == intent["rule_ids"]
        assert not any(rule_id in egress_rules(ec2, intent["group_id"]) for rule_id in intent["rule_ids"])
    assert len(calls_to(api_calls, "RevokeSecurityGroupEgress")) == len(intents) == 20


def test_a_rerun_appends_a_run_line_and_nothing_else(ec2, fleet, tmp_path, run_module):
    path = str(tmp_path / "egress.jsonl")
    first = run_module(filters={"tag:env": "prod"}, journal=path, **ALL_TO_ANYWHERE)
    before = journal_lines(path)

    rerun = run_module(filters={"tag:env": "prod"}, journal=path, **ALL_TO_ANYWHERE)

    after = journal_lines(path)
    assert rerun["changed"] is False and after[:len(before)] == before
    assert [line["type"] for line in after[len(before):]] == ["run"]
    assert rerun["journal"]["run"] != first["journal"]["run"]


def test_check_mode_records_what_would_go_marked_as_such(ec2, fleet, tmp_path, run_module):
    _vpc_id, group_ids = fleet
    path = str(tmp_path / "egress.jsonl")

    run_module(check_mode=True, filters={"tag:env": "prod"}, journal=path, **ALL_TO_ANYWHERE)

    lines = journal_lines(path)
    assert lines[0]["check_mode"] is True
    assert all(line["check_mode"] is True for line in lines if line["type"] == "intent")
    assert set(line["status"] for line in lines if line["type"] == "outcome") == {"would_revoke"}
    assert all(len(egress_rules(ec2, group_id)) == 2 for group_id in group_ids), "nothing revoked"


def test_a_failed_revoke_is_recorded_with_its_reason(ec2, fleet, tmp_path, monkeypatch, run_module):
    _vpc_id, group_ids = fleet
    failing_for(monkeypatch, group_ids[3], "UnauthorizedOperation")
    path = str(tmp_path / "egress.jsonl")

    result = run_module(filters={"tag:env": "prod"}, journal=path, **ALL_TO_ANYWHERE)

    assert result["failed"] is True and result["journal"]["path"] == path
    lines = journal_lines(path)
    entry, = [line["entry"] for line in lines if line["type"] == "intent" and line["group_id"] == group_ids[3]]
    outcome, = [line for line in lines if line["type"] == "outcome" and line["entry"] == entry]
    assert outcome["status"] == "failed" and outcome["revoked_rule_ids"] == []
    assert outcome["msg"].startswith("access denied: ec2:RevokeSecurityGroupEgress on %s" % group_ids[3])


def test_one_group_is_journaled_too(ec2, fleet, tmp_path, run_module):
    _vpc_id, group_ids = fleet
    path = str(tmp_path / "egress.jsonl")
    result = run_module(group_id=group_ids[0], journal=path, **ALL_TO_ANYWHERE)
    kinds = [line["type"] for line in journal_lines(path)]
    assert result["changed"] is True and kinds == ["run", "intent", "outcome"]


@pytest.mark.parametrize("args, message", [
    (dict(revoke_rate=0), "revoke_rate 0 is not a positive number of write calls per second, such as 5 or 0.5"),
    (dict(revoke_rate=-2.5), "revoke_rate -2.5 is not a positive number of write calls per second, such as 5 or 0.5"),
    (dict(revoke_rate="nan"), "revoke_rate 'nan' is not a positive number of write calls per second, such as 5 or 0.5"),
    (dict(revoke_rate="fast"), "revoke_rate 'fast' is not a positive number of write calls per second, such as 5 or 0.5"),
    (dict(revoke_rate=True), "revoke_rate True is not a positive number of write calls per second, such as 5 or 0.5"),
    (dict(journal="/nonexistent-netguard/journal.jsonl"),
     "journal '/nonexistent-netguard/journal.jsonl' cannot be written: its directory '/nonexistent-netguard' does "
     "not exist"),
])
def test_bad_pacing_and_journal_input_fails_before_any_call(ec2, fleet, api_calls, run_module, args, message):
    result = run_module(filters={"tag:env": "prod"}, **dict(ALL_TO_ANYWHERE, **args))
    assert result["failed"] is True and result["msg"] == message
    assert api_calls == []


def test_revoke_rate_belongs_to_bulk_mode(ec2, fleet, api_calls, run_module):
    _vpc_id, group_ids = fleet
    result = run_module(group_id=group_ids[0], revoke_rate=5, **ALL_TO_ANYWHERE)
    assert result["failed"] is True and result["msg"] == "missing parameter(s) required by 'revoke_rate': filters"
    assert api_calls == []


def test_the_intent_is_on_disk_before_the_revoke_call_is_sent(ec2, fleet, tmp_path, monkeypatch, run_module):
    path = str(tmp_path / "egress.jsonl")
    on_disk_at_call = []
    original = BaseClient._make_api_call

    def reading_the_journal(client, operation_name, api_params):
        if operation_name == "RevokeSecurityGroupEgress":
            # What a reader would find if the run were killed now.
            with open(path) as handle:
                records, _skipped = parse_journal(handle.read())
            on_disk_at_call.append([record for record in open_intents(records)
                                    if record["group_id"] == api_params["GroupId"]
                                    and record["rule_ids"] == api_params["SecurityGroupRuleIds"]])
        return original(client, operation_name, api_params)

    monkeypatch.setattr(BaseClient, "_make_api_call", reading_the_journal)
    run_module(filters={"tag:env": "prod"}, journal=path, concurrency=1, **ALL_TO_ANYWHERE)

    assert len(on_disk_at_call) == 20 and all(len(intents) == 1 for intents in on_disk_at_call)
