"""The security groups the demo and the integration scenarios start from."""

WEB_EGRESS = [
    {"IpProtocol": "-1", "Ipv6Ranges": [{"CidrIpv6": "::/0"}]},
    {"IpProtocol": "tcp", "FromPort": 443, "ToPort": 443, "IpRanges": [{"CidrIp": "10.1.0.0/16", "Description": "office https"}]},
    {"IpProtocol": "tcp", "FromPort": 25, "ToPort": 25, "IpRanges": [{"CidrIp": "0.0.0.0/0", "Description": "smtp"}]},
    {"IpProtocol": "icmp", "FromPort": 8, "ToPort": -1, "IpRanges": [{"CidrIp": "10.0.0.0/8"}]},
]


def seed_web_group(ec2):
    """A VPC with a ``web`` group holding egress rules of every kind, and the ``db`` group it references.

    Returns the IDs a scenario needs: ``rules``, the egress rule IDs of ``web`` by a short label;
    ``ingress_rule_id``, an ingress rule of ``web``; ``db_rule_id``, an egress rule of ``db``.
    """
    vpc_id = ec2.create_vpc(CidrBlock="10.0.0.0/16")["Vpc"]["VpcId"]
    db_group_id = ec2.create_security_group(GroupName="db", Description="database", VpcId=vpc_id)["GroupId"]
    group_id = ec2.create_security_group(GroupName="web", Description="web servers", VpcId=vpc_id)["GroupId"]
    prefix_list_id = ec2.create_managed_prefix_list(
        PrefixListName="resolvers", MaxEntries=2, AddressFamily="IPv4")["PrefixList"]["PrefixListId"]
    ec2.authorize_security_group_egress(GroupId=group_id, IpPermissions=WEB_EGRESS + [
        {"IpProtocol": "tcp", "FromPort": 5432, "ToPort": 5432,
         "UserIdGroupPairs": [{"GroupId": db_group_id, "Description": "database"}]},
        {"IpProtocol": "udp", "FromPort": 53, "ToPort": 53, "PrefixListIds": [{"PrefixListId": prefix_list_id}]},
    ])
    ec2.authorize_security_group_ingress(GroupId=group_id, IpPermissions=[
        {"IpProtocol": "tcp", "FromPort": 22, "ToPort": 22, "IpRanges": [{"CidrIp": "10.0.0.0/8"}]}])
    return {
        "vpc_id": vpc_id,
        "group_id": group_id,
        "db_group_id": db_group_id,
        "prefix_list_id": prefix_list_id,
        "rules": dict((label_of(rule), rule_id) for rule_id, rule in egress_rules(ec2, group_id).items()),
        "ingress_rule_id": next(iter(egress_rules(ec2, group_id, egress=False))),
        "db_rule_id": next(iter(egress_rules(ec2, db_group_id))),
    }


def egress_rules(ec2, group_id, egress=True):
    """The group's rules as the endpoint holds them, by rule ID (egress by default)."""
    described = ec2.describe_security_group_rules(Filters=[{"Name": "group-id", "Values": [group_id]}])
    return dict((rule["SecurityGroupRuleId"], rule) for rule in described["SecurityGroupRules"]
                if rule["IsEgress"] == egress)


def egress_rules_by_group(ec2):
    """Every egress rule of the region as the endpoint holds them, by group and rule ID, in one call: checking a
    large fleet group by group would cost the endpoint a search of the region per group."""
    rules = {}
    for rule in ec2.describe_security_group_rules()["SecurityGroupRules"]:
        if rule["IsEgress"]:
            rules.setdefault(rule["GroupId"], {})[rule["SecurityGroupRuleId"]] = rule
    return rules


def label_of(rule):
    """A short readable name for a rule: ``tcp-443-10.1.0.0/16``, ``all-::/0``, ``udp-53-prefix-list``."""
    destination = rule.get("CidrIpv4") or rule.get("CidrIpv6") or ("prefix-list" if rule.get("PrefixListId") else "group")
    if rule["IpProtocol"] == "-1":
        return "all-%s" % destination
    return "%s-%s-%s" % (rule["IpProtocol"], rule["FromPort"], destination)


def seed_fleet(ec2, count, tags=None, https_every=1):
    """A VPC with ``count`` groups, each with the default allow-all egress rule and HTTPS to 10.0.0.0/8 (only every
    ``https_every``-th group, the first included, for a fleet seeded quicker).

    Returns the VPC ID and the group IDs. ``tags`` (a dict) are put on every group.
    """
    vpc_id = ec2.create_vpc(CidrBlock="10.0.0.0/16")["Vpc"]["VpcId"]
    tag_specifications = []
    if tags:
        tag_specifications = [{"ResourceType": "security-group",
                               "Tags": [{"Key": key, "Value": value} for key, value in tags.items()]}]
    group_ids = []
    for index in range(count):
        group_id = ec2.create_security_group(GroupName="app-%03d" % index, Description="app", VpcId=vpc_id,
                                             TagSpecifications=tag_specifications)["GroupId"]
        if index % https_every == 0:
            ec2.authorize_security_group_egress(GroupId=group_id, IpPermissions=[
                {"IpProtocol": "tcp", "FromPort": 443, "ToPort": 443, "IpRanges": [{"CidrIp": "10.0.0.0/8"}]}])
        group_ids.append(group_id)
    return vpc_id, group_ids


def seed_rule_filters_group(ec2):
    """``seed_web_group``, plus HTTPS to anywhere and a rule tagged ``temporary=true`` (tcp 8080 to 10.9.0.0/16)."""
    ids = seed_web_group(ec2)
    ec2.authorize_security_group_egress(GroupId=ids["group_id"], IpPermissions=[
        {"IpProtocol": "tcp", "FromPort": 443, "ToPort": 443, "IpRanges": [{"CidrIp": "0.0.0.0/0"}]}])
    ec2.authorize_security_group_egress(GroupId=ids["group_id"], IpPermissions=[
        {"IpProtocol": "tcp", "FromPort": 8080, "ToPort": 8080, "IpRanges": [{"CidrIp": "10.9.0.0/16"}]}],
        TagSpecifications=[{"ResourceType": "security-group-rule", "Tags": [{"Key": "temporary", "Value": "true"}]}])
    ids["rules"] = dict((label_of(rule), rule_id) for rule_id, rule in egress_rules(ec2, ids["group_id"]).items())
    return ids


def seed_wide_tcp_group(ec2):
    """``seed_rule_filters_group``, plus a rule for every tcp port to anywhere (``tcp-0-0.0.0.0/0``)."""
    ids = seed_rule_filters_group(ec2)
    ec2.authorize_security_group_egress(GroupId=ids["group_id"], IpPermissions=[
        {"IpProtocol": "tcp", "FromPort": 0, "ToPort": 65535, "IpRanges": [{"CidrIp": "0.0.0.0/0"}]}])
    ids["rules"] = dict((label_of(rule), rule_id) for rule_id, rule in egress_rules(ec2, ids["group_id"]).items())
    return ids


def seed_default_groups(ec2, vpc_count):
    """``vpc_count`` VPCs; in each, an ``app`` group, and HTTPS to the interface endpoints' subnet added to the
    ``default`` group.

    Every default group of the region (the default VPC's too) gets ``tcp 443 -> 10.0.100.0/24``. Returns the
    default group IDs, the IDs of those rules, and the app group IDs.
    """
    app_group_ids = []
    for _index in range(vpc_count):
        vpc_id = ec2.create_vpc(CidrBlock="10.0.0.0/16")["Vpc"]["VpcId"]
        app_group_ids.append(ec2.create_security_group(GroupName="app", Description="app", VpcId=vpc_id)["GroupId"])
    default_group_ids = [group["GroupId"] for group in ec2.describe_security_groups(
        Filters=[{"Name": "group-name", "Values": ["default"]}])["SecurityGroups"]]
    endpoint_rule_ids = []
    for group_id in default_group_ids:
        response = ec2.authorize_security_group_egress(GroupId=group_id, IpPermissions=[
            {"IpProtocol": "tcp", "FromPort": 443, "ToPort": 443, "IpRanges": [{"CidrIp": "10.0.100.0/24"}]}])
        endpoint_rule_ids.append(response["SecurityGroupRules"][0]["SecurityGroupRuleId"])
    return {"default_group_ids": default_group_ids, "default_group_count": len(default_group_ids),
            "endpoint_rule_ids": endpoint_rule_ids, "app_group_ids": app_group_ids}


def seed_regional_fleets(endpoint, regions, count, tag):
    """``count`` groups tagged ``fleet=tag`` in each region (each with allow-all and HTTPS); their IDs by region."""
    return dict((region, seed_fleet(endpoint.client(region), count, tags={"fleet": tag})[1]) for region in regions)
