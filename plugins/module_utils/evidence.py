# -*- coding: utf-8 -*-
# Copyright: Contributors to the netguard.aws collection
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""The traffic stage of the pipeline: read what a region's flow logs show of the interfaces behind the groups.

For ``traffic``: the interfaces behind the target groups (``DescribeNetworkInterfaces``,
which gives all their groups and addresses), the egress rules of their other groups,
the addresses behind referenced groups and the entries of prefix lists, then the flow
logs (``DescribeFlowLogs``, or those named in ``traffic.flow_logs``), each read once
for all its interfaces. The result is a ``traffic.Analysis``; what the evidence lacks
becomes its reasons, never silence.
"""

import ipaddress

from ansible_collections.netguard.aws.plugins.module_utils.errors import NetguardAwsError
from ansible_collections.netguard.aws.plugins.module_utils.flow_logs import choose_sources
from ansible_collections.netguard.aws.plugins.module_utils.flow_readers import parquet_problem, read_source
from ansible_collections.netguard.aws.plugins.module_utils.flow_tally import FlowTally
from ansible_collections.netguard.aws.plugins.module_utils.formatting import counted
from ansible_collections.netguard.aws.plugins.module_utils.rules import (
    PREFIX_LIST_ID,
    REFERENCED_GROUP_ID,
    DescribedRule,
)
from ansible_collections.netguard.aws.plugins.module_utils.selector import egress_rules_of
from ansible_collections.netguard.aws.plugins.module_utils.traffic import Analysis, Evidence, Interface


def observe(api, log_clients, group_ids, described, traffic):
    """``(Analysis, warnings)`` of the groups ``group_ids`` in ``api``'s region; ``described``: ``{group_id:
    [DescribedRule]}`` already read; ``traffic``: the request's ``TrafficRequest``."""
    warnings = []
    interfaces = dict((interface.interface_id, interface)
                      for interface in map(_interface, api.network_interfaces(group_ids) if group_ids else ()))
    rules = dict((group_id, egress_rules_of(group_id, described.get(group_id, ()))) for group_id in group_ids)
    others = sorted(set(group_id for interface in interfaces.values() for group_id in interface.group_ids) - set(rules))
    if others:
        for api_rule in api.security_group_rules(others):
            if api_rule.get("IsEgress"):
                rules.setdefault(api_rule["GroupId"], []).append(DescribedRule(api_rule))
    every_rule = [rule for group_rules in rules.values() for rule in group_rules]
    referenced = sorted(set(rule.rule.destination for rule in every_rule
                            if rule.rule.destination_type == REFERENCED_GROUP_ID and rule.rule.destination))
    group_addresses = dict((group_id, frozenset()) for group_id in referenced)
    if referenced:
        for entry in api.network_interfaces(referenced):
            for group in entry.get("Groups") or ():
                if group.get("GroupId") in group_addresses:
                    group_addresses[group["GroupId"]] |= _interface(entry).addresses
    prefix_lists = {}
    for prefix_list_id in sorted(set(rule.rule.destination for rule in every_rule
                                     if rule.rule.destination_type == PREFIX_LIST_ID)):
        try:
            prefix_lists[prefix_list_id] = tuple(ipaddress.ip_network(cidr, strict=False)
                                                 for cidr in api.prefix_list_entries(prefix_list_id))
        except NetguardAwsError as error:
            prefix_lists[prefix_list_id] = None
            warnings.append("traffic: the entries of prefix list %s could not be read, so its rules are taken as "
                            "possibly allowing any flow: %s" % (prefix_list_id, error.msg))
    flows, reasons = _read_flows(api, log_clients, interfaces, traffic)
    evidence = Evidence(traffic.since, traffic.until, interfaces, rules, group_addresses, prefix_lists, flows, reasons)
    return Analysis(evidence), warnings


def _interface(entry):
    # The private addresses: those its flow log records show, and those a rule referring to its group allows (a group
    # reference does not reach public or Elastic IP addresses).
    addresses = set([entry.get("PrivateIpAddress")])
    addresses.update(private.get("PrivateIpAddress") for private in entry.get("PrivateIpAddresses") or ())
    addresses.update(ipv6.get("Ipv6Address") for ipv6 in entry.get("Ipv6Addresses") or ())
    return Interface(entry["NetworkInterfaceId"], tuple(group["GroupId"] for group in entry.get("Groups") or ()),
                     frozenset(ipaddress.ip_address(address).compressed for address in addresses if address),
                     entry.get("SubnetId"), entry.get("VpcId"), entry.get("OwnerId"))


def _read_flows(api, log_clients, interfaces, traffic):
    """``({interface_id: [Flow]}, {interface_id: [reason]})`` from the flow logs of the interfaces."""
    flows = dict((interface_id, []) for interface_id in interfaces)
    if not interfaces:
        return flows, {}
    if traffic.flow_logs is None:
        resources = set()
        for interface in interfaces.values():
            resources.update(resource for resource in (interface.interface_id, interface.subnet_id, interface.vpc_id)
                             if resource)
        sources, reasons = choose_sources(list(interfaces.values()), api.flow_logs(resources), traffic.since)
        sources = list(sources.values())
    else:
        sources, reasons = [(source, sorted(interfaces)) for source in traffic.flow_logs], {}
    if any(source.file_format == "parquet" for source, _ids in sources) and parquet_problem():
        raise NetguardAwsError(parquet_problem())
    seen = set()
    for source, interface_ids in sources:
        tally = FlowTally(dict((interface_id, interfaces[interface_id].addresses) for interface_id in interface_ids),
                          traffic.since, traffic.until)
        accounts = set(interfaces[interface_id].owner_id for interface_id in interface_ids)
        missing = read_source(source, log_clients, api.region, accounts, interface_ids, tally, traffic.since,
                              traffic.until)
        for flow in tally.flows():
            flows[flow.interface].append(flow)
        seen.update(tally.interfaces_seen())
        for interface_id in sorted(interface.decode() for interface in tally.skipped):
            _add(reasons, interface_id, "%s: %s has SKIPDATA records in the window: some of its flows were not "
                 "logged" % (interface_id, source.name))
        if tally.unreadable:
            for interface_id in interface_ids:
                _add(reasons, interface_id, "%s: %s could not be read in %s" % (
                    interface_id, counted(tally.unreadable, "record"), source.name))
        # A named log group's interfaces without a stream are those without any record, reported below.
        for stream in missing if source.traffic_type is not None else ():
            interface_id = stream.rsplit("-", 1)[0]
            _add(reasons, interface_id, "%s: %s has no log stream %s in log group %s: none of its records were "
                 "delivered" % (interface_id, source.name, stream, source.log_group))
    if traffic.flow_logs is not None:
        for interface_id in sorted(set(interfaces) - seen):
            _add(reasons, interface_id, "%s has no record at all in the window in traffic.flow_logs, not even "
                 "NODATA: its flow log may not cover it" % interface_id)
    return flows, reasons


def _add(reasons, interface_id, reason):
    found = reasons.setdefault(interface_id, [])
    if reason not in found:
        found.append(reason)
