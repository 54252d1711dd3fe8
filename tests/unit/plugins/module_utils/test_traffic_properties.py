"""Property-based traffic evidence: the flow tally and the analysis answer what a plain reference model answers.

Hypothesis generates a region: one to three interfaces with one to three groups each, egress rules in those groups
(IPv4 and IPv6 CIDRs, group references, another account's among them, prefix lists, an unreadable one among them,
ICMP rules for every type and for one type, protocol -1 and numbered protocols, tcp/udp ranges), flow log records
(connections started outbound with their reverse records, connections started inbound with their replies, with and
without tcp-flags and flow-direction, ICMP, records outside the window, REJECTs, NODATA, SKIPDATA, records of an
interface nobody asked about, random records), interfaces with incomplete evidence, and the rules a task removes.
The records are written as flow log text lines in one of several formats and fed to ``FlowTally``; its flows go into
an ``Analysis``. Flows, each rule's traffic, the unused rules, the cut flows of each group's plan (and of each of its
rules) and the groups ``require_no_traffic`` refuses must equal the reference's (tests/support/traffic_reference.py).
"""

import ipaddress
import pickle

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ansible_collections.netguard.aws.plugins.module_utils.flow_format import REQUIRED_FIELDS
from ansible_collections.netguard.aws.plugins.module_utils.flow_tally import FlowTally
from ansible_collections.netguard.aws.plugins.module_utils.plan import GroupPlan
from ansible_collections.netguard.aws.plugins.module_utils.request import Guards
from ansible_collections.netguard.aws.plugins.module_utils.rules import DescribedRule
from ansible_collections.netguard.aws.plugins.module_utils.traffic import Analysis, Evidence, Interface, with_traffic
from ansible_collections.netguard.aws.plugins.module_utils.traffic_guard import refused_plans

from ....support.flow_logs import CUSTOM_FIELDS, DEFAULT_FIELDS, record
from ....support import traffic_reference as reference

EXAMPLES = 500
REGION = "us-east-1"
OWNER = "111111111111"
OTHER_ACCOUNT = "222222222222"
SINCE = 1796083200  # 2026-12-01T00:00:00Z
UNTIL = SINCE + 6 * 3600

ENIS = ("eni-0aaaaaaaaaaaaaaa1", "eni-0bbbbbbbbbbbbbbb2", "eni-0ccccccccccccccc3")
# Records of an interface that is behind no selected group: the tally skips them.
STRANGER = "eni-0ddddddddddddddd4"
ADDRESSES = {ENIS[0]: ("10.0.1.10", "2001:db8:1::10"), ENIS[1]: ("10.0.1.20",),
             ENIS[2]: ("10.0.2.30", "2001:db8:2::30"), STRANGER: ("10.0.9.9",)}
GROUPS = ("sg-0000000000000a001", "sg-0000000000000a002", "sg-0000000000000a003")
# Referenced groups outside the interfaces': one with interfaces, one with none, one not found.
REF_KNOWN, REF_EMPTY, REF_UNKNOWN = "sg-0000000000000b001", "sg-0000000000000b002", "sg-0000000000000b003"
FIXED_GROUP_ADDRESSES = {REF_KNOWN: frozenset(["10.0.3.7", "2001:db8:3::7"]), REF_EMPTY: frozenset(),
                         REF_UNKNOWN: None}
PL_KNOWN, PL_EMPTY, PL_UNREADABLE = "pl-0000000000000c001", "pl-0000000000000c002", "pl-0000000000000c003"
PREFIX_LISTS = {PL_KNOWN: ["52.94.0.0/24", "2600:1f18::/48"], PL_EMPTY: [], PL_UNREADABLE: None}

REMOTES = {4: ("10.0.3.7", "52.94.0.10", "52.94.0.200", "192.168.1.7", "8.8.8.8", "10.0.1.20", "10.0.2.30",
               "10.0.1.10"),
           6: ("2001:db8:3::7", "2600:1f18::1", "2600:1f18:1::1", "2a00:1450::1", "2001:db8:2::30",
               "2001:db8:1::10")}

# Formats: the default (no direction, no flags), the custom one with both, one with flags only, one with direction
# only, and the bare minimum the analysis needs (no source port, no counts).
FLAGS_ONLY = ("log-status", "tcp-flags", "interface-id", "srcaddr", "srcport", "dstaddr", "dstport", "protocol",
              "bytes", "packets", "start", "end", "action")
DIRECTION_ONLY = ("version", "interface-id", "flow-direction", "dstaddr", "srcaddr", "dstport", "srcport", "protocol",
                  "start", "end", "action", "log-status", "packets", "bytes")
FORMATS = (DEFAULT_FIELDS, CUSTOM_FIELDS, FLAGS_ONLY, DIRECTION_ONLY, tuple(reversed(REQUIRED_FIELDS)))


# ----- generated rules -------------------------------------------------------------------------------------------

PROTOCOLS = st.sampled_from(["tcp", "tcp", "tcp", "udp", "icmp", "icmpv6", "-1", "-1", "-1", "50"])
TCP_UDP_PORTS = st.sampled_from([(0, 65535), (0, 65535), (-1, -1), (443, 443), (53, 53), (80, 443), (22, 22),
                                 (1024, 65535), (30000, 40000), (8080, 8080)])
ICMP_PORTS = st.sampled_from([(-1, -1), (8, -1), (3, 4), (0, 0)])
KINDS = st.sampled_from(["cidr4", "cidr4", "cidr4", "cidr6", "group", "group", "prefix_list", "prefix_list"])
DESTINATIONS = {
    "cidr4": st.sampled_from(["0.0.0.0/0", "0.0.0.0/0", "0.0.0.0/0", "10.0.0.0/8", "10.0.0.0/8", "10.0.3.0/24",
                              "52.94.0.10/32", "192.168.0.0/16", "8.8.8.0/24", "10.0.1.20/32"]),
    "cidr6": st.sampled_from(["::/0", "2001:db8::/32", "2600:1f18::/32", "2001:db8:3::7/128"]),
    "group": st.tuples(st.sampled_from(GROUPS + (REF_KNOWN, REF_EMPTY, REF_UNKNOWN)),
                       st.sampled_from([OWNER, None, OTHER_ACCOUNT])),
    "prefix_list": st.sampled_from([PL_KNOWN, PL_KNOWN, PL_EMPTY, PL_UNREADABLE, PL_UNREADABLE]),
}
OWNING_GROUPS = st.sampled_from(GROUPS)


@st.composite
def rule_parts(draw):
    group_id, protocol, kind = draw(OWNING_GROUPS), draw(PROTOCOLS), draw(KINDS)
    if protocol in ("tcp", "udp"):
        ports = draw(TCP_UDP_PORTS)
    elif protocol in ("icmp", "icmpv6"):
        ports = draw(ICMP_PORTS)
    else:
        ports = (-1, -1)
    return group_id, protocol, ports, kind, draw(DESTINATIONS[kind])


RULE_PARTS = st.lists(rule_parts(), min_size=2, max_size=10)
# The egress rules a new group has: allow all, IPv4 and IPv6.
DEFAULT_RULES = (("-1", (-1, -1), "cidr4", "0.0.0.0/0"), ("-1", (-1, -1), "cidr6", "::/0"))
HAS_DEFAULT_RULE = st.sampled_from([True, True, False])


def api_rule(number, group_id, protocol, ports, kind, destination):
    item = {"SecurityGroupRuleId": "sgr-%017x" % number, "GroupId": group_id, "GroupOwnerId": OWNER,
            "IsEgress": True, "IpProtocol": protocol, "FromPort": ports[0], "ToPort": ports[1], "Tags": []}
    if kind == "cidr4":
        item["CidrIpv4"] = destination
    elif kind == "cidr6":
        item["CidrIpv6"] = destination
    elif kind == "prefix_list":
        item["PrefixListId"] = destination
    else:
        referenced_id, user_id = destination
        item["ReferencedGroupInfo"] = {"GroupId": referenced_id}
        if user_id is not None:
            item["ReferencedGroupInfo"]["UserId"] = user_id
    return item


# ----- generated records -----------------------------------------------------------------------------------------

EVENT_KINDS = st.sampled_from(["outbound", "outbound", "outbound", "inbound", "inbound", "inbound",
                               "low_to_ephemeral", "low_to_low", "icmp", "icmp", "numbered", "noise", "noise", "nodata",
                               "skipdata"])
LOCAL_ADDRESSES = dict((eni, st.sampled_from(addresses)) for eni, addresses in ADDRESSES.items())
REMOTE_ADDRESSES = dict((version, st.sampled_from(addresses)) for version, addresses in REMOTES.items())
ANY_ADDRESS = st.sampled_from(REMOTES[4] + REMOTES[6] + ("10.0.9.9",))
PORT_PROTOCOLS = st.sampled_from([6, 6, 17])
SERVICE_PORTS = st.sampled_from([22, 53, 80, 123, 443, 5432, 8080, 32767])
EPHEMERAL_PORTS = st.sampled_from([32768, 40001, 49152, 60000, 65535])
ANY_PORT = st.sampled_from([0, 22, 53, 443, 1023, 8080, 32767, 32768, 40001, 65535])
ANY_PROTOCOL = st.sampled_from([6, 17, 1, 58, 50])
# tcp-flags as AWS logs them (an OR of the flags of the interval): the initiator's SYN, the responder's SYN-ACK,
# or neither (an interval with only FIN, RST or nothing); "-" where no value was logged.
INITIATOR_FLAGS = st.sampled_from([2, 2, 3, 0, 1, 4, "-"])
RESPONDER_FLAGS = st.sampled_from([18, 18, 19, 0, 1, 4, "-"])
ANY_FLAGS = st.sampled_from([0, 1, 2, 3, 4, 16, 18, 19, 22, 255, "-"])
DIRECTIONS = st.sampled_from(["ingress", "egress"])
# Starts and lengths around both ends of the window: an end at since is in, a start at until is out.
STARTS = st.sampled_from([SINCE - 7200, SINCE - 61, SINCE - 60, SINCE, SINCE + 1, SINCE + 600, SINCE + 3600,
                          SINCE + 3600, SINCE + 7200, SINCE + 7200, UNTIL - 61, UNTIL - 1, UNTIL, UNTIL + 60])
LENGTHS = st.sampled_from([0, 59, 60, 60, 600])
COUNTS = st.sampled_from([(1, 40), (2, 120), (10, 840), (10, 1500), (500, 64000), (7, 840)])
ACTIONS = st.sampled_from(["ACCEPT"] * 6 + ["REJECT"])
SAME_TIME = st.sampled_from([True, True, True, False])
PRESENT = st.sampled_from([True, True, True, False])
EITHER = st.booleans()


def one_record(draw, eni, source, destination, source_port, port, protocol, direction, flags, start=None,
               action=None):
    start = draw(STARTS) if start is None else start
    packets, size = draw(COUNTS)
    return {"interface-id": eni, "srcaddr": source, "dstaddr": destination, "srcport": source_port, "dstport": port,
            "protocol": protocol, "packets": packets, "bytes": size, "start": start, "end": start + draw(LENGTHS),
            "action": draw(ACTIONS) if action is None else action, "log-status": "OK", "flow-direction": direction,
            "tcp-flags": flags}


def remote_for(draw, local):
    return draw(REMOTE_ADDRESSES[6 if ":" in local else 4])


@st.composite
def events(draw, enis):
    """The records of one event: a connection seen from one of ``enis``, with or without its other half."""
    kind, eni = draw(EVENT_KINDS), draw(enis)
    local = draw(LOCAL_ADDRESSES[eni])
    remote = remote_for(draw, local)
    if kind in ("nodata", "skipdata"):
        start = draw(STARTS)
        return [{"interface-id": eni, "start": start, "end": start + 60, "action": "-",
                 "log-status": kind.upper()}]
    if kind == "noise":
        return [one_record(draw, eni, draw(ANY_ADDRESS), draw(ANY_ADDRESS), draw(ANY_PORT), draw(ANY_PORT),
                           draw(ANY_PROTOCOL), draw(DIRECTIONS), draw(ANY_FLAGS))]
    if kind in ("icmp", "numbered"):
        protocol = (58 if ":" in local else 1) if kind == "icmp" else 50
        first = one_record(draw, eni, local, remote, 0, 0, protocol, "egress", 0)
        second = one_record(draw, eni, remote, local, 0, 0, protocol, "ingress", 0)
        if draw(PRESENT):
            return [first, second]
        return [first if draw(EITHER) else second]
    protocol = draw(PORT_PROTOCOLS)
    if kind == "inbound":
        # A connection to a service port of the interface, and the interface's replies.
        service, ephemeral = draw(SERVICE_PORTS), draw(EPHEMERAL_PORTS)
        reply = one_record(draw, eni, local, remote, service, ephemeral, protocol, "egress", draw(RESPONDER_FLAGS))
        if not draw(PRESENT):
            return [reply]
        start = reply["start"] if draw(SAME_TIME) else None
        return [one_record(draw, eni, remote, local, ephemeral, service, protocol, "ingress", draw(INITIATOR_FLAGS),
                           start), reply]
    # A connection the interface started, from an ephemeral port (or a low one) to a service port (or a high one).
    local_port = draw(SERVICE_PORTS) if kind in ("low_to_low", "low_to_ephemeral") else draw(EPHEMERAL_PORTS)
    remote_port = draw(EPHEMERAL_PORTS) if kind == "low_to_ephemeral" else draw(SERVICE_PORTS)
    sent = one_record(draw, eni, local, remote, local_port, remote_port, protocol, "egress", draw(INITIATOR_FLAGS))
    if not draw(PRESENT):
        return [sent]
    start = sent["start"] if draw(SAME_TIME) else None
    return [sent, one_record(draw, eni, remote, local, remote_port, local_port, protocol, "ingress",
                             draw(RESPONDER_FLAGS), start)]


INTERFACE_COUNTS = st.integers(1, len(ENIS))
# The events of 1, 2 or 3 interfaces, and now and then of one behind no selected group.
EVENTS = dict((count, st.lists(events(st.sampled_from(ENIS[:count] * 4 + (STRANGER,))), min_size=4, max_size=14))
              for count in range(1, len(ENIS) + 1))
GROUP_SETS = st.lists(OWNING_GROUPS, unique=True, min_size=1, max_size=3)
REMOVED = st.booleans()
INCOMPLETE = st.sampled_from([False] * 7 + [True])
EXTRA_TARGET = st.booleans()
FORMAT = st.sampled_from(FORMATS)
HEADER = st.booleans()
CUTS = st.lists(st.integers(0, 4000), max_size=3)
SPLITS = st.integers(0, 40)


@st.composite
def scenarios(draw):
    interfaces, count = {}, draw(INTERFACE_COUNTS)
    for eni in ENIS[:count]:
        interfaces[eni] = reference.RefInterface(eni, ADDRESSES[eni], tuple(draw(GROUP_SETS)), OWNER)
    parts = [(group_id,) + default for group_id in GROUPS for default in DEFAULT_RULES if draw(HAS_DEFAULT_RULE)]
    rules = [api_rule(number, *each) for number, each in enumerate(parts + draw(RULE_PARTS), 1)]
    records = [item for event in draw(EVENTS[count]) for item in event]
    removed = set(rule["SecurityGroupRuleId"] for rule in rules if draw(REMOVED))
    # The task's groups: those it removes rules from, and perhaps one more it removes nothing from.
    targets = set(rule["GroupId"] for rule in rules if rule["SecurityGroupRuleId"] in removed)
    if draw(EXTRA_TARGET):
        targets.add(draw(OWNING_GROUPS))
    incomplete = set(eni for eni in interfaces if draw(INCOMPLETE))
    return {"interfaces": interfaces, "rules": rules, "records": records, "removed": removed,
            "targets": sorted(targets), "incomplete": incomplete, "fields": draw(FORMAT), "header": draw(HEADER),
            "cuts": draw(CUTS), "split": draw(SPLITS)}


SCENARIOS = scenarios()


# ----- the collection's answer -----------------------------------------------------------------------------------

def group_addresses_of(interfaces):
    """The addresses of each referenced group: those of the interfaces behind the region's own groups, and the
    fixed ones of the groups outside."""
    found = dict(FIXED_GROUP_ADDRESSES)
    for group_id in GROUPS:
        found[group_id] = frozenset(address for interface in interfaces.values() if group_id in interface.group_ids
                                    for address in interface.addresses)
    return found


def logged(fields, values):
    """A record as the reference reads it: each field of the format, ``-`` where it holds no value."""
    return dict((field, str(values.get(field, "-"))) for field in fields)


def text_of(fields, records, header):
    lines = [record(fields, **values) for values in records]
    if header:
        lines.insert(0, " ".join(fields))
    return ("\n".join(lines) + "\n").encode()


def pieces(text, cuts):
    """The text cut at the given offsets, as a reader's chunks would be."""
    offsets = [0] + sorted(set(cut % (len(text) + 1) for cut in cuts)) + [len(text)]
    return [text[first:last] for first, last in zip(offsets, offsets[1:])]


def tallied(scenario):
    """The records fed as text in two parts (say, two objects read by two processes), the second part's tally
    merged into the first's."""
    interfaces, fields, header = scenario["interfaces"], scenario["fields"], scenario["header"]
    addresses = dict((eni, interface.addresses) for eni, interface in interfaces.items())
    split = scenario["split"] % (len(scenario["records"]) + 1)
    first, second = FlowTally(addresses, SINCE, UNTIL), FlowTally(addresses, SINCE, UNTIL)
    # With a header line, the header gives the format, whatever the reader was told.
    told = DEFAULT_FIELDS if header else fields
    first.feed_text(pieces(text_of(fields, scenario["records"][:split], header), scenario["cuts"]), told,
                    header=header)
    second.feed_text([text_of(fields, scenario["records"][split:], False)], fields)
    first.merge(pickle.loads(pickle.dumps(second.state())))
    return first


def analysis_of(scenario, flows):
    interfaces = scenario["interfaces"]
    by_interface = dict((eni, []) for eni in interfaces)
    for flow in flows:
        by_interface[flow.interface].append(flow)
    evidence = Evidence(
        SINCE, UNTIL,
        dict((eni, Interface(eni, interface.group_ids, frozenset(interface.addresses), "subnet-0123456789abcdef0",
                             "vpc-0123456789abcdef0", interface.owner_id))
             for eni, interface in interfaces.items()),
        dict((group_id, [DescribedRule(rule) for rule in scenario["rules"] if rule["GroupId"] == group_id])
             for group_id in GROUPS),
        group_addresses_of(interfaces),
        dict((prefix_list_id, None if entries is None else tuple(ipaddress.ip_network(entry) for entry in entries))
             for prefix_list_id, entries in PREFIX_LISTS.items()),
        by_interface,
        dict((eni, ["%s: its flow log was created after since" % eni]) for eni in sorted(scenario["incomplete"])))
    return Analysis(evidence)


NO_PLAN = GroupPlan(*[None] * len(GroupPlan._fields))


def plans_of(scenario):
    plans = []
    for group_id in scenario["targets"]:
        rules = [DescribedRule(rule) for rule in scenario["rules"]
                 if rule["GroupId"] == group_id and rule["SecurityGroupRuleId"] in scenario["removed"]]
        plans.append(NO_PLAN._replace(group={"GroupId": group_id}, region=REGION, taken=rules, remove=rules))
    return plans


def reference_of(scenario):
    return reference.Reference(scenario["interfaces"], scenario["rules"], group_addresses_of(scenario["interfaces"]),
                               PREFIX_LISTS, [logged(scenario["fields"], values) for values in scenario["records"]],
                               SINCE, UNTIL, scenario["incomplete"])


def ordered(entries):
    return sorted(entries, key=lambda entry: sorted(entry.items()))


def assert_most_packets_first(entries):
    packets = [entry["packets"] for entry in entries]
    assert packets == sorted(packets, reverse=True), entries


# ----- the property ----------------------------------------------------------------------------------------------

def test_flows_rule_traffic_unused_and_cut_flows_equal_the_reference():
    seen = {"examples": 0, "replies_left_out": 0, "flows": 0, "maybe": 0, "cut": 0, "kept_by_another_rule": 0,
            "cut_though_a_kept_rule_might_allow": 0, "refused": 0, "unused": 0}

    @settings(max_examples=EXAMPLES, derandomize=True, deadline=None, database=None,
              suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
    @given(SCENARIOS)
    def check(scenario):
        expected = reference_of(scenario)
        tally = tallied(scenario)
        flows = tally.flows()

        found = dict(((flow.interface, flow.protocol, flow.destination, flow.port),
                      {"packets": flow.packets, "bytes": flow.bytes, "first": flow.first, "last": flow.last})
                     for flow in flows)
        assert len(found) == len(flows), flows
        assert found == expected.flows
        records = [logged(scenario["fields"], values) for values in scenario["records"]]
        assert tally.interfaces_seen() == reference.interfaces_seen(scenario["interfaces"], records, SINCE, UNTIL)
        assert set(eni.decode() for eni in tally.skipped) == reference.interfaces_skipped(
            scenario["interfaces"], records, SINCE, UNTIL)
        assert tally.unreadable == 0

        analysis = analysis_of(scenario, flows)
        for group_id in GROUPS:
            rule_ids = [rule["SecurityGroupRuleId"] for rule in scenario["rules"] if rule["GroupId"] == group_id]
            for rule_id in rule_ids:
                traffic, wanted = analysis.rule_traffic(group_id, rule_id), expected.rule_traffic(rule_id)
                top, wanted_top = traffic.pop("top_destinations"), wanted.pop("top_destinations")
                assert traffic == wanted, (group_id, rule_id)
                # Ties in packets may come in any order: the same packet counts, each one a flow the rule carried.
                assert [entry["packets"] for entry in top] == [entry["packets"] for entry in wanted_top]
                carried = [expected.entry(key) for key in expected.carried(rule_id)]
                assert all(entry in carried for entry in top), (top, carried)
            assert analysis.unused_rule_ids(group_id, rule_ids) == expected.unused(group_id), group_id
            seen["unused"] += bool(expected.unused(group_id))

        plans = with_traffic(plans_of(scenario), analysis, listing=False)
        removed = scenario["removed"]
        for plan in plans:
            group_id = plan.group["GroupId"]
            assert_most_packets_first(plan.traffic.cut_flows)
            assert ordered(plan.traffic.cut_flows) == ordered(expected.cut_entries(group_id, removed)), group_id
            for rule in plan.remove:
                assert ordered(plan.traffic.rule_cuts[rule.rule_id]) == ordered(
                    expected.cut_entries(group_id, removed, {rule.rule_id})), (group_id, rule.rule_id)
            assert plan.traffic.coverage["complete"] == expected.complete(group_id)
            seen["cut"] += bool(plan.traffic.cut_flows)
            carried = set(key for rule in plan.remove for key in expected.carried(rule.rule_id))
            seen["kept_by_another_rule"] += bool(carried - set(expected.cut(group_id, removed)))
            seen["cut_though_a_kept_rule_might_allow"] += any(
                expected.verdict(rule, key) == reference.MAYBE and rule["SecurityGroupRuleId"] not in removed
                for key in expected.cut(group_id, removed) for rule in expected.rules_of(expected.interfaces[key[0]]))
        refused = refused_plans(plans, Guards(require_no_traffic=True))
        assert set(refused) == expected.refused(scenario["targets"], removed)
        seen["refused"] += bool(refused)

        seen["examples"] += 1
        sent = [item for item in records if item.get("interface-id") in scenario["interfaces"]
                and item.get("action") == "ACCEPT" and reference.in_window(item, SINCE, UNTIL)
                and not reference.is_inbound(item, scenario["interfaces"][item["interface-id"]])]
        seen["replies_left_out"] += len(sent) > len(reference.counted_records(scenario["interfaces"], records, SINCE,
                                                                              UNTIL))
        seen["flows"] += bool(expected.flows)
        seen["maybe"] += any(value == reference.MAYBE for value in expected.verdicts.values())

    check()
    assert seen["examples"] >= EXAMPLES
    # The examples exercise what they are for.
    for name in ("replies_left_out", "flows", "maybe", "cut", "kept_by_another_rule",
                 "cut_though_a_kept_rule_might_allow", "refused", "unused"):
        assert seen[name] > EXAMPLES / 10, "%s: %r" % (name, seen)
