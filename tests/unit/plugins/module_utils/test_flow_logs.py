"""Which flow log is read for each interface, and the reasons an interface's evidence is incomplete."""

from datetime import datetime, timezone

from ansible_collections.netguard.aws.plugins.module_utils.flow_format import DEFAULT_FORMAT, format_fields
from ansible_collections.netguard.aws.plugins.module_utils.flow_logs import choose_sources
from ansible_collections.netguard.aws.plugins.module_utils.traffic import Interface
from ansible_collections.netguard.aws.plugins.module_utils.traffic_request import FlowLogSource

SINCE = datetime(2026, 11, 5, tzinfo=timezone.utc)
BEFORE = datetime(2026, 10, 1, tzinfo=timezone.utc)
A = Interface("eni-0000000000000000a", ("sg-1",), frozenset(["10.0.1.10"]), "subnet-1", "vpc-1", "123456789012")
B = Interface("eni-0000000000000000b", ("sg-1",), frozenset(["10.0.2.10"]), "subnet-2", "vpc-1", "123456789012")
C = Interface("eni-0000000000000000c", ("sg-1",), frozenset(["10.9.0.10"]), "subnet-9", "vpc-9", "123456789012")


def flow_log(flow_log_id, resource, **more):
    return dict({"FlowLogId": flow_log_id, "ResourceId": resource, "CreationTime": BEFORE, "FlowLogStatus": "ACTIVE",
                 "DeliverLogsStatus": "SUCCESS", "TrafficType": "ALL", "LogDestinationType": "s3",
                 "LogDestination": "arn:aws:s3:::logs/vpc/prod", "LogFormat": DEFAULT_FORMAT}, **more)


def test_the_most_specific_flow_log_that_covers_the_window_is_read_once_for_all_its_interfaces():
    sources, reasons = choose_sources([A, B, C], [
        flow_log("fl-vpc", "vpc-1", DestinationOptions={"FileFormat": "parquet", "HiveCompatiblePartitions": True,
                                                        "PerHourPartition": True}),
        flow_log("fl-eni", A.interface_id, LogDestinationType="cloud-watch-logs", LogGroupName="eni-logs",
                 LogDestination="arn:aws:logs:us-east-1:123456789012:log-group:eni-logs", TrafficType="ACCEPT"),
    ], SINCE.timestamp())
    assert sources == {
        "fl-eni": (FlowLogSource("flow log fl-eni", None, None, "eni-logs", format_fields(DEFAULT_FORMAT), None,
                                 False, False, "fl-eni", "ACCEPT"), [A.interface_id]),
        "fl-vpc": (FlowLogSource("flow log fl-vpc", "logs", "vpc/prod", None, format_fields(DEFAULT_FORMAT),
                                 "parquet", True, True, "fl-vpc", "ALL"), [B.interface_id]),
    }
    assert reasons == {C.interface_id: ["eni-0000000000000000c has no flow log (on the interface, its subnet "
                                        "subnet-9 or its VPC vpc-9)"]}


def test_a_flow_log_that_cannot_show_the_window_gives_way_to_one_that_can():
    sources, reasons = choose_sources([A], [flow_log("fl-new", A.interface_id, CreationTime=datetime(
        2026, 11, 20, tzinfo=timezone.utc)), flow_log("fl-subnet", "subnet-1")], SINCE.timestamp())
    assert list(sources) == ["fl-subnet"] and reasons == {}


def test_every_covering_flow_log_says_why_it_cannot_show_the_window():
    _sources, reasons = choose_sources([A], [
        flow_log("fl-1", A.interface_id, CreationTime=datetime(2026, 11, 20, tzinfo=timezone.utc)),
        flow_log("fl-2", A.interface_id, FlowLogStatus="INACTIVE"),
        flow_log("fl-3", "subnet-1", DeliverLogsStatus="FAILED", DeliverLogsErrorMessage="Access error"),
        flow_log("fl-4", "subnet-1", DeliverLogsStatus="FAILED"),
        flow_log("fl-5", "vpc-1", TrafficType="REJECT"),
        flow_log("fl-6", "vpc-1", LogFormat="${interface-id} ${srcaddr} ${dstaddr} ${protocol} ${action} ${start} "
                                            "${end} ${log-status}"),
        flow_log("fl-7", "vpc-1", LogFormat="${interface-id} ${color}"),
        flow_log("fl-8", "vpc-1", LogDestinationType="kinesis-data-firehose"),
    ], SINCE.timestamp())
    assert reasons == {A.interface_id: [
        "eni-0000000000000000a: flow log fl-1 (on eni-0000000000000000a) was created at 2026-11-20T00:00:00Z, after "
        "the window's start 2026-11-05T00:00:00Z",
        "eni-0000000000000000a: flow log fl-2 (on eni-0000000000000000a) is INACTIVE, not ACTIVE",
        "eni-0000000000000000a: flow log fl-3 (on subnet-1) fails to deliver its records (Access error)",
        "eni-0000000000000000a: flow log fl-4 (on subnet-1) fails to deliver its records (FAILED)",
        "eni-0000000000000000a: flow log fl-5 (on vpc-1) captures rejected traffic only",
        "eni-0000000000000000a: flow log fl-6 (on vpc-1) has a format that lacks ${dstport}, which the traffic "
        "analysis needs",
        "eni-0000000000000000a: flow log fl-7 (on vpc-1) has a format that cannot be read: has the field ${color}, "
        "which VPC Flow Logs does not define",
        "eni-0000000000000000a: flow log fl-8 (on vpc-1) delivers to kinesis-data-firehose, which cannot be read "
        "here: name its records' copy in traffic.flow_logs",
    ]}


def test_a_flow_log_created_exactly_at_the_start_and_aws_defaults():
    sources, reasons = choose_sources([A], [{"FlowLogId": "fl-1", "ResourceId": "vpc-1", "CreationTime": SINCE,
                                             "LogGroupName": "vpc-logs"}], SINCE.timestamp())
    assert reasons == {}
    assert sources["fl-1"][0] == FlowLogSource("flow log fl-1", None, None, "vpc-logs", format_fields(DEFAULT_FORMAT),
                                               None, False, False, "fl-1", "ALL")
