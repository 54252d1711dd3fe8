"""Described rules in the shape DescribeSecurityGroupRules returns, for pure tests."""

from ansible_collections.netguard.aws.plugins.module_utils.rules import DescribedRule

GROUP = "sg-0123456789abcdef0"
OTHER_GROUP = "sg-0aaaaaaaaaaaaaaaa"


def api_rule(rule_id, protocol="tcp", from_port=443, to_port=443, egress=True, group_id=GROUP, description=None,
             **destination):
    """``destination`` is one of CidrIpv4=, CidrIpv6=, PrefixListId= or ReferencedGroupInfo=."""
    item = {"SecurityGroupRuleId": rule_id, "GroupId": group_id, "GroupOwnerId": "123456789012",
            "IsEgress": egress, "IpProtocol": protocol, "FromPort": from_port, "ToPort": to_port, "Tags": []}
    if description is not None:
        item["Description"] = description
    item.update(destination)
    return item


def described(*api_rules):
    return [DescribedRule(item) for item in api_rules]
