# -*- coding: utf-8 -*-
# Copyright: Contributors to the netguard.aws collection
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""The ``traffic`` option, parsed once into a ``TrafficRequest``: the window, and where the flow logs are.

Every refusal names the option path and the value, before any client exists.
"""

import math
import re
import time
from collections import namedtuple
from datetime import datetime, timezone

from ansible.module_utils.parsing.convert_bool import boolean

from ansible_collections.netguard.aws.plugins.module_utils.errors import NetguardAwsError, invalid
from ansible_collections.netguard.aws.plugins.module_utils.flow_format import (
    DEFAULT_FORMAT,
    FormatError,
    describe_missing,
    format_fields,
    missing_fields,
)
from ansible_collections.netguard.aws.plugins.module_utils.selector import named_items

TRAFFIC_KEYS = ("days", "since", "until", "profile", "flow_logs")
SOURCE_KEYS = ("s3", "log_group", "log_format", "file_format", "hive_compatible", "per_hour")
FILE_FORMATS = ("plain-text", "parquet")
DAY = 86400

TrafficRequest = namedtuple("TrafficRequest", ["since", "until", "profile", "flow_logs"])
TrafficRequest.__doc__ = """The window ``[since, until)`` in seconds since the epoch; ``profile``: the AWS profile the
logs are read with (None: the task's connection); ``flow_logs``: ``FlowLogSource``s named by the user, or None to find
them with ``DescribeFlowLogs``."""

FlowLogSource = namedtuple("FlowLogSource", ["name", "bucket", "prefix", "log_group", "fields", "file_format",
                                             "hive_compatible", "per_hour", "flow_log_id", "traffic_type"],
                           defaults=(None, None))
FlowLogSource.__doc__ = """Where one flow log's records are: an S3 ``bucket`` and ``prefix`` (before ``AWSLogs/``) or a
CloudWatch Logs ``log_group``; ``fields``: its format; ``name``: how messages name it. A flow log found with
``DescribeFlowLogs`` also has its ID (which its S3 object names carry) and traffic type (which its log stream names
carry)."""

_S3_URI = re.compile(r"^s3://([a-z0-9][a-z0-9.-]{1,61}[a-z0-9])(?:/(.*))?$")
_DATE_ONLY = re.compile(r"^\d{4}-\d{2}-\d{2}$")


def parse_traffic(value, now=None):
    """The ``TrafficRequest`` of the option's value (a dict, or its JSON or ``key=value`` text), or None."""
    if value is None:
        return None
    items = dict((key, item) for key, item, _where in named_items(
        value, "traffic", "dictionary such as {'days': 30}", "key", allow_empty=False) if item is not None)
    for key in items:
        if key not in TRAFFIC_KEYS:
            raise invalid("traffic", key, "is not an option of traffic: use %s" % ", ".join(TRAFFIC_KEYS))
    now = time.time() if now is None else now
    until = _time(items["until"], "traffic.until", math.ceil) if "until" in items else math.ceil(now)
    if "days" in items and "since" in items:
        raise NetguardAwsError("traffic: give days or since, not both")
    if "days" in items:
        since = until - _days(items["days"]) * DAY
    elif "since" in items:
        since = _time(items["since"], "traffic.since")
    else:
        raise NetguardAwsError("traffic needs the window: give days (such as {'days': 30}) or since")
    if since >= until:
        raise invalid("traffic.since", items.get("since", since), "is not before traffic.until %s: the window "
                      "would be empty" % _shown(items.get("until", until)))
    profile = items.get("profile")
    if profile is not None and (not isinstance(profile, str) or not profile.strip()):
        raise invalid("traffic.profile", profile, "is not an AWS profile name")
    flow_logs = None
    if "flow_logs" in items:
        entries = items["flow_logs"]
        if not isinstance(entries, list) or not entries:
            raise invalid("traffic.flow_logs", entries, "is not a list of flow log destinations, such as "
                          "[{'s3': 's3://bucket/prefix'}] or [{'log_group': 'flow-logs'}]")
        flow_logs = tuple(_source(entry, "traffic.flow_logs[%d]" % index) for index, entry in enumerate(entries))
    return TrafficRequest(since, until, profile, flow_logs)


def _days(value):
    if isinstance(value, str) and value.strip().isdigit():
        value = int(value)
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise invalid("traffic.days", value, "is not a whole number of days of 1 or more")
    return value


def _time(value, option, whole=math.floor):
    """Seconds since the epoch of an ISO 8601 time (``2026-11-01``, ``2026-11-01T00:00:00Z``, with an offset); a
    time without an offset is UTC. ``whole`` rounds a fraction of a second: down for a start, up for an end, so that
    the window holds every record of the times given."""
    if isinstance(value, datetime):
        moment = value
    elif isinstance(value, str):
        text = value.strip()
        if _DATE_ONLY.match(text):
            text += "T00:00:00"
        if text.endswith(("Z", "z")):
            text = text[:-1] + "+00:00"
        try:
            moment = datetime.fromisoformat(text)
        except ValueError:
            moment = None
    else:
        moment = None
    if moment is None:
        raise invalid(option, value, "is not an ISO 8601 time, such as 2026-11-01 or 2026-11-01T12:00:00Z")
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=timezone.utc)
    return int(whole(moment.timestamp()))


def _shown(value):
    return "'%s'" % value if isinstance(value, str) else datetime.fromtimestamp(value, timezone.utc).strftime(
        "%Y-%m-%dT%H:%M:%SZ")


def _source(entry, option):
    items = dict((key, item) for key, item, _where in named_items(
        entry, option, "dictionary such as {'s3': 's3://bucket/prefix'}", "key", allow_empty=False)
        if item is not None)
    for key in items:
        if key not in SOURCE_KEYS:
            raise invalid(option, key, "is not an option of a flow log destination: use %s" % ", ".join(SOURCE_KEYS))
    if ("s3" in items) == ("log_group" in items):
        raise NetguardAwsError("%s needs exactly one of s3 and log_group" % option)
    fields = source_fields(items.get("log_format", DEFAULT_FORMAT), option + ".log_format")
    file_format = items.get("file_format", "plain-text")
    if file_format not in FILE_FORMATS:
        raise invalid(option + ".file_format", file_format, "is not a flow log file format: use %s"
                      % " or ".join(FILE_FORMATS))
    flags = dict((key, _flag(items.get(key, False), "%s.%s" % (option, key))) for key in ("hive_compatible", "per_hour"))
    if "log_group" in items:
        for key in ("file_format", "hive_compatible", "per_hour"):
            if key in items:
                raise NetguardAwsError("%s.%s applies to S3 destinations only, not to log_group" % (option, key))
        group = items["log_group"]
        if not isinstance(group, str) or not group.strip():
            raise invalid(option + ".log_group", group, "is not a CloudWatch Logs group name")
        return FlowLogSource("log group %s" % group, None, None, group, fields, None, False, False)
    found = _S3_URI.match(items["s3"]) if isinstance(items["s3"], str) else None
    if not found:
        raise invalid(option + ".s3", items["s3"], "is not an S3 URI such as s3://bucket/prefix")
    prefix = (found.group(2) or "").strip("/")
    return FlowLogSource(items["s3"], found.group(1), prefix, None, fields, file_format, flags["hive_compatible"],
                         flags["per_hour"])


def source_fields(log_format, option):
    """The fields of a ``log_format`` the analysis can use; refuses one that lacks what it needs."""
    try:
        fields = format_fields(log_format)
    except FormatError as error:
        raise invalid(option, log_format, str(error))
    missing = missing_fields(fields)
    if missing:
        raise invalid(option, log_format, describe_missing(missing))
    return fields


def _flag(value, option):
    try:
        return boolean(value, strict=True)
    except TypeError:
        raise invalid(option, value, "is not true or false")
