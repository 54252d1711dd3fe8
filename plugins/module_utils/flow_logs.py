# -*- coding: utf-8 -*-
# Copyright: Contributors to the netguard.aws collection
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""Which flow log to read for each interface, and why an interface's evidence is incomplete. Pure: no AWS calls.

A flow log on the interface, its subnet or its VPC covers it. One that covers the
whole window with every accepted record is chosen (the most specific first), so that
no flow is counted twice; when none does, each covering flow log's problem is a
reason.
"""

from datetime import datetime, timezone

from ansible_collections.netguard.aws.plugins.module_utils.flow_format import (
    DEFAULT_FORMAT,
    FormatError,
    describe_missing,
    format_fields,
    missing_fields,
)
from ansible_collections.netguard.aws.plugins.module_utils.traffic import iso
from ansible_collections.netguard.aws.plugins.module_utils.traffic_request import FlowLogSource

READABLE_DESTINATIONS = ("s3", "cloud-watch-logs")


def choose_sources(interfaces, flow_logs, since):
    """``(sources, reasons)``: ``{flow_log_id: (FlowLogSource, [interface IDs])}`` for the flow logs to read, and
    ``{interface_id: [sentence]}`` for the interfaces none of whose flow logs covers the window.

    ``interfaces``: ``traffic.Interface``s; ``flow_logs``: ``DescribeFlowLogs`` entries; ``since``: seconds since the
    epoch.
    """
    by_resource = {}
    for flow_log in flow_logs:
        by_resource.setdefault(flow_log.get("ResourceId"), []).append(flow_log)
    sources, reasons = {}, {}
    for interface in interfaces:
        covering = [flow_log for resource in (interface.interface_id, interface.subnet_id, interface.vpc_id)
                    for flow_log in sorted(by_resource.get(resource, ()), key=lambda entry: entry["FlowLogId"])]
        if not covering:
            reasons[interface.interface_id] = ["%s has no flow log (on the interface, its subnet %s or its VPC %s)"
                                               % (interface.interface_id, interface.subnet_id, interface.vpc_id)]
            continue
        problems = []
        for flow_log in covering:
            problem = flow_log_problem(flow_log, since)
            if problem is None:
                source = sources.setdefault(flow_log["FlowLogId"], (source_of(flow_log), []))
                source[1].append(interface.interface_id)
                break
            problems.append("%s: %s" % (interface.interface_id, problem))
        else:
            reasons[interface.interface_id] = problems
    return sources, reasons


def flow_log_problem(flow_log, since):
    """Why a flow log cannot show every accepted flow of the window, or None."""
    name = "flow log %s (on %s)" % (flow_log.get("FlowLogId"), flow_log.get("ResourceId"))
    if flow_log.get("LogDestinationType", "cloud-watch-logs") not in READABLE_DESTINATIONS:
        return "%s delivers to %s, which cannot be read here: name its records' copy in traffic.flow_logs" % (
            name, flow_log.get("LogDestinationType"))
    if flow_log.get("FlowLogStatus", "ACTIVE") != "ACTIVE":
        return "%s is %s, not ACTIVE" % (name, flow_log.get("FlowLogStatus"))
    if flow_log.get("DeliverLogsStatus") == "FAILED":
        return "%s fails to deliver its records (%s)" % (name, flow_log.get("DeliverLogsErrorMessage") or "FAILED")
    if flow_log.get("TrafficType") == "REJECT":
        return "%s captures rejected traffic only" % name
    created = flow_log.get("CreationTime")
    if created is not None and _seconds(created) > since:
        return "%s was created at %s, after the window's start %s" % (name, iso(_seconds(created)), iso(since))
    try:
        missing = missing_fields(format_fields(flow_log.get("LogFormat") or DEFAULT_FORMAT))
    except FormatError as error:
        return "%s has a format that cannot be read: %s" % (name, error)
    if missing:
        return "%s has a format that %s" % (name, describe_missing(missing))
    return None


def source_of(flow_log):
    """The ``FlowLogSource`` of a ``DescribeFlowLogs`` entry that ``flow_log_problem`` accepts."""
    fields = format_fields(flow_log.get("LogFormat") or DEFAULT_FORMAT)
    name = "flow log %s" % flow_log["FlowLogId"]
    if flow_log.get("LogDestinationType", "cloud-watch-logs") == "cloud-watch-logs":
        group = flow_log.get("LogGroupName") or flow_log.get("LogDestination", "").rsplit(":log-group:", 1)[-1]
        return FlowLogSource(name, None, None, group, fields, None, False, False, flow_log["FlowLogId"],
                             flow_log.get("TrafficType", "ALL"))
    # arn:aws:s3:::bucket/optional/prefix
    path = flow_log.get("LogDestination", "").split(":::", 1)[-1]
    bucket, _slash, prefix = path.partition("/")
    options = flow_log.get("DestinationOptions") or {}
    return FlowLogSource(name, bucket, prefix.strip("/"), None, fields, options.get("FileFormat", "plain-text"),
                         bool(options.get("HiveCompatiblePartitions")), bool(options.get("PerHourPartition")),
                         flow_log["FlowLogId"], flow_log.get("TrafficType", "ALL"))


def _seconds(moment):
    if isinstance(moment, datetime):
        if moment.tzinfo is None:
            moment = moment.replace(tzinfo=timezone.utc)
        return moment.timestamp()
    return float(moment)
