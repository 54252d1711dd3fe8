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
      - Adds no API call, except O(rule_filters.stale), O(rule_filters.unused), a O(rule_filters.destination_group)
        given by name, O(rule_filters.destination_group_tags) (one C(ec2:DescribeSecurityGroups) per 200 referenced
        groups), O(rule_filters.prefix_list_name) (one C(ec2:DescribeManagedPrefixLists) per region), and, when a
        selected group has a prefix-list rule, the address predicates (one C(ec2:GetManagedPrefixListEntries) per
        list).
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
      ports_within:
        description:
          - Every port the rule allows lies within these ports; a port V(443), a range V(8000-8080), or a list.
            The ports of the list add up (V([80, 81]) holds a rule for V(80-81)).
          - "A tcp or udp rule passes when its whole range does; a rule for every protocol, a tcp or udp rule for
            every port, ICMP and other numbered protocols pass only when the ports given hold every port
            (V(0-65535)). So C(keep: [{protocol: tcp, ports_within: [443]}]) keeps HTTPS rules and no wider ones,
            where O(rule_filters.allows_port) would also keep C(tcp 0-65535)."
        type: raw
        version_added: 0.2.0
      destination_within:
        description:
          - The rule's CIDR destination lies entirely inside one of these blocks (V(10.0.0.0/8) takes a rule to
            V(10.1.0.0/16)); IPv4 and IPv6 blocks each take rules of their own family.
          - A prefix-list rule passes when every entry of the list does. Security group destinations never pass a
            CIDR predicate.
        type: list
        elements: raw
      destination_covers:
        description:
          - The rule's CIDR destination contains one of these blocks or addresses entirely. V(0.0.0.0/0) takes only
            rules open to the whole IPv4 internet; V(8.8.8.8) takes every rule that lets traffic reach that address.
          - A prefix-list rule passes when one entry of the list does. Security group destinations never pass a
            CIDR predicate.
        type: list
        elements: raw
      public:
        description:
          - Only V(true) is accepted. The rule's destination holds at least one globally reachable address, IPv4 or
            IPv6, as Python's C(ipaddress) C(is_global) judges it from IANA's special-purpose registries (not RFC 1918,
            V(100.64.0.0/10), loopback, link-local, documentation, unique local and the other special ranges).
          - A prefix-list rule passes when one entry of the list does. Security group destinations never pass.
        type: bool
        version_added: 0.2.0
      wider_than:
        description:
          - "The rule's CIDR destination has a prefix shorter than the length given for its family, as
            C({ipv4: 16, ipv6: 48}) (either key; a rule of a family not given does not pass). C({ipv4: 24}) takes
            V(10.0.0.0/16) and V(0.0.0.0/0), not V(10.0.0.0/24)."
          - A prefix-list rule passes when one entry of the list does. Security group destinations never pass.
        type: dict
        version_added: 0.2.0
      destination_group:
        description:
          - The rule's destination is this security group, by V(sg-) ID or by name in the VPC of each group.
        type: str
      destination_group_tags:
        description:
          - The rule's destination is a security group that carries all these tags, as O(rule_filters.tags) compares
            them (V(null) for any value).
          - A referenced group that cannot be described in the region (another account's) has no known tags and
            does not pass.
        type: dict
        version_added: 0.2.0
      prefix_list_id:
        description:
          - The rule's destination is this managed prefix list.
        type: str
      prefix_list_name:
        description:
          - The rule's destination is a managed prefix list whose name matches this shell-style pattern,
            case-sensitively, among the lists C(DescribeManagedPrefixLists) shows in the group's region (AWS-managed,
            the account's own, and those shared with it). AWS-managed lists are named per region, so
            V(com.amazonaws.*.s3) names the S3 list of every region.
        type: str
        version_added: 0.2.0
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
