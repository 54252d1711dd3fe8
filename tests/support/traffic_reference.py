"""A plain reference model of the traffic evidence (docs/matching.md, "Traffic evidence"), to check the collection's
flow tally and analysis against.

It shares no code with plugins/module_utils/flow_tally.py or traffic.py: it walks every record and every rule in
simple loops, and only takes a rule's canonical protocol and ports from ``rules.DescribedRule`` (the rules' own
reference is in test_rules.py).

Inputs:

- ``interfaces``: ``{interface_id: RefInterface}`` (own addresses as text, group IDs, owning account);
- ``records``: dicts of field name -> text value as the flow log line holds them (``-`` for a value not logged);
  a field the format does not log is absent or ``-``;
- ``rules``: egress rules as ``DescribeSecurityGroupRules`` returns them (dicts with ``GroupId``);
- ``group_addresses``: ``{referenced group ID: set of addresses as text, or None when unknown}``;
- ``prefix_lists``: ``{prefix list ID: list of CIDR blocks as text, or None when unreadable}``;
- ``incomplete``: the interfaces whose evidence is incomplete (coverage reasons);
- the window ``since``/``until`` in seconds since the epoch.
"""

import ipaddress
from collections import namedtuple
from datetime import datetime, timezone

from ansible_collections.netguard.aws.plugins.module_utils.rules import DescribedRule

RefInterface = namedtuple("RefInterface", ["interface_id", "addresses", "group_ids", "owner_id"])

SURELY = "surely"
MAYBE = "maybe"
FIRST_EPHEMERAL_PORT = 32768
LAST_PORT = 65535
SYN = 2
ACK = 16
TOP = 10
PROTOCOL_NAMES = {6: "tcp", 17: "udp", 1: "icmp", 58: "icmpv6"}
PROTOCOL_NUMBERS = {"tcp": 6, "udp": 17, "icmp": 1, "icmpv6": 58}


# ----- records -> flows ------------------------------------------------------------------------------------------

def logged(record, name):
    """The value of a field, or None when the format does not log it or the record has ``-``."""
    value = record.get(name)
    if value is None or value == "-":
        return None
    return value


def number(record, name):
    value = logged(record, name)
    return None if value is None else int(value)


def same_address(first, second):
    if first is None or second is None:
        return False
    return ipaddress.ip_address(first) == ipaddress.ip_address(second)


def is_own(address, interface):
    for own in interface.addresses:
        if same_address(address, own):
            return True
    return False


def in_window(record, since, until):
    start, end = number(record, "start"), number(record, "end")
    return end >= since and start < until


def is_inbound(record, interface):
    """``flow-direction`` where it is logged; else inbound iff the destination is the interface's own address and
    the source is not. A ``-`` where the format has ``flow-direction`` is no direction logged: the addresses decide."""
    direction = logged(record, "flow-direction")
    if direction == "ingress":
        return True
    if direction == "egress":
        return False
    return is_own(logged(record, "dstaddr"), interface) and not is_own(logged(record, "srcaddr"), interface)


def accepted_in_window(record, interfaces, since, until):
    """The record's interface, if the record is one of a known interface, accepted and in the window."""
    interface = interfaces.get(record.get("interface-id"))
    if interface is None or record.get("action") != "ACCEPT" or not in_window(record, since, until):
        return None
    return interface


def is_reverse(candidate, record):
    """Whether ``candidate`` goes remote -> local for ``record`` (local -> remote), same protocol and ports."""
    return (candidate.get("interface-id") == record.get("interface-id")
            and number(candidate, "protocol") == number(record, "protocol")
            and same_address(logged(candidate, "srcaddr"), logged(record, "dstaddr"))
            and same_address(logged(candidate, "dstaddr"), logged(record, "srcaddr"))
            and number(candidate, "srcport") is not None and number(candidate, "srcport") == number(record, "dstport")
            and number(candidate, "dstport") is not None and number(candidate, "dstport") == number(record, "srcport"))


def is_reply(record, records, interfaces, since, until):
    """A sent record that replies to a connection that started inbound."""
    flags = number(record, "tcp-flags")
    if flags is not None:
        if flags & SYN and flags & ACK:
            return True
        if flags & SYN:
            return False
    local_port, remote_port = number(record, "srcport"), number(record, "dstport")
    if local_port is None or remote_port is None:
        return False
    if not (local_port < FIRST_EPHEMERAL_PORT and FIRST_EPHEMERAL_PORT <= remote_port <= LAST_PORT):
        return False
    for other in records:
        interface = accepted_in_window(other, interfaces, since, until)
        if interface is None or not is_inbound(other, interface):
            continue
        if is_reverse(other, record):
            return True
    return False


def counted_records(interfaces, records, since, until):
    """The records that count as sent: known interface, accepted, in the window, sent, and no reply."""
    counted = []
    for record in records:
        interface = accepted_in_window(record, interfaces, since, until)
        if interface is None:
            continue
        if is_inbound(record, interface):
            continue
        if is_reply(record, records, interfaces, since, until):
            continue
        counted.append(record)
    return counted


def flow_key(record):
    return (record["interface-id"], int(record["protocol"]), record["dstaddr"], int(record["dstport"]))


def flows(interfaces, records, since, until):
    """``{(interface, protocol number, destination, port): {"packets", "bytes", "first", "last"}}``."""
    found = {}
    for record in counted_records(interfaces, records, since, until):
        key = flow_key(record)
        packets = number(record, "packets") or 0
        size = number(record, "bytes") or 0
        start, end = number(record, "start"), number(record, "end")
        if key not in found:
            found[key] = {"packets": 0, "bytes": 0, "first": start, "last": end}
        tally = found[key]
        tally["packets"] += packets
        tally["bytes"] += size
        tally["first"] = min(tally["first"], start)
        tally["last"] = max(tally["last"], end)
    return found


def interfaces_seen(interfaces, records, since, until):
    """The known interfaces with any record in the window, whatever its action or status."""
    return set(record["interface-id"] for record in records
               if record.get("interface-id") in interfaces and in_window(record, since, until))


def interfaces_skipped(interfaces, records, since, until):
    return set(record["interface-id"] for record in records
               if record.get("interface-id") in interfaces and in_window(record, since, until)
               and record.get("log-status") == "SKIPDATA")


# ----- rules -----------------------------------------------------------------------------------------------------

def address_in_block(address, block):
    """Containment on integer ranges, same family only."""
    address = ipaddress.ip_address(address)
    network = ipaddress.ip_network(block, strict=False)
    if address.version != network.version:
        return False
    return int(network.network_address) <= int(address) <= int(network.broadcast_address)


def protocol_verdict(api_rule, protocol, port):
    rule = DescribedRule(api_rule).rule
    if rule.protocol == "-1":
        return SURELY
    if rule.protocol in ("tcp", "udp"):
        if protocol == PROTOCOL_NUMBERS[rule.protocol] and rule.from_port <= port <= rule.to_port:
            return SURELY
        return None
    if rule.protocol in ("icmp", "icmpv6"):
        if protocol != PROTOCOL_NUMBERS[rule.protocol]:
            return None
        # A rule for one ICMP type: flow logs do not record the type.
        return SURELY if rule.from_port == -1 else MAYBE
    return SURELY if int(rule.protocol) == protocol else None


def destination_verdict(api_rule, destination, interface, group_addresses, prefix_lists):
    if api_rule.get("CidrIpv4") or api_rule.get("CidrIpv6"):
        block = api_rule.get("CidrIpv4") or api_rule.get("CidrIpv6")
        return SURELY if address_in_block(destination, block) else None
    if api_rule.get("PrefixListId"):
        entries = prefix_lists.get(api_rule["PrefixListId"])
        if entries is None:
            return MAYBE
        for block in entries:
            if address_in_block(destination, block):
                return SURELY
        return None
    referenced = api_rule.get("ReferencedGroupInfo") or {}
    owner = referenced.get("UserId")
    if owner is not None and owner != interface.owner_id:
        return MAYBE
    addresses = group_addresses.get(referenced.get("GroupId"))
    if addresses is None:
        return MAYBE
    for address in addresses:
        if same_address(address, destination):
            return SURELY
    return None


def verdict(api_rule, key, interface, group_addresses, prefix_lists):
    """SURELY, MAYBE or None: whether the rule lets the flow ``key`` of ``interface`` out."""
    _interface_id, protocol, destination, port = key
    by_protocol = protocol_verdict(api_rule, protocol, port)
    if by_protocol is None:
        return None
    by_destination = destination_verdict(api_rule, destination, interface, group_addresses, prefix_lists)
    if by_destination is None:
        return None
    if by_protocol == SURELY and by_destination == SURELY:
        return SURELY
    return MAYBE


# ----- per rule, unused, cut -------------------------------------------------------------------------------------

def flow_order(entry):
    """A sort key of flow entries that tie on packets: by interface, destination, port and protocol."""
    return entry["interface"], entry["destination"], entry["port"], entry["protocol"]


def iso(seconds):
    return datetime.fromtimestamp(seconds, timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def protocol_text(protocol):
    return PROTOCOL_NAMES.get(protocol, str(protocol))


class Reference:
    """The evidence of one region, answered with loops."""

    def __init__(self, interfaces, rules, group_addresses, prefix_lists, records, since, until, incomplete=()):
        self.interfaces = interfaces
        self.rules = rules
        self.group_addresses = group_addresses
        self.prefix_lists = prefix_lists
        self.since, self.until = since, until
        self.incomplete = set(incomplete)
        self.flows = flows(interfaces, records, since, until)
        # {(rule ID, flow key): SURELY, MAYBE or None}, each rule judged once per flow.
        self.verdicts = {}

    def entry(self, key):
        interface_id, protocol, destination, port = key
        tally = self.flows[key]
        return {"interface": interface_id, "protocol": protocol_text(protocol), "destination": destination,
                "port": port, "packets": tally["packets"], "bytes": tally["bytes"], "last_seen": iso(tally["last"])}

    def rules_of(self, interface):
        return [api_rule for api_rule in self.rules if api_rule["GroupId"] in interface.group_ids]

    def behind(self, group_id):
        return [interface for interface in self.interfaces.values() if group_id in interface.group_ids]

    def flows_of(self, interface):
        return [key for key in self.flows if key[0] == interface.interface_id]

    def verdict(self, api_rule, key):
        known = (api_rule["SecurityGroupRuleId"], key)
        if known not in self.verdicts:
            interface = self.interfaces[key[0]]
            self.verdicts[known] = verdict(api_rule, key, interface, self.group_addresses, self.prefix_lists)
        return self.verdicts[known]

    def group_of(self, rule_id):
        for api_rule in self.rules:
            if api_rule["SecurityGroupRuleId"] == rule_id:
                return api_rule["GroupId"]
        return None

    def carried(self, rule_id):
        """The flow keys the rule allows or might allow, of the interfaces behind its group."""
        group_id = self.group_of(rule_id)
        found = []
        for interface in self.behind(group_id):
            for key in self.flows_of(interface):
                for api_rule in self.rules_of(interface):
                    if api_rule["SecurityGroupRuleId"] == rule_id and self.verdict(api_rule, key) is not None:
                        found.append(key)
        return found

    def only_rule_for(self, rule_id):
        """Of the flows the rule carried, those no other rule of the interface's groups surely allows."""
        only = []
        for key in self.carried(rule_id):
            interface = self.interfaces[key[0]]
            others = [api_rule for api_rule in self.rules_of(interface)
                      if api_rule["SecurityGroupRuleId"] != rule_id and self.verdict(api_rule, key) == SURELY]
            if not others:
                only.append(key)
        return only

    def rule_traffic(self, rule_id):
        """The info module's ``traffic`` of a rule; ``top_destinations`` ordered by packets (ties in any order)."""
        carried = self.carried(rule_id)
        ranked = sorted(carried, key=lambda key: -self.flows[key]["packets"])
        return {"flows": len(carried),
                "packets": sum(self.flows[key]["packets"] for key in carried),
                "bytes": sum(self.flows[key]["bytes"] for key in carried),
                "first_seen": iso(min(self.flows[key]["first"] for key in carried)) if carried else None,
                "last_seen": iso(max(self.flows[key]["last"] for key in carried)) if carried else None,
                "only_rule_for": len(self.only_rule_for(rule_id)),
                "top_destinations": [self.entry(key) for key in ranked[:TOP]]}

    def complete(self, group_id):
        return not any(interface.interface_id in self.incomplete for interface in self.behind(group_id))

    def unused(self, group_id):
        """The group's rules that carried no flow; none when the group's evidence is incomplete."""
        if not self.complete(group_id):
            return set()
        return set(api_rule["SecurityGroupRuleId"] for api_rule in self.rules
                   if api_rule["GroupId"] == group_id and not self.carried(api_rule["SecurityGroupRuleId"]))

    def cut(self, group_id, removed, removed_here=None):
        """The flow keys of the interfaces behind the group that one of ``removed_here`` (by default: the group's
        rules among ``removed``) allows or might allow, and that no rule left after ``removed`` (the task's, every
        group) surely allows."""
        if removed_here is None:
            removed_here = set(api_rule["SecurityGroupRuleId"] for api_rule in self.rules
                               if api_rule["GroupId"] == group_id and api_rule["SecurityGroupRuleId"] in removed)
        cut = []
        for interface in self.behind(group_id):
            for key in self.flows_of(interface):
                removed_allows = False
                kept_allows = False
                for api_rule in self.rules_of(interface):
                    found = self.verdict(api_rule, key)
                    if found is None:
                        continue
                    if api_rule["SecurityGroupRuleId"] in removed_here:
                        removed_allows = True
                    if api_rule["SecurityGroupRuleId"] not in removed and found == SURELY:
                        kept_allows = True
                if removed_allows and not kept_allows:
                    cut.append(key)
        return cut

    def cut_entries(self, group_id, removed, removed_here=None):
        return [self.entry(key) for key in self.cut(group_id, removed, removed_here)]

    def refused(self, group_ids, removed):
        """The groups ``require_no_traffic`` refuses: those whose removals cut a flow or whose evidence is
        incomplete."""
        refused = set()
        for group_id in group_ids:
            here = [api_rule for api_rule in self.rules
                    if api_rule["GroupId"] == group_id and api_rule["SecurityGroupRuleId"] in removed]
            if here and (self.cut(group_id, removed) or not self.complete(group_id)):
                refused.add(group_id)
        return refused
