"""Who is behind a group: interface types as AWS sets them, the summary, the require_unused refusal (pure, and with
botocore's Stubber for the shapes moto never returns)."""

import pytest

from ansible_collections.netguard.aws.plugins.module_utils.errors import NetguardAwsError
from ansible_collections.netguard.aws.plugins.module_utils.impact import (
    affected_interfaces,
    diff_note,
    interface_type,
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


def test_types_reach_the_result_from_aws_shapes_with_one_describe(stubbed):
    clients, stubber = stubbed
    rule = api_rule("sgr-0000000000000000a", "-1", -1, -1, CidrIpv4="0.0.0.0/0")
    request, _warnings = parse_revoke_request({"group_id": GROUP, "protocol": "all", "cidr": ["0.0.0.0/0"],
                                               "impact": True})
    stubber.add_response("describe_security_group_rules", {"SecurityGroupRules": [rule]})
    stubber.add_response("describe_network_interfaces", {"NetworkInterfaces": [
        dict(interface, Groups=[{"GroupId": GROUP}]) for interface, _kind in AWS_INTERFACES]},
        {"Filters": [{"Name": "group-id", "Values": [GROUP]}], "MaxResults": 1000})
    stubber.add_response("revoke_security_group_egress", {"Return": True, "RevokedSecurityGroupRules": [
        {"SecurityGroupRuleId": "sgr-0000000000000000a", "GroupId": GROUP, "IsEgress": True}]})
    result = run(request, clients)
    assert result["affected_interfaces"]["by_type"] == {"instance": 2, "lambda": 2, "load_balancer": 2,
                                                        "vpc_endpoint": 2, "other": 1}
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
        {"NetworkInterfaceId": "eni-00000000000000001", "Groups": [{"GroupId": GROUP}]}]},
        {"Filters": [{"Name": "group-id", "Values": [GROUP]}], "MaxResults": 1000})
    # No revoke response: a revoke call would fail the test.
    with pytest.raises(NetguardAwsError) as raised:
        run(request, clients)
    assert raised.value.msg == ("require_unused: 1 of the security groups that would change has network interfaces "
                                "attached: %s (eni-00000000000000001); nothing was revoked" % GROUP)
