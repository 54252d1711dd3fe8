"""Results and endpoint state with AWS IDs replaced by stable labels, to compare runs on fresh seeds."""

import re
from collections import Counter

from .seed import label_of

_AWS_ID = re.compile(r"\b(?:sgr|sg|vpc|pl)-[0-9a-f]{8,17}\b")
# A journal's run ID, new in every run.
_RUN_ID = re.compile(r"^[0-9a-f]{32}$")


def id_labels(ec2):
    """A label for every VPC, security group, rule and prefix list of the region, stable across seeds."""
    labels = {}
    for index, vpc in enumerate(ec2.describe_vpcs()["Vpcs"]):
        labels[vpc["VpcId"]] = "vpc#%d" % index
    # Seeds of several targets in one region make prefix lists of the same name.
    for index, prefix_list in enumerate(ec2.describe_managed_prefix_lists()["PrefixLists"]):
        labels[prefix_list["PrefixListId"]] = "pl#%d:%s" % (index, prefix_list["PrefixListName"])
    for group in ec2.describe_security_groups()["SecurityGroups"]:
        labels[group["GroupId"]] = "sg:%s/%s" % (labels.get(group.get("VpcId")), group["GroupName"])
    for rule in ec2.describe_security_group_rules()["SecurityGroupRules"]:
        labels[rule["SecurityGroupRuleId"]] = "sgr:%s/%s/%s" % (
            labels[rule["GroupId"]], "egress" if rule["IsEgress"] else "ingress", label_of(rule))
    return labels


def relabelled(value, labels):
    """``value`` with AWS IDs replaced by their labels, and diff listings (sorted by ID) sorted again."""
    if isinstance(value, dict):
        # ansible-core 2.22 marks a module's registered result with ansible_parsed (it parsed the module's
        # output); an action's result, which is not parsed, has no such key.
        return dict((key, _diff_text(item, labels) if key in ("before", "after") and isinstance(item, str)
                     else relabelled(item, labels)) for key, item in value.items() if key != "ansible_parsed")
    if isinstance(value, list):
        return [relabelled(item, labels) for item in value]
    if isinstance(value, str) and _RUN_ID.match(value):
        return "<run id>"
    if isinstance(value, str):
        return _AWS_ID.sub(lambda found: labels.get(found.group(0), "<unknown id>"), value)
    return value


def _diff_text(text, labels):
    return "\n".join(sorted(relabelled(text, labels).splitlines()))


def endpoint_state(ec2, labels):
    """Every rule of the region, by label, with what makes it that rule."""
    return sorted(relabelled("%s %s" % (rule["SecurityGroupRuleId"], sorted(
        (key, str(value)) for key, value in rule.items() if key not in ("SecurityGroupRuleId", "Tags"))), labels)
        for rule in ec2.describe_security_group_rules()["SecurityGroupRules"])


def call_counts(requests):
    """How many calls of each action (and dry runs) there are among ``requests`` (those of a FaultProxy)."""
    return Counter((request.get("Action"), request.get("DryRun", "false")) for request in requests)
