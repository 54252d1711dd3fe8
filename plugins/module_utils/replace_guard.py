# -*- coding: utf-8 -*-
# Copyright: Contributors to the netguard.aws collection
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""The guard of ``replace_with``: refuse, before any write, each group that has no room for the rules it would get,
or whose rules ``observed`` cannot be known because its flow logs do not show all its traffic. Pure."""

from ansible_collections.netguard.aws.plugins.module_utils.errors import NetguardAwsError
from ansible_collections.netguard.aws.plugins.module_utils.formatting import counted
from ansible_collections.netguard.aws.plugins.module_utils.rules import CIDR_IPV4, CIDR_IPV6

_FAMILIES = (("IPv4", CIDR_IPV6), ("IPv6", CIDR_IPV4))


def refused_replacements(plans):
    """``{group_id: NetguardAwsError}`` for the plans whose replacement cannot go ahead."""
    refused = {}
    for plan in plans:
        replace = plan.change.replace
        if replace is None or not plan.remove:
            continue
        group_id = plan.group["GroupId"]
        traffic = plan.traffic
        if replace.observed is not None and traffic is not None and not traffic.coverage["complete"]:
            refused[group_id] = NetguardAwsError(
                "replace_with: observed: the flow logs of %s do not show all its traffic in the window, so the rules "
                "it needs cannot be known: %s; nothing was changed in %s"
                % (group_id, "; ".join(traffic.coverage["reasons"]), group_id),
                cut_flows=traffic.cut_flows, traffic_coverage=traffic.coverage)
            continue
        for family, other in _FAMILIES:
            # Rules to a group or a prefix list count in both families.
            have = sum(1 for rule in plan.before if rule.rule.destination_type != other)
            new = sum(1 for item in plan.add if item.requested.rule.destination_type != other)
            if new and have + new > replace.max_rules:
                refused[group_id] = NetguardAwsError(
                    "replace_with needs %s in %s, which has %d of at most %d (max_rules_per_group): the new rules "
                    "are added before any is removed, so it needs room for %d; nothing was changed in %s" % (
                        counted(new, "new %s egress rule" % family), group_id, have, replace.max_rules, have + new,
                        group_id))
                break
    return refused
