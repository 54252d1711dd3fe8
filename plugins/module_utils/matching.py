# -*- coding: utf-8 -*-
# Copyright: Contributors to the netguard.aws collection
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""Decide which described rules a request selects. Pure: no AWS calls."""

from collections import namedtuple

from ansible_collections.netguard.aws.plugins.module_utils.predicates import keep_warning, kept_by, passes

MatchResult = namedtuple("MatchResult", ["matched", "unmatched_rule_ids", "unmatched_rules", "warnings", "kept"])
MatchResult.__doc__ = """``matched`` and ``kept`` keep the described order; the rest keep the request's order.

``kept``: ``(described, keep_item)`` for each selected rule that ``keep`` saved.
"""


def egress_rules_of(group_id, described_rules):
    return [rule for rule in described_rules if rule.is_egress and rule.group_id == group_id]


def match_egress_rules(group_id, described_rules, rule_ids=(), rules=(), revoke_all=False, predicates=(), keep=(),
                       stale_rule_ids=frozenset()):
    """Select the egress rules of ``group_id`` named by ID, by rule, by predicates, or all of them, except ``keep``.

    The selectors add up; ``keep`` (``KeepItem``s) is subtracted last. A rule ID
    matches only an egress rule of this group: an ingress rule or another group's
    rule is reported unmatched, never selected.
    """
    egress = egress_rules_of(group_id, described_rules)
    described_by_id = dict((rule.rule_id, rule) for rule in described_rules)
    egress_by_rule = rules_by_identity(egress)

    selected_ids = set(rule.rule_id for rule in egress) if revoke_all else set()
    unmatched_rule_ids = []
    warnings = []
    for rule_id in rule_ids:
        described = described_by_id.get(rule_id)
        if described is not None and described in egress:
            selected_ids.add(rule_id)
            continue
        unmatched_rule_ids.append(rule_id)
        if described is not None and not described.is_egress:
            warnings.append("%s is an ingress rule of %s and was left alone: this module revokes egress rules only"
                            % (rule_id, group_id))

    unmatched_rules = []
    for requested in rules:
        hits = same_rules(requested, egress_by_rule)
        if hits:
            selected_ids.update(described.rule_id for described in hits)
        else:
            unmatched_rules.append(requested)

    for predicate in predicates:
        selected_ids.update(rule.rule_id for rule in egress if passes(rule, predicate, stale_rule_ids))

    matched = []
    kept = []
    for rule in egress:
        if rule.rule_id not in selected_ids:
            continue
        item = kept_by(rule, keep, stale_rule_ids)
        if item is None:
            matched.append(rule)
            continue
        kept.append((rule, item))
        warning = keep_warning(rule, item)
        if warning:
            warnings.append(warning)
    return MatchResult(matched, unmatched_rule_ids, unmatched_rules, warnings, kept)


def rules_by_identity(described_rules):
    """``{EgressRule: [described rules]}``, for ``same_rules``."""
    by_rule = {}
    for described in described_rules:
        by_rule.setdefault(described.rule, []).append(described)
    return by_rule


def same_rules(requested, by_rule):
    """The described rules that are the ``RequestedRule`` (its owner, when given, too); descriptions do not count."""
    return [described for described in by_rule.get(requested.rule, ())
            if requested.group_owner is None or requested.group_owner == described.group_owner]


def passes_filter(described, rule_filter):
    """Whether a described rule has every part ``rule_filter`` gives (a part left out matches anything)."""
    rule = described.rule
    if rule_filter.protocol is not None and rule.protocol != rule_filter.protocol:
        return False
    if rule_filter.from_port is not None and (rule.from_port, rule.to_port) != (rule_filter.from_port, rule_filter.to_port):
        return False
    if rule_filter.destinations and (rule.destination_type, rule.destination) not in rule_filter.destinations:
        return False
    return True
