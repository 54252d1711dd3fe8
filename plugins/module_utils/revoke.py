# -*- coding: utf-8 -*-
# Copyright: Contributors to the netguard.aws collection
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""Revoke egress rules from one security group: resolve, describe, match, revoke, report.

Takes a validated ``RevokeRequest`` and an EC2 client and returns the task
result; raises ``NetguardAwsError`` for expected failures. No ``AnsibleModule``
here, so every entry point runs the same code.
"""

from ansible_collections.netguard.aws.plugins.module_utils.ec2 import Ec2Api, RulesGone
from ansible_collections.netguard.aws.plugins.module_utils.errors import NetguardAwsError, quoted
from ansible_collections.netguard.aws.plugins.module_utils.formatting import (
    egress_diff,
    ip_permissions,
    requested_rule_summary,
    rule_summary,
)
from ansible_collections.netguard.aws.plugins.module_utils.matching import egress_rules_of, match_egress_rules
from ansible_collections.netguard.aws.plugins.module_utils.rules import (
    REFERENCED_GROUP_ID,
    REFERENCED_GROUP_NAME,
    DescribedRule,
)

# How often to describe again when matched rules vanish under us (another writer).
# Transient API errors are botocore's to retry, not this loop's.
REVOKE_ATTEMPTS = 3


def revoke_egress(client, request, check_mode=False, diff=False):
    """Revoke the egress rules ``request`` selects and return the task result.

    Calls: one paginated DescribeSecurityGroupRules, then one
    RevokeSecurityGroupEgress (``DryRun`` in check mode) when anything matched.
    Selecting the group by name, or a destination group by name, adds a
    DescribeSecurityGroups call each.
    """
    api = Ec2Api(client)
    group_id, vpc_id = _target_group(api, request)
    requested_rules = _resolve_destination_names(api, request.rules, group_id, vpc_id)
    warnings = list(request.warnings)

    described = _described_rules(api, group_id, client.meta.region_name)
    match = match_egress_rules(group_id, described, request.rule_ids, requested_rules, request.revoke_all)
    response = {}
    for _attempt in range(REVOKE_ATTEMPTS):
        if not match.matched:
            break
        try:
            response = api.revoke_egress(group_id, [rule.rule_id for rule in match.matched], dry_run=check_mode)
            break
        except RulesGone:
            expected = match.matched
            described = _described_rules(api, group_id, client.meta.region_name)
            match = match_egress_rules(group_id, described, request.rule_ids, requested_rules, request.revoke_all)
            still_there = set(rule.rule_id for rule in egress_rules_of(group_id, described))
            gone = [rule.rule_id for rule in expected if rule.rule_id not in still_there]
            warnings.append("%s disappeared from %s before this task could revoke it (removed by another change)"
                            % (", ".join(gone), group_id))
    else:
        raise NetguardAwsError("the egress rules of %s kept changing while this task revoked them; run it again"
                               % group_id, group_id=group_id)

    revoked = _revoked(match.matched, response, check_mode)
    not_revoked = [rule.rule_id for rule in match.matched if rule not in revoked]
    if not_revoked:
        warnings.append("AWS did not report %s as revoked from %s" % (", ".join(not_revoked), group_id))
    before = egress_rules_of(group_id, described)
    after = [rule for rule in before if rule not in revoked]
    result = {
        "changed": bool(revoked),
        "group_id": group_id,
        "revoked_rules": [rule_summary(rule) for rule in revoked],
        "revoked_ip_permissions": ip_permissions(revoked),
        "unmatched": [{"security_group_rule_id": rule_id} for rule_id in match.unmatched_rule_ids]
        + [requested_rule_summary(requested) for requested in match.unmatched_rules],
        "unknown_ip_permissions": response.get("UnknownIpPermissions", []),
        "egress_rules": [rule_summary(rule) for rule in after],
        "warnings": warnings + match.warnings,
    }
    if diff:
        result["diff"] = egress_diff(group_id, before, after)
    return result


def _revoked(matched, response, check_mode):
    """The rules that went: AWS's own list where the response has one.

    Without ``RevokedSecurityGroupRules`` (older endpoints, moto), a successful
    revoke by rule IDs removed all of them: AWS rejects the whole call if any ID
    is unknown.
    """
    if check_mode or "RevokedSecurityGroupRules" not in response:
        return matched
    revoked_ids = set(rule.get("SecurityGroupRuleId") for rule in response["RevokedSecurityGroupRules"])
    return [rule for rule in matched if rule.rule_id in revoked_ids]


def _described_rules(api, group_id, region):
    described = [DescribedRule(api_rule) for api_rule in api.security_group_rules([group_id])]
    # A group always has rules unless someone removed them all; an unknown group
    # also describes as no rules, and must not pass as "nothing to do".
    if not described and not api.group_exists(group_id):
        raise NetguardAwsError("security group %s does not exist in %s" % (group_id, region), group_id=group_id)
    return described


def _target_group(api, request):
    """The group's ID, and its VPC when that came for free."""
    if request.group_id is not None:
        return request.group_id, None
    filters = [{"Name": "group-name", "Values": [request.group_name]}]
    if request.vpc_id is not None:
        filters.append({"Name": "vpc-id", "Values": [request.vpc_id]})
    # Filter values treat * and ? as wildcards; names may contain them.
    groups = [group for group in api.security_groups(filters) if group["GroupName"] == request.group_name]
    where = " in %s" % request.vpc_id if request.vpc_id else ""
    if not groups:
        raise NetguardAwsError("group_name %s: no security group has that name%s" % (quoted(request.group_name), where))
    if len(groups) > 1:
        found = ", ".join("%s (%s)" % (group["GroupId"], group.get("VpcId")) for group in groups)
        raise NetguardAwsError("group_name %s matches %d security groups%s: %s; give vpc_id or group_id"
                               % (quoted(request.group_name), len(groups), where, found))
    return groups[0]["GroupId"], groups[0].get("VpcId")


def _resolve_destination_names(api, requested_rules, group_id, vpc_id):
    """Replace destination group names with IDs, looked up in the target group's VPC."""
    names = sorted(set(requested.rule.destination for requested in requested_rules
                       if requested.rule.destination_type == REFERENCED_GROUP_NAME))
    if not names:
        return requested_rules
    if vpc_id is None:
        target = api.security_groups([{"Name": "group-id", "Values": [group_id]}])
        if not target:
            raise NetguardAwsError("security group %s does not exist" % group_id, group_id=group_id)
        vpc_id = target[0].get("VpcId")
    groups = api.security_groups([{"Name": "group-name", "Values": names}, {"Name": "vpc-id", "Values": [vpc_id]}])
    ids_by_name = dict((group["GroupName"], group["GroupId"]) for group in groups if group["GroupName"] in names)
    missing = [name for name in names if name not in ids_by_name]
    if missing:
        raise NetguardAwsError("destination group %s: no security group has that name in %s, the VPC of %s; give "
                               "its sg- ID instead" % (", ".join(quoted(name) for name in missing), vpc_id, group_id))
    resolved = []
    for requested in requested_rules:
        if requested.rule.destination_type == REFERENCED_GROUP_NAME:
            rule = requested.rule._replace(destination_type=REFERENCED_GROUP_ID,
                                           destination=ids_by_name[requested.rule.destination])
            requested = requested._replace(rule=rule)
        resolved.append(requested)
    return resolved
