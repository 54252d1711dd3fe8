"""What the flow logs say of each egress rule, as a user sees it: per-rule traffic, unused rules, cut flows,
coverage, and the refusal of ``require_no_traffic``. Pure: evidence written by hand."""

import ipaddress

import pytest

from ansible_collections.netguard.aws.plugins.module_utils.flow_tally import Flow, FlowTally
from ansible_collections.netguard.aws.plugins.module_utils.plan import GroupPlan
from ansible_collections.netguard.aws.plugins.module_utils.request import Guards
from ansible_collections.netguard.aws.plugins.module_utils.traffic import (
    Analysis,
    Evidence,
    GroupTraffic,
    Interface,
    iso,
    with_traffic,
)
from ansible_collections.netguard.aws.plugins.module_utils.traffic_guard import carried_lines, flow_text, refused_plans

from ....support.flow_logs import DEFAULT_FIELDS, flow, record
from .described import api_rule, described

SINCE = 1796083200  # 2026-12-01T00:00:00Z
UNTIL = SINCE + 86400
OWNER = "123456789012"
WEB = "sg-0000000000000a001"
SHARED = "sg-0000000000000a002"
IDLE = "sg-0000000000000a003"
DATABASE = "sg-0000000000000d001"
PEER_GROUP = "sg-0000000000000e001"
LOST_GROUP = "sg-0000000000000f001"
S3_LIST = "pl-0000000000000c001"
LOST_LIST = "pl-0000000000000c002"
WEB_ENI = "eni-0aaaaaaaaaaaaaaa1"
WORKER_ENI = "eni-0bbbbbbbbbbbbbbb2"
ADDRESSES = {WEB_ENI: ("10.0.1.10", "2001:db8:1::10"), WORKER_ENI: ("10.0.1.20",)}
ALL_V4 = "sgr-0000000000000a001"
HTTPS = "sgr-0000000000000a002"
SHARED_ALL_V4 = "sgr-0000000000000b001"
TESTED = "sgr-0000000000000b002"


def interface(interface_id, *group_ids):
    return Interface(interface_id, group_ids, frozenset(ADDRESSES[interface_id]), "subnet-0123456789abcdef0",
                     "vpc-0123456789abcdef0", OWNER)


def a_flow(destination, port, protocol=6, packets=10, size=840, interface_id=WEB_ENI, first=SINCE + 60,
           last=SINCE + 120):
    return Flow(interface_id, protocol, destination, port, packets, size, first, last)


def allow_all(rule_id, group_id, cidr="0.0.0.0/0"):
    return api_rule(rule_id, "-1", -1, -1, group_id=group_id, **{"CidrIpv6" if ":" in cidr else "CidrIpv4": cidr})


def analysis(interfaces, rules, flows, group_addresses=None, prefix_lists=None, reasons=None):
    by_group = {}
    for rule in described(*rules):
        by_group.setdefault(rule.group_id, []).append(rule)
    by_interface = dict((item.interface_id, []) for item in interfaces)
    for item in flows:
        by_interface[item.interface].append(item)
    return Analysis(Evidence(SINCE, UNTIL, dict((item.interface_id, item) for item in interfaces), by_group,
                             group_addresses or {}, prefix_lists or {}, by_interface, reasons or {}))


def entry(destination, port, protocol="tcp", packets=10, size=840, interface_id=WEB_ENI, last=SINCE + 120):
    return {"interface": interface_id, "protocol": protocol, "destination": destination, "port": port,
            "packets": packets, "bytes": size, "last_seen": iso(last)}


NO_PLAN = GroupPlan(*[None] * len(GroupPlan._fields))


def plan(group_id, remove=(), taken=None, traffic=None):
    removed = described(*remove)
    return NO_PLAN._replace(group={"GroupId": group_id}, region="us-east-1", remove=removed, traffic=traffic,
                            taken=removed if taken is None else described(*taken))


# ----- per rule --------------------------------------------------------------------------------------------------

WEB_RULES = [allow_all(ALL_V4, WEB), api_rule(HTTPS, "tcp", 443, 443, group_id=WEB, CidrIpv4="0.0.0.0/0")]
WEB_FLOWS = [a_flow("52.94.0.10", 443, packets=1204, size=98000, first=SINCE + 3600, last=SINCE + 7200),
             a_flow("10.0.3.7", 5432, packets=20, size=4000, first=SINCE + 600, last=SINCE + 660),
             a_flow("8.8.8.8", 53, protocol=17, packets=4, size=300, first=SINCE + 60, last=SINCE + 61000)]


def test_an_allow_all_rule_carried_every_flow_and_is_the_only_rule_for_those_no_other_rule_allows():
    found = analysis([interface(WEB_ENI, WEB)], WEB_RULES, WEB_FLOWS)

    assert found.rule_traffic(WEB, ALL_V4) == {
        "flows": 3, "packets": 1228, "bytes": 102300, "first_seen": "2026-12-01T00:01:00Z",
        "last_seen": "2026-12-01T16:56:40Z", "only_rule_for": 2,
        "top_destinations": [
            {"interface": WEB_ENI, "protocol": "tcp", "destination": "52.94.0.10", "port": 443, "packets": 1204,
             "bytes": 98000, "last_seen": "2026-12-01T02:00:00Z"},
            {"interface": WEB_ENI, "protocol": "tcp", "destination": "10.0.3.7", "port": 5432, "packets": 20,
             "bytes": 4000, "last_seen": "2026-12-01T00:11:00Z"},
            {"interface": WEB_ENI, "protocol": "udp", "destination": "8.8.8.8", "port": 53, "packets": 4,
             "bytes": 300, "last_seen": "2026-12-01T16:56:40Z"}]}
    https = found.rule_traffic(WEB, HTTPS)
    assert (https["flows"], https["packets"], https["only_rule_for"]) == (1, 1204, 0)
    assert [item["destination"] for item in https["top_destinations"]] == ["52.94.0.10"]


def test_a_rule_that_carried_nothing():
    found = analysis([interface(WEB_ENI, WEB)], WEB_RULES + [
        api_rule("sgr-0000000000000a003", "tcp", 25, 25, group_id=WEB, CidrIpv4="0.0.0.0/0")], WEB_FLOWS)

    assert found.rule_traffic(WEB, "sgr-0000000000000a003") == {
        "flows": 0, "packets": 0, "bytes": 0, "first_seen": None, "last_seen": None, "only_rule_for": 0,
        "top_destinations": []}
    assert found.unused_rule_ids(WEB, [ALL_V4, HTTPS, "sgr-0000000000000a003"]) == {"sgr-0000000000000a003"}


def test_top_destinations_are_the_ten_flows_with_most_packets_then_most_bytes():
    flows = [a_flow("52.94.0.%d" % number, 443, packets=number, size=100) for number in range(1, 13)]
    flows.append(a_flow("52.94.1.1", 443, packets=12, size=900))
    found = analysis([interface(WEB_ENI, WEB)], WEB_RULES, flows)

    top = found.rule_traffic(WEB, ALL_V4)["top_destinations"]

    assert [(item["destination"], item["packets"]) for item in top] == [
        ("52.94.1.1", 12), ("52.94.0.12", 12)] + [("52.94.0.%d" % number, number) for number in range(11, 3, -1)]
    assert found.rule_traffic(WEB, ALL_V4)["flows"] == 13


def test_flow_entries_name_the_protocol_or_give_its_number():
    flows = [a_flow("52.94.0.10", 443), a_flow("8.8.8.8", 53, protocol=17), a_flow("8.8.8.8", 0, protocol=1),
             a_flow("2600:1f18::1", 0, protocol=58), a_flow("203.0.113.9", 0, protocol=50)]
    rules = WEB_RULES + [allow_all("sgr-0000000000000a009", WEB, "::/0")]
    found = analysis([interface(WEB_ENI, WEB)], rules, flows)

    entries = found.rule_traffic(WEB, ALL_V4)["top_destinations"]

    assert sorted((item["protocol"], item["destination"], item["port"]) for item in entries) == [
        ("50", "203.0.113.9", 0), ("icmp", "8.8.8.8", 0), ("tcp", "52.94.0.10", 443), ("udp", "8.8.8.8", 53)]
    assert [(item["protocol"], item["port"]) for item in
            found.rule_traffic(WEB, "sgr-0000000000000a009")["top_destinations"]] == [("icmpv6", 0)]


# ----- surely, maybe, not: what keeps a flow from being cut ----------------------------------------------------

# A rule of a second group of the interface, beside the allow-all rules of WEB that the task removes: a rule that
# surely allows the flow keeps it; one that only might allow it carries it but does not keep it.
SURELY, MAYBE, NOT = "surely", "maybe", "not"
ALL_V6 = "sgr-0000000000000a006"


@pytest.mark.parametrize("protocol, ports, destination, flow_protocol, address, port, verdict", [
    ("icmp", (-1, -1), {"CidrIpv4": "0.0.0.0/0"}, 1, "8.8.8.8", 0, SURELY),
    ("icmp", (8, -1), {"CidrIpv4": "0.0.0.0/0"}, 1, "8.8.8.8", 0, MAYBE),
    ("icmpv6", (128, 0), {"CidrIpv6": "::/0"}, 58, "2600:1f18::1", 0, MAYBE),
    ("icmp", (-1, -1), {"CidrIpv4": "0.0.0.0/0"}, 58, "2600:1f18::1", 0, NOT),
    ("tcp", (1024, 65535), {"CidrIpv4": "0.0.0.0/0"}, 6, "10.0.3.7", 5432, SURELY),
    ("tcp", (1024, 65535), {"CidrIpv4": "0.0.0.0/0"}, 6, "52.94.0.10", 443, NOT),
    ("tcp", (-1, -1), {"CidrIpv4": "0.0.0.0/0"}, 6, "52.94.0.10", 443, SURELY),
    ("udp", (0, 65535), {"CidrIpv4": "0.0.0.0/0"}, 6, "52.94.0.10", 443, NOT),
    ("50", (-1, -1), {"CidrIpv4": "0.0.0.0/0"}, 50, "203.0.113.9", 0, SURELY),
    ("50", (-1, -1), {"CidrIpv4": "0.0.0.0/0"}, 51, "203.0.113.9", 0, NOT),
    ("-1", (-1, -1), {"CidrIpv6": "::/0"}, 6, "52.94.0.10", 443, NOT),
    ("-1", (-1, -1), {"CidrIpv6": "2600:1f18::/32"}, 6, "2600:1f18::1", 443, SURELY),
    ("-1", (-1, -1), {"CidrIpv4": "10.0.3.0/24"}, 6, "10.0.3.7", 5432, SURELY),
    ("tcp", (5432, 5432), {"ReferencedGroupInfo": {"GroupId": DATABASE, "UserId": OWNER}}, 6, "10.0.3.7", 5432,
     SURELY),
    ("tcp", (5432, 5432), {"ReferencedGroupInfo": {"GroupId": DATABASE}}, 6, "10.0.3.7", 5432, SURELY),
    ("tcp", (5432, 5432), {"ReferencedGroupInfo": {"GroupId": DATABASE}}, 6, "10.0.3.8", 5432, NOT),
    ("tcp", (5432, 5432), {"ReferencedGroupInfo": {"GroupId": PEER_GROUP, "UserId": "210987654321"}}, 6, "10.9.0.1",
     5432, MAYBE),
    ("tcp", (5432, 5432), {"ReferencedGroupInfo": {"GroupId": DATABASE, "UserId": "210987654321"}}, 6, "10.0.3.7",
     5432, MAYBE),
    ("tcp", (5432, 5432), {"ReferencedGroupInfo": {"GroupId": LOST_GROUP}}, 6, "10.0.3.7", 5432, MAYBE),
    ("tcp", (5433, 5433), {"ReferencedGroupInfo": {"GroupId": LOST_GROUP}}, 6, "10.0.3.7", 5432, NOT),
    ("tcp", (443, 443), {"PrefixListId": S3_LIST}, 6, "52.94.0.10", 443, SURELY),
    ("tcp", (443, 443), {"PrefixListId": S3_LIST}, 6, "52.94.1.10", 443, NOT),
    ("tcp", (443, 443), {"PrefixListId": LOST_LIST}, 6, "52.94.1.10", 443, MAYBE),
    ("icmp", (8, -1), {"PrefixListId": S3_LIST}, 1, "52.94.0.10", 0, MAYBE),
])
def test_a_rule_surely_allows_might_allow_or_does_not_allow_a_flow(protocol, ports, destination, flow_protocol,
                                                                   address, port, verdict):
    rules = [allow_all(ALL_V4, WEB), allow_all(ALL_V6, WEB, "::/0"),
             api_rule(TESTED, protocol, ports[0], ports[1], group_id=SHARED, **destination)]
    found = analysis([interface(WEB_ENI, WEB, SHARED)], rules, [a_flow(address, port, protocol=flow_protocol)],
                     group_addresses={DATABASE: frozenset(["10.0.3.7", "2001:db8:3::7"]), LOST_GROUP: None,
                                      PEER_GROUP: frozenset(["10.9.0.1"])},
                     prefix_lists={S3_LIST: (ipaddress.ip_network("52.94.0.0/24"),), LOST_LIST: None})

    carried = found.rule_traffic(SHARED, TESTED)["flows"]
    cut = found.cut_flows(WEB, {ALL_V4, ALL_V6}, {ALL_V4, ALL_V6})

    # A rule that might allow a flow carried it: it is not unused ...
    assert carried == (0 if verdict == NOT else 1)
    assert found.unused_rule_ids(SHARED, [TESTED]) == (frozenset([TESTED]) if verdict == NOT else frozenset())
    # ... but it does not keep the flow from being cut when the allow-all rule goes.
    assert [item["destination"] for item in cut] == ([] if verdict == SURELY else [address])
    assert found.rule_traffic(WEB, ALL_V6 if ":" in address else ALL_V4)["only_rule_for"] == (
        0 if verdict == SURELY else 1)


def test_only_rule_for_counts_flows_that_other_rules_only_might_allow():
    rules = [api_rule(ALL_V4, "icmp", -1, -1, group_id=WEB, CidrIpv4="0.0.0.0/0"),
             api_rule(TESTED, "icmp", 8, -1, group_id=SHARED, CidrIpv4="0.0.0.0/0")]
    found = analysis([interface(WEB_ENI, WEB, SHARED)], rules, [a_flow("8.8.8.8", 0, protocol=1)])

    assert found.rule_traffic(WEB, ALL_V4)["only_rule_for"] == 1
    # The type-specific rule carried the flow, and the rule for every type surely allows it too.
    assert (found.rule_traffic(SHARED, TESTED)["flows"], found.rule_traffic(SHARED, TESTED)["only_rule_for"]) == (1, 0)


# ----- cut flows -------------------------------------------------------------------------------------------------

def test_a_flow_is_cut_when_the_task_removes_every_rule_that_surely_allows_it_in_any_group_of_the_interface():
    rules = [allow_all(ALL_V4, WEB), allow_all(SHARED_ALL_V4, SHARED)]
    found = analysis([interface(WEB_ENI, WEB, SHARED)], rules, [a_flow("52.94.0.10", 443)])

    # One group's allow-all rule goes: the other's still lets the flow out.
    assert found.cut_flows(WEB, {ALL_V4}, {ALL_V4}) == []
    assert found.cut_flows(SHARED, {SHARED_ALL_V4}, {SHARED_ALL_V4}) == []
    # Both go in one task: each group's plan cuts the flow, and each reports it.
    both = {ALL_V4, SHARED_ALL_V4}
    assert found.cut_flows(WEB, both, {ALL_V4}) == [entry("52.94.0.10", 443)]
    assert found.cut_flows(SHARED, both, {SHARED_ALL_V4}) == [entry("52.94.0.10", 443)]


def test_cut_flows_are_those_of_the_interfaces_behind_the_group_most_packets_first():
    rules = [allow_all(ALL_V4, WEB), allow_all(SHARED_ALL_V4, SHARED)]
    flows = [a_flow("52.94.0.10", 443, packets=3), a_flow("52.94.0.11", 443, packets=300),
             a_flow("52.94.0.12", 443, packets=30, interface_id=WORKER_ENI)]
    found = analysis([interface(WEB_ENI, WEB), interface(WORKER_ENI, WEB, SHARED)], rules, flows)

    # The worker's flow still leaves by SHARED's rule; the web interface's flows are cut.
    assert found.cut_flows(WEB, {ALL_V4}, {ALL_V4}) == [
        entry("52.94.0.11", 443, packets=300), entry("52.94.0.10", 443, packets=3)]
    # SHARED's plan cuts only the flows of the interfaces behind SHARED.
    assert found.cut_flows(SHARED, {ALL_V4, SHARED_ALL_V4}, {SHARED_ALL_V4}) == [
        entry("52.94.0.12", 443, packets=30, interface_id=WORKER_ENI)]


def test_a_removed_rule_that_does_not_allow_a_flow_cuts_nothing_of_it():
    rules = [allow_all(ALL_V4, WEB), api_rule(HTTPS, "tcp", 443, 443, group_id=WEB, CidrIpv4="0.0.0.0/0")]
    found = analysis([interface(WEB_ENI, WEB)], rules, [a_flow("10.0.3.7", 5432)])

    assert found.cut_flows(WEB, {ALL_V4, HTTPS}, {HTTPS}) == []
    assert found.cut_flows(WEB, {ALL_V4, HTTPS}, {ALL_V4, HTTPS}) == [entry("10.0.3.7", 5432)]


# ----- unused and coverage ---------------------------------------------------------------------------------------

REASON = "%s: flow log fl-0123456789abcdef0 was created after since" % WORKER_ENI


def test_incomplete_evidence_makes_no_rule_unused():
    rules = [allow_all(ALL_V4, WEB), api_rule(HTTPS, "tcp", 443, 443, group_id=WEB, CidrIpv4="0.0.0.0/0")]
    found = analysis([interface(WEB_ENI, WEB), interface(WORKER_ENI, WEB)], rules, [a_flow("10.0.3.7", 5432)],
                     reasons={WORKER_ENI: [REASON]})

    assert found.unused_rule_ids(WEB, [ALL_V4, HTTPS]) == frozenset()
    assert found.coverage(WEB) == {"complete": False, "since": "2026-12-01T00:00:00Z",
                                   "until": "2026-12-02T00:00:00Z", "interfaces": 2, "logged_interfaces": 1,
                                   "reasons": [REASON]}


def test_coverage_lists_each_reason_once_in_the_order_of_the_interfaces():
    shared_reason = "flow log fl-0123456789abcdef0 has a format that lacks ${dstport}, which the traffic analysis needs"
    found = analysis([interface(WORKER_ENI, WEB), interface(WEB_ENI, WEB)], [], [],
                     reasons={WEB_ENI: ["%s has SKIPDATA records" % WEB_ENI, shared_reason],
                              WORKER_ENI: [shared_reason, REASON]})

    coverage = found.coverage(WEB)

    assert coverage["reasons"] == ["%s has SKIPDATA records" % WEB_ENI, shared_reason, REASON]
    assert (coverage["complete"], coverage["interfaces"], coverage["logged_interfaces"]) == (False, 2, 0)


def test_a_group_no_interface_uses_is_complete_and_none_of_its_rules_carried_anything():
    rules = [allow_all(ALL_V4, WEB), allow_all("sgr-0000000000000c001", IDLE)]
    found = analysis([interface(WEB_ENI, WEB)], rules, [a_flow("52.94.0.10", 443)])

    assert found.coverage(IDLE) == {"complete": True, "since": "2026-12-01T00:00:00Z", "until": "2026-12-02T00:00:00Z",
                                    "interfaces": 0, "logged_interfaces": 0, "reasons": []}
    assert found.unused_rule_ids(IDLE, ["sgr-0000000000000c001"]) == {"sgr-0000000000000c001"}
    assert found.cut_flows(IDLE, {"sgr-0000000000000c001"}, {"sgr-0000000000000c001"}) == []


# ----- plans: listed, removed ----------------------------------------------------------------------------------

def test_listed_rules_get_their_traffic_and_nothing_is_cut():
    found = analysis([interface(WEB_ENI, WEB)], WEB_RULES, WEB_FLOWS)

    listed, = with_traffic([plan(WEB, taken=WEB_RULES)], found, listing=True)

    assert sorted(listed.traffic.rules) == [ALL_V4, HTTPS]
    assert listed.traffic.rules[ALL_V4]["flows"] == 3
    assert (listed.traffic.cut_flows, listed.traffic.rule_cuts) == ([], {})
    assert listed.traffic.coverage["complete"] is True


def test_removed_rules_get_their_traffic_the_plans_cut_flows_and_each_rules_cut_flows():
    rules = WEB_RULES + [allow_all(SHARED_ALL_V4, SHARED)]
    found = analysis([interface(WEB_ENI, WEB), interface(WORKER_ENI, WEB, SHARED)], rules,
                     WEB_FLOWS + [a_flow("52.94.0.12", 8443, packets=30, interface_id=WORKER_ENI)])

    web, shared = with_traffic([plan(WEB, remove=[WEB_RULES[0]]), plan(SHARED, remove=[rules[2]])], found,
                               listing=False)

    # The web interface's flow to 443 still leaves by HTTPS; the worker's flow to 8443 lost both allow-all rules.
    assert [(item["interface"], item["destination"]) for item in web.traffic.cut_flows] == [
        (WORKER_ENI, "52.94.0.12"), (WEB_ENI, "10.0.3.7"), (WEB_ENI, "8.8.8.8")]
    assert web.traffic.rule_cuts == {ALL_V4: web.traffic.cut_flows}
    assert shared.traffic.cut_flows == [entry("52.94.0.12", 8443, packets=30, interface_id=WORKER_ENI)]
    assert sorted(web.traffic.rules) == [ALL_V4]
    assert web.traffic.rules[ALL_V4]["flows"] == 4
    assert shared.traffic.coverage["interfaces"] == 1


def test_flow_log_records_to_what_a_rule_carried():
    """Records in the default format: an outbound connection and its reverse record, an inbound connection to the
    web server and the server's replies, a rejected attempt, and a record before the window."""
    since = SINCE
    records = [flow(WEB_ENI, "10.0.1.10", "52.94.0.10", 40001, 443, since + 60, packets=20, size=4000),
               flow(WEB_ENI, "52.94.0.10", "10.0.1.10", 443, 40001, since + 60, packets=18, size=9000),
               flow(WEB_ENI, "198.51.100.7", "10.0.1.10", 50123, 443, since + 120, packets=9, size=700),
               flow(WEB_ENI, "10.0.1.10", "198.51.100.7", 443, 50123, since + 120, packets=12, size=15000),
               flow(WEB_ENI, "10.0.1.10", "192.0.2.1", 40002, 25, since + 180, action="REJECT"),
               flow(WEB_ENI, "10.0.1.10", "8.8.8.8", 40003, 53, since - 3600, protocol=17)]
    tally = FlowTally({WEB_ENI: ADDRESSES[WEB_ENI]}, SINCE, UNTIL)
    tally.feed([record(DEFAULT_FIELDS, **values).encode() for values in records], DEFAULT_FIELDS)
    found = analysis([interface(WEB_ENI, WEB)], WEB_RULES, tally.flows())

    assert found.rule_traffic(WEB, ALL_V4)["top_destinations"] == [
        entry("52.94.0.10", 443, packets=20, size=4000, last=since + 120)]
    assert found.cut_flows(WEB, {ALL_V4, HTTPS}, {ALL_V4, HTTPS}) == [
        entry("52.94.0.10", 443, packets=20, size=4000, last=since + 120)]


# ----- require_no_traffic ----------------------------------------------------------------------------------------

def traffic_of(cut_flows=(), reasons=(), rules=None, rule_cuts=None):
    coverage = {"complete": not reasons, "since": iso(SINCE), "until": iso(UNTIL), "interfaces": 1,
                "logged_interfaces": 0 if reasons else 1, "reasons": list(reasons)}
    return GroupTraffic(coverage, list(cut_flows), rules or {}, rule_cuts or {})


GUARDED = Guards(require_no_traffic=True)


def test_the_refusal_names_the_cut_flows_and_carries_them():
    cut = [entry("52.94.0.10", 443, packets=1204, size=98000, last=SINCE + 7200),
           entry("8.8.8.8", 53, protocol="udp", packets=1, size=80)]
    refused = refused_plans([plan(WEB, remove=WEB_RULES, traffic=traffic_of(cut))], GUARDED)

    assert refused[WEB].msg == (
        "require_no_traffic: revoking 2 egress rules from sg-0000000000000a001 would cut 2 observed flows seen in "
        "the flow logs: eni-0aaaaaaaaaaaaaaa1 tcp -> 52.94.0.10 port 443 (1204 packets, last seen "
        "2026-12-01T02:00:00Z); eni-0aaaaaaaaaaaaaaa1 udp -> 8.8.8.8 port 53 (1 packet, last seen "
        "2026-12-01T00:02:00Z); nothing was revoked from sg-0000000000000a001")
    assert refused[WEB].details["cut_flows"] == cut
    assert refused[WEB].details["traffic_coverage"]["complete"] is True


def test_the_refusal_names_ten_flows_and_counts_the_others():
    cut = [entry("52.94.0.%d" % number, 443, packets=100 - number) for number in range(12)]
    refused = refused_plans([plan(WEB, remove=WEB_RULES[:1], traffic=traffic_of(cut))], GUARDED)

    message = refused[WEB].msg
    assert "revoking 1 egress rule from %s would cut 12 observed flows" % WEB in message
    assert "52.94.0.9 port 443" in message and "52.94.0.10 port" not in message
    assert message.endswith("52.94.0.9 port 443 (91 packets, last seen 2026-12-01T00:02:00Z); and 2 more; nothing "
                            "was revoked from sg-0000000000000a001")
    assert len(refused[WEB].details["cut_flows"]) == 12


def test_incomplete_evidence_refuses_with_its_reasons():
    reasons = ["%s has no flow log, on itself, its subnet or its VPC" % WEB_ENI, REASON]
    refused = refused_plans([plan(WEB, remove=WEB_RULES[:1], traffic=traffic_of(reasons=reasons))], GUARDED)

    assert refused[WEB].msg == (
        "require_no_traffic: the flow logs of sg-0000000000000a001 do not show all its traffic in the window, so "
        "removing rules from it cannot be shown to cut nothing: %s; %s; nothing was revoked from "
        "sg-0000000000000a001" % tuple(reasons))
    assert refused[WEB].details == {"cut_flows": [], "traffic_coverage": traffic_of(reasons=reasons).coverage}


def test_cut_flows_are_named_before_incomplete_evidence():
    refused = refused_plans([plan(WEB, remove=WEB_RULES[:1], traffic=traffic_of([entry("52.94.0.10", 443)],
                                                                                [REASON]))], GUARDED)

    assert "would cut 1 observed flow seen in the flow logs: " in refused[WEB].msg
    assert refused[WEB].details["traffic_coverage"]["reasons"] == [REASON]


def test_only_the_plans_that_cut_a_flow_or_lack_evidence_are_refused():
    plans = [plan(WEB, remove=WEB_RULES[:1], traffic=traffic_of([entry("52.94.0.10", 443)])),
             plan(SHARED, remove=[allow_all(SHARED_ALL_V4, SHARED)], traffic=traffic_of()),
             # Nothing removed: nothing to refuse, whatever the evidence.
             plan(IDLE, traffic=traffic_of(reasons=[REASON]))]

    assert sorted(refused_plans(plans, GUARDED)) == [WEB]
    assert refused_plans(plans, Guards()) == {}
    assert refused_plans([plan(WEB, remove=WEB_RULES[:1])], GUARDED) == {}


def test_flow_text():
    assert flow_text(entry("2600:1f18::1", 0, protocol="icmpv6", packets=1)) == (
        "eni-0aaaaaaaaaaaaaaa1 icmpv6 -> 2600:1f18::1 port 0 (1 packet, last seen 2026-12-01T00:02:00Z)")


def test_the_diff_lines_say_what_each_removed_rule_carried_and_cuts():
    cuts = [entry("52.94.0.%d" % number, 443, packets=50 - number) for number in range(12)]
    traffic = traffic_of(cuts, rules={
        ALL_V4: {"flows": 14, "packets": 600, "last_seen": "2026-12-01T02:00:00Z"},
        HTTPS: {"flows": 0, "packets": 0, "last_seen": None}}, rule_cuts={ALL_V4: cuts})

    lines = carried_lines(traffic, [ALL_V4, HTTPS, "sgr-0000000000000a00f"])

    assert lines[ALL_V4][0] == "carried 14 flows (600 packets, last seen 2026-12-01T02:00:00Z)"
    assert lines[ALL_V4][1] == ("cuts eni-0aaaaaaaaaaaaaaa1 tcp -> 52.94.0.0 port 443 (50 packets, last seen "
                                "2026-12-01T00:02:00Z)")
    assert len(lines[ALL_V4]) == 1 + 10 + 1 and lines[ALL_V4][-1] == "cuts 2 more flows"
    assert lines[HTTPS] == ["carried no flow from 2026-12-01T00:00:00Z to 2026-12-02T00:00:00Z"]
    assert "sgr-0000000000000a00f" not in lines
    incomplete = carried_lines(traffic_of(reasons=[REASON], rules={HTTPS: traffic.rules[HTTPS]}), [HTTPS])
    assert incomplete[HTTPS] == ["carried no flow from 2026-12-01T00:00:00Z to 2026-12-02T00:00:00Z; the evidence is "
                                 "incomplete (see traffic_coverage)"]
