# -*- coding: utf-8 -*-
# Copyright: Contributors to the netguard.aws collection
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""The guard of the ``event`` option: an event is acted on only in the account that owns its group. Pure."""

from ansible_collections.netguard.aws.plugins.module_utils.errors import NetguardAwsError
from ansible_collections.netguard.aws.plugins.module_utils.rules import owner_of


def refused_events(plans, event):
    """``{group_id: NetguardAwsError}`` for each group of ``plans`` that ``event`` (an ``events.Event``, or None) did not
    happen in: its account is not the group's owner (``OwnerId``, or its rules' ``GroupOwnerId``), as when one
    account's events reach another's rulebook or a group ID is reused in a shared VPC."""
    if event is None or not event.account:
        return {}
    refused = {}
    for plan in plans:
        owner = owner_of(plan.group, plan.described)
        if owner and owner != event.account:
            group_id = plan.group["GroupId"]
            refused[group_id] = NetguardAwsError(
                "event %s (%s) happened in account %s, but %s belongs to account %s: refused, and nothing was revoked; "
                "run the task with the credentials of the account the event came from"
                % (event.id, event.name, event.account, group_id, owner))
    return refused
