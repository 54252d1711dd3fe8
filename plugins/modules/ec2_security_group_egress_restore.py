#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: Contributors to the netguard.aws collection
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

DOCUMENTATION = r"""
module: ec2_security_group_egress_restore
short_description: Put back egress rules that ec2_security_group_egress_revoke removed
version_added: 0.2.0
description:
  - The undo of M(netguard.aws.ec2_security_group_egress_revoke) in one task. Give it what the revoke removed, in one
    of three forms, and it adds the egress rules back with C(AuthorizeSecurityGroupEgress).
  - O(group_id) with O(ip_permissions), the revoke's RV(netguard.aws.ec2_security_group_egress_revoke#module:revoked_ip_permissions);
    or O(revoked), a registered result of the revoke module (one group or bulk, every group of it) or the
    C(egress-review.json) report of the P(netguard.aws.egress_review#callback) callback; or O(from_journal), the
    journal of a revoke run.
  - It describes the groups first (one C(DescribeSecurityGroupRules) per 200 groups) and adds only what is missing.
    A rule the group already has counts as present, also when its description differs (with a warning); a
    second run changes nothing and makes no write call.
  - Rules come back with their descriptions, the C(VpcId) and C(VpcPeeringConnectionId) of a peered group, and,
    where the input has them (O(revoked), O(from_journal)), their tags.
  - Rules are added with one call per group and set of tags. When AWS refuses a rule (a referenced group or
    prefix list that no longer exists), the rules of that call are added one at a time, so that the others go in;
    each refused rule is listed in RV(failed_rules) and the task fails at the end, naming them.
  - Groups in several regions are restored region by region side by side, O(concurrency) groups at a time in each;
    O(revoke_rate) paces the adds, and O(journal) records them, as in the revoke module.
  - "Undoing a replace (the revoke module's O(netguard.aws.ec2_security_group_egress_revoke#module:replace_with)):
    from O(revoked) or O(from_journal), it also removes the rules that run added, by their IDs
    (RV(netguard.aws.ec2_security_group_egress_revoke#module:authorized_rules)) and nothing else, after putting back
    what it removed, so that the group never holds less than before the undo began; if putting back fails,
    nothing is removed. Needs C(ec2:RevokeSecurityGroupEgress) then."
  - It never touches ingress rules, never adds a rule that is not in its input, and never removes one that the
    revoke did not add.
  - Every input is checked before any API call; bad input fails the task with a message naming the option and
    the value, and changes nothing.
author:
  - Netguard maintainers (@netguard)
extends_documentation_fragment:
  - netguard.aws.connection
  - netguard.aws.ip_permissions
  - netguard.aws.writes
  - ansible.builtin.action_common_attributes
  - ansible.builtin.action_common_attributes.actiongroups
options:
  group_id:
    description:
      - The group to put O(ip_permissions) back into, in the connection's region.
      - Exactly one of O(group_id), O(revoked) and O(from_journal) is required.
    type: str
  revoked:
    description:
      - A registered result of M(netguard.aws.ec2_security_group_egress_revoke), for one group or in bulk mode (every
        group of it, each in its C(region)), or the C(egress-review.json) report, which has the same shape.
      - A group that failed contributes what it did revoke, and what a replace added before it failed. A result of
        check mode is refused, since nothing was revoked.
      - A dictionary, or its JSON text (C(lookup('file', ...)) of the report).
    type: raw
  from_journal:
    description:
      - The O(netguard.aws.ec2_security_group_egress_revoke#module:journal) of revoke runs. A path restores what every
        run in the file revoked; the RV(netguard.aws.ec2_security_group_egress_revoke#module:journal) of a revoke
        result (C({path, run})) restores that run only.
      - An intent without outcome (a run that was killed) is restored as far as its rules are missing, which is
        what they would be had AWS removed them; intents of check mode and failed ones are skipped. The rules a
        replace added (intents to add, with their outcome) are removed by ID; an intent to add without outcome is
        reported in a warning, as which rules it added is not known. Only revoke runs are undone, not this
        module's own.
      - This module's own O(journal) is a journal it writes; this option reads one.
    type: raw
    version_added: 0.2.0
attributes:
  action_group:
    membership:
      - netguard.aws.aws
  check_mode:
    support: full
    details:
      - Sends each add with C(DryRun=true), so that a missing C(ec2:AuthorizeSecurityGroupEgress) permission fails
        the check as it would fail the real run. Nothing is added; RV(restored_rules) lists what would be, without
        rule IDs.
  diff_mode:
    support: full
    details:
      - Shows each changed group's egress rules before and after, one sorted line per rule; a rule not added yet
        shows C((new)) for its ID.
  platform:
    support: full
    platforms: aws
notes:
  - "Where it runs: as for M(netguard.aws.ec2_security_group_egress_revoke), inside the controller when the task
    runs there, otherwise as a module on its host; set C(netguard_aws_in_process) to choose."
  - "IAM permissions: C(ec2:DescribeSecurityGroupRules) and C(ec2:AuthorizeSecurityGroupEgress), also in check mode;
    C(ec2:CreateTags) on security group rules when rules with tags are put back."
  - A report of several accounts is restored with the task's credentials; give each account its own groups, for
    example C(report.groups | selectattr('owner_id', 'equalto', account_id)).
seealso:
  - module: netguard.aws.ec2_security_group_egress_revoke
  - name: AuthorizeSecurityGroupEgress API
    description: The API call this module makes.
    link: https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_AuthorizeSecurityGroupEgress.html
"""

EXAMPLES = r"""
- name: Remove the allow-all rules of every production group
  netguard.aws.ec2_security_group_egress_revoke:
    filters:
      tag:env: prod
    protocol: all
    cidr: [0.0.0.0/0, "::/0"]
  register: lockdown

- name: Undo it, group by group, with descriptions and tags
  netguard.aws.ec2_security_group_egress_restore:
    revoked: "{{ lockdown }}"

- name: Put back rules by hand, as revoked_ip_permissions lists them
  netguard.aws.ec2_security_group_egress_restore:
    group_id: sg-0123456789abcdef0
    ip_permissions:
      - IpProtocol: tcp
        FromPort: 443
        ToPort: 443
        IpRanges:
          - CidrIp: 10.0.0.0/16
            Description: web servers

- name: Undo what a reviewed run removed, from the review report attached to the change ticket
  netguard.aws.ec2_security_group_egress_restore:
    revoked: "{{ lookup('ansible.builtin.file', 'review/egress-review.json') }}"

- name: Undo one run recorded in a journal, keeping a journal of the undo
  netguard.aws.ec2_security_group_egress_restore:
    from_journal: "{{ lockdown.journal }}"
    journal: /var/log/netguard/undo.jsonl
"""

RETURN = r"""
group_id:
  description: ID of the security group.
  returned: for one group (O(group_id), or O(revoked) of one group)
  type: str
  sample: sg-0123456789abcdef0
region:
  description: Region of the group.
  returned: for one group
  type: str
  sample: us-east-1
owner_id:
  description: AWS account that owns the group, when the input says.
  returned: for one group
  type: str
  sample: "123456789012"
restored_rules:
  description:
    - The egress rules added, as AWS describes them, with their new rule IDs; in check mode, the rules that would
      be added, without IDs.
  returned: for one group
  type: list
  elements: dict
  sample:
    - security_group_rule_id: sgr-0123456789abcdef0
      ip_protocol: tcp
      from_port: 443
      to_port: 443
      cidr_ipv4: 10.0.0.0/16
      description: web servers
      tags: {}
revoked_rules:
  description:
    - Undoing a replace, the rules it added that were removed, in the shape of RV(restored_rules); in check mode,
      those that would be. Empty otherwise.
  returned: for one group
  type: list
  elements: dict
  version_added: 0.2.0
  sample: []
already_present:
  description: The rules of the input that the group already had (the group's rule, with its ID), in the shape of
    RV(restored_rules).
  returned: for one group
  type: list
  elements: dict
  sample: []
failed_rules:
  description: Each rule that AWS refused, in the shape of RV(restored_rules) without ID, with C(msg) saying why.
  returned: for one group
  type: list
  elements: dict
  sample:
    - rule:
        security_group_rule_id: null
        ip_protocol: tcp
        from_port: 5432
        to_port: 5432
        referenced_group_id: sg-0fedcba9876543210
        description: database
        tags: {}
      msg: "InvalidGroup.NotFound: The security group 'sg-0fedcba9876543210' does not exist"
egress_rules:
  description: The group's egress rules afterwards, in the shape of RV(restored_rules); in check mode, as they
    would be.
  returned: for one group
  type: list
  elements: dict
  sample: []
groups:
  description:
    - In bulk form (O(revoked) of a bulk result or a report, O(from_journal)), one entry per group, with the keys of
      the one-group form; also when the task fails.
    - A group that failed as a whole has C(failed=true) and C(msg).
  returned: bulk form
  type: list
  elements: dict
  sample:
    - group_id: sg-0123456789abcdef0
      region: us-east-1
      owner_id: "123456789012"
      changed: true
      restored_rules:
        - security_group_rule_id: sgr-0123456789abcdef0
          ip_protocol: "-1"
          from_port: -1
          to_port: -1
          cidr_ipv4: 0.0.0.0/0
          description: null
          tags: {}
      revoked_rules: []
      already_present: []
      failed_rules: []
      egress_rules: []
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
    path: /var/log/netguard/undo.jsonl
    run: 3f0c2d4e9b7a4e21a0f6d1c2b3a4e5f6
totals:
  description: In bulk form, counts over all groups; also when the task fails.
  returned: bulk form
  type: dict
  contains:
    groups:
      description: Groups in the input.
      type: int
    changed_groups:
      description: Groups rules were (in check mode, would be) added to.
      type: int
    restored_rules:
      description: Rules added (in check mode, that would be).
      type: int
    revoked_rules:
      description: Rules a replace had added that were removed (in check mode, that would be).
      type: int
      version_added: 0.2.0
    already_present:
      description: Rules the groups already had.
      type: int
    failed_rules:
      description: Rules AWS refused.
      type: int
    failed_groups:
      description: Groups that failed as a whole.
      type: int
  sample:
    groups: 20
    changed_groups: 20
    restored_rules: 40
    revoked_rules: 0
    already_present: 0
    failed_rules: 0
    failed_groups: 0
"""

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.netguard.aws.plugins.module_utils.module_runner import run_module
from ansible_collections.netguard.aws.plugins.module_utils.permissions import ip_permissions_argument_spec
from ansible_collections.netguard.aws.plugins.module_utils.request import (
    CONNECTION_REQUIRED_TOGETHER,
    connection_argument_spec,
    revoke_rate_argument_spec,
)
from ansible_collections.netguard.aws.plugins.module_utils.restore_request import parse_restore_request

ARGUMENT_SPEC = dict(
    group_id=dict(type="str"),
    ip_permissions=ip_permissions_argument_spec(),
    # raw: a registered result (a dictionary), or its JSON text as a file lookup gives it.
    revoked=dict(type="raw"),
    # raw: a path, or a revoke result's journal ({path, run}).
    from_journal=dict(type="raw"),
    concurrency=dict(type="int", default=8),
    revoke_rate=revoke_rate_argument_spec(),
    journal=dict(type="path"),
)
ARGUMENT_SPEC.update(connection_argument_spec())

MODULE_KWARGS = dict(
    argument_spec=ARGUMENT_SPEC,
    mutually_exclusive=[["group_id", "revoked", "from_journal"], ["ip_permissions", "revoked"],
                        ["ip_permissions", "from_journal"]],
    required_one_of=[["group_id", "revoked", "from_journal"]],
    required_together=CONNECTION_REQUIRED_TOGETHER + [["group_id", "ip_permissions"]],
)


def main():
    module = AnsibleModule(supports_check_mode=True, **MODULE_KWARGS)
    run_module(module, parse_restore_request)


if __name__ == "__main__":
    main()
