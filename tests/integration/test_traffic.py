"""Traffic evidence under ansible-playbook on both execution paths, on moto_server: the info module's per-rule
traffic, ``unused`` in check mode with its diff, ``require_no_traffic`` refusing with the flows the plan cuts, and the
egress_review report of them; flow logs in S3 (default format), in CloudWatch Logs (a custom format), and a central
copy named in traffic.flow_logs (Parquet, Hive-compatible, hourly) whose gaps make the evidence incomplete; and
the causes of incomplete coverage that moto can show (no flow log, one that captures rejected traffic only, one whose
format lacks the destination port, one created after the window's start)."""

import json
import os
from datetime import datetime, timezone

import boto3
import pytest

from ..support.endpoint import ACCESS_KEY, REGION, SECRET_KEY
from ..support.flow_estate import BUCKET, Estate, busy_records
from ..support.flow_logs import CUSTOM_FIELDS, DEFAULT_FIELDS, flow, skip_data
from ..support.playbooks import PATHS
from ..support.seed import egress_rules
from ..support.traffic_reference import flow_order

pytestmark = pytest.mark.integration

TRAFFIC = '{"since": "{{ window_start }}", "until": "{{ window_end }}"}'
CENTRAL = ('{"since": "{{ window_start }}", "until": "{{ window_end }}", "flow_logs": [{"s3": "s3://%s/central", '
           '"file_format": "parquet", "hive_compatible": true, "per_hour": true}]}' % BUCKET)
NARROW_FORMAT = "${interface-id} ${srcaddr} ${dstaddr} ${protocol} ${action} ${start} ${end} ${log-status}"
# One play per execution path, in one playbook: the plays change nothing the checks look at (the refused groups keep
# their rules; the default group, with no interface behind it, loses its allow-all rule in the first).
PLAY = """
- name: Traffic evidence, %(path)s
  hosts: localhost
  gather_facts: false
  vars:
    netguard_aws_in_process: %(in_process)s
  tasks:
    - name: What each rule carried
      netguard.aws.ec2_security_group_egress_info:
        group_id: ["{{ web }}", "{{ db }}"]
        traffic: %(traffic)s

    - name: Remove what carried nothing
      netguard.aws.ec2_security_group_egress_revoke:
        group_id: "{{ web }}"
        rule_filters: {unused: true}
        traffic: %(traffic)s
      check_mode: true
      diff: true

    - name: Remove the allow-all rules, unless traffic needs them
      netguard.aws.ec2_security_group_egress_revoke:
        filters: {vpc-id: "{{ vpc }}"}
        protocol: all
        cidr: 0.0.0.0/0
        require_no_traffic: true
        traffic: %(traffic)s
      ignore_errors: true

    - name: What each rule carried, from a central copy in Parquet, Hive-compatible and hourly
      netguard.aws.ec2_security_group_egress_info:
        group_id: ["{{ web }}", "{{ db }}"]
        traffic: %(central)s

    - name: Nothing goes where the evidence is incomplete
      netguard.aws.ec2_security_group_egress_revoke:
        group_id: "{{ db }}"
        revoke_all: true
        require_no_traffic: true
        traffic: %(central)s
      check_mode: true
      ignore_errors: true

    - name: Nor where flow logs are missing, reject only, or lack the destination port
      netguard.aws.ec2_security_group_egress_revoke:
        group_id: "{{ edge }}"
        revoke_all: true
        require_no_traffic: true
        traffic: %(traffic)s
      check_mode: true
      ignore_errors: true

    - name: Nor before the flow logs were created
      netguard.aws.ec2_security_group_egress_revoke:
        group_id: "{{ web }}"
        revoke_all: true
        require_no_traffic: true
        traffic: {days: 1}
      check_mode: true
      ignore_errors: true
"""


def client(service, endpoint):
    return boto3.client(service, region_name=REGION, endpoint_url=endpoint.url, aws_access_key_id=ACCESS_KEY,
                        aws_secret_access_key=SECRET_KEY)


@pytest.fixture
def estate(endpoint):
    endpoint.reset()
    estate = Estate(endpoint.client(), client("s3", endpoint), client("logs", endpoint))
    # S3 for the VPC, CloudWatch Logs in a custom format for interface c, as a flow log of its own.
    flow_log_id = estate.flow_log_to_s3()
    estate.flow_log_to_group(CUSTOM_FIELDS, resource=estate.enis["c"])
    since, until = estate.window()
    start = since + 60
    in_s3 = busy_records(estate, start)
    in_logs = [flow(estate.enis["c"], "10.0.1.20", "52.94.7.7", 41000, 443, start, flow_direction="egress",
                    tcp_flags=2, packets=11, size=1100)]
    estate.put_s3(flow_log_id, DEFAULT_FIELDS, in_s3, start + 900)
    estate.put_events(CUSTOM_FIELDS, in_logs)
    reference = estate.reference(DEFAULT_FIELDS + ("flow-direction", "tcp-flags"), in_s3 + in_logs, since, until)
    # A central copy of the S3 records, where b has skipped records and c none at all.
    a, b, c = (estate.enis[name] for name in "abc")
    central = [values for values in in_s3 if values["interface_id"] != c] + [skip_data(b, start + 30)]
    estate.put_s3(flow_log_id, DEFAULT_FIELDS, central, start + 900, prefix="central", hive=True, per_hour=True,
                  parquet=True)
    estate.central = estate.reference(DEFAULT_FIELDS, central, since, until, incomplete=(b, c))
    # Another VPC, without a flow log of its own: an interface without any, one whose flow log captures rejected
    # traffic only, one whose flow log's format lacks the destination port.
    ec2 = estate.ec2
    vpc = ec2.create_vpc(CidrBlock="10.8.0.0/16")["Vpc"]["VpcId"]
    subnet = ec2.create_subnet(VpcId=vpc, CidrBlock="10.8.1.0/24")["Subnet"]["SubnetId"]
    estate.edge = ec2.create_security_group(GroupName="edge", Description="edge", VpcId=vpc)["GroupId"]
    estate.edge_interfaces = [ec2.create_network_interface(SubnetId=subnet, Groups=[estate.edge])["NetworkInterface"][
        "NetworkInterfaceId"] for _index in range(3)]
    unlogged, rejecting, narrow = estate.edge_interfaces
    estate.edge_logs = [ec2.create_flow_logs(
        ResourceIds=[interface], ResourceType="NetworkInterface", LogDestinationType="s3",
        LogDestination="arn:aws:s3:::" + BUCKET, **options)["FlowLogIds"][0] for interface, options in (
            (rejecting, {"TrafficType": "REJECT"}),
            (narrow, {"TrafficType": "ALL", "LogFormat": NARROW_FORMAT}))]
    estate.edge_subnet, estate.edge_vpc = subnet, vpc
    return estate, since, until, reference


def iso(seconds):
    return datetime.fromtimestamp(seconds, timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def test_traffic_on_both_paths(ansible, work_dir, estate):
    estate, since, until, reference = estate
    playbook = os.path.join(work_dir, "traffic.yml")
    with open(playbook, "w") as handle:
        handle.write("".join(PLAY % {"path": path, "in_process": str(in_process).lower(), "traffic": TRAFFIC,
                                     "central": CENTRAL} for path, in_process in PATHS.items()))
    before = dict((group, egress_rules(estate.ec2, group)) for group in (estate.web, estate.db))
    results_file = os.path.join(work_dir, "traffic-results.json")
    review_dir = os.path.join(work_dir, "traffic-review")
    completed = ansible("ansible-playbook", playbook, "-e", json.dumps({
        "window_start": iso(since), "window_end": iso(until), "web": estate.web, "db": estate.db, "vpc": estate.vpc,
        "edge": estate.edge}),
        results_file=results_file, extra_environment={"ANSIBLE_CALLBACKS_ENABLED": "netguard.aws.egress_review",
                                                      "NETGUARD_AWS_REVIEW_DIR": review_dir})
    assert completed.returncode == 0, completed.stdout
    with open(results_file) as handle:
        entries = json.load(handle)
    assert [entry["failed"] for entry in entries] == [False, False, True, False, True, True, True] * len(PATHS)
    results = [entry["result"] for entry in entries]
    for info, unused, refused, central, incomplete, edge, early in (results[:7], results[7:]):
        check_path(estate, reference, before, info, unused, refused)
        check_central(estate, central, incomplete)
        check_causes(estate, edge, early)
    assert [results[index] for index in (0, 1, 3)] == [results[index] for index in (7, 8, 10)], \
        "the same results on both paths"
    table = completed.stdout[completed.stdout.index("NETGUARD.AWS EGRESS REVIEW"):]
    assert "CUT FLOWS" in table
    with open(os.path.join(review_dir, "egress-review.md")) as handle:
        markdown = handle.read()
    assert "## Cut flows" in markdown and "8.8.8.8 port 53" in markdown


def check_causes(estate, edge, early):
    unlogged, rejecting, narrow = estate.edge_interfaces
    reject_log, narrow_log = estate.edge_logs
    assert sorted(edge["traffic_coverage"]["reasons"]) == sorted([
        "%s has no flow log (on the interface, its subnet %s or its VPC %s)"
        % (unlogged, estate.edge_subnet, estate.edge_vpc),
        "%s: flow log %s (on %s) captures rejected traffic only" % (rejecting, reject_log, rejecting),
        "%s: flow log %s (on %s) has a format that lacks ${dstport}, which the traffic analysis needs"
        % (narrow, narrow_log, narrow)])
    assert edge["msg"].startswith("require_no_traffic: the flow logs of %s do not show all its traffic" % estate.edge)
    reasons = early["traffic_coverage"]["reasons"]
    assert len(reasons) == 2 and all(" was created at " in reason and ", after the window's start " in reason
                                     for reason in reasons)


def check_central(estate, info, incomplete):
    b, c = estate.enis["b"], estate.enis["c"]
    skipped = "%s: s3://%s/central has SKIPDATA records in the window: some of its flows were not logged" % (b, BUCKET)
    silent = "%s has no record at all in the window in traffic.flow_logs, not even NODATA: its flow log may not " \
             "cover it" % c
    web, db = info["security_groups"]
    for rule in web["egress_rules"]:
        found, expected = dict(rule["traffic"]), estate.central.rule_traffic(rule["security_group_rule_id"])
        top, expected_top = found.pop("top_destinations"), expected.pop("top_destinations")
        assert sorted(top, key=flow_order) == sorted(expected_top, key=flow_order)
        assert found == expected, rule["display"]
    assert (web["traffic_coverage"]["complete"], web["traffic_coverage"]["reasons"]) == (False, [skipped])
    assert (db["traffic_coverage"]["interfaces"], db["traffic_coverage"]["logged_interfaces"]) == (2, 0)
    assert sorted(db["traffic_coverage"]["reasons"]) == sorted([skipped, silent])
    assert incomplete["msg"].startswith("require_no_traffic: the flow logs of %s do not show all its traffic"
                                        % estate.db)
    assert incomplete["cut_flows"] == [] and incomplete["traffic_coverage"] == db["traffic_coverage"]


def check_path(estate, reference, before, info, unused, refused):

    for group in info["security_groups"]:
        for rule in group["egress_rules"]:
            found, expected = dict(rule["traffic"]), reference.rule_traffic(rule["security_group_rule_id"])
            top, expected_top = found.pop("top_destinations"), expected.pop("top_destinations")
            assert sorted(top, key=flow_order) == sorted(expected_top, key=flow_order)
            assert found == expected, rule["display"]
    web_rules = dict((rule["display"].split("  ", 1)[1], rule["traffic"])
                     for rule in info["security_groups"][0]["egress_rules"])
    assert web_rules["all  -> 0.0.0.0/0"]["flows"] == 5
    assert web_rules["tcp 443  -> 52.94.0.0/16"]["packets"] == 25
    assert web_rules["icmp 8  -> 10.0.0.0/8"]["flows"] == 0
    db_rules = dict((rule["display"].split("  ", 1)[1], rule["traffic"])
                    for rule in info["security_groups"][1]["egress_rules"])
    # c's flow log is in CloudWatch Logs; b's DNS goes out through web's allow-all rule as well as db's.
    assert db_rules["all  -> 0.0.0.0/0"]["flows"] == 2
    assert db_rules["all  -> 0.0.0.0/0"]["only_rule_for"] == 1

    assert [rule["security_group_rule_id"] for rule in unused["revoked_rules"]] == sorted(reference.unused(estate.web))
    assert [rule["ip_protocol"] for rule in unused["revoked_rules"]] == ["icmp"]
    assert "carried no flow" in unused["diff"]["before"]

    by_group = dict((group["group_id"], group) for group in refused["groups"])
    # What the task would remove: the allow-all rule of each group (the refused groups still have theirs).
    removed = set(rule_id for group_id in (estate.web, estate.db)
                  for rule_id, rule in egress_rules(estate.ec2, group_id).items()
                  if rule["IpProtocol"] == "-1" and rule.get("CidrIpv4") == "0.0.0.0/0")
    for group_id in (estate.web, estate.db):
        expected = reference.cut_entries(group_id, removed)
        assert sorted(by_group[group_id]["cut_flows"], key=flow_order) == sorted(expected, key=flow_order)
    # Both allow-all rules go in the same task: b's DNS, which each allowed, is cut from both groups.
    assert sorted((flow["interface"], flow["destination"]) for flow in by_group[estate.db]["cut_flows"]) == sorted([
        (estate.enis["b"], "8.8.8.8"), (estate.enis["c"], "52.94.7.7")])
    assert sorted((flow["interface"], flow["destination"]) for flow in by_group[estate.web]["cut_flows"]) == sorted([
        (estate.enis["a"], "1.1.1.1"), (estate.enis["b"], "8.8.8.8")])
    refusal = "require_no_traffic: revoking 1 egress rule from %s would cut" % estate.web
    assert by_group[estate.web]["msg"].startswith(refusal)
    assert dict((group, egress_rules(estate.ec2, group)) for group in (estate.web, estate.db)) == before
