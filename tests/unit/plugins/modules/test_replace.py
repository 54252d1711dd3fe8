"""``replace_with`` of ec2_security_group_egress_revoke against moto's in-process EC2: what each group ends with, the
calls made and their order, a refused add, check mode's dry runs, the undo, and input refused before any call."""

import pytest
from botocore.client import BaseClient
from botocore.exceptions import ClientError

from ansible_collections.netguard.aws.plugins.modules import ec2_security_group_egress_restore

from ....support.seed import egress_rules, seed_fleet

HTTPS_OUT = {"ip_protocol": "tcp", "from_port": 443, "to_port": 443,
             "ip_ranges": [{"cidr_ip": "10.20.0.0/16", "description": "api"}], "tags": {"owner": "net"}}
SYSLOG_OUT = {"IpProtocol": "udp", "FromPort": 514, "ToPort": 514, "IpRanges": [{"CidrIp": "10.0.9.0/24"}]}
ALL_TO_ANYWHERE = dict(protocol="all", cidr="0.0.0.0/0")
WRITES = ("AuthorizeSecurityGroupEgress", "RevokeSecurityGroupEgress")
QUOTA = "RulesPerSecurityGroupLimitExceeded"


def labels(ec2, group_id):
    """The group's egress rules as ``ID protocol ports destination description tags``."""
    return sorted("%s %s %s-%s %s %s %s" % (
        rule_id, rule["IpProtocol"], rule.get("FromPort"), rule.get("ToPort"), rule.get("CidrIpv4") or rule.get("CidrIpv6"),
        rule.get("Description"), sorted((tag["Key"], tag["Value"]) for tag in rule.get("Tags") or ()))
        for rule_id, rule in egress_rules(ec2, group_id).items())


def warnings(result):
    # From ansible-core 2.19, a module's warnings are events.
    return [warning if isinstance(warning, str) else warning["event"]["msg"] for warning in result.get("warnings", [])]


def writes(api_calls):
    return [(name, params["GroupId"], params.get("DryRun", False)) for name, params in api_calls if name in WRITES]


@pytest.fixture
def fleet(ec2):
    """Three groups of one VPC tagged env=prod, each with an allow-all rule and tcp 443 -> 10.0.0.0/8."""
    _vpc_id, group_ids = seed_fleet(ec2, 3, tags={"env": "prod"})
    return group_ids


def test_a_replace_adds_what_the_group_lacks_then_removes_and_a_second_run_writes_nothing(
        ec2, api_calls, run_module, fleet):
    group_id = fleet[0]
    before = egress_rules(ec2, group_id)
    allow_all = [rule_id for rule_id, rule in before.items() if rule["IpProtocol"] == "-1"]
    # The fleet's HTTPS rule, in CamelCase and another spelling of its CIDR: present, so not added again.
    present = {"IpProtocol": "6", "FromPort": 443, "ToPort": 443, "IpRanges": [{"CidrIp": "10.1.2.3/8"}]}
    result = run_module(group_id=group_id, replace_with=[HTTPS_OUT, SYSLOG_OUT, present], **ALL_TO_ANYWHERE)

    after = egress_rules(ec2, group_id)
    added = [rule["security_group_rule_id"] for rule in result["authorized_rules"]]
    assert result["changed"] is True
    assert set(after) == set(before) - set(allow_all) | set(added), "before - removed + added"
    assert [(rule["ip_protocol"], rule["cidr_ipv4"], rule["description"], rule["tags"])
            for rule in result["authorized_rules"]] == [("tcp", "10.20.0.0/16", "api", {"owner": "net"}),
                                                        ("udp", "10.0.9.0/24", None, {})]
    assert all(after[rule_id]["Tags"] == [{"Key": "owner", "Value": "net"}] for rule_id in added[:1])
    assert [rule["cidr_ipv4"] for rule in result["already_present"]] == ["10.0.0.0/8"]
    assert [rule["security_group_rule_id"] for rule in result["revoked_rules"]] == allow_all
    # One add per set of tags, then the revoke: never the revoke first.
    assert writes(api_calls) == [("AuthorizeSecurityGroupEgress", group_id, False)] * 2 + [
        ("RevokeSecurityGroupEgress", group_id, False)]

    del api_calls[:]
    again = run_module(group_id=group_id, replace_with=[HTTPS_OUT, SYSLOG_OUT, present], **ALL_TO_ANYWHERE)
    assert (again["changed"], again["authorized_rules"], writes(api_calls)) == (False, [], [])
    assert egress_rules(ec2, group_id) == after


def test_a_group_that_loses_nothing_gets_nothing_and_a_rule_both_selected_and_named_stays(
        ec2, api_calls, run_module, fleet):
    quiet = fleet[0]
    ec2.revoke_security_group_egress(GroupId=quiet, IpPermissions=[
        {"IpProtocol": "-1", "IpRanges": [{"CidrIp": "0.0.0.0/0"}]}])
    result = run_module(group_id=quiet, replace_with=[HTTPS_OUT], **ALL_TO_ANYWHERE)
    assert (result["changed"], result["authorized_rules"], writes(api_calls)) == (False, [], [])

    busy = fleet[1]
    before = labels(ec2, busy)
    result = run_module(group_id=busy, revoke_all=True, replace_with=[
        {"ip_protocol": "-1", "ip_ranges": [{"cidr_ip": "0.0.0.0/0"}]}])
    assert result["changed"] is True and result["authorized_rules"] == []
    assert [label.split(" ")[1] for label in labels(ec2, busy)] == ["-1"], "tcp 443 went, allow-all stayed"
    assert len(before) == 2
    assert any("is selected and also in replace_with: left in %s" % busy in warning for warning in warnings(result))


def quota_for(monkeypatch, group_id, code=QUOTA):
    """AWS refuses every add to ``group_id`` with ``code``."""
    original = BaseClient._make_api_call

    def refusing(client, operation_name, api_params):
        if operation_name == "AuthorizeSecurityGroupEgress" and api_params.get("GroupId") == group_id:
            raise ClientError({"Error": {"Code": code, "Message": "The maximum number of rules per security group "
                                         "has been reached."}}, operation_name)
        return original(client, operation_name, api_params)

    monkeypatch.setattr(BaseClient, "_make_api_call", refusing)


def test_a_group_that_cannot_take_the_new_rules_keeps_every_rule_and_the_others_are_replaced(
        ec2, run_module, fleet, monkeypatch):
    full = fleet[1]
    before = dict((group_id, labels(ec2, group_id)) for group_id in fleet)
    quota_for(monkeypatch, full)
    result = run_module(filters={"tag:env": "prod"}, replace_with=[HTTPS_OUT], **ALL_TO_ANYWHERE)

    assert result["failed"] is True
    assert labels(ec2, full) == before[full], "nothing was removed from the group that could not take the new rules"
    entry = next(group for group in result["groups"] if group["group_id"] == full)
    assert entry["msg"].startswith("could not add 1 egress rule to %s, so nothing was removed from it: "
                                   "ec2:AuthorizeSecurityGroupEgress on %s failed: %s" % (full, full, QUOTA))
    assert "Inbound or outbound rules per security group" in entry["msg"] and full in result["msg"]
    for group_id in (fleet[0], fleet[2]):
        assert sorted(label.split(" ", 1)[1] for label in labels(ec2, group_id)) == [
            "tcp 443-443 10.0.0.0/8 None []", "tcp 443-443 10.20.0.0/16 api [('owner', 'net')]"]
    assert (result["totals"]["authorized_rules"], result["totals"]["revoked_rules"]) == (2, 2)


def test_check_mode_sends_both_dry_runs_and_shows_plus_and_minus(ec2, api_calls, run_module, fleet):
    group_id = fleet[0]
    before = labels(ec2, group_id)
    result = run_module(check_mode=True, diff=True, group_id=group_id, replace_with=[HTTPS_OUT], **ALL_TO_ANYWHERE)
    assert labels(ec2, group_id) == before
    assert writes(api_calls) == [("AuthorizeSecurityGroupEgress", group_id, True),
                                 ("RevokeSecurityGroupEgress", group_id, True)]
    assert [rule["security_group_rule_id"] for rule in result["authorized_rules"]] == [None]
    diff = result["diff"]
    assert "0.0.0.0/0" in diff["before"] and "0.0.0.0/0" not in diff["after"]
    assert '10.20.0.0/16  "api"' in diff["after"] and "10.20.0.0/16" not in diff["before"]


@pytest.mark.parametrize("denied", WRITES)
def test_an_access_denial_of_either_dry_run_names_its_iam_action(ec2, api_calls, run_module, fleet, monkeypatch, denied):
    group_id = fleet[0]
    original = BaseClient._make_api_call

    def denying(client, operation_name, api_params):
        if operation_name == denied:
            raise ClientError({"Error": {"Code": "UnauthorizedOperation", "Message": "no"}}, operation_name)
        return original(client, operation_name, api_params)

    monkeypatch.setattr(BaseClient, "_make_api_call", denying)
    result = run_module(check_mode=True, group_id=group_id, replace_with=[HTTPS_OUT], **ALL_TO_ANYWHERE)
    assert result["failed"] is True
    assert "check mode: ec2:%s on %s is denied" % (denied, group_id) in result["msg"]
    other = [name for name in WRITES if name != denied][0]
    assert "ec2:%s on" % other not in result["msg"]
    if denied == "AuthorizeSecurityGroupEgress":
        assert "and ec2:CreateTags (the rules are tagged)" in result["msg"]


def test_the_undo_from_the_result_removes_what_was_added_by_id_and_puts_back_what_went(
        ec2, api_calls, run_module, fleet):
    group_id = fleet[0]
    before = labels(ec2, group_id)
    result = run_module(group_id=group_id, replace_with=[HTTPS_OUT, SYSLOG_OUT], **ALL_TO_ANYWHERE)
    del api_calls[:]
    undone = run_module(module=ec2_security_group_egress_restore, revoked=result)
    assert undone["changed"] is True
    assert sorted(rule["security_group_rule_id"] for rule in undone["revoked_rules"]) == sorted(
        rule["security_group_rule_id"] for rule in result["authorized_rules"])
    # Put back first, then remove: the group never holds less than when the undo began.
    assert [name for name, _group, _dry in writes(api_calls)] == list(WRITES)
    untouched = [label for label in before if " tcp " in label]
    restored = labels(ec2, group_id)
    assert sorted(label.split(" ", 1)[1] for label in restored) == sorted(label.split(" ", 1)[1] for label in before)
    assert all(label in restored for label in untouched), "the untouched rule keeps its ID"

    del api_calls[:]
    again = run_module(module=ec2_security_group_egress_restore, revoked=result)
    assert (again["changed"], writes(api_calls)) == (False, [])


def test_a_group_without_room_for_its_new_rules_fails_before_any_write(ec2, api_calls, run_module, fleet):
    group_id = fleet[0]
    result = run_module(group_id=group_id, replace_with=[HTTPS_OUT, SYSLOG_OUT], max_rules_per_group=3,
                        **ALL_TO_ANYWHERE)
    assert result["failed"] is True and writes(api_calls) == []
    assert result["msg"] == ("replace_with needs 2 new IPv4 egress rules in %s, which has 2 of at most 3 "
                             "(max_rules_per_group): the new rules are added before any is removed, so it needs room "
                             "for 4; nothing was changed in %s" % (group_id, group_id))


@pytest.mark.parametrize("args, message", [
    (dict(replace_with="everything"), "replace_with 'everything' is neither observed nor a list of rules"),
    (dict(replace_with=[]), "replace_with is empty: list the rules to add, or give observed"),
    (dict(replace_with="observed"), "replace_with: observed needs traffic"),
    (dict(replace_with=[SYSLOG_OUT], observed_prefix={"ipv4": 16}), "observed_prefix applies to replace_with: observed"),
    (dict(replace_with="observed", observed_prefix={"ipv4": 33}, traffic={"days": 30}),
     "observed_prefix.ipv4 33 is not a prefix length: give 1 to 32"),
    (dict(replace_with=[SYSLOG_OUT], max_rules_per_group=0), "max_rules_per_group 0 is out of range"),
    (dict(replace_with=[{"ip_protocol": "tcp", "from_port": 5432, "to_port": 5432,
                         "user_id_group_pairs": [{"group_name": "db"}]}]),
     "replace_with[0].user_id_group_pairs[0].group_name 'db' names a referenced group by name"),
    (dict(replace_with=[dict(SYSLOG_OUT, tags={"aws:x": "1"})]), "replace_with[0].tags"),
    (dict(replace_with=[{"ip_protocol": "tcp", "from_port": 443, "to_port": 80, "ip_ranges": [{"cidr_ip": "::/0"}]}]),
     "replace_with[0].from_port/to_port '443-80' is reversed"),
    (dict(max_rules_per_group=60), "missing parameter(s) required by 'max_rules_per_group': replace_with"),
])
def test_bad_replace_input_is_refused_naming_the_option_before_any_call(
        ec2, api_calls, run_module, fleet, args, message):
    result = run_module(group_id=fleet[0], **dict(ALL_TO_ANYWHERE, **args))
    assert result["failed"] is True and message in result["msg"], result["msg"]
    assert api_calls == []


def test_max_revoked_rules_counts_removals_only(ec2, api_calls, run_module, fleet):
    result = run_module(filters={"tag:env": "prod"}, replace_with=[HTTPS_OUT, SYSLOG_OUT], max_revoked_rules=3,
                        **ALL_TO_ANYWHERE)
    assert result["changed"] is True and "failed" not in result
    assert (result["totals"]["revoked_rules"], result["totals"]["authorized_rules"]) == (3, 6)
