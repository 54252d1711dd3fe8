# -*- coding: utf-8 -*-
# Copyright: Contributors to the netguard.aws collection
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)


class ModuleDocFragment:
    # The exclude_filters option of the revoke module's bulk mode and of the info module.
    DOCUMENTATION = r"""
options:
  exclude_filters:
    description:
      - 'Exemptions. Leave out of the selection every security group that these C(DescribeSecurityGroups) filters
        match, for example C({"tag:netguard-exempt": "true"}) for the groups a team marked exempt.'
      - Written like O(filters) (a dictionary of filter names and values, or its JSON or C(key=value) text), and
        matched by EC2 itself, with one C(DescribeSecurityGroups) per region, as O(filters) is; a group is left out
        when it matches every filter given.
      - The groups left out are dropped before their rules are read, so nothing is ever changed in them and they
        count nowhere, neither in the guards (the revoke module's C(max_revoked_rules)) nor in the result's groups
        and totals; RV(excluded) lists them, with their region. In check mode too.
      - Where they cannot be read (access denied, say), nothing is done in that region, which fails as when its
        groups cannot be listed.
      - Only for a selection of many groups, by O(filters) or (info module) every group of the region, in one
        region or in O(regions); cannot be used with O(group_id) or O(group_name), which name their groups.
      - Must not be empty, which would exclude every group.
    type: raw
    version_added: 0.2.0
"""
