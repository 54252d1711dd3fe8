"""Property: any revoke, followed by the restore module given the revoke's registered result, gives every group back
its egress rules exactly (protocol, ports, destination, description, tags); a second restore only describes.

Hypothesis generates a group's rules on moto and the way they are revoked: by IDs, ``ip_permissions``, shorthand,
``revoke_all``, ``rule_filters``, or in bulk over two groups.
"""

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ansible_collections.netguard.aws.plugins.module_utils.rules import DescribedRule
from ansible_collections.netguard.aws.plugins.modules import ec2_security_group_egress_restore as restore_module

from .test_revoke_properties import PREFIX_LISTS, REFERENCED, rule_parts

EXAMPLES = 30
DESCRIPTIONS = (None, "web", "db access", "temp-1")
TAGS = ({}, {"owner": "team-a"}, {"owner": "team-b", "ticket": "CHG-1"})
MODES = ("ids", "ip_permissions", "shorthand", "revoke_all", "rule_filters", "bulk")


def rule_set(ec2, group_id):
    """Each egress rule as what it is and says: canonical protocol, ports and destination, description, tags."""
    described = ec2.describe_security_group_rules(Filters=[{"Name": "group-id", "Values": [group_id]}])
    return sorted((DescribedRule(rule).rule, rule.get("Description"), tuple(sorted(DescribedRule(rule).tags.items())))
                  for rule in described["SecurityGroupRules"] if rule["IsEgress"])


def seed(ec2, parts, draw, example, count):
    """``count`` groups tagged ``example``, each with the rules of ``parts`` (with drawn descriptions and tags)."""
    vpc_id = ec2.create_vpc(CidrBlock="10.0.0.0/16")["Vpc"]["VpcId"]
    names = {}
    for placeholder in REFERENCED:
        names[placeholder] = ec2.create_security_group(GroupName=placeholder, Description="p", VpcId=vpc_id)["GroupId"]
    for placeholder in PREFIX_LISTS:
        names[placeholder] = ec2.create_managed_prefix_list(PrefixListName="%s-%d" % (placeholder, example),
                                                            MaxEntries=1, AddressFamily="IPv4")["PrefixList"]["PrefixListId"]
    unique = list(dict.fromkeys(parts))
    extras = [(draw(st.sampled_from(DESCRIPTIONS)), draw(st.sampled_from(TAGS))) for _part in unique]
    group_ids = []
    for index in range(count):
        group_id = ec2.create_security_group(
            GroupName="g-%d" % index, Description="g", VpcId=vpc_id, TagSpecifications=[
                {"ResourceType": "security-group", "Tags": [{"Key": "example", "Value": str(example)}]}])["GroupId"]
        ec2.revoke_security_group_egress(GroupId=group_id, IpPermissions=[
            {"IpProtocol": "-1", "IpRanges": [{"CidrIp": "0.0.0.0/0"}]}])
        for (protocol, from_port, to_port, kind, destination), (description, tags) in zip(unique, extras):
            key, value = {"cidr_ipv4": ("IpRanges", {"CidrIp": destination}),
                          "cidr_ipv6": ("Ipv6Ranges", {"CidrIpv6": destination}),
                          "prefix_list_id": ("PrefixListIds", {"PrefixListId": names.get(destination)}),
                          "group": ("UserIdGroupPairs", {"GroupId": names.get(destination)})}[kind]
            if description:
                value["Description"] = description
            arguments = {"GroupId": group_id, "IpPermissions": [
                {"IpProtocol": protocol, "FromPort": from_port, "ToPort": to_port, key: [value]}]}
            if tags:
                arguments["TagSpecifications"] = [{"ResourceType": "security-group-rule", "Tags": [
                    {"Key": tag, "Value": tag_value} for tag, tag_value in tags.items()]}]
            ec2.authorize_security_group_egress(**arguments)
        group_ids.append(group_id)
    return group_ids


def shorthand(rule):
    """The revoke module's shorthand for one described rule."""
    arguments = {"protocol": "all" if rule.protocol == "-1" else rule.protocol}
    if rule.protocol in ("tcp", "udp"):
        arguments["port"] = "%d-%d" % (rule.from_port, rule.to_port)
    elif rule.protocol in ("icmp", "icmpv6") and rule.from_port != -1:
        arguments["port"] = str(rule.from_port) if rule.to_port == -1 else "%d-%d" % (rule.from_port, rule.to_port)
    option = {"cidr_ipv4": "cidr", "cidr_ipv6": "cidr", "prefix_list_id": "prefix_list_id",
              "referenced_group_id": "destination_group"}[rule.destination_type]
    arguments[option] = rule.destination
    return arguments


def camel_permission(api_rule):
    permission = {"IpProtocol": api_rule["IpProtocol"], "FromPort": api_rule["FromPort"], "ToPort": api_rule["ToPort"]}
    if api_rule.get("CidrIpv4"):
        permission["IpRanges"] = [{"CidrIp": api_rule["CidrIpv4"]}]
    elif api_rule.get("CidrIpv6"):
        permission["Ipv6Ranges"] = [{"CidrIpv6": api_rule["CidrIpv6"]}]
    elif api_rule.get("PrefixListId"):
        permission["PrefixListIds"] = [{"PrefixListId": api_rule["PrefixListId"]}]
    else:
        permission["UserIdGroupPairs"] = [{"GroupId": api_rule["ReferencedGroupInfo"]["GroupId"]}]
    return permission


def revoke_arguments(ec2, mode, group_ids, example, draw):
    if mode == "bulk":
        return {"filters": {"tag:example": str(example)}, "revoke_all": True, "allow_bulk_revoke_all": True}
    described = [rule for rule in ec2.describe_security_group_rules(
        Filters=[{"Name": "group-id", "Values": [group_ids[0]]}])["SecurityGroupRules"] if rule["IsEgress"]]
    chosen = draw(st.lists(st.sampled_from(described), min_size=1, max_size=len(described), unique_by=lambda r: r["SecurityGroupRuleId"]))
    arguments = {"group_id": group_ids[0]}
    if mode == "ids":
        arguments["security_group_rule_ids"] = [rule["SecurityGroupRuleId"] for rule in chosen]
    elif mode == "ip_permissions":
        arguments["ip_permissions"] = [camel_permission(rule) for rule in chosen]
    elif mode == "shorthand":
        arguments.update(shorthand(DescribedRule(chosen[0]).rule))
    elif mode == "revoke_all":
        arguments["revoke_all"] = True
    else:
        protocol = DescribedRule(chosen[0]).rule.protocol
        arguments["rule_filters"] = {"protocol": "all" if protocol == "-1" else protocol}
    return arguments


def test_any_revoke_then_restore_from_its_result_gives_back_every_rule(ec2, api_calls, run_module, figures):
    counts = {"restore_examples": 0, "restore_mismatches": 0, "second_restore_writes": 0}

    @settings(max_examples=EXAMPLES, derandomize=True, deadline=None, database=None,
              suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
    @given(st.lists(rule_parts(), min_size=1, max_size=6), st.sampled_from(MODES), st.data())
    def check(parts, mode, data):
        counts["restore_examples"] += 1
        example = counts["restore_examples"]
        group_ids = seed(ec2, parts, data.draw, example, 2 if mode == "bulk" else 1)
        before = dict((group_id, rule_set(ec2, group_id)) for group_id in group_ids)

        revoked = run_module(**revoke_arguments(ec2, mode, group_ids, example, data.draw))
        assert not revoked.get("failed"), revoked
        assert revoked["changed"] is True
        restored = run_module(module=restore_module, revoked=revoked)
        assert not restored.get("failed"), restored
        after = dict((group_id, rule_set(ec2, group_id)) for group_id in group_ids)
        counts["restore_mismatches"] += after != before
        assert after == before

        del api_calls[:]
        again = run_module(module=restore_module, revoked=revoked)
        counts["second_restore_writes"] += sum(1 for name, _params in api_calls if name != "DescribeSecurityGroupRules")
        assert again["changed"] is False
        assert [name for name, _params in api_calls] == ["DescribeSecurityGroupRules"]

    check()
    figures("property", **counts)
