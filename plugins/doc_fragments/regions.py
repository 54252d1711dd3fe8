# -*- coding: utf-8 -*-
# Copyright: Contributors to the netguard.aws collection
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)


class ModuleDocFragment:
    # The regions option of the revoke module's bulk mode and of the info module.
    DOCUMENTATION = r"""
options:
  regions:
    description:
      - Run in these regions instead of the connection's one, all at once, each with its own client (EC2 throttles
        each region separately). Region names such as V(us-east-1), or V(all) for every region that
        C(DescribeRegions), asked in the connection's region, lists as enabled (C(opt-in-not-required) or
        C(opted-in)); V(all) needs C(ec2:DescribeRegions).
      - A region that fails does not stop the others; it is listed in RV(failed_regions) and the task fails at the
        end, naming it. Under V(all), a region where access is denied (an organisation policy, say) is listed in
        RV(skipped_regions) instead, and the task does not fail for it.
      - Every group in the result carries its C(region) and C(owner_id).
      - Left out, the task runs in the connection's region only, exactly as without this option.
    type: list
    elements: raw
    version_added: 0.2.0
"""
