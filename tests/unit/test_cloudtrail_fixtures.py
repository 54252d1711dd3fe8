"""The CloudTrail fixtures (tests/support/cloudtrail.py) carry the fields the event option reads, where CloudTrail
puts them."""

import json

from ..support import cloudtrail

GROUP = "sg-0123456789abcdef0"
ALL = cloudtrail.rule("sgr-0aaaaaaaaaaaaaaa1")
HTTPS = cloudtrail.rule("sgr-0aaaaaaaaaaaaaaa2", "tcp", (443, 443), "0.0.0.0/0")
V6 = cloudtrail.rule("sgr-0aaaaaaaaaaaaaaa3", "-1", None, "::/0")


def test_authorize_egress_has_the_created_rules_in_the_response_and_the_request():
    record = cloudtrail.authorize_security_group_egress(GROUP, [ALL, HTTPS, V6], account="210987654321",
                                                        region="eu-west-1", event_id="e-1")
    assert (record["eventSource"], record["eventName"], record["eventID"]) == (
        "ec2.amazonaws.com", "AuthorizeSecurityGroupEgress", "e-1")
    assert (record["awsRegion"], record["recipientAccountId"], record["userIdentity"]["accountId"]) == (
        "eu-west-1", "210987654321", "210987654321")
    assert "errorCode" not in record
    assert record["requestParameters"]["groupId"] == GROUP
    items = record["responseElements"]["securityGroupRuleSet"]["items"]
    assert [(i["securityGroupRuleId"], i["groupId"], i["isEgress"], i["ipProtocol"], i["fromPort"], i["toPort"])
            for i in items] == [("sgr-0aaaaaaaaaaaaaaa1", GROUP, True, "-1", -1, -1),
                                ("sgr-0aaaaaaaaaaaaaaa2", GROUP, True, "tcp", 443, 443),
                                ("sgr-0aaaaaaaaaaaaaaa3", GROUP, True, "-1", -1, -1)]
    assert [i.get("cidrIpv4") or i.get("cidrIpv6") for i in items] == ["0.0.0.0/0", "0.0.0.0/0", "::/0"]
    assert items[0]["groupOwnerId"] == "210987654321"
    assert record["responseElements"]["_return"] is True
    assert record["responseElements"]["requestId"] == record["requestID"]
    permissions = record["requestParameters"]["ipPermissions"]["items"]
    assert permissions[0] == {"ipProtocol": "-1", "groups": {}, "ipRanges": {"items": [{"cidrIp": "0.0.0.0/0"}]},
                              "ipv6Ranges": {}, "prefixListIds": {}}
    assert (permissions[1]["fromPort"], permissions[1]["toPort"]) == (443, 443)
    assert permissions[2]["ipv6Ranges"] == {"items": [{"cidrIpv6": "::/0"}]}


def test_authorize_ingress_is_the_same_shape_with_is_egress_false():
    record = cloudtrail.authorize_security_group_ingress(GROUP, [HTTPS])
    assert record["eventName"] == "AuthorizeSecurityGroupIngress"
    assert [i["isEgress"] for i in record["responseElements"]["securityGroupRuleSet"]["items"]] == [False]


def test_a_failed_call_has_an_error_code_and_no_response():
    for record in (cloudtrail.authorize_security_group_egress(GROUP, [ALL], error_code="Client.InvalidPermission.Duplicate"),
                   cloudtrail.failed(cloudtrail.create_security_group(GROUP, "vpc-0abc", "web"))):
        assert record["errorCode"].startswith("Client.")
        assert record["errorMessage"]
        assert record["responseElements"] is None


def test_modify_nests_the_request_one_rule_as_a_dict_several_as_a_list():
    one = cloudtrail.modify_security_group_rules(GROUP, [HTTPS])
    request = one["requestParameters"]["ModifySecurityGroupRulesRequest"]
    assert request["GroupId"] == GROUP
    assert request["SecurityGroupRule"] == {
        "SecurityGroupRuleId": "sgr-0aaaaaaaaaaaaaaa2", "tag": 1,
        "SecurityGroupRule": {"IpProtocol": "tcp", "FromPort": 443, "ToPort": 443, "CidrIpv4": "0.0.0.0/0"}}
    assert one["responseElements"]["ModifySecurityGroupRulesResponse"]["return"] is True
    several = cloudtrail.modify_security_group_rules(GROUP, [ALL, V6])
    members = several["requestParameters"]["ModifySecurityGroupRulesRequest"]["SecurityGroupRule"]
    assert [(m["SecurityGroupRuleId"], m["tag"]) for m in members] == [("sgr-0aaaaaaaaaaaaaaa1", 1),
                                                                       ("sgr-0aaaaaaaaaaaaaaa3", 2)]
    assert members[1]["SecurityGroupRule"]["CidrIpv6"] == "::/0"


def test_create_security_group_names_the_new_group_and_its_vpc():
    record = cloudtrail.create_security_group(GROUP, "vpc-0abc", "web")
    assert record["eventName"] == "CreateSecurityGroup"
    assert record["requestParameters"] == {"groupName": "web", "groupDescription": "web security group",
                                           "vpcId": "vpc-0abc"}
    assert record["responseElements"]["groupId"] == GROUP


def test_associate_vpc_cidr_block_ipv6_and_ipv4():
    ipv6 = cloudtrail.associate_vpc_cidr_block("vpc-0abc")
    assert ipv6["requestParameters"] == {"vpcId": "vpc-0abc", "amazonProvidedIpv6CidrBlock": True}
    assert ipv6["responseElements"]["vpcId"] == "vpc-0abc"
    assert ipv6["responseElements"]["ipv6CidrBlockAssociation"]["associationId"].startswith("vpc-cidr-assoc-")
    ipv4 = cloudtrail.associate_vpc_cidr_block("vpc-0abc", ipv6=False)
    assert "amazonProvidedIpv6CidrBlock" not in ipv4["requestParameters"]
    assert "ipv6CidrBlockAssociation" not in ipv4["responseElements"]


def test_eventbridge_envelope_carries_the_record_in_detail():
    record = cloudtrail.authorize_security_group_egress(GROUP, [ALL], account="210987654321", region="eu-west-1")
    event = cloudtrail.eventbridge(record)
    assert {k: event[k] for k in ("version", "detail-type", "source", "account", "region", "resources")} == {
        "version": "0", "detail-type": "AWS API Call via CloudTrail", "source": "aws.ec2",
        "account": "210987654321", "region": "eu-west-1", "resources": []}
    assert event["time"] == record["eventTime"]
    assert event["id"] != record["eventID"]
    assert event["detail"] is record
    assert json.loads(json.dumps(event)) == event
