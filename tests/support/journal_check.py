"""Checking a journal against the endpoint, as its docs tell a reader to: skip torn lines, settle open intents."""

from ansible_collections.netguard.aws.plugins.module_utils.journal import open_intents, parse_journal, settle


def journal_against_endpoint(path, before, ec2):
    """Compare the journal at ``path`` with the rules that went from the endpoint.

    ``before``: ``{rule_id: group_id}`` of every rule before the run. Returns sorted lists: ``removed``
    (rules gone since), ``removed_not_named`` (gone, but in no intent), ``recorded_revoked_but_present``
    (an outcome says revoked, yet the rule is there), ``settled_removed`` (revoked according to the
    outcomes plus the open intents settled with one describe of their groups).
    """
    with open(path) as handle:
        records, _skipped = parse_journal(handle.read())
    present = set(rule["SecurityGroupRuleId"] for page in ec2.get_paginator("describe_security_group_rules").paginate()
                  for rule in page["SecurityGroupRules"])
    removed = set(before) - present
    intents = [record for record in records if record["type"] == "intent" and not record["check_mode"]]
    named = set(rule_id for intent in intents for rule_id in intent["rule_ids"])
    recorded = set(rule_id for record in records if record["type"] == "outcome" and record["status"] == "revoked"
                   for rule_id in record["revoked_rule_ids"])
    settled = set(recorded)
    for intent in open_intents(records):
        group_rules = [rule["SecurityGroupRuleId"] for rule in ec2.describe_security_group_rules(
            Filters=[{"Name": "group-id", "Values": [intent["group_id"]]}])["SecurityGroupRules"]]
        settled.update(settle(intent, group_rules)[0])
    return {"removed": sorted(removed), "removed_not_named": sorted(removed - named),
            "recorded_revoked_but_present": sorted(recorded & present), "settled_removed": sorted(settled)}
