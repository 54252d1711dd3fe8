# -*- coding: utf-8 -*-
# Copyright: Contributors to the netguard.aws collection
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""The ``require_no_traffic`` guard: refuse each group whose plan would cut an observed flow, or whose evidence is
incomplete, before any write. Pure."""

from ansible_collections.netguard.aws.plugins.module_utils.errors import NetguardAwsError
from ansible_collections.netguard.aws.plugins.module_utils.formatting import counted

# How many cut flows the refusal names.
NAMED_FLOWS = 10


def refused_plans(plans, guards):
    """``{group_id: NetguardAwsError}`` for the plans ``require_no_traffic`` refuses; the error carries the group's
    ``cut_flows`` and ``traffic_coverage``."""
    if not guards.require_no_traffic:
        return {}
    refused = {}
    for plan in plans:
        traffic = plan.traffic
        if not plan.remove or traffic is None:
            continue
        group_id = plan.group["GroupId"]
        details = {"cut_flows": traffic.cut_flows, "traffic_coverage": traffic.coverage}
        if traffic.cut_flows:
            named = "; ".join(flow_text(flow) for flow in traffic.cut_flows[:NAMED_FLOWS])
            more = len(traffic.cut_flows) - NAMED_FLOWS
            refused[group_id] = NetguardAwsError(
                "require_no_traffic: revoking %s from %s would cut %s seen in the flow logs: %s%s; nothing was "
                "revoked from %s" % (counted(len(plan.remove), "egress rule"), group_id,
                                     counted(len(traffic.cut_flows), "observed flow"), named,
                                     "; and %d more" % more if more > 0 else "", group_id), **details)
        elif not traffic.coverage["complete"]:
            refused[group_id] = NetguardAwsError(
                "require_no_traffic: the flow logs of %s do not show all its traffic in the window, so removing "
                "rules from it cannot be shown to cut nothing: %s; nothing was revoked from %s"
                % (group_id, "; ".join(traffic.coverage["reasons"]), group_id), **details)
    return refused


def flow_text(flow):
    """``eni-0abc tcp -> 52.94.0.10 port 443 (1204 packets, last seen 2026-12-04T10:00:00Z)``."""
    return "%s %s -> %s port %s (%s, last seen %s)" % (flow["interface"], flow["protocol"], flow["destination"],
                                                       flow["port"], counted(flow["packets"], "packet"),
                                                       flow["last_seen"])


def carried_lines(traffic, rule_ids):
    """``{rule_id: [line]}``: what each removed rule carried in the window and which flows its removal cuts, for the
    diff."""
    lines = {}
    for rule_id in rule_ids:
        carried = traffic.rules.get(rule_id)
        if carried is None:
            continue
        if carried["flows"]:
            text = ["carried %s (%s, last seen %s)" % (counted(carried["flows"], "flow"),
                                                       counted(carried["packets"], "packet"), carried["last_seen"])]
        else:
            text = ["carried no flow from %s to %s" % (traffic.coverage["since"], traffic.coverage["until"])]
        if not traffic.coverage["complete"]:
            text[0] += "; the evidence is incomplete (see traffic_coverage)"
        cuts = traffic.rule_cuts.get(rule_id, ())
        text.extend("cuts " + flow_text(flow) for flow in cuts[:NAMED_FLOWS])
        if len(cuts) > NAMED_FLOWS:
            text.append("cuts %d more flows" % (len(cuts) - NAMED_FLOWS))
        lines[rule_id] = text
    return lines
