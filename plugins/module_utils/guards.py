# -*- coding: utf-8 -*-
# Copyright: Contributors to the netguard.aws collection
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""Stage 4 of the pipeline: refuse the whole task, before any write call, when its plans go too far. Pure."""

from ansible_collections.netguard.aws.plugins.module_utils.errors import NetguardAwsError
from ansible_collections.netguard.aws.plugins.module_utils.formatting import counted
from ansible_collections.netguard.aws.plugins.module_utils.impact import refuse_used


def check_guards(plans, guards):
    """Refuse to revoke more rules than ``max_revoked_rules`` allows over every plan of every region, or, with
    ``require_unused``, from a group that network interfaces, launch templates or ECS services use."""
    if guards.require_unused:
        refuse_used(dict((plan.group["GroupId"], plan.affected) for plan in plans if plan.affected is not None),
                    dict((plan.group["GroupId"], plan.users) for plan in plans if plan.users is not None))
    if guards.max_revoked_rules is None:
        return
    count = sum(len(plan.remove) for plan in plans)
    if count > guards.max_revoked_rules:
        groups = sum(1 for plan in plans if plan.remove)
        raise NetguardAwsError("%s in %s would be revoked, more than max_revoked_rules=%d; nothing was revoked"
                               % (counted(count, "egress rule"), counted(groups, "security group"),
                                  guards.max_revoked_rules), would_revoke=count)
