"""What the restore module is asked to put back, read from each of its inputs, and every input it refuses."""

import json

import pytest
from ansible.module_utils.common import warnings as module_warnings
from ansible.module_utils.common.arg_spec import ArgumentSpecValidator

from ansible_collections.netguard.aws.plugins.module_utils.errors import NetguardAwsError
from ansible_collections.netguard.aws.plugins.module_utils.request import (
    RESTORE_MODULE,
    Change,
    Execution,
    Guards,
    Request,
)
from ansible_collections.netguard.aws.plugins.module_utils.restore_request import parse_restore_request
from ansible_collections.netguard.aws.plugins.modules.ec2_security_group_egress_restore import (
    MODULE_KWARGS as RESTORE_KWARGS,
)

GROUP = "sg-0123456789abcdef0"
OTHER = "sg-0fedcba9876543210"
PEER = "sg-0aaaaaaaaaaaaaaaa"
PCX = "pcx-0" + "c" * 16
HTTPS = {"ip_protocol": "tcp", "from_port": 443, "to_port": 443,
         "ip_ranges": [{"cidr_ip": "10.0.0.0/16", "description": "web"}]}
DNS = {"ip_protocol": "udp", "from_port": 53, "to_port": 53, "ipv6_ranges": [{"cidr_ipv6": "2001:db8::/32"}]}
PEERED = {"ip_protocol": "tcp", "from_port": 5432, "to_port": 5432, "user_id_group_pairs": [{
    "group_id": PEER, "user_id": "210987654321", "vpc_id": "vpc-0bbbbbbbbbbbbbbbb",
    "vpc_peering_connection_id": PCX, "description": "database"}]}
HTTPS_SUMMARY = {"security_group_rule_id": "sgr-00000000000000001", "ip_protocol": "tcp", "from_port": 443,
                 "to_port": 443, "cidr_ipv4": "10.0.0.0/16", "description": "web", "tags": {"owner": "team-a"}}
DNS_SUMMARY = {"security_group_rule_id": "sgr-00000000000000002", "ip_protocol": "udp", "from_port": 53,
               "to_port": 53, "cidr_ipv6": "2001:db8::/32", "description": None, "tags": {}}


def shown(parsed):
    """A parsed request as (bulk, groups, warnings), each rule as text with its owner, description, peering and
    tags."""
    request, warnings = parsed
    return (request.target.bulk, [
        (group.group_id, group.region, group.owner_id, [
            ("%s %s-%s %s %s" % (item.requested.rule.protocol, item.requested.rule.from_port,
                                 item.requested.rule.to_port, item.requested.rule.destination_type,
                                 item.requested.rule.destination),
             item.requested.group_owner, item.requested.description, item.requested.vpc_id,
             item.requested.vpc_peering_connection_id, item.tags)
            for item in group.additions])
        for group in request.target.located], warnings)


def refused(params):
    with pytest.raises(NetguardAwsError) as raised:
        parse_restore_request(params)
    return raised.value.msg


def result(*groups, **top):
    return dict({"changed": True, "check_mode": False, "groups": list(groups)}, **top)


def group(group_id=GROUP, region="us-east-1", permissions=(HTTPS,), summaries=(HTTPS_SUMMARY,), **extra):
    return dict({"group_id": group_id, "region": region, "owner_id": "123456789012",
                 "revoked_ip_permissions": list(permissions), "revoked_rules": list(summaries)}, **extra)


HTTPS_SHOWN = ("tcp 443-443 cidr_ipv4 10.0.0.0/16", None, "web", None, None, {"owner": "team-a"})
DNS_SHOWN = ("udp 53-53 cidr_ipv6 2001:db8::/32", None, None, None, None, {})


def test_group_id_and_ip_permissions_restore_to_that_group_in_the_connections_region():
    request = parse_restore_request({"group_id": GROUP, "ip_permissions": [HTTPS, DNS, PEERED]})
    assert shown(request) == (False, [(GROUP, None, None, [
        ("tcp 443-443 cidr_ipv4 10.0.0.0/16", None, "web", None, None, {}),
        DNS_SHOWN,
        ("tcp 5432-5432 referenced_group_id %s" % PEER, "210987654321", "database", "vpc-0bbbbbbbbbbbbbbbb",
         PCX, {}),
    ])], [])


@pytest.mark.parametrize("permissions", [None, []])
def test_group_id_without_rules_is_refused(permissions):
    assert refused({"group_id": GROUP, "ip_permissions": permissions}) == (
        "ip_permissions is empty: list the rules to restore (the revoke module's revoked_ip_permissions)")


def test_a_group_id_that_is_not_one_is_refused():
    assert refused({"group_id": "web", "ip_permissions": [HTTPS]}) == (
        "group_id 'web' is not a security group ID: expected 'sg-' followed by 8 or 17 lower-case hex digits")


def test_a_single_group_result_restores_its_rules_with_their_tags_in_its_region():
    request = parse_restore_request({"revoked": group(region="eu-west-3", permissions=(HTTPS, DNS),
                                                      summaries=(HTTPS_SUMMARY, DNS_SUMMARY))})
    assert shown(request) == (False, [(GROUP, "eu-west-3", "123456789012", [HTTPS_SHOWN, DNS_SHOWN])], [])


def test_a_result_as_json_text_is_the_same_as_the_result():
    revoked = result(group())
    assert parse_restore_request({"revoked": json.dumps(revoked)}) == parse_restore_request({"revoked": revoked})


def test_a_bulk_result_restores_each_group_and_merges_a_group_revoked_from_twice():
    second = group(permissions=(DNS, HTTPS), summaries=(DNS_SUMMARY,))
    request = parse_restore_request({"revoked": result(
        group(), group(OTHER, region=None, permissions=(DNS,), summaries=()), second,
        group(region="eu-west-3", permissions=(DNS,), summaries=()))})
    assert shown(request) == (True, [
        (GROUP, "us-east-1", "123456789012", [HTTPS_SHOWN, DNS_SHOWN]),
        (OTHER, None, "123456789012", [DNS_SHOWN]),
        (GROUP, "eu-west-3", "123456789012", [DNS_SHOWN]),
    ], [])


def test_a_group_without_revoked_rules_restores_nothing_there():
    entry = {"group_id": GROUP, "region": "us-east-1", "failed": True, "msg": "throttled"}
    assert shown(parse_restore_request({"revoked": result(entry)})) == (True, [(GROUP, "us-east-1", None, [])], [])


def test_a_failed_single_group_result_restores_nothing_and_says_so():
    request = parse_restore_request({"revoked": {"failed": True, "msg": "UnauthorizedOperation"}})
    assert shown(request) == (False, [], ["revoked is a failed task that revoked nothing: nothing to restore"])


NOT_A_RESULT = ("is neither a registered result of netguard.aws.ec2_security_group_egress_revoke nor the "
                "egress-review.json report")


@pytest.mark.parametrize("revoked, message", [
    ("{not json", "revoked '{not json' " + NOT_A_RESULT),
    ("[1, 2]", "revoked [1, 2] " + NOT_A_RESULT),
    (["sgr-00000000000000001"], "revoked ['sgr-00000000000000001'] " + NOT_A_RESULT),
    ({"changed": False}, "revoked {'changed': False} " + NOT_A_RESULT),
    ({"failed": False, "msg": "ok"}, "revoked {'failed': False, 'msg': 'ok'} " + NOT_A_RESULT),
    ({"groups": {"group_id": GROUP}}, "revoked.groups {'group_id': 'sg-0123456789abcdef0'} is not a list of groups"),
    ({"groups": [GROUP]}, "revoked.groups[0] 'sg-0123456789abcdef0' is not a group of a bulk result"),
    ({"groups": [group(), {"group_id": "sg-1"}]},
     "revoked.groups[1].group_id 'sg-1' is not a security group ID: expected 'sg-' followed by 8 or 17 lower-case "
     "hex digits"),
    ({"groups": [group(region="mars-1")]},
     "revoked.groups[0].region 'mars-1' is not an AWS region name such as us-east-1 or eu-west-3"),
    (group(summaries=("sgr-00000000000000001",)),
     "revoked.revoked_rules[0] 'sgr-00000000000000001' is not a rule as the revoke module returns it (ip_protocol, "
     "from_port, to_port and a destination)"),
    (group(permissions=({"ip_protocol": "tcp", "from_port": 443, "to_port": 443, "ip_ranges": [{"cidr_ip": "x"}]},)),
     "revoked.revoked_ip_permissions[0].ip_ranges[0].cidr_ip 'x' is not a CIDR block: expected an address and a "
     "prefix length, such as 10.0.0.0/16 or 2001:db8::/32"),
    (group(permissions=([],)), None),
])
def test_what_is_not_a_revoke_result_is_refused_naming_where(revoked, message):
    text = refused({"revoked": revoked})
    if message is not None:
        assert text == message
    else:
        assert text.startswith("revoked.revoked_ip_permissions: ")


@pytest.mark.parametrize("revoked, where", [
    (group(check_mode=True), "revoked"),
    (result(group(), check_mode=True), "revoked"),
    (result(group(), group(OTHER, check_mode=True)), "revoked.groups[1]"),
])
def test_a_result_of_check_mode_is_refused(revoked, where):
    assert refused({"revoked": revoked}) == (
        "%s is the result of a run in check mode, which revoked nothing: there is nothing to restore (give the "
        "result of the real run)" % where)


def test_a_referenced_group_by_name_is_refused_in_favour_of_its_id():
    permission = {"ip_protocol": "tcp", "from_port": 443, "to_port": 443,
                  "user_id_group_pairs": [{"group_id": PEER}, {"group_name": "db"}]}
    assert refused({"revoked": group(permissions=(permission,), summaries=())}) == (
        "revoked.revoked_ip_permissions[0].user_id_group_pairs[1].group_name 'db' names a referenced group by "
        "name: give its group_id, as revoked_ip_permissions does")


def test_the_same_rule_twice_is_restored_once_with_the_first_description():
    again = dict(HTTPS, ip_ranges=[{"cidr_ip": "10.0.0.0/16", "description": "again"}])
    request, _warnings = parse_restore_request({"group_id": GROUP, "ip_permissions": [HTTPS, again]})
    assert [item.requested.description for item in request.target.located[0].additions] == ["web"]


def journal_lines(path, *records):
    with open(path, "w") as handle:
        for record in records:
            handle.write(json.dumps(record) + "\n")
    return str(path)


def run(run_id):
    return {"type": "run", "format": "netguard.aws/journal/1", "run": run_id, "check_mode": False}


def intent(run_id, entry, group_id=GROUP, check_mode=False, **extra):
    return dict({"type": "intent", "run": run_id, "entry": entry, "check_mode": check_mode,
                 "account": "123456789012", "region": "us-east-1", "group_id": group_id,
                 "rule_ids": ["sgr-00000000000000001", "sgr-00000000000000002"],
                 "ip_permissions": [dict(HTTPS, ip_ranges=[{"cidr_ip": "10.0.0.0/16", "description": "web"}]), DNS],
                 "rules": [HTTPS_SUMMARY, DNS_SUMMARY]}, **extra)


def outcome(run_id, entry, status, revoked):
    return {"type": "outcome", "run": run_id, "entry": entry, "status": status, "revoked_rule_ids": revoked}


@pytest.fixture
def journal(tmp_path):
    return journal_lines(
        tmp_path / "journal.jsonl",
        run("run-a"),
        intent("run-a", 1), outcome("run-a", 1, "revoked", ["sgr-00000000000000002"]),
        intent("run-a", 2, OTHER), outcome("run-a", 2, "failed", []),
        intent("run-a", 3, OTHER, check_mode=True),
        run("run-b"),
        intent("run-b", 1, OTHER, region="eu-west-3", account="210987654321"),
    )


def test_a_journal_path_restores_what_every_run_revoked_or_may_have_revoked(journal):
    request = parse_restore_request({"from_journal": journal})
    assert shown(request) == (True, [
        (GROUP, "us-east-1", "123456789012", [DNS_SHOWN]),
        (OTHER, "eu-west-3", "210987654321", [HTTPS_SHOWN, DNS_SHOWN]),
    ], [])


def test_a_results_journal_restores_that_run_only(journal):
    request = parse_restore_request({"from_journal": {"path": journal, "run": "run-a"}})
    assert shown(request) == (True, [(GROUP, "us-east-1", "123456789012", [DNS_SHOWN])], [])


def test_a_journal_path_with_a_tilde_is_the_home_directory(journal, monkeypatch):
    import os

    monkeypatch.setenv("HOME", os.path.dirname(journal))
    assert parse_restore_request({"from_journal": "~/journal.jsonl"}) == parse_restore_request({"from_journal": journal})


@pytest.mark.parametrize("value", ["", "  ", None, 42, {"path": "journal.jsonl"}, {"run": "run-a"},
                                   {"path": 1, "run": "run-a"}, {"path": "journal.jsonl", "run": 7}])
def test_a_journal_that_is_neither_a_path_nor_a_results_journal_is_refused(value):
    assert refused({"from_journal": value}) == (
        "from_journal %s is neither a path nor the journal of a revoke result ({path, run})"
        % ("'%s'" % value if isinstance(value, str) else repr(value)))


def test_a_run_that_is_not_in_the_journal_is_refused(journal):
    assert refused({"from_journal": {"path": journal, "run": "run-c"}}) == (
        "from_journal.run 'run-c' is not a run of the journal %s" % json.dumps(journal))


def test_a_run_named_only_by_an_intent_is_not_a_run_of_the_journal(tmp_path):
    path = journal_lines(tmp_path / "journal.jsonl", run("run-a"), intent("run-c", 1))
    assert refused({"from_journal": {"path": path, "run": "run-c"}}).startswith("from_journal.run 'run-c' is not a run")


@pytest.mark.parametrize("change, message", [
    ({"group_id": "sg-1"}, "journal entry 1 of run run-a: group_id 'sg-1' is not a security group ID: expected "
                           "'sg-' followed by 8 or 17 lower-case hex digits"),
    ({"region": "mars"}, "journal entry 1 of run run-a: region 'mars' is not an AWS region name such as us-east-1 "
                         "or eu-west-3"),
    ({"rules": [["tcp"]]},
     "journal entry 1 of run run-a.revoked_rules[0] ['tcp'] is not a rule as the revoke module "
     "returns it (ip_protocol, from_port, to_port and a destination)"),
])
def test_a_journal_entry_that_is_not_whole_is_refused_naming_the_entry(tmp_path, change, message):
    path = journal_lines(tmp_path / "journal.jsonl", run("run-a"), intent("run-a", 1, **change))
    assert refused({"from_journal": path}) == message


def test_an_entry_without_its_list_of_rules_restores_nothing_as_which_rules_went_is_unknown(tmp_path):
    path = journal_lines(tmp_path / "journal.jsonl", run("run-a"), intent("run-a", 1, rules="lost"))
    assert shown(parse_restore_request({"from_journal": path})) == (
        True, [(GROUP, "us-east-1", "123456789012", [])], [])


LOOSE = dict(HTTPS, ip_ranges=[{"cidr_ip": "10.0.5.5/16", "description": "web"}])


@pytest.mark.parametrize("params, message", [
    ({"group_id": GROUP, "ip_permissions": [LOOSE]},
     "ip_permissions[0].ip_ranges[0].cidr_ip '10.0.5.5/16' was canonicalised to '10.0.0.0/16', the form AWS stores"),
    ({"revoked": group(permissions=(LOOSE,))},
     "revoked.revoked_ip_permissions[0].ip_ranges[0].cidr_ip '10.0.5.5/16' was canonicalised to '10.0.0.0/16', the "
     "form AWS stores"),
    ({"revoked": result(group(permissions=(LOOSE,)))},
     "revoked.groups[0].revoked_ip_permissions[0].ip_ranges[0].cidr_ip '10.0.5.5/16' was canonicalised to "
     "'10.0.0.0/16', the form AWS stores"),
])
def test_a_cidr_written_loosely_is_restored_canonical_with_a_warning_naming_where(params, message):
    parsed = parse_restore_request(params)
    assert shown(parsed)[1][0][3] == [HTTPS_SHOWN if "revoked" in params else HTTPS_SHOWN[:5] + ({},)]
    assert parsed[1] == [message]


def test_a_loose_cidr_in_a_journal_is_named_by_its_entry(tmp_path):
    path = journal_lines(tmp_path / "journal.jsonl", run("run-a"), intent("run-a", 1, ip_permissions=[LOOSE]))
    assert parse_restore_request({"from_journal": path})[1] == [
        "journal entry 1 of run run-a: ip_permissions[0].ip_ranges[0].cidr_ip '10.0.5.5/16' was canonicalised to "
        "'10.0.0.0/16', the form AWS stores"]


@pytest.mark.parametrize("params, message", [
    ({"group_id": GROUP, "ip_permissions": [dict(HTTPS, ip_protocol="gre")]},
     "ip_permissions[0].ip_protocol 'gre' is not a protocol: use all or -1, tcp or 6, udp or 17, icmp or 1, icmpv6 "
     "or 58, or a protocol number 0-255"),
    ({"revoked": group(permissions=({"ip_protocol": "tcp", "from_port": 1},))},
     "revoked.revoked_ip_permissions: parameters are required together: from_port, to_port found in ip_permissions"),
])
def test_bad_rules_are_refused_naming_the_input_they_came_from(params, message):
    assert refused(params) == message


def test_ip_permissions_the_module_has_checked_are_not_checked_again_into_a_warning():
    written = {"group_id": GROUP, "ip_permissions": [{"IpProtocol": "tcp", "FromPort": 443, "ToPort": 443,
                                                      "IpRanges": [{"CidrIp": "10.0.0.0/16"}]}]}
    params = ArgumentSpecValidator(**RESTORE_KWARGS).validate(written).validated_parameters
    module_warnings._global_warnings.clear()
    request, _warnings = parse_restore_request(params)
    assert [item.requested.rule.destination for item in request.target.located[0].additions] == ["10.0.0.0/16"]
    assert list(module_warnings.get_warning_messages()) == []


def test_a_journal_that_cannot_be_read_is_refused_naming_from_journal(tmp_path):
    missing = str(tmp_path / "missing.jsonl")
    assert refused({"from_journal": missing}) == (
        "from_journal '%s' cannot be read: No such file or directory" % missing)
    other = tmp_path / "other.jsonl"
    other.write_text('{"type": "run", "format": "someone-else/1"}\n')
    assert refused({"from_journal": str(other)}) == (
        "from_journal '%s' is not a journal of netguard.aws (no line of format netguard.aws/journal/1)" % other)


def test_rules_a_replace_added_are_removed_by_id_and_a_restore_run_s_own_writes_are_not_undone(tmp_path):
    restore_run = dict(run("run-r"), module="netguard.aws.ec2_security_group_egress_restore")
    path = journal_lines(
        tmp_path / "journal.jsonl", run("run-a"), restore_run,
        intent("run-a", 1, action="authorize", rule_ids=[]),
        {"type": "outcome", "run": "run-a", "entry": 1, "status": "authorized",
         "authorized_rule_ids": ["sgr-00000000000000009"]},
        intent("run-a", 2, OTHER, action="authorize", rule_ids=[]),
        intent("run-a", 3, action="revoke"), outcome("run-a", 3, "revoked", ["sgr-00000000000000001"]),
        intent("run-r", 1, OTHER, action="authorize", rule_ids=[]),
        {"type": "outcome", "run": "run-r", "entry": 1, "status": "authorized",
         "authorized_rule_ids": ["sgr-00000000000000007"]},
        intent("run-r", 2, OTHER, action="revoke"), outcome("run-r", 2, "revoked", ["sgr-00000000000000002"]))
    request, warnings = parse_restore_request({"from_journal": path})
    assert shown((request, warnings))[1] == [(GROUP, "us-east-1", "123456789012", [HTTPS_SHOWN])]
    assert [(group.group_id, group.removals) for group in request.target.located] == [
        (GROUP, ("sgr-00000000000000009",))]
    # Entry 2 has no outcome: the run stopped while adding, so which rules came is not known.
    assert warnings == ["journal entry 2 of run run-a: the run stopped while adding sgr-00000000000000001  tcp 443  -> "
                        '10.0.0.0/16  "web", sgr-00000000000000002  udp 53  -> 2001:db8::/32 to %s, so whether they '
                        "were added and their IDs are not known: they are not removed; check the group" % OTHER]


def restore_params(**args):
    result = ArgumentSpecValidator(**RESTORE_KWARGS).validate(dict(args))
    assert not result.error_messages, result.error_messages
    return result.validated_parameters


def test_the_restore_request_writes_eight_groups_at_a_time_unpaced_and_unjournaled_by_default(clean_aws_environment):
    request, _warnings = parse_restore_request(restore_params(group_id=GROUP, ip_permissions=[HTTPS]))
    assert request._replace(connection=None, target=None) == Request(
        RESTORE_MODULE, None, None, Change(), Guards(), Execution(8, None, None))
    assert (request.connection.region, request.connection.validate_certs) == (None, True)
    # Nothing is taken away: the selector selects nothing.
    assert request.change.selector is None
    bare, _warnings = parse_restore_request({"group_id": GROUP, "ip_permissions": [HTTPS]})
    assert bare.execution == Execution(1, None, None)


def test_concurrency_revoke_rate_and_journal_reach_the_restore_request(clean_aws_environment):
    request, _warnings = parse_restore_request(restore_params(
        revoked=result(group()), concurrency=64, revoke_rate="0.5", journal="/var/log/restores.jsonl",
        region="eu-west-3"))
    assert request.execution == Execution(64, 0.5, "/var/log/restores.jsonl")
    assert request.connection.region == "eu-west-3"


@pytest.mark.parametrize("args, message", [
    (dict(concurrency=0), "concurrency 0 is out of range: give 1 to 64"),
    (dict(concurrency=65), "concurrency 65 is out of range: give 1 to 64"),
    (dict(revoke_rate="fast"), "revoke_rate 'fast' is not a positive number of write calls per second, such as 5 or 0.5"),
    (dict(revoke_rate=0), "revoke_rate 0 is not a positive number of write calls per second, such as 5 or 0.5"),
    (dict(journal=" "), "journal ' ' is not a file path"),
    (dict(endpoint_url="ec2"), "endpoint_url 'ec2' is not a valid URL"),
])
def test_bad_execution_options_are_refused_before_the_rules_are_read(clean_aws_environment, args, message):
    # from_journal names a file that does not exist: the options are checked first.
    assert refused(restore_params(from_journal="/nonexistent/journal.jsonl", **args)) == message


@pytest.mark.parametrize("args, message", [
    (dict(group_id=GROUP, revoked=result(group())), "parameters are mutually exclusive: group_id|revoked|from_journal"),
    (dict(revoked=result(group()), from_journal="/tmp/j"),
     "parameters are mutually exclusive: group_id|revoked|from_journal"),
    (dict(from_journal="/tmp/j", ip_permissions=[HTTPS]),
     "parameters are mutually exclusive: ip_permissions|from_journal"),
    (dict(), "one of the following is required: group_id, revoked, from_journal"),
    (dict(group_id=GROUP), "parameters are required together: group_id, ip_permissions"),
])
def test_the_restore_argument_spec_takes_one_input(args, message):
    validation = ArgumentSpecValidator(**RESTORE_KWARGS).validate(args)
    assert message in validation.error_messages[0]
