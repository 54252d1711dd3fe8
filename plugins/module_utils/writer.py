# -*- coding: utf-8 -*-
# Copyright: Contributors to the netguard.aws collection
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""Stage 5 of the pipeline: carry out the plans of a region, ``concurrency`` groups at a time.

For each group that changes: first add what it lacks (``AuthorizeSecurityGroupEgress``,
one call per set of rule tags), then remove what goes (one ``RevokeSecurityGroupEgress``
by rule ID); in check mode, the same calls as dry runs. Each call is journaled (an
intent before it, an outcome after) and goes through the client's pacing; none starts
once the lifeline says the run stopped. A group that fails does not stop the others.
"""

from collections import namedtuple
from concurrent.futures import ThreadPoolExecutor

from ansible_collections.netguard.aws.plugins.module_utils.ec2 import RuleExists, RuleRefused, RulesGone, is_access_denied
from ansible_collections.netguard.aws.plugins.module_utils.errors import NetguardAwsError, no_such_group
from ansible_collections.netguard.aws.plugins.module_utils.formatting import (
    api_tags,
    counted,
    display_line,
    ip_permissions,
    requested_api_rule,
)
from ansible_collections.netguard.aws.plugins.module_utils.journal import (
    AUTHORIZE,
    AUTHORIZED,
    FAILED,
    REVOKE,
    REVOKED,
    WOULD_AUTHORIZE,
    WOULD_REVOKE,
)
from ansible_collections.netguard.aws.plugins.module_utils.lifeline import Stopped
from ansible_collections.netguard.aws.plugins.module_utils.plan import plan_again
from ansible_collections.netguard.aws.plugins.module_utils.rules import DescribedRule
from ansible_collections.netguard.aws.plugins.module_utils.selector import egress_rules_of
from ansible_collections.netguard.aws.plugins.module_utils.targets import TargetGroup, verified

# How often to describe again when rules to revoke vanish under us (another writer).
# Transient API errors are botocore's to retry, not this loop's.
REVOKE_ATTEMPTS = 3

GroupOutcome = namedtuple("GroupOutcome", ["plan", "revoked", "added", "raced", "failed_rules", "unknown", "warnings",
                                           "error", "stopped"],
                          defaults=((), (), (), (), (), (), None, False))
GroupOutcome.__doc__ = """What became of one group's plan (the last one, if it was planned again).

``revoked``, ``added``: the rules that went and came (with their new IDs), or would in check mode; ``raced``:
``RestoreRule``s another change added meanwhile; ``failed_rules``: ``(RestoreRule, why AWS refused it)``;
``unknown``: the revoke's ``UnknownIpPermissions``; ``error``: why the group failed as a whole (a
``NetguardAwsError``); ``stopped``: the run stopped before this group was done.
"""


def after(outcome):
    """The group's egress rules after the writes (in check mode, as they would be)."""
    return [rule for rule in outcome.plan.before if rule not in outcome.revoked] + list(outcome.added)


def write(api, plans, execution, journal, check_mode, lifeline=None):
    """A ``GroupOutcome`` for each plan, in their order."""

    def one(plan):
        if not plan.changes:
            return GroupOutcome(plan, warnings=list(plan.warnings))
        return _GroupWrite(api, plan, journal, check_mode, lifeline).run()

    if not any(plan.changes for plan in plans):
        return [one(plan) for plan in plans]
    with ThreadPoolExecutor(max_workers=execution.concurrency) as pool:
        return list(pool.map(one, plans))


class _GroupWrite:
    """The writes to one group, and what came of them so far (kept when the run stops or a call fails)."""

    def __init__(self, api, plan, journal, check_mode, lifeline):
        self.api = api
        self.plan = plan
        self.journal = journal
        self.check_mode = check_mode
        self.lifeline = lifeline
        self.group_id = plan.group["GroupId"]
        self.revoked, self.added, self.raced, self.failed, self.unknown = [], [], [], [], []
        self.warnings = list(plan.warnings)
        # Known to exist since a refusal looked the group up: one lookup per group at most.
        self.exists = False

    def run(self):
        error, stopped = None, False
        try:
            self._check()
            self._write()
        except Stopped:
            stopped = True
        except NetguardAwsError as failure:
            error = failure
        return GroupOutcome(self.plan, self.revoked, self.added, self.raced, self.failed, self.unknown, self.warnings,
                            error, stopped)

    def _write(self):
        """Add, then remove. When the group loses rules, what it gets must be there first: if adding fails, nothing
        is removed. In check mode, an access denial of the authorize's dry run still lets the revoke's dry run say
        whether it is allowed too."""
        denied = None
        if self.plan.add:
            try:
                self._authorize()
            except NetguardAwsError as failure:
                if not self.plan.remove:
                    raise
                if not (self.check_mode and is_access_denied(failure)):
                    raise NetguardAwsError("could not add %s to %s, so nothing was removed from it: %s" % (
                        counted(len(self.plan.add), "egress rule"), self.group_id, failure.msg),
                        **failure.details)
                denied = failure
        if self.plan.remove:
            try:
                self._revoke()
            except NetguardAwsError as failure:
                if denied is not None:
                    raise NetguardAwsError("%s; %s" % (denied.msg, failure.msg), **failure.details)
                raise
        if denied is not None:
            raise denied

    def _check(self):
        if self.lifeline is not None:
            self.lifeline.check()

    def _authorize(self):
        """One call per set of tags; a call AWS refuses, or that names a rule added meanwhile, one call per rule."""
        batches = {}
        for item in self.plan.add:
            batches.setdefault(tuple(sorted(item.tags.items())), []).append(item)
        for tags, batch in batches.items():
            try:
                self._authorized(batch, dict(tags))
                continue
            except RuleExists:
                pass
            except RuleRefused as refusal:
                self._check_exists(refusal)
                if self.plan.remove:
                    # Replacing: the group loses nothing unless it gets every rule, so one refusal ends it.
                    raise NetguardAwsError(refusal.msg)
                if len(batch) == 1:
                    self.failed.append((batch[0], refusal.msg))
                    continue
            for item in batch:
                try:
                    self._authorized([item], dict(tags))
                except RuleExists:
                    self.raced.append(item)
                    self.warnings.append("%s was added to %s by another change meanwhile: counted as already present"
                                         % (display_line(new_rule(item, self.group_id)), self.group_id))
                except RuleRefused as refusal:
                    self._check_exists(refusal)
                    if self.plan.remove:
                        raise NetguardAwsError(refusal.msg)
                    self.failed.append((item, refusal.msg))
        if not self.check_mode and any(rule.rule_id is None for rule in self.added):
            self._described_again()

    def _check_exists(self, refusal=None):
        """Fail the group when it no longer exists: after AWS said a group is missing (it may be the referenced group,
        or this one), or when describing it again found no rule at all."""
        if refusal is not None and not refusal.group_gone or self.exists:
            return
        self.exists = verified(self.api, [TargetGroup({"GroupId": self.group_id}, exists=None)])[0].exists
        if not self.exists:
            raise no_such_group([self.group_id], self.plan.region)

    def _authorized(self, items, tags):
        """Add ``items`` in one call; the rules it added, as AWS describes them: as they would be (no ID) in check mode,
        or when the response does not list them."""
        planned = [new_rule(item, self.group_id) for item in items]
        self._check()
        entry = self.journal.intent(self.plan.group, self.plan.region, planned, AUTHORIZE) if self.journal else None
        try:
            response = self.api.authorize_egress(self.group_id, ip_permissions(planned), tags, dry_run=self.check_mode)
        except (RuleExists, RuleRefused) as refusal:
            self._outcome(entry, FAILED, msg=getattr(refusal, "msg", str(refusal)), action=AUTHORIZE)
            raise
        except NetguardAwsError as error:
            self._outcome(entry, FAILED, msg=error.msg, action=AUTHORIZE)
            raise
        added = dict((rule.rule, rule) for rule in (
            DescribedRule(dict(api_rule, Tags=api_rule.get("Tags") or api_tags(tags))) for api_rule in response))
        rules = [added.get(rule.rule, rule) for rule in planned]
        self._outcome(entry, WOULD_AUTHORIZE if self.check_mode else AUTHORIZED,
                      [rule.rule_id for rule in rules if rule.rule_id], action=AUTHORIZE)
        self.added.extend(rules)

    def _described_again(self):
        """The added rules with their IDs, from one more describe: for endpoints whose authorize response lists only
        some of the new rules (moto lists the first)."""
        known = set(rule.rule_id for rule in self.plan.before)
        described = [DescribedRule(api_rule) for api_rule in self.api.security_group_rules([self.group_id])]
        new = [rule for rule in egress_rules_of(self.group_id, described) if rule.rule_id not in known]
        self.added = [rule if rule.rule_id is not None else (present_rule(rule, new) or rule) for rule in self.added]

    def _revoke(self):
        """Revoke what the plan takes; describe and plan again when some of it vanished meanwhile."""
        plan = self.plan
        for _attempt in range(REVOKE_ATTEMPTS):
            if not plan.remove:
                break
            try:
                self._revoked(plan)
                break
            except RulesGone:
                expected = plan.remove
                described = [DescribedRule(api_rule) for api_rule in self.api.security_group_rules([self.group_id])]
                if not described:
                    self._check_exists()
                plan = plan_again(plan, described)
                still_there = set(rule.rule_id for rule in plan.before)
                gone = [rule.rule_id for rule in expected if rule.rule_id not in still_there]
                self.warnings.append("%s disappeared from %s before this task could revoke it (removed by another "
                                     "change)" % (", ".join(gone), self.group_id))
                self.plan = plan
        else:
            raise NetguardAwsError("the egress rules of %s kept changing while this task revoked them; run it again"
                                   % self.group_id, group_id=self.group_id)
        not_revoked = [rule.rule_id for rule in plan.remove if rule not in self.revoked]
        if not_revoked:
            self.warnings.append("AWS did not report %s as revoked from %s" % (", ".join(not_revoked), self.group_id))

    def _revoked(self, plan):
        rules = plan.remove
        self._check()
        entry = self.journal.intent(plan.group, plan.region, rules) if self.journal else None
        try:
            response = self.api.revoke_egress(self.group_id, [rule.rule_id for rule in rules], dry_run=self.check_mode)
        except RulesGone:
            self._outcome(entry, FAILED, msg="AWS revoked none of them: some were removed meanwhile by another change")
            raise
        except NetguardAwsError as error:
            self._outcome(entry, FAILED, msg=error.msg)
            raise
        self.revoked = _revoked(rules, response, self.check_mode)
        self.unknown = response.get("UnknownIpPermissions", [])
        self._outcome(entry, WOULD_REVOKE if self.check_mode else REVOKED, [rule.rule_id for rule in self.revoked])

    def _outcome(self, entry, status, rule_ids=(), msg=None, action=REVOKE):
        if entry is not None:
            self.journal.outcome(entry, status, rule_ids, msg, action)


def new_rule(item, group_id):
    """A ``RestoreRule`` as ``DescribeSecurityGroupRules`` would give it once added, without an ID."""
    return DescribedRule(requested_api_rule(item.requested, item.tags, group_id))


def present_rule(rule, described_rules):
    """The first of ``described_rules`` that is the same rule as ``rule``, or None."""
    return next((hit for hit in described_rules if hit.rule == rule.rule), None)


def _revoked(matched, response, check_mode):
    """The rules that went: AWS's own list where the response has one.

    Without ``RevokedSecurityGroupRules`` (older endpoints, moto), a successful
    revoke by rule IDs removed all of them: AWS rejects the whole call if any ID
    is unknown.
    """
    if check_mode or "RevokedSecurityGroupRules" not in response:
        return list(matched)
    revoked_ids = set(rule.get("SecurityGroupRuleId") for rule in response["RevokedSecurityGroupRules"])
    return [rule for rule in matched if rule.rule_id in revoked_ids]
