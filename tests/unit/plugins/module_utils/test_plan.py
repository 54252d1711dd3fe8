"""What a task plans for one group from what was read, and the guards over every plan. Pure: no endpoint."""

import ipaddress

import pytest

from ansible_collections.netguard.aws.plugins.module_utils.errors import NetguardAwsError
from ansible_collections.netguard.aws.plugins.module_utils.guards import check_guards
from ansible_collections.netguard.aws.plugins.module_utils.plan import plan_again, plan_group, with_additions
from ansible_collections.netguard.aws.plugins.module_utils.reading import Destinations
from ansible_collections.netguard.aws.plugins.module_utils.request import Change, Guards, RequestedRule
from ansible_collections.netguard.aws.plugins.module_utils.restore_request import RestoreRule
from ansible_collections.netguard.aws.plugins.module_utils.rules import EgressRule
from ansible_collections.netguard.aws.plugins.module_utils.selector import (
    EVERY_RULE,
    Choice,
    Predicate,
    PrefixList,
    Selector,
    parse_keep,
    parse_predicates,
    rule_id_choice,
)
from ansible_collections.netguard.aws.plugins.module_utils.targets import TargetGroup

from .described import GROUP, OTHER_GROUP, api_rule, described

VPC = "vpc-0123456789abcdef0"
DATABASE = "sg-0dbdbdbdbdbdbdbdb"
RULES = described(
    api_rule("sgr-0000000000000000a", "tcp", 443, 443, CidrIpv4="10.0.0.0/16", description="web"),
    api_rule("sgr-0000000000000000b", "-1", -1, -1, CidrIpv4="0.0.0.0/0"),
    api_rule("sgr-0000000000000000c", "tcp", 5432, 5432, ReferencedGroupInfo={"GroupId": DATABASE}),
    api_rule("sgr-0000000000000000d", "tcp", 22, 22, egress=False, CidrIpv4="10.0.0.0/8"),
)
GROUP_ENTRY = {"GroupId": GROUP, "GroupName": "app", "VpcId": VPC, "OwnerId": "123456789012"}


def ids(rules):
    return [rule.rule_id for rule in rules]


def restore_rule(protocol, from_port, to_port, destination_type, destination, description=None, tags=None):
    return RestoreRule(RequestedRule(EgressRule(protocol, from_port, to_port, destination_type, destination), None,
                                     description), tags or {})


def test_a_revoke_removes_what_the_selector_takes_and_keeps_what_keep_saves():
    keep = parse_keep(["sgr-0000000000000000b"], [])
    change = Change(Selector((rule_id_choice("sgr-0000000000000000d"), EVERY_RULE), keep))
    plan = plan_group(TargetGroup(GROUP_ENTRY), "eu-west-3", RULES, change)
    assert ids(plan.remove) == ids(plan.taken) == ["sgr-0000000000000000a", "sgr-0000000000000000c"]
    assert [(rule.rule_id, item.index) for rule, item in plan.kept] == [("sgr-0000000000000000b", 0)]
    assert plan.unmatched == [{"security_group_rule_id": "sgr-0000000000000000d"}]
    assert plan.warnings == ["sgr-0000000000000000d is an ingress rule of %s and was left alone: this module "
                             "revokes egress rules only" % GROUP]
    assert ids(plan.before) == ["sgr-0000000000000000a", "sgr-0000000000000000b", "sgr-0000000000000000c"]
    assert (plan.region, plan.add, plan.changes) == ("eu-west-3", [], True)


def test_a_listing_takes_rules_and_removes_none():
    change = Change(Selector((Choice((Predicate(protocols=frozenset(["tcp"])),), None),)), removes=False)
    plan = plan_group(TargetGroup(GROUP_ENTRY), "us-east-1", RULES, change)
    assert ids(plan.taken) == ["sgr-0000000000000000a", "sgr-0000000000000000c"]
    assert (plan.remove, plan.changes) == ([], False)


def test_a_destination_name_is_resolved_in_the_groups_own_vpc():
    change = Change(Selector((Choice((Predicate(destinations=(frozenset([("referenced_group_name", "db")]),)),),
                                     None),)))
    ids_by_name = {(VPC, "db"): DATABASE, ("vpc-0fffffffffffffff0", "db"): OTHER_GROUP}
    plan = plan_group(TargetGroup(GROUP_ENTRY), "us-east-1", RULES, change, ids_by_name)
    assert ids(plan.remove) == ["sgr-0000000000000000c"]
    elsewhere = plan_group(TargetGroup(dict(GROUP_ENTRY, VpcId="vpc-0fffffffffffffff0")), "us-east-1", RULES, change,
                           ids_by_name)
    assert elsewhere.remove == [] and not elsewhere.changes


def test_stale_references_come_from_what_describe_stale_security_groups_said():
    change = Change(Selector((Choice((Predicate(stale=True),), None),)))
    stale_groups = [{"GroupId": GROUP, "StaleIpPermissionsEgress": [
        {"IpProtocol": "tcp", "FromPort": 5432, "ToPort": 5432, "UserIdGroupPairs": [{"GroupId": DATABASE}]}]}]
    assert ids(plan_group(TargetGroup(GROUP_ENTRY), "us-east-1", RULES, change, {}, stale_groups).remove) == [
        "sgr-0000000000000000c"]
    assert plan_group(TargetGroup(GROUP_ENTRY), "us-east-1", RULES, change).remove == []


def test_a_restore_adds_what_the_group_lacks_and_says_when_a_present_rule_has_another_description():
    additions = (restore_rule("tcp", 443, 443, "cidr_ipv4", "10.0.0.0/16", "the web"),
                 restore_rule("tcp", 443, 443, "cidr_ipv4", "10.9.0.0/16", tags={"owner": "team-a"}),
                 restore_rule("-1", -1, -1, "cidr_ipv4", "0.0.0.0/0"))
    plan = plan_group(TargetGroup(GROUP_ENTRY, additions), "us-east-1", RULES, Change())
    assert plan.add == [additions[1]]
    assert ids(plan.present) == ["sgr-0000000000000000a", "sgr-0000000000000000b"]
    assert (plan.taken, plan.remove, plan.changes) == ([], [], True)
    assert plan.warnings == [
        '%s already has tcp 443 -> 10.0.0.0/16 (sgr-0000000000000000a), with description "web" where the input has '
        '"the web": left as it is' % GROUP]


def test_a_present_rule_without_description_where_the_input_has_none_needs_no_warning():
    plan = plan_group(TargetGroup(GROUP_ENTRY, (restore_rule("-1", -1, -1, "cidr_ipv4", "0.0.0.0/0"),)), "us-east-1",
                      RULES, Change())
    assert (plan.add, plan.warnings, plan.changes) == ([], [], False)
    text = plan_group(TargetGroup(GROUP_ENTRY, (restore_rule("-1", -1, -1, "cidr_ipv4", "0.0.0.0/0", "any"),)),
                      "us-east-1", RULES, Change()).warnings
    assert text == ['%s already has all -> 0.0.0.0/0 (sgr-0000000000000000b), with description none where the input '
                    'has "any": left as it is' % GROUP]


def test_planning_again_keeps_the_change_and_sees_only_what_is_left():
    change = Change(Selector((rule_id_choice("sgr-0000000000000000a"), rule_id_choice("sgr-0000000000000000b"))))
    plan = plan_group(TargetGroup(GROUP_ENTRY), "us-east-1", RULES, change)
    again = plan_again(plan, RULES[1:])
    assert ids(again.remove) == ["sgr-0000000000000000b"]
    assert again.unmatched == [{"security_group_rule_id": "sgr-0000000000000000a"}]
    assert (again.group, again.region, again.change) == (plan.group, plan.region, plan.change)


def plans(*rule_counts):
    """One plan per group, each removing that many rules."""
    change = Change(Selector((EVERY_RULE,)))
    return [plan_group(TargetGroup(dict(GROUP_ENTRY, GroupId="sg-%017d" % index)), "us-east-1",
                       described(*(
                           api_rule("sgr-%017d" % rule, group_id="sg-%017d" % index, CidrIpv4="10.%d.0.0/16" % rule)
                           for rule in range(count))), change)
            for index, count in enumerate(rule_counts)]


@pytest.mark.parametrize("limit, counts", [(3, (2, 1)), (3, (3,)), (0, (0, 0)), (None, (50, 50))])
def test_max_revoked_rules_allows_up_to_its_number_over_every_group(limit, counts):
    check_guards(plans(*counts), Guards(max_revoked_rules=limit))


@pytest.mark.parametrize("limit, counts, message", [
    (2, (2, 1), "3 egress rules in 2 security groups would be revoked, more than max_revoked_rules=2; nothing was "
                "revoked"),
    (0, (1, 0), "1 egress rule in 1 security group would be revoked, more than max_revoked_rules=0; nothing was "
                "revoked"),
])
def test_max_revoked_rules_refuses_more_counting_the_groups_that_change(limit, counts, message):
    with pytest.raises(NetguardAwsError) as raised:
        check_guards(plans(*counts), Guards(max_revoked_rules=limit))
    assert raised.value.msg == message
    assert raised.value.details == {"would_revoke": sum(counts)}


def test_require_unused_refuses_the_groups_that_interfaces_use():
    used, unused = plans(1, 1)
    affected = {"total": 1, "by_type": {}, "examples": [{"network_interface_id": "eni-00000000000000001"}]}
    with pytest.raises(NetguardAwsError) as raised:
        check_guards([used._replace(affected=affected), unused._replace(affected=dict(affected, total=0))],
                     Guards(require_unused=True, impact=True))
    assert raised.value.msg == ("require_unused: 1 of the security groups that would change has network interfaces "
                                "attached: %s (eni-00000000000000001); nothing was revoked" % used.group["GroupId"])
    # Without require_unused, the impact is reported and nothing is refused.
    check_guards([used._replace(affected=affected)], Guards(impact=True))


def test_what_the_read_learnt_of_destinations_and_traffic_is_kept_through_every_replanning():
    rules = RULES + described(api_rule("sgr-0000000000000000e", "udp", 53, 53, PrefixListId="pl-0123456789abcdef0"))
    destinations = Destinations({"pl-0123456789abcdef0": PrefixList("corp", (ipaddress.ip_network("10.2.0.0/16"),))},
                                {DATABASE: {"team": "db"}})
    within = Choice((parse_predicates({"destination_within": ["10.0.0.0/8"]}, "rule_filters", [], ""),), None)
    tagged = Choice((parse_predicates({"destination_group_tags": {"team": "db"}}, "rule_filters", [], ""),), None)
    unused = Choice((Predicate(unused=True),), None)
    change = Change(Selector((within, tagged, unused)))
    plan = plan_group(TargetGroup(GROUP_ENTRY), "eu-west-1", rules, change, {}, (), frozenset(["sgr-0000000000000000b"]),
                      destinations)
    taken = ["sgr-0000000000000000a", "sgr-0000000000000000b", "sgr-0000000000000000c", "sgr-0000000000000000e"]
    assert ids(plan.remove) == taken and plan.destinations == destinations
    assert ids(plan_group(TargetGroup(GROUP_ENTRY), "eu-west-1", rules, change).remove) == ["sgr-0000000000000000a"]

    marked = plan._replace(traffic="traffic", affected="affected", users="users")
    again = plan_again(marked, rules)
    assert (ids(again.remove), again.traffic, again.region, again.group, again.unused_rule_ids) == (
        taken, "traffic", "eu-west-1", GROUP_ENTRY, frozenset(["sgr-0000000000000000b"]))
    added = with_additions(marked, [restore_rule("tcp", 443, 443, "cidr_ipv4", "10.9.0.0/16")])
    assert (ids(added.remove), added.traffic, added.affected, added.users, added.destinations) == (
        taken, "traffic", "affected", "users", destinations)
    assert (added.group, added.region, added.described) == (GROUP_ENTRY, "eu-west-1", rules)
    assert [item.requested.rule.destination for item in added.add] == ["10.9.0.0/16"]


def test_a_restore_removes_the_rules_it_names_by_id():
    plan = plan_group(TargetGroup(GROUP_ENTRY, (), True, ("sgr-0000000000000000c", "sgr-0000000000000000d")),
                      "us-east-1", RULES, Change(None))
    assert ids(plan.remove) == ["sgr-0000000000000000c"]
