"""The lean EC2 model of the in-process path: every call the collection makes works on a client built from it."""

from botocore.stub import Stubber

from ansible_collections.netguard.aws.plugins.module_utils.ec2 import OPERATIONS, Ec2Api, Ec2Clients
from ansible_collections.netguard.aws.plugins.plugin_utils.lean_model import (
    lean_loader,
    lean_model,
    prepared_sessions,
    session_with,
)

from .conftest import connection

GROUP = "sg-0123456789abcdef0"
RULE = {"SecurityGroupRuleId": "sgr-0123456789abcdef0", "GroupId": GROUP, "GroupOwnerId": "123456789012",
        "IsEgress": True, "IpProtocol": "-1", "FromPort": -1, "ToPort": -1, "CidrIpv4": "0.0.0.0/0",
        "Tags": [{"Key": "ticket", "Value": "CHG-1"}]}


def lean_client():
    return session_with(lean_loader()).create_client("ec2", region_name="us-east-1", aws_access_key_id="AKIDLEAN",
                                                     aws_secret_access_key="lean")


def test_the_client_has_the_collection_s_operations_only():
    client = lean_client()
    assert client.meta.service_model.operation_names == sorted(OPERATIONS)
    assert not hasattr(client, "run_instances")


def test_every_call_of_ec2api_serialises_and_parses_on_the_lean_model():
    client = lean_client()
    api = Ec2Api(client)
    with Stubber(client) as stubber:
        stubber.add_response("describe_security_group_rules", {"SecurityGroupRules": [RULE]},
                             {"Filters": [{"Name": "group-id", "Values": [GROUP]}], "MaxResults": 1000})
        stubber.add_response("describe_security_groups", {"SecurityGroups": [
            {"GroupId": GROUP, "GroupName": "web", "OwnerId": "123456789012", "VpcId": "vpc-0123456789abcdef0"}]},
            {"Filters": [{"Name": "tag:env", "Values": ["prod"]}], "MaxResults": 1000})
        stubber.add_response("describe_stale_security_groups", {"StaleSecurityGroupSet": [
            {"GroupId": GROUP, "StaleIpPermissionsEgress": [{"IpProtocol": "tcp", "FromPort": 5432, "ToPort": 5432,
                                                             "UserIdGroupPairs": [{"GroupId": "sg-0fedcba9876543210",
                                                                                   "PeeringStatus": "deleted"}]}]}]},
            {"VpcId": "vpc-0123456789abcdef0", "MaxResults": 255})
        stubber.add_response("describe_regions", {"Regions": [
            {"RegionName": "eu-west-1", "OptInStatus": "opt-in-not-required"},
            {"RegionName": "af-south-1", "OptInStatus": "not-opted-in"}]}, {})
        # Whether a group exists: DescribeSecurityGroups filtered by its ID, empty when it does not.
        stubber.add_response("describe_security_groups", {"SecurityGroups": []},
                             {"Filters": [{"Name": "group-id", "Values": [GROUP]}], "MaxResults": 1000})
        stubber.add_response("describe_network_interfaces", {"NetworkInterfaces": [
            {"NetworkInterfaceId": "eni-00000000000000001", "InterfaceType": "lambda", "Groups": [{"GroupId": GROUP}],
             "Operator": {"Managed": True}}]},
            {"Filters": [{"Name": "group-id", "Values": [GROUP]}], "MaxResults": 1000, "IncludeManagedResources": True})
        stubber.add_response("describe_launch_template_versions", {"LaunchTemplateVersions": [
            {"LaunchTemplateId": "lt-0123456789abcdef0", "LaunchTemplateName": "web", "VersionNumber": 2,
             "LaunchTemplateData": {"SecurityGroupIds": [GROUP],
                                    "NetworkInterfaces": [{"DeviceIndex": 0, "Groups": [GROUP]}]}}]},
            {"Versions": ["$Default", "$Latest"], "MaxResults": 200, "IncludeManagedResources": True})
        stubber.add_response("describe_managed_prefix_lists", {"PrefixLists": [
            {"PrefixListId": "pl-0123456789abcdef0", "PrefixListName": "com.amazonaws.us-east-1.s3"}]},
            {"MaxResults": 100})
        stubber.add_response("get_managed_prefix_list_entries", {"Entries": [{"Cidr": "52.216.0.0/15"}]},
                             {"PrefixListId": "pl-0123456789abcdef0", "MaxResults": 100})
        stubber.add_response("authorize_security_group_egress", {"Return": True, "SecurityGroupRules": [RULE]},
                             {"GroupId": GROUP, "DryRun": False, "IpPermissions": [
                                 {"IpProtocol": "-1", "IpRanges": [{"CidrIp": "0.0.0.0/0"}]}],
                              "TagSpecifications": [{"ResourceType": "security-group-rule",
                                                     "Tags": [{"Key": "ticket", "Value": "CHG-1"}]}]})
        stubber.add_response("revoke_security_group_egress", {"Return": True, "RevokedSecurityGroupRules": [
            {"SecurityGroupRuleId": RULE["SecurityGroupRuleId"], "GroupId": GROUP, "IsEgress": True,
             "IpProtocol": "-1", "CidrIpv4": "0.0.0.0/0"}]},
            {"GroupId": GROUP, "SecurityGroupRuleIds": [RULE["SecurityGroupRuleId"]], "DryRun": False})

        assert api.security_group_rules([GROUP]) == [RULE]
        assert [group["GroupName"] for group in api.security_groups([{"Name": "tag:env", "Values": ["prod"]}])] == ["web"]
        stale, = api.stale_security_groups(["vpc-0123456789abcdef0"])
        assert stale["StaleIpPermissionsEgress"][0]["UserIdGroupPairs"][0]["PeeringStatus"] == "deleted"
        assert api.enabled_regions() == ["eu-west-1"]
        assert api.security_groups(group_ids=[GROUP]) == []
        assert [interface["Operator"] for interface in api.network_interfaces([GROUP])] == [{"Managed": True}]
        template, = api.launch_template_versions()
        assert template["LaunchTemplateData"]["NetworkInterfaces"][0]["Groups"] == [GROUP]
        assert [item["PrefixListName"] for item in api.managed_prefix_lists()] == ["com.amazonaws.us-east-1.s3"]
        assert api.prefix_list_entries("pl-0123456789abcdef0") == ["52.216.0.0/15"]
        assert api.authorize_egress(GROUP, [{"IpProtocol": "-1", "IpRanges": [{"CidrIp": "0.0.0.0/0"}]}],
                                    {"ticket": "CHG-1"}) == [RULE]
        response = api.revoke_egress(GROUP, [RULE["SecurityGroupRuleId"]])
        assert response["RevokedSecurityGroupRules"][0]["SecurityGroupRuleId"] == RULE["SecurityGroupRuleId"]
        stubber.assert_no_pending_responses()


def test_a_lean_model_keeps_every_shape_its_operations_reach():
    model = {"operations": {"Keep": {"input": {"shape": "KeepRequest"}, "output": {"shape": "KeepResult"}},
                            "Drop": {"input": {"shape": "DropRequest"}}},
             "shapes": {"KeepRequest": {"type": "structure", "members": {"Ids": {"shape": "IdList"}}},
                        "IdList": {"type": "list", "member": {"shape": "String"}},
                        "KeepResult": {"type": "structure", "members": {"Tags": {"shape": "TagMap"}}},
                        "TagMap": {"type": "map", "key": {"shape": "String"}, "value": {"shape": "Integer"}},
                        "DropRequest": {"type": "structure", "members": {"Other": {"shape": "Other"}}},
                        "Other": {"type": "string"}, "String": {"type": "string"}, "Integer": {"type": "integer"}},
             "metadata": {"serviceId": "Example"}}
    lean = lean_model(model, ["Keep"])
    assert list(lean["operations"]) == ["Keep"] and lean["metadata"] == model["metadata"]
    assert sorted(lean["shapes"]) == ["IdList", "Integer", "KeepRequest", "KeepResult", "String", "TagMap"]


def test_the_prepared_session_makes_lean_clients_the_collection_s_way(clean_aws_environment):
    loader, sessions = prepared_sessions()
    assert len(sessions) == 1
    clients = Ec2Clients(connection(), session=sessions[0])
    assert clients.api().client.meta.service_model.operation_names == sorted(OPERATIONS)
    # Later tasks of a worker make their sessions from the same loader: the model is read once.
    assert session_with(loader).get_component("data_loader") is loader
