"""Traffic evidence from VPC Flow Logs, against moto's in-process EC2, S3 and CloudWatch Logs.

Flow log records are written in AWS's formats (tests/support/flow_logs.py): moto writes none. What moto's
DescribeFlowLogs lacks (DestinationOptions, an S3 prefix, a failing or inactive flow log) is added to its answers at
botocore's client, as AWS returns them.
"""

import time

import boto3
import pytest
from botocore.client import BaseClient

from ansible_collections.netguard.aws.plugins.module_utils.traffic import iso
from ansible_collections.netguard.aws.plugins.modules import ec2_security_group_egress_info

from ....support.flow_estate import BUCKET, Estate, busy_records
from ....support.flow_logs import CUSTOM_FIELDS, DEFAULT_FIELDS, flow, no_data, skip_data
from ....support.traffic_reference import flow_order

REGION = "us-east-1"


@pytest.fixture
def estate(ec2):
    return Estate(ec2, boto3.client("s3", region_name=REGION), boto3.client("logs", region_name=REGION))


@pytest.fixture
def flow_log_answers(monkeypatch):
    """``{flow_log_id: {key: value}}`` merged into moto's DescribeFlowLogs answers, as AWS would answer."""
    changes = {}
    original = BaseClient._make_api_call

    def answered(client, operation_name, api_params):
        response = original(client, operation_name, api_params)
        if operation_name == "DescribeFlowLogs":
            for entry in response.get("FlowLogs", ()):
                entry.update(changes.get(entry["FlowLogId"], {}))
        return response

    monkeypatch.setattr(BaseClient, "_make_api_call", answered)
    return changes


def assert_as_reference(result, reference):
    """Every listed rule's traffic is the reference model's (flows tied on packets in any order)."""
    for group in result["security_groups"]:
        for rule in group["egress_rules"]:
            found, expected = dict(rule["traffic"]), reference.rule_traffic(rule["security_group_rule_id"])
            top, expected_top = found.pop("top_destinations"), expected.pop("top_destinations")
            assert found == expected, rule["display"]
            assert sorted(top, key=flow_order) == sorted(expected_top, key=flow_order), rule["display"]
            assert [one["packets"] for one in top] == sorted((one["packets"] for one in top), reverse=True)


def traffic_of(result):
    """``{rule_id: traffic}`` of the info module's only group."""
    (group,) = result["security_groups"]
    return dict((rule["security_group_rule_id"], rule["traffic"]) for rule in group["egress_rules"])


def test_info_traffic_per_rule_from_s3_text_in_the_default_format(estate, run_module):
    flow_log_id = estate.flow_log_to_s3()
    since, until = estate.window()
    start = since + 60
    records = busy_records(estate, start)
    estate.put_s3(flow_log_id, DEFAULT_FIELDS, records, start + 900)
    result = run_module(module=ec2_security_group_egress_info, group_id=[estate.web, estate.db],
                        traffic={"since": iso(since), "until": iso(until)})
    assert_as_reference(result, estate.reference(DEFAULT_FIELDS, records, since, until))
    result["security_groups"] = result["security_groups"][:1]
    traffic = traffic_of(result)
    a = estate.enis["a"]
    allow_all, https = traffic[estate.rule("-1 -1 0.0.0.0/0")], traffic[estate.rule("tcp 443 52.94.0.0/16")]
    assert (allow_all["flows"], allow_all["packets"], allow_all["only_rule_for"]) == (5, 45, 1)
    assert allow_all["first_seen"] == iso(start) and allow_all["last_seen"] == iso(start + 660)
    assert [(one["destination"], one["port"], one["packets"]) for one in allow_all["top_destinations"]] == [
        ("52.94.1.1", 443, 25), ("10.0.1.20", 5432, 9), ("54.231.5.5", 443, 7), ("1.1.1.1", 123, 2),
        ("8.8.8.8", 53, 2)]
    assert https == {"flows": 1, "packets": 25, "bytes": 4500, "first_seen": iso(start), "last_seen": iso(start + 660),
                     "only_rule_for": 0, "top_destinations": [
                         {"interface": a, "protocol": "tcp", "destination": "52.94.1.1", "port": 443, "packets": 25,
                          "bytes": 4500, "last_seen": iso(start + 660)}]}
    assert traffic[estate.rule("tcp 5432 DB")]["flows"] == 1
    assert traffic[estate.rule("tcp 443 PL")]["flows"] == 1
    assert traffic[estate.rule("icmp 8 10.0.0.0/8")]["flows"] == 0
    assert result["security_groups"][0]["traffic_coverage"] == {
        "complete": True, "since": iso(since), "until": iso(until), "interfaces": 2, "logged_interfaces": 2,
        "reasons": []}


def test_unused_selects_the_rules_that_carried_nothing(estate, run_module, api_calls):
    flow_log_id = estate.flow_log_to_s3()
    since, until = estate.window()
    records = busy_records(estate, since + 60)
    estate.put_s3(flow_log_id, DEFAULT_FIELDS, records, since + 900)
    result = run_module(check_mode=True, diff=True, group_id=estate.web, rule_filters={"unused": True},
                        traffic={"since": iso(since), "until": iso(until)})
    reference = estate.reference(DEFAULT_FIELDS, records, since, until)
    assert [rule["security_group_rule_id"] for rule in result["revoked_rules"]] == [
        estate.rule("icmp 8 10.0.0.0/8")] == sorted(reference.unused(estate.web))
    assert result["cut_flows"] == []
    assert "carried no flow from %s to %s" % (iso(since), iso(until)) in result["diff"]["before"]
    assert not any(name == "RevokeSecurityGroupEgress" and not params.get("DryRun") for name, params in api_calls)


def test_require_no_traffic_refuses_with_the_flows_the_plan_cuts(estate, run_module, api_calls):
    flow_log_id = estate.flow_log_to_s3()
    since, until = estate.window()
    start = since + 60
    records = busy_records(estate, start)
    estate.put_s3(flow_log_id, DEFAULT_FIELDS, records, start + 900)
    result = run_module(group_id=estate.web, protocol="all", cidr=["0.0.0.0/0"], require_no_traffic=True,
                        traffic={"since": iso(since), "until": iso(until)})
    assert result["failed"] is True
    reference = estate.reference(DEFAULT_FIELDS, records, since, until)
    assert result["cut_flows"] == reference.cut_entries(estate.web, {estate.rule("-1 -1 0.0.0.0/0")})
    a = estate.enis["a"]
    # b's DNS stays allowed by its other group's allow-all rule.
    assert result["cut_flows"] == [{"interface": a, "protocol": "udp", "destination": "1.1.1.1", "port": 123,
                                    "packets": 2, "bytes": 152, "last_seen": iso(start + 420)}]
    assert result["msg"] == (
        "require_no_traffic: revoking 1 egress rule from %s would cut 1 observed flow seen in the flow logs: "
        "%s udp -> 1.1.1.1 port 123 (2 packets, last seen %s); nothing was revoked from %s"
        % (estate.web, a, iso(start + 420), estate.web))
    assert [name for name, _params in api_calls if name in ("RevokeSecurityGroupEgress",)] == []
    assert result["traffic_coverage"]["complete"] is True


def test_custom_format_in_cloudwatch_logs_with_direction_and_flags(estate, run_module):
    """Replies told by tcp-flags (SYN-ACK) and by ports; the reverse record of an outbound connection does not make
    it a reply."""
    estate.flow_log_to_group(CUSTOM_FIELDS)
    since, until = estate.window()
    start = since + 60
    a = estate.enis["a"]
    records = [
        # An outbound connection from a service port to an ephemeral one, started here: SYN, so sent.
        flow(a, "10.0.1.10", "52.94.2.2", 8080, 40000, start, flow_direction="egress", tcp_flags=2, packets=4),
        # The SYN-ACK of an inbound connection: a reply.
        flow(a, "10.0.1.10", "52.94.3.3", 443, 51000, start, flow_direction="egress", tcp_flags=18, packets=6),
        # No flags, service port to ephemeral port, with its reverse record: a reply.
        flow(a, "10.0.1.10", "52.94.4.4", 443, 52000, start + 60, flow_direction="egress", tcp_flags=0, packets=7),
        flow(a, "52.94.4.4", "10.0.1.10", 52000, 443, start + 60, flow_direction="ingress", tcp_flags=0),
        # No flags, ephemeral port out to 443, with the reverse record on the ephemeral port: sent.
        flow(a, "10.0.1.10", "52.94.5.5", 45000, 443, start + 120, flow_direction="egress", tcp_flags=0, packets=9),
        flow(a, "52.94.5.5", "10.0.1.10", 443, 45000, start + 120, flow_direction="ingress", tcp_flags=0),
    ]
    estate.put_events(CUSTOM_FIELDS, records)
    result = run_module(module=ec2_security_group_egress_info, group_id=[estate.web],
                        traffic={"since": iso(since), "until": iso(until)})
    assert_as_reference(result, estate.reference(CUSTOM_FIELDS, records, since, until))
    https = traffic_of(result)[estate.rule("tcp 443 52.94.0.0/16")]
    assert [(one["destination"], one["packets"]) for one in https["top_destinations"]] == [("52.94.5.5", 9)]
    allow_all = traffic_of(result)[estate.rule("-1 -1 0.0.0.0/0")]
    assert sorted(one["destination"] for one in allow_all["top_destinations"]) == ["52.94.2.2", "52.94.5.5"]


@pytest.mark.parametrize("hive, per_hour", [(True, False), (False, True), (True, True)])
def test_hive_compatible_and_hourly_layouts_under_a_prefix(estate, run_module, flow_log_answers, hive, per_hour):
    flow_log_id = estate.flow_log_to_s3()
    flow_log_answers[flow_log_id] = {"LogDestination": "arn:aws:s3:::%s/vpc/prod" % BUCKET, "DestinationOptions": {
        "FileFormat": "plain-text", "HiveCompatiblePartitions": hive, "PerHourPartition": per_hour}}
    since, until = estate.window()
    start = since + 60
    estate.put_s3(flow_log_id, DEFAULT_FIELDS, busy_records(estate, start), start + 900, prefix="vpc/prod",
                  hive=hive, per_hour=per_hour)
    # The default layout, where this flow log does not write: never read.
    estate.put_s3(flow_log_id, DEFAULT_FIELDS, [flow(estate.enis["a"], "10.0.1.10", "52.94.9.9", 40000, 443, start)],
                  start + 900, prefix="vpc/prod", hive=not hive, per_hour=not per_hour)
    result = run_module(module=ec2_security_group_egress_info, group_id=[estate.web],
                        traffic={"since": iso(since), "until": iso(until)})
    assert_as_reference(result, estate.reference(DEFAULT_FIELDS, busy_records(estate, start), since, until))
    assert traffic_of(result)[estate.rule("tcp 443 52.94.0.0/16")]["packets"] == 25


def test_parquet_named_in_flow_logs(estate, run_module):
    flow_log_id = estate.flow_log_to_s3()
    since, until = estate.window()
    start = since + 60
    estate.put_s3(flow_log_id, DEFAULT_FIELDS, busy_records(estate, start), start + 900, prefix="central", parquet=True)
    result = run_module(module=ec2_security_group_egress_info, group_id=[estate.web],
                        traffic={"since": iso(since), "until": iso(until), "flow_logs": [
                            {"s3": "s3://%s/central" % BUCKET, "file_format": "parquet"}]})
    assert_as_reference(result, estate.reference(DEFAULT_FIELDS, busy_records(estate, start), since, until))
    assert traffic_of(result)[estate.rule("tcp 443 52.94.0.0/16")]["packets"] == 25
    assert result["security_groups"][0]["traffic_coverage"]["complete"] is True


def test_parquet_without_pyarrow_fails_before_any_call(estate, run_module, api_calls, monkeypatch):
    from ansible_collections.netguard.aws.plugins.module_utils import flow_readers
    monkeypatch.setattr(flow_readers, "HAS_PYARROW", False)
    result = run_module(group_id=estate.web, revoke_all=True, traffic={"days": 1, "flow_logs": [
        {"s3": "s3://%s/central" % BUCKET, "file_format": "parquet"}]})
    assert result["failed"] is True
    assert "pyarrow" in result["msg"]
    assert [name for name, _params in api_calls if name.startswith(("Revoke", "Authorize"))] == []


def refusal(run_module, estate, since, until, **traffic):
    result = run_module(group_id=estate.web, revoke_all=True, require_no_traffic=True,
                        traffic=dict(traffic, since=iso(since), until=iso(until)))
    assert result["failed"] is True, result
    assert result["traffic_coverage"]["complete"] is False
    return result["traffic_coverage"]["reasons"], result["msg"]


def test_each_cause_of_incomplete_coverage_refuses_with_its_reason(estate, run_module, flow_log_answers, api_calls):
    a, b = estate.enis["a"], estate.enis["b"]
    # No flow log at all.
    since = int(time.time()) // 60 * 60 - 3600
    reasons, msg = refusal(run_module, estate, since, since + 3600)
    assert reasons == ["%s has no flow log (on the interface, its subnet %s or its VPC %s)"
                       % (eni, estate.subnet, estate.vpc) for eni in sorted([a, b])]
    assert msg.startswith("require_no_traffic: the flow logs of %s do not show all its traffic" % estate.web)
    # A flow log created after the window's start.
    flow_log_id = estate.flow_log_to_s3()
    reasons, _msg = refusal(run_module, estate, since, since + 7200)
    assert reasons[0].startswith("%s: flow log %s (on %s) was created at " % (min(a, b), flow_log_id, estate.vpc))
    since, until = estate.window()
    for answer, reason in (
            ({"FlowLogStatus": "INACTIVE"}, "is INACTIVE, not ACTIVE"),
            ({"DeliverLogsStatus": "FAILED", "DeliverLogsErrorMessage": "Access error"},
             "fails to deliver its records (Access error)"),
            ({"TrafficType": "REJECT"}, "captures rejected traffic only"),
            ({"LogFormat": "${interface-id} ${srcaddr} ${dstaddr} ${protocol} ${action} ${start} ${end} ${log-status}"},
             "has a format that lacks ${dstport}, which the traffic analysis needs")):
        flow_log_answers[flow_log_id] = answer
        reasons, _msg = refusal(run_module, estate, since, until)
        assert reasons == ["%s: flow log %s (on %s) %s" % (eni, flow_log_id, estate.vpc, reason)
                           for eni in sorted([a, b])]
    flow_log_answers.clear()
    # SKIPDATA in the window.
    estate.put_s3(flow_log_id, DEFAULT_FIELDS, [skip_data(a, since + 60), no_data(b, since + 60)], since + 900)
    reasons, _msg = refusal(run_module, estate, since, until)
    assert reasons == ["%s: flow log %s has SKIPDATA records in the window: some of its flows were not logged"
                       % (a, flow_log_id)]
    # Named flow logs: an interface with no record at all.
    reasons, _msg = refusal(run_module, estate, since, until, flow_logs=[{"s3": "s3://%s" % BUCKET}])
    assert "%s has no record at all in the window in traffic.flow_logs, not even NODATA: its flow log may not " \
           "cover it" % b not in reasons
    assert any(reason.startswith("%s: s3://%s has SKIPDATA" % (a, BUCKET)) for reason in reasons)
    assert [name for name, _params in api_calls if name.startswith("Revoke")] == []


def test_check_mode_and_diff_show_what_each_removed_rule_carried(estate, run_module, api_calls):
    flow_log_id = estate.flow_log_to_s3()
    since, until = estate.window()
    start = since + 60
    estate.put_s3(flow_log_id, DEFAULT_FIELDS, busy_records(estate, start), start + 900)
    result = run_module(check_mode=True, diff=True, group_id=estate.web, protocol="all", cidr=["0.0.0.0/0"],
                        traffic={"since": iso(since), "until": iso(until)})
    a = estate.enis["a"]
    assert result["changed"] is True and result["check_mode"] is True
    assert [(one["interface"], one["destination"], one["port"]) for one in result["cut_flows"]] == [(a, "1.1.1.1", 123)]
    rule_id = estate.rule("-1 -1 0.0.0.0/0")
    assert "%s  all  -> 0.0.0.0/0\n    carried 5 flows (45 packets, last seen %s)\n    cuts %s udp -> 1.1.1.1 port 123 " \
           "(2 packets, last seen %s)\n" % (rule_id, iso(start + 660), a, iso(start + 420)) in result["diff"]["before"]
    assert "carried" not in result["diff"]["after"]
    assert [params.get("DryRun") for name, params in api_calls if name == "RevokeSecurityGroupEgress"] == [True]


@pytest.mark.parametrize("args", [
    dict(revoke_all=True, traffic={"days": 0}),
    dict(revoke_all=True, traffic={"since": "2026-12-06", "until": "2026-12-05"}),
    dict(revoke_all=True, traffic={"days": 1, "flow_logs": [{"s3": "logs/prefix"}]}),
    dict(rule_filters={"unused": True}),
    dict(revoke_all=True, require_no_traffic=True),
])
def test_hostile_traffic_input_fails_before_any_call(run_module, api_calls, args):
    result = run_module(group_id="sg-0123456789abcdef0", **args)
    assert result["failed"] is True
    assert api_calls == []


def test_a_log_stream_that_does_not_exist_is_a_reason_as_aws_refuses_it(estate, run_module, monkeypatch):
    """AWS refuses FilterLogEvents naming a stream that does not exist (moto leaves it out): the streams that exist
    are read one by one, and an interface without its stream is not covered."""
    from botocore.exceptions import ClientError

    flow_log_id = estate.flow_log_to_group(CUSTOM_FIELDS)
    since, until = estate.window()
    a, b = estate.enis["a"], estate.enis["b"]
    estate.put_events(CUSTOM_FIELDS, [flow(a, "10.0.1.10", "52.94.5.5", 45000, 443, since + 60,
                                           flow_direction="egress", tcp_flags=2, packets=9)])
    original = BaseClient._make_api_call

    def as_aws(client, operation_name, api_params):
        if operation_name == "FilterLogEvents" and api_params.get("logStreamNames"):
            streams = estate.logs.describe_log_streams(logGroupName=api_params["logGroupName"])["logStreams"]
            known = set(stream["logStreamName"] for stream in streams)
            if not set(api_params["logStreamNames"]) <= known:
                raise ClientError({"Error": {"Code": "ResourceNotFoundException",
                                             "Message": "The specified log stream does not exist."}}, operation_name)
        return original(client, operation_name, api_params)

    monkeypatch.setattr(BaseClient, "_make_api_call", as_aws)
    result = run_module(module=ec2_security_group_egress_info, group_id=[estate.web],
                        traffic={"since": iso(since), "until": iso(until)})
    assert traffic_of(result)[estate.rule("tcp 443 52.94.0.0/16")]["packets"] == 9
    assert result["security_groups"][0]["traffic_coverage"]["reasons"] == [
        "%s: flow log %s has no log stream %s-all in log group flow-logs: none of its records were delivered"
        % (b, flow_log_id, b)]


def test_a_log_group_that_does_not_exist_fails_rather_than_read_as_silence(estate, run_module, api_calls):
    result = run_module(group_id=estate.web, revoke_all=True, traffic={"days": 1, "flow_logs": [
        {"log_group": "no-such-group"}]})
    assert result["failed"] is True
    assert result["msg"] == "log group no-such-group does not exist in us-east-1"
    assert [name for name, _params in api_calls if name.startswith("Revoke")] == []
