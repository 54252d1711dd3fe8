# -*- coding: utf-8 -*-
# Copyright: Contributors to the netguard.aws collection
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""The restore module's parameters, parsed once into a ``Request``: the groups, each with the rules to put back.

The rules come from ``ip_permissions``, from a registered result of the revoke
module (or the review report, which has the same shape), or from a journal
(``from_journal``). Everything is checked here, before any client exists;
``ip_permissions`` in any of them is parsed by the revoke module's own parser.
"""

import json
import os

from ansible.module_utils.common.arg_spec import ArgumentSpecValidator

from ansible_collections.netguard.aws.plugins.module_utils.errors import NetguardAwsError, invalid
from ansible_collections.netguard.aws.plugins.module_utils.formatting import described_from_summary, display_line
from ansible_collections.netguard.aws.plugins.module_utils.journal import (
    authorized_in_journal,
    read_journal,
    revoked_in_journal,
)
from ansible_collections.netguard.aws.plugins.module_utils.permissions import (
    RestoreRule,
    ip_permission_rules,
    ip_permissions_argument_spec,
)
from ansible_collections.netguard.aws.plugins.module_utils.request import (
    MAX_CONCURRENCY,
    RESTORE_MODULE,
    REVOKE_MODULE,
    Change,
    Execution,
    Guards,
    LocatedGroup,
    Request,
    Target,
    parse_connection,
    parse_revoke_rate,
    parse_journal_path,
    region_name,
)
from ansible_collections.netguard.aws.plugins.module_utils.rules import aws_id

_NOT_A_RESULT = ("is neither a registered result of netguard.aws.ec2_security_group_egress_revoke nor the "
                 "egress-review.json report")


def parse_restore_request(params):
    """``(Request, warnings)`` of the restore module's validated parameters.

    A bulk result, a report or a journal gives a result that lists groups; ``group_id`` or a result of one group
    gives that group's result.
    """
    warnings = []
    connection = parse_connection(params)
    concurrency = params.get("concurrency", 1)
    if concurrency is None or not 1 <= concurrency <= MAX_CONCURRENCY:
        raise invalid("concurrency", concurrency, "is out of range: give 1 to %d" % MAX_CONCURRENCY)
    execution = Execution(concurrency, parse_revoke_rate(params.get("revoke_rate")),
                          parse_journal_path(params.get("journal")))
    if params.get("group_id") is not None:
        group_id = aws_id(params["group_id"], "group_id", "sg")
        if not params.get("ip_permissions"):
            raise NetguardAwsError("ip_permissions is empty: list the rules to restore (the revoke module's "
                                   "revoked_ip_permissions)")
        rules = _rules(params["ip_permissions"], (), "ip_permissions", warnings, validated=True)
        groups, bulk = (LocatedGroup(None, group_id, None, rules),), False
    elif params.get("revoked") is not None:
        groups, bulk = _from_result(params["revoked"], warnings)
    else:
        groups, bulk = _from_journal(params["from_journal"], warnings), True
    return Request(RESTORE_MODULE, connection, Target(located=groups, bulk=bulk), Change(), Guards(),
                   execution), warnings


def _from_result(revoked, warnings):
    if isinstance(revoked, str):
        try:
            revoked = json.loads(revoked)
        except ValueError:
            raise invalid("revoked", revoked, _NOT_A_RESULT)
    if not isinstance(revoked, dict):
        raise invalid("revoked", revoked, _NOT_A_RESULT)
    _refuse_check_mode(revoked, "revoked")
    if "groups" in revoked:
        entries = revoked["groups"]
        if not isinstance(entries, list):
            raise invalid("revoked.groups", entries, "is not a list of groups")
        groups = []
        for index, entry in enumerate(entries):
            where = "revoked.groups[%d]" % index
            if not isinstance(entry, dict):
                raise invalid(where, entry, "is not a group of a bulk result")
            _refuse_check_mode(entry, where)
            groups.append(_result_group(entry, where, warnings))
        return _merged(groups), True
    if "revoked_ip_permissions" not in revoked:
        if revoked.get("failed") and revoked.get("authorized_rules"):
            # A replace that failed after adding some of its rules: those are what to undo.
            return (_result_group(revoked, "revoked", warnings),), False
        if revoked.get("failed"):
            # A single-group task fails before or at its one revoke call, which removes all or nothing.
            warnings.append("revoked is a failed task that revoked nothing: nothing to restore")
            return (), False
        raise invalid("revoked", revoked, _NOT_A_RESULT)
    return (_result_group(revoked, "revoked", warnings),), False


def _refuse_check_mode(result, where):
    if result.get("check_mode"):
        raise NetguardAwsError("%s is the result of a run in check mode, which revoked nothing: there is nothing to "
                               "restore (give the result of the real run)" % where)


def _result_group(entry, where, warnings):
    group_id = aws_id(entry.get("group_id"), where + ".group_id", "sg")
    region = entry.get("region")
    if region is not None:
        region_name(region, where + ".region")
    rules = _rules(entry.get("revoked_ip_permissions") or [], entry.get("revoked_rules") or [],
                   where + ".revoked_ip_permissions", warnings, where=where)
    return LocatedGroup(region, group_id, entry.get("owner_id"), rules,
                        _added_ids(entry.get("authorized_rules"), where + ".authorized_rules", warnings))


def _added_ids(summaries, option, warnings):
    """The IDs of the rules a replace added (its ``authorized_rules``): what undoing it removes, and nothing else."""
    if summaries is None:
        return ()
    if not isinstance(summaries, list):
        raise invalid(option, summaries, "is not a list of rules as the revoke module returns them")
    ids = []
    for index, summary in enumerate(summaries):
        rule_id = summary.get("security_group_rule_id") if isinstance(summary, dict) else None
        if rule_id is None:
            rule = described_from_summary(summary, "%s[%d]" % (option, index))
            warnings.append("%s[%d] (%s) has no rule ID, so it is not removed: remove it by hand if it was added"
                            % (option, index, display_line(rule)))
            continue
        ids.append(aws_id(rule_id, "%s[%d].security_group_rule_id" % (option, index), "sgr"))
    return tuple(dict.fromkeys(ids))


def _from_journal(value, warnings):
    """``from_journal``: a path (every run in the file), or a revoke result's ``journal`` (``{path, run}``: that run)."""
    run = None
    if isinstance(value, dict):
        path, run = value.get("path"), value.get("run")
        if not isinstance(path, str) or not isinstance(run, str):
            raise invalid("from_journal", value, "is neither a path nor the journal of a revoke result ({path, run})")
    elif isinstance(value, str) and value.strip():
        path = value
    else:
        raise invalid("from_journal", value, "is neither a path nor the journal of a revoke result ({path, run})")
    path = os.path.expanduser(path)
    records = read_journal(path, "from_journal")
    if run is not None and not any(record["type"] == "run" and record.get("run") == run for record in records):
        raise invalid("from_journal.run", run, "is not a run of the journal %s" % json.dumps(path))
    # A restore's own writes are journaled too: only a revoke run's are undone.
    revoke_runs = set(record.get("run") for record in records
                      if record["type"] == "run" and record.get("module", REVOKE_MODULE) == REVOKE_MODULE)
    groups = []
    for intent, rule_ids in authorized_in_journal(records, run):
        if intent.get("run") not in revoke_runs:
            continue
        where = "journal entry %s of run %s" % (intent.get("entry"), intent.get("run"))
        group_id = aws_id(intent.get("group_id"), where + ": group_id", "sg")
        region = region_name(intent.get("region"), where + ": region")
        if rule_ids is None:
            rules = [described_from_summary(summary, where + ": rules") for summary in intent.get("rules") or ()]
            warnings.append("%s: the run stopped while adding %s to %s, so whether they were added and their IDs are "
                            "not known: they are not removed; check the group" % (
                                where, ", ".join(display_line(rule) for rule in rules) or "rules", group_id))
            continue
        ids = tuple(aws_id(rule_id, where + ": authorized_rule_ids", "sgr") for rule_id in rule_ids)
        groups.append(LocatedGroup(region, group_id, intent.get("account"), (), ids))
    for intent, rule_ids in revoked_in_journal(records, run):
        if intent.get("run") not in revoke_runs:
            continue
        where = "journal entry %s of run %s" % (intent.get("entry"), intent.get("run"))
        group_id = aws_id(intent.get("group_id"), where + ": group_id", "sg")
        region = region_name(intent.get("region"), where + ": region")
        summaries = intent.get("rules") if isinstance(intent.get("rules"), list) else []
        rules = _rules(intent.get("ip_permissions") or [], summaries, where + ": ip_permissions", warnings,
                       only_ids=set(rule_ids), where=where)
        groups.append(LocatedGroup(region, group_id, intent.get("account"), rules))
    return _merged(groups)


def _rules(permissions, summaries, option, warnings, only_ids=None, where=None, validated=False):
    """``RestoreRule``s of ``ip_permissions`` (validated here as the module option is, unless ``validated``: checked
    again, an option written in CamelCase would warn that both spellings are set), with tags from ``summaries``
    (``revoked_rules``), limited to the rules whose ID is in ``only_ids`` when given."""
    if not validated:
        validation = ArgumentSpecValidator({"ip_permissions": ip_permissions_argument_spec()}).validate(
            {"ip_permissions": permissions})
        if validation.error_messages:
            raise NetguardAwsError("%s: %s" % (option, validation.errors.msg))
        permissions = validation.validated_parameters["ip_permissions"]
    for index, permission in enumerate(permissions):
        for pair_index, pair in enumerate(permission.get("user_id_group_pairs") or ()):
            if pair.get("group_id") is None:
                raise invalid("%s[%d].user_id_group_pairs[%d].group_name" % (option, index, pair_index),
                              pair.get("group_name"), "names a referenced group by name: give its group_id, as "
                              "revoked_ip_permissions does")
    requested = ip_permission_rules(permissions, option, warnings)
    described = [described_from_summary(summary, "%s.revoked_rules[%d]" % (where, index))
                 for index, summary in enumerate(summaries)]
    tags = dict((rule.rule, rule.tags) for rule in described)
    if only_ids is not None:
        wanted = set(rule.rule for rule in described if rule.rule_id in only_ids)
        requested = [item for item in requested if item.rule in wanted]
    return _unique(RestoreRule(item, tags.get(item.rule, {})) for item in requested)


def _unique(rules):
    """One of each rule (protocol, ports, destination, owner): the first one given."""
    seen = {}
    for item in rules:
        seen.setdefault((item.requested.rule, item.requested.group_owner), item)
    return tuple(seen.values())


def _merged(groups):
    """One entry per group and region, its rules in the order given: a group revoked from twice is restored once."""
    merged = {}
    for group in groups:
        key = (group.region, group.group_id)
        if key in merged:
            group = merged[key]._replace(additions=_unique(merged[key].additions + group.additions),
                                         removals=tuple(dict.fromkeys(merged[key].removals + group.removals)))
        merged[key] = group
    return tuple(merged.values())
