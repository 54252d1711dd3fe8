"""The journal file: its lines, torn lines, sharing between processes, settling open intents, bad paths."""

import json
import multiprocessing
import os
import stat

import pytest

from ansible_collections.netguard.aws.plugins.module_utils.errors import NetguardAwsError
from ansible_collections.netguard.aws.plugins.module_utils.journal import (
    abandoned_record,
    intent_record,
    open_intents,
    open_journal,
    outcome_record,
    parse_journal,
    read_journal,
    revoked_in_journal,
    run_record,
    settle,
)
from ansible_collections.netguard.aws.plugins.module_utils.rules import DescribedRule

GROUP = {"GroupId": "sg-0123456789abcdef0", "OwnerId": "123456789012", "VpcId": "vpc-0123456789abcdef0"}


def rule(rule_id, cidr, **extra):
    return DescribedRule(dict({"SecurityGroupRuleId": rule_id, "GroupId": GROUP["GroupId"], "IsEgress": True,
                               "IpProtocol": "tcp", "FromPort": 443, "ToPort": 443, "CidrIpv4": cidr,
                               "GroupOwnerId": "123456789012"}, **extra))


RULES = [rule("sgr-00000000000000001", "10.0.0.0/8", Description="to the office",
              Tags=[{"Key": "ticket", "Value": "CHG-1"}]),
         rule("sgr-00000000000000002", "0.0.0.0/0")]


def read(path):
    with open(path) as handle:
        return parse_journal(handle.read())


def test_a_run_writes_its_line_then_intent_and_outcome_per_revoke(tmp_path):
    path = str(tmp_path / "journal.jsonl")
    journal = open_journal(path, False, "netguard.aws.ec2_security_group_egress_revoke")
    entry = journal.intent(GROUP, "eu-west-1", RULES)
    journal.outcome(entry, "revoked", ["sgr-00000000000000001", "sgr-00000000000000002"])
    journal.close()

    (run, intent, outcome), skipped = read(path)
    assert skipped == 0
    assert run["type"] == "run" and run["run"] == journal.run_id and run["check_mode"] is False
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    assert intent["account"] == "123456789012" and intent["region"] == "eu-west-1"
    assert intent["group_id"] == GROUP["GroupId"]
    assert intent["rule_ids"] == ["sgr-00000000000000001", "sgr-00000000000000002"]
    assert intent["ip_permissions"] == [{"IpProtocol": "tcp", "FromPort": 443, "ToPort": 443,
                                         "IpRanges": [{"CidrIp": "10.0.0.0/8", "Description": "to the office"},
                                                      {"CidrIp": "0.0.0.0/0"}]}]
    assert intent["rules"][0]["tags"] == {"ticket": "CHG-1"}
    assert outcome["entry"] == intent["entry"] and outcome["status"] == "revoked"
    assert open_intents([run, intent, outcome]) == []


def test_the_account_comes_from_the_rules_when_the_group_was_not_described(tmp_path):
    journal = open_journal(str(tmp_path / "j"), False, "m")
    journal.intent({"GroupId": GROUP["GroupId"]}, "us-east-1", RULES)
    journal.close()
    assert read(str(tmp_path / "j"))[0][1]["account"] == "123456789012"


def test_a_torn_last_line_is_skipped_and_the_next_run_starts_on_a_line_of_its_own(tmp_path):
    path = str(tmp_path / "journal.jsonl")
    first = open_journal(path, False, "m")
    first.intent(GROUP, "us-east-1", RULES)
    first.close()
    with open(path, "a") as handle:
        handle.write('{"type": "outcome", "run": "')  # killed mid-line

    records, skipped = read(path)
    assert skipped == 1 and [record["type"] for record in records] == ["run", "intent"]
    assert [record["rule_ids"] for record in open_intents(records)] == [[rule.rule_id for rule in RULES]]

    second = open_journal(path, True, "m")
    second.close()
    records, skipped = read(path)
    assert skipped == 1 and [record["type"] for record in records] == ["run", "intent", "run"]
    assert records[-1]["check_mode"] is True


def test_check_mode_intents_are_marked_and_never_open(tmp_path):
    journal = open_journal(str(tmp_path / "j"), True, "m")
    journal.intent(GROUP, "us-east-1", RULES)
    journal.close()
    records, _skipped = read(str(tmp_path / "j"))
    assert records[1]["check_mode"] is True
    assert open_intents(records) == []


def test_settling_an_open_intent_from_what_the_group_has_now():
    intent = {"rule_ids": ["sgr-00000000000000001", "sgr-00000000000000002"]}
    assert settle(intent, ["sgr-00000000000000002", "sgr-0000000000000000f"]) == (
        ["sgr-00000000000000001"], ["sgr-00000000000000002"])
    assert settle(intent, []) == (intent["rule_ids"], [])


def _write_many(path, count):
    journal = open_journal(path, False, "m")
    for _entry in range(count):
        entry = journal.intent(GROUP, "us-east-1", RULES)
        journal.outcome(entry, "revoked", [RULES[0].rule_id])
    journal.close()


def test_processes_sharing_a_path_never_mix_their_lines(tmp_path):
    path = str(tmp_path / "shared.jsonl")
    writers = [multiprocessing.Process(target=_write_many, args=(path, 100)) for _writer in range(4)]
    for writer in writers:
        writer.start()
    for writer in writers:
        writer.join()

    records, skipped = read(path)
    assert skipped == 0 and len(records) == 4 * (1 + 2 * 100)
    assert len(set(record["run"] for record in records)) == 4
    assert open_intents(records) == []


@pytest.mark.parametrize("make, message", [
    (lambda tmp: str(tmp / "missing" / "journal.jsonl"), "its directory '%s' does not exist"),
    (str, "is a directory"),
])
def test_unwritable_paths_fail_naming_the_option_and_the_path(tmp_path, make, message):
    path = make(tmp_path)
    with pytest.raises(NetguardAwsError) as error:
        open_journal(path, False, "m")
    assert error.value.msg.startswith("journal '%s'" % path)
    assert message.replace("%s", os.path.dirname(path)) in error.value.msg


def test_a_read_only_directory_or_file_fails(tmp_path):
    directory = tmp_path / "read-only"
    directory.mkdir()
    directory.chmod(0o555)
    with pytest.raises(NetguardAwsError) as error:
        open_journal(str(directory / "j.jsonl"), False, "m")
    assert error.value.msg == "journal '%s' cannot be written: its directory '%s' is read-only" % (
        directory / "j.jsonl", directory)
    directory.chmod(0o755)
    (directory / "j.jsonl").write_text("")
    (directory / "j.jsonl").chmod(0o444)
    with pytest.raises(NetguardAwsError) as error:
        open_journal(str(directory / "j.jsonl"), False, "m")
    assert error.value.msg == "journal '%s' cannot be written: its file is read-only" % (directory / "j.jsonl")


def test_lines_are_json_objects_one_per_line(tmp_path):
    _write_many(str(tmp_path / "j"), 3)
    with open(str(tmp_path / "j")) as handle:
        lines = handle.read().split("\n")
    assert lines[-1] == "" and all(isinstance(json.loads(line), dict) for line in lines[:-1])


NOW = "2026-11-26T10:00:00.000+00:00"


def test_each_line_says_what_a_reader_needs_to_undo_the_run():
    assert run_record("run-a", True, "netguard.aws.ec2_security_group_egress_revoke", NOW) == {
        "type": "run", "format": "netguard.aws/journal/1", "run": "run-a", "time": NOW,
        "module": "netguard.aws.ec2_security_group_egress_revoke", "check_mode": True, "pid": os.getpid()}
    intent = intent_record("run-a", 3, {"GroupId": GROUP["GroupId"]}, "eu-west-3", RULES[1:], False, NOW)
    assert intent == {
        "type": "intent", "run": "run-a", "entry": 3, "time": NOW, "check_mode": False, "action": "revoke",
        "account": "123456789012",
        "region": "eu-west-3", "group_id": GROUP["GroupId"], "rule_ids": ["sgr-00000000000000002"],
        "ip_permissions": [{"IpProtocol": "tcp", "FromPort": 443, "ToPort": 443, "IpRanges": [{"CidrIp": "0.0.0.0/0"}]}],
        "rules": [{"security_group_rule_id": "sgr-00000000000000002", "ip_protocol": "tcp", "from_port": 443,
                   "to_port": 443, "cidr_ipv4": "0.0.0.0/0", "description": None, "tags": {}}]}
    assert intent_record("run-a", 4, dict(GROUP, OwnerId="210987654321"), "eu-west-3", RULES, True, NOW)[
        "account"] == "210987654321"
    assert intent_record("run-a", 5, {"GroupId": GROUP["GroupId"]}, "eu-west-3", [], False, NOW)["account"] is None
    assert outcome_record("run-a", 3, "revoked", ("sgr-00000000000000002",), None, NOW) == {
        "type": "outcome", "run": "run-a", "entry": 3, "time": NOW, "status": "revoked",
        "revoked_rule_ids": ["sgr-00000000000000002"]}
    assert outcome_record("run-a", 4, "failed", (), "throttled", NOW) == {
        "type": "outcome", "run": "run-a", "entry": 4, "time": NOW, "status": "failed", "revoked_rule_ids": [],
        "msg": "throttled"}


def test_lines_that_are_not_whole_records_are_counted_and_skipped():
    text = "\n".join(['{"type": "run", "run": "a"}', "", "[1, 2]", '{"run": "a"}', '"type"', "{torn",
                      '{"type": "intent", "run": "a", "entry": 1}', "   "])
    records, skipped = parse_journal(text)
    assert (records, skipped) == ([{"type": "run", "run": "a"}, {"type": "intent", "run": "a", "entry": 1}], 4)


def test_what_each_intent_gave_up_follows_its_outcome_and_its_run():
    records = [
        {"type": "run", "run": "a"},
        {"type": "intent", "run": "a", "entry": 1, "rule_ids": ["sgr-1", "sgr-2"]},
        {"type": "outcome", "run": "a", "entry": 1, "status": "revoked", "revoked_rule_ids": ["sgr-2"]},
        {"type": "intent", "run": "a", "entry": 2, "rule_ids": ["sgr-3"]},
        {"type": "outcome", "run": "a", "entry": 2, "status": "failed", "revoked_rule_ids": []},
        {"type": "intent", "run": "a", "entry": 3, "rule_ids": ["sgr-4"], "check_mode": True},
        {"type": "intent", "run": "a", "entry": 4, "rule_ids": ["sgr-5"]},
        {"type": "run", "run": "b"},
        {"type": "intent", "run": "b", "entry": 1, "rule_ids": ["sgr-6"]},
        {"type": "outcome", "run": "b", "entry": 1, "status": "revoked"},
        {"type": "intent", "run": "b", "entry": 2},
    ]
    shown = [((intent["run"], intent["entry"]), rule_ids) for intent, rule_ids in revoked_in_journal(records)]
    assert shown == [(("a", 1), ["sgr-2"]), (("a", 4), ["sgr-5"]), (("b", 1), []), (("b", 2), [])]
    assert [(intent["entry"], rule_ids) for intent, rule_ids in revoked_in_journal(records, "a")] == [
        (1, ["sgr-2"]), (4, ["sgr-5"])]
    assert revoked_in_journal(records, "c") == []
    assert [(intent["run"], intent["entry"]) for intent in open_intents(records)] == [("a", 4), ("b", 2)]


def new_rule(cidr):
    """A rule about to be added: as AWS would describe it, without an ID yet."""
    return DescribedRule({"SecurityGroupRuleId": None, "GroupId": GROUP["GroupId"], "IsEgress": True,
                          "IpProtocol": "tcp", "FromPort": 443, "ToPort": 443, "CidrIpv4": cidr,
                          "Tags": [{"Key": "ticket", "Value": "CHG-1"}]})


def test_an_authorize_is_journaled_with_its_action_and_the_new_rule_ids():
    intent = intent_record("run-a", 1, GROUP, "eu-west-3", [new_rule("10.0.0.0/8")], False, NOW, "authorize")
    assert intent == {
        "type": "intent", "run": "run-a", "entry": 1, "time": NOW, "check_mode": False, "action": "authorize",
        "account": "123456789012", "region": "eu-west-3", "group_id": GROUP["GroupId"], "rule_ids": [],
        "ip_permissions": [{"IpProtocol": "tcp", "FromPort": 443, "ToPort": 443,
                            "IpRanges": [{"CidrIp": "10.0.0.0/8"}]}],
        "rules": [{"security_group_rule_id": None, "ip_protocol": "tcp", "from_port": 443, "to_port": 443,
                   "cidr_ipv4": "10.0.0.0/8", "description": None, "tags": {"ticket": "CHG-1"}}]}
    assert outcome_record("run-a", 1, "authorized", ["sgr-0000000000000000a"], None, NOW, "authorize") == {
        "type": "outcome", "run": "run-a", "entry": 1, "time": NOW, "status": "authorized",
        "authorized_rule_ids": ["sgr-0000000000000000a"]}
    assert outcome_record("run-a", 2, "failed", (), "InvalidGroup.NotFound", NOW, "authorize") == {
        "type": "outcome", "run": "run-a", "entry": 2, "time": NOW, "status": "failed", "authorized_rule_ids": [],
        "msg": "InvalidGroup.NotFound"}


def test_a_run_that_stops_before_its_end_says_why_and_how_many_groups_it_left():
    assert abandoned_record("run-a", "stopped by SIGTERM", 3, NOW) == {
        "type": "abandoned", "run": "run-a", "time": NOW, "reason": "stopped by SIGTERM", "groups_not_started": 3}


def test_the_file_holds_revokes_authorizes_and_the_abandoned_line_in_order(tmp_path):
    path = str(tmp_path / "journal.jsonl")
    journal = open_journal(path, False, "netguard.aws.ec2_security_group_egress_restore")
    added = journal.intent(GROUP, "us-east-1", [new_rule("10.0.0.0/8")], "authorize")
    journal.outcome(added, "authorized", ["sgr-0000000000000000a"], action="authorize")
    revoked = journal.intent(GROUP, "us-east-1", RULES)
    journal.outcome(revoked, "failed", msg="throttled")
    journal.abandoned("the process that started this run (pid 1234) is gone", 2)
    journal.close()

    records, skipped = read(path)
    assert skipped == 0
    assert [(record["type"], record.get("action"), record.get("entry")) for record in records] == [
        ("run", None, None), ("intent", "authorize", 1), ("outcome", None, 1), ("intent", "revoke", 2),
        ("outcome", None, 2), ("abandoned", None, None)]
    assert records[2]["authorized_rule_ids"] == ["sgr-0000000000000000a"] and "revoked_rule_ids" not in records[2]
    assert records[4] == dict(records[4], status="failed", revoked_rule_ids=[], msg="throttled")
    assert records[5] == dict(records[5], run=journal.run_id, groups_not_started=2,
                              reason="the process that started this run (pid 1234) is gone")
    assert revoked_in_journal(records) == []


def test_added_rules_are_never_taken_for_revoked_ones():
    records = [
        {"type": "run", "run": "a"},
        {"type": "intent", "run": "a", "entry": 1, "action": "authorize", "rule_ids": []},
        {"type": "intent", "run": "a", "entry": 2, "action": "authorize", "rule_ids": ["sgr-9"]},
        {"type": "outcome", "run": "a", "entry": 2, "status": "authorized", "authorized_rule_ids": ["sgr-9"]},
        {"type": "intent", "run": "a", "entry": 3, "action": "revoke", "rule_ids": ["sgr-1"]},
        # Written before intents had an action: a revoke.
        {"type": "intent", "run": "a", "entry": 4, "rule_ids": ["sgr-2"]},
    ]
    assert [(intent["entry"], rule_ids) for intent, rule_ids in revoked_in_journal(records)] == [
        (3, ["sgr-1"]), (4, ["sgr-2"])]


def test_reading_a_journal_names_the_option_it_came_from(tmp_path):
    missing = str(tmp_path / "missing.jsonl")
    for option in ("journal", "from_journal"):
        with pytest.raises(NetguardAwsError) as raised:
            read_journal(missing, option)
        assert raised.value.msg == "%s '%s' cannot be read: No such file or directory" % (option, missing)
    with pytest.raises(NetguardAwsError) as raised:
        read_journal(missing)
    assert raised.value.msg.startswith("journal '%s'" % missing)
    empty = tmp_path / "empty.jsonl"
    empty.write_text("")
    assert read_journal(str(empty)) == []
