#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: Contributors to the netguard.aws collection
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

DOCUMENTATION = r"""
module: ec2_security_group_egress_revoke
short_description: Remove egress rules from an EC2 security group
version_added: 0.1.0
description:
  - Removes outbound (egress) rules from one EC2 security group with the C(RevokeSecurityGroupEgress) API,
    and only those rules; ingress rules and other groups' rules are never touched.
  - Select rules by ID (O(security_group_rule_ids)), by properties in the API's shape (O(ip_permissions),
    snake_case or CamelCase), by the AWS CLI's shorthand (O(protocol), O(port), O(cidr), O(destination_group),
    O(prefix_list_id)), by what they allow (O(rule_filters)), or all of them (O(revoke_all)). IDs,
    O(ip_permissions), the shorthand and O(rule_filters) add up (a rule any of them selects is revoked);
    O(keep) then saves rules from the selection, whatever selected them.
  - Every selector is resolved to the rule IDs of the group before any write call, so check mode, diff,
    O(max_revoked_rules) and the result list exactly the rules that go.
  - Requested rules are normalised before they are compared with the group's rules, so that any spelling of
    the same rule matches it. Protocol names and numbers are the same protocol (V(tcp) and V(6));
    V(all) and V(-1) are every protocol; CIDRs are compared in canonical form (V(10.1.5.5/16) is
    V(10.1.0.0/16)); a tcp or udp rule for every port matches whether AWS stores it as 0-65535 or -1.
    Descriptions are ignored for matching, as AWS does, except in O(rule_filters.description) and O(keep).
  - Every input is checked before any API call; bad input fails the task with a message naming the option
    and the value, and changes nothing.
  - The group's rules are read with one paginated C(DescribeSecurityGroupRules) call. When nothing matches,
    the task reports RV(ignore:changed=false) and makes no write call; otherwise one C(RevokeSecurityGroupEgress)
    call removes the matched rules by ID.
  - If a matched rule is removed by someone else between that read and the revoke, the module reads the
    group again and revokes what remains.
  - "Bulk: with O(filters) instead of a group, the same rules are revoked from every group the filters select,
    for example every group of a VPC, or every group tagged C(env=prod). All their rules are read in a handful of
    calls (C(DescribeSecurityGroupRules) takes 200 groups a call), then each group that has matching rules gets
    one C(RevokeSecurityGroupEgress), O(concurrency) at a time. A group that fails (deleted meanwhile, access
    denied) does not stop the others: each group is reported in RV(groups), and the task fails at the end naming
    the groups that failed. O(max_revoked_rules) caps how many rules one run may remove. O(exclude_filters) leaves
    exempt groups out of the selection."
  - "Several regions: O(regions) runs bulk mode in each region at the same time, O(concurrency) groups at a time
    in each; O(max_revoked_rules) counts the rules of all regions, checked after every region is described and
    before the first revoke."
author:
  - Netguard maintainers (@netguard)
extends_documentation_fragment:
  - netguard.aws.connection
  - netguard.aws.rule_filters
  - netguard.aws.regions
  - netguard.aws.exclude_filters
  - netguard.aws.ip_permissions
  - netguard.aws.writes
  - netguard.aws.traffic
  - ansible.builtin.action_common_attributes
  - ansible.builtin.action_common_attributes.actiongroups
options:
  group_id:
    description:
      - ID of the security group, V(sg-) followed by 8 or 17 hex digits.
      - Exactly one of O(group_id), O(group_name) and O(filters) is required.
    type: str
  group_name:
    description:
      - Name of the security group, looked up with C(DescribeSecurityGroups).
      - It is an error when no group or more than one group has this name; set O(vpc_id) to choose between
        groups of the same name in several VPCs.
    type: str
  vpc_id:
    description:
      - The VPC in which to look up O(group_name).
    type: str
  filters:
    description:
      - 'Bulk mode. Revoke from every security group that these C(DescribeSecurityGroups) filters select,
        for example C({"vpc-id": "vpc-0123456789abcdef0"}) or C({"tag:env": "prod"}).'
      - Keys are filter names (V(vpc-id), V(group-name), V(tag:<key>), V(tag-key), V(owner-id), ...); values are a
        string or a list of strings (any of them matches). Several filters must all match.
      - A dictionary, or its JSON or C(key=value) text as ad-hoc commands give it.
      - Must not be empty, which would select every group of the region.
      - Exactly one of O(group_id), O(group_name) and O(filters) is required. O(security_group_rule_ids) cannot
        be used with it (rule IDs already name their group); O(revoke_all) needs O(allow_bulk_revoke_all=true).
      - O(exclude_filters) leaves out the groups it matches, such as those tagged exempt.
    version_added: 0.2.0
    type: raw
  allow_bulk_revoke_all:
    description:
      - Confirms that O(revoke_all) with O(filters) is meant to remove every egress rule of every selected group.
    version_added: 0.2.0
    type: bool
    default: false
  max_revoked_rules:
    description:
      - Blast-radius guard. When more rules than this would be revoked (across all groups in bulk mode), the task
        fails before any write call, naming the count, and nothing is revoked.
      - V(0) allows no revoke at all, so that the task fails whenever any rule would go (a check that a
        selection matches nothing). Unset, there is no limit.
    version_added: 0.2.0
    type: int
  impact:
    description:
      - Report who is behind each group that changes (in check mode, would change) in RV(affected_interfaces), that is the
        network interfaces that use the group, by the kind of resource that owns them (instances, Lambda
        functions, load balancers, VPC endpoints, others such as NAT gateways), with up to 20 examples.
      - Read with C(DescribeNetworkInterfaces) filtered by C(group-id), one call per 200 such groups, before any write
        call; needs C(ec2:DescribeNetworkInterfaces). With O(ignore:diff), each group's diff header gives the total.
      - The network interfaces and launch templates of managed resources are included (C(IncludeManagedResources),
        which an account's C(ModifyManagedResourceVisibility) otherwise hides them from); the managed interfaces are
        counted in RV(affected_users.managed_interfaces).
      - Users that have no interface yet are reported in RV(affected_users), namely the launch templates whose default or
        latest version names the group (one C(DescribeLaunchTemplateVersions) per region, paginated) and the ECS
        services whose network configuration, or that of a deployment still running, names it (C(ListClusters),
        C(ListServices) per cluster, C(DescribeServices) per 10 services). These read every template and service of
        the region, whatever its VPC, and need C(ec2:DescribeLaunchTemplateVersions), C(ecs:ListClusters),
        C(ecs:ListServices) and C(ecs:DescribeServices); a denied call fails the task, naming the permission, since
        users that could not be read are not known to be none. The ECS calls use the connection's settings,
        O(endpoint_url) included.
    type: bool
    default: false
    version_added: 0.2.0
  require_unused:
    description:
      - Refuse the whole task, before any write call and like O(max_revoked_rules), when any group that would change
        has users (network interfaces attached, launch templates or ECS services that name it, as O(impact) reads
        them), naming the groups, interfaces, templates and services; nothing is revoked.
      - Implies O(impact).
    type: bool
    default: false
    version_added: 0.2.0
  require_no_traffic:
    description:
      - Refuse each group whose plan would cut a flow seen in the flow logs of O(traffic) (which it needs), before
        any write call. A plan cuts a flow that one of the rules to remove allows, or might allow, and that no rule
        left after the task, in any group of that interface, surely allows. The refusal names the flows (interface, protocol,
        destination, port, packets, last seen) and the group's RV(cut_flows) and RV(traffic_coverage) are returned.
      - A group whose evidence is incomplete is refused too, with the reasons, since no traffic cannot be shown.
      - In bulk mode the refused groups fail (nothing is written to them) and the others go on; the task fails, as
        when any group fails.
    type: bool
    default: false
    version_added: 0.2.0
  security_group_rule_ids:
    description:
      - IDs of egress rules of this group to remove, V(sgr-) followed by 8 or 17 hex digits, as listed by
        C(aws ec2 describe-security-group-rules).
      - An ID of an ingress rule, or of another group's rule, is never revoked; it is reported in RV(unmatched).
    type: list
    elements: raw
    aliases: [rule_ids]
  protocol:
    description:
      - Shorthand, as in C(aws ec2 revoke-security-group-egress --protocol).
      - The protocol of the rules to remove, with the forms of O(ip_permissions[].ip_protocol);
        a number may be given as a string or an integer.
      - Required when any other shorthand option is given, together with at least one destination
        (O(cidr), O(destination_group) or O(prefix_list_id)). Each destination is one rule.
    type: raw
  port:
    description:
      - Shorthand. For tcp and udp, a port V(443) or a range V(1024-2048); V(all) or V(-1) for every port.
      - For icmp and icmpv6, a type V(8) (any code of that type), V(type-code) such as V(3-4),
        or V(all) or V(-1) for every type and code.
      - Not allowed with protocol all or another numbered protocol, which cover every port.
      - When omitted, every port (every ICMP type and code).
      - An integer (V(443)) or a string (V("443")); either is taken as written, without conversion warnings.
    type: raw
  cidr:
    description:
      - Shorthand. IPv4 or IPv6 CIDR blocks (the family is detected), as a list or as one string.
      - A CIDR with host bits set, such as V(10.1.5.5/16), is matched as its canonical form V(10.1.0.0/16),
        which AWS stores, with a warning naming both.
    type: list
    elements: raw
  destination_group:
    description:
      - Shorthand. A referenced security group, by V(sg-) ID or by name in the VPC of the target group.
    type: str
    aliases: [source_group]
  group_owner:
    description:
      - Shorthand. AWS account ID that owns O(destination_group); when given, only a rule referencing the
        group in this account matches.
    type: str
  prefix_list_id:
    description:
      - Shorthand. A managed prefix list destination, V(pl-) followed by 8 or 17 hex digits.
    type: str
  revoke_all:
    description:
      - Remove every egress rule of the group, which then allows no outbound traffic.
      - Cannot be combined with the other rule options, except O(keep) (lock down everything except ...).
    type: bool
  keep:
    description:
      - Exceptions that are never revoked, whatever selected them. Each entry is a rule ID (V(sgr-...)) or a
        dictionary of the predicates of O(rule_filters) (all of them must pass).
      - The result lists what they saved in RV(kept); check mode and diff show it too.
      - An entry without C(protocol) that saves a rule for every protocol (an entry with only C(allows_port=443)
        saving C(all -> 0.0.0.0/0)) keeps it, with a warning naming the rule and the entry; give C(protocol) to keep
        only rules of that protocol.
      - An entry with C(allows_port) keeps every rule that lets one of its ports through, C(tcp 0-65535) included;
        when it saves a rule whose ports reach beyond the ones given, the task warns, naming the rule and the entry.
        C(ports_within) keeps only rules whose every port is among them.
      - O(max_revoked_rules) counts what remains after O(keep).
    type: list
    elements: raw
    version_added: 0.2.0
  replace_with:
    description:
      - Tighten without an outage. Each group that would lose rules first gets these rules
        (C(AuthorizeSecurityGroupEgress)), and only once they are there loses the selected ones; a group that would
        lose nothing gets nothing. The result lists them in RV(authorized_rules).
      - Rules in the forms of O(ip_permissions) (snake_case or CamelCase, with descriptions, a referenced group by
        C(group_id)), each entry with optional C(tags), a dictionary given to the rules it adds
        (C(TagSpecifications); needs C(ec2:CreateTags)). A rule the group has already, in any spelling, is not
        added again and is listed in RV(already_present); a selected rule that is also in O(replace_with) stays.
      - V(observed) (needs O(traffic)) derives each group's rules from the flows its change would cut, as
        RV(cut_flows) lists them. One rule per protocol and destination port (adjacent ports joined into a range)
        to the destinations seen, each O(observed_prefix) block of them as the narrowest CIDR that holds every
        address seen in it; ICMP rules allow every type, as flow logs do not record it. Each rule is described
        C(observed <since>..<until>) and tagged C(netguard:observed=<until>). A group whose flow logs do not show
        all its traffic (RV(traffic_coverage)) is refused, as its rules cannot be known.
      - If adding fails for a group (for example AWS's C(RulesPerSecurityGroupLimitExceeded), the quota of rules
        per group), nothing is removed from it and it fails with AWS's reason; the other groups go on.
      - Before any write, a group that would need more rules than O(max_rules_per_group) fails. The new rules are
        added before the old ones go, so the group must have room for both.
      - Undo the whole replace with M(netguard.aws.ec2_security_group_egress_restore), which removes the rules this
        task added, by ID, and puts back those it removed.
      - O(max_revoked_rules) counts removals only. Needs C(ec2:AuthorizeSecurityGroupEgress).
    type: raw
    version_added: 0.2.0
  observed_prefix:
    description:
      - With O(replace_with=observed), the widest CIDRs the derived rules may have, per address family.
    type: dict
    version_added: 0.2.0
    suboptions:
      ipv4:
        description: Prefix length, 1 to 32.
        type: int
        default: 24
      ipv6:
        description: Prefix length, 1 to 128.
        type: int
        default: 64
  max_rules_per_group:
    description:
      - With O(replace_with), the egress rules a group may hold per address family (AWS's quota, 60 unless raised
        for the account). Rules to a security group or a prefix list count in both families.
      - A group that would need more (what it has, plus what it gets) fails before any write, naming the count.
      - Unset, 60.
    type: int
    version_added: 0.2.0
attributes:
  action_group:
    membership:
      - netguard.aws.aws
  check_mode:
    support: full
    details:
      - Sends the revoke with C(DryRun=true) (in bulk mode, once for each group that would change), so that a
        missing C(ec2:RevokeSecurityGroupEgress) permission fails the check as it would fail the real run.
        Nothing is removed; RV(revoked_rules) lists what would be.
      - With O(replace_with), the authorize is sent as a dry run too, before the revoke's; when either is denied,
        the group fails naming the IAM action. RV(authorized_rules) lists what would be added.
  diff_mode:
    support: full
    details:
      - Shows the group's egress rules before and after, one sorted line per rule; in bulk mode, for each group
        that changes. With O(traffic), each rule to remove is followed by what it carried in the window and the
        flows its removal cuts.
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
  - "IAM permissions: C(ec2:DescribeSecurityGroupRules) and C(ec2:RevokeSecurityGroupEgress), also in check mode;
    C(ec2:DescribeSecurityGroups) in bulk mode, when a group is given by name, or when the group turns out to
    have no rules (to tell an empty group from a missing one); C(ec2:DescribeStaleSecurityGroups) for
    O(rule_filters.stale); C(ec2:DescribeManagedPrefixLists) for O(rule_filters.prefix_list_name) and
    C(ec2:GetManagedPrefixListEntries) for the address predicates, when a group has a prefix-list rule (in
    O(rule_filters) or O(keep)); C(ec2:DescribeRegions) for O(regions=all); C(ec2:DescribeNetworkInterfaces),
    C(ec2:DescribeLaunchTemplateVersions), C(ecs:ListClusters), C(ecs:ListServices) and C(ecs:DescribeServices) for
    O(impact) and O(require_unused); for O(traffic), those it lists."
  - A group that does not exist is an error, never a silent success.
  - RV(ignore:changed) is V(true) only when AWS reports the rules as revoked (C(RevokedSecurityGroupRules)); on
    endpoints that do not return that field, a successful revoke by rule IDs means all of them went.
seealso:
  - name: RevokeSecurityGroupEgress API
    description: The API call this module makes.
    link: https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_RevokeSecurityGroupEgress.html
  - name: aws ec2 revoke-security-group-egress
    description: The AWS CLI command whose shorthand options this module follows.
    link: https://docs.aws.amazon.com/cli/latest/reference/ec2/revoke-security-group-egress.html
"""

EXAMPLES = r"""
# Ad hoc, from a shell:
#   ansible localhost -m netguard.aws.ec2_security_group_egress_revoke \
#     -a "group_id=sg-0123456789abcdef0 protocol=tcp port=443 cidr=10.0.0.0/16"
# Review first: add --check --diff to print the rules that would go, and remove nothing.

- name: Remove the default allow-all egress rules (IPv4 and IPv6)
  netguard.aws.ec2_security_group_egress_revoke:
    group_id: sg-0123456789abcdef0
    protocol: all
    cidr:
      - 0.0.0.0/0
      - ::/0

- name: Remove HTTPS to one network
  netguard.aws.ec2_security_group_egress_revoke:
    group_id: sg-0123456789abcdef0
    protocol: tcp
    port: 443
    cidr: 10.0.0.0/16

- name: Remove rules by ID, as listed by aws ec2 describe-security-group-rules
  netguard.aws.ec2_security_group_egress_revoke:
    group_id: sg-0123456789abcdef0
    rule_ids:
      - sgr-0123456789abcdef0
      - sgr-0fedcba9876543210

- name: Remove rules given in snake_case
  netguard.aws.ec2_security_group_egress_revoke:
    group_id: sg-0123456789abcdef0
    ip_permissions:
      - ip_protocol: tcp
        from_port: 5432
        to_port: 5432
        user_id_group_pairs:
          - group_id: sg-0aaaaaaaaaaaaaaaa
      - ip_protocol: udp
        from_port: 514
        to_port: 514
        ip_ranges:
          - cidr_ip: 10.0.9.0/24
        ipv6_ranges:
          - cidr_ipv6: fd00:9::/64

- name: Remove rules pasted from AWS JSON (CamelCase)
  netguard.aws.ec2_security_group_egress_revoke:
    group_id: sg-0123456789abcdef0
    ip_permissions:
      - IpProtocol: tcp
        FromPort: 80
        ToPort: 80
        IpRanges:
          - CidrIp: 10.0.0.0/16
            Description: legacy web

- name: Remove traffic to a group referenced by name, and to a prefix list
  netguard.aws.ec2_security_group_egress_revoke:
    group_name: app
    vpc_id: vpc-0123456789abcdef0
    protocol: tcp
    port: 1024-65535
    destination_group: batch-workers
    prefix_list_id: pl-0123456789abcdef0

- name: Remove ICMP echo requests (type 8, any code) to anywhere
  netguard.aws.ec2_security_group_egress_revoke:
    group_id: sg-0123456789abcdef0
    protocol: icmp
    port: 8
    cidr: 0.0.0.0/0

- name: Lock a group down, removing every egress rule
  netguard.aws.ec2_security_group_egress_revoke:
    group_id: sg-0123456789abcdef0
    revoke_all: true

- name: Remove the allow-all egress rule from every group of a VPC, at most 500 rules
  netguard.aws.ec2_security_group_egress_revoke:
    filters:
      vpc-id: vpc-0123456789abcdef0
    protocol: all
    cidr: 0.0.0.0/0
    max_revoked_rules: 500
  register: fleet

- name: Report the totals
  ansible.builtin.debug:
    msg: "{{ fleet.totals.revoked_rules }} rules removed from {{ fleet.totals.changed_groups }} of {{ fleet.totals.groups }} groups"

- name: Lock down every group tagged env=prod
  netguard.aws.ec2_security_group_egress_revoke:
    filters:
      tag:env: prod
    revoke_all: true
    allow_bulk_revoke_all: true

- name: Remove the allow-all egress rule from every group of a VPC, except the groups tagged netguard-exempt=true
  netguard.aws.ec2_security_group_egress_revoke:
    filters:
      vpc-id: vpc-0123456789abcdef0
    exclude_filters:
      tag:netguard-exempt: "true"
    protocol: all
    cidr: 0.0.0.0/0
    max_revoked_rules: 100
  register: fleet_but_exempt

- name: Name the groups left out
  ansible.builtin.debug:
    msg: "{{ fleet_but_exempt.excluded | map(attribute='group_id') | list }}"

- name: Remove every egress rule open to the world, except HTTPS (a rule for all tcp ports goes too)
  netguard.aws.ec2_security_group_egress_revoke:
    group_id: sg-0123456789abcdef0
    rule_filters:
      destination_covers:
        - 0.0.0.0/0
        - ::/0
    keep:
      - protocol: tcp
        ports_within: [443]

- name: Remove the rules to public addresses, except HTTPS, in every group of a VPC
  netguard.aws.ec2_security_group_egress_revoke:
    filters:
      vpc-id: vpc-0123456789abcdef0
    rule_filters:
      public: true
    keep:
      - protocol: tcp
        ports_within: [443]

- name: Remove the private rules wider than a /16 (Prowler's "too wide" check)
  netguard.aws.ec2_security_group_egress_revoke:
    group_id: sg-0123456789abcdef0
    rule_filters:
      destination_within: [10.0.0.0/8, 172.16.0.0/12, 192.168.0.0/16]
      wider_than: {ipv4: 16}

- name: Remove the rules to the S3 prefix list, in two regions (AWS-managed lists are named per region)
  netguard.aws.ec2_security_group_egress_revoke:
    filters:
      tag:env: dev
    regions: [us-east-1, eu-west-1]
    rule_filters:
      prefix_list_name: com.amazonaws.*.s3

- name: Remove anything that still allows SMTP, in every group of a VPC
  netguard.aws.ec2_security_group_egress_revoke:
    filters:
      vpc-id: vpc-0123456789abcdef0
    rule_filters:
      allows_port: [25, 465, 587]
    max_revoked_rules: 100

- name: Remove the rules that point at groups behind a deleted VPC peering (stale references)
  netguard.aws.ec2_security_group_egress_revoke:
    filters:
      vpc-id: vpc-0123456789abcdef0
    rule_filters:
      stale: true

- name: Remove the rules tagged temporary=true, except one kept by its ID
  netguard.aws.ec2_security_group_egress_revoke:
    group_id: sg-0123456789abcdef0
    rule_filters:
      tags:
        temporary: true
    keep:
      - sgr-0123456789abcdef0

# DNS, instance metadata and time sync keep working: security groups do not filter them.
- name: Lock down the default group of every VPC (CIS / Security Hub EC2.2, egress part)
  netguard.aws.ec2_security_group_egress_revoke:
    filters:
      group-name: default
    revoke_all: true
    allow_bulk_revoke_all: true

- name: Lock down the default group of every VPC in every enabled region
  netguard.aws.ec2_security_group_egress_revoke:
    filters:
      group-name: default
    regions: all
    revoke_all: true
    allow_bulk_revoke_all: true
  register: everywhere

- name: Report the regions skipped because access was denied there
  ansible.builtin.debug:
    var: everywhere.skipped_regions

- name: Show what would be removed, removing nothing (check mode)
  netguard.aws.ec2_security_group_egress_revoke:
    group_id: sg-0123456789abcdef0
    protocol: all
    cidr: 0.0.0.0/0
  check_mode: true
  register: preview

- name: Print the rules that would go
  ansible.builtin.debug:
    var: preview.revoked_rules

- name: Set the connection once for every task of the collection
  module_defaults:
    group/netguard.aws.aws:
      region: eu-west-1
      profile: security-admin
  block:
    - name: Remove outbound SMTP
      netguard.aws.ec2_security_group_egress_revoke:
        group_id: sg-0123456789abcdef0
        protocol: tcp
        port: 25
        cidr: 0.0.0.0/0
      register: removed

    - name: Put the removed rules back (undo), with the AWS CLI
      ansible.builtin.command:
        argv:
          - aws
          - ec2
          - authorize-security-group-egress
          - --group-id
          - "{{ removed.group_id }}"
          - --ip-permissions
          - "{{ removed.revoked_ip_permissions | to_json }}"
      when: removed.revoked_ip_permissions | length > 0
      changed_when: true
"""

RETURN = r"""
group_id:
  description: ID of the security group.
  returned: success, for one group
  type: str
  sample: sg-0123456789abcdef0
region:
  description: Region of the group.
  returned: success, for one group
  type: str
  sample: us-east-1
  version_added: 0.2.0
owner_id:
  description: AWS account that owns the group, as C(DescribeSecurityGroupRules) reports it (null where the endpoint
    does not).
  returned: success, for one group
  type: str
  sample: "123456789012"
  version_added: 0.2.0
check_mode:
  description: Whether the task ran in check mode, so that nothing was revoked; the restore module refuses such a
    result.
  returned: success
  type: bool
  sample: false
  version_added: 0.2.0
affected_interfaces:
  description:
    - With O(impact), the network interfaces that use the group, when the group changes (in check mode, would
      change).
  returned: with O(impact), for one group that changes
  type: dict
  version_added: 0.2.0
  contains:
    total:
      description: How many network interfaces use the group.
      type: int
    by_type:
      description: How many of them belong to C(instance), C(lambda), C(load_balancer), C(vpc_endpoint) and
        C(other) resources, read from C(InterfaceType), C(Attachment), C(RequesterId) and C(Description).
      type: dict
    examples:
      description: Up to 20 of them, each with C(network_interface_id), C(type) (as in C(by_type)),
        C(instance_id) (null unless attached to an instance) and C(description).
      type: list
      elements: dict
  sample:
    total: 2
    by_type: {instance: 1, lambda: 0, load_balancer: 1, vpc_endpoint: 0, other: 0}
    examples:
      - network_interface_id: eni-0123456789abcdef0
        type: instance
        instance_id: i-0123456789abcdef0
        description: Primary network interface
      - network_interface_id: eni-0fedcba9876543210
        type: load_balancer
        instance_id: null
        description: ELB app/web/50dc6c495c0c9188
affected_users:
  description:
    - With O(impact), who else uses the group, when the group changes (in check mode, would change), that is the users that
      have no network interface while nothing runs, and how many of RV(affected_interfaces) belong to managed
      resources.
  returned: with O(impact), for one group that changes
  type: dict
  version_added: 0.2.0
  contains:
    launch_templates:
      description: The launch templates whose default or latest version names the group in C(SecurityGroupIds) or
        in a network interface's C(Groups), each with C(id), C(name) and C(version) (the version number; when the
        default and the latest are two versions that both name the group, the template is listed once for each).
      type: list
      elements: dict
    ecs_services:
      description: The ECS services whose C(awsvpc) network configuration names the group (their own, or that of a
        deployment or task set still running), each with C(cluster) and C(service), their ARNs.
      type: list
      elements: dict
    managed_interfaces:
      description: How many of the interfaces in RV(affected_interfaces) belong to managed resources
        (C(Operator.Managed)); they are counted there too.
      type: int
  sample:
    launch_templates:
      - id: lt-0123456789abcdef0
        name: batch-workers
        version: 4
    ecs_services:
      - cluster: arn:aws:ecs:us-east-1:123456789012:cluster/prod
        service: arn:aws:ecs:us-east-1:123456789012:service/prod/api
    managed_interfaces: 0
cut_flows:
  description:
    - With O(traffic), the flows seen in the window that the group's plan cuts (in check mode, would cut). Each was sent
      by an interface behind the group, allowed (or possibly allowed) by a rule that goes, and surely allowed by no rule
      left in that interface's groups after the task. Most packets first. Also on a refusal.
  returned: with O(traffic), for one group
  type: list
  elements: dict
  version_added: 0.2.0
  contains:
    interface:
      description: The network interface that sent the flow.
      type: str
    protocol:
      description: V(tcp), V(udp), V(icmp), V(icmpv6), or the protocol number.
      type: str
    destination:
      description: The destination address.
      type: str
    port:
      description: The destination port (0 for protocols without ports).
      type: int
    packets:
      description: Packets of the flow's records in the window.
      type: int
    bytes:
      description: Bytes of the flow's records in the window.
      type: int
    last_seen:
      description: The latest C(end) of its records, ISO 8601 UTC.
      type: str
  sample:
    - interface: eni-0123456789abcdef0
      protocol: tcp
      destination: 52.94.0.10
      port: 443
      packets: 1204
      bytes: 904321
      last_seen: "2026-12-04T10:05:00Z"
traffic_coverage:
  description:
    - With O(traffic), how complete the flow log evidence of the group is; also on a refusal.
  returned: with O(traffic), for one group
  type: dict
  version_added: 0.2.0
  contains:
    complete:
      description: Whether every interface behind the group has records covering the whole window; when V(false),
        O(rule_filters.unused) takes nothing and O(require_no_traffic) refuses the group.
      type: bool
    since:
      description: The window's start, ISO 8601 UTC.
      type: str
    until:
      description: The window's end, ISO 8601 UTC.
      type: str
    interfaces:
      description: How many network interfaces use the group.
      type: int
    logged_interfaces:
      description: How many of them the evidence covers.
      type: int
    reasons:
      description: Why the evidence is incomplete, one sentence each naming the interface or the flow log.
      type: list
      elements: str
  sample:
    complete: false
    since: "2026-11-05T00:00:00Z"
    until: "2026-12-05T00:00:00Z"
    interfaces: 2
    logged_interfaces: 1
    reasons:
      - "eni-0fedcba9876543210 has no flow log (on the interface, its subnet subnet-0123456789abcdef0 or its VPC vpc-0123456789abcdef0)"
revoked_rules:
  description:
    - The egress rules removed, as AWS described them; in check mode, the rules that would be removed.
  returned: success, for one group
  type: list
  elements: dict
  contains:
    security_group_rule_id:
      description: ID of the rule.
      type: str
      sample: sgr-0123456789abcdef0
    ip_protocol:
      description: Protocol, as AWS describes it (V(-1) for all).
      type: str
      sample: tcp
    from_port:
      description: First port, or ICMP type; V(-1) for all.
      type: int
      sample: 443
    to_port:
      description: Last port, or ICMP code; V(-1) for all.
      type: int
      sample: 443
    cidr_ipv4:
      description: IPv4 destination, for such a rule.
      type: str
      sample: 10.0.0.0/16
    cidr_ipv6:
      description: IPv6 destination, for such a rule.
      type: str
      sample: "2001:db8::/32"
    prefix_list_id:
      description: Prefix list destination, for such a rule.
      type: str
      sample: pl-0123456789abcdef0
    referenced_group_id:
      description: Security group destination, for such a rule.
      type: str
      sample: sg-0aaaaaaaaaaaaaaaa
    description:
      description: The rule's description, or V(null).
      type: str
      sample: web servers
    tags:
      description: The rule's own tags (as a security group rule), as a dictionary; empty when it has none.
      type: dict
      sample: {temporary: "true"}
  sample:
    - security_group_rule_id: sgr-0123456789abcdef0
      ip_protocol: tcp
      from_port: 443
      to_port: 443
      cidr_ipv4: 10.0.0.0/16
      description: web servers
      tags: {}
revoked_ip_permissions:
  description:
    - The removed rules in the API's C(IpPermissions) shape, descriptions kept. Passing it to
      C(authorize-security-group-egress --ip-permissions) or C(authorize_security_group_egress(IpPermissions=...))
      restores exactly these rules.
  returned: success, for one group
  type: list
  elements: dict
  sample:
    - IpProtocol: tcp
      FromPort: 443
      ToPort: 443
      IpRanges:
        - CidrIp: 10.0.0.0/16
          Description: web servers
unmatched:
  description:
    - Requested rules and rule IDs that matched no egress rule of the group, normalised.
    - A rule ID comes as C(security_group_rule_id) alone; a rule with the keys of RV(revoked_rules)
      except the ID and description, plus C(group_owner) when one was requested.
  returned: success, for one group
  type: list
  elements: dict
  sample:
    - security_group_rule_id: sgr-0fedcba9876543210
    - ip_protocol: tcp
      from_port: 22
      to_port: 22
      cidr_ipv4: 10.1.0.0/16
unknown_ip_permissions:
  description:
    - Permissions AWS reported as not revoked (C(UnknownIpPermissions)), in the API's shape; empty when
      the endpoint does not return the field.
  returned: success, for one group
  type: list
  elements: dict
  sample: []
egress_rules:
  description:
    - The group's egress rules after the change, in the shape of RV(revoked_rules); in check mode, as they
      would be.
  returned: success, for one group
  type: list
  elements: dict
  sample:
    - security_group_rule_id: sgr-0aaaaaaaaaaaaaaaa
      ip_protocol: "-1"
      from_port: -1
      to_port: -1
      cidr_ipv6: "::/0"
      description: null
      tags: {}
authorized_rules:
  description:
    - The egress rules O(replace_with) added before the revoke, in the shape of RV(revoked_rules), with their new
      IDs; in check mode, the rules that would be added (no IDs). Empty without O(replace_with).
    - Also returned when the group failed after some were added, so that the restore module can remove them.
  returned: success, for one group
  type: list
  elements: dict
  version_added: 0.2.0
  sample:
    - security_group_rule_id: sgr-0abcdef0123456789
      ip_protocol: tcp
      from_port: 443
      to_port: 443
      cidr_ipv4: 52.94.0.0/26
      description: observed 2026-11-04T00:00:00Z..2026-12-04T00:00:00Z
      tags: {"netguard:observed": "2026-12-04T00:00:00Z"}
already_present:
  description:
    - The rules of O(replace_with) that the group had already (or that another change added meanwhile), in the
      shape of RV(revoked_rules); they were not added again.
  returned: success, for one group
  type: list
  elements: dict
  version_added: 0.2.0
  sample: []
kept:
  description:
    - The selected rules that O(keep) saved, each with the index of the first entry of O(keep) that saved it.
  returned: success, for one group
  type: list
  elements: dict
  contains:
    rule:
      description: The rule, in the shape of RV(revoked_rules).
      type: dict
    kept_by:
      description: Index in O(keep) of the entry that saved it.
      type: int
  sample:
    - rule:
        security_group_rule_id: sgr-0123456789abcdef0
        ip_protocol: tcp
        from_port: 443
        to_port: 443
        cidr_ipv4: 0.0.0.0/0
        description: null
        tags: {}
      kept_by: 0
groups:
  description:
    - Bulk mode, one entry per selected group, in the order AWS listed them; also when the task fails.
    - A group that failed has C(failed=true) and C(msg), and empty C(revoked_rules).
  returned: bulk mode
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
    changed:
      description: Whether rules were (in check mode, would be) revoked from or added to this group.
      type: bool
    revoked_rules:
      description: As RV(revoked_rules), for this group.
      type: list
      elements: dict
    authorized_rules:
      description: As RV(authorized_rules), for this group.
      type: list
      elements: dict
      version_added: 0.2.0
    already_present:
      description: As RV(already_present), for this group; absent for a group that failed.
      type: list
      elements: dict
      version_added: 0.2.0
    revoked_ip_permissions:
      description: As RV(revoked_ip_permissions), for this group.
      type: list
      elements: dict
    unmatched:
      description: As RV(unmatched), for this group.
      type: list
      elements: dict
    unknown_ip_permissions:
      description: As RV(unknown_ip_permissions), for this group; absent for a group that failed.
      type: list
      elements: dict
    egress_rules:
      description: As RV(egress_rules), for this group; absent for a group that failed.
      type: list
      elements: dict
    kept:
      description: As RV(kept), for this group.
      type: list
      elements: dict
    region:
      description: Region of the group.
      type: str
    owner_id:
      description: AWS account that owns the group.
      type: str
    affected_interfaces:
      description: With O(impact), as RV(affected_interfaces), for a group that changes.
      type: dict
    affected_users:
      description: With O(impact), as RV(affected_users), for a group that changes.
      type: dict
      version_added: 0.2.0
    cut_flows:
      description: With O(traffic), as RV(cut_flows), for this group.
      type: list
      elements: dict
      version_added: 0.2.0
    traffic_coverage:
      description: With O(traffic), as RV(traffic_coverage), for this group.
      type: dict
      version_added: 0.2.0
    failed:
      description: Present and V(true) when revoking from this group failed.
      type: bool
    msg:
      description: Why it failed, for a group that failed.
      type: str
  sample:
    - group_id: sg-0123456789abcdef0
      group_name: web
      vpc_id: vpc-0123456789abcdef0
      region: us-east-1
      owner_id: "123456789012"
      changed: true
      revoked_rules:
        - security_group_rule_id: sgr-0123456789abcdef0
          ip_protocol: "-1"
          from_port: -1
          to_port: -1
          cidr_ipv4: 0.0.0.0/0
          description: null
          tags: {}
      revoked_ip_permissions:
        - IpProtocol: "-1"
          FromPort: -1
          ToPort: -1
          IpRanges:
            - CidrIp: 0.0.0.0/0
      unmatched: []
      unknown_ip_permissions: []
      egress_rules: []
      kept: []
journal:
  description: With O(journal), the file and the ID of this run's lines in it; also when the task fails.
  returned: with O(journal)
  type: dict
  contains:
    path:
      description: The journal's path.
      type: str
    run:
      description: The C(run) of this task's lines.
      type: str
  sample:
    path: /var/log/netguard/egress-journal.jsonl
    run: 3f0c2d4e9b7a4e21a0f6d1c2b3a4e5f6
regions:
  description: With O(regions), the regions the task ran in (for V(all), those C(DescribeRegions) lists as enabled).
  returned: with O(regions)
  type: list
  elements: str
  sample: [eu-west-1, us-east-1]
failed_regions:
  description: With O(regions), each region that failed as a whole (its groups could not be listed), and why.
  returned: with O(regions)
  type: list
  elements: dict
  sample:
    - region: ap-south-2
      msg: "access denied: ec2:DescribeSecurityGroups is not allowed; grant ec2:DescribeSecurityGroups in the caller's IAM policy"
skipped_regions:
  description: With O(regions=all), each region where access was denied, and why; the task does not fail for them.
  returned: with O(regions)
  type: list
  elements: dict
  sample: []
excluded:
  description:
    - Bulk mode, the groups that O(filters) selected and O(exclude_filters) left out, untouched, sorted by region and
      group ID; empty without O(exclude_filters) or when it matches none of them. Also when the task fails.
  returned: bulk mode
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
totals:
  description: Bulk mode, counts over all selected groups (not those O(exclude_filters) left out); also when the task
    fails.
  returned: bulk mode
  type: dict
  contains:
    groups:
      description: Groups the filters selected, less those O(exclude_filters) left out.
      type: int
    changed_groups:
      description: Groups rules were (in check mode, would be) revoked from.
      type: int
    revoked_rules:
      description: Rules revoked (in check mode, that would be), in all groups.
      type: int
    authorized_rules:
      description: Rules O(replace_with) added (in check mode, would add), in all groups.
      type: int
      version_added: 0.2.0
    failed_groups:
      description: Groups where revoking failed.
      type: int
  sample:
    groups: 200
    changed_groups: 180
    revoked_rules: 180
    authorized_rules: 0
    failed_groups: 0
"""

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.netguard.aws.plugins.module_utils.module_runner import run_module
from ansible_collections.netguard.aws.plugins.module_utils.permissions import ip_permissions_argument_spec
from ansible_collections.netguard.aws.plugins.module_utils.replace_request import (
    observed_prefix_argument_spec,
    replace_with_argument_spec,
)
from ansible_collections.netguard.aws.plugins.module_utils.request import (
    CONNECTION_REQUIRED_TOGETHER,
    RULE_SELECTORS,
    SHORTHAND_OPTIONS,
    connection_argument_spec,
    exclude_filters_argument_spec,
    filters_argument_spec,
    parse_revoke_request,
    regions_argument_spec,
    revoke_rate_argument_spec,
    traffic_argument_spec,
    rule_filters_argument_spec,
    ids_argument_spec,
    shorthand_argument_spec,
)


ARGUMENT_SPEC = dict(
    group_id=dict(type="str"),
    group_name=dict(type="str"),
    vpc_id=dict(type="str"),
    filters=filters_argument_spec(),
    exclude_filters=exclude_filters_argument_spec(),
    security_group_rule_ids=ids_argument_spec("rule_ids"),
    ip_permissions=ip_permissions_argument_spec(),
    group_owner=dict(type="str"),
    revoke_all=dict(type="bool"),
    allow_bulk_revoke_all=dict(type="bool", default=False),
    max_revoked_rules=dict(type="int"),
    concurrency=dict(type="int", default=8),
    impact=dict(type="bool", default=False),
    require_unused=dict(type="bool", default=False),
    require_no_traffic=dict(type="bool", default=False),
    traffic=traffic_argument_spec(),
    replace_with=replace_with_argument_spec(),
    observed_prefix=observed_prefix_argument_spec(),
    max_rules_per_group=dict(type="int"),
    rule_filters=rule_filters_argument_spec(),
    # raw elements: a rule ID or a dictionary of predicates.
    keep=dict(type="list", elements="raw"),
    regions=regions_argument_spec(),
    revoke_rate=revoke_rate_argument_spec(),
    journal=dict(type="path"),
)
ARGUMENT_SPEC.update(shorthand_argument_spec())
ARGUMENT_SPEC.update(connection_argument_spec())

# Everything AnsibleModule checks before the module's own code runs; also used to
# validate arguments the same way outside a module run.
MODULE_KWARGS = dict(
    argument_spec=ARGUMENT_SPEC,
    mutually_exclusive=[
        ["group_id", "group_name", "filters"],
        ["filters", "security_group_rule_ids"],
        ["group_id", "exclude_filters"],
        ["group_name", "exclude_filters"],
        *(["ip_permissions", option] for option in SHORTHAND_OPTIONS),
        *(["revoke_all", option] for option in RULE_SELECTORS if option != "revoke_all"),
    ],
    required_one_of=[["group_id", "group_name", "filters"], list(RULE_SELECTORS)],
    required_together=CONNECTION_REQUIRED_TOGETHER,
    required_by=dict(
        vpc_id="group_name",
        port="protocol",
        cidr="protocol",
        destination_group="protocol",
        prefix_list_id="protocol",
        group_owner=["protocol", "destination_group"],
        regions="filters",
        revoke_rate="filters",
        observed_prefix="replace_with",
        max_rules_per_group="replace_with",
    ),
)


def main():
    module = AnsibleModule(supports_check_mode=True, **MODULE_KWARGS)
    run_module(module, parse_revoke_request)


if __name__ == "__main__":
    main()
