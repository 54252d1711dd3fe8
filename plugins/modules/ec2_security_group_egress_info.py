#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: Contributors to the netguard.aws collection
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

DOCUMENTATION = r"""
module: ec2_security_group_egress_info
short_description: List the egress rules of EC2 security groups, with their rule IDs
version_added: 0.2.0
description:
  - Lists the outbound (egress) rules of one security group, of a selection of groups, or of every group of the
    region, each rule with its ID (V(sgr-...)) and a one-line readable form.
  - Rules come in the shape of the RV(netguard.aws.ec2_security_group_egress_revoke#module:revoked_rules) of
    M(netguard.aws.ec2_security_group_egress_revoke), so an ID found here can be passed to its
    O(netguard.aws.ec2_security_group_egress_revoke#module:security_group_rule_ids).
  - Optional rule filters take the revoke module's shorthand options and compare rules the same way (protocol
    names and numbers, canonical CIDRs, tcp/udp all ports as 0-65535 or -1). Unlike in the revoke module, an
    option left out matches any value, so O(cidr=0.0.0.0/0) alone finds every egress rule open to the world.
  - O(rule_filters) selects rules by what they allow, as in the revoke module; it is ANDed with the options
    above, so a listed rule passes both.
  - Uses the fewest calls the API allows; C(DescribeSecurityGroups) (paginated), and
    C(DescribeSecurityGroupRules) for 200 groups a call, or for the whole region at once when no group
    selector is given; never one call per group.
author:
  - Netguard maintainers (@netguard)
extends_documentation_fragment:
  - netguard.aws.connection
  - netguard.aws.rule_filters
  - netguard.aws.regions
  - netguard.aws.exclude_filters
  - netguard.aws.traffic
  - ansible.builtin.action_common_attributes
  - ansible.builtin.action_common_attributes.actiongroups
options:
  group_id:
    description:
      - IDs of the security groups to list; any that does not exist is an error naming it.
    type: list
    elements: raw
  group_name:
    description:
      - Name of one security group to list; no group or several groups with this name is an error.
    type: str
  vpc_id:
    description:
      - The VPC in which to look up O(group_name).
    type: str
  filters:
    description:
      - 'C(DescribeSecurityGroups) filters selecting the groups to list, for example C({"vpc-id": "vpc-0123abcd"})
        or C({"tag:env": "prod"}); values are a string or a list of strings.'
      - A dictionary, or its JSON or C(key=value) text as ad-hoc commands give it.
      - At most one of O(group_id), O(group_name) and O(filters); with none of them, every group of the region
        is listed.
      - O(exclude_filters) leaves out the groups it matches, such as those tagged exempt.
    type: raw
  protocol:
    description:
      - Only rules of this protocol, in the forms the revoke module takes (V(tcp), V(6), V(all), V(-1), ...).
    type: raw
  port:
    description:
      - Only rules for exactly this port or range (V(443), V(1024-2048), V(all)), or ICMP type and code;
        needs O(protocol).
    type: raw
  cidr:
    description:
      - Only rules to one of these IPv4 or IPv6 CIDR blocks, compared in canonical form.
    type: list
    elements: raw
  destination_group:
    description:
      - Only rules to this security group, by V(sg-) ID or by name in the VPC of each listed group.
    type: str
    aliases: [source_group]
  prefix_list_id:
    description:
      - Only rules to this managed prefix list.
    type: str
attributes:
  action_group:
    membership:
      - netguard.aws.aws
  check_mode:
    support: full
    details:
      - Read-only; check mode returns the same result.
  diff_mode:
    support: none
  platform:
    support: full
    platforms: aws
notes:
  - "Where it runs: when the task runs on the controller (the implicit C(localhost), C(connection: local), or
    C(delegate_to: localhost)) and the controller's Python has botocore, the collection's action plugin runs this
    module's code inside the controller instead of starting the module, with the same arguments, results,
    check mode, diff and C(no_log) masking, in a fraction of the time. Tasks on other hosts, and tasks with
    C(become) or C(async), run the module on their host as usual. Set the variable C(netguard_aws_in_process)
    to V(false) to always run the module, or to V(true) to always run inside the controller."
  - With a rule filter, only the groups that have matching rules are returned.
  - "IAM permissions: C(ec2:DescribeSecurityGroups) and C(ec2:DescribeSecurityGroupRules);
    C(ec2:DescribeStaleSecurityGroups) for O(rule_filters.stale); C(ec2:DescribeManagedPrefixLists) for
    O(rule_filters.prefix_list_name) and C(ec2:GetManagedPrefixListEntries) for the address predicates, when a group
    has a prefix-list rule; C(ec2:DescribeRegions) for O(regions=all); for O(traffic), those it lists."
  - With O(regions), O(group_id) and O(group_name) look in every listed region; an ID found in none of them, or a
    name found in none or in several groups, is an error.
seealso:
  - module: netguard.aws.ec2_security_group_egress_revoke
"""

EXAMPLES = r"""
- name: List the egress rules of one group, with their IDs
  netguard.aws.ec2_security_group_egress_info:
    group_id:
      - sg-0123456789abcdef0
  register: web

- name: Print them one line each
  ansible.builtin.debug:
    msg: "{{ web.security_groups[0].egress_rules | map(attribute='display') | list }}"

- name: Find every egress rule open to the world, in every group of the region
  netguard.aws.ec2_security_group_egress_info:
    cidr:
      - 0.0.0.0/0
      - ::/0
  register: open_to_the_world

- name: Find outbound SMTP in the groups of one VPC
  netguard.aws.ec2_security_group_egress_info:
    filters:
      vpc-id: vpc-0123456789abcdef0
    protocol: tcp
    port: 25
  register: smtp

- name: Find every rule that lets traffic reach 8.8.8.8 on DNS
  netguard.aws.ec2_security_group_egress_info:
    rule_filters:
      destination_covers: [8.8.8.8]
      allows_port: 53

- name: Find the rules tagged temporary (any value) in one VPC
  netguard.aws.ec2_security_group_egress_info:
    filters:
      vpc-id: vpc-0123456789abcdef0
    rule_filters:
      tags:
        temporary: null

- name: Find every rule open to the world, except in the groups tagged netguard-exempt=true
  netguard.aws.ec2_security_group_egress_info:
    exclude_filters:
      tag:netguard-exempt: "true"
    cidr:
      - 0.0.0.0/0
  register: open_not_exempt

- name: Find stale references (groups behind a deleted VPC peering)
  netguard.aws.ec2_security_group_egress_info:
    rule_filters:
      stale: true

- name: Find every egress rule open to the world, in every enabled region
  netguard.aws.ec2_security_group_egress_info:
    regions: all
    rule_filters:
      destination_covers: [0.0.0.0/0, "::/0"]
  register: worldwide

- name: Remove exactly the rules found
  netguard.aws.ec2_security_group_egress_revoke:
    group_id: "{{ item.group_id }}"
    rule_ids: "{{ item.egress_rules | map(attribute='security_group_rule_id') | list }}"
  loop: "{{ smtp.security_groups }}"
  loop_control:
    label: "{{ item.group_id }}"
"""

RETURN = r"""
security_groups:
  description:
    - The selected groups, in the order AWS lists them (for O(group_id), in the order given), with their egress
      rules; with a rule filter, only groups that have matching rules, with only those rules.
  returned: success
  type: list
  elements: dict
  contains:
    group_id:
      description: ID of the group.
      type: str
    group_name:
      description: Name of the group.
      type: str
    vpc_id:
      description: VPC of the group.
      type: str
    owner_id:
      description: AWS account that owns the group.
      type: str
    region:
      description: Region of the group, with O(regions).
      type: str
    egress_rules:
      description:
        - The group's egress rules, in the shape of the revoke module's C(revoked_rules), plus C(display).
      type: list
      elements: dict
      contains:
        security_group_rule_id:
          description: ID of the rule.
          type: str
        ip_protocol:
          description: Protocol, as AWS describes it (V(-1) for all).
          type: str
        from_port:
          description: First port, or ICMP type; V(-1) for all.
          type: int
        to_port:
          description: Last port, or ICMP code; V(-1) for all.
          type: int
        cidr_ipv4:
          description: IPv4 destination, for such a rule.
          type: str
        cidr_ipv6:
          description: IPv6 destination, for such a rule.
          type: str
        prefix_list_id:
          description: Prefix list destination, for such a rule.
          type: str
        referenced_group_id:
          description: Security group destination, for such a rule.
          type: str
        description:
          description: The rule's description, or V(null).
          type: str
        tags:
          description: The rule's own tags, as a dictionary; empty when it has none.
          type: dict
        display:
          description: The rule on one line, as in the revoke module's diff.
          type: str
        traffic:
          description:
            - With O(traffic), what the rule carried in the window, from the flow logs of the interfaces behind the
              group.
          type: dict
          version_added: 0.2.0
          contains:
            flows:
              description: Distinct flows (interface, protocol, destination address, destination port) the rule
                allows or might allow; replies to inbound connections are not flows.
              type: int
            packets:
              description: Their packets in the window.
              type: int
            bytes:
              description: Their bytes in the window.
              type: int
            first_seen:
              description: The earliest C(start) of their records, ISO 8601 UTC; null without flows.
              type: str
            last_seen:
              description: The latest C(end) of their records, ISO 8601 UTC; null without flows.
              type: str
            only_rule_for:
              description: How many of them no other egress rule of the interface's groups surely allows, so that
                removing this rule alone would cut them.
              type: int
            top_destinations:
              description: The 10 largest of them by packets, each with C(interface), C(protocol), C(destination),
                C(port), C(packets), C(bytes) and C(last_seen), as the revoke module's C(cut_flows).
              type: list
              elements: dict
    traffic_coverage:
      description: With O(traffic), how complete the evidence of the group is, as the revoke module's
        C(traffic_coverage).
      type: dict
      version_added: 0.2.0
  sample:
    - group_id: sg-0123456789abcdef0
      group_name: web
      vpc_id: vpc-0123456789abcdef0
      owner_id: "123456789012"
      egress_rules:
        - security_group_rule_id: sgr-0123456789abcdef0
          ip_protocol: tcp
          from_port: 443
          to_port: 443
          cidr_ipv4: 10.0.0.0/16
          description: web servers
          tags: {}
          display: 'sgr-0123456789abcdef0  tcp 443  -> 10.0.0.0/16  "web servers"'
excluded:
  description:
    - The groups that O(exclude_filters) left out (they are not in RV(security_groups)), sorted by region and group
      ID; empty without O(exclude_filters) or when it matches none of the selected groups.
  returned: success, unless O(group_id) or O(group_name) is given
  type: list
  elements: dict
  version_added: 0.2.0
  contains:
    group_id:
      description: ID of the group.
      type: str
    group_name:
      description: Name of the group.
      type: str
    region:
      description: Region of the group.
      type: str
  sample:
    - group_id: sg-0fedcba9876543210
      group_name: bastion
      region: us-east-1
regions:
  description: With O(regions), the regions listed (for V(all), those C(DescribeRegions) lists as enabled).
  returned: with O(regions)
  type: list
  elements: str
  sample: [eu-west-1, us-east-1]
failed_regions:
  description: With O(regions), each region that could not be listed, and why.
  returned: with O(regions)
  type: list
  elements: dict
  sample: []
skipped_regions:
  description: With O(regions=all), each region where access was denied, and why.
  returned: with O(regions)
  type: list
  elements: dict
  sample: []
"""

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.netguard.aws.plugins.module_utils.module_runner import run_module
from ansible_collections.netguard.aws.plugins.module_utils.request import (
    CONNECTION_REQUIRED_TOGETHER,
    connection_argument_spec,
    exclude_filters_argument_spec,
    filters_argument_spec,
    parse_info_request,
    regions_argument_spec,
    rule_filters_argument_spec,
    ids_argument_spec,
    shorthand_argument_spec,
    traffic_argument_spec,
)

ARGUMENT_SPEC = dict(
    group_id=ids_argument_spec(),
    group_name=dict(type="str"),
    vpc_id=dict(type="str"),
    filters=filters_argument_spec(),
    exclude_filters=exclude_filters_argument_spec(),
    rule_filters=rule_filters_argument_spec(),
    traffic=traffic_argument_spec(),
    regions=regions_argument_spec(),
)
ARGUMENT_SPEC.update(shorthand_argument_spec())
ARGUMENT_SPEC.update(connection_argument_spec())

MODULE_KWARGS = dict(
    argument_spec=ARGUMENT_SPEC,
    mutually_exclusive=[["group_id", "group_name", "filters"], ["group_id", "exclude_filters"],
                        ["group_name", "exclude_filters"]],
    required_together=CONNECTION_REQUIRED_TOGETHER,
    required_by=dict(vpc_id="group_name", port="protocol"),
)


def main():
    module = AnsibleModule(supports_check_mode=True, **MODULE_KWARGS)
    run_module(module, parse_info_request)


if __name__ == "__main__":
    main()
