# -*- coding: utf-8 -*-
# Copyright: Contributors to the netguard.aws collection
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""The ``event`` option: which egress rules one CloudTrail API call introduced, and what became of them. Pure: no
AWS calls.

An event is an EventBridge event for a CloudTrail API call (``detail-type: AWS API Call via CloudTrail``, the record
in ``detail``) or a bare CloudTrail record, as a dict or as JSON text. The rules it introduced are named by ID
(``AuthorizeSecurityGroupEgress``: its response's ``securityGroupRuleSet``; ``ModifySecurityGroupRules``: the IDs of
its request) or by shape (``CreateSecurityGroup``: the new group's allow-all rules; ``AssociateVpcCidrBlock`` with an
IPv6 block: ``-1 -> ::/0`` of the VPC's default group). The task's policy (``rule_filters``, ``keep``) then decides
which of them go. Events come at least once and in any order, so an event for rules since removed or changed is
judged by what the group holds now, and a repeat changes nothing.
"""

import json
from collections import namedtuple

from ansible_collections.netguard.aws.plugins.module_utils.errors import NetguardAwsError, invalid, quoted
from ansible_collections.netguard.aws.plugins.module_utils.rules import (
    ALL_PROTOCOLS,
    CIDR_IPV4,
    CIDR_IPV6,
    is_aws_id,
)
from ansible_collections.netguard.aws.plugins.module_utils.selector import Choice, Predicate

CLOUDTRAIL_DETAIL_TYPE = "AWS API Call via CloudTrail"
HANDLED = ("AuthorizeSecurityGroupEgress", "ModifySecurityGroupRules", "CreateSecurityGroup", "AssociateVpcCidrBlock")
REVOKED, NOTHING_LEFT, ALLOWED_BY_POLICY, IGNORED = "revoked", "nothing_left", "allowed_by_policy", "ignored"
# The rules a new group, or a VPC's default group on a new IPv6 block, comes with.
_ALLOW_ALL = {"CreateSecurityGroup": ((CIDR_IPV4, "0.0.0.0/0"), (CIDR_IPV6, "::/0")),
              "AssociateVpcCidrBlock": ((CIDR_IPV6, "::/0"),)}

Event = namedtuple("Event", ["name", "id", "account", "region", "group_id", "vpc_id", "rule_ids", "allow_all",
                             "ignored"])
Event.__doc__ = """One event: its ``name`` (``eventName``), ``id`` (``eventID``), ``account`` and ``region``; the group
it concerns (``group_id``, or the default group of ``vpc_id``); the rules it introduced, by ID (``rule_ids``) or as
``(destination_type, destination)`` of allow-all rules (``allow_all``); ``ignored``: why the task does nothing, or
None."""


def parse_event(value):
    """The ``Event`` of the ``event`` option; a value that is neither shape is refused, naming what is missing."""
    if isinstance(value, str):
        try:
            value = json.loads(value)
        except ValueError as error:
            raise invalid("event", value, "is not JSON (%s): give the EventBridge event or the CloudTrail record, as "
                          "a dictionary or its JSON text" % error)
    if not isinstance(value, dict):
        raise invalid("event", value, "is not an EventBridge event or a CloudTrail record (a dictionary or its JSON "
                      "text)")
    envelope = {}
    record = value
    if "detail-type" in value or "detail" in value:
        envelope, record = value, value.get("detail")
        if not isinstance(record, dict):
            raise invalid("event.detail", record, "is not a CloudTrail record (a dictionary)")
    name = record.get("eventName")
    if not isinstance(name, str) or not name:
        raise NetguardAwsError("event has no eventName: give an EventBridge event for a CloudTrail API call "
                               "(detail-type %s) or a CloudTrail record" % quoted(CLOUDTRAIL_DETAIL_TYPE))
    event = Event(name, record.get("eventID"), _account(envelope, record), record.get("awsRegion") or
                  envelope.get("region"), None, None, (), (), None)
    if envelope and envelope.get("detail-type") != CLOUDTRAIL_DETAIL_TYPE:
        return event._replace(ignored="its detail-type is %s, not a CloudTrail API call"
                              % quoted(str(envelope.get("detail-type"))))
    if record.get("eventSource") not in (None, "ec2.amazonaws.com"):
        return event._replace(ignored="it is a call to %s, not to EC2" % record.get("eventSource"))
    if record.get("errorCode"):
        return event._replace(ignored="the call failed (%s), so it changed nothing" % record["errorCode"])
    if name not in HANDLED:
        return event._replace(ignored="%s adds no egress rule" % name)
    return _introduced(event, record)


def _account(envelope, record):
    identity = record.get("userIdentity") if isinstance(record.get("userIdentity"), dict) else {}
    return envelope.get("account") or record.get("recipientAccountId") or identity.get("accountId")


def _introduced(event, record):
    request = _dict(record.get("requestParameters"))
    response = _dict(record.get("responseElements"))
    if event.name == "AuthorizeSecurityGroupEgress":
        items = _listed(_dict(response.get("securityGroupRuleSet")).get("items"))
        if not items:
            raise NetguardAwsError("event %s: its responseElements have no securityGroupRuleSet, so the rules it "
                                   "added are not known" % _named(event))
        return _checked(event._replace(group_id=request.get("groupId") or items[0].get("groupId"), rule_ids=tuple(
            item.get("securityGroupRuleId") for item in items if item.get("isEgress") is True)))
    if event.name == "ModifySecurityGroupRules":
        modify = _dict(request.get("ModifySecurityGroupRulesRequest"))
        return _checked(event._replace(group_id=modify.get("GroupId"), rule_ids=tuple(
            rule.get("SecurityGroupRuleId") for rule in _listed(modify.get("SecurityGroupRule")))))
    if event.name == "CreateSecurityGroup":
        return _checked(event._replace(group_id=response.get("groupId"), allow_all=_ALLOW_ALL[event.name]))
    # AssociateVpcCidrBlock: CloudTrail's parameters in lower camel case, or nested in the request's and response's
    # own names as newer EC2 calls are recorded.
    associate = _dict(request.get("AssociateVpcCidrBlockRequest")) or request
    answered = _dict(response.get("AssociateVpcCidrBlockResponse")) or response
    if not (any(key.lower().startswith(("ipv6", "amazonprovidedipv6")) for key in associate)
            or "ipv6CidrBlockAssociation" in answered):
        return event._replace(ignored="it associates an IPv4 block, which adds no egress rule")
    vpc_id = associate.get("vpcId") or associate.get("VpcId")
    if not is_aws_id(vpc_id, "vpc"):
        raise invalid("event's requestParameters vpcId", vpc_id, "is not a VPC ID")
    return event._replace(vpc_id=vpc_id, allow_all=_ALLOW_ALL[event.name])


def _checked(event):
    if not is_aws_id(event.group_id, "sg"):
        raise NetguardAwsError("event %s names no security group ID (found %s)" % (_named(event), quoted(event.group_id)))
    for rule_id in event.rule_ids:
        if not is_aws_id(rule_id, "sgr"):
            raise NetguardAwsError("event %s names a rule ID that is not one: %s" % (_named(event), quoted(rule_id)))
    if event.name == "AuthorizeSecurityGroupEgress" and not event.rule_ids:
        return event._replace(ignored="it added no egress rule")
    return event


def _named(event):
    return "%s %s" % (quoted(event.id), event.name) if event.id else event.name


def _dict(value):
    return value if isinstance(value, dict) else {}


def _listed(value):
    """A list of CloudTrail's, or the one member a request with one recorded as a dictionary."""
    if isinstance(value, dict):
        return [value]
    return [item for item in value or () if isinstance(item, dict)]


def event_choices(event, policy):
    """The selector's choices for the rules ``event`` introduced that pass every predicate of ``policy`` (the
    ``rule_filters`` ``Predicate``, or None)."""
    extra = () if policy is None else (policy,)
    introduced = [Predicate(rule_id=rule_id) for rule_id in dict.fromkeys(event.rule_ids)]
    introduced += [Predicate(protocols=frozenset([ALL_PROTOCOLS]), destinations=(frozenset([destination]),))
                   for destination in event.allow_all]
    return tuple(Choice((predicate,) + extra, None) for predicate in introduced)


def introduced(event, plan):
    """The group's egress rules now that ``event`` introduced (by ID or by shape)."""
    rules = plan.before
    if event.allow_all:
        return [rule for rule in rules if rule.rule.protocol == ALL_PROTOCOLS
                and (rule.rule.destination_type, rule.rule.destination) in event.allow_all]
    return [rule for rule in rules if rule.rule_id in event.rule_ids]


def event_result(event, outcome=None):
    """The result's ``event``: what the event was, the rules it introduced, and what became of them (``outcome``: the
    group's ``GroupOutcome``, None when the event names no group that exists now)."""
    summary = {"name": event.name, "id": event.id, "account": event.account, "region": event.region,
               "group_id": event.group_id, "rule_ids": list(event.rule_ids)}
    if event.ignored:
        return dict(summary, outcome=IGNORED)
    if outcome is None:
        return dict(summary, outcome=NOTHING_LEFT)
    plan = outcome.plan
    summary["group_id"] = plan.group["GroupId"]
    present = introduced(event, plan)
    ingress = set(rule.rule_id for rule in plan.described if not rule.is_egress)
    if event.allow_all:
        summary["rule_ids"] = [rule.rule_id for rule in present]
    else:
        # ModifySecurityGroupRules names rules of either direction.
        summary["rule_ids"] = [rule_id for rule_id in event.rule_ids if rule_id not in ingress]
        if not summary["rule_ids"]:
            return dict(summary, outcome=IGNORED)
    if outcome.revoked:
        return dict(summary, outcome=REVOKED)
    return dict(summary, outcome=ALLOWED_BY_POLICY if present else NOTHING_LEFT)
