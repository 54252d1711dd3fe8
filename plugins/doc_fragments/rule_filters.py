# -*- coding: utf-8 -*-
# Copyright: Contributors to the netguard.aws collection
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)


class ModuleDocFragment:
    # The rule_filters option of the revoke and info modules; keep entries of the revoke module take the same predicates.
    DOCUMENTATION = r"""
options:
  rule_filters:
    description:
      - Selects the egress rules that pass B(all) the predicates given; a predicate left out matches any rule.
        Unlike the exact options, these compare by what a rule allows (overlap and containment), and descriptions
        and rule tags take part. See C(docs/matching.md) in the collection for a table of examples.
      - A dictionary of the predicates below (or its JSON or C(key=value) text, as ad-hoc commands give it).
        Must not be empty, which would select every rule.
      - Adds no API call, except O(rule_filters.stale), O(rule_filters.unused) and a O(rule_filters.destination_group)
        given by name.
    type: raw
    version_added: 0.2.0
    suboptions:
      protocol:
        description:
          - The rule's own protocol is one of these, in the forms of the revoke module's O(protocol) (V(tcp), V(6),
            V(all), V(-1), ...); one value or a list.
          - A rule for every protocol passes only V(all) (or V(-1)), never V(tcp); what it lets through is
            O(rule_filters.allows_port)'s business.
        type: raw
      allows_port:
        description:
          - The rule lets at least one of these ports through; a port V(25), a range V(1024-2048), or a list
            (V([25, 465, 587]) for SMTP).
          - Passes a tcp or udp rule whose range overlaps (a rule for every port, however AWS stores it,
            overlaps everything) and a rule for every protocol. ICMP and other numbered protocols have no ports
            and never pass.
        type: raw
      destination_within:
        description:
          - The rule's CIDR destination lies entirely inside one of these blocks (V(10.0.0.0/8) takes a rule to
            V(10.1.0.0/16)); IPv4 and IPv6 blocks each take rules of their own family.
          - Prefix list and security group destinations never pass a CIDR predicate.
        type: list
        elements: raw
      destination_covers:
        description:
          - The rule's CIDR destination contains one of these blocks or addresses entirely. V(0.0.0.0/0) takes only
            rules open to the whole IPv4 internet; V(8.8.8.8) takes every rule that lets traffic reach that address.
          - Prefix list and security group destinations never pass a CIDR predicate.
        type: list
        elements: raw
      destination_group:
        description:
          - The rule's destination is this security group, by V(sg-) ID or by name in the VPC of each group.
        type: str
      prefix_list_id:
        description:
          - The rule's destination is this managed prefix list.
        type: str
      description:
        description:
          - The rule's description matches this shell-style pattern (V(temp-*)), case-sensitively; a rule without
            a description has the empty string.
        type: str
      tags:
        description:
          - The rule carries all these tags (its own tags as a security group rule, not the group's).
          - A value of V(null) means any value for that key. Values are compared as strings; a YAML boolean is
            V(true) or V(false).
        type: dict
      stale:
        description:
          - Only V(true) is accepted. Takes rules that reference a security group which can no longer be reached
            (deleted, or behind a deleted or failed VPC peering), as C(DescribeStaleSecurityGroups) and the
            rule's C(PeeringStatus) report them.
          - Needs C(ec2:DescribeStaleSecurityGroups), called once per VPC.
        type: bool
      unused:
        description:
          - Only V(true) is accepted. Takes rules that carried no flow in the window of O(traffic), which it needs,
            that is no accepted flow sent by an interface behind the group that the rule allows, or might allow (see
            C(docs/matching.md)).
          - Takes nothing in a group whose evidence is incomplete (its C(traffic_coverage) says why), since missing
            evidence is never read as no traffic.
        type: bool
        version_added: 0.2.0
"""
