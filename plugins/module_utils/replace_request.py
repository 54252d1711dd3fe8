# -*- coding: utf-8 -*-
# Copyright: Contributors to the netguard.aws collection
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""The revoke module's ``replace_with``, ``observed_prefix`` and ``max_rules_per_group``, parsed once into a
``Replacement``. Pure: every refusal names the option and the value, before any client exists."""

from collections import namedtuple

from ansible.module_utils.common.arg_spec import ArgumentSpecValidator

from ansible_collections.netguard.aws.plugins.module_utils.errors import NetguardAwsError, invalid
from ansible_collections.netguard.aws.plugins.module_utils.permissions import (
    RestoreRule,
    ip_permissions_argument_spec,
    permission_rules,
)

OBSERVED = "observed"
# AWS's default quota of egress rules per group, for each address family.
DEFAULT_MAX_RULES = 60
DEFAULT_OBSERVED_PREFIX = {"ipv4": 24, "ipv6": 64}
_PREFIX_BOUNDS = {"ipv4": 32, "ipv6": 128}

Replacement = namedtuple("Replacement", ["rules", "observed", "max_rules"])
Replacement.__doc__ = """What a group that loses rules gets first: ``rules`` (``RestoreRule``s, the explicit
``replace_with``), or with ``observed`` (``{ipv4: N, ipv6: M}``, the widest prefixes) the rules the cut flows need;
``max_rules``: the egress rules a group may hold per address family."""


def replace_with_argument_spec():
    """``replace_with``. raw: V(observed), or rules in the form of ``ip_permissions`` with ``tags``, validated by
    ``parse_replacement`` so that an error quotes the value as written."""
    return dict(type="raw")


def observed_prefix_argument_spec():
    return dict(type="dict", options=dict(ipv4=dict(type="int", default=DEFAULT_OBSERVED_PREFIX["ipv4"]),
                                          ipv6=dict(type="int", default=DEFAULT_OBSERVED_PREFIX["ipv6"])))


def _rules_spec():
    spec = ip_permissions_argument_spec()
    spec["options"]["tags"] = dict(type="dict")
    return spec


def parse_replacement(params, warnings):
    """The ``Replacement`` of the task's parameters, or None without ``replace_with``."""
    value = params.get("replace_with")
    if value is None:
        return None
    max_rules = params.get("max_rules_per_group")
    if max_rules is None:
        max_rules = DEFAULT_MAX_RULES
    elif isinstance(max_rules, bool) or not 1 <= max_rules <= 1000:
        raise invalid("max_rules_per_group", max_rules, "is out of range: give the group's quota of egress rules "
                      "per address family, 1 to 1000 (AWS's default is %d)" % DEFAULT_MAX_RULES)
    if value == OBSERVED:
        return Replacement((), _observed_prefix(params.get("observed_prefix")), max_rules)
    if params.get("observed_prefix") is not None:
        raise NetguardAwsError("observed_prefix applies to replace_with: observed, and replace_with lists rules")
    if isinstance(value, dict):
        value = [value]
    if not isinstance(value, list):
        raise invalid("replace_with", value, "is neither observed nor a list of rules in the form of ip_permissions")
    if not value:
        raise NetguardAwsError("replace_with is empty: list the rules to add, or give observed")
    validation = ArgumentSpecValidator({"replace_with": _rules_spec()}).validate({"replace_with": value})
    if validation.error_messages:
        raise NetguardAwsError("replace_with: %s" % validation.errors.msg)
    rules = {}
    for index, permission in enumerate(validation.validated_parameters["replace_with"]):
        where = "replace_with[%d]" % index
        tags = _tags(permission.get("tags"), where + ".tags")
        for pair_index, pair in enumerate(permission.get("user_id_group_pairs") or ()):
            if pair.get("group_id") is None:
                raise invalid("%s.user_id_group_pairs[%d].group_name" % (where, pair_index), pair.get("group_name"),
                              "names a referenced group by name: give its group_id, which adding a rule needs")
        for requested in permission_rules(permission, where, warnings):
            rules.setdefault((requested.rule, requested.group_owner), RestoreRule(requested, tags))
    return Replacement(tuple(rules.values()), None, max_rules)


def _observed_prefix(value):
    prefixes = dict(DEFAULT_OBSERVED_PREFIX)
    for family, bound in _PREFIX_BOUNDS.items():
        given = (value or {}).get(family)
        if given is None:
            continue
        if isinstance(given, bool) or not 1 <= given <= bound:
            raise invalid("observed_prefix.%s" % family, given, "is not a prefix length: give 1 to %d" % bound)
        prefixes[family] = given
    return prefixes


def _tags(value, option):
    for key, text in (value or {}).items():
        if not isinstance(text, str) or not key or key.lower().startswith("aws:"):
            raise invalid(option, value, "is not a dictionary of rule tags: text values, keys not starting with aws:")
    return dict(value or {})
