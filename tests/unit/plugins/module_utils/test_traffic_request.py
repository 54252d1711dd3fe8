"""The traffic option and the options that need it: hostile input is refused before any client exists, naming the
option and the value."""

from datetime import datetime, timezone

import pytest

from ansible_collections.netguard.aws.plugins.module_utils.errors import NetguardAwsError
from ansible_collections.netguard.aws.plugins.module_utils.flow_format import DEFAULT_FORMAT, format_fields
from ansible_collections.netguard.aws.plugins.module_utils.request import parse_info_request, parse_revoke_request
from ansible_collections.netguard.aws.plugins.module_utils.traffic_request import (
    FlowLogSource,
    TrafficRequest,
    parse_traffic,
)

GROUP = "sg-0123456789abcdef0"
NOW = datetime(2026, 12, 5, 12, 0, tzinfo=timezone.utc).timestamp()
DAY = 86400


def refused(value):
    with pytest.raises(NetguardAwsError) as raised:
        parse_traffic(value, NOW)
    return raised.value.msg


def revoke_refused(**params):
    with pytest.raises(NetguardAwsError) as raised:
        parse_revoke_request(dict({"group_id": GROUP}, **params))
    return raised.value.msg


@pytest.mark.parametrize("value, window", [
    ({"days": 30}, (NOW - 30 * DAY, NOW)),
    ("days=7", (NOW - 7 * DAY, NOW)),
    ({"days": "2"}, (NOW - 2 * DAY, NOW)),
    ({"since": "2026-11-01", "until": "2026-11-02T00:00:00Z"}, (NOW - 34.5 * DAY, NOW - 33.5 * DAY)),
    ({"since": "2026-12-05T13:00:00+02:00"}, (NOW - 3600, NOW)),
    ({"since": "2026-12-05T11:00:00"}, (NOW - 3600, NOW)),
    ({"days": 1, "until": "2026-12-04T12:00:00Z"}, (NOW - 2 * DAY, NOW - DAY)),
    # A fraction of a second widens the window to whole seconds.
    ({"since": "2026-12-05T10:59:59.500Z", "until": "2026-12-05T11:00:00.200Z"}, (NOW - 3601, NOW - 3599)),
])
def test_the_window(value, window):
    parsed = parse_traffic(value, NOW)
    assert (parsed.since, parsed.until) == window
    assert (parsed.profile, parsed.flow_logs) == (None, None)


def test_flow_logs_named_with_their_destination_options():
    parsed = parse_traffic({"days": 1, "profile": "log-archive", "flow_logs": [
        {"s3": "s3://central-logs/vpc/prod/", "file_format": "parquet", "hive_compatible": True, "per_hour": "yes"},
        {"log_group": "flow-logs", "log_format": "${interface-id} ${srcaddr} ${dstaddr} ${dstport} ${protocol} "
                                                 "${action} ${start} ${end} ${log-status}"}]}, NOW)
    default = format_fields(DEFAULT_FORMAT)
    assert parsed == TrafficRequest(NOW - DAY, NOW, "log-archive", (
        FlowLogSource("s3://central-logs/vpc/prod/", "central-logs", "vpc/prod", None, default, "parquet", True, True),
        FlowLogSource("log group flow-logs", None, None, "flow-logs", (
            "interface-id", "srcaddr", "dstaddr", "dstport", "protocol", "action", "start", "end", "log-status"),
            None, False, False)))


@pytest.mark.parametrize("value, message", [
    ({"days": 0}, "traffic.days 0 is not a whole number of days of 1 or more"),
    ({"days": -1}, "traffic.days -1 is not a whole number of days of 1 or more"),
    ({"days": "a month"}, "traffic.days 'a month' is not a whole number of days of 1 or more"),
    ({"days": 1.5}, "traffic.days 1.5 is not a whole number of days of 1 or more"),
    ({"days": True}, "traffic.days True is not a whole number of days of 1 or more"),
    ({"since": "2026-12-06", "until": "2026-12-05"},
     "traffic.since '2026-12-06' is not before traffic.until '2026-12-05': the window would be empty"),
    ({"since": "2026-12-05T12:00:00Z"},
     "traffic.since '2026-12-05T12:00:00Z' is not before traffic.until 2026-12-05T12:00:00Z: the window would be "
     "empty"),
    ({"since": "yesterday"}, "traffic.since 'yesterday' is not an ISO 8601 time, such as 2026-11-01 or "
                             "2026-11-01T12:00:00Z"),
    ({"days": 1, "since": "2026-12-01"}, "traffic: give days or since, not both"),
    ({"until": "2026-12-01"}, "traffic needs the window: give days (such as {'days': 30}) or since"),
    ({"days": 30, "window": "month"}, "traffic 'window' is not an option of traffic: use days, since, until, profile, "
                                      "flow_logs"),
    ("thirty days", "traffic 'thirty days' is not a dictionary such as {'days': 30}"),
    ({}, "traffic {} is not a dictionary such as {'days': 30}"),
    ({"days": 1, "profile": ""}, "traffic.profile '' is not an AWS profile name"),
    ({"days": 1, "flow_logs": []}, "traffic.flow_logs [] is not a list of flow log destinations, such as "
                                   "[{'s3': 's3://bucket/prefix'}] or [{'log_group': 'flow-logs'}]"),
    ({"days": 1, "flow_logs": [{"s3": "central-logs/vpc"}]},
     "traffic.flow_logs[0].s3 'central-logs/vpc' is not an S3 URI such as s3://bucket/prefix"),
    ({"days": 1, "flow_logs": [{"s3": "https://central-logs.s3.amazonaws.com/"}]},
     "traffic.flow_logs[0].s3 'https://central-logs.s3.amazonaws.com/' is not an S3 URI such as s3://bucket/prefix"),
    ({"days": 1, "flow_logs": [{"s3": "s3://logs", "log_format": (
        "${interface-id} ${srcaddr} ${dstaddr} ${protocol} ${action} ${start} ${end}")}]},
     "traffic.flow_logs[0].log_format '${interface-id} ${srcaddr} ${dstaddr} ${protocol} ${action} ${start} ${end}' "
     "lacks ${dstport}, ${log-status}, which the traffic analysis needs"),
    ({"days": 1, "flow_logs": [{"s3": "s3://logs", "log_format": "${interface-id} ${dst-port}"}]},
     "traffic.flow_logs[0].log_format '${interface-id} ${dst-port}' has the field ${dst-port}, which VPC Flow Logs "
     "does not define"),
    ({"days": 1, "flow_logs": [{"s3": "s3://logs", "log_format": "interface-id srcaddr"}]},
     "traffic.flow_logs[0].log_format 'interface-id srcaddr' has interface-id, which is not a field: write each "
     "field as ${name}, such as ${dstport}"),
    ({"days": 1, "flow_logs": [{"s3": "s3://logs", "file_format": "csv"}]},
     "traffic.flow_logs[0].file_format 'csv' is not a flow log file format: use plain-text or parquet"),
    ({"days": 1, "flow_logs": [{"s3": "s3://logs", "per_hour": "sometimes"}]},
     "traffic.flow_logs[0].per_hour 'sometimes' is not true or false"),
    ({"days": 1, "flow_logs": [{"s3": "s3://logs", "log_group": "flow-logs"}]},
     "traffic.flow_logs[0] needs exactly one of s3 and log_group"),
    ({"days": 1, "flow_logs": [{"log_group": "flow-logs", "per_hour": True}]},
     "traffic.flow_logs[0].per_hour applies to S3 destinations only, not to log_group"),
    ({"days": 1, "flow_logs": [{"s3": "s3://logs", "bucket": "logs"}]},
     "traffic.flow_logs[0] 'bucket' is not an option of a flow log destination: use s3, log_group, log_format, "
     "file_format, hive_compatible, per_hour"),
])
def test_hostile_traffic_is_refused_naming_option_and_value(value, message):
    assert refused(value) == message


def test_unused_and_require_no_traffic_need_traffic():
    assert revoke_refused(rule_filters={"unused": True}) == (
        "rule_filters.unused needs traffic, the window of flow logs to look at, such as traffic: {days: 30}")
    assert revoke_refused(revoke_all=True, keep=[{"unused": True}]) == (
        "keep: unused needs traffic, the window of flow logs to look at, such as traffic: {days: 30}")
    assert revoke_refused(revoke_all=True, require_no_traffic=True) == (
        "require_no_traffic needs traffic, the window of flow logs to look at, such as traffic: {days: 30}")
    with pytest.raises(NetguardAwsError) as raised:
        parse_info_request({"rule_filters": {"unused": True}})
    assert raised.value.msg.startswith("rule_filters.unused needs traffic")
    assert revoke_refused(rule_filters={"unused": False}, traffic={"days": 1}) == (
        "rule_filters.unused False is not accepted: only true is, to take rules that carried no flow in the traffic "
        "window; leave unused out to take rules whether or not traffic used them")


def test_a_request_with_traffic_carries_it_and_the_guard():
    request, _warnings = parse_revoke_request({"group_id": GROUP, "rule_filters": {"unused": True},
                                               "require_no_traffic": True, "traffic": {"days": 30}})
    assert request.guards.require_no_traffic is True
    assert request.traffic.until - request.traffic.since == 30 * DAY
