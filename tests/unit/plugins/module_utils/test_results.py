"""The task's result from what became of each group: one shape for every module. Pure: no endpoint."""

import pytest

from ansible_collections.netguard.aws.plugins.module_utils.errors import NetguardAwsError
from ansible_collections.netguard.aws.plugins.module_utils.events import parse_event
from ansible_collections.netguard.aws.plugins.module_utils.plan import plan_group
from ansible_collections.netguard.aws.plugins.module_utils.request import (
    INFO_MODULE,
    RESTORE_MODULE,
    REVOKE_MODULE,
    Change,
    Request,
    RequestedRule,
    Target,
)
from ansible_collections.netguard.aws.plugins.module_utils.restore_request import RestoreRule
from ansible_collections.netguard.aws.plugins.module_utils.results import task_result
from ansible_collections.netguard.aws.plugins.module_utils.rules import EgressRule
from ansible_collections.netguard.aws.plugins.module_utils.selector import (
    EVERY_RULE,
    Choice,
    Predicate,
    Selector,
    parse_keep,
)
from ansible_collections.netguard.aws.plugins.module_utils.targets import TargetGroup
from ansible_collections.netguard.aws.plugins.module_utils.writer import GroupOutcome

from .described import GROUP, OTHER_GROUP, api_rule, described

VPC = "vpc-0123456789abcdef0"
OWNER = "123456789012"
WEB = api_rule("sgr-0000000000000000a", "tcp", 443, 443, CidrIpv4="10.0.0.0/16", description="web")
ANYWHERE = api_rule("sgr-0000000000000000b", "-1", -1, -1, CidrIpv4="0.0.0.0/0")
OTHER_ANYWHERE = api_rule("sgr-0000000000000000c", "-1", -1, -1, group_id=OTHER_GROUP, CidrIpv4="0.0.0.0/0")
RULES = described(WEB, ANYWHERE, OTHER_ANYWHERE)
WEB_RULE, ANYWHERE_RULE, OTHER_ANYWHERE_RULE = RULES
ALL_TO_ANYWHERE = Selector((Choice((Predicate(protocols=frozenset(["-1"])),), None),))
DENIED = NetguardAwsError("access denied", error_code="UnauthorizedOperation")


def group(group_id=GROUP, name="app"):
    return {"GroupId": group_id, "GroupName": name, "VpcId": VPC, "OwnerId": OWNER}


def request(module=REVOKE_MODULE, bulk=False, selector=ALL_TO_ANYWHERE):
    return Request(module, None, Target(bulk=bulk), Change(selector, removes=module != INFO_MODULE), None, None)


def planned(group_id=GROUP, selector=ALL_TO_ANYWHERE, additions=(), removes=True, affected=None, region="eu-west-3"):
    plan = plan_group(TargetGroup(group(group_id), tuple(additions)), region, RULES,
                      Change(selector, removes=removes))
    return plan._replace(affected=affected)


def summary(rule_id, protocol, from_port, to_port, cidr, description=None):
    return {"security_group_rule_id": rule_id, "ip_protocol": protocol, "from_port": from_port, "to_port": to_port,
            "cidr_ipv4": cidr, "description": description, "tags": {}}


WEB_SUMMARY = summary("sgr-0000000000000000a", "tcp", 443, 443, "10.0.0.0/16", description="web")
ANYWHERE_SUMMARY = summary("sgr-0000000000000000b", "-1", -1, -1, "0.0.0.0/0")
OTHER_ANYWHERE_SUMMARY = summary("sgr-0000000000000000c", "-1", -1, -1, "0.0.0.0/0")
ANYWHERE_PERMISSION = {"IpProtocol": "-1", "FromPort": -1, "ToPort": -1, "IpRanges": [{"CidrIp": "0.0.0.0/0"}]}


def restore_rule(protocol, from_port, to_port, cidr, description=None):
    return RestoreRule(RequestedRule(EgressRule(protocol, from_port, to_port, "cidr_ipv4", cidr), None, description), {})


def test_one_group_revoked_is_that_group_s_entry_at_the_top_with_its_diff():
    outcome = GroupOutcome(planned(), revoked=[ANYWHERE_RULE], unknown=[{"IpProtocol": "udp"}], warnings=["late"])
    result = task_result(request(), [outcome], ["early"], False, True)
    assert result == {
        "changed": True, "group_id": GROUP, "region": "eu-west-3", "owner_id": OWNER,
        "revoked_rules": [ANYWHERE_SUMMARY], "revoked_ip_permissions": [ANYWHERE_PERMISSION], "unmatched": [],
        "unknown_ip_permissions": [{"IpProtocol": "udp"}], "egress_rules": [WEB_SUMMARY], "kept": [],
        "authorized_rules": [], "already_present": [],
        "warnings": ["early", "late"], "check_mode": False,
        "diff": {"before_header": "%s egress rules" % GROUP, "after_header": "%s egress rules" % GROUP,
                 "before": 'sgr-0000000000000000a  tcp 443  -> 10.0.0.0/16  "web"\n'
                           "sgr-0000000000000000b  all  -> 0.0.0.0/0\n",
                 "after": 'sgr-0000000000000000a  tcp 443  -> 10.0.0.0/16  "web"\n'}}


def test_one_group_unchanged_in_check_mode_without_diff():
    result = task_result(request(), [GroupOutcome(planned())], [], True, False)
    assert result["changed"] is False and result["check_mode"] is True
    assert "diff" not in result and result["egress_rules"] == [WEB_SUMMARY, ANYWHERE_SUMMARY]


def test_what_keep_saved_is_listed_and_noted_in_the_diff_and_the_impact_in_its_header():
    keep = parse_keep(["sgr-0000000000000000b"], [])
    every_rule = Selector((EVERY_RULE,), keep)
    affected = {"total": 2, "network_interfaces": []}
    outcome = GroupOutcome(planned(selector=every_rule, affected=affected), revoked=[WEB_RULE])
    result = task_result(request(selector=every_rule), [outcome], [], False, True)
    assert result["kept"] == [{"rule": ANYWHERE_SUMMARY, "kept_by": 0}]
    assert result["affected_interfaces"] == affected
    assert result["diff"]["before_header"] == "%s egress rules (2 network interfaces affected)" % GROUP
    assert result["diff"]["after"] == "sgr-0000000000000000b  all  -> 0.0.0.0/0  (kept by keep[0])\n"


def test_interfaces_are_reported_only_for_a_group_that_changes():
    outcome = GroupOutcome(planned(affected={"total": 0, "network_interfaces": []}))
    assert "affected_interfaces" not in task_result(request(), [outcome], [], False, False)


def test_no_group_at_all_changes_nothing():
    assert task_result(request(), [], ["a warning"], False, True) == {"changed": False, "warnings": ["a warning"]}


def test_one_group_that_failed_fails_the_task_with_the_error_s_details():
    with pytest.raises(NetguardAwsError) as raised:
        task_result(request(), [GroupOutcome(planned(), error=DENIED)], ["early"], False, True)
    assert raised.value.msg == "access denied"
    assert raised.value.details == {"error_code": "UnauthorizedOperation", "warnings": ["early"]}


def test_bulk_lists_each_group_with_totals_and_fails_naming_the_groups_that_failed():
    changed = GroupOutcome(planned(), revoked=[ANYWHERE_RULE])
    failed = GroupOutcome(planned(OTHER_GROUP), error=DENIED)
    gone = GroupOutcome(planned("sg-0bbbbbbbbbbbbbbbb"), error=NetguardAwsError("the group is gone"))
    with pytest.raises(NetguardAwsError) as raised:
        task_result(request(bulk=True), [changed, failed, gone], [], True, True)
    assert raised.value.msg == ("could not revoke from 2 of 3 security groups (the others were handled): "
                                "%s: access denied; sg-0bbbbbbbbbbbbbbbb: the group is gone" % OTHER_GROUP)
    result = raised.value.details
    assert result["changed"] is True and result["check_mode"] is True and result["warnings"] == []
    assert result["totals"] == {"groups": 3, "changed_groups": 1, "revoked_rules": 1, "authorized_rules": 0,
                                "failed_groups": 2}
    assert result["groups"][1] == {
        "group_id": OTHER_GROUP, "group_name": "app", "vpc_id": VPC, "region": "eu-west-3", "owner_id": OWNER,
        "changed": False, "failed": True, "msg": "access denied", "revoked_rules": [], "revoked_ip_permissions": [],
        "authorized_rules": [], "unmatched": [], "kept": []}
    assert result["groups"][0]["group_name"] == "app" and result["groups"][0]["vpc_id"] == VPC
    assert [entry["before_header"] for entry in result["diff"]] == ["%s egress rules" % GROUP]


def test_bulk_without_a_change_has_no_diff_entries_and_passes():
    result = task_result(request(bulk=True), [GroupOutcome(planned())], [], False, True)
    assert result["changed"] is False and result["diff"] == []
    assert result["totals"] == {"groups": 1, "changed_groups": 0, "revoked_rules": 0, "authorized_rules": 0, "failed_groups": 0}


def test_bulk_over_regions_reports_them_and_fails_with_both_messages():
    regions = {"regions": ["eu-west-3", "us-east-1"], "failed_regions": [{"region": "us-east-1"}],
               "skipped_regions": []}
    outcomes = [GroupOutcome(planned()), GroupOutcome(planned(OTHER_GROUP), error=DENIED)]
    with pytest.raises(NetguardAwsError) as raised:
        task_result(request(bulk=True), outcomes, [], False, False, (regions, "us-east-1: access denied"))
    assert raised.value.msg.endswith("%s: access denied; us-east-1: access denied" % OTHER_GROUP)
    assert dict((key, raised.value.details[key]) for key in regions) == regions
    passing = task_result(request(bulk=True), outcomes[:1], [], False, False, (regions, None))
    assert passing["failed_regions"] == [{"region": "us-east-1"}] and "diff" not in passing


def test_a_restore_lists_what_came_back_what_was_there_and_what_failed():
    there, raced, refused, denied = (restore_rule("-1", -1, -1, "0.0.0.0/0"), restore_rule("udp", 53, 53, "10.0.0.2/32"),
                                     restore_rule("tcp", 25, 25, "0.0.0.0/0"), restore_rule("tcp", 22, 22, "0.0.0.0/0"))
    plan = planned(OTHER_GROUP, selector=None, additions=[there, raced, refused, denied])
    added = described(api_rule("sgr-0000000000000000e", "udp", 123, 123, group_id=OTHER_GROUP, CidrIpv4="10.0.0.3/32"))
    outcome = GroupOutcome(plan, added=added, raced=[raced],
                           failed_rules=[(refused, "the quota is reached"), (denied, "access denied")])
    with pytest.raises(NetguardAwsError) as raised:
        task_result(request(RESTORE_MODULE), [outcome], [], False, True)
    assert raised.value.msg == ("could not restore 2 egress rules to %s (the others were restored): "
                                "(new)  tcp 25  -> 0.0.0.0/0: the quota is reached; (new)  tcp 22  -> 0.0.0.0/0: "
                                "access denied" % OTHER_GROUP)
    result = raised.value.details
    new = summary("sgr-0000000000000000e", "udp", 123, 123, "10.0.0.3/32")
    assert result["changed"] is True and "check_mode" not in result and "failed" not in result
    assert result["restored_rules"] == [new]
    # The allow-all rule was there; the DNS rule another change added meanwhile.
    assert [rule["ip_protocol"] for rule in result["already_present"]] == ["-1", "udp"]
    assert result["failed_rules"][0]["msg"] == "the quota is reached"
    assert result["failed_rules"][0]["rule"]["from_port"] == 25
    assert result["egress_rules"] == [OTHER_ANYWHERE_SUMMARY, new]
    assert result["diff"]["after"].endswith("sgr-0000000000000000e  udp 123  -> 10.0.0.3/32\n")


def test_one_group_that_could_not_be_restored_fails_with_its_entry_but_not_its_own_failure_keys():
    outcome = GroupOutcome(planned(selector=None), error=DENIED)
    with pytest.raises(NetguardAwsError) as raised:
        task_result(request(RESTORE_MODULE), [outcome], ["early"], False, False)
    assert raised.value.msg == "access denied"
    assert raised.value.details == {"changed": False, "group_id": GROUP, "region": "eu-west-3", "owner_id": OWNER,
                                    "restored_rules": [], "already_present": [], "failed_rules": [],
                                    "revoked_rules": [], "warnings": ["early"]}


def test_a_bulk_restore_totals_what_came_back_and_names_the_groups_it_could_not_finish():
    refused = restore_rule("tcp", 25, 25, "0.0.0.0/0")
    fine = GroupOutcome(planned(selector=None, additions=[restore_rule("-1", -1, -1, "0.0.0.0/0")]))
    partly = GroupOutcome(planned(OTHER_GROUP, selector=None, additions=[refused]), failed_rules=[(refused, "no")])
    failed = GroupOutcome(planned(OTHER_GROUP, selector=None), error=DENIED)
    with pytest.raises(NetguardAwsError) as raised:
        task_result(request(RESTORE_MODULE, bulk=True), [fine, partly, failed], [], False, False)
    assert raised.value.msg == (
        "could not restore everything in 2 of 3 security groups: could not restore 1 egress rule to %s (the others "
        "were restored): (new)  tcp 25  -> 0.0.0.0/0: no; access denied" % OTHER_GROUP)
    result = raised.value.details
    assert result["totals"] == {"groups": 3, "changed_groups": 0, "restored_rules": 0, "already_present": 1,
                                "failed_rules": 1, "revoked_rules": 0, "failed_groups": 1}
    assert "check_mode" not in result
    assert result["groups"][2] == {"group_id": OTHER_GROUP, "region": "eu-west-3", "owner_id": OWNER,
                                   "changed": False, "failed": True, "msg": "access denied", "restored_rules": [],
                                   "already_present": [], "failed_rules": [], "revoked_rules": []}


def test_a_listing_shows_the_taken_rules_of_each_group_and_leaves_out_groups_with_none():
    tcp = Selector((Choice((Predicate(protocols=frozenset(["tcp"])),), None),))
    outcomes = [GroupOutcome(planned(OTHER_GROUP, selector=tcp, removes=False)),
                GroupOutcome(planned(selector=tcp, removes=False))]
    result = task_result(request(INFO_MODULE, bulk=True, selector=tcp), outcomes, ["w"], False, False)
    assert result == {"changed": False, "warnings": ["w"], "security_groups": [{
        "group_id": GROUP, "group_name": "app", "vpc_id": VPC, "owner_id": OWNER,
        "egress_rules": [dict(WEB_SUMMARY, display='sgr-0000000000000000a  tcp 443  -> 10.0.0.0/16  "web"')]}]}


def test_a_listing_of_every_rule_keeps_empty_groups_and_names_regions():
    every_rule = Selector((EVERY_RULE,))
    outcomes = [GroupOutcome(planned(OTHER_GROUP, selector=every_rule, removes=False, region="us-east-1"))]
    regions = {"regions": ["us-east-1"], "failed_regions": [], "skipped_regions": []}
    result = task_result(request(INFO_MODULE, bulk=True, selector=every_rule), outcomes, [], False, False,
                         (regions, None))
    assert result["security_groups"][0]["region"] == "us-east-1"
    assert [rule["security_group_rule_id"] for rule in result["security_groups"][0]["egress_rules"]] == [
        "sgr-0000000000000000c"]
    assert result["skipped_regions"] == [] and result["regions"] == ["us-east-1"]
    with pytest.raises(NetguardAwsError) as raised:
        task_result(request(INFO_MODULE, bulk=True, selector=every_rule), outcomes, [], False, False,
                    (regions, "eu-west-1: access denied"))
    assert raised.value.msg == "eu-west-1: access denied" and raised.value.details["security_groups"]


def test_the_groups_left_out_are_listed_by_region_and_id_in_bulk_results_and_listings():
    excluded = [("us-east-1", group("sg-0bbbbbbbbbbbbbbbb", "bastion")), ("eu-west-3", group(OTHER_GROUP, "vpn")),
                ("us-east-1", group("sg-0aaaaaaaaaaaaaaaa", "jump"))]
    expected = [{"group_id": OTHER_GROUP, "group_name": "vpn", "region": "eu-west-3"},
                {"group_id": "sg-0aaaaaaaaaaaaaaaa", "group_name": "jump", "region": "us-east-1"},
                {"group_id": "sg-0bbbbbbbbbbbbbbbb", "group_name": "bastion", "region": "us-east-1"}]
    outcomes = [GroupOutcome(planned(), revoked=[ANYWHERE_RULE])]
    revoked = task_result(request(bulk=True), outcomes, [], False, False, None, excluded)
    assert revoked["excluded"] == expected and revoked["totals"]["groups"] == 1
    listing = task_result(request(INFO_MODULE, bulk=True, selector=Selector((EVERY_RULE,))),
                          [GroupOutcome(planned(removes=False))], [], False, False, None, excluded)
    assert listing["excluded"] == expected
    with pytest.raises(NetguardAwsError) as raised:
        task_result(request(bulk=True), [GroupOutcome(planned(), error=DENIED)], [], False, False, None, [])
    assert raised.value.details["excluded"] == []
    assert "excluded" not in task_result(request(bulk=True), outcomes, [], False, False)
    assert "excluded" not in task_result(request(INFO_MODULE, bulk=True), [], [], False, False)


def test_with_an_event_the_result_says_what_became_of_its_rules_in_check_mode_too():
    record = {"eventName": "AuthorizeSecurityGroupEgress", "eventSource": "ec2.amazonaws.com", "awsRegion": "eu-west-3",
              "eventID": "e-1", "recipientAccountId": OWNER, "requestParameters": {"groupId": GROUP},
              "responseElements": {"securityGroupRuleSet": {"items": [
                  {"securityGroupRuleId": ANYWHERE_RULE.rule_id, "isEgress": True}]}}}
    event = parse_event(record)
    with_event = request()._replace(event=event)
    plan = planned()
    expected = {"name": "AuthorizeSecurityGroupEgress", "id": "e-1", "account": OWNER, "region": "eu-west-3",
                "group_id": GROUP, "rule_ids": [ANYWHERE_RULE.rule_id]}
    revoked = task_result(with_event, [GroupOutcome(plan, revoked=[ANYWHERE_RULE])], [], True, False)
    assert (revoked["check_mode"], revoked["event"]) == (True, dict(expected, outcome="revoked"))
    kept = task_result(with_event, [GroupOutcome(plan)], [], False, False)
    assert (kept["check_mode"], kept["event"]) == (False, dict(expected, outcome="allowed_by_policy"))
    gone = task_result(with_event, [], [], False, False)
    assert gone == {"changed": False, "warnings": [], "check_mode": False, "event": dict(expected, outcome="nothing_left")}
    assert "event" not in task_result(request(), [GroupOutcome(plan)], [], False, False)


def test_a_failed_group_that_had_rules_added_keeps_them_in_the_failure():
    plan = planned(additions=[restore_rule("tcp", 443, 443, "10.9.0.0/16")])
    added = described(api_rule("sgr-0000000000000000f", "tcp", 443, 443, CidrIpv4="10.9.0.0/16"))
    with pytest.raises(NetguardAwsError) as error:
        task_result(request(), [GroupOutcome(plan, added=added, error=DENIED)], [], False, False)
    assert [rule["security_group_rule_id"] for rule in error.value.details["authorized_rules"]] == ["sgr-0000000000000000f"]
    assert error.value.details["error_code"] == "UnauthorizedOperation"
    with pytest.raises(NetguardAwsError) as error:
        task_result(request(), [GroupOutcome(plan, error=DENIED)], [], False, False)
    assert "authorized_rules" not in error.value.details
