# -*- coding: utf-8 -*-
# Copyright: Contributors to the netguard.aws collection
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""The one sequence every task of every module runs, from a parsed ``Request`` to the task's result.

In each region, side by side: the target groups (``targets.py``), one batched read
(``reading.py``), with ``traffic`` what the flow logs show (``evidence.py``), a pure
plan per group (``plan.py``), with ``replace_with: observed`` the rules the cut flows need
(``observed.py``); then over every region at once the guards (``guards.py``,
``traffic_guard.py``, ``replace_guard.py``); then in each region the writer (``writer.py``),
with the journal, pacing and concurrency; then one result (``results.py``). A single group is
the one-group case of the same sequence. No ``AnsibleModule`` here, so the modules and
their action plugins run the same code; expected failures raise ``NetguardAwsError``.
"""

from collections import namedtuple
from concurrent.futures import ThreadPoolExecutor
from contextlib import nullcontext

from ansible_collections.netguard.aws.plugins.module_utils.ec2 import is_access_denied
from ansible_collections.netguard.aws.plugins.module_utils.errors import NetguardAwsError
from ansible_collections.netguard.aws.plugins.module_utils.formatting import counted
from ansible_collections.netguard.aws.plugins.module_utils.guards import check_guards
from ansible_collections.netguard.aws.plugins.module_utils.journal import open_journal
from ansible_collections.netguard.aws.plugins.module_utils.plan import plan_group
from ansible_collections.netguard.aws.plugins.module_utils.reading import read, with_affected
from ansible_collections.netguard.aws.plugins.module_utils.replace_guard import refused_replacements
from ansible_collections.netguard.aws.plugins.module_utils.request import ALL_REGIONS
from ansible_collections.netguard.aws.plugins.module_utils.results import task_result
from ansible_collections.netguard.aws.plugins.module_utils.selector import group_names, needs_stale, needs_traffic
from ansible_collections.netguard.aws.plugins.module_utils.targets import (
    TargetGroup,
    check_found,
    excluding,
    missing_group,
    target_groups,
)
from ansible_collections.netguard.aws.plugins.module_utils.traffic_guard import refused_plans
from ansible_collections.netguard.aws.plugins.module_utils.writer import GroupOutcome, write

# More regions than this wait for a free slot; each region runs its own groups concurrently too.
PARALLEL_REGIONS = 16

RegionPlans = namedtuple("RegionPlans", ["plans", "missing", "groups", "warnings", "excluded"])
RegionPlans.__doc__ = """A region's plans in the order of its groups, the IDs of those that do not exist, the target
groups, the region's warnings and the groups ``exclude_filters`` left out (``TargetGroup``s)."""


def run(request, clients, check_mode=False, diff=False, lifeline=None):
    """The result of ``request`` (a ``Request``), with ``clients`` (an ``Ec2Clients``); ``lifeline``: asked before
    each write, to stop when the run went away or was told to stop.

    With ``journal``, the file is opened (and its run line written) before any API call, and every write call is
    journaled: see ``journal.py``.
    """
    journal = None
    if request.execution.journal is not None:
        journal = open_journal(request.execution.journal, check_mode, request.module)
    try:
        result = _run(request, clients, check_mode, diff, journal, lifeline)
    except NetguardAwsError as error:
        if journal is not None:
            error.details["journal"] = journal.reference()
        raise
    finally:
        if journal is not None:
            journal.close()
    if journal is not None:
        result["journal"] = journal.reference()
    return result


def _run(request, clients, check_mode, diff, journal, lifeline):
    regions = Regions(clients, request)
    request = regions.request
    logs = None
    if request.traffic is not None:
        from ansible_collections.netguard.aws.plugins.module_utils.log_clients import LogClients

        logs = LogClients(request.connection, request.traffic.profile)
    planned = regions.each(lambda api: plan_region(api, request, regions.alone, logs))
    target = request.target
    if not regions.alone and not target.located:
        # Groups named by ID or name may be in any of the regions, but must be in one of them.
        check_found(target, [dict(group.group, region=region) for region in planned
                             for group in planned[region].groups if group.exists], None, len(regions.names))
    every_plan = [plan for region in planned.values() for plan in region.plans]
    check_guards(every_plan, request.guards)
    refused = refused_plans(every_plan, request.guards)
    for group_id, error in refused_replacements(every_plan).items():
        refused.setdefault(group_id, error)

    def write_region(api):
        region = planned[api.region]
        return write(api, [plan for plan in region.plans if plan.group["GroupId"] not in region.missing
                           and plan.group["GroupId"] not in refused], request.execution, journal, check_mode, lifeline)

    with lifeline.watching_signals() if lifeline is not None else nullcontext():
        written = regions.each(write_region, list(planned))
    outcomes = []
    for region in regions.names:
        if region in regions.failed_groups:
            outcomes.extend(regions.failed_groups[region])
            continue
        if region not in written:
            continue
        done = iter(written[region])
        for plan in planned[region].plans:
            group_id = plan.group["GroupId"]
            if group_id in planned[region].missing:
                outcomes.append(GroupOutcome(plan, error=missing_group(plan, region)))
            elif group_id in refused:
                outcomes.append(GroupOutcome(plan, error=refused[group_id]))
            else:
                outcomes.append(next(done))
    _stop_if_stopped(outcomes, journal, lifeline)
    warnings = [warning for region in planned.values() for warning in region.warnings]
    excluded = None
    if not (target.group_ids or target.group_name or target.located):
        excluded = [(region, group.group) for region in planned for group in planned[region].excluded]
    return task_result(request, outcomes, warnings, check_mode, diff, regions.report(), excluded)


def plan_region(api, request, alone, logs=None):
    """Stages 1 to 3 in one region: its target groups, one read, the traffic its flow logs show (``traffic``,
    read with ``logs``, a ``LogClients``), a plan per group (and, for ``impact``, who is behind the groups that
    change). ``alone``: the task runs in this region only, so a group named by name or ID that is not here is an
    error at once."""
    target, change = request.target, request.change
    selector = change.selector
    # A listing shows each group's name and VPC; names of destination groups and stale references need the VPC.
    listing = not change.removes
    details = listing or bool(selector and (group_names(selector) or needs_stale(selector)))
    groups = target_groups(api, target, details)
    if alone and not target.located:
        check_found(target, [group.group for group in groups if group.exists is not False], api.region)
    if listing:
        groups = [group for group in groups if group.exists]
    selected = groups
    # Left out before the read: neither the plans nor the guards nor the totals see them.
    groups, excluded = excluding(api, groups, target.exclude_filters)
    whole_region = not (target.group_ids or target.group_name or target.filters or target.located)
    snapshot = read(api, groups, selector, whole_region)
    missing = set(group.group["GroupId"] for group in snapshot.groups if group.exists is False)
    warnings = []
    analysis = None
    if request.traffic is not None:
        # Imported here: a module runs from a zip, where each task compiles again every module it imports, and only
        # the tasks with traffic need the flow log readers and the analysis.
        from ansible_collections.netguard.aws.plugins.module_utils.evidence import observe
        from ansible_collections.netguard.aws.plugins.module_utils.traffic import with_traffic

        analysis, found = observe(api, logs, [group.group["GroupId"] for group in snapshot.groups
                                              if group.group["GroupId"] not in missing],
                                  snapshot.described, request.traffic)
        warnings.extend(found)
    plans = []
    for group in snapshot.groups:
        group_id = group.group["GroupId"]
        unused = frozenset()
        if analysis is not None and selector is not None and needs_traffic(selector):
            unused = analysis.unused_rule_ids(group_id, [rule.rule_id for rule in snapshot.described[group_id]])
        plans.append(plan_group(group, api.region, snapshot.described[group_id], change, snapshot.ids_by_name,
                                snapshot.stale_groups, unused, snapshot.destinations))
    if analysis is not None:
        plans = with_traffic(plans, analysis, listing)
        if change.replace is not None and change.replace.observed is not None:
            from ansible_collections.netguard.aws.plugins.module_utils.observed import with_observed

            plans = with_observed(plans, analysis)
    if request.guards.impact:
        changing = with_affected(api, [plan for plan in plans if plan.group["GroupId"] not in missing])
        assessed = dict((plan.group["GroupId"], plan) for plan in changing)
        plans = [assessed.get(plan.group["GroupId"], plan) for plan in plans]
    if target.filters is not None and change.removes and not selected:
        warnings.append("filters matched no security group in %s" % api.region)
    return RegionPlans(plans, missing, groups, warnings, excluded)


def _stop_if_stopped(outcomes, journal, lifeline):
    """When the run stopped before its end: the journal's ``abandoned`` line, and the task's failure."""
    stopped = [outcome for outcome in outcomes if outcome.stopped]
    if not stopped:
        return
    reason = lifeline.reason()
    changing = [outcome for outcome in outcomes if outcome.plan.changes]
    if journal is not None:
        journal.abandoned(reason, len(stopped))
    raise NetguardAwsError("the run stopped before its end (%s): %s of the %s that would change %s not written to; "
                           "no further write was started" % (
                               reason, len(stopped), counted(len(changing), "security group"),
                               "was" if len(stopped) == 1 else "were"),
                           changed=any(outcome.revoked or outcome.added for outcome in outcomes))


class Regions:
    """The regions of a task, each with its ``Ec2Api``, and how each fared; ``request``: the task's, with the groups
    located in the connection's region (None) located in it by name.

    ``regions`` (the revoke and info modules' option): every region named, or every enabled one for ``all``; a region
    whose work fails is left out and reported (``failed_regions``, or ``skipped_regions`` for an access denial under
    ``all``), and the others go on. Groups located in regions (the restore module's input): a region whose work fails
    fails each of its groups. Otherwise, the connection's region alone, whose failure is the task's.
    """

    def __init__(self, clients, request):
        self.request = request
        target = request.target
        self.every_region = target.regions == ALL_REGIONS
        if target.regions is not None:
            names = (clients.api(None).enabled_regions() if self.every_region else list(target.regions))
        elif target.located:
            names = list(dict.fromkeys(entry.region or clients.default_region for entry in target.located))
        else:
            names = [clients.default_region]
        self.names = names
        self.alone = target.regions is None and not target.located
        self.apis = dict((name, clients.api(name)) for name in names)
        self.failed_regions, self.skipped_regions = [], []
        self.failed_groups = {}
        if target.located:
            self.request = request._replace(target=target._replace(located=tuple(
                entry._replace(region=entry.region or clients.default_region) for entry in target.located)))

    def each(self, work, names=None):
        """``{region: work(api)}`` for the regions that have not failed, in their order."""
        names = self.names if names is None else names
        if len(names) == 1:
            outcomes = [self._one(work, names[0])]
        else:
            with ThreadPoolExecutor(max_workers=max(1, min(len(names), PARALLEL_REGIONS))) as pool:
                outcomes = list(pool.map(lambda name: self._one(work, name), names))
        return dict((name, value) for name, value, failed in outcomes if not failed)

    def _one(self, work, name):
        try:
            return name, work(self.apis[name]), False
        except NetguardAwsError as error:
            target = self.request.target
            if self.alone:
                raise
            if target.located:
                self.failed_groups[name] = [
                    GroupOutcome(plan_group(TargetGroup({"GroupId": entry.group_id, "OwnerId": entry.owner_id}),
                                            name, [], self.request.change), error=error)
                    for entry in target.located if entry.region == name]
            elif self.every_region and is_access_denied(error):
                self.skipped_regions.append({"region": name, "msg": error.msg})
            else:
                self.failed_regions.append({"region": name, "msg": error.msg})
            return name, None, True

    def report(self):
        """``(the result keys of a task with regions, the message of the failed regions or None)``, or None."""
        if self.request.target.regions is None:
            return None
        message = None
        if self.failed_regions:
            message = "%d of %d regions failed (the others were handled): %s" % (
                len(self.failed_regions), len(self.names),
                "; ".join("%s: %s" % (failed["region"], failed["msg"]) for failed in self.failed_regions))
        return ({"regions": list(self.names), "failed_regions": list(self.failed_regions),
                 "skipped_regions": list(self.skipped_regions)}, message)
