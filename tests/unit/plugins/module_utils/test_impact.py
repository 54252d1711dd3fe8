"""Who is behind a group: interface types as AWS sets them, the summary, launch templates and ECS services, the
require_unused refusal (pure, and with botocore's Stubber for the shapes moto never returns)."""

import pytest
from botocore.stub import Stubber

from ansible_collections.netguard.aws.plugins.module_utils.errors import NetguardAwsError
from ansible_collections.netguard.aws.plugins.module_utils.impact import (
    affected_interfaces,
    affected_users,
    diff_note,
    ecs_services_using,
    interface_type,
    launch_templates_using,
    refuse_used,
)
from ansible_collections.netguard.aws.plugins.module_utils.pipeline import run
from ansible_collections.netguard.aws.plugins.module_utils.request import parse_revoke_request

from .described import GROUP, api_rule

OTHER = "sg-0aaaaaaaaaaaaaaaa"

# DescribeNetworkInterfaces entries as AWS returns them for each kind of resource.
AWS_INTERFACES = [
    ({"NetworkInterfaceId": "eni-00000000000000001", "InterfaceType": "interface", "Description": "Primary network interface",
      "Attachment": {"InstanceId": "i-00000000000000001", "Status": "attached"}, "RequesterManaged": False}, "instance"),
    ({"NetworkInterfaceId": "eni-00000000000000002", "InterfaceType": "lambda", "RequesterId": "AROAEXAMPLE:fn",
      "Description": "AWS Lambda VPC ENI-checkout-1a2b3c", "RequesterManaged": True}, "lambda"),
    ({"NetworkInterfaceId": "eni-00000000000000003", "InterfaceType": "interface", "RequesterId": "amazon-elb",
      "Description": "ELB app/web/50dc6c495c0c9188", "RequesterManaged": True}, "load_balancer"),
    ({"NetworkInterfaceId": "eni-00000000000000004", "InterfaceType": "network_load_balancer",
      "Description": "ELB net/api/0123456789abcdef"}, "load_balancer"),
    ({"NetworkInterfaceId": "eni-00000000000000005", "InterfaceType": "vpc_endpoint",
      "Description": "VPC Endpoint Interface vpce-0123456789abcdef0"}, "vpc_endpoint"),
    ({"NetworkInterfaceId": "eni-00000000000000006", "InterfaceType": "natGateway",
      "Description": "Interface for NAT Gateway nat-0123456789abcdef0"}, "other"),
    ({"NetworkInterfaceId": "eni-00000000000000007", "InterfaceType": "interface", "RequesterId": "123456789012:awslambda_1",
      "Description": "AWS Lambda VPC ENI-legacy"}, "lambda"),
    ({"NetworkInterfaceId": "eni-00000000000000008", "InterfaceType": "gateway_load_balancer_endpoint"}, "vpc_endpoint"),
    ({"NetworkInterfaceId": "eni-00000000000000009", "InterfaceType": "efa",
      "Attachment": {"InstanceId": "i-00000000000000002"}}, "instance"),
]


@pytest.mark.parametrize("interface, kind", AWS_INTERFACES,
                         ids=[kind + "-" + item["NetworkInterfaceId"][-1] for item, kind in AWS_INTERFACES])
def test_each_kind_of_interface_is_named_as_aws_marks_it(interface, kind):
    assert interface_type(interface) == kind


def test_summary_counts_only_interfaces_of_the_group_and_keeps_20_examples():
    interfaces = [dict(interface, Groups=[{"GroupId": GROUP}]) for interface, _kind in AWS_INTERFACES]
    interfaces += [{"NetworkInterfaceId": "eni-1%016d" % index, "Groups": [{"GroupId": OTHER}, {"GroupId": GROUP}]}
                   for index in range(15)]
    interfaces.append({"NetworkInterfaceId": "eni-0ffffffffffffffff", "Groups": [{"GroupId": OTHER}]})

    affected = affected_interfaces(GROUP, interfaces)

    assert affected["total"] == 24
    assert affected["by_type"] == {"instance": 2, "lambda": 2, "load_balancer": 2, "vpc_endpoint": 2, "other": 16}
    assert len(affected["examples"]) == 20
    assert affected["examples"][0] == {"network_interface_id": "eni-00000000000000001", "type": "instance",
                                       "instance_id": "i-00000000000000001", "description": "Primary network interface"}
    assert "eni-0ffffffffffffffff" not in [example["network_interface_id"] for example in affected["examples"]]


def test_refusal_names_each_used_group_and_its_interfaces_and_more():
    used = affected_interfaces(GROUP, [{"NetworkInterfaceId": "eni-%017d" % index, "Groups": [{"GroupId": GROUP}]}
                                       for index in range(7)])
    unused = affected_interfaces(OTHER, [])
    with pytest.raises(NetguardAwsError) as raised:
        refuse_used({GROUP: used, OTHER: unused})
    assert raised.value.msg.startswith("require_unused: 1 of the security groups that would change has network "
                                       "interfaces attached: %s (eni-00000000000000000" % GROUP)
    assert "and 2 more" in raised.value.msg and OTHER not in raised.value.msg
    refuse_used({OTHER: unused})


CLUSTER = "arn:aws:ecs:us-east-1:123456789012:cluster/prod"
# What a region with no launch template and no ECS cluster answers.
NO_TEMPLATES = {"LaunchTemplateVersions": []}
TEMPLATES_CALL = {"Versions": ["$Default", "$Latest"], "MaxResults": 200, "IncludeManagedResources": True}
INTERFACES_CALL = {"Filters": [{"Name": "group-id", "Values": [GROUP]}], "MaxResults": 1000,
                   "IncludeManagedResources": True}


def template_version(template_id, version, default=True, name="web", security_group_ids=(), interface_groups=None):
    """A ``DescribeLaunchTemplateVersions`` entry as AWS returns it."""
    data = {"ImageId": "ami-0123456789abcdef0", "InstanceType": "t3.micro"}
    if security_group_ids:
        data["SecurityGroupIds"] = list(security_group_ids)
    if interface_groups is not None:
        data["NetworkInterfaces"] = [{"DeviceIndex": 0, "SubnetId": "subnet-0123456789abcdef0",
                                      "Groups": list(interface_groups)}]
    return {"LaunchTemplateId": template_id, "LaunchTemplateName": name, "VersionNumber": version,
            "DefaultVersion": default, "CreatedBy": "arn:aws:iam::123456789012:root", "LaunchTemplateData": data}


def ecs_service(name, security_groups=(), cluster=CLUSTER, deployments=()):
    """A ``DescribeServices`` entry as AWS returns it, with an awsvpc network configuration."""
    service = {"serviceArn": "arn:aws:ecs:us-east-1:123456789012:service/prod/%s" % name, "serviceName": name,
               "clusterArn": cluster, "status": "ACTIVE", "launchType": "FARGATE",
               "deployments": [{"id": "ecs-svc/%d" % index, "status": status, "networkConfiguration": {
                   "awsvpcConfiguration": {"subnets": ["subnet-0123456789abcdef0"], "securityGroups": list(groups)}}}
                   for index, (status, groups) in enumerate(deployments)]}
    if security_groups is not None:
        service["networkConfiguration"] = {"awsvpcConfiguration": {"subnets": ["subnet-0123456789abcdef0"],
                                                                   "securityGroups": list(security_groups)}}
    return service


def no_ecs(ecs_stubber):
    ecs_stubber.add_response("list_clusters", {"clusterArns": []}, {"maxResults": 100})


def test_types_reach_the_result_from_aws_shapes_with_one_describe(stubbed):
    clients, stubber = stubbed
    rule = api_rule("sgr-0000000000000000a", "-1", -1, -1, CidrIpv4="0.0.0.0/0")
    request, _warnings = parse_revoke_request({"group_id": GROUP, "protocol": "all", "cidr": ["0.0.0.0/0"],
                                               "impact": True})
    stubber.add_response("describe_security_group_rules", {"SecurityGroupRules": [rule]})
    stubber.add_response("describe_network_interfaces", {"NetworkInterfaces": [
        dict(interface, Groups=[{"GroupId": GROUP}]) for interface, _kind in AWS_INTERFACES]}, INTERFACES_CALL)
    stubber.add_response("describe_launch_template_versions", NO_TEMPLATES, TEMPLATES_CALL)
    stubber.add_response("revoke_security_group_egress", {"Return": True, "RevokedSecurityGroupRules": [
        {"SecurityGroupRuleId": "sgr-0000000000000000a", "GroupId": GROUP, "IsEgress": True}]})
    with Stubber(clients.api().ecs_client) as ecs_stubber:
        no_ecs(ecs_stubber)
        result = run(request, clients)
    assert result["affected_interfaces"]["by_type"] == {"instance": 2, "lambda": 2, "load_balancer": 2,
                                                        "vpc_endpoint": 2, "other": 1}
    assert result["affected_users"] == {"launch_templates": [], "ecs_services": [], "managed_interfaces": 0}
    assert result["owner_id"] == "123456789012" and result["region"] == "us-east-1"


@pytest.mark.parametrize("interface, kind", [
    ({"InterfaceType": "interface", "RequesterId": "amazon-elb"}, "load_balancer"),
    ({"InterfaceType": "interface", "RequesterId": "AWSLambda"}, "lambda"),
    ({"InterfaceType": "interface", "Description": "ELB app/web/50dc6c495c0c9188"}, "load_balancer"),
    ({"InterfaceType": "interface", "Description": "VPC Endpoint Interface vpce-0123456789abcdef0"}, "vpc_endpoint"),
    ({"InterfaceType": "interface", "Description": "Managed by ELB"}, "other"),
])
def test_older_interfaces_are_named_by_who_requested_them_or_their_description(interface, kind):
    assert interface_type(interface) == kind


@pytest.mark.parametrize("total, note", [(0, "0 network interfaces affected"), (1, "1 network interface affected"),
                                         (2, "2 network interfaces affected")])
def test_the_diff_header_counts_the_interfaces(total, note):
    assert diff_note({"total": total}) == note


def test_refusal_names_every_used_group_with_up_to_five_interfaces_each():
    first = affected_interfaces(GROUP, [{"NetworkInterfaceId": "eni-0000000000000000%d" % index,
                                         "Groups": [{"GroupId": GROUP}]} for index in range(2)])
    second = affected_interfaces(OTHER, [{"NetworkInterfaceId": "eni-0000000000000000%d" % index,
                                          "Groups": [{"GroupId": OTHER}]} for index in range(6)])
    with pytest.raises(NetguardAwsError) as raised:
        refuse_used({GROUP: first, OTHER: second})
    assert raised.value.msg == (
        "require_unused: 2 of the security groups that would change have network interfaces attached: "
        "%s (eni-00000000000000000, eni-00000000000000001); %s (eni-00000000000000000, eni-00000000000000001, "
        "eni-00000000000000002, eni-00000000000000003, eni-00000000000000004 and 1 more); nothing was revoked"
        % (GROUP, OTHER))
    assert raised.value.details == {"used_groups": [GROUP, OTHER]}


def test_require_unused_refuses_before_any_revoke_when_an_interface_uses_the_group(stubbed):
    clients, stubber = stubbed
    request, _warnings = parse_revoke_request({"group_id": GROUP, "revoke_all": True, "require_unused": True})
    stubber.add_response("describe_security_group_rules", {"SecurityGroupRules": [
        api_rule("sgr-0000000000000000a", "-1", -1, -1, CidrIpv4="0.0.0.0/0")]})
    stubber.add_response("describe_network_interfaces", {"NetworkInterfaces": [
        {"NetworkInterfaceId": "eni-00000000000000001", "Groups": [{"GroupId": GROUP}]}]}, INTERFACES_CALL)
    stubber.add_response("describe_launch_template_versions", NO_TEMPLATES, TEMPLATES_CALL)
    # No revoke response: a revoke call would fail the test.
    with Stubber(clients.api().ecs_client) as ecs_stubber, pytest.raises(NetguardAwsError) as raised:
        no_ecs(ecs_stubber)
        run(request, clients)
    assert raised.value.msg == ("require_unused: 1 of the security groups that would change has network interfaces "
                                "attached: %s (eni-00000000000000001); nothing was revoked" % GROUP)


def test_a_template_names_the_group_in_its_groups_or_an_interface_s_and_each_version_counts_once():
    versions = [
        template_version("lt-0000000000000000b", 3, security_group_ids=[OTHER, GROUP], name="api"),
        # Its default version is also its latest: AWS returns it twice.
        template_version("lt-0000000000000000b", 3, security_group_ids=[OTHER, GROUP], name="api"),
        template_version("lt-0000000000000000a", 1, interface_groups=[GROUP]),
        template_version("lt-0000000000000000a", 2, default=False, interface_groups=[OTHER]),
        template_version("lt-0000000000000000c", 1, security_group_ids=[OTHER], name="other"),
        template_version("lt-0000000000000000d", 1, name="bare"),
    ]
    assert launch_templates_using(GROUP, versions) == [
        {"id": "lt-0000000000000000a", "name": "web", "version": 1},
        {"id": "lt-0000000000000000b", "name": "api", "version": 3}]
    assert launch_templates_using("sg-0bbbbbbbbbbbbbbbb", versions) == []


def test_a_service_names_the_group_in_its_network_configuration_or_in_a_deployment_still_running():
    services = [
        ecs_service("web", [GROUP, OTHER]),
        # Moving off the group: the primary deployment has the new groups, the active one still the group.
        ecs_service("api", [OTHER], deployments=[("PRIMARY", [OTHER]), ("ACTIVE", [GROUP])]),
        ecs_service("worker", [OTHER]),
        # A service on the bridge or host network mode has no network configuration.
        ecs_service("legacy", None),
    ]
    assert ecs_services_using(GROUP, services) == [
        {"cluster": CLUSTER, "service": "arn:aws:ecs:us-east-1:123456789012:service/prod/api"},
        {"cluster": CLUSTER, "service": "arn:aws:ecs:us-east-1:123456789012:service/prod/web"}]


def test_managed_interfaces_are_counted_among_those_of_the_group():
    interfaces = [
        {"NetworkInterfaceId": "eni-00000000000000001", "Groups": [{"GroupId": GROUP}],
         "Operator": {"Managed": True, "Principal": "eks.amazonaws.com"}},
        {"NetworkInterfaceId": "eni-00000000000000002", "Groups": [{"GroupId": GROUP}], "Operator": {"Managed": False}},
        {"NetworkInterfaceId": "eni-00000000000000003", "Groups": [{"GroupId": GROUP}]},
        {"NetworkInterfaceId": "eni-00000000000000004", "Groups": [{"GroupId": OTHER}], "Operator": {"Managed": True}},
    ]
    assert affected_users(GROUP, interfaces, [], []) == {"launch_templates": [], "ecs_services": [],
                                                         "managed_interfaces": 1}
    assert affected_interfaces(GROUP, interfaces)["total"] == 3


@pytest.mark.parametrize("templates, services, note", [
    (0, 0, "2 network interfaces affected"),
    (1, 0, "2 network interfaces and 1 launch template affected"),
    (0, 2, "2 network interfaces and 2 ECS services affected"),
    (2, 1, "2 network interfaces, 2 launch templates and 1 ECS service affected"),
])
def test_the_diff_header_counts_templates_and_services_when_there_are_any(templates, services, note):
    users = {"launch_templates": [{}] * templates, "ecs_services": [{}] * services, "managed_interfaces": 0}
    assert diff_note({"total": 2}, users) == note


def test_refusal_names_the_templates_and_services_of_a_group_without_interfaces():
    users = {"launch_templates": [{"id": "lt-0000000000000000a", "name": "web", "version": 4}],
             "ecs_services": [{"cluster": CLUSTER, "service": "arn:aws:ecs:us-east-1:123456789012:service/prod/api"}],
             "managed_interfaces": 0}
    unused = {"launch_templates": [], "ecs_services": [], "managed_interfaces": 0}
    with pytest.raises(NetguardAwsError) as raised:
        refuse_used({GROUP: affected_interfaces(GROUP, []), OTHER: affected_interfaces(OTHER, [])},
                    {GROUP: users, OTHER: unused})
    assert raised.value.msg == (
        "require_unused: 1 of the security groups that would change has users (network interfaces, launch templates, "
        "ECS services): %s (launch template lt-0000000000000000a (web) version 4, ECS service api of cluster prod); "
        "nothing was revoked" % GROUP)
    assert raised.value.details == {"used_groups": [GROUP]}
    refuse_used({OTHER: affected_interfaces(OTHER, [])}, {OTHER: unused})


def test_templates_and_services_are_read_page_by_page_and_described_ten_a_call(stubbed):
    clients, stubber = stubbed
    request, _warnings = parse_revoke_request({"group_id": GROUP, "revoke_all": True, "impact": True})
    rule = api_rule("sgr-0000000000000000a", "-1", -1, -1, CidrIpv4="0.0.0.0/0")
    stubber.add_response("describe_security_group_rules", {"SecurityGroupRules": [rule]})
    stubber.add_response("describe_network_interfaces", {"NetworkInterfaces": [
        {"NetworkInterfaceId": "eni-00000000000000001", "Groups": [{"GroupId": GROUP}], "InterfaceType": "interface",
         "RequesterManaged": True, "Operator": {"Managed": True, "Principal": "eks.amazonaws.com"}}]}, INTERFACES_CALL)
    stubber.add_response("describe_launch_template_versions", {"NextToken": "page-2", "LaunchTemplateVersions": [
        template_version("lt-0000000000000000a", 1, security_group_ids=[GROUP])]}, TEMPLATES_CALL)
    stubber.add_response("describe_launch_template_versions", {"LaunchTemplateVersions": [
        template_version("lt-0000000000000000b", 7, default=False, name="api", interface_groups=[GROUP])]},
        dict(TEMPLATES_CALL, NextToken="page-2"))
    stubber.add_response("revoke_security_group_egress", {"Return": True, "RevokedSecurityGroupRules": [
        {"SecurityGroupRuleId": "sgr-0000000000000000a", "GroupId": GROUP, "IsEgress": True}]})
    other_cluster = "arn:aws:ecs:us-east-1:123456789012:cluster/batch"
    arns = ["arn:aws:ecs:us-east-1:123456789012:service/prod/svc-%02d" % index for index in range(12)]
    with Stubber(clients.api().ecs_client) as ecs_stubber:
        ecs_stubber.add_response("list_clusters", {"clusterArns": [CLUSTER], "nextToken": "clusters-2"},
                                 {"maxResults": 100})
        ecs_stubber.add_response("list_clusters", {"clusterArns": [other_cluster]},
                                 {"maxResults": 100, "nextToken": "clusters-2"})
        ecs_stubber.add_response("list_services", {"serviceArns": arns[:7], "nextToken": "services-2"},
                                 {"cluster": CLUSTER, "maxResults": 100})
        ecs_stubber.add_response("list_services", {"serviceArns": arns[7:]},
                                 {"cluster": CLUSTER, "maxResults": 100, "nextToken": "services-2"})
        ecs_stubber.add_response("describe_services", {"services": [
            ecs_service("svc-%02d" % index, [GROUP] if index == 3 else [OTHER]) for index in range(10)], "failures": []},
            {"cluster": CLUSTER, "services": arns[:10]})
        ecs_stubber.add_response("describe_services", {"services": [
            ecs_service("svc-10", [OTHER], deployments=[("PRIMARY", [OTHER]), ("ACTIVE", [GROUP])])],
            "failures": [{"arn": arns[11], "reason": "MISSING"}]},
            {"cluster": CLUSTER, "services": arns[10:]})
        ecs_stubber.add_response("list_services", {"serviceArns": []}, {"cluster": other_cluster, "maxResults": 100})
        result = run(request, clients, diff=True)
        ecs_stubber.assert_no_pending_responses()

    assert result["affected_users"] == {
        "launch_templates": [{"id": "lt-0000000000000000a", "name": "web", "version": 1},
                             {"id": "lt-0000000000000000b", "name": "api", "version": 7}],
        "ecs_services": [{"cluster": CLUSTER, "service": arns[3]}, {"cluster": CLUSTER, "service": arns[10]}],
        "managed_interfaces": 1}
    assert result["affected_interfaces"]["total"] == 1
    assert result["diff"]["before_header"] == (
        "%s egress rules (1 network interface, 2 launch templates and 2 ECS services affected)" % GROUP)


@pytest.mark.parametrize("denied, action", [("templates", "ec2:DescribeLaunchTemplateVersions"),
                                            ("clusters", "ecs:ListClusters")])
def test_a_denied_read_of_templates_or_services_fails_the_task_naming_the_permission(stubbed, denied, action):
    clients, stubber = stubbed
    request, _warnings = parse_revoke_request({"group_id": GROUP, "revoke_all": True, "impact": True})
    stubber.add_response("describe_security_group_rules", {"SecurityGroupRules": [
        api_rule("sgr-0000000000000000a", "-1", -1, -1, CidrIpv4="0.0.0.0/0")]})
    stubber.add_response("describe_network_interfaces", {"NetworkInterfaces": []}, INTERFACES_CALL)
    with Stubber(clients.api().ecs_client) as ecs_stubber, pytest.raises(NetguardAwsError) as raised:
        if denied == "templates":
            stubber.add_client_error("describe_launch_template_versions", "UnauthorizedOperation",
                                     "You are not authorized to perform this operation.",
                                     expected_params=TEMPLATES_CALL)
        else:
            stubber.add_response("describe_launch_template_versions", NO_TEMPLATES, TEMPLATES_CALL)
            ecs_stubber.add_client_error("list_clusters", "AccessDeniedException", "not authorized",
                                         expected_params={"maxResults": 100})
        # No revoke response: a revoke call would fail the test.
        run(request, clients)
    assert raised.value.msg.startswith("access denied: %s is not allowed; grant %s in the caller's IAM policy"
                                       % (action, action))
