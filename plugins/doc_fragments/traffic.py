# -*- coding: utf-8 -*-
# Copyright: Contributors to the netguard.aws collection
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)


class ModuleDocFragment:
    # The traffic option of the revoke and info modules: evidence from VPC Flow Logs.
    DOCUMENTATION = r"""
options:
  traffic:
    description:
      - Read what the VPC Flow Logs of the interfaces behind the selected groups show over a window, and report for
        each group which flows its rules carried. See C(docs/matching.md) in the collection for what counts as a flow
        a rule carries (replies to inbound connections do not), and how coverage is judged.
      - A dictionary (or its JSON or C(key=value) text). Give O(traffic.days), or O(traffic.since) (and optionally
        O(traffic.until)).
      - By default the flow logs are found with C(DescribeFlowLogs) for each interface (a flow log on the interface,
        its subnet or its VPC) and read from their destination, S3 or CloudWatch Logs, with the format and
        destination options each declares.
      - Evidence that is incomplete (an interface without a flow log that covers the whole window with its accepted
        traffic, C(SKIPDATA) records, records that cannot be read) never reads as no traffic; each reason is listed
        in C(traffic_coverage.reasons).
      - "IAM permissions: C(ec2:DescribeNetworkInterfaces), C(ec2:DescribeFlowLogs),
        C(ec2:GetManagedPrefixListEntries), C(s3:ListBucket) and C(s3:GetObject) on the log bucket,
        C(logs:FilterLogEvents) on the log group."
      - Reading Parquet flow logs needs the Python library C(pyarrow) where the module runs.
    type: raw
    version_added: 0.2.0
    suboptions:
      days:
        description:
          - The window is the last this many days, up to O(traffic.until); 1 or more.
        type: int
      since:
        description:
          - The window's start, ISO 8601 (V(2026-11-01), V(2026-11-01T12:00:00Z), or with an offset); a time
            without an offset is UTC. A record counts when its C(end) is at or after this time and its C(start) is
            before O(traffic.until).
        type: str
      until:
        description:
          - The window's end, ISO 8601; now when left out.
        type: str
      profile:
        description:
          - The AWS profile the flow logs are read with (S3 and CloudWatch Logs), for logs kept in another account,
            such as a central log-archive bucket. The groups are still read and written with the task's own
            connection. Left out, the task's connection reads the logs too.
        type: str
      flow_logs:
        description:
          - Read these destinations instead of the flow logs C(DescribeFlowLogs) finds. Each is a dictionary with
            C(s3) (V(s3://bucket/prefix), the prefix under which AWS writes C(AWSLogs/)) or C(log_group) (a CloudWatch
            Logs group with one stream per interface, as flow logs write them), and, for C(s3), C(file_format)
            (V(plain-text), the default, or V(parquet)), C(hive_compatible) and C(per_hour) (the flow log's
            destination options, default V(false)); for both, C(log_format), the flow log's format (AWS's default
            format when left out; the header line of each text object in S3 wins).
          - As their creation time is not known, an interface with no record at all in the window, not even
            C(NODATA), counts as not covered.
        type: list
        elements: dict
"""
