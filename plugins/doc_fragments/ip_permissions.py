# -*- coding: utf-8 -*-
# Copyright: Contributors to the netguard.aws collection
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)


class ModuleDocFragment:
    # The ip_permissions option of the revoke and restore modules, parsed by the same code.
    DOCUMENTATION = r"""
options:
  ip_permissions:
    description:
      - Rules in the shape of the API's C(IpPermissions); the revoke module removes them, the restore module adds
        those that are missing.
      - Each key may be written in snake_case (V(ip_protocol), V(ip_ranges), V(cidr_ip)) or in the CamelCase
        of AWS JSON (V(IpProtocol), V(IpRanges), V(CidrIp)), so output of the AWS CLI can be pasted.
      - Each entry expands to one rule per destination; each entry needs at least one destination.
      - In the revoke module, it cannot be used with the shorthand options.
    type: list
    elements: dict
    suboptions:
      ip_protocol:
        description:
          - V(tcp) (V(6)), V(udp) (V(17)), V(icmp) (V(1)), V(icmpv6) (V(58)), V(all) (V(-1)), or another
            protocol number from 0 to 255. Case does not matter.
        type: raw
        required: true
        aliases: [IpProtocol]
      from_port:
        description:
          - First port of the range for tcp and udp (0-65535), or the ICMP type (-1 for all types).
          - Give O(ip_permissions[].from_port) and O(ip_permissions[].to_port) together, or neither;
            neither means every port, or every ICMP type and code.
          - Protocol all and numbered protocols other than tcp, udp, icmp and icmpv6 take no port
            (or -1 for both, as AWS describes them).
        type: int
        aliases: [FromPort]
      to_port:
        description:
          - Last port of the range for tcp and udp, or the ICMP code (-1 for every code of the type).
        type: int
        aliases: [ToPort]
      ip_ranges:
        description: IPv4 destinations.
        type: list
        elements: dict
        aliases: [IpRanges]
        suboptions:
          cidr_ip:
            description: An IPv4 CIDR block.
            type: str
            required: true
            aliases: [CidrIp]
          description:
            description: The rule's description; ignored when matching rules, as AWS does. The restore module gives
              it to the rule it adds.
            type: str
            aliases: [Description]
      ipv6_ranges:
        description: IPv6 destinations.
        type: list
        elements: dict
        aliases: [Ipv6Ranges]
        suboptions:
          cidr_ipv6:
            description: An IPv6 CIDR block.
            type: str
            required: true
            aliases: [CidrIpv6]
          description:
            description: The rule's description; ignored when matching rules, as AWS does. The restore module gives
              it to the rule it adds.
            type: str
            aliases: [Description]
      prefix_list_ids:
        description: Managed prefix list destinations.
        type: list
        elements: dict
        aliases: [PrefixListIds]
        suboptions:
          prefix_list_id:
            description: A prefix list ID, V(pl-) followed by 8 or 17 hex digits.
            type: str
            required: true
            aliases: [PrefixListId]
          description:
            description: The rule's description; ignored when matching rules, as AWS does. The restore module gives
              it to the rule it adds.
            type: str
            aliases: [Description]
      user_id_group_pairs:
        description:
          - Security group destinations.
        type: list
        elements: dict
        aliases: [UserIdGroupPairs]
        suboptions:
          group_id:
            description:
              - ID of the referenced group. Takes precedence over O(ip_permissions[].user_id_group_pairs[].group_name).
            type: str
            aliases: [GroupId]
          group_name:
            description:
              - Name of the referenced group, looked up in the VPC of the target group. The restore module needs
                O(ip_permissions[].user_id_group_pairs[].group_id).
            type: str
            aliases: [GroupName]
          user_id:
            description:
              - AWS account that owns the referenced group. When given, only a rule referencing the group in
                this account matches.
            type: str
            aliases: [UserId]
          description:
            description: The rule's description; ignored when matching rules, as AWS does. The restore module gives
              it to the rule it adds.
            type: str
            aliases: [Description]
          vpc_id:
            description: The VPC of a peered group; ignored when matching rules. The restore module keeps it.
            type: str
            aliases: [VpcId]
          vpc_peering_connection_id:
            description: The peering connection of a peered group; ignored when matching rules. The restore module
              keeps it.
            type: str
            aliases: [VpcPeeringConnectionId]
          peering_status:
            description: Accepted and ignored, so that AWS output can be pasted.
            type: str
            aliases: [PeeringStatus]
"""
