"""Which S3 prefixes and objects hold a flow log's records for a window, as AWS lays them out."""

from datetime import datetime, timezone

import pytest

from ansible_collections.netguard.aws.plugins.module_utils.flow_format import DEFAULT_FORMAT, format_fields
from ansible_collections.netguard.aws.plugins.module_utils.flow_layout import LATE, listing_prefixes, wanted
from ansible_collections.netguard.aws.plugins.module_utils.traffic_request import FlowLogSource

FIELDS = format_fields(DEFAULT_FORMAT)
ACCOUNT = "123456789012"


def at(text):
    return int(datetime.strptime(text, "%Y-%m-%dT%H:%M").replace(tzinfo=timezone.utc).timestamp())


def source(prefix="", hive=False, per_hour=False, file_format="plain-text", flow_log_id=None):
    return FlowLogSource("s3", "logs", prefix, None, FIELDS, file_format, hive, per_hour, flow_log_id)


def test_one_prefix_per_day_of_the_window_and_the_hour_after_it():
    prefixes = listing_prefixes(source(), ACCOUNT, "eu-west-1", at("2026-11-29T22:00"), at("2026-12-01T23:30"))
    assert prefixes == ["AWSLogs/123456789012/vpcflowlogs/eu-west-1/2026/11/29/",
                        "AWSLogs/123456789012/vpcflowlogs/eu-west-1/2026/11/30/",
                        "AWSLogs/123456789012/vpcflowlogs/eu-west-1/2026/12/01/",
                        "AWSLogs/123456789012/vpcflowlogs/eu-west-1/2026/12/02/"]


def test_hourly_and_hive_compatible_prefixes_under_a_prefix():
    prefixes = listing_prefixes(source("vpc/prod", hive=True, per_hour=True), ACCOUNT, "us-east-1",
                                at("2026-12-04T22:10"), at("2026-12-04T23:00"))
    base = "vpc/prod/AWSLogs/aws-account-id=123456789012/aws-service=vpcflowlogs/aws-region=us-east-1/"
    assert prefixes == [base + "year=2026/month=12/day=04/hour=22/", base + "year=2026/month=12/day=04/hour=23/",
                        base + "year=2026/month=12/day=05/hour=00/"]
    assert listing_prefixes(source(per_hour=True), ACCOUNT, "us-east-1", at("2026-12-04T09:00"),
                            at("2026-12-04T09:30")) == [
        "AWSLogs/123456789012/vpcflowlogs/us-east-1/2026/12/04/09/",
        "AWSLogs/123456789012/vpcflowlogs/us-east-1/2026/12/04/10/"]


@pytest.mark.parametrize("name, expected", [
    ("123456789012_vpcflowlogs_us-east-1_fl-0abc_20261204T1005Z_a1b2c3d4.log.gz", True),
    # Written at the window's start, and LATE after its end: both may hold its records.
    ("123456789012_vpcflowlogs_us-east-1_fl-0abc_20261204T1000Z_a1b2c3d4.log.gz", True),
    ("123456789012_vpcflowlogs_us-east-1_fl-0abc_20261204T1300Z_a1b2c3d4.log.gz", True),
    ("123456789012_vpcflowlogs_us-east-1_fl-0abc_20261204T0955Z_a1b2c3d4.log.gz", False),
    ("123456789012_vpcflowlogs_us-east-1_fl-0abc_20261204T1305Z_a1b2c3d4.log.gz", False),
    # Another flow log's object in the same prefix.
    ("123456789012_vpcflowlogs_us-east-1_fl-0def_20261204T1005Z_a1b2c3d4.log.gz", False),
    ("123456789012_vpcflowlogs_us-east-1_fl-0abc_20261204T1005Z_a1b2c3d4.log.parquet", False),
    # Nor one that does not carry the flow log's ID.
    ("export.log.gz", False),
])
def test_objects_of_the_flow_log_written_in_the_window(name, expected):
    since, until = at("2026-12-04T10:00"), at("2026-12-04T12:00")
    assert until + LATE == at("2026-12-04T13:00")
    assert wanted("AWSLogs/x/" + name, source(flow_log_id="fl-0abc"), since, until) is expected


def test_named_sources_read_every_object_of_their_format():
    since, until = at("2026-12-04T10:00"), at("2026-12-04T12:00")
    assert wanted("a/export.log.gz", source(), since, until) is True
    assert wanted("a/1_vpcflowlogs_r_fl-1_20261204T1005Z_x.log.parquet", source(file_format="parquet"), since,
                  until) is True
    assert wanted("a/1_vpcflowlogs_r_fl-1_20261204T1005Z_x.log.gz", source(file_format="parquet"), since,
                  until) is False
