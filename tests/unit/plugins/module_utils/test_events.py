"""The event option's parse: which rules an EventBridge event or a CloudTrail record introduced; the selector it makes
with the policy; the result's outcome; the account guard. Pure: no endpoint involved."""

import json
from collections import namedtuple

import pytest

from ansible_collections.netguard.aws.plugins.module_utils.errors import NetguardAwsError
from ansible_collections.netguard.aws.plugins.module_utils.event_guard import refused_events
from ansible_collections.netguard.aws.plugins.module_utils.events import (
    event_choices,
    event_result,
    parse_event,
)
from ansible_collections.netguard.aws.plugins.module_utils.plan import plan_group
from ansible_collections.netguard.aws.plugins.module_utils.request import Change
from ansible_collections.netguard.aws.plugins.module_utils.selector import Selector, parse_keep, parse_predicates
from ansible_collections.netguard.aws.plugins.module_utils.targets import TargetGroup

from .described import GROUP, api_rule, described

ACCOUNT = "123456789012"
NEW_RULE = "sgr-0000000000000000a"
HTTPS_RULE = "sgr-0000000000000000b"
INGRESS_RULE = "sgr-0000000000000000c"
VPC = "vpc-0123456789abcdef0"
Outcome = namedtuple("Outcome", ["plan", "revoked"])


def record(name, request=None, response=None, **extra):
    return dict({"eventVersion": "1.08", "eventTime": "2026-12-05T10:00:00Z", "eventSource": "ec2.amazonaws.com",
                 "eventName": name, "awsRegion": "eu-west-1", "eventID": "e-1", "recipientAccountId": ACCOUNT,
                 "userIdentity": {"accountId": "210987654321"}, "requestParameters": request,
                 "responseElements": response}, **extra)


def wrapped(detail, **extra):
    return dict({"version": "0", "id": "b-1", "detail-type": "AWS API Call via CloudTrail", "source": "aws.ec2",
                 "account": ACCOUNT, "time": "2026-12-05T10:00:01Z", "region": "eu-west-1", "resources": [],
                 "detail": detail}, **extra)


def rule_item(rule_id, egress=True):
    return {"groupOwnerId": ACCOUNT, "groupId": GROUP, "securityGroupRuleId": rule_id, "isEgress": egress,
            "ipProtocol": "-1", "fromPort": -1, "toPort": -1, "cidrIpv4": "0.0.0.0/0"}


AUTHORIZE = record("AuthorizeSecurityGroupEgress", {"groupId": GROUP, "ipPermissions": {"items": []}},
                   {"requestId": "r", "_return": True, "securityGroupRuleSet": {"items": [
                       rule_item(NEW_RULE), rule_item(HTTPS_RULE)]}})
MODIFY = record("ModifySecurityGroupRules", {"ModifySecurityGroupRulesRequest": {
    "GroupId": GROUP, "SecurityGroupRule": {"SecurityGroupRuleId": NEW_RULE, "SecurityGroupRule": {
        "IpProtocol": "-1", "CidrIpv4": "0.0.0.0/0"}, "tag": 1}}}, {"ModifySecurityGroupRulesResponse": {"return": True}})
CREATE = record("CreateSecurityGroup", {"groupName": "web", "groupDescription": "web", "vpcId": VPC},
                {"requestId": "r", "_return": True, "groupId": GROUP})
ASSOCIATE = record("AssociateVpcCidrBlock", {"AssociateVpcCidrBlockRequest": {
    "VpcId": VPC, "AmazonProvidedIpv6CidrBlock": True}}, {"AssociateVpcCidrBlockResponse": {
        "vpcId": VPC, "ipv6CidrBlockAssociation": {"ipv6CidrBlock": "", "associationId": "vpc-cidr-assoc-1"}}})


@pytest.mark.parametrize("given", [AUTHORIZE, wrapped(AUTHORIZE), json.dumps(wrapped(AUTHORIZE)), json.dumps(AUTHORIZE)])
def test_a_record_or_an_eventbridge_event_as_a_dict_or_json_text(given):
    event = parse_event(given)
    assert (event.name, event.id, event.account, event.region, event.group_id, event.rule_ids, event.ignored) == (
        "AuthorizeSecurityGroupEgress", "e-1", ACCOUNT, "eu-west-1", GROUP, (NEW_RULE, HTTPS_RULE), None)


def test_each_kind_names_its_group_and_rules():
    assert parse_event(MODIFY)[4:] == (GROUP, None, (NEW_RULE,), (), None)
    listed = json.loads(json.dumps(MODIFY))
    listed["requestParameters"]["ModifySecurityGroupRulesRequest"]["SecurityGroupRule"] = [
        {"SecurityGroupRuleId": NEW_RULE, "tag": 1}, {"SecurityGroupRuleId": HTTPS_RULE, "tag": 2}]
    assert parse_event(listed).rule_ids == (NEW_RULE, HTTPS_RULE)
    assert parse_event(CREATE)[4:] == (GROUP, None, (), (("cidr_ipv4", "0.0.0.0/0"), ("cidr_ipv6", "::/0")), None)
    assert parse_event(ASSOCIATE)[4:] == (None, VPC, (), (("cidr_ipv6", "::/0"),), None)


def test_an_ipv6_block_in_either_recording_of_associate_vpc_cidr_block():
    flat = record("AssociateVpcCidrBlock", {"vpcId": VPC, "amazonProvidedIpv6CidrBlock": True},
                  {"requestId": "r", "vpcId": VPC, "ipv6CidrBlockAssociation": {"associationId": "a"}})
    assert parse_event(flat)[4:] == (None, VPC, (), (("cidr_ipv6", "::/0"),), None)
    pool = record("AssociateVpcCidrBlock", {"vpcId": VPC, "ipv6Pool": "ipv6pool-ec2-0123"}, {})
    assert parse_event(pool).vpc_id == VPC
    answered_only = record("AssociateVpcCidrBlock", {"vpcId": VPC}, {"ipv6CidrBlockAssociation": {}})
    assert parse_event(answered_only).ignored is None
    nested_answer = record("AssociateVpcCidrBlock", {"AssociateVpcCidrBlockRequest": {"VpcId": VPC}},
                           {"AssociateVpcCidrBlockResponse": {"ipv6CidrBlockAssociation": {}}})
    assert parse_event(nested_answer).ignored is None
    asked_only = record("AssociateVpcCidrBlock", {"vpcId": VPC, "amazonProvidedIpv6CidrBlock": True}, {})
    assert parse_event(asked_only).ignored is None
    ipv4 = record("AssociateVpcCidrBlock", {"vpcId": VPC, "cidrBlock": "10.1.0.0/16"},
                  {"vpcId": VPC, "cidrBlockAssociation": {"cidrBlock": "10.1.0.0/16"}})
    assert parse_event(ipv4).ignored == "it associates an IPv4 block, which adds no egress rule"


def test_the_group_of_an_authorize_is_its_requests_else_its_rules():
    assert parse_event(dict(AUTHORIZE, requestParameters={})).group_id == GROUP
    one = record("AuthorizeSecurityGroupEgress", {}, {"securityGroupRuleSet": {"items": [rule_item(NEW_RULE)]}})
    assert parse_event(one).group_id == GROUP
    other = "sg-0fffffffffffffff0"
    assert parse_event(dict(AUTHORIZE, requestParameters={"groupId": other})).group_id == other


def test_the_account_is_the_eventbridge_events_then_the_recipient_then_the_caller():
    assert parse_event(wrapped(AUTHORIZE, account="111111111111")).account == "111111111111"
    assert parse_event(dict(AUTHORIZE, recipientAccountId=None)).account == "210987654321"
    assert parse_event(wrapped(dict(AUTHORIZE, awsRegion=None), region="ap-south-1")).region == "ap-south-1"


@pytest.mark.parametrize("given, reason", [
    (record("AuthorizeSecurityGroupIngress", {"groupId": GROUP}), "AuthorizeSecurityGroupIngress adds no egress rule"),
    (dict(AUTHORIZE, errorCode="Client.InvalidPermission.Duplicate", responseElements=None),
     "the call failed (Client.InvalidPermission.Duplicate), so it changed nothing"),
    (dict(AUTHORIZE, eventSource="s3.amazonaws.com"), "it is a call to s3.amazonaws.com, not to EC2"),
    (wrapped(AUTHORIZE, **{"detail-type": "EC2 Instance State-change Notification"}),
     "its detail-type is 'EC2 Instance State-change Notification', not a CloudTrail API call"),
    ({"detail": AUTHORIZE}, "its detail-type is 'None', not a CloudTrail API call"),
    (record("AuthorizeSecurityGroupEgress", {"groupId": GROUP}, {"securityGroupRuleSet": {"items": [
        rule_item(INGRESS_RULE, egress=False)]}}), "it added no egress rule"),
    (record("AssociateVpcCidrBlock", {"AssociateVpcCidrBlockRequest": {"VpcId": VPC, "CidrBlock": "10.1.0.0/16"}},
            {"AssociateVpcCidrBlockResponse": {"vpcId": VPC, "cidrBlockAssociation": {"cidrBlock": "10.1.0.0/16"}}}),
     "it associates an IPv4 block, which adds no egress rule"),
])
def test_what_adds_no_egress_rule_is_ignored_with_the_reason(given, reason):
    assert parse_event(given).ignored == reason


@pytest.mark.parametrize("given, message", [
    ("{not json", "event '{not json' is not JSON (Expecting property name enclosed in double quotes: line 1 column 2 "
                  "(char 1)): give the EventBridge event or the CloudTrail record, as a dictionary or its JSON text"),
    (["a"], "event ['a'] is not an EventBridge event or a CloudTrail record (a dictionary or its JSON text)"),
    ({"detail-type": "AWS API Call via CloudTrail", "detail": "x"},
     "event.detail 'x' is not a CloudTrail record (a dictionary)"),
    ({"detail-type": "AWS API Call via CloudTrail", "eventName": "CreateSecurityGroup"},
     "event.detail None is not a CloudTrail record (a dictionary)"),
    ({"eventSource": "ec2.amazonaws.com"}, "event has no eventName: give an EventBridge event for a CloudTrail API call "
                                           "(detail-type 'AWS API Call via CloudTrail') or a CloudTrail record"),
    ({"eventName": ""}, "event has no eventName"),
    ({"eventName": 5}, "event has no eventName"),
    (record("AuthorizeSecurityGroupEgress", {"groupId": GROUP}, {}),
     "event 'e-1' AuthorizeSecurityGroupEgress: its responseElements have no securityGroupRuleSet, so the rules it "
     "added are not known"),
    (dict(record("AuthorizeSecurityGroupEgress", {"groupId": GROUP}, {}), eventID=None),
     "event AuthorizeSecurityGroupEgress: its responseElements"),
    (record("CreateSecurityGroup", {}, {"groupId": "web"}), "event 'e-1' CreateSecurityGroup names no security group ID "
                                                            "(found 'web')"),
    (record("ModifySecurityGroupRules", {"ModifySecurityGroupRulesRequest": {"GroupId": GROUP, "SecurityGroupRule": {
        "SecurityGroupRuleId": "sgr-x"}}}), "event 'e-1' ModifySecurityGroupRules names a rule ID that is not one: 'sgr-x'"),
    (record("AssociateVpcCidrBlock", {"AssociateVpcCidrBlockRequest": {"VpcId": "vpc-1", "Ipv6Pool": "x"}}),
     "event's requestParameters vpcId 'vpc-1' is not a VPC ID"),
])
def test_a_malformed_event_is_refused_naming_what_is_wrong(given, message):
    with pytest.raises(NetguardAwsError) as error:
        parse_event(given)
    assert error.value.msg.startswith(message), error.value.msg


# ----- selection and outcome ---------------------------------------------------------------------------------------

RULES = described(
    api_rule(NEW_RULE, "-1", -1, -1, CidrIpv4="0.0.0.0/0"),
    api_rule(HTTPS_RULE, "tcp", 443, 443, CidrIpv4="0.0.0.0/0"),
    api_rule("sgr-0000000000000000d", "-1", -1, -1, CidrIpv6="::/0"),
    api_rule("sgr-0000000000000000e", "tcp", 22, 22, CidrIpv4="10.0.0.0/8"),
    api_rule(INGRESS_RULE, "tcp", 22, 22, egress=False, CidrIpv4="0.0.0.0/0"),
)
OPEN = {"destination_covers": ["0.0.0.0/0", "::/0"]}
HTTPS = [{"protocol": "tcp", "ports_within": [443]}]


def planned(given, rules=RULES, rule_filters=None, keep=None):
    event = parse_event(given)
    policy = None if rule_filters is None else parse_predicates(rule_filters, "rule_filters", [], "")
    selector = Selector(event_choices(event, policy), parse_keep(keep, []))
    return event, plan_group(TargetGroup({"GroupId": GROUP, "OwnerId": ACCOUNT}), "eu-west-1", rules, Change(selector))


def ids(rules):
    return [rule.rule_id for rule in rules]


def test_only_the_introduced_rules_that_the_policy_selects_go():
    assert ids(planned(AUTHORIZE)[1].remove) == [NEW_RULE, HTTPS_RULE]
    assert ids(planned(AUTHORIZE, rule_filters=OPEN, keep=HTTPS)[1].remove) == [NEW_RULE]
    assert ids(planned(AUTHORIZE, rule_filters={"protocol": "udp"})[1].remove) == []
    assert ids(planned(CREATE, rule_filters=OPEN, keep=HTTPS)[1].remove) == [NEW_RULE, "sgr-0000000000000000d"]
    assert ids(planned(CREATE)[1].remove) == [NEW_RULE, "sgr-0000000000000000d"], "allow-all rules only"
    assert ids(planned(ASSOCIATE)[1].remove) == ["sgr-0000000000000000d"]
    assert ids(planned(MODIFY, keep=[NEW_RULE])[1].remove) == []
    assert planned(AUTHORIZE)[1].unmatched == [], "a rule the event introduced that is gone is no error"


@pytest.mark.parametrize("given, rules, revoked, options, outcome, rule_ids", [
    (AUTHORIZE, RULES, True, {}, "revoked", [NEW_RULE, HTTPS_RULE]),
    (AUTHORIZE, RULES, False, {"rule_filters": {"protocol": "udp"}}, "allowed_by_policy", [NEW_RULE, HTTPS_RULE]),
    (AUTHORIZE, RULES[2:], False, {}, "nothing_left", [NEW_RULE, HTTPS_RULE]),
    (CREATE, RULES, True, {}, "revoked", [NEW_RULE, "sgr-0000000000000000d"]),
    (CREATE, RULES[1:2], False, {}, "nothing_left", []),
    (ASSOCIATE, RULES[1:], False, {"keep": [{"protocol": "all"}]}, "allowed_by_policy", ["sgr-0000000000000000d"]),
    (MODIFY, RULES[1:], False, {}, "nothing_left", [NEW_RULE]),
])
def test_the_outcome_says_what_became_of_the_introduced_rules(given, rules, revoked, options, outcome, rule_ids):
    event, plan = planned(given, rules, **options)
    summary = event_result(event, Outcome(plan, plan.remove if revoked else []))
    assert summary == {"name": event.name, "id": "e-1", "account": ACCOUNT, "region": "eu-west-1", "group_id": GROUP,
                       "rule_ids": rule_ids, "outcome": outcome}


def test_a_modify_of_ingress_rules_only_is_ignored_and_its_egress_rules_are_listed():
    ingress = json.loads(json.dumps(MODIFY))
    ingress["requestParameters"]["ModifySecurityGroupRulesRequest"]["SecurityGroupRule"] = [
        {"SecurityGroupRuleId": INGRESS_RULE}]
    event, plan = planned(ingress)
    assert event_result(event, Outcome(plan, [])) == {"name": "ModifySecurityGroupRules", "id": "e-1", "account": ACCOUNT,
                                                      "region": "eu-west-1", "group_id": GROUP, "rule_ids": [],
                                                      "outcome": "ignored"}
    both = json.loads(json.dumps(ingress))
    both["requestParameters"]["ModifySecurityGroupRulesRequest"]["SecurityGroupRule"].append(
        {"SecurityGroupRuleId": HTTPS_RULE})
    event, plan = planned(both)
    assert event_result(event, Outcome(plan, plan.remove)) == dict(
        event_result(event, Outcome(plan, plan.remove)), rule_ids=[HTTPS_RULE], outcome="revoked")


def test_without_a_group_the_rules_are_gone_and_an_ignored_event_says_so():
    event = parse_event(ASSOCIATE)
    assert event_result(event)["outcome"] == "nothing_left" and event_result(event)["group_id"] is None
    ignored = parse_event(dict(AUTHORIZE, errorCode="Client.UnauthorizedOperation"))
    assert event_result(ignored) == {"name": "AuthorizeSecurityGroupEgress", "id": "e-1", "account": ACCOUNT,
                                     "region": "eu-west-1", "group_id": None, "rule_ids": [], "outcome": "ignored"}


def test_an_event_of_another_account_than_the_groups_owner_is_refused_naming_both():
    event, plan = planned(wrapped(AUTHORIZE, account="111111111111"))
    refused = refused_events([plan], event)
    assert list(refused) == [GROUP]
    assert refused[GROUP].msg == (
        "event e-1 (AuthorizeSecurityGroupEgress) happened in account 111111111111, but %s belongs to account %s: "
        "refused, and nothing was revoked; run the task with the credentials of the account the event came from"
        % (GROUP, ACCOUNT))
    assert refused_events([plan], parse_event(AUTHORIZE)) == {}
    assert refused_events([plan], parse_event(dict(AUTHORIZE, recipientAccountId=None, userIdentity=None))) == {}
    assert refused_events([plan], None) == {}
    unknown_owner = plan._replace(group={"GroupId": GROUP}, described=described(dict(
        api_rule(NEW_RULE, "-1", -1, -1, CidrIpv4="0.0.0.0/0"), GroupOwnerId=None)))
    assert refused_events([unknown_owner], event) == {}
