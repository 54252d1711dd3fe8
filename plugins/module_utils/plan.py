# -*- coding: utf-8 -*-
# Copyright: Contributors to the netguard.aws collection
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""Stage 3 of the pipeline: what a task does to one group, decided from what was read. Pure: no AWS calls."""

from collections import namedtuple

from ansible_collections.netguard.aws.plugins.module_utils.formatting import protocol_and_ports
from ansible_collections.netguard.aws.plugins.module_utils.selector import (
    Facts,
    Selector,
    egress_rules_of,
    for_vpc,
    present,
    rule_id_choice,
    select,
    stale_rule_ids,
)


class GroupPlan(namedtuple("GroupPlan", ["group", "region", "described", "change", "stale_groups", "taken", "remove",
                                         "kept", "unmatched", "add", "present", "warnings", "affected",
                                         "unused_rule_ids", "traffic", "destinations", "users"])):
    """One group's plan: its rules as described, and the change resolved for its VPC (kept to plan again).

    ``taken``: the egress rules the selector takes, after ``keep``; ``remove``: those that go (all of them, unless the
    task only lists them); ``kept``: ``(rule, keep_item)``; ``unmatched``: what the selector named and did not find;
    ``add``: ``RestoreRule``s the group lacks; ``present``: the group's rules that are the others; ``affected``: with
    ``impact``, the network interfaces behind the group (``reading.with_affected``); ``unused_rule_ids``:
    the rules that carried no observed flow; ``traffic``: with ``traffic``, what the flow logs show of the group
    (``GroupTraffic``); ``destinations``: the ``reading.Destinations`` the predicates were judged with, or None;
    ``users``: with ``impact``, its launch templates, ECS services and managed interfaces (``impact.affected_users``).
    """

    __slots__ = ()

    @property
    def changes(self):
        return bool(self.remove or self.add)

    @property
    def before(self):
        return egress_rules_of(self.group["GroupId"], self.described)


def plan_group(target, region, described, change, ids_by_name=None, stale_groups=(), unused_rule_ids=frozenset(),
               destinations=None):
    """The ``GroupPlan`` of a ``TargetGroup``: ``change`` (the request's), with destination group names resolved in
    the group's VPC (``{(vpc_id, name): group_id}``) and the group's own additions; ``destinations``: what the region's
    read learnt of prefix lists and referenced groups."""
    selector = change.selector
    if selector is not None:
        selector = for_vpc(selector, ids_by_name or {}, target.group.get("VpcId"))
    elif target.removals:
        selector = Selector(tuple(rule_id_choice(rule_id) for rule_id in target.removals))
    resolved = change._replace(selector=selector, additions=tuple(change.additions) + tuple(target.additions))
    return _planned(target.group, region, described, resolved, stale_groups, unused_rule_ids, destinations)


def plan_again(plan, described):
    """The plan of the same group and change, from its rules described again."""
    return _planned(plan.group, plan.region, described, plan.change, plan.stale_groups, plan.unused_rule_ids,
                    plan.destinations)._replace(traffic=plan.traffic)


def with_additions(plan, additions):
    """The plan with ``additions`` (``RestoreRule``s: what ``replace_with: observed`` found the group needs) as the
    rules its change adds."""
    return _planned(plan.group, plan.region, plan.described, plan.change._replace(additions=tuple(additions)),
                    plan.stale_groups, plan.unused_rule_ids, plan.destinations)._replace(
                        traffic=plan.traffic, affected=plan.affected, users=plan.users)


def _planned(group, region, described, change, stale_groups, unused_rule_ids, destinations):
    group_id = group["GroupId"]
    taken, kept, unmatched, warnings = [], [], [], []
    if change.selector is not None:
        facts = Facts(stale_rule_ids(described, stale_groups), unused_rule_ids,
                      *(() if destinations is None else destinations))
        selection = select(group_id, described, change.selector, facts)
        taken, kept, unmatched, warnings = selection.taken, selection.kept, selection.unmatched, list(selection.warnings)
    remove = taken if change.removes else []
    if change.replace is not None:
        # A rule the replacement names stays where the group has it: adding it again is not possible, and it is
        # one the group is meant to keep.
        named = [rule for rule in remove if any(present(item.requested, [rule]) for item in change.additions)]
        for rule in named:
            warnings.append("%s %s -> %s is selected and also in replace_with: left in %s" % (
                rule.rule_id, protocol_and_ports(rule.rule), rule.rule.destination, group_id))
        remove = [rule for rule in remove if rule not in named]
    # A replacement comes only to a group that loses rules.
    adding = change.replace is None or bool(remove)
    before = egress_rules_of(group_id, described)
    add, found = [], []
    for item in change.additions:
        hits = present(item.requested, before)
        if not hits:
            if adding:
                add.append(item)
            continue
        found.append(hits[0])
        if hits[0].description != item.requested.description:
            warnings.append("%s already has %s -> %s (%s), with description %s where the input has %s: left as it is"
                            % (group_id, protocol_and_ports(hits[0].rule), hits[0].rule.destination, hits[0].rule_id,
                               _text(hits[0].description), _text(item.requested.description)))
    return GroupPlan(group, region, described, change, stale_groups, taken, remove, kept, unmatched, add, found,
                     warnings, None, unused_rule_ids, None, destinations, None)


def _text(description):
    return "none" if description is None else '"%s"' % description
