"""The policy predicates in the revoke and info modules, against moto's in-process EC2: ports_within against
allows_port in keep, prefix lists by name in two regions and by their entries, referenced groups by their tags;
state on the endpoint, results, warnings and the calls made."""

import boto3
import pytest

from ansible_collections.netguard.aws.plugins.modules import ec2_security_group_egress_info

from ....support.seed import egress_rules

REGIONS = ["us-east-1", "eu-west-1"]


def warnings(result):
    """Warning texts; ansible-core 2.19+ returns each as a dict."""
    return [warning if isinstance(warning, str) else warning["event"]["msg"] for warning in result.get("warnings", [])]


def operations(api_calls):
    return [name for name, _params in api_calls]


def new_group(client, name, *permissions, tags=None):
    vpc_id = client.create_vpc(CidrBlock="10.0.0.0/16")["Vpc"]["VpcId"]
    options = {}
    if tags:
        options["TagSpecifications"] = [{"ResourceType": "security-group",
                                         "Tags": [{"Key": key, "Value": value} for key, value in tags.items()]}]
    group_id = client.create_security_group(GroupName=name, Description=name, VpcId=vpc_id, **options)["GroupId"]
    if permissions:
        client.authorize_security_group_egress(GroupId=group_id, IpPermissions=list(permissions))
    return group_id


def to_anywhere(protocol, from_port=None, to_port=None):
    permission = {"IpProtocol": protocol, "IpRanges": [{"CidrIp": "0.0.0.0/0"}]}
    if from_port is not None:
        permission.update(FromPort=from_port, ToPort=to_port)
    return permission


def shapes(client, group_id):
    return sorted((rule["IpProtocol"], rule.get("FromPort"), rule.get("ToPort"),
                   rule.get("CidrIpv4") or rule.get("PrefixListId") or rule["ReferencedGroupInfo"]["GroupId"])
                  for rule in egress_rules(client, group_id).values())


@pytest.fixture
def world_open(ec2):
    """A group open to the world three ways: every protocol (moto's default rule), every tcp port, HTTPS."""
    return new_group(ec2, "world", to_anywhere("tcp", 0, 65535), to_anywhere("tcp", 443, 443))


def test_keep_ports_within_keeps_https_alone_and_allows_port_keeps_the_wide_rule_with_a_warning(
        ec2, world_open, run_module):
    covers_world = {"destination_covers": ["0.0.0.0/0"]}
    overlap = run_module(check_mode=True, group_id=world_open, rule_filters=covers_world,
                         keep=[{"protocol": "tcp", "allows_port": 443}])
    assert sorted(rule["ip_protocol"] for rule in overlap["revoked_rules"]) == ["-1"]
    wide = next(rule["security_group_rule_id"] for rule in overlap["egress_rules"] if rule.get("to_port") == 65535)
    assert warnings(overlap) == [
        "keep[0] 'protocol=tcp, allows_port=443' kept %s (tcp 0-65535 -> 0.0.0.0/0), which allows ports beyond 443: "
        "allows_port keeps a rule that lets any of its ports through; use ports_within to keep only rules whose every "
        "port is among them" % wide]

    result = run_module(group_id=world_open, rule_filters=covers_world, keep=[{"protocol": "tcp", "ports_within": [443]}])

    assert result["changed"] is True and warnings(result) == []
    assert shapes(ec2, world_open) == [("tcp", 443, 443, "0.0.0.0/0")]
    assert [item["kept_by"] for item in result["kept"]] == [0]
    again = run_module(group_id=world_open, rule_filters=covers_world, keep=[{"protocol": "tcp", "ports_within": [443]}])
    assert again["changed"] is False


def test_the_s3_prefix_list_by_name_in_two_regions_one_lookup_each(ec2, api_calls, run_module):
    groups = {}
    for region in REGIONS:
        client = boto3.client("ec2", region_name=region)
        lists = dict((item["PrefixListName"], item["PrefixListId"])
                     for item in client.describe_managed_prefix_lists()["PrefixLists"])
        groups[region] = new_group(client, "endpoints", *[
            {"IpProtocol": "tcp", "FromPort": 443, "ToPort": 443, "PrefixListIds": [{"PrefixListId": lists[name]}]}
            for name in ("com.amazonaws.%s.s3" % region, "com.amazonaws.%s.dynamodb" % region)], tags={"tier": "app"})

    result = run_module(filters={"tag:tier": "app"}, regions=REGIONS, rule_filters={"prefix_list_name": "com.amazonaws.*.s3"})

    assert result["changed"] is True
    for region in REGIONS:
        client = boto3.client("ec2", region_name=region)
        names = dict((item["PrefixListId"], item["PrefixListName"])
                     for item in client.describe_managed_prefix_lists()["PrefixLists"])
        assert [names.get(destination, destination) for _p, _f, _t, destination in shapes(client, groups[region])] == [
            "0.0.0.0/0", "com.amazonaws.%s.dynamodb" % region]
    assert operations(api_calls).count("DescribeManagedPrefixLists") == 2, "one lookup per region"
    assert "GetManagedPrefixListEntries" not in operations(api_calls)


def test_destination_within_takes_a_customer_list_whose_every_entry_is_inside(ec2, api_calls, run_module):
    inside = ec2.create_managed_prefix_list(PrefixListName="corp", MaxEntries=5, AddressFamily="IPv4", Entries=[
        {"Cidr": "10.1.0.0/16"}, {"Cidr": "10.200.3.0/24"}])["PrefixList"]["PrefixListId"]
    straddling = ec2.create_managed_prefix_list(PrefixListName="partners", MaxEntries=5, AddressFamily="IPv4", Entries=[
        {"Cidr": "10.2.0.0/16"}, {"Cidr": "52.94.0.0/22"}])["PrefixList"]["PrefixListId"]
    group_id = new_group(ec2, "lists", *[{"IpProtocol": "tcp", "FromPort": 22, "ToPort": 22,
                                          "PrefixListIds": [{"PrefixListId": list_id}]} for list_id in (inside, straddling)])

    result = run_module(group_id=group_id, rule_filters={"destination_within": ["10.0.0.0/8"]})

    assert [rule["prefix_list_id"] for rule in result["revoked_rules"]] == [inside]
    assert sorted(destination for _p, _f, _t, destination in shapes(ec2, group_id)) == sorted(["0.0.0.0/0", straddling])
    assert sorted(params["PrefixListId"] for name, params in api_calls if name == "GetManagedPrefixListEntries") == sorted(
        [inside, straddling]), "each list's entries are read once"
    listed = run_module(module=ec2_security_group_egress_info, group_id=group_id, rule_filters={"public": True})
    assert [rule.get("prefix_list_id") or rule.get("cidr_ipv4") for rule in listed["security_groups"][0]["egress_rules"]] == [
        "0.0.0.0/0", straddling]


def test_rules_to_groups_by_their_tags(ec2, api_calls, run_module):
    vpc_id = ec2.create_vpc(CidrBlock="10.0.0.0/16")["Vpc"]["VpcId"]
    core, web = [ec2.create_security_group(GroupName=name, Description=name, VpcId=vpc_id, TagSpecifications=[
        {"ResourceType": "security-group", "Tags": [{"Key": "team", "Value": name}]}])["GroupId"] for name in ("core", "web")]
    group_id = ec2.create_security_group(GroupName="app", Description="app", VpcId=vpc_id)["GroupId"]
    ec2.authorize_security_group_egress(GroupId=group_id, IpPermissions=[
        {"IpProtocol": "tcp", "FromPort": 5432, "ToPort": 5432, "UserIdGroupPairs": [{"GroupId": core}, {"GroupId": web}]}])

    result = run_module(group_id=group_id, rule_filters={"protocol": "tcp"}, keep=[{"destination_group_tags": {"team": "core"}}])

    assert sorted(destination for _p, _f, _t, destination in shapes(ec2, group_id)) == sorted(["0.0.0.0/0", core])
    assert [rule["referenced_group_id"] for rule in result["revoked_rules"]] == [web]
    assert [params for name, params in api_calls if name == "DescribeSecurityGroups"] == [
        {"Filters": [{"Name": "group-id", "Values": sorted([core, web])}], "MaxResults": 1000}], \
        "one lookup of the referenced groups"


@pytest.mark.parametrize("args, message", [
    ({"rule_filters": {"ports_within": "https"}}, "rule_filters.ports_within 'https' is not a port"),
    ({"keep": [{"wider_than": {"ipv4": 40}}], "revoke_all": True}, "keep[0].wider_than.ipv4 40 is not a prefix length"),
    ({"rule_filters": {"public": False}}, "rule_filters.public False is not accepted"),
    ({"rule_filters": {"prefix_list_name": ["a"]}}, "rule_filters.prefix_list_name ['a'] is not a shell-style pattern"),
])
def test_bad_policy_predicates_fail_before_any_call(ec2, api_calls, run_module, args, message):
    result = run_module(group_id="sg-0123456789abcdef0", **args)
    assert result["failed"] is True and result["msg"].startswith(message), result["msg"]
    assert api_calls == []
