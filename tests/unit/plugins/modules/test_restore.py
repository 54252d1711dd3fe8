"""The restore module end to end against moto's in-process EC2: round trips, check mode, refusals, API calls."""

import json

import pytest

from ansible_collections.netguard.aws.plugins.modules import ec2_security_group_egress_restore as restore_module

from .test_ec2_security_group_egress_revoke import rules_of, warnings

AUTHORIZE = "AuthorizeSecurityGroupEgress"
DESCRIBE = "DescribeSecurityGroupRules"


def identities(ec2, group_id):
    """What each egress rule is and says, apart from its ID: protocol, ports, destination, description, tags."""
    found = []
    for rule in rules_of(ec2, group_id).values():
        destination = rule.get("CidrIpv4") or rule.get("CidrIpv6") or rule.get("PrefixListId") \
            or rule["ReferencedGroupInfo"]["GroupId"]
        found.append((rule["IpProtocol"], rule.get("FromPort"), rule.get("ToPort"), destination,
                      rule.get("Description"), tuple(sorted((tag["Key"], tag["Value"]) for tag in rule.get("Tags") or ()))))
    return sorted(found, key=repr)


def restore(run_module, **args):
    return run_module(module=restore_module, **args)


def test_revoke_all_then_restore_from_the_result_gives_back_every_rule(ec2, groups, run_module, api_calls):
    web = groups["web"]
    ec2.create_tags(Resources=[next(iter(rules_of(ec2, web)))], Tags=[{"Key": "owner", "Value": "team-a"}])
    before = identities(ec2, web)
    ingress = rules_of(ec2, web, egress=False)

    revoked = run_module(group_id=web, revoke_all=True)
    assert revoked["changed"] and revoked["check_mode"] is False and rules_of(ec2, web) == {}
    del api_calls[:]

    result = restore(run_module, revoked=revoked, diff=True)

    assert result["changed"] is True
    assert identities(ec2, web) == before
    assert rules_of(ec2, web, egress=False) == ingress, "ingress is never touched"
    assert sorted(rule["security_group_rule_id"] for rule in result["restored_rules"]) == sorted(rules_of(ec2, web))
    assert result["already_present"] == [] and result["failed_rules"] == []
    assert result["region"] == "us-east-1"
    # moto's authorize response lists only the first new rule, so their IDs take one more describe; AWS lists them all.
    assert [name for name, _params in api_calls] == [DESCRIBE, AUTHORIZE, AUTHORIZE, DESCRIBE], "one add per tag set"
    assert "(new)" not in result["diff"]["after"] and result["diff"]["before"] == ""

    del api_calls[:]
    again = restore(run_module, revoked=revoked)
    assert again["changed"] is False
    assert len(again["already_present"]) == len(before)
    assert [name for name, _params in api_calls] == [DESCRIBE], "a second run only describes"


def test_check_mode_adds_nothing_and_lists_what_would_come_back(ec2, groups, run_module, api_calls):
    web = groups["web"]
    revoked = run_module(group_id=web, protocol="tcp", port=443, cidr=["10.1.0.0/16", "2001:db8::/32"])
    after_revoke = rules_of(ec2, web)
    del api_calls[:]

    result = restore(run_module, revoked=revoked, check_mode=True, diff=True)

    assert result["changed"] is True
    assert rules_of(ec2, web) == after_revoke
    assert [rule["security_group_rule_id"] for rule in result["restored_rules"]] == [None, None]
    assert [(name, params["DryRun"]) for name, params in api_calls if name == AUTHORIZE] == [(AUTHORIZE, True)]
    assert result["diff"]["after"].count("(new)  tcp 443") == 2


def test_a_check_mode_result_is_refused_before_any_call(ec2, groups, run_module, api_calls):
    revoked = run_module(group_id=groups["web"], revoke_all=True, check_mode=True)
    del api_calls[:]
    result = restore(run_module, revoked=revoked)
    assert result["failed"] and "check mode" in result["msg"] and "revoked" in result["msg"]
    assert api_calls == []


def test_a_rule_present_with_another_description_counts_as_present_with_a_warning(ec2, groups, run_module):
    web = groups["web"]
    result = restore(run_module, group_id=web, ip_permissions=[
        {"IpProtocol": "tcp", "FromPort": 443, "ToPort": 443,
         "IpRanges": [{"CidrIp": "10.1.0.0/16", "Description": "other words"}]}])
    assert result["changed"] is False
    assert [rule["description"] for rule in result["already_present"]] == ["web"]
    assert any('"web"' in text and '"other words"' in text for text in warnings(result))


def test_a_refused_rule_is_reported_and_the_others_are_restored(ec2, groups, run_module):
    web = groups["web"]
    before = rules_of(ec2, web)
    result = restore(run_module, group_id=web, ip_permissions=[
        {"ip_protocol": "tcp", "from_port": 8080, "to_port": 8080, "ip_ranges": [{"cidr_ip": "10.9.0.0/16"}],
         "user_id_group_pairs": [{"group_id": "sg-0123456789abcdef0"}]}])
    assert result["failed"] is True
    assert "sg-0123456789abcdef0" in result["msg"] and "InvalidGroup.NotFound" in result["msg"]
    assert [failure["rule"]["referenced_group_id"] for failure in result["failed_rules"]] == ["sg-0123456789abcdef0"]
    assert [rule["cidr_ipv4"] for rule in result["restored_rules"]] == ["10.9.0.0/16"]
    assert len(rules_of(ec2, web)) == len(before) + 1


def test_bulk_result_and_the_report_json_restore_every_group(ec2, vpc, run_module, api_calls):
    group_ids = [ec2.create_security_group(GroupName="fleet-%d" % index, Description="fleet", VpcId=vpc,
                                           TagSpecifications=[{"ResourceType": "security-group",
                                                               "Tags": [{"Key": "fleet", "Value": "blue"}]}])["GroupId"]
                 for index in range(3)]
    before = dict((group_id, identities(ec2, group_id)) for group_id in group_ids)
    revoked = run_module(filters={"tag:fleet": "blue"}, protocol="all", cidr="0.0.0.0/0")
    assert all(rules_of(ec2, group_id) == {} for group_id in group_ids)
    del api_calls[:]

    result = restore(run_module, revoked=json.dumps(revoked))

    assert result["totals"] == {"groups": 3, "changed_groups": 3, "restored_rules": 3, "already_present": 0,
                                "failed_rules": 0, "revoked_rules": 0, "failed_groups": 0}
    assert dict((group_id, identities(ec2, group_id)) for group_id in group_ids) == before
    assert [name for name, _params in api_calls].count(DESCRIBE) == 1, "one describe for up to 200 groups"


@pytest.mark.parametrize("args, named", [
    ({"revoked": "not json"}, "revoked 'not json'"),
    ({"revoked": {"groups": [{"group_id": "sg-1"}]}}, "revoked.groups[0].group_id 'sg-1'"),
    ({"revoked": {"group_id": "sg-0123456789abcdef0", "revoked_ip_permissions": [{"IpProtocol": "tcp"}]}},
     "revoked.revoked_ip_permissions[0]"),
    ({"from_journal": "/nonexistent-netguard/j.jsonl"}, "from_journal '/nonexistent-netguard/j.jsonl' cannot be read"),
    ({"group_id": "sg-0123456789abcdef0",
      "ip_permissions": [{"IpProtocol": "tcp", "FromPort": 1, "ToPort": 2, "UserIdGroupPairs": [{"GroupName": "db"}]}]},
     "ip_permissions[0].user_id_group_pairs[0].group_name 'db'"),
])
def test_bad_input_fails_before_any_call(ec2, run_module, api_calls, args, named):
    result = restore(run_module, **args)
    assert result["failed"] and named in result["msg"], result["msg"]
    assert api_calls == []


def test_a_journal_restores_its_run_and_a_killed_runs_open_intents(ec2, vpc, run_module, api_calls, tmp_path):
    for index in range(3):
        ec2.create_security_group(GroupName="j-%d" % index, Description="j", VpcId=vpc)
    # With the VPC's default group: 4 groups.
    group_ids = [group["GroupId"] for group in ec2.describe_security_groups(
        Filters=[{"Name": "vpc-id", "Values": [vpc]}])["SecurityGroups"]]
    before = dict((group_id, identities(ec2, group_id)) for group_id in group_ids)
    journal = str(tmp_path / "journal.jsonl")
    run_module(filters={"vpc-id": vpc}, protocol="all", cidr="0.0.0.0/0", journal=journal, check_mode=True)
    revoked = run_module(filters={"vpc-id": vpc}, protocol="all", cidr="0.0.0.0/0", journal=journal)
    assert all(rules_of(ec2, group_id) == {} for group_id in group_ids)
    # As if the run had been killed after AWS answered, before the outcome lines were written.
    with open(journal) as handle:
        lines = [line for line in handle if '"type": "outcome"' not in line]
    killed = str(tmp_path / "killed.jsonl")
    with open(killed, "w") as handle:
        handle.writelines(lines + ['{"type": "intent", "run": "torn'])
    del api_calls[:]

    result = restore(run_module, from_journal=killed)

    assert result["totals"]["restored_rules"] == 4 and result["totals"]["groups"] == 4
    assert dict((group_id, identities(ec2, group_id)) for group_id in group_ids) == before
    assert [name for name, _params in api_calls].count("AuthorizeSecurityGroupEgress") == 4, "check-mode intents skipped"
    again = restore(run_module, from_journal=revoked["journal"])
    assert again["changed"] is False and again["totals"]["already_present"] == 4


def test_a_journal_run_that_is_not_in_the_file_is_refused(ec2, vpc, run_module, api_calls, tmp_path):
    journal = str(tmp_path / "journal.jsonl")
    run_module(filters={"vpc-id": vpc}, protocol="all", cidr="0.0.0.0/0", journal=journal, check_mode=True)
    del api_calls[:]
    result = restore(run_module, from_journal={"path": journal, "run": "0" * 32})
    assert result["failed"] and "from_journal.run '%s' is not a run of the journal" % ("0" * 32) in result["msg"]
    assert api_calls == []
