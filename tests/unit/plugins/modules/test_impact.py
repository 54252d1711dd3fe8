"""impact and require_unused of ec2_security_group_egress_revoke against moto: interfaces and instances behind groups,
and the launch templates and ECS services that name them."""

import boto3
import pytest

from ....support.seed import egress_rules, seed_fleet
from .test_bulk_revoke import calls_to

ALL_TO_ANYWHERE = dict(protocol="all", cidr="0.0.0.0/0")


@pytest.fixture
def used_fleet(ec2):
    """4 groups of one VPC: the first behind an instance and a load balancer's interface, the second behind an
    unattached interface, the other two unused."""
    vpc_id, group_ids = seed_fleet(ec2, 4, tags={"env": "prod"})
    subnet = ec2.create_subnet(VpcId=vpc_id, CidrBlock="10.0.1.0/24")["Subnet"]["SubnetId"]
    instance = ec2.run_instances(ImageId="ami-12c6146b", MinCount=1, MaxCount=1, SubnetId=subnet,
                                 SecurityGroupIds=[group_ids[0]])["Instances"][0]
    balancer = ec2.create_network_interface(SubnetId=subnet, Groups=[group_ids[0]], Description="ELB app/web/50dc6c495c0c9188")
    spare = ec2.create_network_interface(SubnetId=subnet, Groups=[group_ids[1]], Description="spare")
    return {"group_ids": group_ids, "instance_id": instance["InstanceId"],
            "instance_interface": instance["NetworkInterfaces"][0]["NetworkInterfaceId"],
            "balancer_interface": balancer["NetworkInterface"]["NetworkInterfaceId"],
            "spare_interface": spare["NetworkInterface"]["NetworkInterfaceId"]}


@pytest.fixture
def named_by_users(ec2, used_fleet):
    """``used_fleet``, whose third group (no interface) a launch template and an ECS service name."""
    group_id = used_fleet["group_ids"][2]
    template = ec2.create_launch_template(LaunchTemplateName="batch", LaunchTemplateData={
        "ImageId": "ami-12c6146b", "SecurityGroupIds": [group_id]})["LaunchTemplate"]
    ec2.create_launch_template(LaunchTemplateName="unrelated", LaunchTemplateData={
        "ImageId": "ami-12c6146b", "SecurityGroupIds": [used_fleet["group_ids"][3]]})
    ecs = boto3.client("ecs", region_name=ec2.meta.region_name)
    cluster = ecs.create_cluster(clusterName="prod")["cluster"]["clusterArn"]
    ecs.register_task_definition(family="api", networkMode="awsvpc", requiresCompatibilities=["FARGATE"], cpu="256",
                                 memory="512", containerDefinitions=[{"name": "api", "image": "nginx", "memory": 512}])
    subnet = ec2.describe_subnets()["Subnets"][0]["SubnetId"]
    service = ecs.create_service(cluster="prod", serviceName="api", taskDefinition="api", desiredCount=0,
                                 launchType="FARGATE", networkConfiguration={"awsvpcConfiguration": {
                                     "subnets": [subnet], "securityGroups": [group_id]}})["service"]["serviceArn"]
    return dict(used_fleet, template_id=template["LaunchTemplateId"], cluster=cluster, service=service)


def test_single_group_reports_who_is_behind_it_and_the_diff_header_the_total(ec2, used_fleet, api_calls, run_module):
    group_id = used_fleet["group_ids"][0]
    result = run_module(group_id=group_id, impact=True, diff=True, **ALL_TO_ANYWHERE)

    affected = result["affected_interfaces"]
    assert affected["total"] == 2
    assert affected["by_type"] == {"instance": 1, "lambda": 0, "load_balancer": 1, "vpc_endpoint": 0, "other": 0}
    assert sorted((example["network_interface_id"], example["type"], example["instance_id"])
                  for example in affected["examples"]) == sorted([
                      (used_fleet["instance_interface"], "instance", used_fleet["instance_id"]),
                      (used_fleet["balancer_interface"], "load_balancer", None)])
    assert result["diff"]["before_header"] == "%s egress rules (2 network interfaces affected)" % group_id
    assert [params["Filters"] for params in calls_to(api_calls, "DescribeNetworkInterfaces")] == [
        [{"Name": "group-id", "Values": [group_id]}]]


def test_bulk_check_mode_reports_each_changing_group_in_one_describe(ec2, used_fleet, api_calls, run_module):
    group_ids = used_fleet["group_ids"]
    result = run_module(filters={"tag:env": "prod"}, impact=True, check_mode=True, **ALL_TO_ANYWHERE)

    totals = dict((group["group_id"], group["affected_interfaces"]["total"]) for group in result["groups"])
    assert totals == dict(zip(group_ids, [2, 1, 0, 0]))
    spare = [group for group in result["groups"] if group["group_id"] == group_ids[1]][0]["affected_interfaces"]
    assert spare["examples"] == [{"network_interface_id": used_fleet["spare_interface"], "type": "other",
                                  "instance_id": None, "description": "spare"}]
    assert len(calls_to(api_calls, "DescribeNetworkInterfaces")) == 1
    assert all(len(egress_rules(ec2, group_id)) == 2 for group_id in group_ids), "check mode removes nothing"


def test_require_unused_refuses_the_whole_task_before_any_revoke(ec2, used_fleet, api_calls, run_module):
    result = run_module(filters={"tag:env": "prod"}, require_unused=True, **ALL_TO_ANYWHERE)

    assert result["failed"] is True
    assert "require_unused" in result["msg"] and "nothing was revoked" in result["msg"]
    for name in ("instance_interface", "balancer_interface", "spare_interface"):
        assert used_fleet[name] in result["msg"]
    assert used_fleet["group_ids"][0] in result["msg"] and used_fleet["group_ids"][2] not in result["msg"]
    assert calls_to(api_calls, "RevokeSecurityGroupEgress") == []
    assert all(len(egress_rules(ec2, group_id)) == 2 for group_id in used_fleet["group_ids"])


def test_require_unused_lets_unused_groups_through(ec2, used_fleet, run_module):
    unused = used_fleet["group_ids"][2]
    result = run_module(group_id=unused, require_unused=True, **ALL_TO_ANYWHERE)
    assert result["changed"] is True and result["affected_interfaces"]["total"] == 0


def test_without_impact_no_interface_is_described(ec2, used_fleet, api_calls, run_module):
    result = run_module(group_id=used_fleet["group_ids"][0], **ALL_TO_ANYWHERE)
    assert "affected_interfaces" not in result
    assert [name for name, _params in api_calls] == ["DescribeSecurityGroupRules", "RevokeSecurityGroupEgress"]


def test_a_group_that_does_not_change_is_not_described(ec2, used_fleet, api_calls, run_module):
    result = run_module(group_id=used_fleet["group_ids"][0], impact=True, protocol="tcp", port=22, cidr="10.0.0.0/8")
    assert result["changed"] is False and "affected_interfaces" not in result and "affected_users" not in result
    assert [name for name, _params in api_calls] == ["DescribeSecurityGroupRules"]


def test_impact_counts_the_launch_templates_and_ecs_services_that_name_a_group(ec2, named_by_users, api_calls,
                                                                               run_module):
    group_ids = named_by_users["group_ids"]
    result = run_module(filters={"tag:env": "prod"}, impact=True, check_mode=True, diff=True, **ALL_TO_ANYWHERE)

    users = dict((group["group_id"], group["affected_users"]) for group in result["groups"])
    assert users[group_ids[2]] == {
        "launch_templates": [{"id": named_by_users["template_id"], "name": "batch", "version": 1}],
        "ecs_services": [{"cluster": named_by_users["cluster"], "service": named_by_users["service"]}],
        "managed_interfaces": 0}
    assert users[group_ids[0]] == {"launch_templates": [], "ecs_services": [], "managed_interfaces": 0}
    assert users[group_ids[3]]["launch_templates"][0]["name"] == "unrelated"
    assert [group["affected_interfaces"]["total"] for group in result["groups"]] == [2, 1, 0, 0]
    header = [diff["before_header"] for diff in result["diff"] if group_ids[2] in diff["before_header"]]
    assert header == ["%s egress rules (0 network interfaces, 1 launch template and 1 ECS service affected)"
                      % group_ids[2]]
    # One read of each kind for the whole region, managed interfaces included.
    assert calls_to(api_calls, "DescribeNetworkInterfaces") == [{
        "Filters": [{"Name": "group-id", "Values": group_ids}], "IncludeManagedResources": True, "MaxResults": 1000}]
    assert calls_to(api_calls, "DescribeLaunchTemplateVersions") == [
        {"Versions": ["$Default", "$Latest"], "IncludeManagedResources": True, "MaxResults": 200}]
    assert len(calls_to(api_calls, "ListClusters")) == 1
    assert [params["cluster"] for params in calls_to(api_calls, "DescribeServices")] == [named_by_users["cluster"]]


def test_require_unused_refuses_a_group_only_a_template_and_a_service_use_naming_them(ec2, named_by_users, api_calls,
                                                                                      run_module):
    group_id = named_by_users["group_ids"][2]
    result = run_module(group_id=group_id, require_unused=True, **ALL_TO_ANYWHERE)

    assert result["failed"] is True
    assert result["msg"] == (
        "require_unused: 1 of the security groups that would change has users (network interfaces, launch templates, "
        "ECS services): %s (launch template %s (batch) version 1, ECS service api of cluster prod); nothing was revoked"
        % (group_id, named_by_users["template_id"]))
    assert calls_to(api_calls, "RevokeSecurityGroupEgress") == []
    assert len(egress_rules(ec2, group_id)) == 2
    assert [params["IncludeManagedResources"] for params in calls_to(api_calls, "DescribeNetworkInterfaces")] == [True]
